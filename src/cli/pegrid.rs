//! What the PE-grid subcommands share: `--machine`, compiling a `.tsr` kernel for the PE
//! grid (after the optimizer), and loading `.peo` files.

use super::common::{compile, compile_options, read_source};
use super::opt::OptArgs;
use super::run::{select_kernel, Params};
use anyhow::{bail, Context, Result};
use std::path::Path;
use tessera::ir::Type;
use tessera_passes::cost::DefaultCostModel;
use tessera_passes::pipeline::optimize_module;
use tessera_pegrid::compile::{compile_kernel, CompileOptions, Compiled};
use tessera_pegrid::machine::Machine;
use tessera_pegrid::program::{binary, ParamKind, Program};

/// `--machine` and the PE-grid compiler's knobs.
#[derive(clap::Args, Debug, Clone)]
pub struct MachineArgs {
    /// The PE-grid machine: a preset (mtia2, mtia1, mtia300, tiny) or a TOML file.
    #[arg(long, default_value = "mtia2", value_name = "NAME|PATH.toml")]
    pub machine: String,
    /// Slots of each CB that DMA fills inside a loop (2 = double buffering).
    #[arg(long, default_value_t = CompileOptions::default().loop_cb_depth, value_name = "N")]
    pub cb_depth: u32,
}

impl MachineArgs {
    /// The machine description.
    pub fn machine(&self) -> Result<Machine> {
        Machine::load(&self.machine).map_err(|e| anyhow::anyhow!("--machine {}: {e}", self.machine))
    }

    /// The compiler options.
    pub fn options(&self) -> Result<CompileOptions> {
        if self.cb_depth == 0 {
            bail!("--cb-depth must be at least 1");
        }
        Ok(CompileOptions { loop_cb_depth: self.cb_depth })
    }
}

/// A kernel compiled for a machine, or `None` when the source had diagnostics (already
/// printed).
pub fn compile_source(
    file: &Path,
    defines: &[String],
    kernel: Option<&str>,
    opt: &OptArgs,
    machine: &MachineArgs,
) -> Result<Option<Vec<(Params, Compiled)>>> {
    let source = read_source(file)?;
    let options = compile_options(defines, kernel)?;
    let Some(mut module) = compile(&source, &options) else {
        return Ok(None);
    };
    optimize_module(&mut module, &opt.pipeline_options()?, &DefaultCostModel)?;
    let m = machine.machine()?;
    let copts = machine.options()?;
    let kernels: Vec<&tessera::ir::Function> = match kernel {
        Some(_) => vec![select_kernel(&module, kernel)?],
        None => module.kernels().collect(),
    };
    let mut out = Vec::new();
    for k in kernels {
        let compiled = compile_kernel(&module, &k.name, &m, &copts)?;
        out.push((Params::of(k), compiled));
    }
    Ok(Some(out))
}

/// Loads a `.peo` file.
pub fn load_peo(file: &Path) -> Result<Program> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    binary::load(&bytes).with_context(|| format!("{} is not a valid .peo file", file.display()))
}

/// The parameters of a compiled program, as launch argument types.
pub fn params_of_program(p: &Program) -> Params {
    let params = p
        .params
        .iter()
        .map(|q| {
            let ty = match q.kind {
                ParamKind::Buffer(s) => Type::ptr(s),
                ParamKind::Scalar(s) => Type::scalar(s),
            };
            (q.name.clone(), ty)
        })
        .collect();
    Params { kernel: p.kernel.clone(), params }
}

/// Whether `file` is a compiled `.peo` program rather than source.
pub fn is_peo(file: &Path) -> bool {
    file.extension().is_some_and(|e| e == "peo")
}
