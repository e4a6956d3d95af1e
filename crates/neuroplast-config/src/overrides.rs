//! `--set key.path=value` overrides, applied to the TOML table before it is resolved, so
//! they are validated exactly like values written in the file.

use crate::{ConfigError, Result};

/// Apply one `key.path=value` override. The value is read as TOML (`0.1`, `true`, `[1, 2]`,
/// `"text"`, `{ kind = "dense" }`); anything else that is not valid TOML is taken as a string
/// (`preset=zheng2013`), but a value that starts like an array, inline table or quoted string
/// must be valid TOML.
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
    let value = parse_value(raw.trim()).map_err(|e| err(path, e))?;
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

fn parse_value(raw: &str) -> std::result::Result<toml::Value, String> {
    match format!("v = {raw}").parse::<toml::Table>() {
        Ok(mut t) => Ok(t.remove("v").expect("the key just written")),
        Err(e) if raw.starts_with(['[', '{', '"', '\'']) => {
            let why = e.message().trim().lines().collect::<Vec<_>>().join(": ");
            let hint = if raw.starts_with(['[', '{']) {
                "; strings inside need quotes, e.g. [\"stdp\", \"ip\"] or { kind = \"dense\" }"
            } else {
                ""
            };
            Err(format!("{raw} is not a valid TOML value ({why}){hint}"))
        }
        Err(_) => Ok(toml::Value::String(raw.to_string())),
    }
}
