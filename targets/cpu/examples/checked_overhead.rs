//! The cost of checked launches: vector_add, softmax and matmul from the corpus,
//! compiled with and without bounds checks, launched on the same inputs on one thread;
//! median of 7 launches each. Run with
//! `cargo run --release -p tessera-cpu --example checked_overhead`.

use std::time::Instant;

use tessera_cpu::{CpuKernel, LaunchOptions, RawArg};
use tessera_frontend::{compile, CompileOptions};
use tessera_ir::interp::Scalar;
use tessera_ir::ScalarType;
use tessera_passes::cost::DefaultCostModel;
use tessera_passes::pipeline::{optimize_module, OptLevel, PipelineOptions};

fn kernels(file: &str, kernel: &str, consts: &[(&str, i64)]) -> (CpuKernel, CpuKernel) {
    let path = format!("{}/../../tests/kernels/ok/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).expect("corpus file");
    let options = CompileOptions {
        consts: consts.iter().map(|&(n, v)| (n.to_string(), v)).collect(),
        kernel: Some(kernel.to_string()),
    };
    let mut module = compile(&text, &options).expect("compiles");
    optimize_module(&mut module, &PipelineOptions::for_level(OptLevel::O2), &DefaultCostModel)
        .expect("optimizes");
    let f = module.kernels().find(|k| k.name == kernel).expect("kernel");
    (CpuKernel::compile_with(f, true).unwrap(), CpuKernel::compile_with(f, false).unwrap())
}

fn buf(v: &mut [f32]) -> RawArg {
    RawArg::Buffer { ptr: v.as_mut_ptr().cast(), len: v.len(), dtype: ScalarType::F32 }
}

fn int(v: i32) -> RawArg {
    RawArg::Scalar(Scalar::I32(v))
}

fn time(mut run: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..7)
        .map(|_| {
            let s = Instant::now();
            run();
            s.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[3]
}

fn report(name: &str, checked: &CpuKernel, unchecked: &CpuKernel, args: &[RawArg], grid: [u32; 3]) {
    let o = LaunchOptions { grid, threads: 1, check_asserts: false };
    // SAFETY: every buffer in `args` is a live Vec of the stated length, used only here,
    // and the launches below stay in bounds (the checked one would report otherwise).
    let c = time(|| unsafe { checked.launch_raw(args, &o).expect("checked launch") });
    let u = time(|| unsafe { unchecked.launch_raw_unchecked(args, &o).expect("launch") });
    println!("| {name} | {c:.2} | {u:.2} | {:+.1} % |", 100.0 * (c / u - 1.0));
}

fn main() {
    println!("| kernel | checked (ms) | unchecked (ms) | overhead |");
    println!("|---|---|---|---|");
    let n = 1 << 22;
    let (mut x, mut y, mut z) = (vec![1.0f32; n], vec![2.0f32; n], vec![0.0f32; n]);
    let (c, u) = kernels("vector_add.tsr", "vector_add", &[("BLOCK", 1024)]);
    let args = [buf(&mut x), buf(&mut y), buf(&mut z), int(n as i32)];
    report("vector_add 4M", &c, &u, &args, [(n / 1024) as u32, 1, 1]);
    let (r, w) = (1024usize, 1024usize);
    let (mut a, mut b) = (vec![0.5f32; r * w], vec![0.0f32; r * w]);
    let (c, u) = kernels("softmax.tsr", "softmax", &[("BLOCK", 1024)]);
    let args = [buf(&mut a), buf(&mut b), int(w as i32), int(w as i32), int(w as i32)];
    report("softmax 1024x1024", &c, &u, &args, [r as u32, 1, 1]);
    let s = 256usize;
    let (mut ma, mut mb, mut mc) = (vec![1.0f32; s * s], vec![1.0f32; s * s], vec![0.0f32; s * s]);
    let (c, u) = kernels("matmul.tsr", "matmul", &[]);
    let si = s as i32;
    let args = [
        buf(&mut ma),
        buf(&mut mb),
        buf(&mut mc),
        int(si),
        int(si),
        int(si),
        int(si),
        int(1),
        int(si),
        int(1),
        int(si),
        int(1),
    ];
    report("matmul 256^3", &c, &u, &args, [(s / 64) as u32, (s / 64) as u32, 1]);
}
