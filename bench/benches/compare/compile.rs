//! The compile-time section: for every kernel of every corpus file, the median over
//! several runs of source text to callable kernel through the public API — a fresh
//! `Engine` each run (so no cache), `compile_str` (parsing and checking the whole
//! file), then `kernel(..).opt_level(O2).build()` (specialization, optimization,
//! Cranelift) — and the 20 ms target.

use std::time::Instant;

use tessera::jit::{Engine, OptLevel};
use tessera_bench::corpus;

use crate::report::{millis, Table, Verdict};
use crate::Context;

/// The target: median compile time per corpus kernel at -O2.
const TARGET_MS: f64 = 20.0;

/// Runs the section and prints its table; returns the target's verdict.
pub fn run(context: &Context) -> anyhow::Result<Vec<Verdict>> {
    let runs = context.plan.compile_runs;
    println!("## JIT compile time, source → callable at -O2 (median of {runs}, fresh engine)\n");
    let mut table = Table::new(&["file", "kernel", "median (ms)", "≤ 20 ms"]);
    let mut medians = Vec::new();
    for path in corpus::files()? {
        let source = std::fs::read_to_string(&path)?;
        let file = path.file_name().map_or_else(String::new, |f| f.to_string_lossy().into_owned());
        let names = Engine::new().compile_str(&source)?.kernels().to_vec();
        for name in names.iter().map(|k| k.name.clone()) {
            eprintln!("compile {file}: {name}");
            let median = median_compile_ms(&source, &name, runs)?;
            let within = if median <= TARGET_MS { "yes" } else { "**no**" };
            table.row(vec![file.clone(), name.clone(), millis(median), within.to_string()]);
            medians.push((median, format!("{file}: {name}")));
        }
    }
    table.print();
    Ok(verdict(&medians))
}

/// The median of `runs` compilations of kernel `name` from `source`, in ms.
fn median_compile_ms(source: &str, name: &str, runs: usize) -> anyhow::Result<f64> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let program = Engine::new().compile_str(source)?;
        let kernel = program.kernel(name)?.opt_level(OptLevel::O2).build()?;
        times.push(start.elapsed().as_secs_f64() * 1e3);
        drop(kernel);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

/// One verdict for the whole corpus: met when every kernel's median is within target.
fn verdict(medians: &[(f64, String)]) -> Vec<Verdict> {
    let Some((slowest, slowest_name)) = medians.iter().max_by(|a, b| a.0.total_cmp(&b.0)) else {
        return Vec::new();
    };
    let within = medians.iter().filter(|(ms, _)| *ms <= TARGET_MS).count();
    vec![Verdict {
        target: format!("JIT compile ≤ {TARGET_MS:.0} ms median per corpus kernel at -O2"),
        case: format!("{} kernels", medians.len()),
        measured: format!(
            "{within} of {} within; slowest {} ms ({slowest_name})",
            medians.len(),
            millis(*slowest)
        ),
        met: within == medians.len(),
        indicative: false,
    }]
}
