//! Compiles every kernel of the corpus (`tests/kernels/ok/*.tsr`, default const values,
//! -O2) for a PE-grid machine and prints each kernel's engines and local-memory
//! footprint: `cargo run -p tessera-pegrid --example compile_all -- [MACHINE]`.

use tessera_frontend::{compile, CompileOptions};
use tessera_passes::cost::DefaultCostModel;
use tessera_passes::pipeline::{optimize_module, OptLevel, PipelineOptions};
use tessera_pegrid::compile::{compile_kernel, CompileOptions as PeOptions};
use tessera_pegrid::machine::Machine;

fn main() {
    let machine_name = std::env::args().nth(1).unwrap_or_else(|| "mtia2".to_string());
    let machine = Machine::load(&machine_name).unwrap_or_else(|e| panic!("{e}"));
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/kernels/ok");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("corpus directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tsr"))
        .collect();
    files.sort();
    println!("| kernel | engines (static commands) | local memory (B) |");
    println!("|---|---|---|");
    for path in files {
        let text = std::fs::read_to_string(&path).expect("read");
        let Ok(mut module) = compile(&text, &CompileOptions::default()) else {
            println!("{}: does not compile", path.display());
            continue;
        };
        let opts = PipelineOptions::for_level(OptLevel::O2);
        if let Err(e) = optimize_module(&mut module, &opts, &DefaultCostModel) {
            println!("{}: optimizer: {e}", path.display());
            continue;
        }
        let names: Vec<String> = module.kernels().map(|k| k.name.clone()).collect();
        for k in names {
            match compile_kernel(&module, &k, &machine, &PeOptions::default()) {
                Ok(c) => {
                    let engines: Vec<String> =
                        c.footprint.engines.iter().map(|(e, n)| format!("{e} {n}")).collect();
                    println!("| {k} | {} | {} |", engines.join(", "), c.footprint.total_bytes);
                }
                Err(e) => println!("| {k} | error: {e} | |"),
            }
        }
    }
}
