//! `tessera explain E0xxx`: the long explanation of an error code.

use anyhow::{bail, Result};
use std::process::ExitCode;
use tessera::frontend::diag::codes;

/// Print the long explanation of an error code, or list all codes.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Examples:
  tessera explain E0101
  tessera explain --list")]
pub struct ExplainArgs {
    /// The error code, e.g. E0101.
    #[arg(required_unless_present = "list")]
    pub code: Option<String>,
    /// List every error code with its title.
    #[arg(long)]
    pub list: bool,
}

/// Runs `explain`.
pub fn run(args: &ExplainArgs) -> Result<ExitCode> {
    if args.list {
        for code in codes::all() {
            println!("{}  {}", code.code, code.title);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let code = args.code.as_deref().unwrap_or_default();
    let Some(entry) = codes::explain(code) else {
        bail!("no error code '{code}' (see `tessera explain --list`)");
    };
    println!("{}: {}\n\n{}", entry.code, entry.title, entry.explanation.trim_end());
    Ok(ExitCode::SUCCESS)
}
