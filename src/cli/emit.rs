//! `tessera emit --stage ast|ir FILE`: print a pipeline stage.

use super::common::{compile, compile_options, read_source, report, FilePath};
use super::opt::OptArgs;
use super::pegrid::{compile_source, MachineArgs};
use anyhow::{bail, Result};
use std::process::ExitCode;
use tessera::frontend;
use tessera_cpu::{listing, Listing};
use tessera_passes::cost::DefaultCostModel;
use tessera_passes::pipeline::{optimize_module, pass_names};

/// Pipeline stages that can be printed.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// The syntax tree, with spans.
    Ast,
    /// The tile IR of each specialized kernel and the helpers it calls.
    Ir,
    /// The tile IR after the optimizer (-O2 unless -O says otherwise).
    Opt,
    /// PE-grid assembly for --machine (after the optimizer).
    Pegrid,
    /// Cranelift IR of each kernel's program-instance function for the host CPU.
    Clif,
    /// Cranelift's machine-code listing of each kernel for this host.
    Asm,
}

/// Print one stage of the pipeline for a kernel file.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Examples:
  tessera emit --stage ast tests/kernels/ok/softmax.tsr
  tessera emit --stage ir tests/kernels/ok/softmax.tsr -D BLOCK=128
  tessera emit --stage ir tests/kernels/ok/matmul.tsr --kernel matmul -D BLOCK_M=32
  tessera emit --stage opt -O3 tests/kernels/ok/softmax.tsr --time-passes
  tessera emit --stage opt tests/kernels/ok/matmul.tsr --passes inline,licm --print-after all
  tessera emit --stage opt tests/kernels/ok/layernorm.tsr --fast-math
  tessera emit --stage pegrid tests/kernels/ok/softmax.tsr --machine tiny
  tessera emit --stage clif tests/kernels/ok/vector_add.tsr
  tessera emit --stage asm tests/kernels/ok/vector_add.tsr")]
pub struct EmitArgs {
    /// The stage to print.
    #[arg(long, value_enum)]
    pub stage: Stage,
    /// The .tsr file.
    pub file: FilePath,
    /// Const parameter value, NAME=VALUE (repeatable).
    #[arg(short = 'D', value_name = "NAME=VALUE")]
    pub define: Vec<String>,
    /// Only this kernel (default: every kernel in the file).
    #[arg(long)]
    pub kernel: Option<String>,
    #[command(flatten)]
    pub opt: OptArgs,
    /// With --stage opt: print the IR after this pass too ("all" for every pass).
    #[arg(long, value_name = "PASS")]
    pub print_after: Option<String>,
    /// With --stage opt: print a table of passes with times, op counts and e-graph stats (to stderr).
    #[arg(long)]
    pub time_passes: bool,
    #[command(flatten)]
    pub machine: MachineArgs,
}

/// Runs `emit`.
pub fn run(args: &EmitArgs) -> Result<ExitCode> {
    let source = read_source(&args.file)?;
    match args.stage {
        Stage::Ast => {
            let (ast, diagnostics) = frontend::parse(&source.text);
            if !diagnostics.is_empty() {
                report(&source, &diagnostics);
                return Ok(ExitCode::from(1));
            }
            print!("{}", frontend::print_ast(&ast, &source.text));
        }
        Stage::Ir => {
            let options = compile_options(&args.define, args.kernel.as_deref())?;
            let Some(module) = compile(&source, &options) else {
                return Ok(ExitCode::from(1));
            };
            print!("{}", tessera::ir::print_module(&module));
        }
        Stage::Opt => {
            let options = compile_options(&args.define, args.kernel.as_deref())?;
            let Some(mut module) = compile(&source, &options) else {
                return Ok(ExitCode::from(1));
            };
            let mut pipeline = args.opt.pipeline_options()?;
            if let Some(pass) = &args.print_after {
                if pass != "all" && !pass_names().contains(&pass.as_str()) {
                    bail!(
                        "--print-after: unknown pass '{pass}' (passes: all, {})",
                        pass_names().join(", ")
                    );
                }
                pipeline.print_after = Some(pass.clone());
            }
            pipeline.time_passes = args.time_passes;
            let report = optimize_module(&mut module, &pipeline, &DefaultCostModel)?;
            for (pass, text) in &report.printed {
                println!("// ----- IR after {pass} -----\n{text}");
            }
            if args.time_passes {
                eprint!("{}", report.render_time_passes());
            }
            print!("{}", tessera::ir::print_module(&module));
        }
        Stage::Clif | Stage::Asm => {
            let options = compile_options(&args.define, args.kernel.as_deref())?;
            let Some(mut module) = compile(&source, &options) else {
                return Ok(ExitCode::from(1));
            };
            optimize_module(&mut module, &args.opt.pipeline_options()?, &DefaultCostModel)?;
            let what = if args.stage == Stage::Clif { Listing::Clif } else { Listing::Asm };
            for (i, k) in module.kernels().enumerate() {
                if i > 0 {
                    println!();
                }
                println!("; kernel {}", k.name);
                print!("{}", listing(k, what)?);
            }
        }
        Stage::Pegrid => {
            let Some(compiled) = compile_source(
                &args.file,
                &args.define,
                args.kernel.as_deref(),
                &args.opt,
                &args.machine,
            )?
            else {
                return Ok(ExitCode::from(1));
            };
            for (i, (_, c)) in compiled.iter().enumerate() {
                if i > 0 {
                    println!();
                }
                print!("{}", tessera_pegrid::program::asm::print_program(&c.program));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
