//! The one written-down order of phases within a SORN step. [`crate::sorn::Sorn::step`]
//! follows it line by line; `neuroplast validate` prints it.

/// The phases of one SORN step, in order.
pub const SORN_PHASES: [&str; 8] = [
    "0. schedule: apply freeze/unfreeze events due at step t",
    "1. noise: ξ^E(t), ξ^I(t) ~ N(0, σ²) from the noise stream (skipped when σ = 0)",
    "2. excitatory: R = W_EE x(t) − W_EI y(t) − T_E + ξ^E; R += u(t) (input); x(t+1) = Θ(R)",
    "3. inhibitory: y(t+1) = Θ(W_IE x' − T_I + ξ^I), x' = x(t+1) if fast_inhibit else x(t)",
    "4. plasticity (active rules only): IP → STDP (+ pruning) → SP → iSTDP → SN; SN also \
     computes the next step's W_EE x(t+1) and W_EI y(t+1) (else step 2 computes them)",
    "5. advance: x(t) ← x(t+1), y(t) ← y(t+1), t ← t + 1, spike hash updated",
    "6. monitors: activity, spikes, and periodic samples taken when t % every == 0",
    "7. (between chunks) progress report; checkpoints are taken only between steps",
];

/// The schedule as printable text.
pub fn sorn_schedule_summary() -> String {
    SORN_PHASES.join("\n")
}
