//! The matrix-product workload: `matmul.tsr` (f32, default tile consts) on square
//! row-major matrices, checked by recomputing sampled entries. Its inputs are public
//! so that the peers (`matrixmultiply`, `gemm`) run on exactly the same data.

use tessera::jit::Engine;

use super::{dim, Case, Launch, Launcher};
use crate::corpus::{self, KernelPair};
use crate::verify::{check_matmul, MatmulShape};
use crate::{data, BenchError};

/// Entries of the product recomputed by [`Matmul::check`].
const SAMPLES: usize = 256;

/// `C = A @ B` for `size × size` matrices.
#[derive(Debug)]
pub struct Matmul {
    size: usize,
    a: Vec<f32>,
    b: Vec<f32>,
    c: Vec<f32>,
    grid: [u32; 3],
    launcher: Launcher,
}

impl Matmul {
    /// Inputs uniform in [-1, 1), the kernel's default tile consts.
    pub fn new(engine: &Engine, size: usize) -> Result<Matmul, BenchError> {
        Matmul::with_tiles(engine, size, &[])
    }

    /// As [`Matmul::new`], with tile consts (`BLOCK_M`, `BLOCK_N`, `BLOCK_K`) set.
    pub fn with_tiles(
        engine: &Engine,
        size: usize,
        tiles: &[(&str, i64)],
    ) -> Result<Matmul, BenchError> {
        let program = corpus::program(engine, "matmul.tsr")?;
        let kernels = KernelPair::build(&program, "matmul", tiles)?;
        let specialization = kernels.checked.specialization();
        let tile = |name: &str| {
            let value = specialization.iter().find(|(n, _)| n == name).map(|&(_, v)| v);
            usize::try_from(value.expect("matmul has tile consts")).expect("tile > 0")
        };
        let grid_dim = |tile: usize| u32::try_from(size.div_ceil(tile)).expect("grid fits");
        let grid = [grid_dim(tile("BLOCK_M")), grid_dim(tile("BLOCK_N")), 1];
        let a = data::uniform(10, size * size, -1.0, 1.0);
        let b = data::uniform(11, size * size, -1.0, 1.0);
        let c = vec![0.0; size * size];
        Ok(Matmul { size, a, b, c, grid, launcher: Launcher::new(kernels) })
    }

    /// The product's shape.
    pub fn shape(&self) -> MatmulShape {
        MatmulShape { m: self.size, n: self.size, k: self.size }
    }

    /// The inputs `(A, B)`, row-major.
    pub fn inputs(&self) -> (&[f32], &[f32]) {
        (&self.a, &self.b)
    }

    /// Floating-point operations of one product (a multiply and an add per term).
    pub fn flops(&self) -> f64 {
        2.0 * (self.size as f64).powi(3)
    }

    /// Checks any product `c` of this workload's inputs (Tessera's or a peer's).
    pub fn check(&self, what: &str, c: &[f32]) -> Result<(), BenchError> {
        check_matmul(what, self.shape(), (&self.a, &self.b, c), SAMPLES)
    }
}

impl Case for Matmul {
    fn name(&self) -> &'static str {
        "matmul"
    }

    fn size(&self) -> String {
        format!("{}³", self.size)
    }

    fn launch(&mut self, threads: usize, launch: Launch) -> Result<(), BenchError> {
        let s = dim(self.size);
        let (a, b, c) = (&self.a[..], &self.b[..], &mut self.c[..]);
        // Row-major strides: A [M, K] is (K, 1), B [K, N] is (N, 1), C [M, N] is (N, 1).
        let args = (a, b, c, s, s, s, s, 1i32, s, 1i32, s, 1i32);
        self.launcher.launch(self.grid, args, threads, launch)
    }

    fn verify(&self) -> Result<(), BenchError> {
        self.check("matmul (Tessera)", &self.c)
    }
}
