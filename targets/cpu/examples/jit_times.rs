//! JIT compile time of every corpus kernel (`tests/kernels/ok/*.tsr`, default const
//! values): source → checked IR → -O2 → Cranelift machine code, median of 5 runs, and
//! the share of it spent in Cranelift. Run with
//! `cargo run --release -p tessera-cpu --example jit_times`.

use std::time::Instant;

use tessera_cpu::CpuKernel;
use tessera_frontend::{compile, CompileOptions};
use tessera_passes::cost::DefaultCostModel;
use tessera_passes::pipeline::{optimize_module, OptLevel, PipelineOptions};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/kernels/ok");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("corpus directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tsr"))
        .collect();
    files.sort();
    println!("| kernel | source to machine code (ms) | of which Cranelift (ms) |");
    println!("|---|---|---|");
    let mut all = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("read");
        let names: Vec<String> = match compile(&text, &CompileOptions::default()) {
            Ok(m) => m.kernels().map(|k| k.name.clone()).collect(),
            Err(_) => continue,
        };
        for name in names {
            let (mut total, mut cl) = (Vec::new(), Vec::new());
            for _ in 0..5 {
                let t0 = Instant::now();
                let options =
                    CompileOptions { consts: Default::default(), kernel: Some(name.clone()) };
                let mut module = compile(&text, &options).expect("compiles");
                let opt = PipelineOptions::for_level(OptLevel::O2);
                optimize_module(&mut module, &opt, &DefaultCostModel).expect("optimizes");
                let f = module.kernels().find(|k| k.name == name).expect("kernel");
                let t1 = Instant::now();
                CpuKernel::compile(f).expect("jit");
                let end = Instant::now();
                total.push((end - t0).as_secs_f64() * 1e3);
                cl.push((end - t1).as_secs_f64() * 1e3);
            }
            let (t, c) = (median(total), median(cl));
            all.push(t);
            println!("| {name} | {t:.2} | {c:.2} |");
        }
    }
    println!(
        "\nmedian over {} kernels: {:.2} ms, max {:.2} ms",
        all.len(),
        median(all.clone()),
        all.iter().copied().fold(0.0, f64::max)
    );
}
