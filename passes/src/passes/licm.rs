//! Loop-invariant code motion ([`hoist_loop_invariants`]): pure computations that do
//! not depend on a loop's iteration move out of `for` and `while` loops.
//!
//! # Contract
//! - An instruction placed directly in a `for` body, or in a `while` condition or
//!   body, is hoisted when it is pure (`Op::is_pure`), cannot fail, and none of its
//!   operands is defined in that loop: neither a block argument of the loop (the
//!   induction variable, carried values) nor the result of an instruction that stays
//!   in it. Chains of invariant instructions move together, in order, to just before
//!   the loop op in the enclosing block. Address arithmetic (`splat`, `broadcast`,
//!   `mul`, `ptr_add` of loop-invariant pointers and offsets) moves like any pure op.
//! - Loops are processed innermost first, so an invariant of a nest climbs out of every
//!   loop it does not depend on. Instructions inside an `if` in the loop stay put
//!   (they run conditionally).
//! - Hoisting is speculation when the loop runs zero times. That is safe because pure
//!   ops never fail — except a `max`/`min`/`argmax`/`argmin` reduction over an axis of
//!   length 0 (an interpreter error), which is never hoisted. Results are unchanged;
//!   only fewer instructions execute (less fuel).

use std::collections::HashSet;

use tessera_ir::{Block, Function, Inst, Op, ReduceOp, Value};

use super::util::{structured, Structured};

/// Hoists loop-invariant pure instructions of `func` (see the module docs); returns
/// the number of instructions moved (an instruction leaving two loops counts twice).
pub fn hoist_loop_invariants(func: &mut Function) -> usize {
    hoist_in_block(func, func.body)
}

/// Processes the loops nested in `block` (innermost first), then hoists from loops
/// placed directly in `block` into it.
fn hoist_in_block(func: &mut Function, block: Block) -> usize {
    let mut moved = 0;
    for inst in func.blocks[block].insts.clone() {
        for owned in func.insts[inst].op.blocks() {
            moved += hoist_in_block(func, owned);
        }
        let loop_blocks = match structured(&func.insts[inst].op) {
            Some(Structured::For { body, .. }) => vec![body],
            Some(Structured::While { cond, body, .. }) => vec![cond, body],
            Some(Structured::If { .. }) | None => continue,
        };
        moved += hoist_from_loop(func, block, inst, &loop_blocks);
    }
    moved
}

/// Moves the invariant instructions of `loop_blocks` (owned by `loop_inst`, placed in
/// `parent`) to just before `loop_inst`.
fn hoist_from_loop(
    func: &mut Function,
    parent: Block,
    loop_inst: Inst,
    loop_blocks: &[Block],
) -> usize {
    let mut hoisted = Vec::new();
    for &block in loop_blocks {
        let mut variant: HashSet<Value> = func.blocks[block].args.iter().copied().collect();
        let mut kept = Vec::new();
        for inst in func.blocks[block].insts.clone() {
            let data = &func.insts[inst];
            let invariant = data.op.operands().iter().all(|operand| !variant.contains(operand));
            if invariant && is_hoistable(func, &data.op) {
                hoisted.push(inst);
            } else {
                variant.extend(data.results.iter().copied());
                kept.push(inst);
            }
        }
        func.blocks[block].insts = kept;
    }
    let count = hoisted.len();
    if count > 0 {
        let insts = &mut func.blocks[parent].insts;
        let position = insts.iter().position(|&i| i == loop_inst).unwrap_or(insts.len());
        insts.splice(position..position, hoisted);
    }
    count
}

/// Pure and unable to fail (see the module docs).
fn is_hoistable(func: &Function, op: &Op) -> bool {
    if !op.is_pure() {
        return false;
    }
    let Op::Reduce { op: reduce, arg, axis } = op else { return true };
    let extent = func.value_type(*arg).shape.get(*axis as usize).copied().unwrap_or(0);
    match reduce {
        ReduceOp::Sum => true,
        ReduceOp::Max | ReduceOp::Min | ReduceOp::ArgMax | ReduceOp::ArgMin => extent > 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passes::testing::{assert_pass_output, check_pass_on_corpus};

    fn run(text: &str, expected: &str) {
        assert_pass_output(text, expected, |func, _| {
            hoist_loop_invariants(func);
        });
    }

    #[test]
    fn hoists_address_arithmetic_out_of_nested_loops() {
        run(
            "kernel @k(%0 \"p\": ptr<f32>, %1 \"n\": i32, %2 \"s\": i32) {
  %3 = const 0 : i32
  %4 = const 1 : i32
  for %5 = %3 to %1 step %4 {
    %6 = mul %5, %2 : i32
    for %7 = %3 to %1 step %4 {
      %8 = arange 0, 4 : tile<[4], i32>
      %9 = splat %2 : tile<[4], i32>
      %10 = mul %8, %9 : tile<[4], i32>
      %11 = splat %6 : tile<[4], i32>
      %12 = add %10, %11 : tile<[4], i32>
      %13 = splat %0 : tile<[4], ptr<f32>>
      %14 = ptr_add %13, %12 : tile<[4], ptr<f32>>
      %15 = load %14 : tile<[4], f32> @1:1
      %16 = splat %7 : tile<[4], i32>
      %17 = add %12, %16 : tile<[4], i32>
      %18 = ptr_add %13, %17 : tile<[4], ptr<f32>>
      store %18, %15 @2:1
      yield
    } @3:1
    yield
  } @4:1
  return
}
",
            "kernel @k(%0 \"p\": ptr<f32>, %1 \"n\": i32, %2 \"s\": i32) {
  %3 = const 0 : i32
  %4 = const 1 : i32
  %5 = arange 0, 4 : tile<[4], i32>
  %6 = splat %2 : tile<[4], i32>
  %7 = mul %5, %6 : tile<[4], i32>
  %8 = splat %0 : tile<[4], ptr<f32>>
  for %9 = %3 to %1 step %4 {
    %10 = mul %9, %2 : i32
    %11 = splat %10 : tile<[4], i32>
    %12 = add %7, %11 : tile<[4], i32>
    %13 = ptr_add %8, %12 : tile<[4], ptr<f32>>
    for %14 = %3 to %1 step %4 {
      %15 = load %13 : tile<[4], f32> @1:1
      %16 = splat %14 : tile<[4], i32>
      %17 = add %12, %16 : tile<[4], i32>
      %18 = ptr_add %8, %17 : tile<[4], ptr<f32>>
      store %18, %15 @2:1
      yield
    } @3:1
    yield
  } @4:1
  return
}
",
        );
    }

    #[test]
    fn hoists_from_while_conditions_but_not_from_ifs() {
        run(
            "kernel @k(%0 \"p\": ptr<i32>, %1 \"n\": i32) {
  %2 = const 0 : i32
  %3 = while iter(%4 = %2) {
    %5 = const 2 : i32
    %6 = mul %1, %5 : i32
    %7 = cmp lt %4, %6 : bool
    condition %7
  } do (%8) {
    %9 = cmp gt %1, %2 : bool
    %10 = if %9 {
      %11 = const 3 : i32
      yield %11
    } else {
      yield %2
    } : i32
    %12 = add %8, %10 : i32
    yield %12
  } : i32
  store %0, %3 @1:1
  return
}
",
            "kernel @k(%0 \"p\": ptr<i32>, %1 \"n\": i32) {
  %2 = const 0 : i32
  %3 = const 2 : i32
  %4 = mul %1, %3 : i32
  %5 = cmp gt %1, %2 : bool
  %6 = while iter(%7 = %2) {
    %8 = cmp lt %7, %4 : bool
    condition %8
  } do (%9) {
    %10 = if %5 {
      %11 = const 3 : i32
      yield %11
    } else {
      yield %2
    } : i32
    %12 = add %9, %10 : i32
    yield %12
  } : i32
  store %0, %6 @1:1
  return
}
",
        );
    }

    #[test]
    fn licm_preserves_every_corpus_kernel() {
        check_pass_on_corpus("licm", |func, _| {
            hoist_loop_invariants(func);
        });
    }

    #[test]
    fn licm_preserves_random_programs() {
        crate::passes::random_program::check_pass_on_random_programs("licm", 300, |func, _| {
            hoist_loop_invariants(func);
        });
    }
}
