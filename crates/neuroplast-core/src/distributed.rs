//! One network over several processes: the [`Comm`] seam between the engine and whatever
//! carries bytes between ranks (MPI in the command line, threads in tests), and how neurons
//! are split over ranks ([`Partition`]).
//!
//! The engine never depends on MPI: a distributed spiking network (`Network::distribute` in
//! `spiking::network`) only calls [`Comm`]'s collectives, always on the thread that calls `run`,
//! and every rank calls them in the same order. [`LocalComm`] runs the same protocol between threads of
//! one process, so the tests check bit-identity for any number of ranks without MPI.

use std::ops::Range;
use std::sync::{Arc, Condvar, Mutex};

/// How the ranks of one distributed run exchange bytes.
///
/// Every call is a collective: all ranks call it, in the same order, or the run hangs (MPI's
/// rule). A failure of the transport is not recoverable inside a run, so implementations
/// abort the whole job (MPI's default error handler does) instead of returning an error.
pub trait Comm: Send + Sync {
    /// This process's rank, `0 ≤ rank < ranks`.
    fn rank(&self) -> usize;
    /// Number of ranks.
    fn ranks(&self) -> usize;
    /// Every rank's `mine`, in rank order, on every rank, into `all` (one buffer per rank,
    /// reused: the spike exchange calls this every interval and allocates nothing once the
    /// buffers have grown).
    fn all_gather_into(&self, mine: &[u8], all: &mut Vec<Vec<u8>>);
    /// Every rank's `mine`, in rank order, on every rank.
    fn all_gather(&self, mine: &[u8]) -> Vec<Vec<u8>> {
        let mut all = Vec::new();
        self.all_gather_into(mine, &mut all);
        all
    }
    /// Every rank's `mine`, in rank order, on rank 0 (`None` on the others).
    fn gather(&self, mine: &[u8]) -> Option<Vec<Vec<u8>>>;
}

/// Which shards of a population a rank owns: contiguous blocks in rank order (rank `r` of `k`
/// owns shards `⌊r·S/k⌋ .. ⌊(r+1)·S/k⌋` of a population of `S` shards), so concatenating the
/// ranks' spikes in rank order gives the one-process order, and every rank's targets of a
/// projection are one contiguous range of neurons. A rank may own no shard of a small
/// population.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Partition {
    /// This rank.
    pub rank: usize,
    /// Number of ranks.
    pub ranks: usize,
}

impl Partition {
    /// The shards of a population of `shards` shards that `rank` owns.
    pub fn shards_of(&self, rank: usize, shards: usize) -> Range<usize> {
        let k = self.ranks.max(1);
        (rank * shards / k)..((rank + 1) * shards / k)
    }

    /// The shards this rank owns.
    pub fn shards(&self, shards: usize) -> Range<usize> {
        self.shards_of(self.rank, shards)
    }

    /// The rank that owns shard `s` of a population of `shards` shards.
    pub fn owner(&self, s: usize, shards: usize) -> usize {
        (0..self.ranks)
            .find(|&r| self.shards_of(r, shards).contains(&s))
            .expect("every shard has an owner")
    }
}

/// Ranks as threads of one process: [`LocalComm::group`] makes `k` communicators that
/// exchange through shared memory with the same collective semantics as MPI's
/// `MPI_Allgatherv`. For tests and for trying the distributed engine without MPI. A rank that
/// panics makes the others panic at their next collective (like `MPI_Abort`), so a failure
/// never leaves the other ranks waiting.
pub struct LocalComm {
    rank: usize,
    shared: Arc<Shared>,
}

struct Shared {
    ranks: usize,
    state: Mutex<Round>,
    turn: Condvar,
}

/// The collective in progress: what each rank gave, how many arrived, which round it is.
struct Round {
    slots: Vec<Vec<u8>>,
    arrived: usize,
    round: u64,
    /// What the last round gathered, for the ranks still to read it (swapped with `slots`
    /// when a round closes: no rank writes a slot before every rank has read).
    done: Vec<Vec<u8>>,
    failed: bool,
}

impl LocalComm {
    /// `k ≥ 1` communicators, one per rank (hand each to its own thread).
    pub fn group(k: usize) -> Vec<LocalComm> {
        let shared = Arc::new(Shared {
            ranks: k,
            state: Mutex::new(Round {
                slots: vec![Vec::new(); k],
                arrived: 0,
                round: 0,
                done: vec![Vec::new(); k],
                failed: false,
            }),
            turn: Condvar::new(),
        });
        (0..k)
            .map(|rank| LocalComm {
                rank,
                shared: shared.clone(),
            })
            .collect()
    }

    /// Run `f` on `k` threads, one per rank, and return what each returned, in rank order.
    /// A panic in any rank ends every rank and is passed on.
    pub fn run<T: Send>(k: usize, f: impl Fn(Arc<dyn Comm>) -> T + Sync) -> Vec<T> {
        let comms = LocalComm::group(k);
        std::thread::scope(|s| {
            let handles: Vec<_> = comms
                .into_iter()
                .map(|c| {
                    let f = &f;
                    s.spawn(move || {
                        let shared = c.shared.clone();
                        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            f(Arc::new(c))
                        }));
                        out.unwrap_or_else(|e| {
                            shared.fail();
                            std::panic::resume_unwind(e)
                        })
                    })
                })
                .collect();
            let results: Vec<_> = handles.into_iter().map(|h| h.join()).collect();
            results
                .into_iter()
                .map(|r| r.unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        })
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Round> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn fail(&self) {
        self.lock().failed = true;
        self.turn.notify_all();
    }
}

impl Comm for LocalComm {
    fn rank(&self) -> usize {
        self.rank
    }

    fn ranks(&self) -> usize {
        self.shared.ranks
    }

    fn all_gather_into(&self, mine: &[u8], all: &mut Vec<Vec<u8>>) {
        let sh = &self.shared;
        let mut st = sh.lock();
        assert!(!st.failed, "rank {}: another rank failed", self.rank);
        let slot = &mut st.slots[self.rank];
        slot.clear();
        slot.extend_from_slice(mine);
        st.arrived += 1;
        let round = st.round;
        if st.arrived == sh.ranks {
            // the last to arrive closes the round and wakes the others
            let st = &mut *st;
            std::mem::swap(&mut st.slots, &mut st.done);
            st.arrived = 0;
            st.round += 1;
            sh.turn.notify_all();
        } else {
            while st.round == round && !st.failed {
                st = sh.turn.wait(st).unwrap_or_else(|e| e.into_inner());
            }
            assert!(st.round != round, "rank {}: another rank failed", self.rank);
        }
        // `done` stays this round's until every rank has arrived again, this one included
        all.resize_with(sh.ranks, Vec::new);
        for (dst, src) in all.iter_mut().zip(&st.done) {
            dst.clear();
            dst.extend_from_slice(src);
        }
    }

    fn gather(&self, mine: &[u8]) -> Option<Vec<Vec<u8>>> {
        let all = self.all_gather(mine);
        (self.rank == 0).then_some(all)
    }
}

/// Little-endian encoding of what ranks exchange (counts, spike ids, values).
#[derive(Clone, Default)]
pub(crate) struct Bytes(pub(crate) Vec<u8>);

impl Bytes {
    pub(crate) fn clear(&mut self) {
        self.0.clear();
    }
    pub(crate) fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn u32s(&mut self, v: &[u32]) {
        self.u32(v.len() as u32);
        for &x in v {
            self.u32(x);
        }
    }
    pub(crate) fn f64s(&mut self, v: &[f64]) {
        self.u32(v.len() as u32);
        for &x in v {
            self.0.extend_from_slice(&x.to_le_bytes());
        }
    }
}

/// Reads what [`Bytes`] wrote, in the same order.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf }
    }
    fn take(&mut self, n: usize) -> &'a [u8] {
        let (a, b) = self.buf.split_at(n);
        self.buf = b;
        a
    }
    pub(crate) fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take(4).try_into().expect("4 bytes"))
    }
    /// A length-prefixed run of u32, appended to `out`; returns the bytes read.
    pub(crate) fn u32s_into(&mut self, out: &mut Vec<u32>) -> usize {
        let n = self.u32() as usize;
        out.extend(
            self.take(4 * n)
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes"))),
        );
        4 + 4 * n
    }
    pub(crate) fn f64s(&mut self) -> Vec<f64> {
        let n = self.u32() as usize;
        self.take(8 * n)
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_is_contiguous_and_complete() {
        for ranks in 1..6 {
            for shards in 0..12 {
                let p = Partition { rank: 0, ranks };
                let mut next = 0;
                for r in 0..ranks {
                    let own = p.shards_of(r, shards);
                    assert_eq!(own.start, next);
                    next = own.end;
                    for s in own {
                        assert_eq!(p.owner(s, shards), r);
                    }
                }
                assert_eq!(next, shards);
            }
        }
    }

    #[test]
    fn local_comm_gathers_in_rank_order() {
        let out = LocalComm::run(3, |c| {
            let a = c.all_gather(&[c.rank() as u8; 2]);
            let b = c.all_gather(&vec![7; c.rank()]);
            (a, b)
        });
        for (a, b) in out {
            assert_eq!(a, vec![vec![0, 0], vec![1, 1], vec![2, 2]]);
            assert_eq!(b, vec![vec![], vec![7], vec![7, 7]]);
        }
    }

    /// A rank that panics ends the others at their next collective instead of leaving them
    /// waiting, and the panic reaches the caller.
    #[test]
    fn a_panicking_rank_ends_every_rank() {
        let out = std::panic::catch_unwind(|| {
            LocalComm::run(3, |c| {
                if c.rank() == 1 {
                    panic!("rank 1 fails");
                }
                for _ in 0..3 {
                    c.all_gather(&[1]);
                }
            })
        });
        assert!(out.is_err());
    }
}
