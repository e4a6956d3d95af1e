//! Configuration errors: always the file, the key path, and what is wrong.

use std::fmt;

/// A configuration problem, reported before anything runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The experiment file (or `--set` for command-line overrides).
    pub file: String,
    /// Key path, e.g. `sorn.noise_sigma` or `schedule[1].freeze[0]`; empty for file-level
    /// problems such as TOML syntax.
    pub path: String,
    /// What is wrong: the bad value and what is allowed.
    pub msg: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}: {}", self.file, self.msg)
        } else {
            write!(f, "{}: {}: {}", self.file, self.path, self.msg)
        }
    }
}

impl std::error::Error for ConfigError {}

impl ConfigError {
    /// A new error.
    pub fn new(file: impl Into<String>, path: impl Into<String>, msg: impl Into<String>) -> Self {
        ConfigError {
            file: file.into(),
            path: path.into(),
            msg: msg.into(),
        }
    }

    /// Wrap a core error, keeping its key path.
    pub fn from_core(file: &str, e: neuroplast_core::Error) -> Self {
        use neuroplast_core::Error as E;
        match e {
            E::Config { path, msg } => ConfigError::new(file, path, msg),
            E::UnknownRule { path, name } => ConfigError::new(
                file,
                path,
                format!("unknown plasticity rule {name:?}; allowed: stdp, ip, sn, istdp, sp"),
            ),
            E::ShapeMismatch {
                what,
                expected,
                got,
            } => ConfigError::new(file, what, format!("expected shape {expected}, got {got}")),
            other => ConfigError::new(file, "", other.to_string()),
        }
    }

    /// Turn a `serde_path_to_error` failure into a key-path error, prefixing `prefix`.
    pub(crate) fn from_serde(
        file: &str,
        prefix: &str,
        e: serde_path_to_error::Error<toml::de::Error>,
    ) -> Self {
        let inner = e.path().to_string();
        let mut path = match (prefix.is_empty(), inner.as_str()) {
            (_, ".") => prefix.to_string(),
            (true, p) => p.to_string(),
            (false, p) => format!("{prefix}.{p}"),
        };
        let msg = e.into_inner().message().trim().to_string();
        // Inside tagged enums serde reports an unknown field at the enum's path: name the
        // field itself.
        if let Some(field) = msg
            .strip_prefix("unknown field `")
            .and_then(|r| r.split('`').next())
        {
            if !path.ends_with(field) {
                path = if path.is_empty() {
                    field.to_string()
                } else {
                    format!("{path}.{field}")
                };
            }
        }
        // Say Rust's type names in words.
        let msg = msg
            .replace("expected u64", "expected an integer ≥ 0")
            .replace("expected usize", "expected an integer ≥ 0")
            .replace("expected u32", "expected an integer ≥ 0")
            .replace("expected f64", "expected a number");
        ConfigError::new(file, path, msg)
    }
}

/// `Result` with [`ConfigError`].
pub type Result<T> = std::result::Result<T, ConfigError>;
