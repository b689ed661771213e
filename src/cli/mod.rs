//! Command-line definition (clap) and dispatch to one module per subcommand.
//!
//! Exit codes: 0 success, 1 a user error (diagnostics, bad arguments, a failed launch),
//! 2 a usage error reported by clap.

mod build;
mod check;
mod common;
mod demo;
mod emit;
mod explain;
mod explain_opt;
mod opt;
mod pegrid;
mod run;
mod sim;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Tessera: a tile-kernel compiler for CPUs and PE-grid accelerators.
#[derive(Parser, Debug)]
#[command(name = "tessera", version, about, long_about = None, after_help = "\
Examples:
  tessera demo
  tessera check tests/kernels/ok/softmax.tsr
  tessera emit --stage ir tests/kernels/ok/softmax.tsr -D BLOCK=128
  tessera run tests/kernels/ok/vector_add.tsr --kernel vector_add --grid 4 \\
      --arg rand:1000 --arg rand:1000:1 --arg zeros:1000 --arg 1000
  tessera emit --stage opt -O3 tests/kernels/ok/softmax.tsr --time-passes
  tessera explain-opt tests/kernels/ok/softmax.tsr --kernel softmax
  tessera emit --stage pegrid tests/kernels/ok/softmax.tsr --machine tiny
  tessera sim tests/kernels/ok/vector_add.tsr --kernel vector_add --grid 4 --machine tiny \\
      --arg rand:1000 --arg rand:1000:1 --arg zeros:1000 --arg 1000
  tessera build --target pegrid tests/kernels/ok/softmax.tsr -o softmax.peo
  tessera build --target cpu tests/kernels/ok/softmax.tsr -D BLOCK=128 -o softmax.o
  tessera explain E0101")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    Build(build::BuildArgs),
    Check(check::CheckArgs),
    Demo(demo::DemoArgs),
    Emit(emit::EmitArgs),
    Run(run::RunArgs),
    Sim(sim::SimArgs),
    Explain(explain::ExplainArgs),
    ExplainOpt(explain_opt::ExplainOptArgs),
}

/// Parses the command line and runs the subcommand.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Build(args) => build::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Demo(args) => demo::run(&args),
        Command::Emit(args) => emit::run(&args),
        Command::Run(args) => run::run(&args),
        Command::Sim(args) => sim::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::ExplainOpt(args) => explain_opt::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(1)
        }
    }
}
