//! `tessera build --target pegrid FILE -o k.peo`: compile a kernel for a PE-grid machine
//! into a `.peo` program; `tessera build --target cpu FILE -o k.o --header k.h`: compile
//! kernels ahead of time into an object file for this host with a C header.

use super::common::{compile, compile_options, read_source};
use super::opt::OptArgs;
use super::pegrid::{compile_source, MachineArgs};
use super::run::select_kernel;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tessera::ir::Function;
use tessera_cpu::{compile_object, ObjectOptions};
use tessera_passes::cost::DefaultCostModel;
use tessera_passes::pipeline::optimize_module;
use tessera_pegrid::program::binary;

/// Targets `build` can produce code for.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The PE-grid accelerator: a `.peo` program for `tessera sim`.
    Pegrid,
    /// This host's CPU: a relocatable object with one C function per kernel, and its
    /// C header (link with libtessera_rt.a).
    Cpu,
}

/// Compile a kernel ahead of time.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Examples:
  tessera build --target pegrid tests/kernels/ok/softmax.tsr -o softmax.peo
  tessera build --target pegrid tests/kernels/ok/matmul.tsr --kernel matmul_f16 \\
      --machine tiny -D BLOCK_M=16 -D BLOCK_N=16 -o mm.peo --footprint
  tessera build --target cpu tests/kernels/ok/softmax.tsr -D BLOCK=128 -o softmax.o \\
      --header softmax.h
  cc main.c softmax.o target/release/libtessera_rt.a -lpthread -ldl -lm")]
pub struct BuildArgs {
    /// The .tsr file.
    pub file: PathBuf,
    /// What to compile for.
    #[arg(long, value_enum)]
    pub target: Target,
    /// The kernel (pegrid: optional when the file has one kernel; cpu: default every
    /// kernel of the file).
    #[arg(long)]
    pub kernel: Option<String>,
    /// Const parameter value, NAME=VALUE (repeatable).
    #[arg(short = 'D', value_name = "NAME=VALUE")]
    pub define: Vec<String>,
    /// Output file.
    #[arg(short = 'o', value_name = "PATH")]
    pub output: PathBuf,
    /// With --target cpu: the C header to write (default: the output with `.h`).
    #[arg(long, value_name = "PATH")]
    pub header: Option<PathBuf>,
    /// With --target cpu: no bounds checks and no device_asserts (an out-of-bounds
    /// access is undefined behavior). The C signatures do not change.
    #[arg(long)]
    pub unchecked: bool,
    /// Print the local-memory footprint: every CB and the tiles it holds.
    #[arg(long)]
    pub footprint: bool,
    #[command(flatten)]
    pub machine: MachineArgs,
    #[command(flatten)]
    pub opt: OptArgs,
}

/// Runs `build`.
pub fn run(args: &BuildArgs) -> Result<ExitCode> {
    match args.target {
        Target::Pegrid => build_pegrid(args),
        Target::Cpu => build_cpu(args),
    }
}

/// `build --target pegrid`.
fn build_pegrid(args: &BuildArgs) -> Result<ExitCode> {
    if args.header.is_some() || args.unchecked {
        bail!("--header and --unchecked apply to --target cpu only");
    }
    let Some(mut compiled) =
        compile_source(&args.file, &args.define, args.kernel.as_deref(), &args.opt, &args.machine)?
    else {
        return Ok(ExitCode::from(1));
    };
    if compiled.len() != 1 {
        let names: Vec<&str> = compiled.iter().map(|(p, _)| p.kernel.as_str()).collect();
        bail!("the file has several kernels ({}); choose one with --kernel", names.join(", "));
    }
    let (params, c) = compiled.remove(0);
    let bytes = binary::save(&c.program);
    std::fs::write(&args.output, &bytes)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    println!(
        "wrote {} ({} bytes): kernel {} for `{}`, {} commands, {} B of local memory per PE",
        args.output.display(),
        bytes.len(),
        params.kernel,
        args.machine.machine,
        c.program.code.len(),
        c.footprint.total_bytes
    );
    if args.footprint {
        let cbs = &c.program.cbs;
        println!("{}", tessera_pegrid::compile::list_tiles(cbs, &c.footprint.tiles));
    }
    Ok(ExitCode::SUCCESS)
}

/// `build --target cpu`: every selected kernel into one object and its header.
fn build_cpu(args: &BuildArgs) -> Result<ExitCode> {
    if args.footprint {
        bail!("--footprint applies to --target pegrid only");
    }
    let source = read_source(&args.file)?;
    let options = compile_options(&args.define, args.kernel.as_deref())?;
    let Some(mut module) = compile(&source, &options) else {
        return Ok(ExitCode::from(1));
    };
    optimize_module(&mut module, &args.opt.pipeline_options()?, &DefaultCostModel)?;
    let kernels: Vec<&Function> = match args.kernel.as_deref() {
        Some(name) => vec![select_kernel(&module, Some(name))?],
        None => module.kernels().collect(),
    };
    if kernels.is_empty() {
        bail!("{} has no kernels", source.display_name);
    }
    let header = args.header.clone().unwrap_or_else(|| args.output.with_extension("h"));
    let object_options = ObjectOptions {
        checked: !args.unchecked,
        source_name: source.display_name.clone(),
        header_name: file_name(&header),
        object_name: file_name(&args.output),
    };
    let artifact = compile_object(&kernels, &object_options)?;
    write_file(&args.output, &artifact.bytes)?;
    write_file(&header, artifact.header.as_bytes())?;
    println!(
        "wrote {} ({} bytes, {}) and {}:",
        args.output.display(),
        artifact.bytes.len(),
        if args.unchecked { "unchecked" } else { "checked" },
        header.display()
    );
    for kernel in &artifact.kernels {
        println!("  {}: {} B of scratch per thread", kernel.symbol, kernel.scratch_bytes);
        println!("    {};", kernel.prototype);
    }
    println!(
        "link with libtessera_rt.a (cargo build --release -p tessera-rt) and -lpthread -ldl -lm"
    );
    Ok(ExitCode::SUCCESS)
}

/// The last component of `path`, for the header's comments and include guard.
fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into())
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}
