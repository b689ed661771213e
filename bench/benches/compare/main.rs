//! `cargo bench -p tessera-bench --bench compare [-- --quick] [-- --only matmul,softmax]`:
//! one Markdown report comparing, in one process on the same inputs, Tessera's JIT
//! kernels (built and launched through the public `tessera::jit` API) with
//!
//! - the `matrixmultiply` and `gemm` crates on f32 matrix products (GFLOP/s);
//! - plain-Rust loops and a Rust scale loop `y[i] = a * x[i]` over the same number of
//!   bytes on softmax, LayerNorm, RMSNorm and vector add (GB/s, each byte read or
//!   written once);
//!
//! on 1 and 2 threads, plus the cost of checked over unchecked launches on the corpus,
//! the JIT compile time of every corpus kernel, and the performance targets
//! marked met or missed. Every result is checked against its reference before it is
//! timed; a wrong one aborts the report. Progress goes to stderr, the report to stdout.

mod compile;
mod matmul;
mod overhead;
mod plan;
mod report;
mod streaming;

use clap::Parser;
use tessera::jit::Engine;
use tessera_bench::workers::Workers;

use crate::plan::{Plan, Section};
use crate::report::Verdict;

/// What the command line can ask of the report.
#[derive(Debug, Parser)]
#[command(about = "Tessera's kernels against peer crates, plain Rust and memory bandwidth")]
struct Options {
    /// Small sizes and short budgets: a smoke run of well under a minute.
    #[arg(long)]
    quick: bool,
    /// Run only these sections (comma-separated, or the flag repeated).
    #[arg(long, value_enum, value_delimiter = ',')]
    only: Vec<Section>,
    /// Thread counts to measure (Tessera launch threads, peers' and Rust loops' pools).
    #[arg(long, value_delimiter = ',', default_values_t = [1, 2])]
    threads: Vec<usize>,
    /// Seconds of timed runs per case, instead of the mode's default.
    #[arg(long)]
    budget: Option<f64>,
    /// What `cargo bench` passes to every bench binary; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// What every section needs: the engine, the plan, and a worker pool per thread count.
struct Context {
    engine: Engine,
    plan: Plan,
    workers: Vec<Workers>,
}

fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    let plan = Plan::new(options.quick, options.budget, &options.threads, &options.only);
    let workers = plan.threads.iter().map(|&t| Workers::new(t)).collect::<Result<_, _>>()?;
    let context = Context { engine: Engine::new(), plan, workers };
    report::print_header(&context.plan);

    let mut verdicts: Vec<Verdict> = Vec::new();
    if context.plan.runs(Section::Matmul) {
        verdicts.extend(matmul::run(&context)?);
    }
    verdicts.extend(streaming::run(&context)?);
    if context.plan.runs(Section::Overhead) {
        overhead::run(&context)?;
    }
    if context.plan.runs(Section::Compile) {
        verdicts.extend(compile::run(&context)?);
    }
    report::print_verdicts(&verdicts);
    Ok(())
}
