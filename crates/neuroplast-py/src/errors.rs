//! The Python exception hierarchy: `NeuroplastError` and one subclass per kind of core or
//! configuration error, each carrying the key path (`.path`) it concerns.

use neuroplast_config::{ConfigError as CfgError, RestoreError};
use neuroplast_core::Error;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    _neuroplast,
    NeuroplastError,
    PyException,
    "Base class of every neuroplast error."
);
create_exception!(
    _neuroplast,
    ConfigError,
    NeuroplastError,
    "A parameter or experiment-file value is missing, of the wrong type or out of range; \
     `.path` is its key path (e.g. `sorn.noise_sigma`)."
);
create_exception!(
    _neuroplast,
    ShapeError,
    NeuroplastError,
    "An array (input matrix, recording) has the wrong shape."
);
create_exception!(
    _neuroplast,
    RuleError,
    NeuroplastError,
    "A plasticity rule name that does not exist."
);
create_exception!(
    _neuroplast,
    CheckpointError,
    NeuroplastError,
    "A saved state that this version cannot read."
);

/// Add the exception classes to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("NeuroplastError", py.get_type::<NeuroplastError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("ShapeError", py.get_type::<ShapeError>())?;
    m.add("RuleError", py.get_type::<RuleError>())?;
    m.add("CheckpointError", py.get_type::<CheckpointError>())?;
    Ok(())
}

/// A [`ConfigError`] for `path` with message `path: msg`.
pub fn config_err(path: &str, msg: String) -> PyErr {
    let text = if path.is_empty() {
        msg
    } else {
        format!("{path}: {msg}")
    };
    with_path::<ConfigError>(text, path)
}

/// An exception of class `E` with message `msg` and attribute `path`.
fn with_path<E: pyo3::PyTypeInfo>(msg: String, path: &str) -> PyErr {
    Python::attach(|py| {
        let err = PyErr::new::<E, _>(msg);
        // Best effort: an attribute that cannot be set leaves the message intact.
        let _ = err.value(py).setattr("path", path);
        err
    })
}

/// A core error as the matching Python exception.
pub fn core_err(e: Error) -> PyErr {
    let msg = e.to_string();
    match e {
        Error::Config { path, .. } => with_path::<ConfigError>(msg, &path),
        Error::ShapeMismatch { what, .. } => with_path::<ShapeError>(msg, &what),
        Error::UnknownRule { path, .. } => with_path::<RuleError>(msg, &path),
        Error::Checkpoint(_) => with_path::<CheckpointError>(msg, ""),
        Error::Interrupted => PyErr::new::<pyo3::exceptions::PyKeyboardInterrupt, _>(msg),
    }
}

/// `Result<T, ConfigError>` → `PyResult<T>`.
pub trait ToPyResult<T> {
    /// Convert, keeping the key path.
    fn to_py(self) -> PyResult<T>;
}

/// A configuration error as a [`ConfigError`]. A file-level problem (cannot read, TOML syntax)
/// names the file. The command line's flags are Python's keyword arguments of the same name
/// (`--steps` → `steps`), so an error about one names the keyword.
pub fn cfg_err(e: CfgError) -> PyErr {
    let path = e.path.strip_prefix("--").unwrap_or(&e.path);
    let msg = if path.is_empty() {
        format!("{}: {}", e.file, e.msg)
    } else {
        format!("{path}: {}", e.msg)
    };
    with_path::<ConfigError>(msg, path)
}

impl<T> ToPyResult<T> for Result<T, CfgError> {
    fn to_py(self) -> PyResult<T> {
        self.map_err(cfg_err)
    }
}

impl<T> ToPyResult<T> for Result<T, RestoreError> {
    /// Unreadable bytes are a [`CheckpointError`]; a checkpoint of another network a
    /// [`ConfigError`] naming what differs.
    fn to_py(self) -> PyResult<T> {
        self.map_err(|e| match e {
            RestoreError::Unreadable(e) => core_err(e),
            RestoreError::Differs(e) => cfg_err(e),
        })
    }
}
