//! STUB (being written): name resolution, type/shape checking, const evaluation.
use crate::diag::Diagnostic;
use std::collections::BTreeMap;
use tessera_ir::Module;
/// What to compile and with which const values.
#[derive(Clone, Debug, Default)]
pub struct CompileOptions {
    /// Values for const parameters by name (`-D NAME=VAL`); applies to every kernel that has such a parameter.
    pub consts: BTreeMap<String, i64>,
    /// Compile only this kernel (and the helpers it calls); `None` = every kernel.
    pub kernel: Option<String>,
}
/// Checks a file; returns every diagnostic (empty = ok).
pub fn check(_text: &str, _options: &CompileOptions) -> Vec<Diagnostic> {
    Vec::new()
}
/// Compiles a file to a module of specialized kernels and the helper instances they call.
pub fn compile(_text: &str, _options: &CompileOptions) -> Result<Module, Vec<Diagnostic>> {
    Ok(Module::default())
}
