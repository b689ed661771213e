//! Dead code elimination ([`eliminate_dead_code`]): an aggressive liveness analysis
//! (everything is dead until an effect needs it) over all blocks, then a sweep.
//!
//! # Contract
//! - Roots (always kept): `store`, `atomic`, `assert`, `call`, `return`, every
//!   `load`, every `while`, and every `for` that might fail or not terminate.
//!   - **Loads are kept even when unused**: a load out of bounds is a launch error,
//!     and with buffer sizes unknown at compile time we cannot prove one in bounds,
//!     so removing it could turn a failing launch into a succeeding one (Triton drops
//!     them; the interpreter is our oracle). Loads whose mask is all-false never
//!     touch memory; `simplify_masks` removes those.
//!   - A `while` may not terminate (running out of fuel is its observable result), so
//!     it is kept. A `for` is removable only with a constant step `s > 0` and a trip
//!     that ends without the induction variable wrapping: `s == 1`, or a constant
//!     upper bound `u ≤ MAX - s + 1` of its type. Otherwise it is a root.
//! - Everything else is kept only when a kept instruction uses its result, or it
//!   encloses a kept instruction: pure ops, `if`s, removable `for`s.
//! - Loop-carried values and `if` results are tracked slot by slot: slot `i` of a
//!   `for`/`while` (initial value, block arguments, yielded value, result) or of an
//!   `if` (yielded values, result) is live when its result or one of its block
//!   arguments is used by a live instruction. Dead slots are removed from kept loops
//!   and `if`s, with the value table renumbered (verifier S3).
//! - Nothing observable changes: only pure computation and effect-free, terminating
//!   control flow is removed.

use std::collections::HashMap;

use tessera_ir::entity::EntityRef;
use tessera_ir::{Block, Function, Inst, Op, Value, ValueDef};

use super::util::{
    constant_of, int_range, int_value, placed_insts, scalar_of, structured, terminator, yielded,
    BlockTree, Structured,
};

/// Removes dead instructions and dead loop/`if` slots from `func` (see the module
/// docs); returns the number of instructions and slots removed.
pub fn eliminate_dead_code(func: &mut Function) -> usize {
    let liveness = Liveness::compute(func);
    let mut removed = 0;
    for block in liveness.tree.blocks.clone() {
        let before = func.blocks[block].insts.len();
        func.blocks[block]
            .insts
            .retain(|&inst| liveness.live[inst.index()] || func.insts[inst].op.is_terminator());
        removed += before - func.blocks[block].insts.len();
    }
    for (inst, slots) in &liveness.slots {
        if liveness.live[inst.index()] {
            removed += remove_dead_slots(func, *inst, slots);
        }
    }
    removed
}

/// The analysis state: live instructions and live slots of structured ops.
struct Liveness {
    tree: BlockTree,
    live: Vec<bool>,
    slots: HashMap<Inst, Vec<bool>>,
    worklist: Vec<Inst>,
}

impl Liveness {
    fn compute(func: &Function) -> Liveness {
        let mut liveness = Liveness {
            tree: BlockTree::new(func),
            live: vec![false; func.insts.len()],
            slots: HashMap::new(),
            worklist: Vec::new(),
        };
        for inst in placed_insts(func) {
            let data = &func.insts[inst];
            if matches!(data.op, Op::For { .. } | Op::While { .. } | Op::If { .. }) {
                liveness.slots.insert(inst, vec![false; data.results.len()]);
            }
            if is_root(func, inst) {
                liveness.mark_inst(inst);
            }
        }
        while let Some(inst) = liveness.worklist.pop() {
            liveness.visit(func, inst);
        }
        liveness
    }

    /// Marks `inst` live, and the ops enclosing it.
    fn mark_inst(&mut self, inst: Inst) {
        let mut next = Some(inst);
        while let Some(inst) = next {
            if std::mem::replace(&mut self.live[inst.index()], true) {
                return;
            }
            self.worklist.push(inst);
            next = self.tree.block_of(inst).and_then(|block| self.tree.owner(block));
        }
    }

    /// Marks whatever defines `value` as needed.
    fn mark_value(&mut self, func: &Function, value: Value) {
        match func.values[value].def {
            ValueDef::Result(inst, index) => {
                if self.slots.contains_key(&inst) {
                    self.mark_slot(func, inst, index as usize);
                } else {
                    self.mark_inst(inst);
                }
            }
            ValueDef::BlockArg(block, index) => self.mark_block_arg(func, block, index as usize),
        }
    }

    /// A block argument is needed: the loop slot it carries, or a `for`'s bounds.
    fn mark_block_arg(&mut self, func: &Function, block: Block, index: usize) {
        let Some(owner) = self.tree.owner(block) else { return };
        match structured(&func.insts[owner].op) {
            Some(Structured::For { .. }) if index == 0 => self.mark_inst(owner),
            Some(Structured::For { .. }) => self.mark_slot(func, owner, index - 1),
            Some(Structured::While { .. }) => self.mark_slot(func, owner, index),
            Some(Structured::If { .. }) | None => self.mark_inst(owner),
        }
    }

    /// Marks slot `index` of the structured op `inst` live, with the values feeding it.
    fn mark_slot(&mut self, func: &Function, inst: Inst, index: usize) {
        let Some(slot) = self.slots.get_mut(&inst).and_then(|slots| slots.get_mut(index)) else {
            return;
        };
        if std::mem::replace(slot, true) {
            return;
        }
        self.mark_inst(inst);
        let mut feeding: Vec<Value> = Vec::new();
        match structured(&func.insts[inst].op) {
            Some(Structured::For { inits, body, .. } | Structured::While { inits, body, .. }) => {
                feeding.extend(inits.get(index));
                feeding.extend(yielded(func, body).get(index));
            }
            Some(Structured::If { then_block, else_block, .. }) => {
                feeding.extend(yielded(func, then_block).get(index));
                feeding.extend(yielded(func, else_block).get(index));
            }
            None => {}
        }
        for value in feeding {
            self.mark_value(func, value);
        }
    }

    /// Marks what the live `inst` itself needs (slots are handled by `mark_slot`).
    fn visit(&mut self, func: &Function, inst: Inst) {
        let op = &func.insts[inst].op;
        let needed: Vec<Value> = match structured(op) {
            Some(Structured::For { lower, upper, step, .. }) => vec![lower, upper, step],
            Some(Structured::While { cond, .. }) => {
                terminator(func, cond).map(|t| func.insts[t].op.operands()).unwrap_or_default()
            }
            Some(Structured::If { cond, .. }) => vec![cond],
            // A `yield` passes values on slot by slot (see `mark_slot`).
            None if matches!(op, Op::Yield { .. }) => Vec::new(),
            None => op.operands(),
        };
        for value in needed {
            self.mark_value(func, value);
        }
    }
}

/// Whether `inst` must be kept whatever uses it (see the module docs).
fn is_root(func: &Function, inst: Inst) -> bool {
    match &func.insts[inst].op {
        Op::Load { .. }
        | Op::Store { .. }
        | Op::Atomic { .. }
        | Op::Assert { .. }
        | Op::Call { .. }
        | Op::While { .. }
        | Op::Return { .. } => true,
        Op::For { upper, step, .. } => !for_terminates_cleanly(func, *upper, *step),
        Op::Const { .. }
        | Op::ProgramId { .. }
        | Op::NumPrograms { .. }
        | Op::Arange { .. }
        | Op::Splat { .. }
        | Op::ExpandDims { .. }
        | Op::Broadcast { .. }
        | Op::Reshape { .. }
        | Op::Trans { .. }
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
        | Op::If { .. }
        | Op::Yield { .. }
        | Op::Condition { .. } => false,
    }
}

/// Whether a `for` with this upper bound and step neither fails its step check nor
/// wraps its induction variable: constant step `s > 0`, and `s == 1` or a constant
/// upper bound `u ≤ MAX - s + 1`.
pub fn for_terminates_cleanly(func: &Function, upper: Value, step: Value) -> bool {
    let Some(scalar) = scalar_of(func, step) else { return false };
    let Some(step) = constant_of(func, step).and_then(|c| int_value(c, scalar)) else {
        return false;
    };
    if step <= 0 {
        return false;
    }
    if step == 1 {
        return true;
    }
    let upper = constant_of(func, upper).and_then(|c| int_value(c, scalar));
    let max = int_range(scalar).map(|(_, max)| max);
    matches!((upper, max), (Some(upper), Some(max)) if upper <= max - step + 1)
}

/// Removes the dead slots (false in `slots`) of the structured op `inst`; returns how
/// many were removed.
fn remove_dead_slots(func: &mut Function, inst: Inst, slots: &[bool]) -> usize {
    let dead = slots.iter().filter(|&&live| !live).count();
    if dead == 0 {
        return 0;
    }
    let keep = |index: usize| slots.get(index).copied().unwrap_or(true);
    let (arg_blocks, yield_blocks, arg_offset): (Vec<Block>, Vec<Block>, usize) =
        match structured(&func.insts[inst].op) {
            Some(Structured::For { body, .. }) => (vec![body], vec![body], 1),
            Some(Structured::While { cond, body, .. }) => (vec![cond, body], vec![body], 0),
            Some(Structured::If { then_block, else_block, .. }) => {
                (Vec::new(), vec![then_block, else_block], 0)
            }
            None => return 0,
        };
    if let Op::For { inits, .. } | Op::While { inits, .. } = &mut func.insts[inst].op {
        retain_indexed(inits, keep);
    }
    retain_indexed(&mut func.insts[inst].results, keep);
    for (index, &result) in func.insts[inst].results.clone().iter().enumerate() {
        func.values[result].def = ValueDef::Result(inst, index as u32);
    }
    for block in arg_blocks {
        let args = &mut func.blocks[block].args;
        let mut position = 0;
        args.retain(|_| {
            position += 1;
            position - 1 < arg_offset || keep(position - 1 - arg_offset)
        });
        for (index, &arg) in func.blocks[block].args.clone().iter().enumerate() {
            func.values[arg].def = ValueDef::BlockArg(block, index as u32);
        }
    }
    for block in yield_blocks {
        if let Some(terminator) = terminator(func, block) {
            if let Op::Yield { values } = &mut func.insts[terminator].op {
                retain_indexed(values, keep);
            }
        }
    }
    dead
}

/// Keeps the elements of `items` whose index satisfies `keep`.
fn retain_indexed<T>(items: &mut Vec<T>, keep: impl Fn(usize) -> bool) {
    let mut index = 0;
    items.retain(|_| {
        index += 1;
        keep(index - 1)
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passes::testing::{assert_pass_output, check_pass_on_corpus};

    fn run(text: &str, expected: &str) {
        assert_pass_output(text, expected, |func, _| {
            eliminate_dead_code(func);
        });
    }

    #[test]
    fn removes_unused_pure_code_and_keeps_loads() {
        run(
            "kernel @k(%0 \"p\": ptr<f32>, %1 \"x\": f32) {
  %2 = const 2.0 : f32
  %3 = mul %1, %2 : f32
  %4 = load %0 : f32 @1:1
  %5 = const true : bool
  %6 = if %5 {
    %7 = neg %3 : f32
    yield %7
  } else {
    yield %1
  } : f32
  store %0, %1 @2:1
  return
}
",
            "kernel @k(%0 \"p\": ptr<f32>, %1 \"x\": f32) {
  %2 = load %0 : f32 @1:1
  store %0, %1 @2:1
  return
}
",
        );
    }

    #[test]
    fn removes_dead_loop_carried_values_and_dead_loops() {
        run(
            "kernel @k(%0 \"p\": ptr<i32>, %1 \"n\": i32) {
  %2 = const 0 : i32
  %3 = const 1 : i32
  %4, %5 = for %6 = %2 to %1 step %3 iter(%7 = %2, %8 = %3) {
    %9 = add %7, %6 : i32
    %10 = mul %8, %9 : i32
    yield %9, %10
  } : i32, i32 @1:1
  %11 = for %12 = %2 to %1 step %3 iter(%13 = %2) {
    %14 = add %13, %12 : i32
    yield %14
  } : i32 @2:1
  %15 = for %16 = %2 to %1 step %1 iter(%17 = %2) {
    yield %17
  } : i32 @3:1
  store %0, %4 @4:1
  return
}
",
            "kernel @k(%0 \"p\": ptr<i32>, %1 \"n\": i32) {
  %2 = const 0 : i32
  %3 = const 1 : i32
  %4 = for %5 = %2 to %1 step %3 iter(%6 = %2) {
    %7 = add %6, %5 : i32
    yield %7
  } : i32 @1:1
  for %8 = %2 to %1 step %1 {
    yield
  } @3:1
  store %0, %4 @4:1
  return
}
",
        );
    }

    #[test]
    fn keeps_while_loops_and_prunes_their_dead_slots() {
        run(
            "kernel @k(%0 \"p\": ptr<i32>, %1 \"n\": i32) {
  %2 = const 0 : i32
  %3, %4 = while iter(%5 = %2, %6 = %2) {
    %7 = cmp lt %5, %1 : bool
    condition %7
  } do (%8, %9) {
    %10 = const 1 : i32
    %11 = add %8, %10 : i32
    %12 = add %9, %8 : i32
    yield %11, %12
  } : i32, i32
  %13, %14 = while iter(%15 = %2, %16 = %2) {
    %17 = cmp lt %15, %1 : bool
    condition %17
  } do (%18, %19) {
    %20 = const 1 : i32
    %21 = add %18, %20 : i32
    %22 = add %19, %18 : i32
    yield %21, %22
  } : i32, i32
  store %0, %14 @1:1
  return
}
",
            "kernel @k(%0 \"p\": ptr<i32>, %1 \"n\": i32) {
  %2 = const 0 : i32
  %3 = while iter(%4 = %2) {
    %5 = cmp lt %4, %1 : bool
    condition %5
  } do (%6) {
    %7 = const 1 : i32
    %8 = add %6, %7 : i32
    yield %8
  } : i32
  %9, %10 = while iter(%11 = %2, %12 = %2) {
    %13 = cmp lt %11, %1 : bool
    condition %13
  } do (%14, %15) {
    %16 = const 1 : i32
    %17 = add %14, %16 : i32
    %18 = add %15, %14 : i32
    yield %17, %18
  } : i32, i32
  store %0, %10 @1:1
  return
}
",
        );
    }

    #[test]
    fn dce_preserves_every_corpus_kernel() {
        check_pass_on_corpus("dce", |func, _| {
            eliminate_dead_code(func);
        });
    }

    #[test]
    fn dce_preserves_random_programs() {
        crate::passes::random_program::check_pass_on_random_programs("dce", 300, |func, _| {
            eliminate_dead_code(func);
        });
    }
}
