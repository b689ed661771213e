//! Type rules of memory ops, calls, structured control flow and terminators. Those
//! of loops and `if` also check the blocks' arguments and the values they yield;
//! `yield` itself is checked here, by its owner.

use super::is_helper;
use super::rules::{expect_type, expect_types, Rule};
use super::walk::Walker;
use crate::function::Block;
use crate::ops::{AtomicOp, Op};
use crate::types::{ElemType, ScalarType, Type};

/// The pointee of a pointer operand and the type of the data it addresses.
fn pointee_data(ptr: &Type) -> Result<(ScalarType, Type), String> {
    match ptr.elem {
        ElemType::Ptr(pointee) => Ok((pointee, Type::tile(ptr.shape.clone(), pointee))),
        ElemType::Scalar(_) => {
            Err(format!("the pointer operand has type {ptr}, expected pointers"))
        }
    }
}

fn mask(mask: Option<&Type>, ptr: &Type) -> Rule {
    match mask {
        Some(mask) => {
            expect_type("the mask", mask, &ptr.with_elem(ElemType::Scalar(ScalarType::Bool)))
        }
        None => Ok(()),
    }
}

pub(super) fn load(
    ptr: &Type,
    mask_ty: Option<&Type>,
    other: Option<&Type>,
    result: &Type,
) -> Rule {
    let (_, data) = pointee_data(ptr)?;
    mask(mask_ty, ptr)?;
    expect_type("the result", result, &data)?;
    match other {
        Some(other) => expect_type("`other`", other, &data),
        None => Ok(()),
    }
}

pub(super) fn store(ptr: &Type, value: &Type, mask_ty: Option<&Type>) -> Rule {
    let (_, data) = pointee_data(ptr)?;
    mask(mask_ty, ptr)?;
    expect_type("the stored value", value, &data)
}

pub(super) fn atomic(
    op: AtomicOp,
    ptr: &Type,
    value: &Type,
    mask_ty: Option<&Type>,
    result: &Type,
) -> Rule {
    let (pointee, data) = pointee_data(ptr)?;
    let numeric = match op {
        AtomicOp::Add | AtomicOp::Max => pointee.is_int() || pointee.is_float(),
    };
    if !numeric {
        return Err(format!("atomic `{}` needs integer or float pointees, found {ptr}", op.name()));
    }
    mask(mask_ty, ptr)?;
    expect_type("the value", value, &data)?;
    expect_type("the result", result, &data)
}

/// A rank-0 `bool`: the condition of `if` and of `condition`.
pub(super) fn scalar_bool(what: &str, ty: &Type) -> Rule {
    expect_type(what, ty, &Type::scalar(ScalarType::Bool))
}

pub(super) fn assert(cond: &Type) -> Rule {
    match cond.elem {
        ElemType::Scalar(ScalarType::Bool) => Ok(()),
        ElemType::Scalar(_) | ElemType::Ptr(_) => {
            Err(format!("the condition has type {cond}, expected bool elements"))
        }
    }
}

impl<'a> Walker<'a> {
    pub(super) fn call(&self, callee: &str, args: &[&Type], results: &[&Type]) -> Rule {
        let Some(module) = self.module else { return Ok(()) };
        let Some(target) = module.function(callee) else {
            return Err(format!("calls @{callee}, which is not in the module"));
        };
        if !is_helper(target) {
            return Err(format!("calls @{callee}, which is a kernel, not a helper"));
        }
        // A callee with a broken signature is reported when it is verified itself.
        let Some(params) = target.blocks.get(target.body).map(|body| &body.args) else {
            return Ok(());
        };
        let param_types: Option<Vec<&Type>> =
            params.iter().map(|&p| target.values.get(p).map(|data| &data.ty)).collect();
        let Some(param_types) = param_types else { return Ok(()) };
        expect_types("argument", args, &param_types)?;
        let result_types: Vec<&Type> = target.result_types.iter().collect();
        expect_types("result", results, &result_types)
    }

    pub(super) fn for_loop(
        &self,
        bounds: [&Type; 3],
        inits: &[&Type],
        body: Block,
        results: &[&Type],
    ) -> Rule {
        let [lower, upper, step] = bounds;
        if !(lower.is_scalar() && lower.scalar_type().is_some_and(ScalarType::is_int)) {
            return Err(format!("the lower bound has type {lower}, expected a scalar integer"));
        }
        expect_type("the upper bound", upper, lower)?;
        expect_type("the step", step, lower)?;
        let args = self.block_arg_types(body)?;
        let Some((iv, carried)) = args.split_first() else {
            return Err(format!("{body} takes no induction variable"));
        };
        expect_type("the induction variable", iv, lower)?;
        expect_types("carried body argument", carried, inits)?;
        expect_types("result", results, inits)?;
        self.yields(body, inits)
    }

    pub(super) fn while_loop(
        &self,
        inits: &[&Type],
        blocks: [Block; 2],
        results: &[&Type],
    ) -> Rule {
        let [cond, body] = blocks;
        expect_types("condition block argument", &self.block_arg_types(cond)?, inits)?;
        expect_types("body argument", &self.block_arg_types(body)?, inits)?;
        expect_types("result", results, inits)?;
        self.yields(body, inits)
    }

    pub(super) fn if_else(&self, cond: &Type, branches: [Block; 2], results: &[&Type]) -> Rule {
        scalar_bool("the condition", cond)?;
        for branch in branches {
            let args = self.block_arg_types(branch)?;
            if !args.is_empty() {
                return Err(format!(
                    "branch {branch} takes {} arguments, expected none",
                    args.len()
                ));
            }
            self.yields(branch, results)?;
        }
        Ok(())
    }

    pub(super) fn return_values(&self, values: &[&Type]) -> Rule {
        let expected: Vec<&Type> = self.func.result_types.iter().collect();
        expect_types("returned value", values, &expected)
    }

    fn block_arg_types(&self, block: Block) -> Result<Vec<&'a Type>, String> {
        let func = self.func;
        match func.blocks.get(block) {
            Some(data) => self.types(&data.args),
            None => Err(format!("{block} does not exist")),
        }
    }

    /// The `yield` ending `block` yields values of `expected` types. Other
    /// terminators, and operands that do not exist, are reported by the walk.
    fn yields(&self, block: Block, expected: &[&Type]) -> Rule {
        let func = self.func;
        let last = func.blocks.get(block).and_then(|data| data.insts.last());
        let Some(terminator) = last.and_then(|&inst| func.insts.get(inst)) else { return Ok(()) };
        let Op::Yield { values } = &terminator.op else { return Ok(()) };
        let Ok(found) = self.types(values) else { return Ok(()) };
        expect_types("yielded value", &found, expected)
            .map_err(|message| format!("{block} {message}"))
    }
}
