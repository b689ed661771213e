//! The [`Plan`]: which sections run, at which sizes, on which thread counts and with
//! which time budget — the sizes by default, small ones with `--quick`.

use std::time::Duration;

use tessera_bench::timing::Budget;

/// A part of the report, as `--only` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Section {
    Matmul,
    Softmax,
    Layernorm,
    Rmsnorm,
    #[value(name = "vector_add")]
    VectorAdd,
    /// Checked against unchecked launches.
    Overhead,
    /// JIT compile times.
    Compile,
}

/// Sizes, threads and budget of one report.
#[derive(Clone, Debug)]
pub struct Plan {
    pub quick: bool,
    pub budget: Budget,
    pub threads: Vec<usize>,
    /// Square matrix sizes of the matmul section.
    pub matmul_sizes: Vec<usize>,
    /// `(rows, cols)` of softmax, LayerNorm and RMSNorm.
    pub rows_cols: (usize, usize),
    /// Elements of vector add.
    pub vector_len: usize,
    /// Sizes of the checked-overhead section: elementwise length, `(rows, cols)`,
    /// matmul size.
    pub overhead: (usize, (usize, usize), usize),
    /// JIT compilations per corpus kernel (the median is reported).
    pub compile_runs: usize,
    sections: Vec<Section>,
}

/// The sizes.
pub const FULL_MATMUL_SIZES: [usize; 4] = [256, 512, 1024, 2048];
pub const FULL_ROWS_COLS: (usize, usize) = (4096, 4096);
pub const FULL_VECTOR_LEN: usize = 64 << 20;

impl Plan {
    /// The plan for `quick` (or full) mode; `budget` in seconds overrides the mode's
    /// time budget, and `only` (if not empty) selects sections.
    pub fn new(quick: bool, budget: Option<f64>, threads: &[usize], only: &[Section]) -> Plan {
        let mut base = if quick { Plan::quick() } else { Plan::full() };
        if let Some(seconds) = budget {
            base.budget.time = Duration::from_secs_f64(seconds);
        }
        base.threads = threads.to_vec();
        if !only.is_empty() {
            base.sections = only.to_vec();
        }
        base
    }

    /// Whether `section` is part of this report.
    pub fn runs(&self, section: Section) -> bool {
        self.sections.contains(&section)
    }

    fn full() -> Plan {
        Plan {
            quick: false,
            budget: Budget::full(),
            threads: vec![1, 2],
            matmul_sizes: FULL_MATMUL_SIZES.to_vec(),
            rows_cols: FULL_ROWS_COLS,
            vector_len: FULL_VECTOR_LEN,
            overhead: (4 << 20, (2048, 2048), 512),
            compile_runs: 5,
            sections: all_sections(),
        }
    }

    fn quick() -> Plan {
        Plan {
            quick: true,
            budget: Budget::quick(),
            threads: vec![1, 2],
            matmul_sizes: vec![128, 256],
            rows_cols: (256, 1024),
            vector_len: 1 << 20,
            overhead: (1 << 20, (256, 1024), 128),
            compile_runs: 5,
            sections: all_sections(),
        }
    }
}

fn all_sections() -> Vec<Section> {
    use Section::*;
    vec![Matmul, Softmax, Layernorm, Rmsnorm, VectorAdd, Overhead, Compile]
}
