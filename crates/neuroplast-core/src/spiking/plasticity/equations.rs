//! `equations`: a plasticity rule written as equations — a synapse model of the model
//! language ([`crate::lang`], Brian2 `on_pre` / `on_post` or ANNarchy `pre_spike` /
//! `post_spike` and per-step equations) driving a plastic projection like a built-in rule.
//! In an experiment file it is a `[models.<name>]` table named as the projection's
//! `plasticity = { kind = "<name>", … }` (`docs/model-language.md`).
//!
//! What the network's plasticity interface becomes (one [`SynapseExec`] per projection):
//!
//! * **arrivals** of step `t`: the arriving synapses (each at most once) run `on_pre` /
//!   `pre_spike` as one batch; what it adds to its target (`g_target += w`, `ge += w`) is
//!   delivered to the projection's receptor(s). `t_pre` is the emission step (`t − delay`).
//! * **after the neurons of step `t`**: the postsynaptic rate estimate takes the step's spikes
//!   in; the spiking neurons' `t_post` becomes `t`; the per-step equations run over every
//!   synapse (ANNarchy's `w += …` every step, traces without `(event-driven)`; in closed form
//!   between events where they have the shape of a homeostatic STDP rule, as `homeo_stdp`
//!   does: [`crate::lang::SynapseExec::closed_form`]); then `on_post`
//!   / `post_spike` runs on the spiking neurons' incoming synapses. This is the order of the
//!   built-in `homeostatic_stdp` (ANNarchy's): the update of step `t` already pairs with a
//!   postsynaptic spike of step `t`, and a trace set by `post_spike` starts decaying at the
//!   next update.
//! * the model's per-synapse variable **`w` is the projection's weight**: the projection's
//!   storage is lent to the model for each call (no copy), so weights read, recorded, frozen
//!   or saved are always the model's. Under a closed form they are, between events, as of each
//!   synapse's last event (as the built-in `homeostatic_stdp`'s): freezing the projection or
//!   setting its weights brings them up to date first.
//! * **`post.r`** (ANNarchy) is the postsynaptic rate in Hz over the last `rate_window_ms`
//!   (spikes in `(t − window, t]`, ANNarchy's `compute_firing_rate(window)`).
//! * **other neuron values** (`v_post`, `v_pre`, ANNarchy's `post.v`, `pre.x`): any state
//!   variable of the pre- or postsynaptic population, copied by the network before each call —
//!   at arrivals the value after the previous step (the neurons of step `t` are not yet
//!   updated), after the neurons the value of step `t` (after its reset). One network
//!   process only: a distributed run refuses such a rule.
//! * `rand()` draws from the projection's own stream; freezing is the network not calling the
//!   rule (event-driven variables then decay over the frozen time when it resumes).
//!
//! One difference from ANNarchy with delays: `t_pre` changes when a spike *arrives*, so the
//! per-step update of the emission step itself still pairs with the previous presynaptic spike
//! (the built-in `homeostatic_stdp` switches at the emission step, as ANNarchy does).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::super::projection::Synapses;
use super::{Arrivals, NeuronRead, PostSpikes, SynapseRule};
use crate::lang::{ModelSource, Precision, Side, SynapseExec, SynapseModelDef, StateRef};
use crate::rng::Rng;
use crate::{ensure, Error, Result};

/// The parameters of an equation rule: the model (its name and table), the values given for
/// its parameters and the window of `post.r`. Serialised (checkpoints, resolved files) they
/// are `{ kind = "equations", name, source, values, rate_window_ms }`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(try_from = "RuleTable", into = "RuleTable")]
pub struct EquationRuleParams {
    /// Boxed: a model table is large, and `PlasticitySpec` holds one value of some rule.
    table: Box<RuleTable>,
    /// The parsed model (`None` only for the empty default).
    def: Option<Arc<SynapseModelDef>>,
}

/// [`EquationRuleParams`] as data.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleTable {
    /// The model's name (`[models.<name>]`).
    name: String,
    /// The model's table.
    source: ModelSource,
    /// Parameter values that override the table's.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    values: BTreeMap<String, f64>,
    /// Window of the postsynaptic rate `post.r`, ms (needed when the model reads it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rate_window_ms: Option<f64>,
}

impl TryFrom<RuleTable> for EquationRuleParams {
    type Error = Error;
    fn try_from(table: RuleTable) -> Result<EquationRuleParams> {
        let mut p = EquationRuleParams::new(&table.name, &table.source)?;
        for (k, v) in &table.values {
            p.set_named(k, *v, &format!("values.{k}"))?;
        }
        p.table.rate_window_ms = table.rate_window_ms;
        Ok(p)
    }
}

impl From<EquationRuleParams> for RuleTable {
    fn from(p: EquationRuleParams) -> RuleTable {
        *p.table
    }
}

impl PartialEq for EquationRuleParams {
    fn eq(&self, other: &Self) -> bool {
        self.table == other.table
    }
}

/// Most neuron values one synapse model reads (`v_post`, `pre.x`, `post.r`, …).
const MAX_READS: usize = 8;

/// The error of the empty default (an `equations` rule without its table).
const NO_TABLE: &str = "an equation rule needs its table: write `plasticity = { kind = \"<name>\" }` with a `[models.<name>]` table";

impl EquationRuleParams {
    /// Synapse model `name` from its table; errors name `models.<name>.<field>` with the line
    /// and column (see [`crate::lang::LangError`]).
    pub fn new(name: &str, source: &ModelSource) -> Result<EquationRuleParams> {
        let def = SynapseModelDef::from_source(name, source)?;
        Ok(EquationRuleParams {
            table: Box::new(RuleTable {
                name: name.to_string(),
                source: source.clone(),
                values: BTreeMap::new(),
                rate_window_ms: None,
            }),
            def: Some(Arc::new(def)),
        })
    }

    /// The model's name.
    pub fn name(&self) -> &str {
        &self.table.name
    }

    /// The parsed model (`None` for the empty default).
    pub fn def(&self) -> Option<&SynapseModelDef> {
        self.def.as_deref()
    }

    /// The values given for parameters (the others are the table's).
    pub fn values(&self) -> &BTreeMap<String, f64> {
        &self.table.values
    }

    /// Set parameter `key` to `value` for every synapse; an unknown name is an error at `path`
    /// listing the model's parameters.
    pub fn set_named(&mut self, key: &str, value: f64, path: &str) -> Result<()> {
        let names: Vec<String> = self
            .def
            .as_ref()
            .map(|d| d.parameters().into_iter().map(|p| p.name).collect())
            .unwrap_or_default();
        ensure!(
            names.iter().any(|n| n == key),
            path,
            "`{key}` is not a parameter of synapse model `{}`; its parameters: {}",
            self.table.name,
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        );
        self.table.values.insert(key.to_string(), value);
        Ok(())
    }

    /// The window of `post.r`, ms (`None`: not given).
    pub fn rate_window_ms(&self) -> Option<f64> {
        self.table.rate_window_ms
    }

    /// Set the window of `post.r`, ms.
    pub fn set_rate_window_ms(&mut self, ms: Option<f64>) {
        self.table.rate_window_ms = ms;
    }

    /// Whether the model reads the postsynaptic rate `post.r`.
    pub fn reads_rate(&self) -> bool {
        self.def
            .as_ref()
            .is_some_and(|d| d.reads().iter().any(|r| *r == (Side::Post, "r".to_string())))
    }

    /// Check the model against the projection's postsynaptic population: `post` is its model
    /// when that is an equation model (reads and targets are checked against it), `receptors`
    /// the receptor names the projection delivers to. Errors name `path` (the plasticity
    /// table).
    pub fn check_post(
        &self,
        path: &str,
        post: Option<&crate::lang::NeuronModelDef>,
        receptors: &[String],
    ) -> Result<()> {
        let Some(def) = self.def.as_deref() else {
            return Err(Error::config(path, NO_TABLE));
        };
        if let Some(post) = post {
            def.check_post(post, &["r"])?;
        }
        for t in def.targets() {
            ensure!(
                t == "g_target" || post.is_none() || receptors.contains(&t),
                format!("{path}.kind"),
                "synapse model `{}` adds to `{t}`, but the projection delivers to {}; allowed: receptor = \"{t}\", or `g_target` in the model (the projection's receptors)",
                def.name(),
                receptors.join(" and ")
            );
        }
        Ok(())
    }
}

/// The postsynaptic rate over a sliding window (ANNarchy's `compute_firing_rate`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct RateWindow {
    /// Window in steps.
    window: u64,
    /// Hz per spike in the window.
    hz: f64,
    count: Vec<u32>,
    rate: Vec<f64>,
    /// (step, post) of every spike still in the window, oldest first.
    fifo: VecDeque<(u64, u32)>,
}

impl RateWindow {
    fn take(&mut self, t: u64, spikes: &[u32]) {
        for &j in spikes {
            let j = j as usize;
            self.count[j] += 1;
            self.rate[j] = f64::from(self.count[j]) * self.hz;
            self.fifo.push_back((t, j as u32));
        }
        while let Some(&(s, j)) = self.fifo.front() {
            if s + self.window > t {
                break;
            }
            self.fifo.pop_front();
            let j = j as usize;
            self.count[j] -= 1;
            self.rate[j] = f64::from(self.count[j]) * self.hz;
        }
    }
}

/// State of an `equations` projection.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EquationRuleState {
    exec: SynapseExec,
    /// `None` when the model does not read `post.r`.
    rate: Option<RateWindow>,
    /// The arriving synapses of a step (reused).
    #[serde(skip)]
    batch: Vec<u32>,
}

impl PartialEq for EquationRuleState {
    fn eq(&self, other: &Self) -> bool {
        let names = self.exec.state_names();
        self.exec.def().source() == other.exec.def().source()
            && self.rate == other.rate
            && names
                .iter()
                .filter(|n| *n != "w")
                .all(|n| self.exec.get(n) == other.exec.get(n))
    }
}

impl EquationRuleState {
    /// The synapses' model state (the weights `w` are the projection's).
    pub fn exec(&self) -> &SynapseExec {
        &self.exec
    }

    /// The current rate estimate of each postsynaptic neuron, Hz (`None`: the model does not
    /// read `post.r`).
    pub fn rates(&self) -> Option<&[f64]> {
        self.rate.as_ref().map(|r| r.rate.as_slice())
    }

    /// Run `f` with the projection's weights lent to the model as its `w` and the neuron
    /// values it reads (`neurons`, in the model's order; `post.r` from the rate window).
    fn with_weights<R>(
        &mut self,
        synapses: &mut Synapses,
        neurons: &[NeuronRead],
        f: impl FnOnce(&mut SynapseExec, &[StateRef]) -> R,
    ) -> R {
        let weights = synapses.weight_vec_mut();
        let lent = self.exec.swap_f64("w", weights);
        debug_assert!(lent, "w is an f64 variable of every equation rule");
        let mut values = [StateRef::F64(&[]); MAX_READS];
        let n = neurons.len().min(MAX_READS);
        for (v, read) in values.iter_mut().zip(neurons) {
            *v = match &self.rate {
                Some(r) if read.from_rule => StateRef::F64(&r.rate),
                _ => StateRef::F64(&read.values),
            };
        }
        let out = f(&mut self.exec, &values[..n]);
        self.exec.swap_f64("w", synapses.weight_vec_mut());
        out
    }
}

impl SynapseRule for EquationRuleState {
    type Params = EquationRuleParams;

    fn validate(p: &EquationRuleParams, path: &str, dt: f64) -> Result<()> {
        let Some(def) = p.def.as_deref() else {
            return Err(Error::config(path, NO_TABLE));
        };
        for (k, v) in &p.table.values {
            ensure!(
                v.is_finite(),
                format!("{path}.{k}"),
                "must be a finite number, got {v}"
            );
        }
        let w = def.variables().into_iter().find(|v| v.name == "w");
        ensure!(
            w.is_some(),
            format!("{path}.kind"),
            "synapse model `{}` has no per-synapse variable `w` (the projection's weight); allowed: a model that declares `w` (Brian2 `w : 1`, ANNarchy `w` in its equations)",
            def.name()
        );
        let reads = def.reads().len();
        ensure!(
            reads <= MAX_READS,
            format!("{path}.kind"),
            "synapse model `{}` reads {reads} neuron values; at most {MAX_READS} are allowed",
            def.name()
        );
        ensure!(
            def.targets().len() <= 1,
            format!("{path}.kind"),
            "synapse model `{}` adds to {} targets ({}); a projection delivers to one (its receptor, or two for [\"ampa\", \"nmda\"] with `g_target`)",
            def.name(),
            def.targets().len(),
            def.targets().join(", ")
        );
        match p.table.rate_window_ms {
            Some(ms) => {
                let key = format!("{path}.rate_window_ms");
                let steps = super::super::source::whole_steps(&key, ms, dt)?;
                ensure!(steps >= 1, key, "must be at least one step (dt = {dt} ms)");
            }
            None => ensure!(
                !p.reads_rate(),
                format!("{path}.rate_window_ms"),
                "synapse model `{}` reads the postsynaptic rate `post.r`: give its window in ms (ANNarchy's compute_firing_rate(window)), e.g. rate_window_ms = 10000.0",
                def.name()
            ),
        }
        Ok(())
    }

    fn w_min(p: &EquationRuleParams) -> f64 {
        // the model's own bounds (`min=`, `clip`) keep its weights in range; a conductance
        // receptor is not refused for a model that lets `w` go below 0
        let _ = p;
        0.0
    }

    fn check_post(
        p: &EquationRuleParams,
        path: &str,
        post: Option<&crate::lang::NeuronModelDef>,
        receptors: &[String],
    ) -> Result<()> {
        p.check_post(path, post, receptors)
    }

    fn neuron_reads(p: &EquationRuleParams) -> Vec<NeuronRead> {
        let Some(def) = p.def.as_deref() else {
            return Vec::new();
        };
        def.reads()
            .into_iter()
            .map(|(side, name)| NeuronRead {
                from_rule: (side, name.as_str()) == (Side::Post, "r"),
                side,
                name,
                values: Vec::new(),
            })
            .collect()
    }

    fn check_reads(p: &EquationRuleParams, path: &str, pre: &[&str], post: &[&str]) -> Result<()> {
        let Some(def) = p.def.as_deref() else {
            return Err(Error::config(path, NO_TABLE));
        };
        let mut allowed: Vec<(Side, &str)> = vec![(Side::Post, "r")];
        allowed.extend(post.iter().map(|&n| (Side::Post, n)));
        allowed.extend(pre.iter().map(|&n| (Side::Pre, n)));
        let list = |names: &[&str]| match names {
            [] => "none".to_string(),
            _ => names.join(", "),
        };
        let shown = format!(
            "the postsynaptic neuron's state ({}), the presynaptic neuron's ({}) and post.r",
            list(post),
            list(pre)
        );
        def.check_reads(&allowed, &shown)?;
        Ok(())
    }

    fn new(p: &EquationRuleParams, synapses: &mut Synapses, dt: f64, rng: Rng) -> Self {
        let def = p.def.as_deref().expect("validated");
        let (mut pre, mut post, mut delay) = (Vec::new(), Vec::new(), Vec::new());
        for (i, j, _, d) in synapses.iter() {
            pre.push(i);
            post.push(j);
            delay.push(d);
        }
        let given: Vec<(&str, Vec<f64>)> = p
            .table
            .values
            .iter()
            .map(|(k, v)| (k.as_str(), vec![*v]))
            .collect();
        let given: Vec<(&str, &[f64])> = given.iter().map(|(k, v)| (*k, v.as_slice())).collect();
        let n_post = synapses.n_post();
        let exec = SynapseExec::new(
            def,
            &pre,
            &post,
            n_post,
            &delay,
            dt,
            Precision::F64,
            rng,
            &given,
        )
        .expect("validated");
        let rate = p.reads_rate().then(|| RateWindow {
            window: (p.table.rate_window_ms.expect("validated") / dt).round() as u64,
            hz: 1000.0 / p.table.rate_window_ms.expect("validated"),
            count: vec![0; n_post],
            rate: vec![0.0; n_post],
            fifo: VecDeque::with_capacity(64),
        });
        EquationRuleState {
            exec,
            rate,
            batch: Vec::new(),
        }
    }

    fn on_arrivals(&mut self, cx: Arrivals<'_>, add: &mut impl FnMut(u32, f64)) {
        let t = cx.t;
        let mut batch = std::mem::take(&mut self.batch);
        batch.clear();
        cx.synapses.arrivals(t, cx.ring, |s, _| batch.push(s as u32));
        for &s in &batch {
            cx.last_arrival[s as usize] = t;
        }
        self.with_weights(cx.synapses, cx.neurons, |exec, values| {
            exec.on_arrivals(t, &batch, values, |_, j, x| add(j, x));
        });
        self.batch = batch;
    }

    fn after_step(&mut self, cx: PostSpikes<'_>) {
        let t = cx.t;
        if let Some(r) = self.rate.as_mut() {
            r.take(t, cx.spikes);
        }
        for &j in cx.spikes {
            cx.last_post[j as usize] = t;
        }
        self.with_weights(cx.synapses, cx.neurons, |exec, values| {
            exec.mark_post_spikes(t, cx.spikes);
            exec.per_step(t, values);
            exec.on_post_spikes(t, cx.spikes, values, |_, _, _| {});
        });
    }

    fn flush(&mut self, cx: PostSpikes<'_>) {
        self.exec.flush(cx.t);
    }

    fn bytes(&self) -> usize {
        self.exec.bytes()
            + 4 * self.batch.capacity()
            + self
                .rate
                .as_ref()
                .map_or(0, |r| 12 * r.rate.len() + 16 * r.fifo.capacity())
    }
}
