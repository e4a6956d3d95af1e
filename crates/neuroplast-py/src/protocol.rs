//! Protocol experiments (`[protocol]` files) from Python: run one and get its acceptance
//! figures (the `results` of the command line's summary.json, without the data files).

use std::path::PathBuf;

use neuroplast_config::AnyExperiment;
use neuroplast_core::experiments::{self as ex, ProtocolSpec};
use pyo3::prelude::*;

use crate::errors::{core_err, ToPyResult};

/// Run a protocol file (with `key.path=value` overrides) with the GIL released; returns the
/// acceptance figures as JSON text. Ctrl-C stops it (KeyboardInterrupt).
#[pyfunction]
#[pyo3(signature = (path, overrides=Vec::new()))]
fn run_protocol_json(py: Python<'_>, path: PathBuf, overrides: Vec<String>) -> PyResult<String> {
    let exp = match AnyExperiment::load(&path, &overrides).to_py()? {
        AnyExperiment::Protocol(e) => *e,
        _ => {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "{} is not a protocol file (it has no [protocol]); use neuroplast.load_experiment",
                path.display()
            )))
        }
    };
    let seed = exp.seed();
    let spec = exp.file.protocol.clone();
    let result = py.detach(move || {
        // Ctrl-C: look at Python's signals now and then (with the GIL, briefly)
        let mut last = std::time::Instant::now();
        let mut progress = |_: f64| {
            if last.elapsed().as_millis() < 100 {
                return true;
            }
            last = std::time::Instant::now();
            Python::attach(|py| py.check_signals().is_ok())
        };
        let json = |v: Result<serde_json::Value, serde_json::Error>| {
            v.map(|v| v.to_string())
                .map_err(|e| neuroplast_core::Error::config("protocol", e.to_string()))
        };
        match &spec {
            ProtocolSpec::Polychronization(p) => ex::polychronization::run(p, seed, &mut progress)
                .and_then(|o| json(serde_json::to_value(&o.summary))),
            ProtocolSpec::Sorf(p) => ex::sorf::run(p, seed, &mut progress)
                .and_then(|o| json(serde_json::to_value(&o.summary))),
            ProtocolSpec::Characters(p) => ex::characters::run(p, seed, &mut progress)
                .and_then(|o| json(serde_json::to_value(&o.summary))),
            ProtocolSpec::Drn(p) => ex::drn::run(p, seed, &mut progress)
                .and_then(|o| json(serde_json::to_value(&o.summary))),
        }
    });
    result.map_err(core_err)
}

/// Register the protocol functions.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(run_protocol_json, m)?)
}
