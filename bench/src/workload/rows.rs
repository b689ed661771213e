//! Row-wise workloads over a row-major `rows × cols` f32 matrix, one program per row:
//! softmax, LayerNorm and RMSNorm.

use tessera::jit::Engine;

use super::{dim, grid_x, Case, Launch, Launcher, Streaming};
use crate::corpus::{self, KernelPair};
use crate::reference::{self, LayerNormOut};
use crate::verify::{compare, Tolerance};
use crate::workers::Workers;
use crate::{data, BenchError};

/// The normalizations' epsilon.
const EPS: f32 = 1e-5;

/// `softmax.tsr` with `BLOCK` the row length rounded up to a power of two (a row must
/// fit in one block).
#[derive(Debug)]
pub struct Softmax {
    rows: usize,
    cols: usize,
    x: Vec<f32>,
    y: Vec<f32>,
    y_ref: Vec<f32>,
    launcher: Launcher,
}

/// `layernorm.tsr` with its default `BLOCK` (it walks a row block by block).
#[derive(Debug)]
pub struct LayerNorm {
    rows: usize,
    cols: usize,
    x: Vec<f32>,
    w: Vec<f32>,
    b: Vec<f32>,
    out: Stats,
    out_ref: Stats,
    launcher: Launcher,
}

/// `rmsnorm.tsr` with `BLOCK` the row length rounded up to a power of two.
#[derive(Debug)]
pub struct RmsNorm {
    rows: usize,
    cols: usize,
    x: Vec<f32>,
    w: Vec<f32>,
    y: Vec<f32>,
    y_ref: Vec<f32>,
    launcher: Launcher,
}

/// LayerNorm's outputs.
#[derive(Debug)]
struct Stats {
    y: Vec<f32>,
    mean: Vec<f32>,
    rstd: Vec<f32>,
}

impl Softmax {
    /// Inputs uniform in [-4, 4).
    pub fn new(engine: &Engine, rows: usize, cols: usize) -> Result<Softmax, BenchError> {
        let program = corpus::program(engine, "softmax.tsr")?;
        let block = cols.next_power_of_two() as i64;
        let kernels = KernelPair::build(&program, "softmax", &[("BLOCK", block)])?;
        let x = data::uniform(1, rows * cols, -4.0, 4.0);
        let mut y_ref = vec![0.0; rows * cols];
        reference::softmax(&Workers::new(1)?, cols, &x, &mut y_ref);
        let y = vec![0.0; rows * cols];
        Ok(Softmax { rows, cols, x, y, y_ref, launcher: Launcher::new(kernels) })
    }
}

impl Case for Softmax {
    fn name(&self) -> &'static str {
        "softmax"
    }

    fn size(&self) -> String {
        format!("{}×{}", self.rows, self.cols)
    }

    fn launch(&mut self, threads: usize, launch: Launch) -> Result<(), BenchError> {
        let cols = dim(self.cols);
        let args = (&self.x[..], &mut self.y[..], cols, cols, cols);
        self.launcher.launch(grid_x(self.rows), args, threads, launch)
    }

    fn verify(&self) -> Result<(), BenchError> {
        // exp within a few ulp, sums in another order: relative error well under 1e-4.
        compare("softmax", &self.y, &self.y_ref, Tolerance { abs: 1e-9, rel: 1e-4 })
    }
}

impl Streaming for Softmax {
    fn bytes(&self) -> u64 {
        4 * 2 * (self.rows * self.cols) as u64
    }

    fn rust(&mut self, workers: &Workers) {
        reference::softmax(workers, self.cols, &self.x, &mut self.y_ref);
    }
}

impl LayerNorm {
    /// Inputs uniform in [-2, 3) (a mean away from 0), weight in [0.5, 1.5), bias in
    /// [-0.5, 0.5).
    pub fn new(engine: &Engine, rows: usize, cols: usize) -> Result<LayerNorm, BenchError> {
        let program = corpus::program(engine, "layernorm.tsr")?;
        let kernels = KernelPair::build(&program, "layernorm", &[])?;
        let x = data::uniform(2, rows * cols, -2.0, 3.0);
        let w = data::uniform(3, cols, 0.5, 1.5);
        let b = data::uniform(4, cols, -0.5, 0.5);
        let mut layernorm = LayerNorm {
            rows,
            cols,
            x,
            w,
            b,
            out: Stats::zeros(rows, cols),
            out_ref: Stats::zeros(rows, cols),
            launcher: Launcher::new(kernels),
        };
        layernorm.rust(&Workers::new(1)?);
        Ok(layernorm)
    }
}

impl Case for LayerNorm {
    fn name(&self) -> &'static str {
        "layernorm"
    }

    fn size(&self) -> String {
        format!("{}×{}", self.rows, self.cols)
    }

    fn launch(&mut self, threads: usize, launch: Launch) -> Result<(), BenchError> {
        let cols = dim(self.cols);
        let (x, w, b, out) = (&self.x[..], &self.w[..], &self.b[..], &mut self.out);
        let args = (x, &mut out.y[..], w, b, &mut out.mean[..], &mut out.rstd[..], cols, cols, EPS);
        self.launcher.launch(grid_x(self.rows), args, threads, launch)
    }

    fn verify(&self) -> Result<(), BenchError> {
        let tolerance = Tolerance { abs: 1e-4, rel: 1e-4 };
        compare("layernorm mean", &self.out.mean, &self.out_ref.mean, tolerance)?;
        compare("layernorm rstd", &self.out.rstd, &self.out_ref.rstd, tolerance)?;
        compare("layernorm y", &self.out.y, &self.out_ref.y, tolerance)
    }
}

impl Streaming for LayerNorm {
    fn bytes(&self) -> u64 {
        // x read and y written; w and b read; mean and rstd written.
        4 * (2 * self.rows * self.cols + 2 * self.cols + 2 * self.rows) as u64
    }

    fn rust(&mut self, workers: &Workers) {
        let out = &mut self.out_ref;
        let out = LayerNormOut { y: &mut out.y, mean: &mut out.mean, rstd: &mut out.rstd };
        reference::layernorm(workers, self.cols, EPS, (&self.x, &self.w, &self.b), out);
    }
}

impl RmsNorm {
    /// Inputs uniform in [-2, 2), weight in [0.5, 1.5).
    pub fn new(engine: &Engine, rows: usize, cols: usize) -> Result<RmsNorm, BenchError> {
        let program = corpus::program(engine, "rmsnorm.tsr")?;
        let block = cols.next_power_of_two() as i64;
        let kernels = KernelPair::build(&program, "rmsnorm", &[("BLOCK", block)])?;
        let x = data::uniform(5, rows * cols, -2.0, 2.0);
        let w = data::uniform(6, cols, 0.5, 1.5);
        let mut y_ref = vec![0.0; rows * cols];
        reference::rmsnorm(&Workers::new(1)?, cols, EPS, (&x, &w), &mut y_ref);
        let y = vec![0.0; rows * cols];
        Ok(RmsNorm { rows, cols, x, w, y, y_ref, launcher: Launcher::new(kernels) })
    }
}

impl Case for RmsNorm {
    fn name(&self) -> &'static str {
        "rmsnorm"
    }

    fn size(&self) -> String {
        format!("{}×{}", self.rows, self.cols)
    }

    fn launch(&mut self, threads: usize, launch: Launch) -> Result<(), BenchError> {
        let cols = dim(self.cols);
        let args = (&self.x[..], &self.w[..], &mut self.y[..], cols, cols, EPS);
        self.launcher.launch(grid_x(self.rows), args, threads, launch)
    }

    fn verify(&self) -> Result<(), BenchError> {
        compare("rmsnorm", &self.y, &self.y_ref, Tolerance { abs: 1e-5, rel: 1e-4 })
    }
}

impl Streaming for RmsNorm {
    fn bytes(&self) -> u64 {
        // x read and y written; w read.
        4 * (2 * self.rows * self.cols + self.cols) as u64
    }

    fn rust(&mut self, workers: &Workers) {
        reference::rmsnorm(workers, self.cols, EPS, (&self.x, &self.w), &mut self.y_ref);
    }
}

impl Stats {
    fn zeros(rows: usize, cols: usize) -> Stats {
        Stats { y: vec![0.0; rows * cols], mean: vec![0.0; rows], rstd: vec![0.0; rows] }
    }
}
