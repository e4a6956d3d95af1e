//! The checkpoint byte format: the complete state of an engine as bytes. Shown for a SORN
//! simulation; a spiking network ([`MAGIC_SPIKING`]) and a protocol run ([`MAGIC_PROTOCOL`])
//! have the same layout under their own magic bytes.
//!
//! ```text
//! offset  size  content
//! 0       8     magic "NPLASTCK"
//! 8       4     format version, u32 little-endian (this build writes FORMAT_VERSION)
//! 12      2     length L of the writer's neuroplast version string, u16 little-endian
//! 14      L     writer's neuroplast version, UTF-8 (e.g. "0.1.0")
//! 14+L    n     CBOR (RFC 8949) encoding of `Simulation` (weights, thresholds, x/y history,
//!               per-component RNG states, step counter, active rules, input position,
//!               recordings, pending schedule events)
//! 14+L+n  8     FNV-1a 64 of everything before it, u64 little-endian (format version 2 on)
//! ```
//! The version fields come before the payload so that a reader of any version can say who
//! wrote a file it cannot read. A change to any serialised struct bumps FORMAT_VERSION. The
//! checksum turns any damage to the payload (a flipped byte, a truncated copy) into a clear
//! error instead of a network with a wrong value in it.
//!
//! A leaf: it knows bytes, magic and versions, and no engine. The engines write themselves
//! through [`write_as`]; the parent module, `checkpoint`, reads any of them back.

use crate::hash::Fnv1a;
use crate::{Error, Result};

/// Magic bytes at the start of every checkpoint.
pub const MAGIC: &[u8; 8] = b"NPLASTCK";
/// Magic bytes at the start of a spiking-network checkpoint (same layout, payload = CBOR of
/// a spiking `Network`: every population's state and random streams, synapses and plasticity state,
/// spike rings, sources, monitors, step counter and spike hash).
pub const MAGIC_SPIKING: &[u8; 8] = b"NPLASTSN";
/// Magic bytes at the start of a protocol-run checkpoint (same layout, payload = CBOR of the
/// protocol's run state).
pub const MAGIC_PROTOCOL: &[u8; 8] = b"NPLASTPR";
/// The checkpoint format this build reads and writes.
pub const FORMAT_VERSION: u32 = 4;
/// The version of this crate, written into checkpoints.
pub const NEUROPLAST_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Encode any serialisable run state under `magic` (protocol runs).
pub fn write_as<T: serde::Serialize>(
    magic: &[u8; 8],
    value: &T,
    w: impl std::io::Write,
) -> std::io::Result<()> {
    write_with(magic, value, w)
}

/// Decode a run state written by [`write_as`] under `magic`; `what` names the kind in errors.
pub fn read_as<T: serde::de::DeserializeOwned>(
    magic: &[u8; 8],
    what: &str,
    bytes: &[u8],
) -> Result<T> {
    read_with(magic, what, bytes)
}

fn write_with<T: serde::Serialize>(
    magic: &[u8; 8],
    value: &T,
    mut w: impl std::io::Write,
) -> std::io::Result<()> {
    let mut hashing = Hashing {
        inner: &mut w,
        hash: Fnv1a::default(),
    };
    {
        use std::io::Write;
        hashing.write_all(magic)?;
        hashing.write_all(&FORMAT_VERSION.to_le_bytes())?;
        hashing.write_all(&(NEUROPLAST_VERSION.len() as u16).to_le_bytes())?;
        hashing.write_all(NEUROPLAST_VERSION.as_bytes())?;
    }
    ciborium::into_writer(value, &mut hashing).map_err(|e| match e {
        ciborium::ser::Error::Io(io) => io,
        other => std::io::Error::other(other.to_string()),
    })?;
    let sum = hashing.hash.finish();
    w.write_all(&sum.to_le_bytes())
}

/// A writer that hashes what passes through it.
struct Hashing<W> {
    inner: W,
    hash: Fnv1a,
}

impl<W: std::io::Write> std::io::Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.write_bytes(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn read_with<T: serde::de::DeserializeOwned>(
    magic: &[u8; 8],
    what: &str,
    bytes: &[u8],
) -> Result<T> {
    if bytes.len() >= 8 && &bytes[..8] != magic {
        let other = match &bytes[..8] {
            m if m == MAGIC => Some("SORN"),
            m if m == MAGIC_SPIKING => Some("spiking-network"),
            m if m == MAGIC_PROTOCOL => Some("protocol-run"),
            _ => None,
        };
        if let Some(other) = other {
            return Err(Error::Checkpoint(format!(
                "this is a {other} checkpoint, not a {what} one"
            )));
        }
    }
    if bytes.len() < 14 || &bytes[..8] != magic {
        return Err(Error::Checkpoint(format!(
            "not a neuroplast checkpoint (missing {} header)",
            String::from_utf8_lossy(magic)
        )));
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
    let corrupt = |why: String| {
        Error::Checkpoint(format!(
            "corrupt or truncated checkpoint (written by neuroplast {writer}): {why}"
        ))
    };
    if bytes.len() < 14 + l + 8 {
        return Err(corrupt(format!(
            "the file ends early ({} bytes; truncated?)",
            bytes.len()
        )));
    }
    let (hashed, sum) = bytes.split_at(bytes.len() - 8);
    let payload = &hashed[14 + l..];
    let mut hash = Fnv1a::default();
    hash.write_bytes(hashed);
    if hash.finish().to_le_bytes() != sum {
        return Err(corrupt(format!(
            "its checksum does not match its {} bytes (damaged or truncated copy?)",
            bytes.len()
        )));
    }
    ciborium::from_reader(payload).map_err(|e| {
        use ciborium::de::Error as E;
        let why = match e {
            E::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
                format!("the file ends early ({} bytes; truncated?)", bytes.len())
            }
            E::Io(io) => io.to_string(),
            E::Syntax(at) => format!("unreadable data at byte {}", 14 + l + at),
            E::Semantic(_, msg) => msg,
            E::RecursionLimitExceeded => "nesting too deep".into(),
        };
        corrupt(why)
    })
}
