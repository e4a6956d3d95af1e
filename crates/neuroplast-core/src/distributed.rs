//! One network over several processes: the [`Comm`] seam between the engine and whatever
//! carries bytes between ranks (MPI in the command line, threads in tests), and how neurons
//! are split over ranks ([`Partition`]).
//!
//! The engine never depends on MPI: a distributed spiking network
//! ([`Network::distribute`](crate::spiking::network::Network::distribute)) only calls
//! [`Comm::all_gather`], always on the thread that calls `run`, and every rank calls it in the
//! same order (it is a collective). [`LocalComm`] runs the same protocol between threads of
//! one process, so the tests check bit-identity for any number of ranks without MPI.

use std::ops::Range;
use std::sync::{Arc, Barrier, Mutex};

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
    /// Every rank's `mine`, in rank order, on every rank.
    fn all_gather(&self, mine: &[u8]) -> Vec<Vec<u8>>;
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
/// `MPI_Allgatherv`. For tests and for trying the distributed engine without MPI.
pub struct LocalComm {
    rank: usize,
    shared: Arc<Shared>,
}

struct Shared {
    slots: Mutex<Vec<Vec<u8>>>,
    barrier: Barrier,
}

impl LocalComm {
    /// `k ≥ 1` communicators, one per rank (hand each to its own thread).
    pub fn group(k: usize) -> Vec<LocalComm> {
        let shared = Arc::new(Shared {
            slots: Mutex::new(vec![Vec::new(); k]),
            barrier: Barrier::new(k),
        });
        (0..k)
            .map(|rank| LocalComm {
                rank,
                shared: shared.clone(),
            })
            .collect()
    }

    /// Run `f` on `k` threads, one per rank, and return what each returned, in rank order.
    pub fn run<T: Send>(k: usize, f: impl Fn(Arc<dyn Comm>) -> T + Sync) -> Vec<T> {
        let comms = LocalComm::group(k);
        std::thread::scope(|s| {
            let handles: Vec<_> = comms
                .into_iter()
                .map(|c| {
                    let f = &f;
                    s.spawn(move || f(Arc::new(c)))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a rank panicked"))
                .collect()
        })
    }
}

impl Comm for LocalComm {
    fn rank(&self) -> usize {
        self.rank
    }

    fn ranks(&self) -> usize {
        self.shared.barrier_len()
    }

    fn all_gather(&self, mine: &[u8]) -> Vec<Vec<u8>> {
        self.shared.slots.lock().expect("no rank panicked")[self.rank] = mine.to_vec();
        self.shared.barrier.wait();
        let all = self.shared.slots.lock().expect("no rank panicked").clone();
        // nobody writes the next round's slot before everyone has read this one
        self.shared.barrier.wait();
        all
    }

    fn gather(&self, mine: &[u8]) -> Option<Vec<Vec<u8>>> {
        let all = self.all_gather(mine);
        (self.rank == 0).then_some(all)
    }
}

impl Shared {
    fn barrier_len(&self) -> usize {
        self.slots.lock().expect("no rank panicked").len()
    }
}

/// Little-endian encoding of what ranks exchange (counts, spike ids, values).
#[derive(Default)]
pub(crate) struct Bytes(pub(crate) Vec<u8>);

impl Bytes {
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
    /// A length-prefixed run of u32, appended to `out`.
    pub(crate) fn u32s_into(&mut self, out: &mut Vec<u32>) {
        let n = self.u32() as usize;
        out.extend(
            self.take(4 * n)
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes"))),
        );
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
}
