//! `neuroplast._neuroplast`: the compiled half of the Python package.
//!
//! Thin by rule (STYLE.md, "Python bindings stay thin"): each method converts its arguments
//! (in `conv.rs`), calls the core or the config crate, and maps errors (in `errors.rs`). Long
//! runs go through `run_detached`, which releases the GIL, runs in slices of at most 50 ms
//! and checks for Ctrl-C between them. The user-facing classes with docstrings and keyword handling live in
//! `python/neuroplast/`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use neuroplast_config::Experiment;
use neuroplast_core::checkpoint;
use neuroplast_core::monitor::{RecordSpec, Recorder};
use neuroplast_core::simulation::Simulation;
use neuroplast_core::sorn::Rule;
use neuroplast_core::sparse::SparseRows;
use numpy::{PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

mod analysis;
mod conv;
mod errors;
mod protocol;
mod spiking;

use errors::{core_err, ToPyResult};

/// Longest stretch run without the GIL before checking for Ctrl-C (and calling the progress
/// callback): a KeyboardInterrupt arrives within about this time whatever the network size.
pub(crate) const SLICE: Duration = Duration::from_millis(50);

/// Run `steps` steps of `sim` with the GIL released, in slices of at most [`SLICE`]; between
/// slices check for signals (KeyboardInterrupt) and call `progress(done)` if given. Returns the
/// steps done; on Ctrl-C the network stops between two steps (a consistent state) and the
/// error propagates.
fn run_detached(
    py: Python<'_>,
    sim: &mut Simulation,
    steps: u64,
    progress: Option<&Bound<'_, PyAny>>,
) -> PyResult<u64> {
    let mut done = 0;
    while done < steps {
        let left = steps - done;
        done += py.detach(|| {
            let t0 = Instant::now();
            let mut n = 0;
            while n < left {
                sim.step();
                n += 1;
                if n % 8 == 0 && t0.elapsed() > SLICE {
                    break;
                }
            }
            n
        });
        py.check_signals()?;
        if let Some(cb) = progress {
            cb.call1((done,))?;
        }
    }
    Ok(done)
}

/// A SORN simulation: network, input, recorder (`neuroplast.sorn.Sorn` wraps it).
#[pyclass(module = "neuroplast._neuroplast", name = "SornCore")]
struct SornCore {
    sim: Simulation,
}

#[pymethods]
impl SornCore {
    /// Build from a TOML document (the `[sorn]` table of an experiment file and a seed).
    #[staticmethod]
    fn from_toml(text: &str, name: &str) -> PyResult<Self> {
        let exp = Experiment::from_str(text, name, ".".as_ref(), &[]).to_py()?;
        let sim = exp.build().to_py()?;
        Ok(SornCore { sim })
    }

    /// Restore from checkpoint bytes.
    #[staticmethod]
    fn from_bytes(data: &[u8]) -> PyResult<Self> {
        let sim = checkpoint::from_bytes(data).map_err(core_err)?;
        Ok(SornCore { sim })
    }

    /// The complete state as checkpoint bytes.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &checkpoint::to_bytes(&self.sim))
    }

    /// Run `steps` steps recording `record` (names, see `conv::record_spec`) with the rules
    /// in `freeze` frozen for this call only and `inputs` (steps × units, added to E units
    /// 0…units−1) if given. Returns a dict of numpy arrays.
    #[pyo3(signature = (steps, record, freeze, inputs=None, progress=None))]
    fn run<'py>(
        &mut self,
        py: Python<'py>,
        steps: u64,
        record: Vec<String>,
        freeze: Vec<String>,
        inputs: Option<PyReadonlyArray2<'py, f64>>,
        progress: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let spec = conv::record_spec(&record, self.sim.sorn.t())?;
        let internal = spec.readout.is_some() && self.sim.sorn.x_internal().is_empty();
        let rules = conv::rules(&freeze, "freeze")?;
        let input = match &inputs {
            Some(a) => Some(conv::input_matrix(a, steps, self.sim.sorn.params().ne)?),
            None => None,
        };
        // Per-call state: a fresh recorder, the input of this call, the rules frozen now.
        let was_active: Vec<Rule> = rules
            .iter()
            .copied()
            .filter(|&r| self.sim.sorn.active_rules().contains(r))
            .collect();
        for &r in &was_active {
            self.sim.sorn.freeze(r);
        }
        let saved_input = input.map(|i| std::mem::replace(&mut self.sim.input, i));
        self.sim.recorder = Recorder::new(spec, &self.sim.sorn);
        self.sim.recorder.reserve(steps);
        if internal {
            self.sim.sorn.track_internal(true);
        }
        let first_step = self.sim.sorn.t() + 1;
        let outcome = run_detached(py, &mut self.sim, steps, progress.as_ref());
        if let Some(i) = saved_input {
            self.sim.input = i;
        }
        for &r in &was_active {
            self.sim.sorn.unfreeze(r);
        }
        if internal {
            self.sim.sorn.track_internal(false);
        }
        let recorder = std::mem::replace(
            &mut self.sim.recorder,
            Recorder::new(RecordSpec::default(), &self.sim.sorn),
        );
        let rec = conv::recordings(py, recorder, first_step, self.sim.sorn.params().ne)?;
        if let Err(e) = outcome {
            // Ctrl-C or an exception from `progress`: what was recorded until then goes with
            // the exception (as `Network.run` does), not into the next call.
            let _ = e.value(py).setattr("recording", rec);
            return Err(e);
        }
        Ok(rec)
    }

    /// Stop `rules` until unfrozen.
    fn freeze(&mut self, rules: Vec<String>) -> PyResult<()> {
        for r in conv::rules(&rules, "rules")? {
            self.sim.sorn.freeze(r);
        }
        Ok(())
    }

    /// Restart `rules`.
    fn unfreeze(&mut self, rules: Vec<String>) -> PyResult<()> {
        for r in conv::rules(&rules, "rules")? {
            self.sim.sorn.unfreeze(r);
        }
        Ok(())
    }

    /// Names of the rules that are on.
    fn active_rules(&self) -> Vec<&'static str> {
        self.sim
            .sorn
            .active_rules()
            .iter()
            .map(|r| r.name())
            .collect()
    }

    /// Steps taken so far.
    #[getter]
    fn t(&self) -> u64 {
        self.sim.sorn.t()
    }

    /// Number of excitatory units.
    #[getter]
    fn ne(&self) -> usize {
        self.sim.sorn.params().ne
    }

    /// Number of inhibitory units.
    #[getter]
    fn ni(&self) -> usize {
        self.sim.sorn.params().ni
    }

    /// FNV-1a fingerprint of every step's active units (as in summary.json).
    #[getter]
    fn spike_hash(&self) -> String {
        format!("{:016x}", self.sim.sorn.spike_hash())
    }

    /// The state: x, y, thresholds and the three weight matrices as (post, pre, w) arrays.
    fn state_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        conv::state_dict(py, &self.sim.sorn)
    }

    /// Replace the state: x, y, thresholds and dense weight matrices (rows = postsynaptic:
    /// W_EE ne × ne, W_EI ne × ni, W_IE ni × ne). Zero entries are absent synapses.
    #[allow(clippy::too_many_arguments)]
    fn set_state(
        &mut self,
        x: PyReadonlyArray1<'_, f64>,
        y: PyReadonlyArray1<'_, f64>,
        te: PyReadonlyArray1<'_, f64>,
        ti: PyReadonlyArray1<'_, f64>,
        w_ee: PyReadonlyArray2<'_, f64>,
        w_ei: PyReadonlyArray2<'_, f64>,
        w_ie: PyReadonlyArray2<'_, f64>,
    ) -> PyResult<()> {
        let (ne, ni) = (self.sim.sorn.params().ne, self.sim.sorn.params().ni);
        for (what, len, want) in [
            ("x", x.len(), ne),
            ("y", y.len(), ni),
            ("te", te.len(), ne),
            ("ti", ti.len(), ni),
        ] {
            conv::check_shape(what, &[len, 1], [want, 1])?;
        }
        conv::check_shape("w_ee", w_ee.shape(), [ne, ne])?;
        conv::check_shape("w_ei", w_ei.shape(), [ne, ni])?;
        conv::check_shape("w_ie", w_ie.shape(), [ni, ne])?;
        // Values the simulation could not continue sensibly from: refused before anything
        // changes, naming the entry.
        let bad = |what: &str, at: String, v: f64, allowed: &str| {
            core_err(neuroplast_core::Error::Config {
                path: format!("{what}[{at}]"),
                msg: format!("bad value {v}; allowed: {allowed}"),
            })
        };
        for (what, a) in [("x", &x), ("y", &y)] {
            if let Some((i, &v)) = a
                .as_slice()?
                .iter()
                .enumerate()
                .find(|(_, &v)| v != 0.0 && v != 1.0)
            {
                return Err(bad(what, i.to_string(), v, "0 or 1"));
            }
        }
        for (what, a) in [("te", &te), ("ti", &ti)] {
            if let Some((i, &v)) = a
                .as_slice()?
                .iter()
                .enumerate()
                .find(|(_, v)| !v.is_finite())
            {
                return Err(bad(what, i.to_string(), v, "finite thresholds"));
            }
        }
        for (what, a) in [("w_ee", &w_ee), ("w_ei", &w_ei), ("w_ie", &w_ie)] {
            if let Some(((i, j), &v)) = a
                .as_array()
                .indexed_iter()
                .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
            {
                return Err(bad(what, format!("{i}, {j}"), v, "finite weights ≥ 0"));
            }
        }
        if let Some(i) = (0..ne).find(|&i| w_ee.as_array()[[i, i]] != 0.0) {
            return Err(bad(
                "w_ee",
                format!("{i}, {i}"),
                w_ee.as_array()[[i, i]],
                "0 on the diagonal (no self-connections)",
            ));
        }
        let (ee_cols, ee) = conv::dense_rows(&w_ee);
        let (ei_cols, ei) = conv::dense_rows(&w_ei);
        let (ie_cols, ie) = conv::dense_rows(&w_ie);
        let s = self.sim.sorn.state_mut();
        *s.x = x.as_slice()?.to_vec();
        *s.y = y.as_slice()?.to_vec();
        *s.te = te.as_slice()?.to_vec();
        *s.ti = ti.as_slice()?.to_vec();
        *s.w_ee = SparseRows::from_rows(ee_cols, ee);
        *s.w_ei = SparseRows::from_rows_packed(ei_cols, ei);
        *s.w_ie = SparseRows::from_rows_packed(ie_cols, ie);
        Ok(())
    }

    /// The resolved parameters as TOML text.
    fn params_toml(&self) -> PyResult<String> {
        conv::params_toml(self.sim.sorn.params())
    }
}

/// An experiment file (`neuroplast.load_experiment` wraps it).
#[pyclass(module = "neuroplast._neuroplast", name = "ExperimentCore")]
struct ExperimentCore {
    exp: Experiment,
}

#[pymethods]
impl ExperimentCore {
    /// Load and validate `path` with `overrides` (`key.path=value`).
    #[new]
    #[pyo3(signature = (path, overrides=Vec::new()))]
    fn new(path: PathBuf, overrides: Vec<String>) -> PyResult<Self> {
        Ok(ExperimentCore {
            exp: Experiment::load(&path, &overrides).to_py()?,
        })
    }

    /// Steps the file asks for.
    #[getter]
    fn steps(&self) -> u64 {
        self.exp.steps()
    }

    /// (N_E, N_I) of the resolved parameters.
    #[getter]
    fn sizes(&self) -> (usize, usize) {
        (self.exp.params.ne, self.exp.params.ni)
    }

    /// The fully resolved configuration (what the CLI writes as config.toml).
    fn resolved_toml(&self) -> String {
        self.exp.resolved_toml()
    }

    /// Build the simulation the CLI would run.
    fn build(&self) -> PyResult<SornCore> {
        Ok(SornCore {
            sim: self.exp.build().to_py()?,
        })
    }

    /// Run the experiment as the CLI does (same schedule, recordings and spikes) and return
    /// (steps done, spike hash, recordings).
    #[pyo3(signature = (steps=None, progress=None))]
    fn run<'py>(
        &self,
        py: Python<'py>,
        steps: Option<u64>,
        progress: Option<Bound<'py, PyAny>>,
    ) -> PyResult<(u64, String, Bound<'py, PyDict>)> {
        let mut sim = self.exp.build().to_py()?;
        let steps = steps.unwrap_or(self.exp.steps());
        sim.recorder.reserve(steps);
        let first_step = sim.sorn.t() + 1;
        let done = run_detached(py, &mut sim, steps, progress.as_ref())?;
        let hash = format!("{:016x}", sim.sorn.spike_hash());
        let ne = sim.sorn.params().ne;
        let rec = conv::recordings(py, sim.recorder, first_step, ne)?;
        Ok((done, hash, rec))
    }
}

/// The compiled module.
#[pymodule]
fn _neuroplast(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<SornCore>()?;
    m.add_class::<ExperimentCore>()?;
    errors::register(m)?;
    analysis::register(m)?;
    spiking::register(m)?;
    protocol::register(m)?;
    m.add("__version__", checkpoint::NEUROPLAST_VERSION)?;
    m.add("PRESETS", conv::preset_names())?;
    Ok(())
}
