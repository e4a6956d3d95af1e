//! Synapse models defined by equations: [`SynapseModelDef`] and [`SynapseExec`] (the state
//! of one projection's synapses, driven by the network's plasticity interface).
//!
//! ## What the network calls
//!
//! * [`on_arrivals`](SynapseExec::on_arrivals)`(step, batch, values, add)`: the presynaptic
//!   spikes arriving at synapses `batch` in this step (each synapse at most once). The
//!   synapses' `t_pre` becomes the emission step (`step − delay`), event-driven variables are
//!   brought up to `step`, then `on_pre` / `pre_spike` runs, statement by statement over the
//!   whole batch. Additions to postsynaptic targets (`ge_post += w`, `g_target += w`) go
//!   through `add(target, post, value)` in batch order (`target` indexes
//!   [`SynapseModelDef::targets`]).
//! * [`on_post_spikes`](SynapseExec::on_post_spikes)`(step, spikes, values)`: the
//!   postsynaptic neurons that spiked; `t_post` becomes `step`, then `on_post` / `post_spike`
//!   runs over all their incoming synapses (a transposed index built once).
//! * [`per_step`](SynapseExec::per_step)`(step, values)`: the equations that are integrated
//!   every step (not event-driven) and ANNarchy's per-step assignments (`w += …`), one
//!   vectorised pass over all synapses — or, when they have the shape of a homeostatic STDP
//!   rule, in closed form between each synapse's events (`lazy`; then the state read between
//!   events is as of each synapse's last event until [`flush`](SynapseExec::flush)).
//!
//! Freezing is the network not calling these. `values[k]` is the pre-/postsynaptic neuron
//! array named by [`SynapseModelDef::reads`]`[k]` (e.g. `v` of the postsynaptic population,
//! or the network's rate estimate for ANNarchy's `post.r`).
//!
//! Event-driven variables (`dx/dt = -x/tau : 1 (event-driven)`, any `x' = a·x + b` with
//! constant `a`, `b`) are integrated exactly between events: `x ← x∞ + (x − x∞)·e^{a·k·dt}`
//! for the `k` steps since the synapse's last event, the factors read from a table of
//! `exp(k·a·dt)` (as the built-in pair STDP does).
//!
//! | module | part |
//! |---|---|
//! | `def` | [`SynapseModelDef`], [`Side`]: what a model reads and adds to, checks against neuron models |
//! | `compile` | the programs: on arrivals, on postsynaptic spikes, every step, `init` |
//! | `state` | one projection's arrays, programs and event-driven variables in one precision |
//! | `lazy` | the per-step equations in closed form between events, where they have its shape |
//! | `exec` | [`SynapseExec`]: what the network calls, state by name, checkpoints |

mod compile;
mod def;
mod exec;
mod lazy;
mod state;

pub use def::{Side, SynapseModelDef};
pub use exec::SynapseExec;
