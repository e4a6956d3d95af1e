//! Experiment files of every kind from Python (`neuroplast.load_experiment` wraps
//! [`ExperimentCore`]): loaded by `neuroplast_config::load`, run through [`run_detached`] as
//! the command line runs them (chunks drained, then what the run ends with), reported with
//! the command line's summary entries.

use std::path::PathBuf;
use std::time::Instant;

use neuroplast_config::spiking::SpikingExperiment;
use neuroplast_config::{Experiment, SornExperiment};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::conv::{self, Span};
use crate::errors::ToPyResult;
use crate::run::{self, run_detached};
use crate::sorn::SornCore;
use crate::spiking::NetworkCore;

/// A validated experiment file of any kind.
#[pyclass(module = "neuroplast._neuroplast", name = "ExperimentCore")]
pub struct ExperimentCore {
    exp: Box<dyn Experiment>,
}

#[pymethods]
impl ExperimentCore {
    /// Load and validate `path` with `overrides` (`key.path=value`, as the CLI's `--set`) and,
    /// if given, the master `seed` (as the CLI's `--seed`, for every kind of file).
    #[new]
    #[pyo3(signature = (path, overrides=Vec::new(), seed=None))]
    fn new(path: PathBuf, overrides: Vec<String>, seed: Option<u64>) -> PyResult<Self> {
        let mut exp = neuroplast_config::load(&path, &overrides).to_py()?;
        if let Some(seed) = seed {
            exp.set_seed(seed).to_py()?;
        }
        Ok(ExperimentCore { exp })
    }

    /// `"sorn"`, `"spiking"` or `"protocol"`.
    #[getter]
    fn kind(&self) -> &'static str {
        self.exp.kind().name()
    }

    /// The file's name (as errors show it).
    #[getter]
    fn name(&self) -> &str {
        self.exp.name()
    }

    /// Steps of one run as the file states them.
    #[getter]
    fn steps(&self) -> u64 {
        self.exp.steps()
    }

    /// The master seed.
    #[getter]
    fn seed(&self) -> u64 {
        self.exp.seed()
    }

    /// Threads the file asks for.
    #[getter]
    fn threads(&self) -> usize {
        self.exp.threads()
    }

    /// The step in ms (`None` for SORN's dimensionless steps).
    #[getter]
    fn dt_ms(&self) -> Option<f64> {
        self.exp.dt_ms()
    }

    /// The fully resolved configuration (what the CLI writes as config.toml).
    fn resolved_toml(&self) -> String {
        self.exp.resolved_toml()
    }

    /// Run as `neuroplast run` does (same engine, chunks, what the run ends with) for `steps`
    /// steps (default: the file's, or the rest of a protocol) with `threads` threads (default:
    /// the file's); returns (summary, recording) as dicts (`run::summary`,
    /// `conv::recording`). `profile` times every phase into the summary's `profile`.
    #[pyo3(signature = (steps=None, progress=None, profile=false, threads=None))]
    fn run<'py>(
        &self,
        py: Python<'py>,
        steps: Option<u64>,
        progress: Option<Bound<'py, PyAny>>,
        profile: bool,
        threads: Option<usize>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyDict>)> {
        let mut exp = self.exp.clone();
        if let Some(s) = steps {
            exp.set_steps(s).to_py()?;
        }
        if let Some(t) = threads {
            exp.set_threads(t).to_py()?;
        }
        let mut engine = exp.build().to_py()?;
        engine.set_profile(profile);
        let start = engine.step_count();
        let steps = steps.unwrap_or_else(|| engine.remaining().unwrap_or(exp.steps()));
        let t0 = Instant::now();
        let (_, mut rec) = run_detached(py, &mut *engine, steps, progress.as_ref())?;
        let seconds = t0.elapsed().as_secs_f64();
        rec.append(engine.finish());
        let activity_first_step = rec.counts.first().map(|c| c.first_step);
        let summary = run::summary(&*exp, &*engine, start, seconds, activity_first_step)?;
        let span = Span::of(&*engine, start);
        Ok((conv::json(py, &summary)?, conv::recording(py, rec, &span)?))
    }

    /// The SORN network the CLI would run (a SORN file only), to drive by hand.
    fn sorn(&self) -> PyResult<SornCore> {
        let exp = self.concrete::<SornExperiment>("a SORN file ([sorn])")?;
        Ok(SornCore {
            sim: exp.build_simulation().to_py()?,
        })
    }

    /// The spiking network the CLI would run (a spiking file only), to drive by hand.
    fn network(&self) -> PyResult<NetworkCore> {
        let exp = self.concrete::<SpikingExperiment>("a spiking file ([populations])")?;
        NetworkCore::new(exp.clone())
    }
}

impl ExperimentCore {
    /// The experiment as its concrete type `E`, or a ValueError naming what it is.
    fn concrete<E: 'static>(&self, wanted: &str) -> PyResult<&E> {
        self.exp.as_any().downcast_ref::<E>().ok_or_else(|| {
            pyo3::exceptions::PyValueError::new_err(format!(
                "{} is a {} experiment, not {wanted}; run it with .run()",
                self.exp.name(),
                self.exp.kind().name()
            ))
        })
    }
}
