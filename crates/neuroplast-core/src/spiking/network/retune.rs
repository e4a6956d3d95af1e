//! New parameters for a built network, mid-run: [`Network::retune`] takes the description
//! again (the experiment file's tables with some values edited, as a [`NetworkBuilder`]) and
//! applies what differs — neuron parameters (scalar or per neuron, any model) and current
//! sources' waveforms — from the next step on. Nothing else may differ: the populations (names,
//! sizes, models) and the sources' targets are the network's structure.
//!
//! A population whose parameters changed is rebuilt shard by shard with the new values and
//! takes over the old shards' state ([`BuiltinModel::carry_from`]: named variables,
//! refractory counters, random streams, positions in spike lists), except variables that are
//! themselves parameters and were changed (Izhikevich's `a`…`d`, a Poisson `rate`): those take
//! the new parameter values in every neuron, replacing values given as initial state or set
//! since. So a run with a change at step `t` equals a run whose parameters had the new values
//! from step `t` on.
//!
//! [`BuiltinModel::carry_from`]: crate::spiking::neuron::BuiltinModel::carry_from

use super::{Network, NetworkBuilder, Shard};
use crate::spiking::neuron::{ModelSpec, NeuronModel};
use crate::{Error, Result};

/// Per-neuron parameter values: (name, one value per neuron).
type Values = Vec<(String, Vec<f64>)>;

impl Network {
    /// Apply the parameters of `b` (this network's description with values edited) from the
    /// next step on; returns the key paths of what changed (`populations.exc.params`,
    /// `sources.drive.waveform`). An error — another structure, a bad value (naming its key)
    /// — changes nothing.
    pub fn retune(&mut self, b: &NetworkBuilder) -> Result<Vec<String>> {
        crate::ensure!(
            self.dist.is_none(),
            "populations",
            "a network distributed over ranks cannot be retuned (each rank holds part of it)"
        );
        let (pop_names, source_names) = b.names();
        let ours: Vec<&str> = self.pops.iter().map(|p| p.name.as_str()).collect();
        if pop_names != ours {
            return Err(Error::config(
                "populations",
                format!(
                    "a built network keeps its populations: it has {ours:?}, the new description {pop_names:?}"
                ),
            ));
        }
        // everything built and checked first; applied only when all of it is good
        let mut rebuilt: Vec<(usize, ModelSpec, Values, Vec<Shard>)> = Vec::new();
        for (p, values) in b.sampled_params().into_iter().enumerate() {
            let model = b.model_of(p);
            let pop = &self.pops[p];
            let path = format!("populations.{}", pop.name);
            if b.size_of(p) != pop.n || !model.same_model(&pop.spec) {
                return Err(Error::config(
                    path,
                    format!(
                        "a built population keeps its size and model ({} × {}); only parameters can change",
                        pop.n, pop.model
                    ),
                ));
            }
            let precision = pop.shards[0].neurons.precision();
            if b.precision_of(p) != precision {
                return Err(Error::config(
                    format!("{path}.precision"),
                    format!(
                        "a built population keeps its precision ({precision}); only parameters can change"
                    ),
                ));
            }
            if *model == pop.spec && values == pop.values {
                continue;
            }
            let shards = b.build_shards(p, model, &values)?;
            rebuilt.push((p, model.clone(), values, shards));
        }
        if source_names.len() != self.sources.len() {
            return Err(Error::config(
                "sources",
                format!(
                    "a built network keeps its current sources: it has {}, the new description {}",
                    self.sources.len(),
                    source_names.len()
                ),
            ));
        }
        let mut sources = Vec::new();
        for (k, name) in source_names.iter().enumerate() {
            let new = b.compile_source(k, &self.pops)?;
            let old = &self.sources[k];
            if new.population != old.population || new.neurons != old.neurons {
                return Err(Error::config(
                    format!("sources.{name}"),
                    "a built network's current source keeps its population and neurons; only its waveform can change",
                ));
            }
            sources.push(new);
        }

        let mut changed = Vec::new();
        for (p, model, values, shards) in rebuilt {
            let pop = &mut self.pops[p];
            let fresh: Vec<&str> = changed_params(&pop.spec, &pop.values, &model, &values);
            for (shard, built) in pop.shards.iter_mut().zip(shards) {
                let mut neurons = built.neurons; // at the initial state, with the new values
                let keep: Vec<(&str, Vec<f64>)> = fresh
                    .iter()
                    .filter_map(|&name| neurons.values(name).map(|v| (name, v.to_vec())))
                    .collect();
                neurons.carry_from(&shard.neurons);
                for (name, v) in keep {
                    if let Some(mut dst) = neurons.values_mut(name) {
                        dst.copy_from(&v);
                    }
                }
                shard.neurons = neurons;
            }
            pop.spec = model;
            pop.values = values;
            changed.push(format!("populations.{}.params", pop.name));
        }
        for ((k, new), name) in sources.into_iter().enumerate().zip(&source_names) {
            if self.sources[k].retune(new) {
                changed.push(format!("sources.{name}.waveform"));
            }
        }
        Ok(changed)
    }
}

/// The parameters whose value differs between (`old`, `old_values`) and (`new`, `new_values`)
/// for some neuron.
fn changed_params<'a>(
    old: &ModelSpec,
    old_values: &[(String, Vec<f64>)],
    new: &'a ModelSpec,
    new_values: &[(String, Vec<f64>)],
) -> Vec<&'a str> {
    let of = |spec: &ModelSpec, values: &[(String, Vec<f64>)], name: &str| -> Vec<f64> {
        match values.iter().find(|(n, _)| n == name) {
            Some((_, v)) => v.clone(),
            None => spec.param(name).into_iter().collect(),
        }
    };
    new.per_neuron_params()
        .iter()
        .copied()
        .filter(|&name| of(old, old_values, name) != of(new, new_values, name))
        .collect()
}
