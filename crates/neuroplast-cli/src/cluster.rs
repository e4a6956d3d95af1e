//! Runs over several processes: `mpirun -np K neuroplast run FILE` (built with `--features
//! mpi`). Every rank parses the file, builds its part of the network
//! ([`Experiment::build_distributed`](neuroplast_config::Experiment::build_distributed)) and
//! runs the same sequence of collectives; rank 0 alone writes the results directory (the
//! others follow the run without writing: `simulate::follow`).
//!
//! Failures: a step that can fail on any rank before the run (reading the file, building, the
//! output directory) is agreed on ([`agree`]): every rank stops with the first failing rank's
//! error. A failure during the run ends the job with `MPI_Abort` after naming the rank
//! ([`fail`]); when a rank dies, mpirun names it and stops the others with SIGTERM, on which
//! rank 0 removes its staged results directory, so no half-written directory is left.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use anyhow::Result;
use neuroplast_core::distributed::Comm;

/// The ranks of this run (set once at start; absent for a one-process run).
static COMM: OnceLock<Arc<dyn Comm>> = OnceLock::new();

/// The staging directory rank 0 is writing, removed if the job is stopped by a signal.
static STAGING: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Whether the collectives of a run are under way (a failure then aborts every rank).
static IN_RUN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The ranks of a distributed run (`None`: one process).
pub fn comm() -> Option<Arc<dyn Comm>> {
    COMM.get().cloned()
}

/// This process's rank (0 for a one-process run).
pub fn rank() -> usize {
    COMM.get().map_or(0, |c| c.rank())
}

/// Number of ranks (1 for a one-process run).
pub fn ranks() -> usize {
    COMM.get().map_or(1, |c| c.ranks())
}

/// Whether this process writes results and prints (rank 0).
pub fn lead() -> bool {
    rank() == 0
}

/// Mark the start (`true`) or end of the run's collectives.
pub fn in_run(on: bool) {
    IN_RUN.store(on, std::sync::atomic::Ordering::SeqCst);
}

/// Remember (or forget, `None`) the staging directory to remove if a signal stops the job.
pub fn staging(dir: Option<PathBuf>) {
    if COMM.get().is_some() {
        *STAGING.lock().unwrap_or_else(|e| e.into_inner()) = dir;
    }
}

/// Whether Ctrl-C was pressed — on any rank, for a distributed run (a collective: every rank
/// asks once per chunk, so all stop at the same chunk).
pub fn stop_requested() -> bool {
    let mine = crate::session::stop_requested();
    match COMM.get() {
        None => mine,
        Some(c) => c.all_gather(&[u8::from(mine)]).iter().any(|b| b[0] != 0),
    }
}

/// The outcome of a step every rank took: `Ok` when every rank succeeded, else the error of
/// the first rank that failed (each failing rank keeps its own error; the others get that
/// rank's message). A collective.
pub fn agree<T>(r: Result<T>) -> Result<T> {
    let Some(c) = COMM.get() else {
        return r;
    };
    let mine = match &r {
        Ok(_) => Vec::new(),
        Err(e) => crate::session::chain(e).into_bytes(),
    };
    let all = c.all_gather(&mine);
    let value = r?;
    match all.iter().enumerate().find(|(_, m)| !m.is_empty()) {
        None => Ok(value),
        Some((k, m)) => Err(anyhow::Error::new(crate::session::Refused(format!(
            "rank {k} of {}: {}",
            all.len(),
            String::from_utf8_lossy(m)
        )))),
    }
}

/// Report a failure. In a distributed run whose collectives are under way it names the rank
/// and ends every rank (`MPI_Abort`); otherwise it returns and the caller exits.
pub fn fail(message: &str) {
    if COMM.get().is_some() && IN_RUN.load(std::sync::atomic::Ordering::SeqCst) {
        eprintln!("error: rank {} of {}: {message}", rank(), ranks());
        remove_staging();
        imp::abort(1);
    }
}

fn remove_staging() {
    let dir = STAGING.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(dir) = dir {
        std::fs::remove_dir_all(dir).ok();
    }
}

/// Start MPI when mpirun (or srun) launched this process with more than one rank; hold the
/// returned guard until the end of `main` (dropping it finalises MPI).
pub fn init() -> Result<Guard> {
    imp::init()
}

pub use imp::Guard;

/// The size and rank a launcher gave this process through its environment (Open MPI, PMIx,
/// MPICH / Slurm's PMI), if any.
fn launched() -> Option<(usize, usize)> {
    let var = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| std::env::var(n).ok()?.parse::<usize>().ok())
    };
    let size = var(&["OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE"])?;
    let rank = var(&["OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"]).unwrap_or(0);
    Some((size, rank))
}

#[cfg(feature = "mpi")]
mod imp {
    use super::*;
    use mpi::datatype::PartitionMut;
    use mpi::topology::{Communicator, SimpleCommunicator};
    use mpi::traits::*;

    /// Keeps MPI initialised; finalises it when dropped.
    pub struct Guard {
        _universe: Option<mpi::environment::Universe>,
    }

    /// MPI's world communicator as the engine's [`Comm`]. It holds no handle (MPI's handles
    /// are not `Send`): each call takes `MPI_COMM_WORLD` afresh. MPI runs with
    /// MPI_THREAD_FUNNELED and the engine calls its `Comm` only on the thread that calls
    /// `run` (the main thread here), one call at a time.
    struct MpiComm {
        size: usize,
        rank: usize,
        /// Buffers reused by every collective (the spike exchange runs every interval).
        scratch: Mutex<Scratch>,
    }

    #[derive(Default)]
    struct Scratch {
        lens: Vec<u64>,
        counts: Vec<i32>,
        displs: Vec<i32>,
        buf: Vec<u8>,
    }

    /// Bytes per rank moved in one collective call (MPI counts are 32-bit).
    const PIECE: usize = 1 << 30;

    /// Round `k` of a transfer: the piece `k·PIECE ..` of a buffer of `len` bytes.
    fn piece(len: u64, k: usize) -> std::ops::Range<usize> {
        let len = len as usize;
        (k * PIECE).min(len)..((k + 1) * PIECE).min(len)
    }

    impl MpiComm {
        /// Every rank's `mine` into `all`, in rank order: on every rank, or on rank 0 only
        /// (`to_root`; `all` is left untouched elsewhere), in rounds of at most [`PIECE`]
        /// bytes per rank.
        fn collect(&self, mine: &[u8], all: &mut Vec<Vec<u8>>, to_root: bool) {
            let world = SimpleCommunicator::world();
            let root = world.process_at_rank(0);
            let mut guard = self.scratch.lock().unwrap_or_else(|e| e.into_inner());
            let sc = &mut *guard;
            sc.lens.resize(self.size, 0);
            world.all_gather_into(&(mine.len() as u64), &mut sc.lens[..]);
            let receives = !to_root || self.rank == 0;
            if receives {
                all.resize_with(self.size, Vec::new);
                all.iter_mut().for_each(Vec::clear);
            }
            let rounds = sc
                .lens
                .iter()
                .map(|&l| (l as usize).div_ceil(PIECE))
                .max()
                .unwrap_or(0);
            for k in 0..rounds {
                let send = &mine[piece(mine.len() as u64, k)];
                if !receives {
                    root.gather_varcount_into(send);
                    continue;
                }
                sc.counts.clear();
                sc.displs.clear();
                let mut total = 0usize;
                for &l in &sc.lens {
                    let c = piece(l, k).len();
                    sc.counts.push(c as i32);
                    sc.displs.push(total as i32);
                    total += c;
                }
                sc.buf.resize(total, 0);
                {
                    let mut part =
                        PartitionMut::new(&mut sc.buf[..], &sc.counts[..], &sc.displs[..]);
                    if to_root {
                        root.gather_varcount_into_root(send, &mut part);
                    } else {
                        world.all_gather_varcount_into(send, &mut part);
                    }
                }
                for (r, o) in all.iter_mut().enumerate() {
                    let at = sc.displs[r] as usize;
                    o.extend_from_slice(&sc.buf[at..at + sc.counts[r] as usize]);
                }
            }
        }
    }

    impl Comm for MpiComm {
        fn rank(&self) -> usize {
            self.rank
        }

        fn ranks(&self) -> usize {
            self.size
        }

        fn all_gather_into(&self, mine: &[u8], all: &mut Vec<Vec<u8>>) {
            self.collect(mine, all, false);
        }

        fn gather(&self, mine: &[u8]) -> Option<Vec<Vec<u8>>> {
            let mut all = Vec::new();
            self.collect(mine, &mut all, true);
            (self.rank == 0).then_some(all)
        }
    }

    pub fn init() -> Result<Guard> {
        let Some((size, _)) = launched() else {
            return Ok(Guard { _universe: None });
        };
        if size <= 1 {
            return Ok(Guard { _universe: None });
        }
        let Some((universe, _)) = mpi::initialize_with_threading(mpi::Threading::Funneled) else {
            anyhow::bail!("MPI was initialised already");
        };
        let world = universe.world();
        let comm: Arc<dyn Comm> = Arc::new(MpiComm {
            size: world.size() as usize,
            rank: world.rank() as usize,
            scratch: Mutex::default(),
        });
        COMM.set(comm).ok();
        watch_sigterm();
        Ok(Guard {
            _universe: Some(universe),
        })
    }

    /// On SIGTERM (how mpirun stops the other ranks when one fails): remove the staged
    /// results directory, say why, and exit. On SIGUSR1 (which mpirun passes on to every
    /// rank; Ctrl-C makes it stop the job instead): stop at the next chunk and write the
    /// results and a checkpoint, as Ctrl-C does in one process.
    fn watch_sigterm() {
        use signal_hook::consts::{SIGTERM, SIGUSR1};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGTERM, SIGUSR1]) else {
            return;
        };
        std::thread::spawn(move || {
            for signal in signals.forever() {
                if signal == SIGUSR1 {
                    crate::session::request_stop();
                    continue;
                }
                remove_staging();
                eprintln!(
                    "neuroplast: rank {} of {} stopped by SIGTERM (the launcher stops every \
                     rank when one fails; its message names the rank)",
                    rank(),
                    ranks()
                );
                std::process::exit(143);
            }
        });
    }

    pub fn abort(code: i32) -> ! {
        match COMM.get() {
            Some(_) => SimpleCommunicator::world().abort(code),
            None => std::process::exit(code),
        }
    }
}

#[cfg(not(feature = "mpi"))]
mod imp {
    use super::*;

    /// Nothing to keep: this build has no MPI.
    pub struct Guard;

    /// Refuse to run as one of several ranks: each rank would run the whole experiment.
    pub fn init() -> Result<Guard> {
        if let Some((size, rank)) = launched().filter(|l| l.0 > 1) {
            let message = format!(
                "launched as rank {rank} of {size}, but this neuroplast was built without MPI: \
                 build it with `cargo install --path crates/neuroplast-cli --features mpi` (see \
                 docs/cluster.md), or run it without mpirun"
            );
            return Err(anyhow::Error::new(crate::session::Refused(message)));
        }
        Ok(Guard)
    }

    pub fn abort(code: i32) -> ! {
        std::process::exit(code)
    }
}
