//! `neuroplast._neuroplast`: the compiled half of the Python package.
//!
//! Thin by rule (STYLE.md, "Python bindings stay thin"): each method converts its arguments
//! (in `conv.rs`), calls the core or the config crate, and maps errors (in `errors.rs`). Every
//! run goes through one loop written against the core's `Engine` (`run.rs`: `run_detached`
//! releases the GIL, runs in slices of at most 50 ms, checks for Ctrl-C between them and
//! drains the recordings), and one function turns a `Recording` into Python's dict
//! (`conv::recording`). The user-facing classes with docstrings and keyword handling live in
//! `python/neuroplast/`.
//!
//! | file | what |
//! |---|---|
//! | `run.rs` | `run_detached`, the summary of a run from a file, per-phase profiles |
//! | `conv.rs` | every conversion: keyword values, names, arrays, recordings, reports |
//! | `errors.rs` | the exception classes and the mapping of core/config errors to them |
//! | `experiment.rs` | `ExperimentCore`: a file of any kind, run as the CLI runs it |
//! | `sorn.rs` | `SornCore`: a SORN built from typed keywords, driven call by call |
//! | `spiking.rs` | `NetworkCore`: a spiking network built from a file, driven call by call |
//! | `analysis.rs` | the core's analyses on numpy arrays |

use neuroplast_core::checkpoint;
use pyo3::prelude::*;

mod analysis;
mod conv;
mod errors;
mod experiment;
mod run;
mod sorn;
mod spiking;

/// The compiled module.
#[pymodule]
fn _neuroplast(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<sorn::SornCore>()?;
    m.add_class::<experiment::ExperimentCore>()?;
    errors::register(m)?;
    analysis::register(m)?;
    spiking::register(m)?;
    m.add("__version__", checkpoint::NEUROPLAST_VERSION)?;
    m.add("PRESETS", conv::preset_names())?;
    Ok(())
}
