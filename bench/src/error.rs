//! [`BenchError`]: what can stop a benchmark — a kernel that does not compile or
//! launch, a result that disagrees with its reference, or an unchecked launch that was
//! never validated by a checked one.

use std::path::PathBuf;

use tessera::jit::{CompileError, LaunchError};

/// Why a benchmark case could not be measured.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Compile(#[from] CompileError),
    #[error(transparent)]
    Launch(#[from] LaunchError),
    /// A result element outside the tolerance of its reference value: the report
    /// stops rather than time a wrong kernel.
    #[error("{what}: element {index} is {got}, expected {want} (allowed difference {allowed})")]
    Mismatch { what: String, index: usize, got: f32, want: f32, allowed: f32 },
    /// An unchecked launch asked for before a checked launch of the same kernel on the
    /// same arguments succeeded (which is what shows its accesses stay in bounds).
    #[error("{kernel}: unchecked launch before a checked launch validated its arguments")]
    NotValidated { kernel: String },
    #[error("reading the kernel corpus at {path}: {source}")]
    Corpus { path: PathBuf, source: std::io::Error },
    #[error("building a worker thread pool: {0}")]
    ThreadPool(#[from] rayon::ThreadPoolBuildError),
}
