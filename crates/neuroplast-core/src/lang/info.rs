//! What a model is, for listings and front ends ([`describe`]): a model table parsed and
//! checked, summarised as plain data (Python's model objects show it).

use serde::Serialize;

use super::error::LangResult;
use super::neuron::{NeuronModelDef, ParamInfo, VarInfo};
use super::source::ModelSource;
use super::span::Syntax;
use super::synapse::{Side, SynapseModelDef};

/// Whether a model table describes neurons or synapses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// A neuron model (a population's `model`).
    Neuron,
    /// A synapse model (a projection's `plasticity`): it has `on_pre` / `on_post` (Brian2) or
    /// `pre_spike` / `post_spike` (ANNarchy).
    Synapse,
}

/// A model, parsed and checked, as plain data.
#[derive(Clone, Debug, Serialize)]
pub struct ModelInfo {
    /// Its name.
    pub name: String,
    /// Neuron or synapse.
    pub kind: ModelKind,
    /// The syntax it is written in.
    pub syntax: Syntax,
    /// Its parameters, with their defaults.
    pub parameters: Vec<ParamInfo>,
    /// Its state variables (per neuron, or per synapse).
    pub variables: Vec<VarInfo>,
    /// Neurons: the variables synapses may add to. Synapses: the postsynaptic targets it adds
    /// to (`ge`, ANNarchy's `g_target`).
    pub targets: Vec<String>,
    /// Synapses: the neuron values it reads (`post.r`, `v_post`), as `pre.x` / `post.x`.
    pub reads: Vec<String>,
}

impl ModelSource {
    /// Whether this table is a synapse model (it has statements for pre- or postsynaptic
    /// spikes).
    pub fn is_synapse(&self) -> bool {
        self.on_pre.is_some()
            || self.on_post.is_some()
            || self.pre_spike.is_some()
            || self.post_spike.is_some()
    }
}

/// Parse and check model `name` (a neuron or a synapse model, by [`ModelSource::is_synapse`]);
/// errors name the field, line and column.
pub fn describe(name: &str, source: &ModelSource) -> LangResult<ModelInfo> {
    let syntax = source.syntax.unwrap_or(Syntax::Brian2);
    if source.is_synapse() {
        let def = SynapseModelDef::from_source(name, source)?;
        Ok(ModelInfo {
            name: name.to_string(),
            kind: ModelKind::Synapse,
            syntax,
            parameters: def.parameters(),
            variables: def.variables(),
            targets: def.targets(),
            reads: def
                .reads()
                .into_iter()
                .map(|(side, x)| match side {
                    Side::Pre => format!("pre.{x}"),
                    Side::Post => format!("post.{x}"),
                })
                .collect(),
        })
    } else {
        let def = NeuronModelDef::from_source(name, source)?;
        Ok(ModelInfo {
            name: name.to_string(),
            kind: ModelKind::Neuron,
            syntax,
            parameters: def.parameters(),
            variables: def.variables(),
            targets: def.targets(),
            reads: Vec::new(),
        })
    }
}
