//! # neuroplast-core
//!
//! The engine of neuroplast: models, plasticity, monitors and the step schedule. No I/O, no
//! command line, no Python — those live in `neuroplast-config`, `neuroplast-cli` and
//! `neuroplast-py`.
//!
//! | module | what |
//! |---|---|
//! | [`sorn`] | the SORN model, its parameters, presets, plasticity rules and inputs |
//! | [`sparse`] | synaptic matrices stored by postsynaptic row, with structural edits |
//! | [`simulation`] | a run: network + input + monitors + freeze/unfreeze schedule |
//! | [`monitor`] | bounded recordings |
//! | [`engine`] | the one seam between engines and front ends: [`engine::Engine`] |
//! | [`recording`] | what engines hand to front ends: [`recording::Recording`] |
//! | [`checkpoint`] | the versioned binary checkpoint format |
//! | [`schedule`] | the written-down phase order of a step |
//! | [`rng`] | per-component random streams derived from one seed |
//! | [`exec`] | threads for row-parallel passes (never change results) |
//! | [`readout`] | ridge / pseudo-inverse and multinomial logistic readouts |
//! | [`spiking`] | spiking networks: neuron models, sources, projections, plasticity, monitors |
//! | [`experiments`] | protocol experiments (polychronization, SORF, characters, DRN) |
//! | [`analysis`] | avalanches, power-law fits, spike statistics, weight distributions (pure functions) |
//! | [`lang`] | the model language: neurons and synapses written as equations (Brian2 / ANNarchy syntax) |
//! | [`simd`] | run-time choice of AVX-512 copies of the neuron updates (built-in and equation models) |
//! | [`refractory`] | how many steps a refractory period holds a neuron (NEST's or Brian2's count) |
//!
//! ```
//! use neuroplast_core::monitor::RecordSpec;
//! use neuroplast_core::simulation::Simulation;
//! use neuroplast_core::sorn::{input::Input, Preset, Sorn};
//!
//! let net = Sorn::new(Preset::Delpapa2017.params(100), 1).unwrap();
//! let record = RecordSpec { activity: true, ..Default::default() };
//! let mut sim = Simulation::new(net, Input::None, record, vec![]).unwrap();
//! sim.run(1_000, 100, |_| true);
//! let rate: f64 = sim.recorder.activity_e.iter().map(|&a| a as f64).sum::<f64>() / 1000.0 / 100.0;
//! assert!(rate > 0.0 && rate < 0.5);
//! // Save and restore: the copy continues exactly like the original.
//! let mut copy = neuroplast_core::checkpoint::from_bytes(&neuroplast_core::checkpoint::to_bytes(&sim)).unwrap();
//! sim.run(10, 10, |_| true);
//! copy.run(10, 10, |_| true);
//! assert_eq!(sim.sorn.spike_hash(), copy.sorn.spike_hash());
//! ```

pub(crate) mod affine;
pub mod analysis;
pub mod checkpoint;
pub mod codec;
pub mod distributed;
pub mod engine;
mod error;
pub mod exec;
pub mod experiments;
pub mod hash;
pub mod lang;
pub mod monitor;
pub mod readout;
pub mod recording;
pub mod refractory;
pub mod rng;
pub mod schedule;
pub mod simd;
pub mod simulation;
pub mod sorn;
pub mod sparse;
pub mod spiking;

pub use error::{Error, Result};

/// The README's Rust examples, compiled and run by `cargo test --doc`.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
