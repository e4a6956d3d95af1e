//! Plasticity rules written as equations: a projection's `plasticity = { kind = "<name>", … }`
//! where `<name>` is a `[models.<name>]` table of the file (a synapse model). The other keys
//! of the table are the model's parameters, plus `rate_window_ms` (the window of `post.r`).
//!
//! Before the file is read into its types, such a table becomes the core's
//! `{ kind = "equations", name, source, values, rate_window_ms }` (errors name
//! `projections.<p>.plasticity.<key>`); the resolved file writes it back in the short form,
//! next to the `[models]` table it names. Protocol files use the same expansion for their
//! models written as equations (`[protocol.equations]` of `sorf`).

use neuroplast_core::lang::ModelSource;
use neuroplast_core::spiking::neuron::EquationParams;
use neuroplast_core::spiking::plasticity::{EquationRuleParams, PlasticitySpec};

use crate::{ConfigError, Result};

/// The key of a rule table that is not a model parameter.
const RATE_WINDOW: &str = "rate_window_ms";

/// Rewrite every `plasticity` table of `table` (a whole spiking file) whose `kind` names a
/// `[models.<name>]` table into the core's `equations` rule.
pub(super) fn expand(table: &mut toml::Table, file: &str) -> Result<()> {
    let models = table.get("models").and_then(|m| m.as_table()).cloned();
    let Some(models) = models else {
        return Ok(());
    };
    let Some(projections) = table.get_mut("projections").and_then(|p| p.as_table_mut()) else {
        return Ok(());
    };
    for (proj, p) in projections.iter_mut() {
        if let Some(rule) = p.get_mut("plasticity").and_then(|r| r.as_table_mut()) {
            expand_rule(
                rule,
                &models,
                &format!("projections.{proj}.plasticity"),
                file,
            )?;
        }
    }
    Ok(())
}

/// Rewrite rule table `rule` (at key path `path`) into the core's `equations` rule when its
/// `kind` names a table of `models` (the file's `[models]`); other rules stay as they are.
pub(crate) fn expand_rule(
    rule: &mut toml::Table,
    models: &toml::Table,
    path: &str,
    file: &str,
) -> Result<()> {
    let Some(kind) = rule.get("kind").and_then(|k| k.as_str()).map(String::from) else {
        return Ok(());
    };
    let Some(model) = models.get(&kind) else {
        return Ok(());
    };
    if PlasticitySpec::NAMES.contains(&kind.as_str()) {
        return Err(ConfigError::new(
            file,
            format!("{path}.kind"),
            format!("`{kind}` is both a built-in rule and a [models.{kind}] table of this file; rename the table (e.g. [models.{kind}_eq]) and name it here"),
        ));
    }
    let source: ModelSource =
        crate::error::deserialize(model.clone(), file, &format!("models.{kind}"))?;
    let mut params =
        EquationRuleParams::new(&kind, &source).map_err(|e| ConfigError::from_core(file, e))?;
    for (k, v) in rule.iter() {
        let key = format!("{path}.{k}");
        if k == "kind" {
            continue;
        }
        let x = match v {
            toml::Value::Float(x) => *x,
            toml::Value::Integer(i) => *i as f64,
            other => {
                return Err(ConfigError::new(
                    file,
                    &key,
                    format!("must be a number, got {other}"),
                ))
            }
        };
        if k == RATE_WINDOW {
            params.set_rate_window_ms(Some(x));
        } else {
            params
                .set_named(k, x, &key)
                .map_err(|e| ConfigError::from_core(file, e))?;
        }
    }
    let spec = PlasticitySpec::Equations(params);
    let value = toml::Value::try_from(&spec).expect("a rule serialises to TOML");
    *rule = value.as_table().expect("a rule is a table").clone();
    Ok(())
}

/// Rewrite `value` (at key path `path`), a neuron model given by the name of a table of
/// `models`, into the core's equation model (`{ name, source }`); a table stays as it is.
pub(crate) fn expand_neuron(
    value: &mut toml::Value,
    models: &toml::Table,
    path: &str,
    file: &str,
) -> Result<()> {
    let Some(name) = value.as_str().map(String::from) else {
        return Ok(());
    };
    let Some(model) = models.get(&name) else {
        let names: Vec<&str> = models.keys().map(|k| k.as_str()).collect();
        return Err(ConfigError::new(
            file,
            path,
            format!(
                "no [models.{name}] table in this file; its model tables: {}",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            ),
        ));
    };
    let source: ModelSource =
        crate::error::deserialize(model.clone(), file, &format!("models.{name}"))?;
    let params =
        EquationParams::new(&name, &source).map_err(|e| ConfigError::from_core(file, e))?;
    *value = toml::Value::try_from(&params).expect("a model serialises to TOML");
    Ok(())
}

/// The short form of an `equations` rule for the resolved file: `{ kind = "<name>", <values>,
/// rate_window_ms }` (the file keeps the `[models.<name>]` table it names).
pub(super) fn short_form(spec: &PlasticitySpec) -> Option<toml::Table> {
    let PlasticitySpec::Equations(p) = spec else {
        return None;
    };
    let mut t = toml::Table::new();
    t.insert("kind".into(), toml::Value::String(p.name().to_string()));
    for (k, v) in p.values() {
        t.insert(k.clone(), toml::Value::Float(*v));
    }
    if let Some(ms) = p.rate_window_ms() {
        t.insert(RATE_WINDOW.into(), toml::Value::Float(ms));
    }
    Some(t)
}
