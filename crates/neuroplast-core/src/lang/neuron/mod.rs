//! Neuron models defined by equations: [`NeuronModelDef`] (parse + check + plan, once per
//! model) and [`NeuronExec`] (one population: its state and compiled step).
//!
//! ## One step
//!
//! 1. (The network has added this step's synaptic input into the target variables.)
//! 2. A neuron is *active* unless refractory. ANNarchy's assigned variables are evaluated in
//!    order; the differential equations are integrated (see [`super::integrate`]), each from
//!    the values at the start of the step (ANNarchy: at its position among the assignments).
//! 3. Variables marked `(unless refractory)` (ANNarchy: every variable but the `g_*`
//!    conductances) keep their old value in refractory neurons; then `min`/`max` bounds.
//! 4. Spike where the threshold holds (and the neuron is active); spikes are appended as
//!    ascending local indices.
//! 5. Refractoriness as a counter: a spike sets it to `R = round(refractory / dt)` (NEST's
//!    rule, the built-ins' default and ANNarchy syntax's) or `R − 1` (Brian2's rule and Brian2
//!    syntax's default: active again at the step where `t − lastspike` reaches the period;
//!    the model table's `refractory_rule` chooses); a neuron with a counter above 0 is refractory and the counter
//!    drops by one every step — the neuron is held for exactly that many steps after its spike
//!    step. (A Brian2 condition instead: refractory after a spike while the condition holds.)
//! 6. Reset statements run for the neurons that spiked, in order.
//! 7. ANNarchy's implicit conductances (`g_exc` used but not defined) are set to 0.
//!
//! | module | part |
//! |---|---|
//! | `def` | [`NeuronModelDef`], what a model tells about itself, parameter values |
//! | `compile` | array layout, the lowered step and `init` |
//! | `state` | one population's arrays and programs in one precision |
//! | `exec` | [`NeuronExec`]: the population by name, `f64` or `f32`; checkpoints |

mod compile;
mod def;
mod exec;
mod state;

pub(crate) use compile::{apply_op, Layout};
pub(crate) use def::param_values;
pub use def::{NeuronModelDef, ParamInfo, VarInfo, VarRole};
pub use exec::NeuronExec;
pub(crate) use state::Loaded;
