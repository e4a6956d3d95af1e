//! How many steps a refractory period holds a neuron: NEST's count or Brian2's, one step
//! apart. The built-in LIF models take it as their `refractory` parameter and equation models
//! as their model table's `refractory_rule`, so both share one type.

/// When a LIF neuron integrates again after a spike: the `refractory` key of the LIF models'
/// parameter tables (`"nest"` or `"brian2"`). With `R = round(tau_refrac / dt)`:
///
/// * `"nest"` (the default, NEST's rule): after a spike in step `s`, `v` is held at `v_reset`
///   in steps `s+1 … s+R` and integrates again in step `s+R+1`;
/// * `"brian2"` (Brian2's `refractory=`): the neuron is refractory while
///   `timestep(t − lastspike) < R`, so `v` is held in steps `s+1 … s+R−1` — one step fewer, and
///   none at all when `R ≤ 1`. Use it to match a Brian2 script spike for spike.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefractoryRule {
    /// NEST's rule: held for `R` steps after the spike step.
    #[default]
    Nest,
    /// Brian2's rule: held for `R − 1` steps after the spike step.
    Brian2,
}
