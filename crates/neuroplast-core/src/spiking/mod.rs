//! Spiking networks: neuron models, sources, projections with delays, monitors.
//!
//! Units follow PyNN: ms, mV, nA, nF, µS.

pub mod neuron;
