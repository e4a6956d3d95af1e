//! The schema of spiking experiment files (`[populations]`, `[projections]`, `[sources]`,
//! `[record]`). Tables reject unknown keys; connectors, values, waveforms and synapses are the
//! core's serde enums tagged by `kind`. A few keys take "a number or a table" (`weight = 0.006`
//! or `weight = { kind = "uniform", … }`); they have small hand-written deserialisers, not
//! `untagged` enums, so that errors keep their key paths.
//!
//! Named tables (`[populations.exc]`, `[projections.ee]`, …) keep the order of the file:
//! populations, projections and monitors are built in that order.

use std::fmt;
use std::marker::PhantomData;

use neuroplast_core::spiking::connector::{Connector, Value};
use neuroplast_core::spiking::network::{DelayRounding, SynapseSpec};
use neuroplast_core::spiking::neuron::Precision;
use neuroplast_core::spiking::source::Waveform;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::schema::{AnalysisSection, Meta};

/// A whole spiking experiment file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpikingFile {
    /// Written by neuroplast into resolved configurations; ignored on input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Time step, duration, seed, threads.
    pub simulation: SpikingSimulation,
    /// `[models.<name>]`: neuron models written as equations (Brian2 or ANNarchy syntax,
    /// `docs/model-language.md`), used as `model = "<name>"` of a population.
    #[serde(default, skip_serializing_if = "Named::is_empty")]
    pub models: Named<neuroplast_core::lang::ModelSource>,
    /// `[populations.<name>]`, in file order.
    pub populations: Named<PopulationSection>,
    /// `[projections.<name>]`, in file order.
    #[serde(default, skip_serializing_if = "Named::is_empty")]
    pub projections: Named<ProjectionSection>,
    /// `[sources.<name>]`: current generators.
    #[serde(default, skip_serializing_if = "Named::is_empty")]
    pub sources: Named<SourceSection>,
    /// `[record]`: `max_memory_mb` and `[record.<population>]` tables.
    #[serde(default)]
    pub record: SpikingRecord,
    /// `[output]`.
    #[serde(default)]
    pub output: SpikingOutput,
    /// `[[schedule]]`: freeze/unfreeze plasticity and rewards at given times.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schedule: Vec<ScheduleEntry>,
    /// `[analysis]`: spike statistics and avalanches of a population, after the run.
    #[serde(default, skip_serializing_if = "AnalysisSection::is_empty")]
    pub analysis: AnalysisSection,
    /// `[readout]`: a linear readout of binned spike counts, after the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readout: Option<SpikingReadout>,
    /// `[sweep]` is a SORN file's; spiking files sweep from the command line (kept so that
    /// the error says so).
    #[serde(default, skip_serializing)]
    pub sweep: Option<toml::Value>,
}

/// `[readout]` of a spiking file: a linear readout trained on the spike counts of
/// `population` in bins of `bin_ms`, over the run's last `train_bins + test_bins` bins; each
/// bin's label is the group of `labels.population` (its neurons split into `labels.groups`
/// equal consecutive blocks) that spiked most in the bin `predict_ahead` bins later.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpikingReadout {
    /// Population whose spike counts are the features (its spikes must be recorded).
    pub population: String,
    /// Bin width, ms (a whole number of steps).
    pub bin_ms: f64,
    /// Bins that train the readout.
    pub train_bins: u64,
    /// Bins that test it (the run's last ones).
    pub test_bins: u64,
    /// Where the labels come from.
    pub labels: LabelSource,
    /// Bins between the features and their label (default 0: the same bin).
    #[serde(default)]
    pub predict_ahead: u64,
    /// How the readout is fitted: `{ method = "logistic", c = 1.0 }` (default) or
    /// `{ method = "ridge", lambda = 0.0 }`, with `max_iter`, `tol`, `intercept` as in a SORN
    /// file's `[readout]`.
    #[serde(default)]
    pub fit: crate::schema::ReadoutFit,
}

/// `labels = { population = "input", groups = 4 }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelSource {
    /// Population whose activity labels the bins (its spikes must be recorded).
    pub population: String,
    /// Its neurons in this many equal consecutive groups; a bin's label is the group with the
    /// most spikes (ties: the lowest group).
    pub groups: usize,
}

/// One `[[schedule]]` entry: at `at_ms` (start of that step), freeze and unfreeze the named
/// projections' plasticity and give a reward.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleEntry {
    /// Time, ms (a whole number of steps).
    pub at_ms: f64,
    /// Projections whose plasticity stops here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub freeze: Vec<String>,
    /// Projections whose plasticity resumes here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unfreeze: Vec<String>,
    /// Dopamine added to the `reward_stdp` projections (all, or `reward_projection`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reward: Option<f64>,
    /// Only this projection gets the reward.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reward_projection: Option<String>,
}

/// `[simulation]` of a spiking experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpikingSimulation {
    /// Time step, ms.
    pub dt_ms: f64,
    /// Length of the run, ms (a whole number of steps).
    pub duration_ms: f64,
    /// Master seed of every random stream.
    #[serde(default = "one_u64", with = "crate::seed")]
    pub seed: u64,
    /// Threads (results are identical for any value).
    #[serde(default = "one_usize")]
    pub threads: usize,
}

fn one_u64() -> u64 {
    1
}

fn one_usize() -> usize {
    1
}

/// `[populations.<name>]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationSection {
    /// Model name (`IF_cond_exp`, `EIF_cond_exp_isfa_ista`, …).
    pub model: String,
    /// Number of neurons.
    pub n: usize,
    /// Model parameters; missing ones take the model's defaults (the resolved configuration
    /// lists them all).
    #[serde(default)]
    pub params: toml::Table,
    /// Initial values of state variables: `v = -65.0` or `v = { kind = "normal", … }`.
    #[serde(default, skip_serializing_if = "Named::is_empty")]
    pub init: Named<NumberOr>,
    /// `"f64"` (default) or `"f32"`: the precision of the state arrays (every neuron model,
    /// not the spike sources; docs/spiking.md "Precision").
    #[serde(default, skip_serializing_if = "is_f64")]
    pub precision: Precision,
}

fn is_f64(p: &Precision) -> bool {
    *p == Precision::F64
}

/// `[projections.<name>]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectionSection {
    /// Presynaptic population.
    pub pre: String,
    /// Postsynaptic population.
    pub post: String,
    /// Which pairs connect (`{ kind = "fixed_probability", p = 0.02 }`, …).
    pub connector: Connector,
    /// Receptor name(s) of the postsynaptic model: `"excitatory"` or `["ampa", "nmda"]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receptor: Option<Receptors>,
    /// Instead of `receptor`: `{ kind = "voltage_jump" }` or
    /// `{ kind = "double_exponential", tau = 15.0, tau_s = 3.75 }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synapse: Option<SynapseSpec>,
    /// Weight of each synapse (unit: the receptor's): a number or a value table.
    pub weight: NumberOr,
    /// Delay of each synapse, ms (default: one step).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<NumberOr>,
    /// `exact` (default), `round` or `neurapse`.
    #[serde(default)]
    pub delay_rounding: DelayRounding,
    /// Synaptic plasticity, e.g. `{ kind = "izhikevich2006" }` (default: static synapses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plasticity: Option<neuroplast_core::spiking::plasticity::PlasticitySpec>,
}

/// `[sources.<name>]`: a current generator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSection {
    /// Target population.
    pub population: String,
    /// Target neurons (default: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub neurons: Option<Vec<u32>>,
    /// `{ kind = "dc", amplitude = 0.5, start = 10.0, stop = 60.0 }`, …
    pub waveform: Waveform,
}

/// `[record]`: an optional memory limit and one table per recorded population.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpikingRecord {
    /// Refuse to start if the network and one chunk of recordings would need more MiB.
    pub max_memory_mb: Option<f64>,
    /// `[record.<population>]`, in file order.
    pub populations: Vec<(String, PopulationRecord)>,
}

/// `[record.<population>]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationRecord {
    /// `true` (every spike), or `{ neurons = [...], start_ms, stop_ms }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spikes: Option<SpikeRecord>,
    /// State variables: `{ v = { neurons = [0, 1], every_ms = 1.0 } }`.
    #[serde(default, skip_serializing_if = "Named::is_empty")]
    pub state: Named<StateRecord>,
    /// Population rate: `{ bin_ms = 5.0 }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<RateRecord>,
    /// Population activity: the number of neurons that spike at each step
    /// (`activity_<population>.npy`, 4 bytes per step).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub activity: bool,
}

/// Which spikes to record: `spikes = true`, `false`, or `{ neurons, start_ms, stop_ms }`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpikeRecord {
    /// `false` for `spikes = false`.
    pub enabled: bool,
    /// Neurons (default all).
    pub neurons: Option<Vec<u32>>,
    /// First recorded time, ms (default 0).
    pub start_ms: Option<f64>,
    /// Recording stops here, ms (default: the end).
    pub stop_ms: Option<f64>,
}

fn yes() -> bool {
    true
}

/// One recorded state variable.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateRecord {
    /// Neurons (default all: mind the memory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub neurons: Option<Vec<u32>>,
    /// Sampling interval, ms (a whole number of steps; default one step).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every_ms: Option<f64>,
}

/// Population rate bins.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateRecord {
    /// Bin width, ms (a whole number of steps).
    pub bin_ms: f64,
}

/// `[output]` of a spiking experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpikingOutput {
    /// Draw PNG plots.
    #[serde(default = "yes")]
    pub plots: bool,
    /// Length of the raster window, ms (the last ones recorded).
    #[serde(default = "raster_ms")]
    pub raster_ms: f64,
    /// Write `checkpoint.bin` (the whole network) so that `neuroplast resume` can continue
    /// the run; an interrupted run writes it regardless.
    #[serde(default = "yes")]
    pub checkpoint: bool,
}

fn raster_ms() -> f64 {
    1000.0
}

impl Default for SpikingOutput {
    fn default() -> Self {
        SpikingOutput {
            plots: true,
            raster_ms: raster_ms(),
            checkpoint: true,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Named tables in file order

/// Named sub-tables in the order of the file (`[projections.a]`, `[projections.b]`).
#[derive(Clone, Debug, PartialEq)]
pub struct Named<T>(pub Vec<(String, T)>);

impl<T> Default for Named<T> {
    fn default() -> Self {
        Named(Vec::new())
    }
}

impl<T> Named<T> {
    /// No entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Entries in file order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }
    /// An entry by name.
    pub fn get(&self, name: &str) -> Option<&T> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
    /// An entry by name, mutable.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut T> {
        self.0.iter_mut().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

impl<T: Serialize> Serialize for Named<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Named<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Named<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table of named entries")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Named<T>, A::Error> {
                let mut out: Vec<(String, T)> = Vec::new();
                while let Some(k) = map.next_key::<String>()? {
                    let v = map.next_value::<T>()?;
                    out.push((k, v));
                }
                Ok(Named(out))
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

impl Serialize for SpikingRecord {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let n = self.populations.len() + usize::from(self.max_memory_mb.is_some());
        let mut m = s.serialize_map(Some(n))?;
        if let Some(mb) = self.max_memory_mb {
            m.serialize_entry("max_memory_mb", &mb)?;
        }
        for (k, v) in &self.populations {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for SpikingRecord {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SpikingRecord;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("`max_memory_mb` and one table per recorded population")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SpikingRecord, A::Error> {
                let mut out = SpikingRecord::default();
                while let Some(k) = map.next_key::<String>()? {
                    if k == "max_memory_mb" {
                        out.max_memory_mb = Some(map.next_value::<f64>()?);
                    } else {
                        let v = map.next_value::<PopulationRecord>()?;
                        out.populations.push((k, v));
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(V)
    }
}

// ---------------------------------------------------------------------------------------
// Numbers or tables

/// A [`Value`] written as a number (a constant), a list (an array, one value per element),
/// a table tagged by `kind` (`{ kind = "normal", mean = -55.0, sd = 5.0 }`) or the path of a
/// one-dimensional `.npy` file of float64 values (relative to the experiment file; the second
/// field holds it, and the values are read when the file is resolved).
#[derive(Clone, Debug, PartialEq)]
pub struct NumberOr(pub Value, pub Option<std::path::PathBuf>);

impl NumberOr {
    /// A plain value (not from a file).
    pub fn of(value: Value) -> NumberOr {
        NumberOr(value, None)
    }

    /// `true` when it is written as a table (TOML writes tables after plain values).
    pub fn is_table(&self) -> bool {
        self.1.is_none() && !matches!(self.0, Value::Constant { .. } | Value::Array { .. })
    }
}

impl Serialize for NumberOr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if let Some(path) = &self.1 {
            return s.serialize_str(&path.to_string_lossy());
        }
        match &self.0 {
            Value::Constant { value } => s.serialize_f64(*value),
            Value::Array { values } => values.serialize(s),
            other => other.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for NumberOr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = NumberOr;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a number, a list of numbers, the path of a .npy file, or a table { kind = \"uniform\" | \"normal\" | \"array\" | \"constant\", … }",
                )
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<NumberOr, E> {
                Ok(NumberOr::of(Value::Constant { value: v }))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<NumberOr, E> {
                Ok(NumberOr::of(Value::Constant { value: v as f64 }))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NumberOr, E> {
                Ok(NumberOr::of(Value::Constant { value: v as f64 }))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<NumberOr, E> {
                if !v.ends_with(".npy") {
                    return Err(E::custom(format!(
                        "expected a number, a list of numbers, the path of a .npy file or a \
                         value table; got {v:?}"
                    )));
                }
                Ok(NumberOr(
                    Value::Array { values: Vec::new() },
                    Some(std::path::PathBuf::from(v)),
                ))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<NumberOr, A::Error> {
                let values = Vec::<f64>::deserialize(SeqAccessDeserializer::new(seq))?;
                Ok(NumberOr::of(Value::Array { values }))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<NumberOr, A::Error> {
                Value::deserialize(MapAccessDeserializer::new(map)).map(NumberOr::of)
            }
        }
        d.deserialize_any(V)
    }
}

/// One receptor name or a list of them (`"excitatory"`, `["ampa", "nmda"]`).
#[derive(Clone, Debug, PartialEq)]
pub struct Receptors(pub Vec<String>);

impl Serialize for Receptors {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => s.serialize_str(one),
            many => many.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Receptors {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Receptors;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a receptor name or a list of names")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Receptors, E> {
                Ok(Receptors(vec![v.to_string()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Receptors, A::Error> {
                Vec::<String>::deserialize(SeqAccessDeserializer::new(seq)).map(Receptors)
            }
        }
        d.deserialize_any(V)
    }
}

impl SpikeRecord {
    fn is_plain(&self) -> bool {
        self.neurons.is_none() && self.start_ms.is_none() && self.stop_ms.is_none()
    }
}

// `spikes = true` and `spikes = { … }` share one field: a hand-written impl pair.
mod spike_record_serde {
    use super::*;

    impl Serialize for SpikeRecord {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            if !self.enabled || self.is_plain() {
                return s.serialize_bool(self.enabled);
            }
            let mut m = s.serialize_map(None)?;
            if let Some(n) = &self.neurons {
                m.serialize_entry("neurons", n)?;
            }
            if let Some(x) = self.start_ms {
                m.serialize_entry("start_ms", &x)?;
            }
            if let Some(x) = self.stop_ms {
                m.serialize_entry("stop_ms", &x)?;
            }
            m.end()
        }
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Table {
        #[serde(default)]
        neurons: Option<Vec<u32>>,
        #[serde(default)]
        start_ms: Option<f64>,
        #[serde(default)]
        stop_ms: Option<f64>,
    }

    impl<'de> Deserialize<'de> for SpikeRecord {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = SpikeRecord;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("true, false, or { neurons = [...], start_ms, stop_ms }")
                }
                fn visit_bool<E: de::Error>(self, v: bool) -> Result<SpikeRecord, E> {
                    Ok(SpikeRecord {
                        enabled: v,
                        ..SpikeRecord::default()
                    })
                }
                fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<SpikeRecord, A::Error> {
                    let t = Table::deserialize(MapAccessDeserializer::new(map))?;
                    Ok(SpikeRecord {
                        enabled: true,
                        neurons: t.neurons,
                        start_ms: t.start_ms,
                        stop_ms: t.stop_ms,
                    })
                }
            }
            d.deserialize_any(V)
        }
    }
}
