//! One projection of a [`NetworkBuilder`]: where its spikes go, its synapses drawn (on one rank
//! of a distributed build, only those onto the rank's neurons), its plasticity attached.

use std::borrow::Cow;

use super::super::delivery::resolve_delivery;
use super::super::partition::owned_neurons;
use super::super::spec::{delay_steps, ProjectionSpec, SynapseSpec};
use super::super::{Population, Projection};
use super::NetworkBuilder;
use crate::distributed::Partition;
use crate::rng::{component, Stream};
use crate::spiking::connector::{Connector, Value};
use crate::spiking::neuron::{ModelSpec, NeuronModel, ReceptorKind};
use crate::spiking::plasticity::Plasticity;
use crate::spiking::projection::{distinct, Delivery, Synapses, Weights};
use crate::{ensure, Result};

impl NetworkBuilder {
    /// One projection: where its spikes go, its synapses drawn, its plasticity attached; with
    /// each presynaptic neuron's out-degree in the whole projection. On rank `part` of a
    /// distributed build a static projection keeps only its synapses onto the rank's neurons.
    pub(super) fn build_projection(
        &self,
        k: usize,
        spec: &ProjectionSpec,
        pops: &mut [Population],
        part: Option<Partition>,
    ) -> Result<(Projection, Vec<u32>)> {
        let dt = self.dt;
        let path = format!("projections.{}", spec.name);
        let pre = self.pop_index(&spec.pre, &format!("{path}.pre"))?;
        let post = self.pop_index(&spec.post, &format!("{path}.post"))?;
        let (n_pre, n_post) = (pops[pre].n, pops[post].n);
        let delivery = resolve_delivery(spec, &path, &mut pops[post], dt)?;
        spec.connector
            .validate(&format!("{path}.connector"), n_pre, n_post, pre == post)?;
        let most = spec.connector.max_synapses(n_pre, n_post);
        ensure!(
            most.is_finite() && most < f64::from(u32::MAX),
            format!("{path}.connector"),
            "would make up to {most:.3e} synapses; one projection holds fewer than 2³² (split it, or lower p / k)"
        );
        let mut rng = component(self.seed, Stream::Connect, k as u64);
        // one rank of a distributed run keeps the static synapses onto its own neurons;
        // plastic projections stay whole on every rank (their rules run everywhere alike)
        let keep = part
            .filter(|_| spec.plasticity.is_none())
            .map(|part| owned_neurons(&pops[post], part));
        let constant = matches!(spec.weight, Value::Constant { .. })
            && matches!(spec.delay, Value::Constant { .. });
        let mut out_degree = vec![0u32; n_pre];
        let mut m = 0usize;
        let mut pairs = Vec::new();
        // an explicit list kept whole is used as it is (no copy of 10⁵–10⁶ pairs)
        let listed = match (&spec.connector, keep) {
            (Connector::FromList { pre, post }, None) => Some((pre, post)),
            _ => None,
        };
        match (listed, keep, constant) {
            (Some((from, _)), _, _) => {
                m = from.len();
                for &i in from {
                    out_degree[i as usize] += 1;
                }
            }
            // constants draw nothing more: keep only this rank's pairs while drawing
            (None, Some((lo, hi)), true) => {
                spec.connector
                    .each_pair(n_pre, n_post, pre == post, &mut rng, |i, j| {
                        m += 1;
                        out_degree[i as usize] += 1;
                        if (lo..hi).contains(&j) {
                            pairs.push((i, j));
                        }
                    })
            }
            _ => {
                pairs = spec.connector.pairs(n_pre, n_post, pre == post, &mut rng);
                m = pairs.len();
                for &(i, _) in &pairs {
                    out_degree[i as usize] += 1;
                }
            }
        }
        spec.weight.validate(&format!("{path}.weight"), m)?;
        spec.delay.validate(&format!("{path}.delay_ms"), m)?;
        let n = if listed.is_some() { m } else { pairs.len() };
        // constants draw nothing and need no array of their own; arrays of a projection kept
        // whole are used as they are (they draw nothing either)
        let mut weights = values_of(&spec.weight, keep.is_none(), n, &mut rng);
        let delays_ms = values_of(&spec.delay, keep.is_none(), n, &mut rng);
        let mut delays = delay_steps(spec, &path, &delays_ms, n, dt)?;
        drop(delays_ms);
        let all_delays = match (&spec.delay, keep) {
            // what the whole projection's synapses have, even where this rank keeps none
            (Value::Constant { value }, Some(_)) if m > 0 => {
                vec![spec
                    .delay_rounding
                    .steps(&format!("{path}.delay_ms"), *value, dt)?]
            }
            _ => distinct(&delays),
        };
        if let (Some((lo, hi)), false) = (keep, constant) {
            let mut kept = 0;
            for s in 0..n {
                if (lo..hi).contains(&pairs[s].1) {
                    pairs[kept] = pairs[s];
                    if !weights.is_empty() {
                        weights.to_mut()[kept] = weights[s];
                    }
                    delays[kept] = delays[s];
                    kept += 1;
                }
            }
            pairs.truncate(kept);
            if !weights.is_empty() {
                weights.to_mut().truncate(kept);
            }
            delays.truncate(kept);
        }
        let (pre_idx, post_idx): (Cow<'_, [u32]>, Cow<'_, [u32]>) = match listed {
            Some((from, to)) => (Cow::Borrowed(from), Cow::Borrowed(to)),
            None => (
                pairs.iter().map(|p| p.0).collect(),
                pairs.iter().map(|p| p.1).collect(),
            ),
        };
        drop(pairs);
        let weight = match spec.weight {
            Value::Constant { value } => Weights::All(value),
            _ => Weights::Each(&weights),
        };
        let mut synapses = Synapses::with_delays(
            n_pre, n_post, &pre_idx, &post_idx, weight, &delays, all_delays,
        );
        drop((pre_idx, post_idx, weights, delays));
        let plasticity = match &spec.plasticity {
            Some(rule) => {
                rule.validate(&format!("{path}.plasticity"), dt)?;
                let receptors = pops[post].shards[0].neurons.receptors();
                let conductance = match &spec.synapse {
                    SynapseSpec::Receptor { names } => names.iter().any(|n| {
                        receptors
                            .iter()
                            .any(|r| r.name == n && r.kind == ReceptorKind::Conductance)
                    }),
                    _ => false,
                };
                ensure!(
                    !conductance || rule.w_min() >= 0.0,
                    format!("{path}.plasticity.w_min"),
                    "a plastic conductance (µS) cannot go below 0, got w_min = {}",
                    rule.w_min()
                );
                ensure!(
                    delivery != Delivery::VoltageJump,
                    format!("{path}.plasticity"),
                    "plastic projections must target receptors or double-exponential synapses (not voltage jumps)"
                );
                let post_def = match &self.pops[post].model {
                    ModelSpec::equations(p) => p.def(),
                    _ => None,
                };
                let names = match &spec.synapse {
                    SynapseSpec::Receptor { names } => names.clone(),
                    _ => Vec::new(),
                };
                rule.check_post(&format!("{path}.plasticity"), post_def, &names)?;
                rule.check_reads(
                    &format!("{path}.plasticity"),
                    pops[pre].shards[0].neurons.state_names(),
                    pops[post].shards[0].neurons.state_names(),
                )?;
                let rng = component(self.seed, Stream::Plasticity, k as u64);
                Some(Plasticity::seeded(rule, &mut synapses, dt, rng))
            }
            None => None,
        };
        Ok((
            Projection {
                name: spec.name.clone(),
                pre,
                post,
                delivery,
                synapses,
                plasticity,
            },
            out_degree,
        ))
    }
}

/// A projection's values, one per synapse: none for a constant (it needs no array of its
/// own), an array as it is when the projection is kept `whole` (arrays draw nothing), else
/// drawn.
fn values_of<'a>(v: &'a Value, whole: bool, n: usize, rng: &mut crate::rng::Rng) -> Cow<'a, [f64]> {
    match v {
        Value::Constant { .. } => Cow::Borrowed(&[]),
        Value::Array { values } if whole => Cow::Borrowed(values),
        _ => Cow::Owned(v.sample(n, rng)),
    }
}
