//! `tessera check FILE`: parse and check every kernel, print diagnostics.

use super::common::{compile_options, read_source, report, FilePath};
use anyhow::Result;
use std::process::ExitCode;
use tessera::frontend;

/// Check a kernel file and print every diagnostic.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Exit status: 0 when the file is free of errors, 1 otherwise.

Const parameters take their values from -D, else their default, else the first
candidate of their #[autotune] list.

Examples:
  tessera check tests/kernels/ok/matmul.tsr
  tessera check tests/kernels/err/shape_mismatch.tsr
  tessera check kernel.tsr -D BLOCK=256")]
pub struct CheckArgs {
    /// The .tsr file to check.
    pub file: FilePath,
    /// Const parameter value, NAME=VALUE (repeatable).
    #[arg(short = 'D', value_name = "NAME=VALUE")]
    pub define: Vec<String>,
}

/// Runs `check`.
pub fn run(args: &CheckArgs) -> Result<ExitCode> {
    let source = read_source(&args.file)?;
    let options = compile_options(&args.define, None)?;
    let diagnostics = frontend::check(&source.text, &options);
    if diagnostics.is_empty() {
        eprintln!("{}: ok", source.display_name);
        return Ok(ExitCode::SUCCESS);
    }
    report(&source, &diagnostics);
    Ok(ExitCode::from(1))
}
