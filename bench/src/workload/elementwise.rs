//! Elementwise workloads over `n` f32 elements, one `BLOCK`-wide slice per program:
//! `vector_add` and the unary activations `gelu` and `silu`, all with the corpus's
//! default consts.

use tessera::jit::Engine;

use super::{dim, grid_x, Case, Launch, Launcher, Streaming};
use crate::corpus::{self, KernelPair};
use crate::reference;
use crate::verify::{compare, Tolerance};
use crate::workers::Workers;
use crate::{data, BenchError};

/// `vector_add.tsr`: `z = x + y`.
#[derive(Debug)]
pub struct VectorAdd {
    x: Vec<f32>,
    y: Vec<f32>,
    z: Vec<f32>,
    z_ref: Vec<f32>,
    grid: [u32; 3],
    launcher: Launcher,
}

/// A unary activation `y = f(x)`: `gelu.tsr` (exact, with `erf`) or `silu.tsr`'s `silu`.
#[derive(Debug)]
pub struct Unary {
    name: &'static str,
    reference: fn(f32) -> f32,
    tolerance: Tolerance,
    x: Vec<f32>,
    y: Vec<f32>,
    y_ref: Vec<f32>,
    grid: [u32; 3],
    launcher: Launcher,
}

impl VectorAdd {
    /// Inputs uniform in [-1, 1).
    pub fn new(engine: &Engine, n: usize) -> Result<VectorAdd, BenchError> {
        let program = corpus::program(engine, "vector_add.tsr")?;
        let kernels = KernelPair::build(&program, "vector_add", &[])?;
        let grid = grid_x(n.div_ceil(block(&kernels)));
        let (x, y) = (data::uniform(7, n, -1.0, 1.0), data::uniform(8, n, -1.0, 1.0));
        let mut z_ref = vec![0.0; n];
        reference::vector_add(&Workers::new(1)?, &x, &y, &mut z_ref);
        let z = vec![0.0; n];
        Ok(VectorAdd { x, y, z, z_ref, grid, launcher: Launcher::new(kernels) })
    }
}

impl Case for VectorAdd {
    fn name(&self) -> &'static str {
        "vector_add"
    }

    fn size(&self) -> String {
        elements(self.x.len())
    }

    fn launch(&mut self, threads: usize, launch: Launch) -> Result<(), BenchError> {
        let args = (&self.x[..], &self.y[..], &mut self.z[..], dim(self.x.len()));
        self.launcher.launch(self.grid, args, threads, launch)
    }

    fn verify(&self) -> Result<(), BenchError> {
        // One rounding of the same sum on both sides: exact.
        compare("vector_add", &self.z, &self.z_ref, Tolerance { abs: 0.0, rel: 0.0 })
    }
}

impl Streaming for VectorAdd {
    fn bytes(&self) -> u64 {
        4 * 3 * self.x.len() as u64
    }

    fn rust(&mut self, workers: &Workers) {
        reference::vector_add(workers, &self.x, &self.y, &mut self.z_ref);
    }
}

impl Unary {
    /// `gelu` (exact) over inputs uniform in [-4, 4).
    pub fn gelu(engine: &Engine, n: usize) -> Result<Unary, BenchError> {
        let tolerance = Tolerance { abs: 1e-6, rel: 1e-5 };
        Unary::new(engine, ("gelu.tsr", "gelu"), (reference::gelu, tolerance), n)
    }

    /// `silu` over inputs uniform in [-4, 4).
    pub fn silu(engine: &Engine, n: usize) -> Result<Unary, BenchError> {
        let tolerance = Tolerance { abs: 1e-6, rel: 1e-5 };
        Unary::new(engine, ("silu.tsr", "silu"), (reference::silu, tolerance), n)
    }

    fn new(
        engine: &Engine,
        (file, name): (&str, &'static str),
        (reference, tolerance): (fn(f32) -> f32, Tolerance),
        n: usize,
    ) -> Result<Unary, BenchError> {
        let program = corpus::program(engine, file)?;
        let kernels = KernelPair::build(&program, name, &[])?;
        let grid = grid_x(n.div_ceil(block(&kernels)));
        let x = data::uniform(9, n, -4.0, 4.0);
        let mut y_ref = vec![0.0; n];
        reference::map(&Workers::new(1)?, reference, &x, &mut y_ref);
        let y = vec![0.0; n];
        let launcher = Launcher::new(kernels);
        Ok(Unary { name, reference, tolerance, x, y, y_ref, grid, launcher })
    }
}

impl Case for Unary {
    fn name(&self) -> &'static str {
        self.name
    }

    fn size(&self) -> String {
        elements(self.x.len())
    }

    fn launch(&mut self, threads: usize, launch: Launch) -> Result<(), BenchError> {
        let args = (&self.x[..], &mut self.y[..], dim(self.x.len()));
        self.launcher.launch(self.grid, args, threads, launch)
    }

    fn verify(&self) -> Result<(), BenchError> {
        compare(self.name, &self.y, &self.y_ref, self.tolerance)
    }
}

impl Streaming for Unary {
    fn bytes(&self) -> u64 {
        4 * 2 * self.x.len() as u64
    }

    fn rust(&mut self, workers: &Workers) {
        reference::map(workers, self.reference, &self.x, &mut self.y_ref);
    }
}

/// The `BLOCK` a kernel was specialized with.
fn block(kernels: &KernelPair) -> usize {
    let specialization = kernels.checked.specialization();
    let block = specialization.iter().find(|(name, _)| name == "BLOCK").map(|&(_, value)| value);
    usize::try_from(block.expect("elementwise kernels have a BLOCK const")).expect("BLOCK > 0")
}

/// An element count, in Mi or Ki when it is a whole number of them.
fn elements(n: usize) -> String {
    match n {
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} Mi", n >> 20),
        n if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{} Ki", n >> 10),
        n => n.to_string(),
    }
}
