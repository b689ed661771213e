//! `tessera run FILE --kernel K --grid X[,Y,Z] --arg …`: run a kernel on the reference
//! interpreter and summarize (and optionally save) its buffers.

use super::common::{compile, compile_options, read_source, FilePath};
use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use std::process::ExitCode;
use tessera::args::{parse_arg, HostArg, ShapedBuffer};
use tessera::ir::interp::{self, KernelArg, LaunchOptions};
use tessera::ir::{Function, Type};
use tessera::npy;
use tessera_cpu::{CpuKernel, LaunchOptions as CpuLaunch};
use tessera_passes::cost::DefaultCostModel;
use tessera_passes::pipeline::{optimize_module, OptLevel, PipelineOptions};

/// Run a kernel on the reference interpreter.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Arguments are given in parameter order, one --arg per non-const parameter:
  rand:SHAPE[:DTYPE][:SEED]   seeded random values (floats in [-1, 1))
  zeros:SHAPE[:DTYPE]  ones:SHAPE[:DTYPE]  arange:SHAPE[:DTYPE]  full:SHAPE:VALUE[:DTYPE]
  path/to/array.npy           a NumPy array (C order)
  42, -1.5e-3, true           a scalar, read as the parameter's type
SHAPE is 1024 or 64x128; DTYPE defaults to the parameter's pointee type.

Examples:
  tessera run tests/kernels/ok/vector_add.tsr --kernel vector_add --grid 4 \\
      --arg rand:1000 --arg rand:1000:1 --arg zeros:1000 --arg 1000
  tessera run tests/kernels/ok/softmax.tsr --kernel softmax --grid 64 -D BLOCK=128 \\
      --arg rand:64x100 --arg zeros:64x100 --arg 100 --arg 100 --arg 100 --save y=softmax.npy
  tessera run tests/kernels/ok/vector_add.tsr --kernel vector_add --grid 4 --target cpu \\
      --arg rand:1000 --arg rand:1000:1 --arg zeros:1000 --arg 1000")]
pub struct RunArgs {
    /// The .tsr file.
    pub file: FilePath,
    /// The kernel to run (optional when the file has one kernel).
    #[arg(long)]
    pub kernel: Option<String>,
    /// Launch grid: X, X,Y or X,Y,Z program instances.
    #[arg(long, default_value = "1")]
    pub grid: String,
    /// One argument per non-const parameter, in order (see below).
    #[arg(long = "arg", value_name = "SPEC")]
    pub args: Vec<String>,
    /// Const parameter value, NAME=VALUE (repeatable).
    #[arg(short = 'D', value_name = "NAME=VALUE")]
    pub define: Vec<String>,
    /// Save a buffer parameter after the run: PARAM=out.npy (repeatable).
    #[arg(long, value_name = "PARAM=PATH")]
    pub save: Vec<String>,
    /// Instruction budget of the launch (stops non-terminating loops).
    #[arg(long, default_value_t = LaunchOptions::default().fuel)]
    pub fuel: u64,
    /// Skip device_assert checks.
    #[arg(long)]
    pub no_device_asserts: bool,
    /// Where to run: the reference interpreter, or the host CPU (JIT-compiled at -O2).
    #[arg(long, value_enum, default_value = "interp")]
    pub target: RunTarget,
    /// With --target cpu: worker threads (default: every core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

/// Targets `run` executes on.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunTarget {
    /// The reference interpreter.
    Interp,
    /// The host CPU, through Cranelift.
    Cpu,
}

/// Runs `run`.
pub fn run(args: &RunArgs) -> Result<ExitCode> {
    let source = read_source(&args.file)?;
    let options = compile_options(&args.define, args.kernel.as_deref())?;
    let Some(module) = compile(&source, &options) else {
        return Ok(ExitCode::from(1));
    };
    let kernel = select_kernel(&module, args.kernel.as_deref())?;
    let grid = parse_grid(&args.grid)?;
    let params = Params::of(kernel);
    let saves = parse_saves(&args.save, &params)?;
    let host_args = parse_host_args(&params, &args.args)?;
    let mut kernel_args: Vec<KernelArg> = host_args.iter().map(HostArg::to_kernel_arg).collect();
    let check_asserts = !args.no_device_asserts;
    let started = std::time::Instant::now();
    let target = match args.target {
        RunTarget::Interp => {
            let launch = LaunchOptions { grid, fuel: args.fuel, check_asserts };
            interp::run_kernel(&module, &kernel.name, &mut kernel_args, &launch)?;
            "interpreter".to_string()
        }
        RunTarget::Cpu => {
            let mut optimized = module.clone();
            let opts = PipelineOptions::for_level(OptLevel::O2);
            optimize_module(&mut optimized, &opts, &DefaultCostModel)?;
            let func = optimized
                .kernels()
                .find(|f| f.name == kernel.name)
                .with_context(|| format!("no kernel named '{}'", kernel.name))?;
            let compiled = CpuKernel::compile(func)?;
            let jit = started.elapsed().as_secs_f64();
            let launch = CpuLaunch { grid, threads: args.threads, check_asserts };
            let run_started = std::time::Instant::now();
            compiled.launch(&mut kernel_args, &launch)?;
            format!(
                "cpu, JIT {:.1} ms, run {:.2} ms",
                jit * 1e3,
                run_started.elapsed().as_secs_f64() * 1e3
            )
        }
    };
    println!("ran {} on grid {}x{}x{} ({target})", kernel.name, grid[0], grid[1], grid[2]);
    report_buffers(&params, &host_args, &kernel_args, &saves)?;
    Ok(ExitCode::SUCCESS)
}

/// A kernel's name and parameters, from IR or from a compiled program.
pub(super) struct Params {
    pub kernel: String,
    pub params: Vec<(String, Type)>,
}

impl Params {
    /// The parameters of an IR kernel.
    pub fn of(kernel: &Function) -> Params {
        let params = kernel
            .param_names
            .iter()
            .zip(kernel.params())
            .map(|(n, &v)| (n.clone(), kernel.value_type(v).clone()))
            .collect();
        Params { kernel: kernel.name.clone(), params }
    }
}

/// Prints a summary line per buffer argument and writes the requested `.npy` files.
pub(super) fn report_buffers(
    params: &Params,
    host_args: &[HostArg],
    kernel_args: &[KernelArg],
    saves: &[(String, PathBuf)],
) -> Result<()> {
    for (index, (before, after)) in host_args.iter().zip(kernel_args).enumerate() {
        let (HostArg::Buffer(before), KernelArg::Buffer(after)) = (before, after) else {
            continue;
        };
        let name = &params.params[index].0;
        let result = ShapedBuffer { shape: before.shape.clone(), buffer: after.clone() };
        println!("  {}", summarize(name, &result, before.buffer != result.buffer));
        if let Some((_, path)) = saves.iter().find(|(param, _)| param == name) {
            npy::write_npy(path, &result)?;
            println!("    saved to {}", path.display());
        }
    }
    Ok(())
}

pub(super) fn select_kernel<'m>(
    module: &'m tessera::ir::Module,
    name: Option<&str>,
) -> Result<&'m Function> {
    let kernels: Vec<&Function> = module.kernels().collect();
    match (name, kernels.as_slice()) {
        (Some(name), _) => kernels
            .iter()
            .copied()
            .find(|k| k.name == name)
            .with_context(|| format!("no kernel named '{name}'")),
        (None, [only]) => Ok(only),
        (None, []) => bail!("the file has no kernels"),
        (None, many) => {
            let names: Vec<&str> = many.iter().map(|k| k.name.as_str()).collect();
            bail!("the file has several kernels ({}); choose one with --kernel", names.join(", "))
        }
    }
}

/// Parses `X`, `X,Y` or `X,Y,Z` into a 3-D grid.
pub(super) fn parse_grid(text: &str) -> Result<[u32; 3]> {
    let parts: Vec<&str> = text.split(',').collect();
    if parts.is_empty() || parts.len() > 3 {
        bail!("--grid {text}: expected X, X,Y or X,Y,Z");
    }
    let mut grid = [1u32; 3];
    for (slot, part) in grid.iter_mut().zip(&parts) {
        *slot = match part.trim().parse::<u32>() {
            Ok(n) if n > 0 => n,
            _ => bail!("--grid {text}: '{part}' is not a positive integer"),
        };
    }
    Ok(grid)
}

pub(super) fn parse_saves(saves: &[String], kernel: &Params) -> Result<Vec<(String, PathBuf)>> {
    saves
        .iter()
        .map(|save| {
            let Some((param, path)) = save.split_once('=') else {
                bail!("--save {save}: expected PARAM=PATH");
            };
            let index = kernel.params.iter().position(|(p, _)| p == param);
            let Some(index) = index else {
                bail!("--save {save}: kernel {} has no parameter '{param}'", kernel.kernel);
            };
            if kernel.params[index].1.elem.pointee().is_none() {
                bail!("--save {save}: '{param}' is not a buffer (pointer) parameter");
            }
            Ok((param.to_string(), PathBuf::from(path)))
        })
        .collect()
}

pub(super) fn parse_host_args(kernel: &Params, specs: &[String]) -> Result<Vec<HostArg>> {
    let params = &kernel.params;
    if specs.len() != params.len() {
        let names: Vec<&str> = params.iter().map(|(n, _)| n.as_str()).collect();
        let names = names.join(", ");
        bail!(
            "kernel {} takes {} argument{} ({names}) but {} --arg {} given",
            kernel.kernel,
            params.len(),
            if params.len() == 1 { "" } else { "s" },
            specs.len(),
            if specs.len() == 1 { "was" } else { "were" },
        );
    }
    let mut out = Vec::with_capacity(specs.len());
    for ((name, ty), spec) in params.iter().zip(specs) {
        out.push(parse_arg(name, ty, spec)?);
    }
    Ok(out)
}

/// One line: name, dtype and shape, min/max/mean and the first values.
fn summarize(name: &str, array: &ShapedBuffer, modified: bool) -> String {
    let values = array.buffer.to_f64_vec();
    let shape: Vec<String> = array.shape.iter().map(usize::to_string).collect();
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let (min, max) = finite
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let mean = finite.iter().sum::<f64>() / finite.len().max(1) as f64;
    let head: Vec<String> = values.iter().take(6).map(|v| format!("{v:.6}")).collect();
    let ellipsis = if values.len() > 6 { ", …" } else { "" };
    let non_finite = values.len() - finite.len();
    let extra = if non_finite > 0 { format!(" non-finite {non_finite}") } else { String::new() };
    format!(
        "{name}: {}[{}]{} min {min:.6} max {max:.6} mean {mean:.6}{extra} [{}{ellipsis}]",
        array.buffer.dtype(),
        shape.join("x"),
        if modified { " (written)" } else { "" },
        head.join(", "),
    )
}
