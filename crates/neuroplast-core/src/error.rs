//! The one error type of the engine.
//!
//! Every fallible operation (building a network, loading a checkpoint, changing a rule)
//! returns [`Result`]. Errors name the object and the configuration key path they concern,
//! so the command line and Python can show them as-is. `step()` never fails: everything is
//! validated before a network exists.

use std::fmt;

/// Everything that can go wrong in `neuroplast-core`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A parameter is out of range or inconsistent. `path` is the configuration key path
    /// (e.g. `sorn.noise_sigma`), `msg` says what was given and what is allowed.
    #[error("{path}: {msg}")]
    Config {
        /// Key path of the offending parameter, as written in an experiment file.
        path: String,
        /// What is wrong: the bad value and what is allowed.
        msg: String,
    },
    /// An array has the wrong shape.
    #[error("{what}: expected shape {expected}, got {got}")]
    ShapeMismatch {
        /// Which array (a key path where there is one).
        what: String,
        /// The shape that was needed, e.g. `(10, ≥ 5000)`.
        expected: String,
        /// The shape that was given.
        got: String,
    },
    /// A plasticity rule name that does not exist.
    #[error("{path}: unknown plasticity rule {name:?}; allowed: stdp, ip, sn, istdp, sp")]
    UnknownRule {
        /// Key path where the name appeared.
        path: String,
        /// The name that was given.
        name: String,
    },
    /// A checkpoint that cannot be read by this version.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    /// A run was asked to stop (Ctrl-C) before it finished.
    #[error("interrupted")]
    Interrupted,
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Shorthand for [`Error::Config`].
    pub fn config(path: impl fmt::Display, msg: impl fmt::Display) -> Self {
        Error::Config {
            path: path.to_string(),
            msg: msg.to_string(),
        }
    }
}

/// Return `Err(Error::Config { path, msg })` unless `cond` holds.
///
/// ```
/// # use neuroplast_core::{ensure, Result};
/// fn check(sigma: f64) -> Result<()> {
///     ensure!(sigma >= 0.0, "sorn.noise_sigma", "must be ≥ 0, got {sigma}");
///     Ok(())
/// }
/// assert!(check(-1.0).unwrap_err().to_string().contains("sorn.noise_sigma"));
/// ```
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $path:expr, $($fmt:tt)+) => {
        if !($cond) {
            return Err($crate::Error::config($path, format!($($fmt)+)));
        }
    };
}
