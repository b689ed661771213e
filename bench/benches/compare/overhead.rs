//! The checked-overhead section: every corpus kernel with easily made inputs, built
//! with and without bounds checks (`KernelBuilder::checked`), launched on one thread on
//! the same inputs — checked through `Kernel::launch_with`, unchecked through
//! `Kernel::launch_unchecked_with` — and both outputs verified.

use tessera_bench::timing::measure;
use tessera_bench::workload::{
    Argmax, Case, Launch, LayerNorm, Matmul, RmsNorm, RowMap, Softmax, Unary, VectorAdd,
};

use crate::report::{millis, Table};
use crate::Context;

/// Runs the section and prints its table.
pub fn run(context: &Context) -> anyhow::Result<()> {
    println!("## Checked vs unchecked launches (1 thread)\n");
    let mut table =
        Table::new(&["kernel", "size", "checked (ms)", "unchecked (ms)", "checked overhead"]);
    for mut case in cases(context)? {
        eprintln!("checked vs unchecked: {} {}", case.name(), case.size());
        let [checked, unchecked] = [Launch::Checked, Launch::Unchecked].map(|launch| {
            case.launch(1, launch)?;
            case.verify()?;
            let sample = measure(&context.plan.budget, || case.launch(1, launch))?;
            anyhow::Ok(sample.millis())
        });
        let (checked, unchecked) = (checked?, unchecked?);
        table.row(vec![
            case.name().to_string(),
            case.size(),
            millis(checked),
            millis(unchecked),
            format!("{:+.1} %", 100.0 * (checked / unchecked - 1.0)),
        ]);
    }
    table.print();
    Ok(())
}

/// The kernels measured, at the plan's overhead sizes.
fn cases(context: &Context) -> anyhow::Result<Vec<Box<dyn Case>>> {
    let engine = &context.engine;
    let (n, (rows, cols), size) = context.plan.overhead;
    Ok(vec![
        Box::new(VectorAdd::new(engine, n)?),
        Box::new(Unary::gelu(engine, n)?),
        Box::new(Unary::silu(engine, n)?),
        Box::new(Softmax::new(engine, rows, cols)?),
        Box::new(LayerNorm::new(engine, rows, cols)?),
        Box::new(RmsNorm::new(engine, rows, cols)?),
        Box::new(RowMap::log_softmax(engine, rows, cols)?),
        Box::new(RowMap::cumsum(engine, rows, cols)?),
        Box::new(Argmax::new(engine, rows, cols)?),
        Box::new(Matmul::new(engine, size)?),
    ])
}
