//! # neuroplast-config
//!
//! The TOML experiment schema shared by the command line and Python: parse a file, apply
//! `--set key.path=value` overrides, resolve presets and defaults, validate every value, and
//! build a ready-to-run engine ([`neuroplast_core::engine::Engine`]).
//!
//! Three kinds of file, one interface: [`load`] reads any of them into a
//! `Box<dyn` [`Experiment`]`>` — a SORN experiment ([`SornExperiment`], `[sorn]`), a spiking
//! network ([`spiking::SpikingExperiment`], `[populations]`) or a published protocol
//! ([`protocol::ProtocolExperiment`], `[protocol]`) — which builds the engine, restores it
//! from a checkpoint and says what the front end must know (steps, seed, outputs, analyses).
//!
//! Every problem becomes a [`ConfigError`] naming the file, the key path, the bad value and
//! what is allowed, before anything runs.
//!
//! ```
//! use neuroplast_config::from_str;
//! let toml = r#"
//!     [simulation]
//!     steps = 100
//!     [sorn]
//!     preset = "delpapa2017"
//!     ne = 50
//! "#;
//! let exp = from_str(toml, "inline.toml", ".".as_ref(), &[]).unwrap();
//! assert_eq!(exp.kind().name(), "sorn");
//! let mut engine = exp.build().unwrap();
//! engine.advance(exp.steps());
//! assert_eq!(engine.step_count(), 100);
//!
//! let bad = toml.replace("ne = 50", "ne = 50\nnoise_sigma = -1.0");
//! let err = from_str(&bad, "inline.toml", ".".as_ref(), &[]).unwrap_err();
//! assert_eq!(err.path, "sorn.noise_sigma");
//! ```

pub mod catalogue;
mod error;
pub mod experiment;
pub mod library;
mod load;
pub mod overrides;
pub mod protocol;
pub mod schema;
pub mod seed;
pub mod sorn;
pub mod spiking;

pub use error::{ConfigError, Result};
pub use experiment::{Experiment, OutputOptions, ReadoutPlan, RestoreError};
pub use load::{from_str, load};
pub use sorn::SornExperiment;

/// Parse TOML text and apply `key.path=value` overrides (`name` is used in errors).
pub fn parse_toml(text: &str, name: &str, overrides: &[String]) -> Result<toml::Table> {
    let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        ConfigError::new(
            name,
            "",
            format!("TOML syntax error: {}", e.to_string().trim()),
        )
    })?;
    for o in overrides {
        overrides::apply(&mut table, o)?;
    }
    Ok(table)
}

/// `true` for a protocol experiment file (`[protocol]`); an error when it also has `[sorn]`
/// or `[populations]`.
pub fn is_protocol(table: &toml::Table, name: &str) -> Result<bool> {
    if !table.contains_key("protocol") {
        return Ok(false);
    }
    for other in ["sorn", "populations"] {
        if table.contains_key(other) {
            return Err(ConfigError::new(
                name,
                other,
                "a protocol file ([protocol]) describes its network itself; it cannot also have [sorn] or [populations]",
            ));
        }
    }
    Ok(true)
}

/// `true` for a spiking network file (`[populations]`); an error when a file has both
/// `[sorn]` and `[populations]`.
pub fn is_spiking(table: &toml::Table, name: &str) -> Result<bool> {
    match (table.contains_key("sorn"), table.contains_key("populations")) {
        (true, true) => Err(ConfigError::new(
            name,
            "populations",
            "a file describes either a SORN experiment ([sorn]) or a spiking network ([populations]), not both",
        )),
        (_, spiking) => Ok(spiking),
    }
}
