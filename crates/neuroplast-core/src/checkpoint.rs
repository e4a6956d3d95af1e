//! Checkpoint format: the complete state of a [`Simulation`] as bytes.
//!
//! ```text
//! offset  size  content
//! 0       8     magic "NPLASTCK"
//! 8       4     format version, u32 little-endian (this build writes FORMAT_VERSION)
//! 12      2     length L of the writer's neuroplast version string, u16 little-endian
//! 14      L     writer's neuroplast version, UTF-8 (e.g. "0.1.0")
//! 14+L    …     CBOR (RFC 8949) encoding of `Simulation` (weights, thresholds, x/y history,
//!               per-component RNG states, step counter, active rules, input position,
//!               recordings, pending schedule events)
//! ```
//! The version fields come before the payload so that a reader of any version can say who
//! wrote a file it cannot read. A change to any serialised struct bumps FORMAT_VERSION.

use crate::simulation::Simulation;
use crate::{Error, Result};

/// Magic bytes at the start of every checkpoint.
pub const MAGIC: &[u8; 8] = b"NPLASTCK";
/// The checkpoint format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;
/// The version of this crate, written into checkpoints.
pub const NEUROPLAST_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Encode a simulation into `w` (streamed: no second copy of the state in memory).
pub fn write(sim: &Simulation, mut w: impl std::io::Write) -> std::io::Result<()> {
    w.write_all(MAGIC)?;
    w.write_all(&FORMAT_VERSION.to_le_bytes())?;
    w.write_all(&(NEUROPLAST_VERSION.len() as u16).to_le_bytes())?;
    w.write_all(NEUROPLAST_VERSION.as_bytes())?;
    ciborium::into_writer(sim, &mut w).map_err(|e| match e {
        ciborium::ser::Error::Io(io) => io,
        other => std::io::Error::other(other.to_string()),
    })
}

/// Encode a simulation into bytes.
pub fn to_bytes(sim: &Simulation) -> Vec<u8> {
    let mut out = Vec::new();
    write(sim, &mut out).expect("writing into a Vec cannot fail");
    out
}

/// Decode a simulation, refusing other formats with a message that says why.
pub fn from_bytes(bytes: &[u8]) -> Result<Simulation> {
    if bytes.len() < 14 || &bytes[..8] != MAGIC {
        return Err(Error::Checkpoint(
            "not a neuroplast checkpoint (missing NPLASTCK header)".into(),
        ));
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    let l = u16::from_le_bytes(bytes[12..14].try_into().expect("2 bytes")) as usize;
    let writer = bytes
        .get(14..14 + l)
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_else(|| "?".into());
    if version != FORMAT_VERSION {
        return Err(Error::Checkpoint(format!(
            "format version {version} (written by neuroplast {writer}) cannot be read by \
             neuroplast {NEUROPLAST_VERSION}, which reads format version {FORMAT_VERSION}; \
             resume it with neuroplast {writer}"
        )));
    }
    ciborium::from_reader(&bytes[14 + l..]).map_err(|e| {
        Error::Checkpoint(format!(
            "corrupt or truncated checkpoint (written by neuroplast {writer}): {e}"
        ))
    })
}
