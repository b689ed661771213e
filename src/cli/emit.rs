//! `tessera emit --stage ast|ir FILE`: print a pipeline stage.

use super::common::{compile, compile_options, read_source, report, FilePath};
use anyhow::Result;
use std::process::ExitCode;
use tessera::frontend;

/// Pipeline stages that can be printed.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// The syntax tree, with spans.
    Ast,
    /// The tile IR of each specialized kernel and the helpers it calls.
    Ir,
}

/// Print one stage of the pipeline for a kernel file.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Examples:
  tessera emit --stage ast tests/kernels/ok/softmax.tsr
  tessera emit --stage ir tests/kernels/ok/softmax.tsr -D BLOCK=128
  tessera emit --stage ir tests/kernels/ok/matmul.tsr --kernel matmul -D BLOCK_M=32")]
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
    }
    Ok(ExitCode::SUCCESS)
}
