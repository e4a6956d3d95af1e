//! Execution settings: how many threads the row passes use. Not part of the model — results
//! are bit-identical at any thread count (every parallel pass works on independent rows) —
//! so it is never written to checkpoints; a resumed run chooses its own.

use std::fmt;
use std::sync::Arc;

use crate::{ensure, Result};

/// How a row pass runs: serially, or split across the current rayon pool in leaves of at
/// least `leaf` rows. Rows are independent, so results are identical either way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Par {
    /// Split across threads.
    pub parallel: bool,
    /// Minimum rows per task.
    pub leaf: usize,
}

impl Par {
    /// One thread.
    pub const SERIAL: Par = Par {
        parallel: false,
        leaf: usize::MAX,
    };
}

/// A thread pool for row-parallel passes, or serial execution.
#[derive(Clone, Default)]
pub struct Exec {
    pool: Option<Arc<rayon::ThreadPool>>,
}

impl Exec {
    /// `threads` = 1 runs serially; more builds a pool of that many threads.
    pub fn new(threads: usize) -> Result<Exec> {
        ensure!(
            (1..=1024).contains(&threads),
            "simulation.threads",
            "must be in [1, 1024], got {threads}"
        );
        if threads == 1 {
            return Ok(Exec::default());
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("neuroplast-{i}"))
            .build()
            .map_err(|e| crate::Error::config("simulation.threads", e))?;
        Ok(Exec {
            pool: Some(Arc::new(pool)),
        })
    }

    /// Number of threads.
    pub fn threads(&self) -> usize {
        self.pool.as_ref().map_or(1, |p| p.current_num_threads())
    }

    /// Run `f` inside the pool (so that its row passes use it).
    pub fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        match &self.pool {
            Some(p) => p.install(f),
            None => f(),
        }
    }

    /// How to split a pass over `rows` rows: serial for small matrices, else about eight
    /// tasks per thread.
    pub fn par(&self, rows: usize) -> Par {
        let t = self.threads();
        if t == 1 || rows < 2048 {
            return Par::SERIAL;
        }
        Par {
            parallel: true,
            leaf: (rows / (8 * t)).max(256),
        }
    }
}

impl fmt::Debug for Exec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Exec {{ threads: {} }}", self.threads())
    }
}

/// Execution settings never change results, so they never make two states differ.
impl PartialEq for Exec {
    fn eq(&self, _: &Exec) -> bool {
        true
    }
}
