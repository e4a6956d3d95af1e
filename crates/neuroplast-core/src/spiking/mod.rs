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
