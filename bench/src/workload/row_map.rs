//! Further row-wise corpus kernels, measured in the checked-overhead table: the f32
//! row maps `log_softmax` (helpers.tsr) and `cumsum_rows` (cumsum.tsr), which share
//! the parameters `(x, y, n_cols, stride)`, and `argmax_rows` (argmax.tsr).

use tessera::jit::Engine;

use super::{dim, grid_x, Case, Launch, Launcher};
use crate::corpus::{self, KernelPair};
use crate::reference;
use crate::verify::{compare, Tolerance};
use crate::{data, BenchError};

/// A kernel writing row `r` of `y` from row `r` of `x`, with its per-row reference.
#[derive(Debug)]
pub struct RowMap {
    name: &'static str,
    rows: usize,
    cols: usize,
    x: Vec<f32>,
    y: Vec<f32>,
    y_ref: Vec<f32>,
    tolerance: Tolerance,
    launcher: Launcher,
}

/// `argmax_rows`: the first column of each row's maximum, as `i32`.
#[derive(Debug)]
pub struct Argmax {
    rows: usize,
    cols: usize,
    x: Vec<f32>,
    idx: Vec<i32>,
    idx_ref: Vec<i32>,
    launcher: Launcher,
}

/// Which kernel a [`RowMap`] runs, and how to check it.
struct RowMapSpec {
    file: &'static str,
    name: &'static str,
    /// Whether a row must fit in one `BLOCK` (then `BLOCK` is the row length rounded
    /// up to a power of two; otherwise the default).
    one_block: bool,
    reference: fn(&[f32], &mut [f32]),
    tolerance: Tolerance,
}

impl RowMap {
    /// `log_softmax` over inputs uniform in [-4, 4).
    pub fn log_softmax(engine: &Engine, rows: usize, cols: usize) -> Result<RowMap, BenchError> {
        let spec = RowMapSpec {
            file: "helpers.tsr",
            name: "log_softmax",
            one_block: true,
            reference: reference::log_softmax_row,
            tolerance: Tolerance { abs: 1e-5, rel: 1e-5 },
        };
        RowMap::new(engine, spec, rows, cols)
    }

    /// `cumsum_rows` (inclusive prefix sums) over inputs uniform in [-4, 4); its
    /// reference sums in `f64`, so the tolerance covers the kernel's `f32` rounding.
    pub fn cumsum(engine: &Engine, rows: usize, cols: usize) -> Result<RowMap, BenchError> {
        let spec = RowMapSpec {
            file: "cumsum.tsr",
            name: "cumsum_rows",
            one_block: false,
            reference: reference::cumsum_row,
            tolerance: Tolerance { abs: 1e-3, rel: 1e-4 },
        };
        RowMap::new(engine, spec, rows, cols)
    }

    fn new(
        engine: &Engine,
        spec: RowMapSpec,
        rows: usize,
        cols: usize,
    ) -> Result<RowMap, BenchError> {
        let program = corpus::program(engine, spec.file)?;
        let block = [("BLOCK", cols.next_power_of_two() as i64)];
        let consts: &[(&str, i64)] = if spec.one_block { &block } else { &[] };
        let kernels = KernelPair::build(&program, spec.name, consts)?;
        let x = data::uniform(13, rows * cols, -4.0, 4.0);
        let mut y_ref = vec![0.0; rows * cols];
        for (x_row, y_row) in x.chunks_exact(cols).zip(y_ref.chunks_exact_mut(cols)) {
            (spec.reference)(x_row, y_row);
        }
        let y = vec![0.0; rows * cols];
        let (name, tolerance, launcher) = (spec.name, spec.tolerance, Launcher::new(kernels));
        Ok(RowMap { name, rows, cols, x, y, y_ref, tolerance, launcher })
    }
}

impl Case for RowMap {
    fn name(&self) -> &'static str {
        self.name
    }

    fn size(&self) -> String {
        format!("{}×{}", self.rows, self.cols)
    }

    fn launch(&mut self, threads: usize, launch: Launch) -> Result<(), BenchError> {
        let cols = dim(self.cols);
        let args = (&self.x[..], &mut self.y[..], cols, cols);
        self.launcher.launch(grid_x(self.rows), args, threads, launch)
    }

    fn verify(&self) -> Result<(), BenchError> {
        compare(self.name, &self.y, &self.y_ref, self.tolerance)
    }
}

impl Argmax {
    /// Inputs uniform in [-1, 1) (ties are then rare, and resolved the same way).
    pub fn new(engine: &Engine, rows: usize, cols: usize) -> Result<Argmax, BenchError> {
        let program = corpus::program(engine, "argmax.tsr")?;
        let kernels = KernelPair::build(&program, "argmax_rows", &[])?;
        let x = data::uniform(14, rows * cols, -1.0, 1.0);
        let idx_ref = x.chunks_exact(cols).map(reference::argmax_row).collect();
        let (idx, launcher) = (vec![-1; rows], Launcher::new(kernels));
        Ok(Argmax { rows, cols, x, idx, idx_ref, launcher })
    }
}

impl Case for Argmax {
    fn name(&self) -> &'static str {
        "argmax_rows"
    }

    fn size(&self) -> String {
        format!("{}×{}", self.rows, self.cols)
    }

    fn launch(&mut self, threads: usize, launch: Launch) -> Result<(), BenchError> {
        let cols = dim(self.cols);
        let args = (&self.x[..], &mut self.idx[..], cols, cols);
        self.launcher.launch(grid_x(self.rows), args, threads, launch)
    }

    fn verify(&self) -> Result<(), BenchError> {
        let wrong = self.idx.iter().zip(&self.idx_ref).position(|(got, want)| got != want);
        let Some(index) = wrong else { return Ok(()) };
        Err(BenchError::Mismatch {
            what: "argmax_rows".to_string(),
            index,
            got: self.idx[index] as f32,
            want: self.idx_ref[index] as f32,
            allowed: 0.0,
        })
    }
}
