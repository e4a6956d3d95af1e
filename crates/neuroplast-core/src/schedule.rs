//! The SORN step as data: [`SORN_PHASES`] is the ordered list that `Simulation::step` runs
//! (the network phases through `Sorn::run_phase`), that `neuroplast validate` prints and that
//! profiling times. (The spiking step's list is
//! `spiking::network::PHASES`.)

use std::time::Instant;

/// One phase of the SORN step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SornPhase {
    /// Freeze/unfreeze events due at step t (the simulation's).
    Events,
    /// Gaussian noise for E and I units.
    Noise,
    /// The excitatory update.
    Excitatory,
    /// The inhibitory update.
    Inhibitory,
    /// The active plasticity rules.
    Plasticity,
    /// Swap state buffers, advance the clock, fingerprint.
    Advance,
    /// Recordings (the simulation's).
    Monitors,
}

/// The phases of one SORN step, in order.
pub const SORN_PHASES: [SornPhase; 7] = [
    SornPhase::Events,
    SornPhase::Noise,
    SornPhase::Excitatory,
    SornPhase::Inhibitory,
    SornPhase::Plasticity,
    SornPhase::Advance,
    SornPhase::Monitors,
];

impl SornPhase {
    /// Short name (summary.json's `profile` keys).
    pub fn name(self) -> &'static str {
        match self {
            SornPhase::Events => "events",
            SornPhase::Noise => "noise",
            SornPhase::Excitatory => "excitatory",
            SornPhase::Inhibitory => "inhibitory",
            SornPhase::Plasticity => "plasticity",
            SornPhase::Advance => "advance",
            SornPhase::Monitors => "monitors",
        }
    }

    /// What the phase does.
    pub fn describe(self) -> &'static str {
        match self {
            SornPhase::Events => "apply the freeze/unfreeze events due at step t",
            SornPhase::Noise => {
                "ξ^E(t), ξ^I(t) ~ N(0, σ²) from the noise stream (skipped when σ = 0)"
            }
            SornPhase::Excitatory => {
                "R = W_EE x(t) − W_EI y(t) − T_E + ξ^E; R += u(t) (input); x(t+1) = Θ(R)"
            }
            SornPhase::Inhibitory => {
                "y(t+1) = Θ(W_IE x' − T_I + ξ^I), x' = x(t+1) if fast_inhibit else x(t)"
            }
            SornPhase::Plasticity => {
                "active rules only: IP → STDP (+ pruning) → SP → iSTDP → SN; SN also computes \
                 the next step's W_EE x(t+1) and W_EI y(t+1) (else the excitatory phase does)"
            }
            SornPhase::Advance => {
                "x(t) ← x(t+1), y(t) ← y(t+1), t ← t + 1, spike hash and activity counts"
            }
            SornPhase::Monitors => {
                "activity, spikes (of the update just done, step t), and periodic samples taken \
                 when t % every == 0"
            }
        }
    }

    /// Whether the phase belongs to the network (`Sorn::run_phase`) rather
    /// than to the simulation around it.
    pub fn is_network(self) -> bool {
        !matches!(self, SornPhase::Events | SornPhase::Monitors)
    }
}

/// Wall time spent in each SORN phase, for `--profile` / `profile=True`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SornProfile {
    /// Seconds per phase, in [`SORN_PHASES`] order.
    pub seconds: [f64; SORN_PHASES.len()],
}

impl SornProfile {
    /// `(phase name, seconds)` in step order.
    pub fn phases(&self) -> impl Iterator<Item = (&'static str, f64)> + '_ {
        SORN_PHASES
            .iter()
            .zip(self.seconds)
            .map(|(p, s)| (p.name(), s))
    }

    /// Time `f` as phase number `k`.
    pub(crate) fn time<R>(&mut self, k: usize, f: impl FnOnce() -> R) -> R {
        let t0 = Instant::now();
        let r = f();
        self.seconds[k] += t0.elapsed().as_secs_f64();
        r
    }
}

/// The schedule as printable text, one phase per line.
pub fn sorn_schedule_summary() -> String {
    SORN_PHASES
        .iter()
        .enumerate()
        .map(|(k, p)| format!("{k}. {:<11} {}", p.name(), p.describe()))
        .collect::<Vec<_>>()
        .join("\n")
}
