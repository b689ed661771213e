//! Dispatch of the per-op type rules: one exhaustive match over [`Op`], each arm
//! calling a rule from [`super::data_rules`] (ops checked on types alone) or
//! [`super::control_rules`] (memory, calls, structured ops, terminators). Rules
//! return the message of the first violation they find.

use super::control_rules;
use super::data_rules;
use super::walk::Walker;
use crate::function::Value;
use crate::ops::Op;
use crate::types::Type;

/// The outcome of one rule: the message of what is wrong, if anything.
pub(super) type Rule = Result<(), String>;

impl<'a> Walker<'a> {
    /// Checks the operand and result types of one instruction whose operands,
    /// results and owned blocks all exist.
    pub(super) fn op_rule(&self, op: &Op, results: &[Value]) -> Rule {
        let results = self.types(results)?;
        match op {
            Op::Const { value } => data_rules::constant(*value, one(&results)?),
            Op::ProgramId { axis } | Op::NumPrograms { axis } => {
                data_rules::grid_index(*axis, one(&results)?)
            }
            Op::Arange { start, end } => data_rules::arange(*start, *end, one(&results)?),
            Op::Splat { value } => data_rules::splat(self.ty(*value)?, one(&results)?),
            Op::ExpandDims { arg, axis } => {
                data_rules::expand_dims(self.ty(*arg)?, *axis, one(&results)?)
            }
            Op::Broadcast { arg } => data_rules::broadcast(self.ty(*arg)?, one(&results)?),
            Op::Reshape { arg } => data_rules::reshape(self.ty(*arg)?, one(&results)?),
            Op::Trans { arg, perm } => data_rules::trans(self.ty(*arg)?, perm, one(&results)?),
            Op::Unary { op, arg } => data_rules::unary(*op, self.ty(*arg)?, one(&results)?),
            Op::Binary { op, lhs, rhs } => {
                data_rules::binary(*op, self.ty(*lhs)?, self.ty(*rhs)?, one(&results)?)
            }
            Op::Cmp { lhs, rhs, .. } => {
                data_rules::cmp(self.ty(*lhs)?, self.ty(*rhs)?, one(&results)?)
            }
            Op::Select { cond, on_true, on_false } => {
                let arms = [self.ty(*on_true)?, self.ty(*on_false)?];
                data_rules::select(self.ty(*cond)?, arms, one(&results)?)
            }
            Op::Cast { arg } => data_rules::cast(self.ty(*arg)?, one(&results)?),
            Op::PtrAdd { ptr, offset } => {
                data_rules::ptr_add(self.ty(*ptr)?, self.ty(*offset)?, one(&results)?)
            }
            Op::Reduce { op, arg, axis } => {
                data_rules::reduce(*op, self.ty(*arg)?, *axis, one(&results)?)
            }
            Op::Scan { op, arg, axis } => {
                data_rules::scan(*op, self.ty(*arg)?, *axis, one(&results)?)
            }
            Op::Dot { a, b, acc } => {
                data_rules::dot([self.ty(*a)?, self.ty(*b)?, self.ty(*acc)?], one(&results)?)
            }
            Op::Fma { a, b, c } => {
                data_rules::fma([self.ty(*a)?, self.ty(*b)?, self.ty(*c)?], one(&results)?)
            }
            Op::Load { ptr, mask, other } => {
                let (mask, other) = (self.optional_ty(*mask)?, self.optional_ty(*other)?);
                control_rules::load(self.ty(*ptr)?, mask, other, one(&results)?)
            }
            Op::Store { ptr, value, mask } => {
                no_results(&results)?;
                control_rules::store(self.ty(*ptr)?, self.ty(*value)?, self.optional_ty(*mask)?)
            }
            Op::Atomic { op, ptr, value, mask } => {
                let (ptr, value, mask) =
                    (self.ty(*ptr)?, self.ty(*value)?, self.optional_ty(*mask)?);
                control_rules::atomic(*op, ptr, value, mask, one(&results)?)
            }
            Op::Call { callee, args } => self.call(callee, &self.types(args)?, &results),
            Op::For { lower, upper, step, inits, body } => {
                let bounds = [self.ty(*lower)?, self.ty(*upper)?, self.ty(*step)?];
                self.for_loop(bounds, &self.types(inits)?, *body, &results)
            }
            Op::While { inits, cond, body } => {
                self.while_loop(&self.types(inits)?, [*cond, *body], &results)
            }
            Op::If { cond, then_block, else_block } => {
                self.if_else(self.ty(*cond)?, [*then_block, *else_block], &results)
            }
            Op::Yield { .. } => no_results(&results),
            Op::Condition { cond } => {
                no_results(&results)?;
                control_rules::scalar_bool("the condition", self.ty(*cond)?)
            }
            Op::Return { values } => {
                no_results(&results)?;
                self.return_values(&self.types(values)?)
            }
            Op::Assert { cond, .. } => {
                no_results(&results)?;
                control_rules::assert(self.ty(*cond)?)
            }
        }
    }

    /// The type of `value` (which the walk has checked exists).
    pub(super) fn ty(&self, value: Value) -> Result<&'a Type, String> {
        let func = self.func;
        func.values.get(value).map(|data| &data.ty).ok_or_else(|| format!("{value} does not exist"))
    }

    pub(super) fn types(&self, values: &[Value]) -> Result<Vec<&'a Type>, String> {
        values.iter().map(|&value| self.ty(value)).collect()
    }

    fn optional_ty(&self, value: Option<Value>) -> Result<Option<&'a Type>, String> {
        value.map(|value| self.ty(value)).transpose()
    }
}

/// The single result type of an op that has exactly one.
fn one<'t>(results: &[&'t Type]) -> Result<&'t Type, String> {
    match results {
        [result] => Ok(result),
        _ => Err(format!("has {} results, expected 1", results.len())),
    }
}

fn no_results(results: &[&Type]) -> Rule {
    match results {
        [] => Ok(()),
        _ => Err(format!("has {} results, expected none", results.len())),
    }
}

/// `found` must equal `expected`; `what` names it in the message ("the mask").
pub(super) fn expect_type(what: &str, found: &Type, expected: &Type) -> Rule {
    if found == expected {
        Ok(())
    } else {
        Err(format!("{what} has type {found}, expected {expected}"))
    }
}

/// The lists must agree in length and types; `what` names one element
/// ("result", "argument", "yielded value").
pub(super) fn expect_types(what: &str, found: &[&Type], expected: &[&Type]) -> Rule {
    if found.len() != expected.len() {
        return Err(format!("has {} {what}s, expected {}", found.len(), expected.len()));
    }
    for (index, (found, expected)) in found.iter().zip(expected).enumerate() {
        expect_type(&format!("{what} {index}"), found, expected)?;
    }
    Ok(())
}
