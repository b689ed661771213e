//! The JIT API's typed errors: [`CompileError`] for everything between source text and
//! a compiled [`super::Kernel`], [`LaunchError`] for a launch. Each names the kernel
//! and, where one is at fault, the parameter.

use std::path::PathBuf;
use std::sync::Arc;

use tessera_frontend::Diagnostic;
use tessera_passes::pipeline::PassError;

/// Why source text, a kernel lookup or a specialization did not give a kernel.
///
/// `Clone`, because the engine's cache hands the outcome of one compilation to every
/// caller that asked for the same specialization, failures included.
#[derive(Clone, Debug, thiserror::Error)]
pub enum CompileError {
    /// [`super::Engine::compile_file`] could not read the file.
    #[error("cannot read `{}`: {source}", path.display())]
    Io { path: PathBuf, source: Arc<std::io::Error> },
    /// The source (or one specialization of it) has errors; `rendered` shows them with
    /// carets, as `tessera check` does.
    #[error("{rendered}")]
    Diagnostics { rendered: String, diagnostics: Vec<Diagnostic> },
    /// No kernel of that name in the program.
    #[error("no kernel named `{name}` (kernels: {})", list(available))]
    UnknownKernel { name: String, available: Vec<String> },
    /// A value given for a name that is not a const parameter of the kernel.
    #[error(
        "kernel `{kernel}` has no const parameter `{name}` (const parameters: {})",
        list(available)
    )]
    UnknownConst { kernel: String, name: String, available: Vec<String> },
    /// A const value that does not fit the parameter's type.
    #[error("kernel `{kernel}`: the value {value} given for `{param}` does not fit `{ty}`")]
    BadConst { kernel: String, param: String, value: i64, ty: String },
    /// A const parameter without a default was given no value.
    #[error(
        "kernel `{kernel}`: const parameter `{param}` has no default: give it a value with \
         `.constant(\"{param}\", VALUE)`"
    )]
    MissingConst { kernel: String, param: String },
    /// The optimizer failed: a compiler bug.
    #[error("kernel `{kernel}`: {source}")]
    Optimize { kernel: String, source: PassError },
    /// The CPU code generator failed: a compiler bug or an unsupported construct.
    #[error("kernel `{kernel}`: code generation failed: {source}")]
    Codegen { kernel: String, source: Arc<tessera_cpu::CompileError> },
}

/// Why a launch did not run to completion. Argument errors are found before any code
/// runs; [`LaunchError::Target`] forwards what the CPU target reports (an out-of-bounds
/// access naming kernel, source line and index; a failed `device_assert`; a bad grid).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LaunchError {
    /// Not one argument per (runtime) parameter.
    #[error("kernel `{kernel}` takes {expected} arguments ({}), {got} given", params.join(", "))]
    ArgCount { kernel: String, expected: usize, got: usize, params: Vec<String> },
    /// An argument of the wrong kind or element type.
    #[error("kernel `{kernel}`: argument {index} (`{param}`): expected {expected}, got {got}")]
    ArgType { kernel: String, index: usize, param: String, expected: String, got: String },
    /// A read-only buffer (`&[T]`) for a parameter the kernel may write through.
    #[error(
        "kernel `{kernel}` may write through `{param}`, but argument {index} is a read-only \
         buffer: pass it as `&mut [T]`"
    )]
    ReadOnly { kernel: String, index: usize, param: String },
    /// A checked launch of a kernel built with `.checked(false)`.
    #[error(
        "kernel `{kernel}` was built without bounds checks: launch it with `launch_unchecked`"
    )]
    Unchecked { kernel: String },
    /// The CPU target's error (out of bounds, failed assert, bad grid, …).
    #[error(transparent)]
    Target(#[from] tessera_cpu::LaunchError),
}

/// `a, b, c`, or `none` for an empty list.
fn list(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}
