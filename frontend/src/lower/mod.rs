//! Lowering: checked instances → tile IR.
//!
//! Each kernel specialization becomes a [`FunctionKind::Kernel`] function whose
//! parameters are the runtime parameters; each helper instance becomes a
//! [`FunctionKind::Helper`] function called with `call`. Lowering trusts the checker:
//! it reads types, constants, name resolutions and loop-carried variables from the
//! instance's side tables and makes every implicit thing explicit — literal constants
//! of the right type, `splat`/`expand_dims`/`broadcast` for broadcasting, SSA values
//! for mutable variables through structured `if`/`for`/`while` — so the IR passes the
//! verifier. Every instruction carries the source line and column it came from.
//!
//! Kernels come first in the module (in file order), then helper instances in the
//! order of their first call.

mod builder;
mod builtins;
mod expr;
mod stmt;

#[cfg(test)]
mod tests;

use crate::ast::Ast;
use crate::diag::Diagnostic;
use crate::sema::typed::{InstanceId, InstanceKind, Program};
use builder::{FnLower, LineIndex};
use tessera_ir::Module;

/// Lowers every kernel of `program` and the helper instances they call.
pub fn lower_program(text: &str, ast: &Ast, program: &Program) -> Result<Module, Vec<Diagnostic>> {
    let lines = LineIndex::new(text);
    let mut module = Module::default();
    let mut diags = Vec::new();
    let helpers = program
        .instances
        .iter()
        .enumerate()
        .filter(|(_, inst)| inst.kind == InstanceKind::Helper)
        .map(|(i, _)| InstanceId(i as u32));
    for id in program.kernels.iter().copied().chain(helpers) {
        let lowered = FnLower::new(ast, &lines, program, id).lower();
        match lowered {
            Ok(function) => module.functions.push(function),
            Err(errors) => diags.extend(errors),
        }
    }
    if diags.is_empty() {
        Ok(module)
    } else {
        Err(diags)
    }
}
