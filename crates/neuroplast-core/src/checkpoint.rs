//! Checkpoints: the complete state of an engine as bytes, in the byte format of
//! [`format`](mod@format) (magic per kind, format version, CBOR payload, checksum), whose
//! constants and generic readers and writers are re-exported here.
//!
//! This module is the one place that knows every kind of engine: it writes and reads a SORN
//! [`Simulation`] and a spiking [`Network`], and [`restore`] turns checkpoint bytes of any
//! kind back into an engine (the magic bytes say which; protocol runs through
//! [`experiments::restore`](crate::experiments::restore)). It sits above the engines: the
//! SORN simulation and the protocol runs write themselves through [`format`](mod@format), the
//! spiking network through [`write_network`], and no engine uses [`restore`].

use crate::engine::Engine;
use crate::simulation::Simulation;
use crate::spiking::network::Network;
use crate::{Error, Result};

pub use crate::codec as format;

pub use format::{
    read_as, write_as, FORMAT_VERSION, MAGIC, MAGIC_PROTOCOL, MAGIC_SPIKING, NEUROPLAST_VERSION,
};

/// Encode a simulation into `w` (streamed: no second copy of the state in memory).
pub fn write(sim: &Simulation, w: impl std::io::Write) -> std::io::Result<()> {
    write_as(MAGIC, sim, w)
}

/// Encode a spiking network into `w` (streamed). The thread count is not part of it.
pub fn write_network(net: &Network, w: impl std::io::Write) -> std::io::Result<()> {
    write_as(MAGIC_SPIKING, net, w)
}

/// An engine from checkpoint bytes of any kind (the magic bytes say which). It runs on one
/// thread until [`Engine::set_threads`] is called.
///
/// ```
/// use neuroplast_core::engine::Engine;
/// use neuroplast_core::spiking::benchmarks;
///
/// let mut net = benchmarks::coba(400, 1).unwrap().build().unwrap();
/// let engine: &mut dyn Engine = &mut net;
/// engine.advance(100);
/// let mut bytes = Vec::new();
/// engine.checkpoint(&mut bytes).unwrap();
/// let mut copy = neuroplast_core::checkpoint::restore(&bytes).unwrap();
/// engine.advance(50);
/// copy.advance(50);
/// assert_eq!(engine.spike_hash(), copy.spike_hash());
/// ```
pub fn restore(bytes: &[u8]) -> Result<Box<dyn Engine>> {
    match bytes.get(..8) {
        Some(m) if m == MAGIC => Ok(Box::new(from_bytes(bytes)?)),
        Some(m) if m == MAGIC_SPIKING => Ok(Box::new(network_from_bytes(bytes)?)),
        Some(m) if m == MAGIC_PROTOCOL => crate::experiments::restore(bytes),
        _ => Err(Error::Checkpoint(
            "not a neuroplast checkpoint (no NPLASTCK, NPLASTSN or NPLASTPR header)".into(),
        )),
    }
}

/// Decode a spiking network (it runs on one thread until `set_threads` is called).
pub fn network_from_bytes(bytes: &[u8]) -> Result<Network> {
    read_as(MAGIC_SPIKING, "spiking-network", bytes)
}

/// Encode a simulation into bytes.
pub fn to_bytes(sim: &Simulation) -> Vec<u8> {
    let mut out = Vec::new();
    write(sim, &mut out).expect("writing into a Vec cannot fail");
    out
}

/// Decode a simulation, refusing other formats with a message that says why.
pub fn from_bytes(bytes: &[u8]) -> Result<Simulation> {
    read_as(MAGIC, "SORN", bytes)
}
