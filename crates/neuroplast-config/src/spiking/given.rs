//! Numeric arrays given beside a spiking experiment's tables (numpy arrays from Python), so
//! that a projection of a million explicit synapses is not read as a million TOML values.
//!
//! The arrays the file's types hold as plain vectors — a `from_list` connector's `pre` and
//! `post`, and the value arrays of a projection's `weight` and `delay_ms` and a population's
//! `init` (written bare or as `{ kind = "array", values = … }`) — are *placed*: an empty array
//! stands in for each while the tables are read into their types, and the values are moved in
//! afterwards. Any other array is put into the tables as TOML values, so every key takes
//! every array, placed or not, with the same result and the same errors.

use neuroplast_core::spiking::connector::{Connector, Value};

use super::schema::{NumberOr, SpikingFile};
use crate::{ConfigError, Result};

/// The values of one array given beside the tables.
#[derive(Clone, Debug, PartialEq)]
pub enum ArrayValues {
    /// Floating-point values.
    F64(Vec<f64>),
    /// Integer values.
    I64(Vec<i64>),
}

/// A numeric array given beside the tables, with its key path
/// (`["projections", "e_e", "connector", "pre"]`).
#[derive(Clone, Debug, PartialEq)]
pub struct GivenArray {
    /// Key path of the array in the experiment's tables.
    pub path: Vec<String>,
    /// Its values.
    pub values: ArrayValues,
}

/// Where a placed array goes in the file's types.
enum Slot {
    /// `projections.<p>.connector.pre` (`false`) or `.post` (`true`).
    Connector(String, bool),
    /// `projections.<p>.weight`.
    Weight(String),
    /// `projections.<p>.delay_ms`.
    Delay(String),
    /// `populations.<p>.init.<var>`.
    Init(String, String),
}

/// An array waiting to be moved into the file's types.
pub(super) struct Placed {
    slot: Slot,
    path: String,
    values: ArrayValues,
}

/// Put every array into `table` (creating the tables on its path): an empty array where the file's types take the values as a
/// vector (returned, for [`fill`]), the values themselves elsewhere.
pub(super) fn place(
    table: &mut toml::Table,
    arrays: Vec<GivenArray>,
    file: &str,
) -> Result<Vec<Placed>> {
    let mut placed = Vec::new();
    for GivenArray { path, values } in arrays {
        let dotted = path.join(".");
        let Some((key, parents)) = path.split_last() else {
            return Err(ConfigError::new(
                file,
                "",
                "an array needs a key".to_string(),
            ));
        };
        let mut at = &mut *table;
        for (depth, k) in parents.iter().enumerate() {
            at = at
                .entry(k.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()))
                .as_table_mut()
                .ok_or_else(|| {
                    ConfigError::new(
                        file,
                        parents[..=depth].join("."),
                        format!("holds the array `{dotted}`, so it must be a table"),
                    )
                })?;
        }
        match slot(&path, &values) {
            Some(slot) => {
                at.insert(key.clone(), toml::Value::Array(Vec::new()));
                placed.push(Placed {
                    slot,
                    path: dotted,
                    values,
                });
            }
            None => {
                let items = match values {
                    ArrayValues::F64(v) => v.into_iter().map(toml::Value::Float).collect(),
                    ArrayValues::I64(v) => v.into_iter().map(toml::Value::Integer).collect(),
                };
                at.insert(key.clone(), toml::Value::Array(items));
            }
        }
    }
    Ok(placed)
}

/// The slot an array at `path` fills, if the file's types hold it as a vector.
fn slot(path: &[String], values: &ArrayValues) -> Option<Slot> {
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    let value_array = |rest: &[&str]| rest.is_empty() || rest == ["values"];
    match p.as_slice() {
        ["projections", proj, "connector", end @ ("pre" | "post")]
            if matches!(values, ArrayValues::I64(_)) =>
        {
            Some(Slot::Connector(proj.to_string(), *end == "post"))
        }
        ["projections", proj, "weight", rest @ ..] if value_array(rest) => {
            Some(Slot::Weight(proj.to_string()))
        }
        ["projections", proj, "delay_ms", rest @ ..] if value_array(rest) => {
            Some(Slot::Delay(proj.to_string()))
        }
        ["populations", pop, "init", var, rest @ ..] if value_array(rest) => {
            Some(Slot::Init(pop.to_string(), var.to_string()))
        }
        _ => None,
    }
}

/// Move the placed arrays into `spec` (read from the tables [`place`] prepared).
pub(super) fn fill(spec: &mut SpikingFile, placed: Vec<Placed>, file: &str) -> Result<()> {
    for Placed { slot, path, values } in placed {
        let err = |msg: String| ConfigError::new(file, path.clone(), msg);
        match slot {
            Slot::Connector(proj, post) => {
                let connector = spec.projections.get_mut(&proj).map(|p| &mut p.connector);
                let Some(Connector::FromList { pre, post: posts }) = connector else {
                    return Err(err(
                        "a list of indices belongs to a from_list connector".into()
                    ));
                };
                let ArrayValues::I64(v) = values else {
                    unreachable!("only integer arrays are placed in a connector")
                };
                *(if post { posts } else { pre }) = indices(&v).map_err(|(k, bad)| {
                    ConfigError::new(
                        file,
                        format!("{path}[{k}]"),
                        format!("{bad} is not a neuron index (0 to {})", u32::MAX),
                    )
                })?;
            }
            Slot::Weight(proj) => {
                let number = spec.projections.get_mut(&proj).map(|p| &mut p.weight);
                set_values(number, values).map_err(err)?;
            }
            Slot::Delay(proj) => {
                let number = spec
                    .projections
                    .get_mut(&proj)
                    .and_then(|p| p.delay_ms.as_mut());
                set_values(number, values).map_err(err)?;
            }
            Slot::Init(pop, var) => {
                let number = spec
                    .populations
                    .get_mut(&pop)
                    .and_then(|p| p.init.get_mut(&var));
                set_values(number, values).map_err(err)?;
            }
        }
    }
    Ok(())
}

/// Indices as `u32`, or the first one that is not (its position and value).
fn indices(v: &[i64]) -> std::result::Result<Vec<u32>, (usize, i64)> {
    v.iter()
        .enumerate()
        .map(|(k, &i)| u32::try_from(i).map_err(|_| (k, i)))
        .collect()
}

/// Move `values` into a value that was read as an empty array.
fn set_values(
    number: Option<&mut NumberOr>,
    values: ArrayValues,
) -> std::result::Result<(), String> {
    match number {
        Some(NumberOr(Value::Array { values: into }, None)) => {
            *into = match values {
                ArrayValues::F64(v) => v,
                ArrayValues::I64(v) => v.into_iter().map(|x| x as f64).collect(),
            };
            Ok(())
        }
        _ => Err("an array of values belongs to a value written as a list or a { kind = \"array\" } table".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spiking::SpikingExperiment;

    const FILE: &str = r#"
        [simulation]
        dt_ms = 0.1
        duration_ms = 10.0
        seed = 3
        [populations.a]
        model = "IF_cond_exp"
        n = 4
        [populations.a.init.v]
        kind = "array"
        values = [0.0]
        [projections.aa]
        pre = "a"
        post = "a"
        connector = { kind = "from_list", pre = [0], post = [0] }
        weight = 0.0
        delay_ms = 0.0
        receptor = "excitatory"
    "#;

    fn arrays(pre: Vec<i64>) -> Vec<GivenArray> {
        let at = |p: &str| p.split('.').map(String::from).collect();
        vec![
            GivenArray {
                path: at("populations.a.init.v.values"),
                values: ArrayValues::F64(vec![-60.0, -55.0, -50.5, -52.0]),
            },
            GivenArray {
                path: at("projections.aa.connector.pre"),
                values: ArrayValues::I64(pre),
            },
            GivenArray {
                path: at("projections.aa.connector.post"),
                values: ArrayValues::I64(vec![1, 2, 3]),
            },
            GivenArray {
                path: at("projections.aa.weight"),
                values: ArrayValues::F64(vec![0.01, 0.02, 0.03]),
            },
            GivenArray {
                path: at("projections.aa.delay_ms"),
                values: ArrayValues::I64(vec![1, 2, 3]),
            },
        ]
    }

    /// Arrays given beside the tables read as the same experiment as the same values in the
    /// tables, placed or not.
    #[test]
    fn given_arrays_equal_the_same_values_in_the_tables() {
        let table = crate::parse_toml(FILE, "f", &[]).unwrap();
        let given =
            SpikingExperiment::from_tables(table.clone(), arrays(vec![0, 1, 2]), "f", ".".as_ref())
                .unwrap();
        let text = FILE
            .replace("values = [0.0]", "values = [-60.0, -55.0, -50.5, -52.0]")
            .replace("pre = [0], post = [0]", "pre = [0, 1, 2], post = [1, 2, 3]")
            .replace("weight = 0.0", "weight = [0.01, 0.02, 0.03]")
            .replace("delay_ms = 0.0", "delay_ms = [1, 2, 3]");
        let written = SpikingExperiment::from_str(&text, "f", &[]).unwrap();
        assert_eq!(given.file, written.file);
        // an array at a key the types do not hold as a vector goes into the tables
        let mut extra = arrays(vec![0, 1, 2]);
        extra.push(GivenArray {
            path: vec![
                "populations".into(),
                "a".into(),
                "params".into(),
                "i_offset".into(),
            ],
            values: ArrayValues::F64(vec![0.0, 0.1, 0.2, 0.3]),
        });
        let with = SpikingExperiment::from_tables(table, extra, "f", ".".as_ref()).unwrap();
        let p = with.file.populations.get("a").unwrap();
        assert_eq!(p.params["i_offset"].as_array().unwrap().len(), 4);
    }

    /// Bad indices and misplaced arrays name the key and the value.
    #[test]
    fn bad_given_arrays_name_the_key() {
        let table = crate::parse_toml(FILE, "f", &[]).unwrap();
        let e = SpikingExperiment::from_tables(
            table.clone(),
            arrays(vec![0, -1, 2]),
            "f",
            ".".as_ref(),
        )
        .unwrap_err();
        assert_eq!(e.path, "projections.aa.connector.pre[1]");
        assert!(e.msg.contains("-1 is not a neuron index"), "{e}");
        let e =
            SpikingExperiment::from_tables(table.clone(), arrays(vec![0, 1, 9]), "f", ".".as_ref())
                .unwrap_err();
        assert!(
            e.to_string()
                .contains("index 9 is outside the presynaptic population"),
            "{e}"
        );
        let normal = FILE.replace(
            "weight = 0.0",
            "weight = { kind = \"normal\", mean = 0.0, sd = 1.0 }",
        );
        let table = crate::parse_toml(&normal, "f", &[]).unwrap();
        let mut bad = arrays(vec![0, 1, 2]);
        bad[3].path.push("values".into());
        let e = SpikingExperiment::from_tables(table, bad, "f", ".".as_ref()).unwrap_err();
        assert_eq!(e.path, "projections.aa.weight.values", "{e}");
        assert!(e.msg.contains("unknown field `values`"), "{e}");
    }
}
