//! `--set key.path=value` overrides, applied to the TOML table before it is resolved, so
//! they are validated exactly like values written in the file.

use crate::{ConfigError, Result};

/// Apply one `key.path=value` override. The value is read as TOML (`0.1`, `true`, `[1, 2]`,
/// `"text"`, `{ kind = "dense" }`); anything that is not valid TOML is taken as a string.
///
/// ```
/// let mut t: toml::Table = "[sorn]\nne = 200".parse().unwrap();
/// neuroplast_config::overrides::apply(&mut t, "sorn.ne=400").unwrap();
/// neuroplast_config::overrides::apply(&mut t, "sorn.preset=zheng2013").unwrap();
/// assert_eq!(t["sorn"]["ne"].as_integer(), Some(400));
/// assert_eq!(t["sorn"]["preset"].as_str(), Some("zheng2013"));
/// ```
pub fn apply(table: &mut toml::Table, assignment: &str) -> Result<()> {
    let err = |path: &str, msg: String| ConfigError::new("--set", path, msg);
    let (path, raw) = assignment
        .split_once('=')
        .ok_or_else(|| err("", format!("expected key.path=value, got {assignment:?}")))?;
    let path = path.trim();
    let keys: Vec<&str> = path.split('.').collect();
    if keys.iter().any(|k| k.is_empty()) {
        return Err(err(path, "empty key in path".into()));
    }
    let value = parse_value(raw.trim());
    let (last, parents) = keys.split_last().expect("at least one key");
    let mut cur = table;
    for (depth, k) in parents.iter().enumerate() {
        let entry = cur
            .entry(k.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        cur = match entry {
            toml::Value::Table(t) => t,
            other => {
                return Err(err(
                    &keys[..=depth].join("."),
                    format!(
                        "is a {}, not a table, so {path} cannot be set",
                        other.type_str()
                    ),
                ))
            }
        };
    }
    cur.insert(last.to_string(), value);
    Ok(())
}

fn parse_value(raw: &str) -> toml::Value {
    format!("v = {raw}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()))
}
