//! Canonicalization ([`canonicalize`]): one spelling per meaning, so CSE, folding and
//! the e-graph see equal things as equal, and control flow decided by constants goes.
//!
//! # Contract
//! Rewrites, each exact on every input (NaN, ±inf, -0.0 and integer extremes
//! included), in one walk over the blocks:
//! - Constants go right: `add`, `mul`, `and`, `or`, `xor`, `max`, `min` with a
//!   uniform constant (`const`, or `splat` of one) on the left and a non-constant on
//!   the right swap operands (IEEE `+`/`*` are commutative; `maximum`/`minimum` are
//!   symmetric up to which NaN, which is unspecified). `cmp` swaps the same way with
//!   the mirrored predicate (`c < x` ⇔ `x > c`, also with NaN). `sub`, `div`, `rem`
//!   and shifts are left alone.
//! - One uniform-tile form: `broadcast`, `expand_dims`, `reshape` or `trans` of a
//!   `splat x` (and `expand_dims`/`reshape` of a scalar `x`) become `splat x`.
//! - No-op layout ops and casts disappear: `broadcast`/`reshape`/`cast` to the
//!   operand's own type and `trans` by the identity permutation are replaced by their
//!   operand (a cast to the same type is the identity, NaN included).
//! - `if` on a `const` condition is replaced by the instructions of the taken branch;
//!   its results become the values that branch yields.
//! - `for` whose bounds and step are constants, with step > 0 and lower ≥ upper (in
//!   the bounds' signedness) never runs its body: its results become its initial
//!   values. (A constant step ≤ 0 is a runtime error and is kept.)

use tessera_ir::{CmpPred, Function, Inst, Op, Value};

use super::util::{
    constant_of, int_value, scalar_of, structured, uniform_constant, Structured, Substitution,
};

/// Canonicalizes `func` (see the module docs); returns the number of rewrites.
pub fn canonicalize(func: &mut Function) -> usize {
    let mut subst = Substitution::default();
    let mut rewrites = 0;
    let mut stack = vec![func.body];
    while let Some(block) = stack.pop() {
        let mut index = 0;
        while index < func.blocks[block].insts.len() {
            let inst = func.blocks[block].insts[index];
            subst.apply_to_op(&mut func.insts[inst].op);
            match rewrite_control(func, inst, &mut subst) {
                Some(replacement) => {
                    func.blocks[block].insts.splice(index..=index, replacement);
                    rewrites += 1;
                    // Re-examine what took the instruction's place.
                    continue;
                }
                None => rewrites += usize::from(rewrite_data(func, inst, &mut subst)),
            }
            stack.extend(func.insts[inst].op.blocks());
            index += 1;
        }
    }
    subst.apply(func);
    rewrites
}

/// A constant `if` or a zero-trip `for`: the instructions replacing `inst` (recording
/// its results in `subst`), or `None` to keep it.
fn rewrite_control(func: &Function, inst: Inst, subst: &mut Substitution) -> Option<Vec<Inst>> {
    let data = &func.insts[inst];
    match structured(&data.op)? {
        Structured::If { cond, then_block, else_block } => {
            let tessera_ir::Constant::Bool(taken) = constant_of(func, cond)? else {
                return None;
            };
            let branch = if taken { then_block } else { else_block };
            let (last, rest) = func.blocks[branch].insts.split_last()?;
            let Op::Yield { values } = &func.insts[*last].op else { return None };
            for (&result, &value) in data.results.iter().zip(values) {
                subst.insert(result, value);
            }
            Some(rest.to_vec())
        }
        Structured::For { lower, upper, step, inits, .. } => {
            let scalar = scalar_of(func, lower)?;
            let bound = |value: Value| int_value(constant_of(func, value)?, scalar);
            let (lower, upper, step) = (bound(lower)?, bound(upper)?, bound(step)?);
            if step <= 0 || lower < upper {
                return None;
            }
            for (&result, &init) in data.results.iter().zip(inits) {
                subst.insert(result, init);
            }
            Some(Vec::new())
        }
        Structured::While { .. } => None,
    }
}

/// The in-place rewrites of pure ops; true when `inst` changed. An instruction whose
/// result is replaced by its operand is left for DCE.
fn rewrite_data(func: &mut Function, inst: Inst, subst: &mut Substitution) -> bool {
    let result = match func.insts[inst].results.as_slice() {
        [result] => *result,
        _ => return false,
    };
    let result_ty = func.value_type(result).clone();
    let op = &func.insts[inst].op;
    let new_op = match op {
        Op::Binary { op, lhs, rhs } if is_commutative(*op) && constant_left(func, *lhs, *rhs) => {
            Some(Op::Binary { op: *op, lhs: *rhs, rhs: *lhs })
        }
        Op::Cmp { pred, lhs, rhs } if constant_left(func, *lhs, *rhs) => {
            Some(Op::Cmp { pred: mirror(*pred), lhs: *rhs, rhs: *lhs })
        }
        Op::Broadcast { arg } | Op::Reshape { arg } | Op::Cast { arg }
            if *func.value_type(*arg) == result_ty =>
        {
            subst.insert(result, *arg);
            return true;
        }
        Op::Trans { arg, perm } if perm.iter().enumerate().all(|(i, &p)| p as usize == i) => {
            subst.insert(result, *arg);
            return true;
        }
        Op::Broadcast { arg }
        | Op::ExpandDims { arg, .. }
        | Op::Reshape { arg }
        | Op::Trans { arg, .. } => splat_source(func, *arg).map(|value| Op::Splat { value }),
        Op::Const { .. }
        | Op::ProgramId { .. }
        | Op::NumPrograms { .. }
        | Op::Arange { .. }
        | Op::Splat { .. }
        | Op::Unary { .. }
        | Op::Binary { .. }
        | Op::Cmp { .. }
        | Op::Select { .. }
        | Op::Cast { .. }
        | Op::PtrAdd { .. }
        | Op::Reduce { .. }
        | Op::Scan { .. }
        | Op::Dot { .. }
        | Op::Fma { .. }
        | Op::Load { .. }
        | Op::Store { .. }
        | Op::Atomic { .. }
        | Op::Call { .. }
        | Op::For { .. }
        | Op::While { .. }
        | Op::If { .. }
        | Op::Yield { .. }
        | Op::Condition { .. }
        | Op::Return { .. }
        | Op::Assert { .. } => None,
    };
    let Some(new_op) = new_op else { return false };
    func.insts[inst].op = new_op;
    true
}

/// The scalar a layout op's operand repeats: `x` for `splat x`, or `arg` itself when
/// it is a scalar (only `expand_dims`/`reshape` take one, and the result is a tile).
fn splat_source(func: &Function, arg: Value) -> Option<Value> {
    if func.value_type(arg).is_scalar() {
        return Some(arg);
    }
    let def = super::util::def_op(func, arg)?;
    let Op::Splat { value } = def else { return None };
    Some(*value)
}

/// Whether `lhs` is a uniform constant and `rhs` is not.
fn constant_left(func: &Function, lhs: Value, rhs: Value) -> bool {
    uniform_constant(func, lhs).is_some() && uniform_constant(func, rhs).is_none()
}

/// Whether `a op b == b op a` bit for bit (up to which NaN, which is unspecified).
pub fn is_commutative(op: tessera_ir::BinaryOp) -> bool {
    use tessera_ir::BinaryOp;
    match op {
        BinaryOp::Add
        | BinaryOp::Mul
        | BinaryOp::And
        | BinaryOp::Or
        | BinaryOp::Xor
        | BinaryOp::Max
        | BinaryOp::Min => true,
        BinaryOp::Sub | BinaryOp::Div | BinaryOp::Rem | BinaryOp::Shl | BinaryOp::Shr => false,
    }
}

/// The predicate `p'` with `a p b ⇔ b p' a`.
pub fn mirror(pred: CmpPred) -> CmpPred {
    match pred {
        CmpPred::Eq => CmpPred::Eq,
        CmpPred::Ne => CmpPred::Ne,
        CmpPred::Lt => CmpPred::Gt,
        CmpPred::Le => CmpPred::Ge,
        CmpPred::Gt => CmpPred::Lt,
        CmpPred::Ge => CmpPred::Le,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passes::testing::{assert_pass_output, check_pass_on_corpus};

    fn run(text: &str, expected: &str) {
        assert_pass_output(text, expected, |func, _| {
            canonicalize(func);
        });
    }

    #[test]
    fn moves_constants_right_and_mirrors_comparisons() {
        run(
            "kernel @k(%0 \"p\": ptr<i32>, %1 \"n\": i32) {
  %2 = const 3 : i32
  %3 = mul %2, %1 : i32
  %4 = sub %2, %3 : i32
  %5 = cmp lt %2, %4 : bool
  %6 = cast %5 : i32
  store %0, %6 @1:1
  return
}
",
            "kernel @k(%0 \"p\": ptr<i32>, %1 \"n\": i32) {
  %2 = const 3 : i32
  %3 = mul %1, %2 : i32
  %4 = sub %2, %3 : i32
  %5 = cmp gt %4, %2 : bool
  %6 = cast %5 : i32
  store %0, %6 @1:1
  return
}
",
        );
    }

    #[test]
    fn layout_ops_of_splats_become_splats_and_no_ops_vanish() {
        run(
            "kernel @k(%0 \"p\": ptr<f32>, %1 \"x\": f32) {
  %2 = splat %1 : tile<[4], f32>
  %3 = expand_dims %2, axis 0 : tile<[1, 4], f32>
  %4 = broadcast %3 : tile<[8, 4], f32>
  %5 = trans %4, [1, 0] : tile<[4, 8], f32>
  %6 = cast %5 : tile<[4, 8], f32>
  %7 = reduce sum %6, axis 1 : tile<[4], f32>
  %8 = reduce sum %7, axis 0 : f32
  store %0, %8 @1:1
  return
}
",
            "kernel @k(%0 \"p\": ptr<f32>, %1 \"x\": f32) {
  %2 = splat %1 : tile<[4], f32>
  %3 = splat %1 : tile<[1, 4], f32>
  %4 = splat %1 : tile<[8, 4], f32>
  %5 = splat %1 : tile<[4, 8], f32>
  %6 = cast %5 : tile<[4, 8], f32>
  %7 = reduce sum %5, axis 1 : tile<[4], f32>
  %8 = reduce sum %7, axis 0 : f32
  store %0, %8 @1:1
  return
}
",
        );
    }

    #[test]
    fn constant_if_is_replaced_by_the_taken_branch() {
        run(
            "kernel @k(%0 \"p\": ptr<f32>, %1 \"x\": f32) {
  %2 = const false : bool
  %3 = if %2 {
    %4 = const 1.0 : f32
    yield %4
  } else {
    %5 = const true : bool
    %6 = if %5 {
      %7 = neg %1 : f32
      yield %7
    } else {
      yield %1
    } : f32
    yield %6
  } : f32
  store %0, %3 @1:1
  return
}
",
            "kernel @k(%0 \"p\": ptr<f32>, %1 \"x\": f32) {
  %2 = const false : bool
  %3 = const true : bool
  %4 = neg %1 : f32
  store %0, %4 @1:1
  return
}
",
        );
    }

    #[test]
    fn zero_trip_for_is_replaced_by_its_initial_values() {
        let text = "kernel @k(%0 \"p\": ptr<u32>) {
  %1 = const 4294967295 : u32
  %2 = const 0 : u32
  %3 = const 1 : u32
  %4 = for %5 = %1 to %2 step %3 iter(%6 = %2) {
    %7 = add %6, %5 : u32
    yield %7
  } : u32 @1:1
  %8 = for %9 = %2 to %1 step %3 iter(%10 = %2) {
    yield %10
  } : u32 @2:1
  %11 = const 0 : u32
  %12 = for %13 = %1 to %2 step %11 iter(%14 = %2) {
    yield %14
  } : u32 @3:1
  %15 = add %4, %8 : u32
  %16 = add %15, %12 : u32
  store %0, %16 @4:1
  return
}
";
        let expected = "kernel @k(%0 \"p\": ptr<u32>) {
  %1 = const 4294967295 : u32
  %2 = const 0 : u32
  %3 = const 1 : u32
  %4 = for %5 = %2 to %1 step %3 iter(%6 = %2) {
    yield %6
  } : u32 @2:1
  %7 = const 0 : u32
  %8 = for %9 = %1 to %2 step %7 iter(%10 = %2) {
    yield %10
  } : u32 @3:1
  %11 = add %4, %2 : u32
  %12 = add %11, %8 : u32
  store %0, %12 @4:1
  return
}
";
        run(text, expected);
    }

    #[test]
    fn canonicalization_preserves_every_corpus_kernel() {
        check_pass_on_corpus("canonicalize", |func, _| {
            canonicalize(func);
        });
    }

    #[test]
    fn canonicalize_preserves_random_programs() {
        crate::passes::random_program::check_pass_on_random_programs(
            "canonicalize",
            300,
            |func, _| {
                canonicalize(func);
            },
        );
    }
}
