//! `tessera build --target pegrid FILE -o k.peo`: compile a kernel for a PE-grid machine
//! into a `.peo` program.

use super::opt::OptArgs;
use super::pegrid::{compile_source, MachineArgs};
use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use std::process::ExitCode;
use tessera_pegrid::program::binary;

/// Targets `build` can produce code for.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The PE-grid accelerator: a `.peo` program for `tessera sim`.
    Pegrid,
}

/// Compile a kernel ahead of time.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Examples:
  tessera build --target pegrid tests/kernels/ok/softmax.tsr -o softmax.peo
  tessera build --target pegrid tests/kernels/ok/matmul.tsr --kernel matmul_f16 \\
      --machine tiny -D BLOCK_M=16 -D BLOCK_N=16 -o mm.peo --footprint")]
pub struct BuildArgs {
    /// The .tsr file.
    pub file: PathBuf,
    /// What to compile for.
    #[arg(long, value_enum)]
    pub target: Target,
    /// The kernel (optional when the file has one kernel).
    #[arg(long)]
    pub kernel: Option<String>,
    /// Const parameter value, NAME=VALUE (repeatable).
    #[arg(short = 'D', value_name = "NAME=VALUE")]
    pub define: Vec<String>,
    /// Output file.
    #[arg(short = 'o', value_name = "PATH")]
    pub output: PathBuf,
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
        Target::Pegrid => {}
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
