//! Prints the optimizer's effect on every corpus kernel as a Markdown table: IR op count
//! before and after -O2, e-graph nodes and iterations, stop reason, and optimize time.
//!
//! Run: `cargo run --release --example opt_report [-- -O3]`

use std::path::Path;
use tessera::frontend::{self, CompileOptions};
use tessera_passes::cost::DefaultCostModel;
use tessera_passes::pipeline::{optimize_module, OptLevel, PipelineOptions};

fn main() {
    let level = match std::env::args().nth(1).as_deref() {
        Some("-O3") => OptLevel::O3,
        Some("-O1") => OptLevel::O1,
        _ => OptLevel::O2,
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kernels/ok");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("the corpus directory")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "tsr"))
        .collect();
    files.sort();
    println!("| file | kernel | ops before | ops after | e-graph nodes | iterations | stop reason | time (ms) |");
    println!("|---|---|---:|---:|---:|---:|---|---:|");
    for path in files {
        let text = std::fs::read_to_string(&path).expect("a readable kernel");
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let Ok(mut module) = frontend::compile(&text, &CompileOptions::default()) else {
            println!("| {name} | (does not compile) | | | | | | |");
            continue;
        };
        let options = PipelineOptions::for_level(level);
        let report = match optimize_module(&mut module, &options, &DefaultCostModel) {
            Ok(report) => report,
            Err(error) => {
                println!("| {name} | optimizer error: {error} | | | | | | |");
                continue;
            }
        };
        for function in &report.functions {
            let (iterations, nodes, stop) = function.egraph_summary().unwrap_or_default();
            println!(
                "| {name} | {} | {} | {} | {nodes} | {iterations} | {stop} | {:.2} |",
                function.name,
                function.ops_before,
                function.ops_after,
                function.total_time().as_secs_f64() * 1e3,
            );
        }
    }
}
