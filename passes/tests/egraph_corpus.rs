//! The e-graph pass alone on every corpus kernel (`tests/kernels/ok/*.tsr`, default
//! const values): the rewritten module verifies, and the interpreter gives bit-identical
//! buffers (NaN as NaN) before and after on seeded random inputs, or the same failure.
//! Also checks that two runs print the same IR, and prints a per-kernel table
//! (`cargo test -p tessera-passes --test egraph_corpus -- --nocapture`).
//!
//! Inputs are generic: every integer scalar is 16 (sizes and strides), float scalars
//! 0.5, buffers hold 8192 elements of small values, and the grid is 2 × 2 programs; the
//! corpus's own differential test (`tests/interp_corpus.rs`) covers real shapes.

use std::time::Duration;

use tessera_frontend::{compile, CompileOptions};
use tessera_ir::interp::{run_kernel, Buffer, KernelArg, LaunchOptions, Scalar};
use tessera_ir::{print_function, verify_module, ElemType, Function, Module, ScalarType};
use tessera_passes::cost::DefaultCostModel;
use tessera_passes::egraph::{rewrite_function, EgraphOptions, EgraphStats};

const BUFFER_LEN: usize = 8192;

fn corpus() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/kernels/ok");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .expect("the corpus directory exists")
        .map(|entry| entry.expect("a directory entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tsr"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|name| {
            let text = std::fs::read_to_string(format!("{dir}/{name}")).expect("readable");
            (name, text)
        })
        .collect()
}

/// Every function of `module` rewritten; the stats per function.
fn optimize(module: &Module, options: &EgraphOptions) -> (Module, Vec<(String, EgraphStats)>) {
    let mut optimized = module.clone();
    let mut stats = Vec::new();
    for func in &mut optimized.functions {
        let run = rewrite_function(func, options, &DefaultCostModel);
        stats.push((func.name.clone(), run));
    }
    (optimized, stats)
}

/// Instructions reachable from the body (what the printer shows).
fn op_count(func: &Function) -> usize {
    func.walk_blocks().iter().map(|&block| func.blocks[block].insts.len()).sum()
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn small(&mut self) -> f64 {
        (self.next() % 64) as f64 / 8.0 - 4.0
    }
}

fn buffer(elem: ScalarType, rng: &mut Rng) -> Buffer {
    let values: Vec<f64> = (0..BUFFER_LEN)
        .map(|_| if elem.is_float() { rng.small() } else { (rng.next() % 16) as f64 })
        .collect();
    Buffer::from_f64(elem, &values)
}

fn args(kernel: &Function, seed: u64) -> Vec<KernelArg> {
    let mut rng = Rng(seed | 1);
    kernel
        .params()
        .iter()
        .map(|&param| match kernel.value_type(param).elem {
            ElemType::Ptr(elem) => KernelArg::Buffer(buffer(elem, &mut rng)),
            ElemType::Scalar(elem) if elem.is_float() => {
                KernelArg::Scalar(Scalar::from_f64(elem, 0.5))
            }
            ElemType::Scalar(elem) => KernelArg::Scalar(Scalar::from_f64(elem, 16.0)),
        })
        .collect()
}

fn same_buffers(a: &[KernelArg], b: &[KernelArg]) -> bool {
    a.iter().zip(b).all(|pair| match pair {
        (KernelArg::Buffer(x), KernelArg::Buffer(y)) => {
            x.dtype() == y.dtype()
                && (0..x.len()).all(|i| match (x.get(i), y.get(i)) {
                    (Some(p), Some(q)) if p.dtype().is_float() => {
                        let (p, q) = (p.to_f64(), q.to_f64());
                        (p.is_nan() && q.is_nan()) || p.to_bits() == q.to_bits()
                    }
                    (p, q) => p == q,
                })
        }
        (KernelArg::Scalar(x), KernelArg::Scalar(y)) => x == y,
        (KernelArg::Buffer(_), KernelArg::Scalar(_))
        | (KernelArg::Scalar(_), KernelArg::Buffer(_)) => false,
    })
}

#[test]
fn egraph_pass_preserves_every_corpus_kernel() {
    let options = EgraphOptions::default();
    let launch = LaunchOptions { grid: [2, 2, 1], ..LaunchOptions::default() };
    println!(
        "{:<22} {:>6} {:>6} {:>7} {:>6} {:>6} {:<16} {:>9}",
        "kernel", "ops", "after", "regions", "nodes", "iters", "stop", "time"
    );
    let mut compared = 0;
    for (file, text) in corpus() {
        let module = compile(&text, &CompileOptions::default())
            .unwrap_or_else(|_| panic!("{file} compiles"));
        let (optimized, stats) = optimize(&module, &options);
        if let Err(e) = verify_module(&optimized) {
            panic!("{file}: the rewritten module does not verify: {e}");
        }
        let (again, _) = optimize(&module, &options);
        for (first, second) in optimized.functions.iter().zip(&again.functions) {
            assert_eq!(print_function(first), print_function(second), "{file}: not deterministic");
        }
        for ((name, run), (before, after)) in
            stats.iter().zip(module.functions.iter().zip(&optimized.functions))
        {
            println!(
                "{:<22} {:>6} {:>6} {:>7} {:>6} {:>6} {:<16} {:>7.1}ms",
                name,
                op_count(before),
                op_count(after),
                run.regions,
                run.nodes,
                run.iterations,
                run.stop_reason,
                run.time.as_secs_f64() * 1e3
            );
            assert!(run.time < Duration::from_secs(60));
        }
        for kernel in module.kernels() {
            for seed in [1, 2] {
                let mut before_args = args(kernel, seed);
                let mut after_args = args(kernel, seed);
                let before = run_kernel(&module, &kernel.name, &mut before_args, &launch);
                let after = run_kernel(&optimized, &kernel.name, &mut after_args, &launch);
                match (before, after) {
                    (Ok(()), Ok(())) => {
                        assert!(
                            same_buffers(&before_args, &after_args),
                            "{}: outputs differ",
                            kernel.name
                        );
                        compared += 1;
                    }
                    (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{}", kernel.name),
                    (a, b) => panic!("{}: before {a:?}, after {b:?}", kernel.name),
                }
            }
        }
    }
    assert!(compared > 20, "only {compared} launches succeeded");
}

/// Fast math changes float results, so only validity is checked: the rewritten module
/// verifies, and each launch fails exactly when the original does.
#[test]
fn fast_math_keeps_every_corpus_kernel_valid() {
    let options = EgraphOptions { fast_math: true, ..EgraphOptions::default() };
    let launch = LaunchOptions { grid: [2, 1, 1], ..LaunchOptions::default() };
    for (file, text) in corpus() {
        let module = compile(&text, &CompileOptions::default())
            .unwrap_or_else(|_| panic!("{file} compiles"));
        let (optimized, _) = optimize(&module, &options);
        if let Err(e) = verify_module(&optimized) {
            panic!("{file}: the fast-math module does not verify: {e}");
        }
        for kernel in module.kernels() {
            let mut before_args = args(kernel, 3);
            let mut after_args = args(kernel, 3);
            let before = run_kernel(&module, &kernel.name, &mut before_args, &launch);
            let after = run_kernel(&optimized, &kernel.name, &mut after_args, &launch);
            assert_eq!(before.is_ok(), after.is_ok(), "{}: {before:?} vs {after:?}", kernel.name);
        }
    }
}
