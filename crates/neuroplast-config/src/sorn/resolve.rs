//! The `[sorn]` table over its preset: every key replaces the preset's value, except a table
//! without `kind`, which changes the named fields of the preset's table.

use neuroplast_core::sorn::{Preset, SornParams};

use crate::{error, ConfigError, Result};

/// Apply the `[sorn]` table over its preset: `preset` picks the defaults (computed for the
/// given `ne`); every other key replaces the preset's value, except a table without `kind`,
/// which changes the named fields of the preset's table (`w_ee = { p = 0.2 }`).
pub(super) fn resolve_sorn(
    user: &toml::Table,
    file: &str,
) -> Result<(Preset, SornParams, toml::Table)> {
    let names = Preset::ALL.map(|p| p.name()).join(", ");
    let preset = match user.get("preset") {
        None => {
            return Err(ConfigError::new(
                file,
                "sorn.preset",
                format!("missing; choose one of: {names}"),
            ))
        }
        Some(toml::Value::String(s)) => Preset::from_name(s).ok_or_else(|| {
            ConfigError::new(
                file,
                "sorn.preset",
                format!("unknown preset {s:?}; choose one of: {names}"),
            )
        })?,
        Some(v) => {
            return Err(ConfigError::new(
                file,
                "sorn.preset",
                format!("must be a string (one of: {names}), got {v}"),
            ))
        }
    };
    let ne = match user.get("ne") {
        None => 200,
        Some(toml::Value::Integer(n)) if *n >= 1 => *n as usize,
        Some(v) => {
            return Err(ConfigError::new(
                file,
                "sorn.ne",
                format!("must be an integer ≥ 1, got {v}"),
            ))
        }
    };
    let base = preset.params(ne);
    let mut merged = toml::Table::try_from(&base).expect("parameters serialise to TOML");
    let allowed: Vec<String> = merged.keys().cloned().collect();
    for (k, v) in user {
        if k == "preset" {
            continue;
        }
        if !merged.contains_key(k) {
            return Err(ConfigError::new(
                file,
                format!("sorn.{k}"),
                format!("unknown key; allowed: preset, {}", allowed.join(", ")),
            ));
        }
        match (merged.get_mut(k), v) {
            // `w_ee = { p = 0.2 }` (or `--set sorn.w_ee.p=0.2`) changes one field of the
            // preset's table; a table with its own `kind` replaces the preset's whole.
            (Some(toml::Value::Table(base)), toml::Value::Table(t)) if !t.contains_key("kind") => {
                merge_into(base, t);
            }
            _ => {
                merged.insert(k.clone(), v.clone());
            }
        }
    }
    let params: SornParams = error::deserialize(toml::Value::Table(merged.clone()), file, "sorn")?;
    // serde ignores extra keys next to a unit variant (`{ kind = "dense", p = 0.2 }`): a field
    // merged into such a table must be one the parameters keep.
    let kept = toml::Table::try_from(&params).expect("parameters serialise to TOML");
    for (k, v) in user {
        let (toml::Value::Table(t), Some(toml::Value::Table(base))) = (v, kept.get(k)) else {
            continue;
        };
        if t.contains_key("kind") {
            continue;
        }
        if let Some(extra) = t.keys().find(|f| !base.contains_key(*f)) {
            let kind = base.get("kind").and_then(|x| x.as_str()).unwrap_or("?");
            let fields: Vec<&str> = base
                .keys()
                .map(String::as_str)
                .filter(|f| *f != "kind")
                .collect();
            return Err(ConfigError::new(
                file,
                format!("sorn.{k}.{extra}"),
                format!(
                    "not a field of the preset's {k} (kind = {kind:?}{}); to change its kind, give the whole table, e.g. {k} = {{ kind = \"bernoulli\", p = 0.1 }}",
                    if fields.is_empty() { ", which has no fields".to_string() } else { format!(", fields: {}", fields.join(", ")) }
                ),
            ));
        }
    }
    let mut resolved = toml::Table::new();
    resolved.insert("preset".into(), toml::Value::String(preset.name().into()));
    resolved.extend(merged);
    Ok((preset, params, resolved))
}

/// Merge `over` into `base` key by key (tables recursively).
fn merge_into(base: &mut toml::Table, over: &toml::Table) {
    for (k, v) in over {
        match (base.get_mut(k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(t)) => merge_into(b, t),
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}
