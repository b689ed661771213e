//! Common subexpression elimination ([`eliminate_common_subexpressions`]), scoped by
//! dominance over the structured blocks.
//!
//! # Contract
//! - Two pure instructions (`Op::is_pure`) are the same computation when their ops are
//!   structurally equal (same op, attributes and operands, after earlier
//!   replacements) and their result types are equal. Operands of commutative ops
//!   (`add`, `mul`, `and`, `or`, `xor`, `max`, `min`) compare in either order, and
//!   `cmp` with the mirrored predicate (`b > a` is `a < b`). Constants compare by
//!   bits, so `-0.0` and `+0.0`, or two NaN payloads, are never merged.
//! - The later of two equal instructions is replaced by the earlier one only when the
//!   earlier one is visible at the later one: defined earlier in the same block or in
//!   an enclosing block before the op owning it (verifier D1). A value from a nested
//!   block (inside an `if` branch or a loop body) never replaces one outside it, nor
//!   one in a sibling block.
//! - Pure ops are deterministic and never fail, so replacing a recomputation by the
//!   earlier result changes no bit. Loads, atomics and calls are never merged (memory
//!   may change in between). Replaced instructions are detached.

use std::collections::HashMap;

use tessera_ir::{Block, Function, Op, Type, Value};

use super::canonicalize::{is_commutative, mirror};
use super::util::{ConstKey, Substitution};

/// Merges equal pure computations of `func` (see the module docs); returns the
/// number of instructions removed.
pub fn eliminate_common_subexpressions(func: &mut Function) -> usize {
    let mut cse =
        Cse { available: HashMap::new(), undo: Vec::new(), subst: Substitution::default() };
    let removed = cse.block(func, func.body);
    cse.subst.apply(func);
    removed
}

/// What makes two instructions the same computation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    /// A constant by its bits, and its type.
    Const(ConstKey, Type),
    /// Any other pure op (which holds no floats) and its result types.
    Op(Op, Vec<Type>),
}

/// The walk state: the computations available at the current point, and how to
/// forget the ones of a block when leaving it.
struct Cse {
    available: HashMap<Key, Vec<Value>>,
    /// Keys added in each open block, removed when the block closes.
    undo: Vec<Key>,
    subst: Substitution,
}

impl Cse {
    /// Processes `block` and the blocks nested in it; returns the number of
    /// instructions removed.
    fn block(&mut self, func: &mut Function, block: Block) -> usize {
        let scope_start = self.undo.len();
        let mut removed = 0;
        let insts = func.blocks[block].insts.clone();
        let mut kept = Vec::with_capacity(insts.len());
        for inst in insts {
            self.subst.apply_to_op(&mut func.insts[inst].op);
            let data = &func.insts[inst];
            if data.op.is_pure() {
                let key = key_of(func, &data.op, &data.results);
                if let Some(existing) = self.available.get(&key) {
                    for (&old, &new) in data.results.iter().zip(existing) {
                        self.subst.insert(old, new);
                    }
                    removed += 1;
                    continue;
                }
                self.available.insert(key.clone(), data.results.clone());
                self.undo.push(key);
            }
            for owned in func.insts[inst].op.blocks() {
                removed += self.block(func, owned);
            }
            kept.push(inst);
        }
        func.blocks[block].insts = kept;
        for key in self.undo.drain(scope_start..) {
            self.available.remove(&key);
        }
        removed
    }
}

/// The key of a pure op: constants by bits; commutative ops and comparisons with their
/// operands in a fixed order (`b + a` is `a + b`, `b > a` is `a < b`).
fn key_of(func: &Function, op: &Op, results: &[Value]) -> Key {
    let types: Vec<Type> = results.iter().map(|&r| func.value_type(r).clone()).collect();
    let mut op = op.clone();
    if let Op::Binary { op, lhs, rhs } = &mut op {
        if is_commutative(*op) && *lhs > *rhs {
            std::mem::swap(lhs, rhs);
        }
    }
    if let Op::Cmp { pred, lhs, rhs } = &mut op {
        if *lhs > *rhs {
            *pred = mirror(*pred);
            std::mem::swap(lhs, rhs);
        }
    }
    if let Op::Const { value } = &op {
        let ty =
            types.into_iter().next().unwrap_or_else(|| Type::scalar(tessera_ir::ScalarType::Bool));
        return Key::Const(ConstKey::of(*value), ty);
    }
    Key::Op(op, types)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passes::testing::{assert_pass_output, check_pass_on_corpus};

    fn run(text: &str, expected: &str) {
        assert_pass_output(text, expected, |func, _| {
            eliminate_common_subexpressions(func);
        });
    }

    #[test]
    fn merges_equal_pure_ops_and_respects_dominance() {
        run(
            "kernel @k(%0 \"p\": ptr<f32>, %1 \"x\": f32, %2 \"c\": bool) {
  %3 = const 0.0 : f32
  %4 = const -0.0 : f32
  %5 = const 0.0 : f32
  %6 = add %1, %3 : f32
  %7 = add %1, %5 : f32
  %8 = add %1, %4 : f32
  %9 = if %2 {
    %10 = add %1, %3 : f32
    %11 = mul %10, %10 : f32
    yield %11
  } else {
    %12 = mul %6, %6 : f32
    yield %12
  } : f32
  %13 = mul %6, %6 : f32
  %14 = load %0 : f32 @1:1
  %15 = load %0 : f32 @2:1
  %16 = add %7, %8 : f32
  %17 = add %9, %13 : f32
  %18 = add %16, %17 : f32
  %19 = add %14, %15 : f32
  %20 = add %18, %19 : f32
  store %0, %20 @3:1
  return
}
",
            "kernel @k(%0 \"p\": ptr<f32>, %1 \"x\": f32, %2 \"c\": bool) {
  %3 = const 0.0 : f32
  %4 = const -0.0 : f32
  %5 = add %1, %3 : f32
  %6 = add %1, %4 : f32
  %7 = if %2 {
    %8 = mul %5, %5 : f32
    yield %8
  } else {
    %9 = mul %5, %5 : f32
    yield %9
  } : f32
  %10 = mul %5, %5 : f32
  %11 = load %0 : f32 @1:1
  %12 = load %0 : f32 @2:1
  %13 = add %5, %6 : f32
  %14 = add %7, %10 : f32
  %15 = add %13, %14 : f32
  %16 = add %11, %12 : f32
  %17 = add %15, %16 : f32
  store %0, %17 @3:1
  return
}
",
        );
    }

    #[test]
    fn merges_commuted_operands_and_mirrored_comparisons() {
        run(
            "kernel @k(%0 \"p\": ptr<i32>, %1 \"x\": i32, %2 \"y\": i32) {
  %3 = add %1, %2 : i32
  %4 = add %2, %1 : i32
  %5 = sub %2, %1 : i32
  %6 = cmp lt %1, %2 : bool
  %7 = cmp gt %2, %1 : bool
  %8 = cast %6 : i32
  %9 = cast %7 : i32
  %10 = add %3, %4 : i32
  %11 = add %10, %5 : i32
  %12 = add %8, %9 : i32
  %13 = add %11, %12 : i32
  store %0, %13 @1:1
  return
}
",
            "kernel @k(%0 \"p\": ptr<i32>, %1 \"x\": i32, %2 \"y\": i32) {
  %3 = add %1, %2 : i32
  %4 = sub %2, %1 : i32
  %5 = cmp lt %1, %2 : bool
  %6 = cast %5 : i32
  %7 = add %3, %3 : i32
  %8 = add %7, %4 : i32
  %9 = add %6, %6 : i32
  %10 = add %8, %9 : i32
  store %0, %10 @1:1
  return
}
",
        );
    }

    #[test]
    fn cse_preserves_every_corpus_kernel() {
        check_pass_on_corpus("cse", |func, _| {
            eliminate_common_subexpressions(func);
        });
    }

    #[test]
    fn cse_preserves_random_programs() {
        crate::passes::random_program::check_pass_on_random_programs("cse", 300, |func, _| {
            eliminate_common_subexpressions(func);
        });
    }
}
