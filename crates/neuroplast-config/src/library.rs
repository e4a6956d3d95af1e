//! The model library: the neuron and synapse models of `examples/models/`, written as
//! equations (Brian2 or ANNarchy syntax), compiled into the program so that they can be named
//! without the files (`neuroplast bench coba --equations` uses `IF_cond_exp`). The files stay
//! the source users read, copy and edit.

use std::collections::BTreeMap;

use neuroplast_core::lang::ModelSource;
use neuroplast_core::spiking::network::ModelSpec;
use neuroplast_core::spiking::neuron::EquationParams;

/// `(file name, text)` of every file of the library.
pub const FILES: &[(&str, &str)] = &[
    (
        "AdEx.toml",
        include_str!("../../../examples/models/AdEx.toml"),
    ),
    (
        "HH_squid.toml",
        include_str!("../../../examples/models/HH_squid.toml"),
    ),
    (
        "IF_cond_exp.toml",
        include_str!("../../../examples/models/IF_cond_exp.toml"),
    ),
    (
        "IF_curr_exp.toml",
        include_str!("../../../examples/models/IF_curr_exp.toml"),
    ),
    (
        "Izhikevich.toml",
        include_str!("../../../examples/models/Izhikevich.toml"),
    ),
    (
        "cuba.toml",
        include_str!("../../../examples/models/cuba.toml"),
    ),
    (
        "pair_stdp.toml",
        include_str!("../../../examples/models/pair_stdp.toml"),
    ),
    (
        "sorf.toml",
        include_str!("../../../examples/models/sorf.toml"),
    ),
];

/// The `[models.<name>]` tables of a file's text.
pub fn tables(text: &str) -> Result<BTreeMap<String, ModelSource>, toml::de::Error> {
    #[derive(serde::Deserialize)]
    struct File {
        models: BTreeMap<String, ModelSource>,
    }
    Ok(toml::from_str::<File>(text)?.models)
}

/// Every model of the library: `(name, table)`, by file and then by name.
pub fn all() -> Vec<(String, ModelSource)> {
    FILES
        .iter()
        .filter_map(|(_, text)| tables(text).ok())
        .flat_map(|t| t.into_iter())
        .collect()
}

/// A model table given as data (Python's model objects, a `[models.<name>]` table): its
/// fields checked (errors name `models.<name>.<field>`), then parsed and checked as a
/// model (errors with line, column and caret).
pub fn describe(name: &str, table: toml::Table) -> crate::Result<neuroplast_core::lang::ModelInfo> {
    let path = format!("models.{name}");
    let source: ModelSource = crate::error::deserialize(toml::Value::Table(table), name, &path)?;
    neuroplast_core::lang::describe(name, &source)
        .map_err(|e| crate::ConfigError::from_core(name, e.into()))
}

/// Model `name` of the library (a `[models.<name>]` table of one of its files).
pub fn model(name: &str) -> Option<ModelSource> {
    FILES
        .iter()
        .filter_map(|(_, text)| tables(text).ok())
        .find_map(|mut t| t.remove(name))
}

/// Built-in model `builtin` as the library's table of the same name, with the built-in's
/// parameter values, named `<model> (equations)` (`neuroplast bench coba --equations`).
pub fn as_equations(builtin: &ModelSpec) -> neuroplast_core::Result<ModelSpec> {
    let table = builtin.name();
    let source = model(table).ok_or_else(|| {
        neuroplast_core::Error::config(
            "model",
            format!("{table} has no equation version in the model library"),
        )
    })?;
    let mut eq = EquationParams::new(&format!("{table} (equations)"), &source)?;
    for name in builtin.per_neuron_params() {
        let value = builtin.param(name).expect("a listed parameter");
        eq.set_named(name, value, &format!("params.{name}"))?;
    }
    Ok(ModelSpec::equations(eq))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_of_the_directory_is_listed_and_parses() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/models");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".toml"))
            .collect();
        on_disk.sort();
        let mut listed: Vec<String> = FILES.iter().map(|(n, _)| n.to_string()).collect();
        listed.sort();
        assert_eq!(on_disk, listed);
        for (name, text) in FILES {
            let t = tables(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!t.is_empty(), "{name}");
        }
        assert!(model("IF_cond_exp").is_some() && model("nope").is_none());
    }
}
