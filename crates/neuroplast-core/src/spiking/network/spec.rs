//! What a network is built from: projections ([`ProjectionSpec`], [`SynapseSpec`]), how delays
//! become steps ([`DelayRounding`]) and scheduled actions ([`Action`]).

use serde::{Deserialize, Serialize};

use crate::spiking::connector::{Connector, Value};
use crate::spiking::plasticity::PlasticitySpec;
use crate::{ensure, Result};

/// How delays given in ms become whole steps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DelayRounding {
    /// Every delay must be a whole number of steps (default; anything else is an error).
    #[default]
    Exact,
    /// Round to the nearest step (for delays drawn from continuous distributions).
    Round,
    /// Neurapse's timing: its constant synapse starts at the first step at or after the delay,
    /// so a delay on the time grid is used as is (the same as `exact`: 1 ms at 0.1 ms is 10
    /// steps, whatever the float division gives) and one between grid points is rounded up.
    Neurapse,
}

impl DelayRounding {
    pub(crate) fn steps(self, path: &str, ms: f64, dt: f64) -> Result<u32> {
        ensure!(
            ms.is_finite() && ms > 0.0,
            path,
            "delays must be > 0 ms, got {ms}"
        );
        let steps = match self {
            DelayRounding::Exact => {
                let s = ms / dt;
                let r = s.round();
                ensure!(
                    (s - r).abs().is_finite() && (s - r).abs() <= 1e-9 * r.max(1.0),
                    path,
                    "delay {ms} ms is not a whole number of steps (dt = {dt} ms); set delay_rounding = \"round\" to round it"
                );
                r
            }
            DelayRounding::Round => (ms / dt).round(),
            DelayRounding::Neurapse => {
                let s = ms / dt;
                let r = s.round();
                if (s - r).abs() <= 1e-9 * r.max(1.0) {
                    r
                } else {
                    s.ceil()
                }
            }
        };
        ensure!(
            (1.0..=f64::from(u16::MAX)).contains(&steps),
            path,
            "delay {ms} ms is {steps} steps; allowed: 1 to {} steps (dt = {dt} ms)",
            u16::MAX
        );
        Ok(steps as u32)
    }
}

/// What a projection's spikes do at the postsynaptic side.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SynapseSpec {
    /// Add the weight to one receptor of the model (or to two, e.g. `["ampa", "nmda"]`).
    Receptor {
        /// Receptor names (one or two).
        names: Vec<String>,
    },
    /// Add the weight (mV) to the membrane potential.
    VoltageJump,
    /// Neurapse's constant synapse: each spike adds the current
    /// `w·[exp(−Δ/tau) − exp(−Δ/tau_s)]` (nA), Δ = time since arrival (ms), optionally cut
    /// off after `truncate_ms`.
    DoubleExponential {
        /// Slow time constant, ms.
        tau: f64,
        /// Fast time constant, ms.
        tau_s: f64,
        /// Kernel length, ms (a whole number of steps): the current of a spike is 0 from
        /// `truncate_ms` after its arrival (or emission, see `truncate_from`) on. `None`: never
        /// cut. Neurapse's `DRN_*` networks cut their kernels after `3·int(τ // dt)` steps.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        truncate_ms: Option<f64>,
        /// Where `truncate_ms` is counted from.
        #[serde(default, skip_serializing_if = "TruncateFrom::is_arrival")]
        truncate_from: TruncateFrom,
    },
}

/// Where the length of a truncated double-exponential kernel is counted from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TruncateFrom {
    /// The kernel lasts `truncate_ms` from the spike's arrival.
    #[default]
    Arrival,
    /// The kernel ends `truncate_ms` after the presynaptic spike, so a delay `d` shortens it
    /// to `truncate_ms − d` (Neurapse's `DRN_Const` / `DRN_Plastic`, whose window ends at
    /// `t + int(τd) + 3·int(τ // dt)` with `int(τd) = 0` for a delay in seconds).
    Emission,
}

impl TruncateFrom {
    pub(crate) fn is_arrival(&self) -> bool {
        *self == TruncateFrom::Arrival
    }
}

/// One projection to build.
#[derive(Clone, Debug, PartialEq)]
pub struct ProjectionSpec {
    /// Name (used in key paths `projections.<name>`).
    pub name: String,
    /// Presynaptic population.
    pub pre: String,
    /// Postsynaptic population.
    pub post: String,
    /// Which pairs are connected.
    pub connector: Connector,
    /// Weight of each synapse (unit: the receptor's).
    pub weight: Value,
    /// Delay of each synapse, ms.
    pub delay: Value,
    /// How delays become steps.
    pub delay_rounding: DelayRounding,
    /// What a spike does.
    pub synapse: SynapseSpec,
    /// Synaptic plasticity (`None`: static synapses).
    pub plasticity: Option<PlasticitySpec>,
}

/// Delays in whole steps (a constant converts once).
pub(super) fn delay_steps(
    spec: &ProjectionSpec,
    path: &str,
    delays_ms: &[f64],
    m: usize,
    dt: f64,
) -> Result<Vec<u32>> {
    let key = format!("{path}.delay_ms");
    if let Value::Constant { value } = spec.delay {
        let d = spec.delay_rounding.steps(&key, value, dt)?;
        return Ok(vec![d; m]);
    }
    // delays repeat (often one value throughout): convert each run of equal values once
    let mut last: Option<(u64, u32)> = None;
    delays_ms
        .iter()
        .map(|&ms| match last {
            Some((bits, d)) if bits == ms.to_bits() => Ok(d),
            _ => {
                let d = spec.delay_rounding.steps(&key, ms, dt)?;
                last = Some((ms.to_bits(), d));
                Ok(d)
            }
        })
        .collect()
}

/// Something the network does at the start of a given step (an experiment file's
/// `[[schedule]]` entries): freeze or unfreeze a projection's plasticity, give a reward.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// [`Network::set_plastic`](super::Network::set_plastic).
    SetPlastic {
        /// Projection name.
        projection: String,
        /// `false` freezes, `true` unfreezes.
        plastic: bool,
    },
    /// [`Network::reward`](super::Network::reward).
    Reward {
        /// Dopamine added.
        amount: f64,
        /// Only this projection (default: every `reward_stdp` projection).
        projection: Option<String>,
    },
}
