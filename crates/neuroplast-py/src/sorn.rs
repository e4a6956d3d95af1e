//! A SORN from Python (`neuroplast.sorn.Sorn` wraps [`SornCore`]): built from typed keyword
//! values, run through [`run_detached`], state in and out as numpy arrays.

use neuroplast_config::SornExperiment;
use neuroplast_core::checkpoint;
use neuroplast_core::engine::Engine;
use neuroplast_core::monitor::{RecordSpec, Recorder};
use neuroplast_core::simulation::Simulation;
use neuroplast_core::sorn::Rule;
use numpy::{PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyMapping};

use crate::conv::{self, Span};
use crate::errors::{core_err, ToPyResult};
use crate::run::{self, run_detached};

/// A SORN simulation: network, input, recorder.
#[pyclass(module = "neuroplast._neuroplast", name = "SornCore")]
pub struct SornCore {
    pub(crate) sim: Simulation,
}

#[pymethods]
impl SornCore {
    /// Build from typed values: the preset, N_E, the master seed (any u64), threads, and any
    /// `[sorn]` parameter as Python values (converted in `conv::config_value`, resolved and
    /// validated by the config: errors name `sorn.<key>`).
    #[new]
    #[pyo3(signature = (preset, ne, seed, threads, params))]
    fn new(
        preset: &Bound<'_, PyAny>,
        ne: &Bound<'_, PyAny>,
        seed: u64,
        threads: usize,
        params: &Bound<'_, PyMapping>,
    ) -> PyResult<Self> {
        let mut table = toml::Table::new();
        table.insert("preset".into(), conv::config_value(preset, "sorn.preset")?);
        table.insert("ne".into(), conv::config_value(ne, "sorn.ne")?);
        table.extend(conv::config_table(params, "sorn")?);
        let exp = SornExperiment::from_parts(table, seed, threads, "Sorn()").to_py()?;
        Ok(SornCore {
            sim: exp.build_simulation().to_py()?,
        })
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
    /// 0…units−1) if given. Returns the recording as a dict of numpy arrays
    /// (`conv::recording`), with `profile` when `profile` is true.
    #[pyo3(signature = (steps, record, freeze, inputs=None, progress=None, profile=false))]
    #[allow(clippy::too_many_arguments)] // reason: the keyword arguments of Sorn.run
    fn run<'py>(
        &mut self,
        py: Python<'py>,
        steps: u64,
        record: Vec<String>,
        freeze: Vec<String>,
        inputs: Option<PyReadonlyArray2<'py, f64>>,
        progress: Option<Bound<'py, PyAny>>,
        profile: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let t0 = self.sim.sorn.t();
        let spec = conv::record_spec(&record, t0, steps)?;
        let rules = conv::rules(&freeze, "freeze")?;
        let input = match &inputs {
            Some(a) => Some(conv::input_matrix(a, steps, self.sim.sorn.params().ne)?),
            None => None,
        };
        // Per-call state: a fresh recorder, the input of this call, the rules frozen now.
        let call = Call::begin(&mut self.sim, spec, &rules, input, steps);
        self.sim.set_profile(profile);
        let outcome = run_detached(py, &mut self.sim, steps, progress.as_ref());
        let prof = run::profile(&self.sim);
        self.sim.set_profile(false);
        let internal = call.end(&mut self.sim);
        let ne = self.sim.sorn.params().ne;
        let add = |d: &Bound<'py, PyDict>| -> PyResult<()> {
            if let Some(tr) = internal {
                d.set_item("internal", conv::internal(py, tr, ne)?)?;
            }
            if let Some(p) = &prof {
                d.set_item("profile", conv::json(py, p)?)?;
            }
            Ok(())
        };
        match outcome {
            Ok((_, rec)) => {
                let d = conv::recording(py, rec, &Span::of(&self.sim, t0))?;
                add(&d)?;
                Ok(d)
            }
            Err(e) => {
                // Ctrl-C or an exception from `progress`: what was recorded until then goes
                // with the exception (run_detached attached it), not into the next call.
                if let Ok(d) = e.value(py).getattr("recording") {
                    if let Ok(d) = d.cast::<PyDict>() {
                        let _ = add(d);
                    }
                }
                Err(e)
            }
        }
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

    /// The figures of the run so far (summary.json's engine entries).
    fn summary<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        conv::to_py(py, &self.sim.summary())
    }

    /// The state: x, y, thresholds and the three weight matrices as (post, pre, w) arrays.
    fn state_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        conv::state_dict(py, &self.sim.sorn)
    }

    /// Replace the state: x, y, thresholds and dense weight matrices (rows = postsynaptic:
    /// W_EE ne × ne, W_EI ne × ni, W_IE ni × ne); zero entries are absent synapses. The core
    /// checks it (`Sorn::set_state`): a bad entry is named, nothing changes.
    #[allow(clippy::too_many_arguments)] // reason: the seven arrays of a SORN state, by name
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
        let state = conv::sorn_state(&x, &y, &te, &ti, &w_ee, &w_ei, &w_ie);
        self.sim.sorn.set_state(state).map_err(core_err)
    }

    /// The resolved parameters as TOML text (for reading; `Sorn(...)` takes typed values).
    fn params_toml(&self) -> PyResult<String> {
        conv::params_toml(self.sim.sorn.params())
    }
}

/// What one `Sorn.run` call changes for its duration only, and puts back.
struct Call {
    frozen: Vec<Rule>,
    input: Option<neuroplast_core::sorn::input::Input>,
    internal: bool,
}

impl Call {
    /// Freeze `rules` (those that are on), swap in `input`, record `spec` from now on.
    fn begin(
        sim: &mut Simulation,
        spec: RecordSpec,
        rules: &[Rule],
        input: Option<neuroplast_core::sorn::input::Input>,
        steps: u64,
    ) -> Call {
        let frozen: Vec<Rule> = rules
            .iter()
            .copied()
            .filter(|&r| sim.sorn.active_rules().contains(r))
            .collect();
        for &r in &frozen {
            sim.sorn.freeze(r);
        }
        let internal = spec.readout.is_some() && sim.sorn.x_internal().is_empty();
        let input = input.map(|i| std::mem::replace(&mut sim.input, i));
        sim.recorder = Recorder::new(spec, &sim.sorn);
        sim.recorder.reserve(steps);
        if internal {
            sim.sorn.track_internal(true);
        }
        Call {
            frozen,
            input,
            internal,
        }
    }

    /// Put everything back; returns the readout trace (`internal`) if it was recorded.
    fn end(self, sim: &mut Simulation) -> Option<neuroplast_core::monitor::ReadoutTrace> {
        if let Some(i) = self.input {
            sim.input = i;
        }
        for &r in &self.frozen {
            sim.sorn.unfreeze(r);
        }
        if self.internal {
            sim.sorn.track_internal(false);
        }
        let recorder = std::mem::replace(
            &mut sim.recorder,
            Recorder::new(RecordSpec::default(), &sim.sorn),
        );
        let mut recorder = recorder;
        recorder
            .spec
            .readout
            .is_some()
            .then(|| recorder.take_readout())
    }
}
