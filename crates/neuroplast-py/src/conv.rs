//! Every conversion between Python values and core types: recording names, rule names, input
//! arrays, recordings and state as numpy arrays. Arrays that Rust built are handed to numpy
//! without copying (`into_pyarray` moves the `Vec`'s buffer).

use neuroplast_core::monitor::{ReadoutRecord, RecordSpec, Recorder, SpikeWindow, StateFeatures};
use neuroplast_core::sorn::input::Input;
use neuroplast_core::sorn::{Preset, Rule, Sorn, SornParams};
use neuroplast_core::sparse::SparseRows;
use numpy::{IntoPyArray, PyArrayMethods, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::errors::{core_err, ConfigError};

fn config_err(path: &str, msg: String) -> PyErr {
    let err = PyErr::new::<ConfigError, _>(format!("{path}: {msg}"));
    Python::attach(|py| {
        let _ = err.value(py).setattr("path", path);
    });
    err
}

/// Recording names: `activity`, `spikes[:K]` (all, or the last K steps),
/// `connection_fraction[:k]`, `thresholds[:k]`, `weights[:k]` (`:k` = every k steps, default
/// 1; weights default 1000), `internal` (the thresholded drive before input, every step).
/// `t` is the network's current step.
pub fn record_spec(names: &[String], t: u64) -> PyResult<RecordSpec> {
    let mut spec = RecordSpec::default();
    let mut seen: Vec<&str> = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let (what, every) = match name.split_once(':') {
            Some((w, k)) => (
                w,
                Some(k.parse::<u64>().ok().filter(|&k| k >= 1).ok_or_else(|| {
                    config_err(
                        &format!("record[{i}]"),
                        format!("{name:?}: the interval after ':' must be an integer ≥ 1"),
                    )
                })?),
            ),
            None => (name.as_str(), None),
        };
        if seen.contains(&what) {
            return Err(config_err(
                &format!("record[{i}]"),
                format!("{what:?} is asked for twice; give it once"),
            ));
        }
        seen.push(what);
        if every.is_some() && matches!(what, "activity" | "internal") {
            return Err(config_err(
                &format!("record[{i}]"),
                format!("{name:?}: {what} is recorded every step and takes no ':k'"),
            ));
        }
        match what {
            "activity" => spec.activity = true,
            "spikes" => {
                spec.spikes = every.map_or(SpikeWindow::All, SpikeWindow::LastSteps);
            }
            "connection_fraction" => spec.connection_fraction_every = Some(every.unwrap_or(1)),
            "thresholds" => spec.thresholds_every = Some(every.unwrap_or(1)),
            "weights" => spec.weights_every = Some(every.unwrap_or(1000)),
            "internal" => {
                spec.readout = Some(ReadoutRecord {
                    after_step: t,
                    features: StateFeatures::Internal,
                })
            }
            other => {
                return Err(config_err(
                    &format!("record[{i}]"),
                    format!(
                        "unknown recording {other:?}; allowed: activity, spikes[:K], \
                         connection_fraction[:k], thresholds[:k], weights[:k], internal"
                    ),
                ))
            }
        }
    }
    Ok(spec)
}

/// Rule names (`stdp`, `ip`, `sn`, `istdp`, `sp`).
pub fn rules(names: &[String], what: &str) -> PyResult<Vec<Rule>> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| Rule::parse(n, &format!("{what}[{i}]")).map_err(core_err))
        .collect()
}

/// A (steps × units) float64 array as input to E units 0…units−1.
pub fn input_matrix(a: &PyReadonlyArray2<'_, f64>, steps: u64, ne: usize) -> PyResult<Input> {
    let shape = a.shape();
    let (t, units) = (shape[0], shape[1]);
    if t as u64 != steps {
        return Err(core_err(neuroplast_core::Error::ShapeMismatch {
            what: "inputs".into(),
            expected: format!("({steps}, units): one row per step"),
            got: format!("({t}, {units})"),
        }));
    }
    let view = a.as_array();
    // Core layout: units × T, row-major.
    let mut data = Vec::with_capacity(t * units);
    for u in 0..units {
        data.extend(view.column(u).iter().copied());
    }
    Input::matrix(
        (0..units as u32).collect(),
        data,
        [units, t],
        false,
        ne,
        "inputs",
    )
    .map_err(core_err)
}

/// Recordings as a dict of numpy arrays (documented in `python/neuroplast/sorn.py`).
pub fn recordings<'py>(
    py: Python<'py>,
    rec: Recorder,
    first_step: u64,
    ne: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("first_step", first_step)?;
    if rec.spec.activity {
        d.set_item("activity_e", rec.activity_e.into_pyarray(py))?;
        d.set_item("activity_i", rec.activity_i.into_pyarray(py))?;
    }
    if rec.spec.spikes != SpikeWindow::None {
        for (key, ev) in [("spikes_e", rec.spikes_e), ("spikes_i", rec.spikes_i)] {
            let steps: Vec<u64> = ev.steps.into();
            let ids: Vec<u32> = ev.ids.into();
            let s = PyDict::new(py);
            s.set_item("step", steps.into_pyarray(py))?;
            s.set_item("neuron", ids.into_pyarray(py))?;
            d.set_item(key, s)?;
        }
    }
    if rec.spec.connection_fraction_every.is_some() {
        d.set_item(
            "connection_fraction",
            rec.connection_fraction.into_pyarray(py),
        )?;
        d.set_item(
            "connection_fraction_steps",
            rec.connection_steps.into_pyarray(py),
        )?;
    }
    if rec.spec.thresholds_every.is_some() {
        let n = rec.threshold_steps.len();
        let t = rec.thresholds.into_pyarray(py).reshape([n, ne])?;
        d.set_item("thresholds", t)?;
        d.set_item("thresholds_steps", rec.threshold_steps.into_pyarray(py))?;
    }
    if rec.spec.readout.is_some() {
        let n = rec.readout.len();
        let width = if n == 0 { ne } else { rec.readout.width };
        let a = rec.readout.states.into_pyarray(py).reshape([n, width])?;
        d.set_item("internal", a)?;
    }
    if rec.spec.weights_every.is_some() {
        let list = PyList::empty(py);
        for w in rec.weights {
            let s = PyDict::new(py);
            s.set_item("step", w.step)?;
            s.set_item("ee_post", w.w_ee.post.into_pyarray(py))?;
            s.set_item("ee_pre", w.w_ee.pre.into_pyarray(py))?;
            s.set_item("ee_w", w.w_ee.w.into_pyarray(py))?;
            s.set_item("ei_post", w.w_ei.post.into_pyarray(py))?;
            s.set_item("ei_pre", w.w_ei.pre.into_pyarray(py))?;
            s.set_item("ei_w", w.w_ei.w.into_pyarray(py))?;
            list.append(s)?;
        }
        d.set_item("weights", list)?;
    }
    Ok(d)
}

fn put_matrix(py: Python<'_>, d: &Bound<'_, PyDict>, key: &str, m: &SparseRows) -> PyResult<()> {
    let (mut post, mut pre, mut w) = (Vec::new(), Vec::new(), Vec::new());
    for (i, j, v) in m.triplets() {
        post.push(i);
        pre.push(j);
        w.push(v);
    }
    d.set_item(format!("{key}_post"), post.into_pyarray(py))?;
    d.set_item(format!("{key}_pre"), pre.into_pyarray(py))?;
    d.set_item(format!("{key}_w"), w.into_pyarray(py))?;
    d.set_item(format!("{key}_shape"), (m.n_rows(), m.n_cols()))?;
    Ok(())
}

/// The network state as numpy arrays.
pub fn state_dict<'py>(py: Python<'py>, s: &Sorn) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("t", s.t())?;
    d.set_item("x", s.x().to_vec().into_pyarray(py))?;
    d.set_item("y", s.y().to_vec().into_pyarray(py))?;
    d.set_item("te", s.te().to_vec().into_pyarray(py))?;
    d.set_item("ti", s.ti().to_vec().into_pyarray(py))?;
    put_matrix(py, &d, "w_ee", s.w_ee())?;
    put_matrix(py, &d, "w_ei", s.w_ei())?;
    put_matrix(py, &d, "w_ie", s.w_ie())?;
    d.set_item(
        "active_rules",
        s.active_rules()
            .iter()
            .map(|r| r.name())
            .collect::<Vec<_>>(),
    )?;
    d.set_item("spike_hash", format!("{:016x}", s.spike_hash()))?;
    Ok(d)
}

/// The parameters as TOML.
pub fn params_toml(p: &SornParams) -> PyResult<String> {
    toml::to_string(p).map_err(|e| config_err("sorn", format!("cannot write parameters: {e}")))
}

/// Every preset's name.
pub fn preset_names() -> Vec<&'static str> {
    Preset::ALL.iter().map(|p| p.name()).collect()
}

/// Rows (postsynaptic) of a dense (rows × cols) array as sparse rows of its non-zero entries.
pub fn dense_rows(a: &PyReadonlyArray2<'_, f64>) -> (usize, Vec<Vec<(u32, f64)>>) {
    let v = a.as_array();
    let rows = v
        .rows()
        .into_iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .filter(|(_, &w)| w != 0.0)
                .map(|(j, &w)| (j as u32, w))
                .collect()
        })
        .collect();
    (v.ncols(), rows)
}

/// Check that `a` has `shape`, naming it `what` otherwise.
pub fn check_shape(what: &str, got: &[usize], want: [usize; 2]) -> PyResult<()> {
    if got != want {
        return Err(core_err(neuroplast_core::Error::ShapeMismatch {
            what: what.into(),
            expected: format!("({}, {})", want[0], want[1]),
            got: format!("{got:?}"),
        }));
    }
    Ok(())
}
