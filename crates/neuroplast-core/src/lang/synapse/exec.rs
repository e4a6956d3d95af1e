//! [`SynapseExec`]: the synapses of one projection, `f64` or `f32`, driven by the network
//! (arrivals, postsynaptic spikes, every step), their state by name, and checkpoints.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::lang::error::{ErrorKind, LangResult};
use crate::lang::float::StateRef;
use crate::lang::float::{Float, Precision};
use crate::lang::integrate::BV;
use crate::lang::source::ModelSource;
use crate::rng::Rng;

use super::compile::Part;
use super::def::SynapseModelDef;
use super::state::SCore;

#[derive(Clone, Debug)]
enum SInner {
    F64(SCore<f64>),
    F32(SCore<f32>),
}

/// The synapses of one projection under an equation-defined synapse model (see the module
/// docs for what the network calls).
#[derive(Clone, Debug)]
pub struct SynapseExec {
    inner: SInner,
}

macro_rules! sboth {
    ($self:expr, $c:ident => $e:expr) => {
        match &$self.inner {
            SInner::F64($c) => $e,
            SInner::F32($c) => $e,
        }
    };
}

macro_rules! sboth_mut {
    ($self:expr, $c:ident => $e:expr) => {
        match &mut $self.inner {
            SInner::F64($c) => $e,
            SInner::F32($c) => $e,
        }
    };
}

impl SynapseExec {
    /// Synapses `s = 0…m−1` from neuron `pre[s]` to `post[s]` (`n_post` postsynaptic neurons),
    /// with delays in steps (`delay_steps` empty: the model's `delay`, else 0), time step
    /// `dt_ms`, in `precision`, random numbers from `rng`; `params` sets parameters (one value,
    /// or one per synapse). Initial values come from `init=` and the `init` field.
    #[allow(clippy::too_many_arguments)] // reason: the parts of a projection
    pub fn new(
        def: &SynapseModelDef,
        pre: &[u32],
        post: &[u32],
        n_post: usize,
        delay_steps: &[u32],
        dt_ms: f64,
        precision: Precision,
        rng: Rng,
        params: &[(&str, &[f64])],
    ) -> LangResult<SynapseExec> {
        let src = &def.checked.sources;
        if !(dt_ms.is_finite() && dt_ms > 0.0) {
            return Err(src.field_error(
                ErrorKind::Value,
                None,
                format!("dt = {dt_ms} ms"),
                "a finite time step > 0 ms",
            ));
        }
        let m = pre.len();
        let mut overrides = BTreeMap::new();
        for (name, values) in params {
            let c = &def.checked;
            let Some(k) = c.params.iter().position(|p| p.name == *name) else {
                let names: Vec<&str> = c.params.iter().map(|p| p.name.as_str()).collect();
                return Err(src.field_error(
                    ErrorKind::UnknownName,
                    Some(crate::lang::span::Field::Parameters),
                    format!("`{name}` is not a parameter of `{}`", def.name()),
                    names.join(", "),
                ));
            };
            let bv = match values.len() {
                1 => BV::S(values[0]),
                l if l == m && !c.params[k].population => BV::E(values.to_vec()),
                l => {
                    return Err(src.field_error(
                        ErrorKind::Value,
                        Some(crate::lang::span::Field::Parameters),
                        format!("`{name}` got {l} values"),
                        format!("1 or {m} (one per synapse)"),
                    ));
                }
            };
            overrides.insert(k, bv);
        }
        let def = Arc::new(def.clone());
        let inner = match precision {
            Precision::F64 => SInner::F64(SCore::build(
                def,
                pre,
                post,
                n_post,
                delay_steps,
                dt_ms,
                overrides,
                rng,
            )?),
            Precision::F32 => SInner::F32(SCore::build(
                def,
                pre,
                post,
                n_post,
                delay_steps,
                dt_ms,
                overrides,
                rng,
            )?),
        };
        Ok(SynapseExec { inner })
    }

    /// Number of synapses.
    pub fn len(&self) -> usize {
        sboth!(self, c => c.pre.len())
    }

    /// `true` without synapses.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The model.
    pub fn def(&self) -> &SynapseModelDef {
        sboth!(self, c => &c.def)
    }

    /// Presynaptic spikes arrive at synapses `batch` in step `step` (see the module docs).
    pub fn on_arrivals<F: FnMut(usize, u32, f64)>(
        &mut self,
        step: u64,
        batch: &[u32],
        values: &[StateRef],
        mut add: F,
    ) {
        self.on_arrivals_dyn(step, batch, values, &mut add);
    }

    /// [`on_arrivals`](Self::on_arrivals) with the targets' sink behind one type: the
    /// interpreter is compiled once for every caller (otherwise each caller's closure type
    /// compiles another copy of it, in every crate that calls this), for one indirect call per
    /// value added to a target.
    fn on_arrivals_dyn(
        &mut self,
        step: u64,
        batch: &[u32],
        values: &[StateRef],
        mut add: &mut dyn FnMut(usize, u32, f64),
    ) {
        sboth_mut!(self, c => {
            let m = c.pre.len();
            // closed form: the arriving synapses up to this step, before t_pre changes
            c.lazy_begin(step);
            c.lazy_sync_batch(step, batch);
            for &s in batch {
                if let Some(slot) = c.last_pre.get_mut(s as usize) {
                    *slot = step.saturating_sub(u64::from(c.delay[s as usize]));
                }
            }
            // (the reused buffer keeps this allocation-free after the first calls)
            let mut buf = std::mem::take(&mut c.batch);
            buf.clear();
            buf.extend(batch.iter().copied().filter(|&s| (s as usize) < m));
            c.advance(step, &buf);
            c.run(Part::OnPre, Some(&buf), values, &mut add);
            c.batch = buf;
        })
    }

    /// Postsynaptic neurons `spikes` spiked in step `step` (see the module docs).
    pub fn on_post_spikes<F: FnMut(usize, u32, f64)>(
        &mut self,
        step: u64,
        spikes: &[u32],
        values: &[StateRef],
        mut add: F,
    ) {
        self.on_post_spikes_dyn(step, spikes, values, &mut add);
    }

    /// [`on_post_spikes`](Self::on_post_spikes) with the sink behind one type (as
    /// [`on_arrivals_dyn`](Self::on_arrivals_dyn)).
    fn on_post_spikes_dyn(
        &mut self,
        step: u64,
        spikes: &[u32],
        values: &[StateRef],
        mut add: &mut dyn FnMut(usize, u32, f64),
    ) {
        sboth_mut!(self, c => {
            c.lazy_begin(step);
            let mut batch = std::mem::take(&mut c.batch);
            batch.clear();
            for &j in spikes {
                let j = j as usize;
                if j >= c.n_post {
                    continue;
                }
                // closed form: the update of this step too (it pairs with this spike when
                // mark_post_spikes came first), before on_post
                c.lazy_sync_post(step + 1, j);
                c.last_post[j] = step;
                batch.extend_from_slice(&c.by_post[c.post_ptr[j] as usize..c.post_ptr[j + 1] as usize]);
            }
            c.advance(step, &batch);
            c.run(Part::OnPost, Some(&batch), values, &mut add);
            c.batch = batch;
        })
    }

    /// Postsynaptic neurons `spikes` spiked in step `step`: their synapses' `t_post` becomes
    /// `step` without running `on_post` (a network that runs the per-step equations of the
    /// step before `on_post` calls this first; [`on_post_spikes`](Self::on_post_spikes) then
    /// sets the same value again).
    pub fn mark_post_spikes(&mut self, step: u64, spikes: &[u32]) {
        sboth_mut!(self, c => {
            c.lazy_begin(step);
            for &j in spikes {
                if (j as usize) < c.n_post {
                    c.mark_post(step, j as usize);
                }
            }
        })
    }

    /// The per-step equations, over all synapses (see the module docs).
    pub fn per_step(&mut self, step: u64, values: &[StateRef]) {
        sboth_mut!(self, c => {
            if !c.per_step_lazy(step, values) {
                c.run(Part::PerStep, None, values, &mut crate::lang::exec::NoTargets)
            }
        })
    }

    /// Bytes of the state and buffers (every variable at its own length, the synapses'
    /// indices and spike steps, the closed form's tables; the model's text and programs not
    /// counted).
    pub fn bytes(&self) -> usize {
        sboth!(self, c => c.bytes())
    }

    /// Whether the per-step equations run in closed form between events (see the module
    /// docs): they have its shape and it is on.
    pub fn closed_form(&self) -> bool {
        sboth!(self, c => c.lazy.is_some())
    }

    /// Use the closed form of the per-step equations where they have its shape (`true`, the
    /// default) or run them every step over every synapse (`false`: the literal program, for
    /// comparisons). The state is brought up to date first.
    pub fn set_closed_form(&mut self, on: bool) {
        sboth_mut!(self, c => {
            let now = c.lazy.as_ref().map(|lz| lz.now);
            c.lazy_sync_all();
            c.closed_form = on;
            c.build_lazy();
            if let (Some(lz), Some(now)) = (c.lazy.as_mut(), now) {
                lz.now = now;
                lz.synced.fill(now);
            }
        })
    }

    /// The names of the variables (per synapse; a semiglobal one has one value per
    /// postsynaptic neuron).
    pub fn state_names(&self) -> Vec<String> {
        self.def()
            .checked
            .vars
            .iter()
            .map(|v| v.name.clone())
            .collect()
    }

    fn var_index(&self, name: &str) -> Option<usize> {
        self.def().checked.vars.iter().position(|v| v.name == name)
    }

    /// A variable as `f64` (a copy): one value per synapse, or per postsynaptic neuron for a
    /// semiglobal variable. Event-driven variables, and the variables of per-step equations in
    /// closed form ([`closed_form`](Self::closed_form)), are as of each synapse's last event;
    /// [`flush`](Self::flush) brings them up to a step first.
    pub fn get(&self, name: &str) -> Option<Vec<f64>> {
        let k = self.var_index(name)?;
        Some(sboth!(self, c => c.arrays[k].iter().map(|x| x.to_f64()).collect()))
    }

    /// A variable without a copy (as [`get`](Self::get)), when the precision is `f64`.
    pub fn state_f64(&self, name: &str) -> Option<&[f64]> {
        let k = self.var_index(name)?;
        match &self.inner {
            SInner::F64(c) => Some(&c.arrays[k]),
            SInner::F32(_) => None,
        }
    }

    /// Set a variable (one value, or one per synapse; a semiglobal variable: one per
    /// postsynaptic neuron).
    pub fn set(&mut self, name: &str, values: &[f64]) -> crate::Result<()> {
        let Some(k) = self.var_index(name) else {
            return Err(crate::Error::config(
                format!("synapses.{name}"),
                format!(
                    "unknown variable; allowed: {}",
                    self.state_names().join(", ")
                ),
            ));
        };
        let m = sboth!(self, c => c.arrays[k].len());
        if values.len() != 1 && values.len() != m {
            let per = if self.def().checked.vars[k].semiglobal {
                "one per postsynaptic neuron"
            } else {
                "one per synapse"
            };
            return Err(crate::Error::ShapeMismatch {
                what: format!("synapses.{name}"),
                expected: format!("1 or {m} values ({per})"),
                got: values.len().to_string(),
            });
        }
        sboth_mut!(self, c => {
            c.lazy_sync_all();
            for (s, x) in c.arrays[k].iter_mut().enumerate() {
                *x = Float::from_f64(values[if values.len() == 1 { 0 } else { s }]);
            }
            if c.def.checked.vars[k].semiglobal {
                if let Some(lz) = c.lazy.as_mut() {
                    lz.set_all(&c.arrays, c.n_post);
                }
            }
        });
        Ok(())
    }

    /// Exchange the storage of per-synapse variable `name` with `values` (one value per
    /// synapse; `f64` precision only), so that a network can lend its own array (a plastic
    /// projection's weights) to the model for a call and take it back after, without a copy.
    /// `false` (and nothing changes) for an unknown name, `f32` precision or a wrong length.
    pub fn swap_f64(&mut self, name: &str, values: &mut Vec<f64>) -> bool {
        let Some(k) = self.var_index(name) else {
            return false;
        };
        match &mut self.inner {
            SInner::F64(c) if c.arrays[k].len() == values.len() => {
                std::mem::swap(&mut c.arrays[k], values);
                true
            }
            _ => false,
        }
    }

    /// The compiled programs, one instruction per line: on arrivals, on postsynaptic spikes,
    /// per postsynaptic neuron (the semiglobal variables) and per synapse every step.
    pub fn program_listing(&self) -> String {
        sboth!(self, c => {
            let mut out = String::new();
            for (name, p) in [
                ("on arrivals", &c.on_pre),
                ("on postsynaptic spikes", &c.on_post),
                ("every step, per postsynaptic neuron", &c.per_post),
                ("every step, per synapse", &c.per_step),
            ] {
                if let Some(p) = p {
                    out.push_str(&format!("-- {name}:\n"));
                    for ins in &p.compiled.program.main {
                        out.push_str(&format!("{ins:?}\n"));
                    }
                }
            }
            if let Some(lz) = &c.lazy {
                out.push_str(&format!("-- every step, per synapse, runs as: {}\n", lz.describe(&c.def.checked)));
            }
            out
        })
    }

    /// Bring every event-driven variable up to step `step`, and the per-step equations in
    /// closed form up to the last step run (before reading them).
    pub fn flush(&mut self, step: u64) {
        sboth_mut!(self, c => {
            let all: Vec<u32> = (0..c.pre.len() as u32).collect();
            c.advance(step, &all);
            c.lazy_sync_all();
        })
    }
}

// ---- checkpoints -----------------------------------------------------------------------------

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SynapseSnapshot {
    name: String,
    source: ModelSource,
    pre: Vec<u32>,
    post: Vec<u32>,
    n_post: usize,
    delay: Vec<u32>,
    dt: f64,
    precision: Precision,
    params: Vec<(String, Vec<f64>)>,
    state: Vec<Vec<f64>>,
    last_update: Vec<u64>,
    last_pre: Vec<u64>,
    last_post: Vec<u64>,
    rng: Rng,
    /// Closed form: whether it is on, each synapse's synced step and the next step.
    #[serde(default = "yes")]
    closed_form: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    synced: Vec<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    now: Option<u64>,
    /// Closed form: neurons marked spiking whose synapses are not yet up to their spike's
    /// step (a state saved between `mark_post_spikes` and `per_step`), each with its `t_post`
    /// before, and that step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pending: Vec<(u32, u64)>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pending_step: u64,
}

fn yes() -> bool {
    true
}

fn is_zero(x: &u64) -> bool {
    *x == 0
}

impl Serialize for SynapseExec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let def = self.def();
        let snap = sboth!(self, c => SynapseSnapshot {
            name: def.name().to_string(),
            source: def.source().clone(),
            pre: c.pre.clone(),
            post: c.post.clone(),
            n_post: c.n_post,
            delay: c.delay.clone(),
            dt: c.dt,
            precision: match self.inner { SInner::F64(_) => Precision::F64, SInner::F32(_) => Precision::F32 },
            params: c.overrides.iter().map(|(k, v)| (def.checked.params[*k].name.clone(), match v {
                BV::S(x) => vec![*x],
                BV::E(xs) => xs.clone(),
            })).collect(),
            state: c.arrays[..def.checked.vars.len()].iter().map(|a| a.iter().map(|x| x.to_f64()).collect()).collect(),
            last_update: c.last_update.clone(),
            last_pre: c.last_pre.clone(),
            last_post: c.last_post.clone(),
            rng: c.rng.clone(),
            closed_form: c.closed_form,
            synced: c.lazy.as_ref().map(|lz| lz.synced.clone()).unwrap_or_default(),
            now: c.lazy.as_ref().map(|lz| lz.now).filter(|&n| n != super::state::UNKNOWN),
            pending: c.lazy.as_ref().map(|lz| lz.pending.clone()).unwrap_or_default(),
            pending_step: c.lazy.as_ref().map_or(0, |lz| lz.pending_step),
        });
        snap.serialize(s)
    }
}

impl<'de> Deserialize<'de> for SynapseExec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let snap = SynapseSnapshot::deserialize(d)?;
        let def =
            SynapseModelDef::from_source(&snap.name, &snap.source).map_err(D::Error::custom)?;
        let params: Vec<(&str, &[f64])> = snap
            .params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_slice()))
            .collect();
        let mut exec = SynapseExec::new(
            &def,
            &snap.pre,
            &snap.post,
            snap.n_post,
            &snap.delay,
            snap.dt,
            snap.precision,
            snap.rng.clone(),
            &params,
        )
        .map_err(D::Error::custom)?;
        let m = snap.pre.len();
        let ok = sboth_mut!(exec, c => {
            if snap.state.len() != def.checked.vars.len()
                || snap.state.iter().zip(&c.arrays).any(|(a, b)| a.len() != b.len())
                || snap.last_update.len() != m
                || snap.last_pre.len() != m
                || snap.last_post.len() != c.n_post
                || snap.pending.iter().any(|&(j, _)| j as usize >= c.n_post)
            {
                false
            } else {
                for (a, s) in c.arrays.iter_mut().zip(&snap.state) {
                    for (x, &y) in a.iter_mut().zip(s) {
                        *x = Float::from_f64(y);
                    }
                }
                c.last_update = snap.last_update.clone();
                c.last_pre = snap.last_pre.clone();
                c.last_post = snap.last_post.clone();
                c.rng = snap.rng.clone();
                // closed form: coefficients from the restored state, then where it was
                c.closed_form = snap.closed_form;
                c.build_lazy();
                if let (Some(lz), Some(now)) = (c.lazy.as_mut(), snap.now) {
                    if snap.synced.len() == m {
                        lz.synced.clone_from(&snap.synced);
                        lz.now = now;
                        lz.pending.clone_from(&snap.pending);
                        lz.pending_step = snap.pending_step;
                    }
                }
                true
            }
        });
        if !ok {
            return Err(D::Error::custom("synapse state does not match the model"));
        }
        Ok(exec)
    }
}
