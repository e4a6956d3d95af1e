//! What the protocol runs share: a protocol is a list of **segments** (a second of spnet, a
//! grating presentation, a rest, a character interval), each a fixed number of steps with
//! something done when it begins and when it ends. [`advance`] walks that list for any
//! number of steps, so where a front end cuts its chunks changes nothing: every segment is
//! begun once before its first step and ended once after its last step, in order, and a
//! segment of zero steps is begun and ended as soon as the previous one has ended.
//!
//! Also here: the chunked loop behind each protocol's `run` ([`run_to_end`], with its
//! [`Progress`]), the `data/<name>` array files the runs hand out ([`Pending`]) and the
//! checkpoint a run writes of itself ([`write_checkpoint`]). Below every protocol: it names
//! none of them.

use serde::{Deserialize, Serialize};

use crate::codec::{write_as, MAGIC_PROTOCOL};
use crate::engine::{Engine, PhaseInfo};
use crate::recording::{Array, ArrayChunk, ArrayData, Recording};
use crate::{Error, Result};

/// Progress of a protocol run: called with the fraction done (0…1) now and then; returning
/// `false` asks the run to stop early (Ctrl-C), which it does at the next safe point with an
/// error.
pub type Progress<'a> = &'a mut dyn FnMut(f64) -> bool;

/// A run by reference as the protocol-run checkpoint's `ProtocolRun` encodes it: a run checkpoints
/// itself without a copy of its state, and without this module knowing the kinds (`T` is the
/// run's type). Its encoding is the owned enum's (same names, same variant order).
#[derive(Serialize)]
#[serde(rename = "ProtocolRun")]
pub(crate) enum ProtocolRunRef<'a, T> {
    Polychronization(&'a T),
    Sorf(&'a T),
    Characters(&'a T),
    Drn(&'a T),
}

/// Write `run` as a protocol-run checkpoint.
pub(crate) fn write_checkpoint<T: Serialize>(
    run: ProtocolRunRef<'_, T>,
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    write_as(MAGIC_PROTOCOL, &run, w)
}

/// Where a run is in its list of segments.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Cursor {
    /// Index of the current segment (the number of segments once complete).
    pub seg: u64,
    /// Steps done within the current segment.
    pub offset: u64,
    /// Whether the current segment's `begin` has run.
    pub begun: bool,
    /// Steps done in all (the protocol's clock).
    pub done: u64,
}

/// A protocol as a list of segments (see the module docs).
pub(crate) trait Segments {
    /// The position.
    fn cursor(&mut self) -> &mut Cursor;
    /// Number of segments.
    fn segments(&self) -> u64;
    /// Steps of segment `seg`.
    fn segment_len(&self, seg: u64) -> u64;
    /// Before the first step of `seg`.
    fn begin(&mut self, seg: u64);
    /// Steps `offset .. offset + steps` of `seg` (never past its end, `steps` ≥ 1).
    fn steps(&mut self, seg: u64, offset: u64, steps: u64);
    /// After the last step of `seg`.
    fn end(&mut self, seg: u64);
    /// After the end of the last segment: the final figures.
    fn complete(&mut self);
}

/// Run `steps` more steps of `s` (fewer if it completes first).
pub(crate) fn advance(s: &mut impl Segments, mut steps: u64) {
    loop {
        let c = *s.cursor();
        if c.seg >= s.segments() {
            return;
        }
        let len = s.segment_len(c.seg);
        if !c.begun {
            if steps == 0 && len > 0 {
                return;
            }
            s.begin(c.seg);
            s.cursor().begun = true;
        }
        let k = steps.min(len - c.offset);
        if k > 0 {
            s.steps(c.seg, c.offset, k);
        }
        steps -= k;
        let c = s.cursor();
        c.offset += k;
        c.done += k;
        if c.offset < len {
            return;
        }
        let seg = c.seg;
        s.end(seg);
        let c = s.cursor();
        c.seg += 1;
        c.offset = 0;
        c.begun = false;
        let next = c.seg;
        if next == s.segments() {
            s.complete();
            return;
        }
    }
}

/// Advance `e` to its end in chunks of `chunk` steps, calling `progress` with the fraction
/// done after each; [`Error::Interrupted`] when it returns `false`.
pub(crate) fn run_to_end(e: &mut dyn Engine, chunk: u64, progress: Progress<'_>) -> Result<()> {
    let total = e.step_count() + e.remaining().unwrap_or(0);
    while let Some(left) = e.remaining().filter(|&l| l > 0) {
        e.advance(chunk.max(1).min(left));
        if !progress(e.step_count() as f64 / total.max(1) as f64) {
            return Err(Error::Interrupted);
        }
    }
    Ok(())
}

/// The spiking network's step phases, for a protocol's `schedule`.
pub(crate) fn network_phases() -> impl Iterator<Item = PhaseInfo> {
    crate::spiking::network::PHASES.iter().map(|p| PhaseInfo {
        name: p.name(),
        describe: p.describe(),
    })
}

/// Data files that are final and not yet drained, in the order they became final.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Pending {
    files: Vec<ArrayChunk>,
    /// Whether any file has been drained (then `outcome` can no longer assemble the data).
    drained: bool,
}

impl Pending {
    /// Add `data/<name>` holding one array of `shape`.
    pub fn push(&mut self, name: &str, shape: Vec<usize>, data: ArrayData) {
        debug_assert_eq!(shape.iter().product::<usize>(), data.len(), "{name}");
        self.files.push(ArrayChunk {
            file: format!("data/{name}"),
            arrays: vec![Array {
                name: String::new(),
                shape,
                data,
            }],
        });
    }

    /// Add the one-dimensional `data/<name>`.
    pub fn vector(&mut self, name: &str, data: ArrayData) {
        self.push(name, vec![data.len()], data);
    }

    /// Hand out everything final so far.
    pub fn drain(&mut self) -> Recording {
        if self.files.is_empty() {
            return Recording::default();
        }
        self.drained = true;
        Recording {
            arrays: std::mem::take(&mut self.files),
            ..Recording::default()
        }
    }

    /// Take back `data/<name>` for an `Outcome`; `None` when there is no such file (a protocol
    /// writes some files only with some parameters).
    pub fn take(&mut self, name: &str) -> Option<ArrayData> {
        let file = format!("data/{name}");
        let k = self.files.iter().position(|c| c.file == file)?;
        let mut chunk = self.files.remove(k);
        Some(chunk.arrays.swap_remove(0).data)
    }

    /// Check that an `Outcome` can be assembled: the run is complete and nothing was drained.
    pub fn check_outcome(&self, remaining: u64) -> Result<()> {
        if remaining > 0 {
            return Err(Error::config(
                "protocol",
                format!("the run is not complete ({remaining} steps left), so it has no outcome"),
            ));
        }
        if self.drained {
            return Err(Error::config(
                "protocol",
                "the run's data files were drained, so it cannot assemble an outcome",
            ));
        }
        Ok(())
    }
}

/// The `F64` values of `d` (empty for another type: a bug, caught in debug builds).
pub(crate) fn f64s(d: Option<ArrayData>) -> Vec<f64> {
    match d {
        Some(ArrayData::F64(v)) => v,
        None => Vec::new(),
        Some(other) => {
            debug_assert!(false, "expected f64 data, got {other:?}");
            Vec::new()
        }
    }
}

/// The `U32` values of `d`.
pub(crate) fn i32s(d: Option<ArrayData>) -> Vec<i32> {
    match d {
        Some(ArrayData::I32(v)) => v,
        None => Vec::new(),
        Some(other) => {
            debug_assert!(false, "expected i32 data, got {other:?}");
            Vec::new()
        }
    }
}

/// The values of a drained `u32` array (empty when absent).
pub(crate) fn u32s(d: Option<ArrayData>) -> Vec<u32> {
    match d {
        Some(ArrayData::U32(v)) => v,
        None => Vec::new(),
        Some(other) => {
            debug_assert!(false, "expected u32 data, got {other:?}");
            Vec::new()
        }
    }
}

/// The `U64` values of `d`.
pub(crate) fn u64s(d: Option<ArrayData>) -> Vec<u64> {
    match d {
        Some(ArrayData::U64(v)) => v,
        None => Vec::new(),
        Some(other) => {
            debug_assert!(false, "expected u64 data, got {other:?}");
            Vec::new()
        }
    }
}

/// The figures of a run that is not complete yet (its `summary` until the end): `protocol`,
/// `complete` (false), `phase`, `steps`, `total_steps`, `spike_hash`; the protocol adds its
/// position (epoch, presentation, second…).
pub(crate) fn progressing(
    protocol: &str,
    phase: &str,
    steps: u64,
    total_steps: u64,
    spike_hash: u64,
) -> crate::engine::Summary {
    let mut s = crate::engine::Summary::new();
    s.insert("protocol", protocol)
        .insert("complete", false)
        .insert("phase", phase)
        .insert("steps", steps)
        .insert("total_steps", total_steps)
        .insert("spike_hash", format!("{spike_hash:016x}"));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Segments of lengths `lens`; records every call.
    struct Log {
        lens: Vec<u64>,
        cursor: Cursor,
        calls: Vec<String>,
    }

    impl Segments for Log {
        fn cursor(&mut self) -> &mut Cursor {
            &mut self.cursor
        }
        fn segments(&self) -> u64 {
            self.lens.len() as u64
        }
        fn segment_len(&self, seg: u64) -> u64 {
            self.lens[seg as usize]
        }
        fn begin(&mut self, seg: u64) {
            self.calls.push(format!("b{seg}"));
        }
        fn steps(&mut self, seg: u64, offset: u64, steps: u64) {
            for k in offset..offset + steps {
                self.calls.push(format!("s{seg}.{k}"));
            }
        }
        fn end(&mut self, seg: u64) {
            self.calls.push(format!("e{seg}"));
        }
        fn complete(&mut self) {
            self.calls.push("done".into());
        }
    }

    fn log(chunks: &[u64]) -> (Vec<String>, Cursor) {
        let mut l = Log {
            lens: vec![0, 2, 0, 0, 3, 1, 0],
            cursor: Cursor::default(),
            calls: Vec::new(),
        };
        for &c in chunks {
            advance(&mut l, c);
        }
        (l.calls, l.cursor)
    }

    /// The same calls in the same order however the steps are cut; zero-length segments are
    /// passed at once; nothing runs past the end.
    #[test]
    fn chunking_changes_nothing() {
        let (whole, c) = log(&[100]);
        assert_eq!(
            whole.join(" "),
            "b0 e0 b1 s1.0 s1.1 e1 b2 e2 b3 e3 b4 s4.0 s4.1 s4.2 e4 b5 s5.0 e5 b6 e6 done"
        );
        assert_eq!((c.seg, c.offset, c.done), (7, 0, 6));
        for chunks in [
            &[1, 1, 1, 1, 1, 1, 1][..],
            &[0, 2, 0, 3, 1],
            &[5, 0, 1, 9],
            &[2, 4],
        ] {
            assert_eq!(log(chunks).0, whole, "{chunks:?}");
        }
        // a chunk ends at the end of a segment: the next (zero-length) ones wait for no step
        let (calls, c) = log(&[2]);
        assert_eq!(calls.join(" "), "b0 e0 b1 s1.0 s1.1 e1 b2 e2 b3 e3");
        assert_eq!((c.seg, c.offset, c.begun, c.done), (4, 0, false, 2));
        // advance(0) at the start passes the zero-length first segment only
        let (calls, _) = log(&[0]);
        assert_eq!(calls.join(" "), "b0 e0");
    }
}
