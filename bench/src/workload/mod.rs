//! Workloads: one corpus kernel specialized for one problem size, with its inputs,
//! its outputs and (for streaming kernels) the outputs of the plain-Rust reference.
//! A workload's grid and arguments are fixed when it is made, which is what lets an
//! unchecked launch rely on an earlier checked one ([`Launcher`]).
//!
//! - [`Case`]: launch the Tessera kernel (checked or unchecked, on some threads) and
//!   verify its output.
//! - [`Streaming`]: a memory-bound case — how many bytes it moves, and the plain-Rust
//!   loop computing the same result.

mod elementwise;
mod matmul;
mod row_map;
mod rows;

use tessera::jit::{IntoArgs, LaunchOptions};

pub use elementwise::{Unary, VectorAdd};
pub use matmul::Matmul;
pub use row_map::{Argmax, RowMap};
pub use rows::{LayerNorm, RmsNorm, Softmax};

use crate::corpus::KernelPair;
use crate::workers::Workers;
use crate::BenchError;

/// Which build of a kernel to launch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Launch {
    /// The bounds-checked kernel through the safe `Kernel::launch_with`.
    Checked,
    /// The kernel built with `.checked(false)` through `Kernel::launch_unchecked_with`.
    Unchecked,
}

/// A Tessera kernel on fixed inputs.
pub trait Case {
    /// The kernel's name.
    fn name(&self) -> &'static str;

    /// The problem size as the report prints it (`4096×4096`).
    fn size(&self) -> String;

    /// Launches the kernel on `threads` worker threads. An unchecked launch fails with
    /// [`BenchError::NotValidated`] until a checked one has succeeded.
    fn launch(&mut self, threads: usize, launch: Launch) -> Result<(), BenchError>;

    /// Checks the kernel's last output against the reference.
    fn verify(&self) -> Result<(), BenchError>;
}

/// A memory-bound [`Case`] with a plain-Rust equivalent.
pub trait Streaming: Case {
    /// Bytes the kernel must move: every input read once plus every output written once.
    fn bytes(&self) -> u64;

    /// Runs the plain-Rust loop on `workers`, writing the reference outputs.
    fn rust(&mut self, workers: &Workers);
}

/// Launches one workload's kernels, remembering whether a checked launch succeeded.
///
/// Invariant: a `Launcher` belongs to one workload, which always passes it the same
/// grid, the same scalars and buffers of the same lengths (only buffer contents differ
/// between launches, and none of the workloads' kernels index by loaded data).
#[derive(Debug)]
struct Launcher {
    kernels: KernelPair,
    validated: bool,
}

impl Launcher {
    fn new(kernels: KernelPair) -> Launcher {
        Launcher { kernels, validated: false }
    }

    fn launch<'a>(
        &mut self,
        grid: [u32; 3],
        args: impl IntoArgs<'a>,
        threads: usize,
        launch: Launch,
    ) -> Result<(), BenchError> {
        let options = LaunchOptions { threads, ..LaunchOptions::default() };
        match launch {
            Launch::Checked => {
                self.kernels.checked.launch_with(grid, args, &options)?;
                self.validated = true;
            }
            Launch::Unchecked => {
                if !self.validated {
                    let kernel = self.kernels.unchecked.name().to_string();
                    return Err(BenchError::NotValidated { kernel });
                }
                // SAFETY: a checked build of the same specialization ran with this grid,
                // these scalars and buffers of these lengths (the invariant above)
                // without an out-of-bounds access; the kernels' addresses depend only
                // on those, and not on the number of threads, so this launch stays in
                // bounds too.
                unsafe { self.kernels.unchecked.launch_unchecked_with(grid, args, &options) }?;
            }
        }
        Ok(())
    }
}

/// A grid of `count` programs along x.
fn grid_x(count: usize) -> [u32; 3] {
    [u32::try_from(count).expect("grid fits in u32"), 1, 1]
}

/// A problem dimension as the kernels' `i32` scalar.
fn dim(value: usize) -> i32 {
    i32::try_from(value).expect("problem dimension fits in i32")
}
