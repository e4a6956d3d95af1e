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

    /// A key-path error from an inner path (`serde_path_to_error`'s spelling: `a.b[2].c`, or
    /// `.` for the root) and serde's message, prefixing `prefix`.
    fn from_parts(file: &str, prefix: &str, inner: &str, msg: &str) -> Self {
        let mut path = match (prefix.is_empty(), inner) {
            (_, ".") => prefix.to_string(),
            (true, p) => p.to_string(),
            (false, p) if p.starts_with('[') => format!("{prefix}{p}"),
            (false, p) => format!("{prefix}.{p}"),
        };
        let msg = msg.trim();
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

/// Deserialize `T` from `value`, the part of `file` at key path `prefix` (empty for the whole
/// file), with an error that names the key of the bad value.
///
/// `serde_path_to_error` follows the path through structs, maps and sequences, but not into
/// the tables of tagged enums (`kind = "…"`: connectors, inputs, rules, protocols): serde
/// buffers those before it knows the variant, so a bad value there is reported at the
/// table. When that happens the table is narrowed down by taking its keys out one at a time
/// and reading again: the key whose removal changes the error holds the bad value. This
/// runs only after a failure, on a few small tables.
pub(crate) fn deserialize<T: serde::de::DeserializeOwned>(
    value: toml::Value,
    file: &str,
    prefix: &str,
) -> Result<T> {
    let first = match serde_path_to_error::deserialize::<_, T>(value.clone()) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    let inner = first.path().to_string();
    let mut msg = first.inner().message().to_string();
    let about_keys = msg.starts_with("unknown field") || msg.starts_with("missing field");
    let at = if about_keys {
        None
    } else {
        segments(first.path()).map(|at| narrow::<T>(&value, at, (&inner, &msg)))
    };
    // serde's type errors quote the value; the messages of untagged enums (`expecting = …`)
    // do not: add it.
    if !about_keys && !msg.starts_with("invalid") && !msg.starts_with("unknown variant") {
        if let Some(bad) = at.as_deref().and_then(|at| get(&value, at)) {
            if !bad.is_table() {
                msg = format!("{msg}; got {bad}");
            }
        }
    }
    let inner = match at {
        Some(at) if !at.is_empty() => spell(&at),
        _ => inner,
    };
    Err(ConfigError::from_parts(file, prefix, &inner, &msg))
}

/// One step of a key path inside a TOML document.
#[derive(Clone, Debug, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// The keys a tagged enum reads its variant from: they are blamed only when the error is
/// about the variant itself.
const TAGS: [&str; 3] = ["kind", "model", "method"];

fn segments(path: &serde_path_to_error::Path) -> Option<Vec<Step>> {
    use serde_path_to_error::Segment;
    path.iter()
        .map(|s| match s {
            Segment::Seq { index } => Some(Step::Index(*index)),
            Segment::Map { key } => Some(Step::Key(key.clone())),
            Segment::Enum { variant } => Some(Step::Key(variant.clone())),
            Segment::Unknown => None,
        })
        .collect()
}

fn spell(at: &[Step]) -> String {
    let mut s = String::new();
    for step in at {
        match step {
            Step::Key(k) if s.is_empty() => s.push_str(k),
            Step::Key(k) => {
                s.push('.');
                s.push_str(k);
            }
            Step::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

fn get<'a>(root: &'a toml::Value, at: &[Step]) -> Option<&'a toml::Value> {
    at.iter().try_fold(root, |v, step| match (v, step) {
        (toml::Value::Table(t), Step::Key(k)) => t.get(k),
        (toml::Value::Array(a), Step::Index(i)) => a.get(*i),
        _ => None,
    })
}

fn get_mut<'a>(root: &'a mut toml::Value, at: &[Step]) -> Option<&'a mut toml::Value> {
    at.iter().try_fold(root, |v, step| match (v, step) {
        (toml::Value::Table(t), Step::Key(k)) => t.get_mut(k),
        (toml::Value::Array(a), Step::Index(i)) => a.get_mut(*i),
        _ => None,
    })
}

/// From the table at `at` (where serde stopped), follow the child whose removal changes the
/// error, as long as there is exactly such a child and it is a table or an array of tables.
fn narrow<T: serde::de::DeserializeOwned>(
    root: &toml::Value,
    mut at: Vec<Step>,
    error: (&str, &str),
) -> Vec<Step> {
    let differs = |doc: toml::Value| match serde_path_to_error::deserialize::<_, T>(doc) {
        Ok(_) => true,
        Err(e) => (e.path().to_string().as_str(), e.inner().message()) != error,
    };
    // Tables nest a handful deep; the bound only guards against a malformed path.
    for _ in 0..32 {
        let children: Vec<Step> = match get(root, &at) {
            Some(toml::Value::Table(t)) => {
                let about_variant = error.1.starts_with("unknown variant")
                    || TAGS.iter().any(|k| t.get(*k).is_some_and(|v| !v.is_str()));
                // A tag key is tried last: taking it out always changes the error.
                let (tags, fields): (Vec<&String>, Vec<&String>) =
                    t.keys().partition(|k| TAGS.contains(&k.as_str()));
                let tags = if about_variant { tags } else { Vec::new() };
                fields
                    .into_iter()
                    .chain(tags)
                    .map(|k| Step::Key(k.clone()))
                    .collect()
            }
            Some(toml::Value::Array(a)) if a.iter().all(|v| v.is_table()) => {
                (0..a.len()).map(Step::Index).collect()
            }
            _ => break,
        };
        let culprit = children.into_iter().find(|child| {
            let mut doc = root.clone();
            match (get_mut(&mut doc, &at), child) {
                (Some(toml::Value::Table(t)), Step::Key(k)) => {
                    t.remove(k);
                }
                (Some(toml::Value::Array(a)), Step::Index(i)) => {
                    a.remove(*i);
                }
                _ => return false,
            }
            differs(doc)
        });
        match culprit {
            Some(child) => at.push(child),
            None => break,
        }
    }
    at
}

/// `Result` with [`ConfigError`].
pub type Result<T> = std::result::Result<T, ConfigError>;
