//! Pieces every subcommand shares: reading a source file, `-D NAME=VALUE` options,
//! rendering diagnostics (colored only on a terminal), compiling.

use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use tessera::frontend::{self, CompileOptions, Diagnostic};

/// A source file read from disk.
pub struct SourceFile {
    pub display_name: String,
    pub text: String,
}

/// Reads a `.tsr` file.
pub fn read_source(path: &Path) -> Result<SourceFile> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!("{} is not UTF-8 (byte {})", path.display(), e.utf8_error().valid_up_to())
    })?;
    Ok(SourceFile { display_name: path.display().to_string(), text })
}

/// Parses `-D NAME=VALUE` definitions into const values.
pub fn parse_defines(defines: &[String]) -> Result<BTreeMap<String, i64>> {
    let mut consts = BTreeMap::new();
    for define in defines {
        let Some((name, value)) = define.split_once('=') else {
            bail!("-D {define}: expected NAME=VALUE");
        };
        let name = name.trim();
        let value = match value.trim() {
            "true" => 1,
            "false" => 0,
            v => {
                v.parse::<i64>().with_context(|| format!("-D {define}: '{v}' is not an integer"))?
            }
        };
        if consts.insert(name.to_string(), value).is_some() {
            bail!("-D {name} given twice");
        }
    }
    Ok(consts)
}

/// Compile options from the common flags.
pub fn compile_options(defines: &[String], kernel: Option<&str>) -> Result<CompileOptions> {
    Ok(CompileOptions { consts: parse_defines(defines)?, kernel: kernel.map(str::to_string) })
}

/// Prints diagnostics to stderr, colored when stderr is a terminal and NO_COLOR is unset.
pub fn report(source: &SourceFile, diagnostics: &[Diagnostic]) {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    eprint!("{}", frontend::render(diagnostics, &source.display_name, &source.text, color));
    let n = diagnostics.len();
    eprintln!("error: {} produced {n} error{}", source.display_name, if n == 1 { "" } else { "s" });
}

/// Compiles `source`, printing diagnostics on failure.
pub fn compile(source: &SourceFile, options: &CompileOptions) -> Option<tessera::ir::Module> {
    match frontend::compile(&source.text, options) {
        Ok(module) => Some(module),
        Err(diagnostics) => {
            report(source, &diagnostics);
            None
        }
    }
}

/// `FILE` argument help shared by subcommands.
pub type FilePath = PathBuf;
