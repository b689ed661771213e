//! `tessera demo`: compiles and runs real kernels from the corpus (built into the binary)
//! on every target this build has, and checks each output against a plain-Rust
//! reference computed here. Today the targets are: the reference interpreter, on the IR
//! as lowered and on the IR after the -O2 optimizer, and the PE-grid accelerator (the
//! -O2 IR compiled for the `tiny` and `mtia2` machines, run on the functional simulator),
//! and the host CPU (the -O2 IR JIT-compiled with Cranelift, run on every core).

use anyhow::{bail, Result};
use std::process::ExitCode;
use std::time::Instant;
use tessera::args::{random_buffer, HostArg, ShapedBuffer};
use tessera::frontend::{self, CompileOptions};
use tessera::ir::interp::{self, Buffer, KernelArg, LaunchOptions, Scalar};
use tessera::ir::{Module, ScalarType};
use tessera_cpu::{CpuKernel, LaunchOptions as CpuLaunch};
use tessera_passes::cost::DefaultCostModel;
use tessera_passes::pipeline::{optimize_module, OptLevel, PipelineOptions};
use tessera_pegrid::compile::{compile_kernel, CompileOptions as PeOptions};
use tessera_pegrid::machine::Machine;
use tessera_pegrid::program::Program;
use tessera_pegrid::sim;

/// Run the built-in example kernels on every target and check them.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Each example is compiled from its .tsr source, launched on seeded random inputs and
compared with a plain-Rust reference; the table shows the largest error.

Examples:
  tessera demo
  tessera demo --only softmax")]
pub struct DemoArgs {
    /// Run only the examples whose name contains this text.
    #[arg(long)]
    pub only: Option<String>,
}

/// One example: a corpus kernel, its launch, and a reference for one output buffer.
struct Example {
    name: &'static str,
    source: &'static str,
    kernel: &'static str,
    consts: &'static [(&'static str, i64)],
    grid: [u32; 3],
    /// Builds the launch arguments.
    args: fn() -> Vec<HostArg>,
    /// Index of the argument checked, and its expected values computed from the inputs.
    reference: fn(&[HostArg]) -> (usize, Vec<f64>),
    /// Largest accepted |got - want| / (1 + |want|).
    tolerance: f64,
}

const ROWS: usize = 48;
const COLS: usize = 200;
const MM: (usize, usize, usize) = (70, 50, 90);

fn examples() -> Vec<Example> {
    vec![
        Example {
            name: "vector_add",
            source: include_str!("../../tests/kernels/ok/vector_add.tsr"),
            kernel: "vector_add",
            consts: &[("BLOCK", 256)],
            grid: [4, 1, 1],
            args: || vec![rand(&[1000], 1), rand(&[1000], 2), zeros(&[1000]), int(1000)],
            reference: |a| {
                (2, zip(&values(&a[0]), &values(&a[1]), |x, y| (x as f32 + y as f32) as f64))
            },
            tolerance: 0.0,
        },
        Example {
            name: "softmax",
            source: include_str!("../../tests/kernels/ok/softmax.tsr"),
            kernel: "softmax",
            consts: &[("BLOCK", 256)],
            grid: [ROWS as u32, 1, 1],
            args: || {
                let (r, c) = (ROWS, COLS);
                vec![rand(&[r, c], 3), zeros(&[r, c]), int(c as i32), int(c as i32), int(c as i32)]
            },
            reference: |a| (1, rows(&values(&a[0]), COLS).flat_map(softmax_row).collect()),
            tolerance: 1e-6,
        },
        Example {
            name: "rmsnorm",
            source: include_str!("../../tests/kernels/ok/rmsnorm.tsr"),
            kernel: "rmsnorm",
            consts: &[("BLOCK", 256)],
            grid: [ROWS as u32, 1, 1],
            args: || {
                let (r, c) = (ROWS, COLS);
                vec![
                    rand(&[r, c], 4),
                    rand(&[c], 5),
                    zeros(&[r, c]),
                    int(c as i32),
                    int(c as i32),
                    f32_arg(1e-5),
                ]
            },
            reference: |a| {
                let w = values(&a[1]);
                (2, rows(&values(&a[0]), COLS).flat_map(|row| rmsnorm_row(row, &w, 1e-5)).collect())
            },
            tolerance: 1e-5,
        },
        Example {
            name: "matmul",
            source: include_str!("../../tests/kernels/ok/matmul.tsr"),
            kernel: "matmul",
            consts: &[("BLOCK_M", 32), ("BLOCK_N", 32), ("BLOCK_K", 16)],
            grid: [MM.0.div_ceil(32) as u32, MM.1.div_ceil(32) as u32, 1],
            args: || {
                let (m, n, k) = MM;
                let s = |v: usize| int(v as i32);
                vec![
                    rand(&[m, k], 6),
                    rand(&[k, n], 7),
                    zeros(&[m, n]),
                    s(m),
                    s(n),
                    s(k),
                    s(k),
                    s(1),
                    s(n),
                    s(1),
                    s(n),
                    s(1),
                ]
            },
            reference: |a| (2, matmul(&values(&a[0]), &values(&a[1]), MM)),
            tolerance: 1e-5,
        },
    ]
}

/// Runs `demo`.
pub fn run(args: &DemoArgs) -> Result<ExitCode> {
    let selected: Vec<Example> = examples()
        .into_iter()
        .filter(|e| args.only.as_deref().is_none_or(|only| e.name.contains(only)))
        .collect();
    if selected.is_empty() {
        bail!("no example matches '{}'", args.only.as_deref().unwrap_or_default());
    }
    println!(
        "{:<12} {:<12} {:>10} {:>10} {:>12}  result",
        "example", "target", "compile", "run", "max error"
    );
    let mut failures = 0;
    for example in &selected {
        if !run_example(example)? {
            failures += 1;
        }
    }
    if failures > 0 {
        bail!("{failures} example(s) disagree with their reference");
    }
    println!("all {} examples agree with their plain-Rust references", selected.len());
    Ok(ExitCode::SUCCESS)
}

fn run_example(example: &Example) -> Result<bool> {
    let options = CompileOptions {
        consts: example.consts.iter().map(|(n, v)| (n.to_string(), *v)).collect(),
        kernel: Some(example.kernel.to_string()),
    };
    let started = Instant::now();
    let module = match frontend::compile(example.source, &options) {
        Ok(module) => module,
        Err(d) => bail!("{}", frontend::render(&d, example.name, example.source, false)),
    };
    let compile_time = started.elapsed().as_secs_f64();
    let mut optimized = module.clone();
    let started = Instant::now();
    optimize_module(&mut optimized, &PipelineOptions::for_level(OptLevel::O2), &DefaultCostModel)?;
    let optimize_time = compile_time + started.elapsed().as_secs_f64();
    let mut ok = run_on(example, &Target::Interp(&module), "interp -O0", compile_time)?;
    ok &= run_on(example, &Target::Interp(&optimized), "interp -O2", optimize_time)?;
    let started = Instant::now();
    let func = optimized
        .kernels()
        .find(|f| f.name == example.kernel)
        .ok_or_else(|| anyhow::anyhow!("no kernel {}", example.kernel))?;
    let cpu = CpuKernel::compile(func)?;
    let cpu_time = optimize_time + started.elapsed().as_secs_f64();
    ok &= run_on(example, &Target::Cpu(&cpu), "cpu (jit)", cpu_time)?;
    for name in ["tiny", "mtia2"] {
        let machine = Machine::preset(name)?;
        let started = Instant::now();
        let compiled = compile_kernel(&optimized, example.kernel, &machine, &PeOptions::default())?;
        let pe_time = optimize_time + started.elapsed().as_secs_f64();
        let label = format!("pegrid {name}");
        ok &= run_on(example, &Target::Pegrid(&machine, &compiled.program), &label, pe_time)?;
    }
    Ok(ok)
}

/// Where an example runs.
enum Target<'a> {
    Interp(&'a Module),
    /// The functional simulator of a machine, with every PE of its grid.
    Pegrid(&'a Machine, &'a Program),
    /// JIT-compiled for this host, on every core.
    Cpu(&'a CpuKernel),
}

/// Launches the example on `target` and compares with the reference; prints a row.
fn run_on(example: &Example, target: &Target<'_>, label: &str, compile_s: f64) -> Result<bool> {
    let host_args = (example.args)();
    let mut kernel_args: Vec<KernelArg> = host_args.iter().map(HostArg::to_kernel_arg).collect();
    let started = Instant::now();
    match target {
        Target::Interp(module) => {
            let launch = LaunchOptions { grid: example.grid, ..LaunchOptions::default() };
            interp::run_kernel(module, example.kernel, &mut kernel_args, &launch)?;
        }
        Target::Pegrid(machine, program) => {
            let launch = sim::Launch {
                grid: example.grid,
                rows: machine.grid.rows,
                cols: machine.grid.cols,
                ..sim::Launch::default()
            };
            sim::run(program, machine, &launch, &mut kernel_args)?;
        }
        Target::Cpu(kernel) => {
            let launch = CpuLaunch { grid: example.grid, ..CpuLaunch::default() };
            kernel.launch(&mut kernel_args, &launch)?;
        }
    }
    let run_time = started.elapsed();
    let (index, want) = (example.reference)(&host_args);
    let KernelArg::Buffer(got) = &kernel_args[index] else { bail!("output is not a buffer") };
    let error = max_error(&got.to_f64_vec(), &want);
    let ok = error <= example.tolerance;
    println!(
        "{:<12} {:<12} {:>8.2}ms {:>8.1}ms {:>12.3e}  {}",
        example.name,
        label,
        compile_s * 1e3,
        run_time.as_secs_f64() * 1e3,
        error,
        if ok { "ok" } else { "MISMATCH" },
    );
    Ok(ok)
}

fn max_error(got: &[f64], want: &[f64]) -> f64 {
    if got.len() != want.len() {
        return f64::INFINITY;
    }
    got.iter()
        .zip(want)
        .map(|(g, w)| if g == w { 0.0 } else { (g - w).abs() / (1.0 + w.abs()) })
        .fold(0.0, f64::max)
}

fn rand(shape: &[usize], seed: u64) -> HostArg {
    let len = shape.iter().product();
    HostArg::Buffer(ShapedBuffer {
        shape: shape.to_vec(),
        buffer: random_buffer(ScalarType::F32, len, seed),
    })
}

fn zeros(shape: &[usize]) -> HostArg {
    let len = shape.iter().product();
    HostArg::Buffer(ShapedBuffer {
        shape: shape.to_vec(),
        buffer: Buffer::zeros(ScalarType::F32, len),
    })
}

fn int(v: i32) -> HostArg {
    HostArg::Scalar(Scalar::I32(v))
}

fn f32_arg(v: f32) -> HostArg {
    HostArg::Scalar(Scalar::F32(v))
}

fn values(arg: &HostArg) -> Vec<f64> {
    match arg {
        HostArg::Buffer(b) => b.buffer.to_f64_vec(),
        HostArg::Scalar(_) => Vec::new(),
    }
}

fn zip(a: &[f64], b: &[f64], f: impl Fn(f64, f64) -> f64) -> Vec<f64> {
    a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect()
}

fn rows(data: &[f64], cols: usize) -> impl Iterator<Item = &[f64]> {
    data.chunks(cols)
}

fn softmax_row(row: &[f64]) -> Vec<f64> {
    let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = row.iter().map(|x| (x - max).exp()).collect();
    let total: f64 = exps.iter().sum();
    exps.iter().map(|e| e / total).collect()
}

fn rmsnorm_row(row: &[f64], w: &[f64], eps: f64) -> Vec<f64> {
    let mean_sq = row.iter().map(|x| x * x).sum::<f64>() / row.len() as f64;
    let scale = 1.0 / (mean_sq + eps).sqrt();
    row.iter().zip(w).map(|(x, w)| x * scale * w).collect()
}

fn matmul(a: &[f64], b: &[f64], (m, n, k): (usize, usize, usize)) -> Vec<f64> {
    let mut c = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            c[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
        }
    }
    c
}
