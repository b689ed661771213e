//! The IR verifier: the invariants every pass may rely on and must preserve.
//!
//! A verifier error is a compiler bug, never a user error. Each error names the
//! function and the entity at fault (`inst12 (load)`, `%7`, `^bb3`, in arena
//! numbering; `print_function_with` with [`Numbering::Arena`] prints the same
//! names), and the verifier collects every error it finds. It never panics, whatever
//! a function holds: dangling handles, blocks owned twice and cycles are reported.
//!
//! # Module
//! - M1. Function names are unique.
//! - M2. Helpers are not recursive, directly or through other helpers.
//! - M3. Every function verifies with the module as context (so calls resolve).
//!
//! # Structure
//! - S1. The body block exists and no op owns it; every block an op owns exists and
//!   is owned by exactly one op (reached exactly once from the body). Blocks nest at
//!   most [`MAX_NESTING`] deep (the body is depth 0).
//! - S2. Every instruction reached from the body exists and is placed in exactly one
//!   block, once. Arena entries not reachable from the body are dead and ignored.
//! - S3. The value table agrees with placement: argument `i` of block `b` has
//!   `ValueDef::BlockArg(b, i)`; result `i` of `inst` has `ValueDef::Result(inst, i)`.
//! - S4. Every block ends in exactly one terminator, which is its last instruction,
//!   of the kind its owner expects: function body → `return`; `for` body, `if`
//!   branches, `while` body → `yield`; `while` condition → `condition`.
//! - S5. A function has one parameter name per parameter; a kernel has no result
//!   types.
//!
//! # Scoping (dominance)
//! - D1. Every operand exists and is defined before its use: by an earlier
//!   instruction of the same block, as an argument of that block, or (recursively)
//!   visibly in an enclosing block before the op owning this one. Never a value of a
//!   sibling or nested block, nor a result of the op that owns the block.
//!
//! # Types
//! Elementwise ops take operands of exactly equal type (the front end inserts
//! `broadcast`/`splat`). Each op has the number of results listed here.
//! - `const`: one rank-0 result; `Bool` for `bool`, `Int` for integers with the
//!   value stored sign-extended from the type's width (so it fits), `Float` for
//!   floats with a value exactly representable in the type (any NaN allowed).
//! - `program_id`, `num_programs`: axis ≤ 2; result `i32`.
//! - `arange`: `end > start`; result `tile<[end - start], i32>`.
//! - `splat`: a rank-0 operand; result a tile (rank ≥ 1) of the same element type.
//! - `expand_dims`: axis ≤ rank; result shape is the operand's with a 1 inserted.
//! - `broadcast`: same rank and element; each operand dim is 1 or the result's.
//! - `reshape`: same element type and element count.
//! - `trans`: `perm` is a permutation of the operand's dims; result dim `i` is
//!   operand dim `perm[i]`.
//! - unary: result type = operand type, scalar elements; math functions need
//!   floats, `not` integers or `bool`, `neg`/`abs` integers or floats.
//! - binary: operands and result of one type; bitwise ops and shifts on integers or
//!   `bool`, the others on integers or floats.
//! - `cmp`: equal operand types with scalar elements; result `bool` of that shape.
//! - `select`: condition `bool` of the result's shape; both arms the result type.
//! - `cast`: same shape; scalar (non-pointer) elements on both sides.
//! - `ptr_add`: pointer elements plus integer offsets of the same shape; result
//!   the pointer type.
//! - `reduce`: axis < rank; result shape drops the axis; `sum`/`max`/`min` keep the
//!   (integer or float) element type, `argmax`/`argmin` give `i32`.
//! - `scan`: axis < rank; result type = operand type (integer or float).
//! - `dot`: `a: [M, K]`, `b: [K, N]`, `acc: [M, N]` = result type; `a` and `b`
//!   share an element type; f16/bf16 → f32, f32 → f32, f64 → f64, i8 → i32.
//! - `fma`: three operands and the result of one float type.
//! - `load`: pointer elements `ptr<T>`; result `T` of the pointer's shape; `mask`
//!   `bool` of that shape; `other` the result type.
//! - `store`, `atomic`: value `T` of the pointer's shape; `mask` as for `load`;
//!   `atomic` (integer or float) returns the old values (the value's type), `store`
//!   has no result.
//! - `call`: with a module, the callee exists and is a helper; argument and result
//!   types equal its parameter and result types.
//! - `for`: bounds and step of one scalar integer type; body arguments are
//!   `[iv (that type), carried…]` with carried types = init types = result types =
//!   types the body yields.
//! - `while`: condition and body arguments, results and body yields have the init
//!   types.
//! - `if`: scalar `bool` condition; branches take no arguments and both yield the
//!   result types.
//! - `condition`: scalar `bool`. `return`: the function's result types (none for
//!   kernels). `assert`: `bool` elements. `yield` is checked by its owner.

mod control_rules;
mod data_rules;
mod rules;
mod walk;

#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};
use std::fmt;

use crate::function::{Block, Function, FunctionKind, Inst, Module, Value};
#[cfg(doc)]
use crate::printer::Numbering;

/// Blocks may nest this deep (the body is depth 0); deeper nesting is an error
/// rather than deeper recursion. It matches the front end's syntax-tree depth limit,
/// and leaves the recursive verifier, printer and parser ample stack even in
/// unoptimized builds on a 2 MiB thread.
pub const MAX_NESTING: usize = 256;

/// The IR entity an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IrEntity {
    /// The function as a whole (its signature, or its place in the module).
    Function,
    Block(Block),
    /// An instruction and its op mnemonic.
    Inst(Inst, &'static str),
    Value(Value),
}

/// One broken invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifierDiagnostic {
    pub function: String,
    pub entity: IrEntity,
    pub message: String,
}

/// Every broken invariant the verifier found (at least one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifierError {
    pub errors: Vec<VerifierDiagnostic>,
}

impl fmt::Display for IrEntity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IrEntity::Function => f.write_str("function"),
            IrEntity::Block(block) => write!(f, "{block}"),
            IrEntity::Inst(inst, mnemonic) => write!(f, "{inst} ({mnemonic})"),
            IrEntity::Value(value) => write!(f, "{value}"),
        }
    }
}

impl fmt::Display for VerifierDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.entity {
            IrEntity::Function => write!(f, "@{}: {}", self.function, self.message),
            entity => write!(f, "@{}: {entity}: {}", self.function, self.message),
        }
    }
}

impl fmt::Display for VerifierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let [single] = self.errors.as_slice() {
            return write!(f, "verifier error: {single}");
        }
        write!(f, "{} verifier errors:", self.errors.len())?;
        for error in &self.errors {
            write!(f, "\n  {error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for VerifierError {}

impl VerifierError {
    /// Whether some error is about `entity` and its message contains `text`.
    pub fn mentions(&self, entity: IrEntity, text: &str) -> bool {
        self.errors.iter().any(|e| e.entity == entity && e.message.contains(text))
    }
}

/// Verifies every function of `module` and the module-level invariants.
pub fn verify_module(module: &Module) -> Result<(), VerifierError> {
    let mut errors = Vec::new();
    let mut names = HashSet::new();
    for func in &module.functions {
        if !names.insert(func.name.as_str()) {
            errors.push(function_error(func, "is defined more than once in the module"));
        }
    }
    for func in &module.functions {
        errors.extend(walk::check_function(func, Some(module)));
    }
    errors.extend(recursion_errors(module));
    into_result(errors)
}

/// Verifies one function; with `module`, calls are checked against their callees.
pub fn verify_function(func: &Function, module: Option<&Module>) -> Result<(), VerifierError> {
    into_result(walk::check_function(func, module))
}

fn into_result(errors: Vec<VerifierDiagnostic>) -> Result<(), VerifierError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(VerifierError { errors })
    }
}

fn function_error(func: &Function, message: &str) -> VerifierDiagnostic {
    VerifierDiagnostic {
        function: func.name.clone(),
        entity: IrEntity::Function,
        message: message.to_string(),
    }
}

/// M2: a depth-first search of the call graph; each cycle is reported once, on its
/// first helper.
fn recursion_errors(module: &Module) -> Vec<VerifierDiagnostic> {
    let graph: HashMap<&str, Vec<String>> =
        module.functions.iter().map(|f| (f.name.as_str(), walk::callees(f))).collect();
    let mut done = HashSet::new();
    let mut errors = Vec::new();
    for func in &module.functions {
        let mut path = Vec::new();
        find_cycles(&graph, &func.name, &mut path, &mut done, &mut |cycle| {
            let names: Vec<String> = cycle.iter().map(|name| format!("@{name}")).collect();
            errors.push(VerifierDiagnostic {
                function: cycle[0].to_string(),
                entity: IrEntity::Function,
                message: format!("helper is recursive: {}", names.join(" -> ")),
            });
        });
    }
    errors
}

/// Reports every call cycle reachable from `name` that `done` does not cover yet.
fn find_cycles<'g>(
    graph: &'g HashMap<&str, Vec<String>>,
    name: &'g str,
    path: &mut Vec<&'g str>,
    done: &mut HashSet<&'g str>,
    report: &mut dyn FnMut(&[&str]),
) {
    if let Some(start) = path.iter().position(|&n| n == name) {
        let mut cycle = path[start..].to_vec();
        cycle.push(name);
        report(&cycle);
        return;
    }
    if done.contains(name) {
        return;
    }
    let Some(callees) = graph.get(name) else { return };
    path.push(name);
    for callee in callees {
        find_cycles(graph, callee, path, done, report);
    }
    path.pop();
    done.insert(name);
}

/// Whether `func` is a helper (calls may only target helpers).
fn is_helper(func: &Function) -> bool {
    func.kind == FunctionKind::Helper
}
