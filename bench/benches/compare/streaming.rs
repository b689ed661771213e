//! The memory-bound section: softmax, LayerNorm, RMSNorm (`rows × cols` f32) and vector
//! add, each against its plain-Rust loop and against the Rust scale loop
//! `y[i] = a * x[i]` run over as many bytes as the kernel moves — the bandwidth a
//! streaming kernel can hope for on this machine — in GB/s, and the targets
//! (LayerNorm and RMSNorm at 80 % of the scale loop, softmax at 70 %).

use tessera_bench::timing::{measure, measure_infallible};
use tessera_bench::verify::{compare, Tolerance};
use tessera_bench::workers::Workers;
use tessera_bench::workload::{Launch, LayerNorm, RmsNorm, Softmax, Streaming, VectorAdd};
use tessera_bench::{data, reference};

use crate::plan::{Section, FULL_ROWS_COLS};
use crate::report::{millis, percent, rate, ratio, threads_label, Table, Verdict};
use crate::Context;

/// The scale loop's factor.
const SCALE: f32 = 1.5;

/// One kernel on one pool: median seconds of Tessera, the Rust loop and the scale loop.
#[derive(Clone, Copy, Debug)]
struct Seconds {
    tessera: f64,
    rust: f64,
    scale: f64,
}

/// Runs the selected memory-bound kernels and prints their table; returns the
/// targets' verdicts.
pub fn run(context: &Context) -> anyhow::Result<Vec<Verdict>> {
    use Section::*;
    let sections: Vec<Section> = [Softmax, Layernorm, Rmsnorm, VectorAdd]
        .into_iter()
        .filter(|&s| context.plan.runs(s))
        .collect();
    if sections.is_empty() {
        return Ok(Vec::new());
    }
    println!("## Memory-bound kernels (GB/s = bytes read + written once / median time)\n");
    let mut table = Table::new(&[
        "kernel",
        "size",
        "threads",
        "MB moved",
        "Tessera (ms)",
        "Tessera GB/s",
        "Rust loop GB/s",
        "scale loop GB/s",
        "Tessera / Rust loop",
        "Tessera / scale loop",
    ]);
    let mut verdicts = Vec::new();
    for section in sections {
        let mut case = make(context, section)?;
        let bytes = case.bytes();
        let mut scale = ScaleLoop::new(bytes);
        for workers in &context.workers {
            eprintln!("{} {} on {} thread(s)", case.name(), case.size(), workers.threads());
            let seconds = measure_case(context, case.as_mut(), &mut scale, workers)?;
            let gbps = |seconds: f64| bytes as f64 / seconds / 1e9;
            let (tessera, rust, scale) =
                (gbps(seconds.tessera), gbps(seconds.rust), gbps(seconds.scale));
            table.row(vec![
                case.name().to_string(),
                case.size(),
                workers.threads().to_string(),
                format!("{:.0}", bytes as f64 / 1e6),
                millis(seconds.tessera * 1e3),
                rate(tessera),
                rate(rust),
                rate(scale),
                ratio(tessera, rust),
                percent(tessera, scale),
            ]);
            verdicts.extend(verdict(context, case.as_ref(), workers.threads(), tessera / scale));
        }
    }
    table.print();
    Ok(verdicts)
}

/// The workload of `section` at the plan's size.
fn make(context: &Context, section: Section) -> anyhow::Result<Box<dyn Streaming>> {
    let (engine, (rows, cols)) = (&context.engine, context.plan.rows_cols);
    Ok(match section {
        Section::Softmax => Box::new(Softmax::new(engine, rows, cols)?),
        Section::Layernorm => Box::new(LayerNorm::new(engine, rows, cols)?),
        Section::Rmsnorm => Box::new(RmsNorm::new(engine, rows, cols)?),
        Section::VectorAdd => Box::new(VectorAdd::new(engine, context.plan.vector_len)?),
        Section::Matmul | Section::Overhead | Section::Compile => {
            unreachable!("not a memory-bound section")
        }
    })
}

/// Verifies Tessera's output against the Rust loop's, then times all three.
fn measure_case(
    context: &Context,
    case: &mut dyn Streaming,
    scale: &mut ScaleLoop,
    workers: &Workers,
) -> anyhow::Result<Seconds> {
    let (budget, threads) = (&context.plan.budget, workers.threads());
    case.launch(threads, Launch::Checked)?;
    case.rust(workers);
    case.verify()?;
    scale.run(workers);
    scale.verify()?;
    let tessera = measure(budget, || case.launch(threads, Launch::Checked))?;
    let rust = measure_infallible(budget, || case.rust(workers));
    let scale = measure_infallible(budget, || scale.run(workers));
    Ok(Seconds { tessera: tessera.seconds(), rust: rust.seconds(), scale: scale.seconds() })
}

/// The target for `case`, if it has one: a fraction of the scale loop's GB/s.
fn verdict(
    context: &Context,
    case: &dyn Streaming,
    threads: usize,
    of_scale: f64,
) -> Option<Verdict> {
    let fraction = match case.name() {
        "softmax" => 0.70,
        "layernorm" | "rmsnorm" => 0.80,
        _ => return None,
    };
    let (rows, cols) = FULL_ROWS_COLS;
    Some(Verdict {
        target: format!(
            "{} {rows}×{cols} ≥ {:.0} % of the scale loop's GB/s",
            case.name(),
            fraction * 100.0
        ),
        case: format!("{}, {}", case.size(), threads_label(threads)),
        measured: format!("{:.0} %", of_scale * 100.0),
        met: of_scale >= fraction,
        indicative: context.plan.rows_cols != FULL_ROWS_COLS,
    })
}

/// `y[i] = SCALE * x[i]` over buffers that together hold a given number of bytes.
struct ScaleLoop {
    x: Vec<f32>,
    y: Vec<f32>,
}

impl ScaleLoop {
    /// Buffers of `bytes / 8` elements each: `bytes` read and written in all.
    fn new(bytes: u64) -> ScaleLoop {
        let len = usize::try_from(bytes / 8).expect("buffer fits in memory");
        ScaleLoop { x: data::uniform(12, len, -1.0, 1.0), y: vec![0.0; len] }
    }

    fn run(&mut self, workers: &Workers) {
        reference::scale(workers, SCALE, &self.x, &mut self.y);
    }

    fn verify(&self) -> anyhow::Result<()> {
        let want: Vec<f32> = self.x.iter().map(|x| SCALE * x).collect();
        compare("scale loop", &self.y, &want, Tolerance { abs: 0.0, rel: 0.0 })?;
        Ok(())
    }
}
