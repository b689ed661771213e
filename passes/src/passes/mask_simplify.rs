//! Mask simplification ([`simplify_masks`]): masks, comparisons and asserts that the
//! value-range analysis (`range.rs`) decides are dropped, narrowed or made constant.
//!
//! # Contract
//! What is proven: an integer interval for each integer value, and all-true /
//! all-false for `bool` values, from constants, `arange` bounds, `program_id ≥ 0`,
//! `num_programs ≥ 1`, `for` induction variables and exact (non-wrapping) interval
//! arithmetic — see `range.rs` for every rule. Given those facts:
//! - A `cmp` of integers proven true (false) in every element becomes the constant
//!   `true` (`false`), a `splat` of a `const` for tiles; likewise `and`/`or`/`xor` of
//!   `bool`s decided by their operands.
//! - `and(m, t)` with `t` proven all-true is replaced by `m`; `or(m, f)` with `f` proven
//!   all-false by `m` (so a mask keeps only the conjuncts that can fail, at the edges).
//! - `select` with a condition proven uniform is replaced by the chosen arm.
//! - `load`/`store`/`atomic` with a mask proven all-true lose the mask (a `load` its
//!   `other` too): every lane was active anyway, so exactly the same elements are
//!   accessed, in the same order, with the same bounds checks.
//! - A mask proven all-false means no lane touches memory: a `store` is removed, a
//!   `load` becomes its `other` (or zeros), an `atomic` becomes zeros (masked-off
//!   atomic lanes return 0).
//! - An `assert` whose condition is proven all-true is removed (it cannot fail).
//!
//! Values replaced by others are left for DCE.

use tessera_ir::{BinaryOp, Constant, Function, Inst, Op, ScalarType, Value};

use super::range::Ranges;
use super::util::{
    make_constant_in_place, placed_insts, scalar_of, uniform_constant, zero_constant, Edits,
    Substitution,
};

/// Simplifies the masks of `func` (see the module docs); returns the number of
/// instructions rewritten.
pub fn simplify_masks(func: &mut Function) -> usize {
    let ranges = Ranges::analyze(func);
    let mut state = State { ranges, subst: Substitution::default(), edits: Edits::default() };
    let mut rewrites = 0;
    for inst in placed_insts(func) {
        state.subst.apply_to_op(&mut func.insts[inst].op);
        rewrites += usize::from(state.simplify(func, inst));
    }
    state.subst.apply(func);
    state.edits.apply(func);
    rewrites
}

/// The analysis and the rewrites collected so far.
struct State {
    ranges: Ranges,
    subst: Substitution,
    edits: Edits,
}

impl State {
    /// Applies the rule matching `inst`, if any; true when something changed.
    fn simplify(&mut self, func: &mut Function, inst: Inst) -> bool {
        let op = func.insts[inst].op.clone();
        match op {
            Op::Cmp { .. } => self.decided_bool(func, inst),
            Op::Binary { op, lhs, rhs } => {
                let is_bool = scalar_of(func, lhs) == Some(ScalarType::Bool);
                is_bool && (self.decided_bool(func, inst) || self.narrow(func, inst, op, lhs, rhs))
            }
            Op::Select { cond, on_true, on_false } => {
                let Some(taken) = self.ranges.truth(cond) else { return false };
                let arm = if taken { on_true } else { on_false };
                self.subst.insert(func.result(inst), arm);
                true
            }
            Op::Load { ptr, mask: Some(mask), other } => match self.ranges.truth(mask) {
                Some(true) => {
                    func.insts[inst].op = Op::Load { ptr, mask: None, other: None };
                    true
                }
                Some(false) => {
                    match other {
                        Some(other) => {
                            self.subst.insert(func.result(inst), other);
                            self.edits.remove(inst);
                        }
                        None => self.make_zero(func, inst),
                    }
                    true
                }
                None => false,
            },
            Op::Store { ptr, value, mask: Some(mask) } => match self.ranges.truth(mask) {
                Some(true) => {
                    func.insts[inst].op = Op::Store { ptr, value, mask: None };
                    true
                }
                Some(false) => {
                    self.edits.remove(inst);
                    true
                }
                None => false,
            },
            Op::Atomic { op, ptr, value, mask: Some(mask) } => match self.ranges.truth(mask) {
                Some(true) => {
                    func.insts[inst].op = Op::Atomic { op, ptr, value, mask: None };
                    true
                }
                Some(false) => {
                    self.make_zero(func, inst);
                    true
                }
                None => false,
            },
            Op::Assert { cond, .. } if self.ranges.truth(cond) == Some(true) => {
                self.edits.remove(inst);
                true
            }
            Op::Load { mask: None, .. }
            | Op::Store { mask: None, .. }
            | Op::Atomic { mask: None, .. }
            | Op::Assert { .. }
            | Op::Const { .. }
            | Op::ProgramId { .. }
            | Op::NumPrograms { .. }
            | Op::Arange { .. }
            | Op::Splat { .. }
            | Op::ExpandDims { .. }
            | Op::Broadcast { .. }
            | Op::Reshape { .. }
            | Op::Trans { .. }
            | Op::Unary { .. }
            | Op::Cast { .. }
            | Op::PtrAdd { .. }
            | Op::Reduce { .. }
            | Op::Scan { .. }
            | Op::Dot { .. }
            | Op::Fma { .. }
            | Op::Call { .. }
            | Op::For { .. }
            | Op::While { .. }
            | Op::If { .. }
            | Op::Yield { .. }
            | Op::Condition { .. }
            | Op::Return { .. } => false,
        }
    }

    /// A `bool` result proven uniform becomes a constant (unless it already is one).
    fn decided_bool(&mut self, func: &mut Function, inst: Inst) -> bool {
        let result = func.result(inst);
        let Some(truth) = self.ranges.truth(result) else { return false };
        if uniform_constant(func, result).is_some() {
            return false;
        }
        make_constant_in_place(func, &mut self.edits, inst, Constant::Bool(truth));
        true
    }

    /// `and` with an all-true side, or `or` with an all-false side, is the other side.
    fn narrow(
        &mut self,
        func: &Function,
        inst: Inst,
        op: BinaryOp,
        lhs: Value,
        rhs: Value,
    ) -> bool {
        let neutral = match op {
            BinaryOp::And | BinaryOp::Min => true,
            BinaryOp::Or | BinaryOp::Max | BinaryOp::Xor => false,
            BinaryOp::Add
            | BinaryOp::Sub
            | BinaryOp::Mul
            | BinaryOp::Div
            | BinaryOp::Rem
            | BinaryOp::Shl
            | BinaryOp::Shr => return false,
        };
        let kept = if self.ranges.truth(rhs) == Some(neutral) {
            lhs
        } else if self.ranges.truth(lhs) == Some(neutral) {
            rhs
        } else {
            return false;
        };
        self.subst.insert(func.result(inst), kept);
        true
    }

    /// Turns the load or atomic `inst` into zeros of its result type.
    fn make_zero(&mut self, func: &mut Function, inst: Inst) {
        let scalar = scalar_of(func, func.result(inst)).unwrap_or(ScalarType::I32);
        make_constant_in_place(func, &mut self.edits, inst, zero_constant(scalar));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passes::testing::{assert_pass_output, check_pass_on_corpus};

    fn run(text: &str, expected: &str) {
        assert_pass_output(text, expected, |func, _| {
            simplify_masks(func);
        });
    }

    #[test]
    fn drops_arange_below_block_masks() {
        run(
            "kernel @k(%0 \"x\": ptr<f32>, %1 \"y\": ptr<f32>) [BLOCK = 128] {
  %2 = arange 0, 128 : tile<[128], i32>
  %3 = const 128 : i32
  %4 = splat %3 : tile<[128], i32>
  %5 = cmp lt %2, %4 : tile<[128], bool>
  %6 = splat %0 : tile<[128], ptr<f32>>
  %7 = ptr_add %6, %2 : tile<[128], ptr<f32>>
  %8 = const 0.0 : f32
  %9 = splat %8 : tile<[128], f32>
  %10 = load %7, mask %5, other %9 : tile<[128], f32> @1:1
  %11 = splat %1 : tile<[128], ptr<f32>>
  %12 = ptr_add %11, %2 : tile<[128], ptr<f32>>
  store %12, %10, mask %5 @2:1
  return
}
",
            "kernel @k(%0 \"x\": ptr<f32>, %1 \"y\": ptr<f32>) [BLOCK = 128] {
  %2 = arange 0, 128 : tile<[128], i32>
  %3 = const 128 : i32
  %4 = splat %3 : tile<[128], i32>
  %5 = const true : bool
  %6 = splat %5 : tile<[128], bool>
  %7 = splat %0 : tile<[128], ptr<f32>>
  %8 = ptr_add %7, %2 : tile<[128], ptr<f32>>
  %9 = const 0.0 : f32
  %10 = splat %9 : tile<[128], f32>
  %11 = load %8 : tile<[128], f32> @1:1
  %12 = splat %1 : tile<[128], ptr<f32>>
  %13 = ptr_add %12, %2 : tile<[128], ptr<f32>>
  store %13, %11 @2:1
  return
}
",
        );
    }

    #[test]
    fn narrows_conjunctions_to_the_edge_that_can_fail() {
        run(
            "kernel @k(%0 \"y\": ptr<i32>, %1 \"n\": i32) {
  %2 = const 0 : i32
  %3 = const 64 : i32
  %4 = const 16 : i32
  for %5 = %2 to %3 step %4 {
    %6 = arange 0, 16 : tile<[16], i32>
    %7 = splat %5 : tile<[16], i32>
    %8 = add %7, %6 : tile<[16], i32>
    %9 = splat %3 : tile<[16], i32>
    %10 = cmp lt %8, %9 : tile<[16], bool>
    %11 = splat %1 : tile<[16], i32>
    %12 = cmp lt %8, %11 : tile<[16], bool>
    %13 = and %10, %12 : tile<[16], bool>
    %14 = splat %0 : tile<[16], ptr<i32>>
    %15 = ptr_add %14, %8 : tile<[16], ptr<i32>>
    store %15, %8, mask %13 @1:1
    %16 = cmp ge %5, %2 : bool
    assert %16, \"iv is non-negative\" @2:1
    yield
  } @3:1
  return
}
",
            "kernel @k(%0 \"y\": ptr<i32>, %1 \"n\": i32) {
  %2 = const 0 : i32
  %3 = const 64 : i32
  %4 = const 16 : i32
  for %5 = %2 to %3 step %4 {
    %6 = arange 0, 16 : tile<[16], i32>
    %7 = splat %5 : tile<[16], i32>
    %8 = add %7, %6 : tile<[16], i32>
    %9 = splat %3 : tile<[16], i32>
    %10 = const true : bool
    %11 = splat %10 : tile<[16], bool>
    %12 = splat %1 : tile<[16], i32>
    %13 = cmp lt %8, %12 : tile<[16], bool>
    %14 = and %11, %13 : tile<[16], bool>
    %15 = splat %0 : tile<[16], ptr<i32>>
    %16 = ptr_add %15, %8 : tile<[16], ptr<i32>>
    store %16, %8, mask %13 @1:1
    %17 = const true : bool
    yield
  } @3:1
  return
}
",
        );
    }

    #[test]
    fn all_false_masks_remove_memory_accesses() {
        run(
            "kernel @k(%0 \"p\": ptr<f32>) {
  %1 = arange 4, 8 : tile<[4], i32>
  %2 = const 2 : i32
  %3 = splat %2 : tile<[4], i32>
  %4 = cmp lt %1, %3 : tile<[4], bool>
  %5 = splat %0 : tile<[4], ptr<f32>>
  %6 = ptr_add %5, %1 : tile<[4], ptr<f32>>
  %7 = load %6, mask %4 : tile<[4], f32> @1:1
  %8 = atomic add %6, %7, mask %4 : tile<[4], f32> @2:1
  store %6, %8, mask %4 @3:1
  return
}
",
            "kernel @k(%0 \"p\": ptr<f32>) {
  %1 = arange 4, 8 : tile<[4], i32>
  %2 = const 2 : i32
  %3 = splat %2 : tile<[4], i32>
  %4 = const false : bool
  %5 = splat %4 : tile<[4], bool>
  %6 = splat %0 : tile<[4], ptr<f32>>
  %7 = ptr_add %6, %1 : tile<[4], ptr<f32>>
  %8 = const 0.0 : f32
  %9 = splat %8 : tile<[4], f32>
  %10 = const 0.0 : f32
  %11 = splat %10 : tile<[4], f32>
  return
}
",
        );
    }

    #[test]
    fn mask_simplification_preserves_every_corpus_kernel() {
        check_pass_on_corpus("simplify-masks", |func, _| {
            simplify_masks(func);
        });
    }

    #[test]
    fn mask_simplify_preserves_random_programs() {
        crate::passes::random_program::check_pass_on_random_programs(
            "mask_simplify",
            300,
            |func, _| {
                simplify_masks(func);
            },
        );
    }
}
