//! [`Workers`]: a rayon thread pool of a fixed size, in which the plain-Rust loops and
//! the multithreaded peers run, so that "2 threads" means 2 threads for every
//! contestant. The pool is built once per thread count, not per run.

use rayon::{ThreadPool, ThreadPoolBuilder};

use crate::BenchError;

/// A pool of `threads` worker threads.
#[derive(Debug)]
pub struct Workers {
    threads: usize,
    pool: ThreadPool,
}

impl Workers {
    /// A pool of `threads` threads (at least 1).
    pub fn new(threads: usize) -> Result<Workers, BenchError> {
        let threads = threads.max(1);
        let pool = ThreadPoolBuilder::new().num_threads(threads).build()?;
        Ok(Workers { threads, pool })
    }

    /// The pool's size.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Runs `work` inside the pool (its rayon calls use this pool's threads).
    pub fn install<R: Send>(&self, work: impl FnOnce() -> R + Send) -> R {
        self.pool.install(work)
    }

    /// How many of `count` items each thread takes so that they split into at most
    /// `threads` contiguous chunks.
    pub fn chunk_len(&self, count: usize) -> usize {
        count.div_ceil(self.threads).max(1)
    }
}
