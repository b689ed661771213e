//! What the JIT ([`crate::kernel`]) and ahead-of-time objects ([`crate::object`]) share:
//! the Cranelift ISA for this host, and the one function that lowers a kernel into a
//! program-instance function of any [`cranelift_module::Module`] — so the code in an
//! object file is the code the JIT runs.

use cranelift_codegen::ir::UserFuncName;
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_module::{FuncId, Linkage, Module};
use tessera_ir::Function;

use crate::kernel::CompileError;
use crate::lower::{instance_signature, Lower};
use crate::runtime;

/// The Cranelift settings every build uses (the host's ISA features come on top).
pub fn isa_flags() -> Vec<(&'static str, &'static str)> {
    vec![("opt_level", "speed")]
}

/// Where the code will live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Placement {
    /// In this process, at addresses known when it is finalized (the JIT).
    Jit,
    /// In an object file linked into a position-independent executable or library.
    Object,
}

/// The Cranelift ISA of this host (its CPU features included) with [`isa_flags`].
pub(crate) fn host_isa(placement: Placement) -> Result<OwnedTargetIsa, CompileError> {
    let mut flags = settings::builder();
    for (name, value) in isa_flags() {
        flags.set(name, value).map_err(cranelift)?;
    }
    let pic = match placement {
        Placement::Jit => "false",
        Placement::Object => "true",
    };
    flags.set("use_colocated_libcalls", "false").map_err(cranelift)?;
    flags.set("is_pic", pic).map_err(cranelift)?;
    cranelift_native::builder()
        .map_err(|message| CompileError::Cranelift(message.to_string()))?
        .finish(settings::Flags::new(flags))
        .map_err(cranelift)
}

/// What to keep besides the code.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Keep {
    /// The CLIF text before optimization.
    pub clif: bool,
    /// Cranelift's machine-code listing.
    pub vcode: bool,
}

/// A program-instance function defined in a module.
pub(crate) struct Instance {
    pub id: FuncId,
    /// Bytes of tile scratch each thread needs.
    pub scratch_bytes: u32,
    pub clif: Option<String>,
    pub vcode: Option<String>,
}

/// Lowers `func` (bounds-checked if `checked`) into `module` as the function `symbol`
/// with `linkage` and the [`instance_signature`], importing the runtime helpers.
pub(crate) fn define_instance(
    module: &mut dyn Module,
    func: &Function,
    symbol: &str,
    linkage: Linkage,
    checked: bool,
    keep: Keep,
) -> Result<Instance, CompileError> {
    let mut ctx = module.make_context();
    ctx.set_disasm(keep.vcode);
    let signature = instance_signature(module.isa().default_call_conv());
    let id = module.declare_function(symbol, linkage, &signature).map_err(cranelift)?;
    ctx.func.signature = signature;
    ctx.func.name = UserFuncName::user(0, id.as_u32());
    let helpers = runtime::declare_helpers(module, &mut ctx.func).map_err(cranelift)?;
    let mut builder_context = FunctionBuilderContext::new();
    let lowered = {
        let builder = FunctionBuilder::new(&mut ctx.func, &mut builder_context);
        Lower::new(func, builder, helpers, module.target_config(), checked).run()?
    };
    let clif = keep.clif.then(|| ctx.func.display().to_string());
    module
        .define_function(id, &mut ctx)
        .map_err(|error| CompileError::Cranelift(format!("{error:?}")))?;
    let vcode = ctx.compiled_code().and_then(|code| code.vcode.clone());
    module.clear_context(&mut ctx);
    Ok(Instance { id, scratch_bytes: lowered.scratch_bytes, clif, vcode })
}

/// A Cranelift error as a [`CompileError`].
pub(crate) fn cranelift(error: impl std::fmt::Display) -> CompileError {
    CompileError::Cranelift(error.to_string())
}
