//! Random number streams.
//!
//! Every stochastic component (weight initialisation, noise, structural plasticity, input)
//! draws from its own stream, derived from the master seed and a fixed component id. Adding
//! draws to one component therefore never shifts the numbers another component sees, and the
//! generator state is serialisable, so checkpoints resume bit-exactly.

use rand::SeedableRng;
use rand_pcg::Pcg64;

/// The generator used everywhere in the engine (PCG XSL 128/64, serialisable).
pub type Rng = Pcg64;

/// Fixed ids of the random streams. Never renumber: that would change every golden run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Stream {
    /// Connectivity, weights, thresholds and initial activity.
    Init = 1,
    /// Per-step Gaussian noise on E and I units.
    Noise = 2,
    /// Structural plasticity (positions of new synapses, insertion events).
    Structural = 3,
    /// Input generators (random symbols, random words, random real input).
    Input = 4,
    /// Spiking networks: connectivity, weights and delays of one projection.
    Connect = 5,
    /// Spiking networks: initial state of one population.
    StateInit = 6,
    /// Spiking networks: Poisson sources (one stream per population shard).
    Poisson = 7,
    /// Spiking networks: noisy current sources (one stream per source).
    CurrentNoise = 8,
    /// Spiking networks: per-neuron parameter values drawn from distributions (one stream
    /// per `param` declaration, in order).
    ParamInit = 9,
    /// Spiking networks: per-neuron amplitudes of current sources drawn from distributions
    /// (one stream per source).
    SourceInit = 10,
    /// Spiking networks: plasticity rules that draw numbers (one stream per projection).
    Plasticity = 11,
}

/// SplitMix64 finaliser: a bijective 64-bit mix (Steele, Lea & Flood 2014).
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The generator of stream `stream` for master seed `seed`.
pub fn stream(seed: u64, stream: Stream) -> Rng {
    Rng::seed_from_u64(splitmix64(seed ^ splitmix64(stream as u64)))
}

/// The generator of component `id` (a projection, a population shard, a source) within
/// stream `stream`: adding components never changes the numbers of existing ones.
pub fn component(seed: u64, stream: Stream, id: u64) -> Rng {
    Rng::seed_from_u64(splitmix64(
        seed ^ splitmix64(stream as u64) ^ splitmix64(id.wrapping_add(0x5EED)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng as _;

    #[test]
    fn streams_differ_and_repeat() {
        let a: u64 = stream(1, Stream::Noise).random();
        let b: u64 = stream(1, Stream::Noise).random();
        let c: u64 = stream(1, Stream::Init).random();
        let d: u64 = stream(2, Stream::Noise).random();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }
}
