//! Spiking networks: neuron models, sources, projections with per-synapse delays, monitors.
//!
//! Units follow PyNN: ms, mV, nA, nF, µS.
//!
//! | module | what |
//! |---|---|
//! | [`neuron`] | neuron models, one file each, structure-of-arrays state |
//! | [`source`] | current generators, Poisson and spike-array sources |
//! | [`connector`] | connectors and value specifications (weights, delays, initial states) |
//! | [`projection`] | synapses by presynaptic neuron, grouped by delay; the spike ring |
//! | [`monitor`] | spikes, state variables, population rates |
//! | [`network`] | the builder, the network and its step |

pub mod benchmarks;
pub mod connector;
pub mod monitor;
pub mod network;
pub mod neuron;
pub mod plasticity;
pub mod projection;
pub mod source;

use rand::Rng as _;

/// Calls `hit(k)`, in increasing order, for each `k < n` that succeeds in an independent
/// Bernoulli(`p`) trial, drawing the gaps between successes (geometric skipping): the same
/// law as one draw per trial, with about `n·p` draws instead of `n`. Used by the
/// `fixed_probability` connector, Poisson sources and random current pulses.
pub(crate) fn bernoulli_hits(n: u64, p: f64, rng: &mut crate::rng::Rng, mut hit: impl FnMut(u64)) {
    if p.is_nan() || p <= 0.0 {
        return;
    }
    if p >= 1.0 {
        (0..n).for_each(hit);
        return;
    }
    // ln_1p keeps tiny probabilities from rounding to ln(1) = 0
    let log_q = (-p).ln_1p();
    let mut k = 0u64;
    while k < n {
        let u: f64 = rng.random();
        // number of failures before the next success
        let skip = ((1.0 - u).ln() / log_q).floor();
        if !skip.is_finite() || skip >= (n - k) as f64 {
            break;
        }
        k += skip as u64;
        hit(k);
        k += 1;
    }
}
