//! `tessera explain-opt FILE --kernel K`: what the e-graph optimizer changed in a kernel
//! and the chain of rewrite rules that justifies each change.

use super::common::{compile, compile_options, read_source, FilePath};
use super::opt::OptArgs;
use anyhow::{Context, Result};
use std::process::ExitCode;
use tessera_passes::cost::DefaultCostModel;
use tessera_passes::egraph::explain_function;
use tessera_passes::pipeline::{optimize_module, PipelineOptions};

/// Show each expression the e-graph optimizer rewrote, before and after, with the rules.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
The kernel is inlined and cleaned up first (as -O1 does), then each changed expression
is listed with its form before and after e-graph rewriting and the chain of rules that
proves them equal.

Examples:
  tessera explain-opt tests/kernels/ok/softmax.tsr --kernel softmax
  tessera explain-opt tests/kernels/ok/matmul.tsr --kernel matmul -D BLOCK_K=16
  tessera explain-opt tests/kernels/ok/layernorm.tsr --kernel layernorm --fast-math")]
pub struct ExplainOptArgs {
    /// The .tsr file.
    pub file: FilePath,
    /// The kernel to explain.
    #[arg(long)]
    pub kernel: String,
    /// Const parameter value, NAME=VALUE (repeatable).
    #[arg(short = 'D', value_name = "NAME=VALUE")]
    pub define: Vec<String>,
    #[command(flatten)]
    pub opt: OptArgs,
}

/// Runs `explain-opt`.
pub fn run(args: &ExplainOptArgs) -> Result<ExitCode> {
    let source = read_source(&args.file)?;
    let options = compile_options(&args.define, Some(&args.kernel))?;
    let Some(mut module) = compile(&source, &options) else {
        return Ok(ExitCode::from(1));
    };
    // Inline and clean up first so the e-graph sees the code it would see at -O2.
    let prepare = PipelineOptions {
        level: tessera_passes::pipeline::OptLevel::O1,
        ..PipelineOptions::default()
    };
    optimize_module(&mut module, &prepare, &DefaultCostModel)?;
    let kernel = module
        .kernels()
        .find(|k| k.name == args.kernel)
        .with_context(|| format!("no kernel named '{}'", args.kernel))?;
    let mut egraph = args.opt.egraph_options(PipelineOptions::default().egraph);
    egraph.explain = true;
    let explanations = explain_function(kernel, &egraph, &DefaultCostModel);
    if explanations.is_empty() {
        println!("the e-graph optimizer leaves {} unchanged", args.kernel);
    }
    for (index, explanation) in explanations.iter().enumerate() {
        println!("[{}] {explanation}", index + 1);
    }
    Ok(ExitCode::SUCCESS)
}
