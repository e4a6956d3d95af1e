//! `neuroplast._neuroplast.analysis`: the core's analyses on numpy arrays (the Python facade
//! is `python/neuroplast/analysis.py`). Reports come back as dicts converted from the same
//! serialisable reports the CLI writes (`conv::to_py`), so their fields are exactly those of
//! summary.json.

use neuroplast_core::analysis::avalanches::{avalanches as find_avalanches, Threshold};
use neuroplast_core::analysis::report::{
    self, del_papa_windows as windows, log_binned_pmf as binned_pmf,
};
use neuroplast_core::analysis::stats::{self, Raster};
use neuroplast_core::analysis::weights::fit_weights;
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;

use crate::conv::to_py;
use crate::errors::core_err;

fn threshold(t: Option<u32>) -> Threshold {
    t.map_or(Threshold::HalfMean, Threshold::Fixed)
}

fn raster(a: &PyReadonlyArray2<'_, u8>) -> PyResult<Raster> {
    let shape = a.shape();
    let data: Vec<u8> = a.as_array().iter().copied().collect();
    Raster::new(shape[0], shape[1], data).map_err(core_err)
}

/// θ, durations and sizes of avalanches.
type AvalancheArrays<'py> = (u32, Bound<'py, PyArray1<u64>>, Bound<'py, PyArray1<u64>>);

/// Avalanches of an activity series: (θ, durations, sizes).
#[pyfunction]
#[pyo3(signature = (activity, threshold=None))]
fn avalanches<'py>(
    py: Python<'py>,
    activity: PyReadonlyArray1<'py, u32>,
    threshold: Option<u32>,
) -> PyResult<AvalancheArrays<'py>> {
    let a = activity.as_slice()?;
    let av = find_avalanches(a, self::threshold(threshold)).map_err(core_err)?;
    Ok((
        av.theta,
        av.durations.into_pyarray(py),
        av.sizes.into_pyarray(py),
    ))
}

/// Del Papa's avalanche analysis of one series, as summary.json's dict.
#[pyfunction]
#[pyo3(signature = (activity, duration_window, size_window, threshold=None))]
fn avalanche_report<'py>(
    py: Python<'py>,
    activity: PyReadonlyArray1<'_, u32>,
    duration_window: [u64; 2],
    size_window: [u64; 2],
    threshold: Option<u32>,
) -> PyResult<Bound<'py, PyAny>> {
    let a = activity.as_slice()?;
    let (_, rep) =
        report::avalanche_report(a, self::threshold(threshold), duration_window, size_window)
            .map_err(core_err)?;
    to_py(py, &rep)
}

/// Fits of pooled durations and sizes, as summary.json's dict.
#[pyfunction]
fn pooled_report<'py>(
    py: Python<'py>,
    durations: PyReadonlyArray1<'_, u64>,
    sizes: PyReadonlyArray1<'_, u64>,
    runs: usize,
    duration_window: [u64; 2],
    size_window: [u64; 2],
) -> PyResult<Bound<'py, PyAny>> {
    let rep = report::pooled_report(
        durations.as_slice()?,
        sizes.as_slice()?,
        runs,
        duration_window,
        size_window,
    );
    to_py(py, &rep)
}

/// Lognormal / normal / exponential fits of positive weights:
/// (n, best, lognormal (μ, σ, ℓ), normal (mean, sd, ℓ), exponential (rate, ℓ), skewness of ln w).
#[pyfunction]
#[allow(clippy::type_complexity)]
fn weight_fits(
    w: PyReadonlyArray1<'_, f64>,
) -> PyResult<(usize, String, [f64; 3], [f64; 3], [f64; 2], f64)> {
    let f = fit_weights(w.as_slice()?).map_err(core_err)?;
    Ok((
        f.n,
        format!("{:?}", f.best).to_lowercase(),
        [f.lognormal_mu, f.lognormal_sigma, f.lognormal_loglik],
        [f.normal_mean, f.normal_sd, f.normal_loglik],
        [f.exponential_rate, f.exponential_loglik],
        f.log_skewness,
    ))
}

/// Spike statistics of a (steps × units) 0/1 raster: (rates per unit, network rate, ISI CV
/// per unit (NaN below 3 spikes), mean pairwise correlation, spike-source entropy).
#[pyfunction]
#[allow(clippy::type_complexity)]
fn raster_statistics<'py>(
    py: Python<'py>,
    raster: PyReadonlyArray2<'py, u8>,
) -> PyResult<(
    Bound<'py, PyArray1<f64>>,
    f64,
    Bound<'py, PyArray1<f64>>,
    Option<f64>,
    Option<f64>,
)> {
    let r = self::raster(&raster)?;
    let cv: Vec<f64> = stats::isi_cv(&r)
        .into_iter()
        .map(|c| c.unwrap_or(f64::NAN))
        .collect();
    Ok((
        stats::firing_rates(&r).into_pyarray(py),
        stats::network_firing_rate(&r),
        cv.into_pyarray(py),
        stats::mean_pairwise_correlation(&r),
        stats::spike_source_entropy(&r),
    ))
}

/// Fano factor of one unit with windows of `window` steps: (windows, mean, variance, fano).
#[pyfunction]
fn fano_factor(
    raster: PyReadonlyArray2<'_, u8>,
    unit: usize,
    window: usize,
) -> PyResult<(usize, f64, f64, Option<f64>)> {
    let r = self::raster(&raster)?;
    let f = stats::fano_factor(&r, unit, window).map_err(core_err)?;
    Ok((f.windows, f.mean, f.variance, f.fano))
}

/// Rates (Hz), ISI CVs and the population Fano factor of spike events: `(rates_hz,
/// mean_rate_hz, isi_cv (NaN below 3 spikes), population_fano)`.
#[pyfunction]
#[allow(clippy::too_many_arguments, clippy::type_complexity)] // reason: the window's parts, named in Python
fn spike_trains<'py>(
    py: Python<'py>,
    steps: PyReadonlyArray1<'py, u64>,
    ids: PyReadonlyArray1<'py, u32>,
    first_step: u64,
    n_steps: u64,
    n: usize,
    dt_ms: f64,
    bin_steps: u64,
) -> PyResult<(
    Bound<'py, PyArray1<f64>>,
    f64,
    Bound<'py, PyArray1<f64>>,
    Option<f64>,
)> {
    let s = stats::train_statistics(
        steps.as_slice()?,
        ids.as_slice()?,
        first_step,
        n_steps,
        n,
        dt_ms,
        bin_steps,
    )
    .map_err(core_err)?;
    let cv: Vec<f64> = s.isi_cv.iter().map(|c| c.unwrap_or(f64::NAN)).collect();
    Ok((
        s.rates_hz.into_pyarray(py),
        s.mean_rate_hz,
        cv.into_pyarray(py),
        s.population_fano,
    ))
}

/// Per-step Hamming distance between two rasters of the same shape.
#[pyfunction]
fn hamming_distance<'py>(
    py: Python<'py>,
    a: PyReadonlyArray2<'py, u8>,
    b: PyReadonlyArray2<'py, u8>,
) -> PyResult<Bound<'py, PyArray1<u32>>> {
    let d = stats::hamming_distance(&raster(&a)?, &raster(&b)?).map_err(core_err)?;
    Ok(d.into_pyarray(py))
}

/// Lag-`lag` autocorrelation (Pearson) and smoothness std(diff) of a series.
#[pyfunction]
fn series_statistics(
    series: PyReadonlyArray1<'_, f64>,
    lag: usize,
) -> PyResult<(Option<f64>, Option<f64>)> {
    let s = series.as_slice()?;
    Ok((stats::autocorrelation(s, lag), stats::smoothness(s)))
}

/// Del Papa 2017's ((duration window), (size window)) for `ne`, or `None`.
#[pyfunction]
fn del_papa_windows(ne: usize) -> Option<([u64; 2], [u64; 2])> {
    windows(ne)
}

/// Two float64 arrays.
type ArrayPair<'py> = (Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>);

/// Empirical distribution on logarithmic bins: (bin centres, probability per unit x).
#[pyfunction]
fn log_binned_pmf<'py>(
    py: Python<'py>,
    data: PyReadonlyArray1<'py, u64>,
    per_decade: usize,
) -> PyResult<ArrayPair<'py>> {
    let (x, p) = binned_pmf(data.as_slice()?, per_decade);
    Ok((x.into_pyarray(py), p.into_pyarray(py)))
}

/// Add the analysis functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(avalanches, m)?)?;
    m.add_function(wrap_pyfunction!(avalanche_report, m)?)?;
    m.add_function(wrap_pyfunction!(pooled_report, m)?)?;
    m.add_function(wrap_pyfunction!(weight_fits, m)?)?;
    m.add_function(wrap_pyfunction!(raster_statistics, m)?)?;
    m.add_function(wrap_pyfunction!(fano_factor, m)?)?;
    m.add_function(wrap_pyfunction!(spike_trains, m)?)?;
    m.add_function(wrap_pyfunction!(hamming_distance, m)?)?;
    m.add_function(wrap_pyfunction!(series_statistics, m)?)?;
    m.add_function(wrap_pyfunction!(del_papa_windows, m)?)?;
    m.add_function(wrap_pyfunction!(log_binned_pmf, m)?)?;
    Ok(())
}
