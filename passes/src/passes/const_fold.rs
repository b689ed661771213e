//! Constant folding ([`fold_constants`]): pure computations on constants are computed
//! at compile time, and exact algebraic identities drop operations.
//!
//! # Contract
//! - **Evaluation.** A value is *known* when it is a `const`, or a `splat`,
//!   `broadcast`, `expand_dims`, `reshape` or `trans` of a known value (a uniform
//!   tile), or the result of an elementwise op whose operands are all known: `unary`
//!   (`neg`, `not`, `abs`, `sqrt`, `rsqrt`, `floor`, `ceil`), `binary`, `cmp`,
//!   `select`, `cast` and `fma`. `reduce max`/`min` of a known tile is that value and
//!   `reduce argmax`/`argmin` of one is 0. Every known value that is not already in
//!   canonical constant form (`const`, or `splat` of a `const`) is replaced in place
//!   by its constant (a `splat` of a new `const` for tiles).
//! - Values are computed by launching the expressions on the reference interpreter
//!   (see `const_eval.rs`), so a folded result is bit for bit what a launch computes.
//!   Transcendental functions (`exp`, `exp2`, `log`, `log2`, `sin`, `cos`, `tanh`,
//!   `sigmoid`, `erf`) are not folded: the interpreter takes them from the platform's
//!   libm, and a snapshot of optimized IR must not depend on the machine.
//!   `sqrt`/`rsqrt` are correctly rounded IEEE operations and are folded. Nothing
//!   that can fail at run time is folded (pure ops never fail).
//! - **Identities** (uniform constant `c` on either side of a commutative op, else on
//!   the right), each exact on every input:
//!   integers `x+0`, `x-0`, `x*1`, `x/1`, `x|0`, `x^0`, `x&-1`, shifts by a multiple
//!   of the width → `x`; `x*0`, `x&0`, `x|-1` → `c`; `x%1` (and `x%-1` signed) → 0;
//!   `max(x, MIN)`, `min(x, MAX)` → `x`; `max(x, MAX)`, `min(x, MIN)` → `c`;
//!   `bool` `x&true`, `x|false`, `x^false`, `max(x,false)`, `min(x,true)` → `x` and
//!   `x&false`, `x|true`, `max(x,true)`, `min(x,false)` → `c`;
//!   floats `x*1.0`, `x/1.0`, `x-(+0.0)`, `x+(-0.0)` → `x` (not `x+0.0`: `-0.0+0.0`
//!   is `+0.0`); any type `x&x`, `x|x`, `max(x,x)`, `min(x,x)` → `x`; integers
//!   `x-x`, `x^x` → 0; `select(true, a, b)` → `a`, `select(false, a, b)` → `b`,
//!   `select(c, a, a)` → `a`. Replaced instructions are left for DCE.

use std::collections::HashMap;

use tessera_ir::{BinaryOp, Constant, Function, Inst, Op, ReduceOp, ScalarType, UnaryOp, Value};

use super::const_eval::Evaluator;
use super::util::{
    int_range, int_value, make_constant_in_place, placed_insts, scalar_of, uniform_constant,
    zero_constant, Edits, Substitution,
};

/// Folds constants and identities in `func` (see the module docs); returns the number
/// of instructions rewritten.
pub fn fold_constants(func: &mut Function) -> usize {
    evaluate_constants(func) + apply_identities(func)
}

/// The evaluation half of the contract.
fn evaluate_constants(func: &mut Function) -> usize {
    let mut eval = Evaluator::default();
    // Each known value of `func` and the scalar holding it in the evaluator.
    let mut known: HashMap<Value, Value> = HashMap::new();
    let mut to_rewrite: Vec<Inst> = Vec::new();
    for inst in placed_insts(func) {
        let Some(eval_value) = evaluate_inst(func, inst, &known, &mut eval) else { continue };
        let result = func.result(inst);
        known.insert(result, eval_value);
        if !is_canonical_constant(func, inst) {
            eval.request(eval_value, scalar_of(func, result).unwrap_or(ScalarType::Bool));
            to_rewrite.push(inst);
        }
    }
    if to_rewrite.is_empty() {
        return 0;
    }
    let Some(values) = eval.run() else { return 0 };
    let mut edits = Edits::default();
    for (&inst, &value) in to_rewrite.iter().zip(&values) {
        make_constant_in_place(func, &mut edits, inst, value);
    }
    edits.apply(func);
    to_rewrite.len()
}

/// Whether `inst` is a `const`, or a `splat` of a `const`.
fn is_canonical_constant(func: &Function, inst: Inst) -> bool {
    let op = &func.insts[inst].op;
    if let Op::Splat { value } = op {
        return super::util::constant_of(func, *value).is_some();
    }
    matches!(op, Op::Const { .. })
}

/// Adds `inst` to the evaluator when its result is known; returns its evaluator value.
fn evaluate_inst(
    func: &Function,
    inst: Inst,
    known: &HashMap<Value, Value>,
    eval: &mut Evaluator,
) -> Option<Value> {
    let data = &func.insts[inst];
    let [result] = data.results.as_slice() else { return None };
    let scalar = scalar_of(func, *result)?;
    let get = |value: &Value| known.get(value).copied();
    let mut op = match &data.op {
        Op::Const { value } => return Some(eval.constant(*value, scalar)),
        Op::Splat { value: arg }
        | Op::Broadcast { arg }
        | Op::ExpandDims { arg, .. }
        | Op::Reshape { arg }
        | Op::Trans { arg, .. } => return get(arg),
        Op::Reduce { op, arg, axis } => {
            let extent = func.value_type(*arg).shape.get(*axis as usize).copied();
            let value = get(arg).filter(|_| extent.is_some_and(|n| n > 0))?;
            return match op {
                ReduceOp::Max | ReduceOp::Min => Some(value),
                ReduceOp::ArgMax | ReduceOp::ArgMin => {
                    Some(eval.constant(Constant::Int(0), ScalarType::I32))
                }
                ReduceOp::Sum => None,
            };
        }
        Op::Unary { op, .. } if !is_exact_unary(*op) => return None,
        // The verifier accepts shifts of `bool`s, the interpreter rejects them.
        Op::Binary { op: BinaryOp::Shl | BinaryOp::Shr, .. } if scalar.is_bool() => return None,
        Op::Unary { .. }
        | Op::Binary { .. }
        | Op::Cmp { .. }
        | Op::Select { .. }
        | Op::Cast { .. }
        | Op::Fma { .. } => data.op.clone(),
        Op::ProgramId { .. }
        | Op::NumPrograms { .. }
        | Op::Arange { .. }
        | Op::PtrAdd { .. }
        | Op::Scan { .. }
        | Op::Dot { .. }
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
        | Op::Assert { .. } => return None,
    };
    let mut all_known = true;
    op.map_operands(|value| {
        get(&value).unwrap_or_else(|| {
            all_known = false;
            value
        })
    });
    all_known.then(|| eval.op(op, scalar))
}

/// Unary ops whose result does not depend on the platform's libm.
fn is_exact_unary(op: UnaryOp) -> bool {
    match op {
        UnaryOp::Neg
        | UnaryOp::Not
        | UnaryOp::Abs
        | UnaryOp::Sqrt
        | UnaryOp::Rsqrt
        | UnaryOp::Floor
        | UnaryOp::Ceil => true,
        UnaryOp::Exp
        | UnaryOp::Exp2
        | UnaryOp::Log
        | UnaryOp::Log2
        | UnaryOp::Sin
        | UnaryOp::Cos
        | UnaryOp::Tanh
        | UnaryOp::Sigmoid
        | UnaryOp::Erf => false,
    }
}

/// What an identity replaces an instruction with.
enum Identity {
    /// The result is this existing value.
    Value(Value),
    /// The result is the zero of its type.
    Zero,
}

/// The identity half of the contract.
fn apply_identities(func: &mut Function) -> usize {
    let mut subst = Substitution::default();
    let mut edits = Edits::default();
    let mut rewrites = 0;
    for inst in placed_insts(func) {
        subst.apply_to_op(&mut func.insts[inst].op);
        let Some(identity) = identity_of(func, inst) else { continue };
        rewrites += 1;
        match identity {
            Identity::Value(value) => subst.insert(func.result(inst), value),
            Identity::Zero => {
                let scalar = scalar_of(func, func.result(inst)).unwrap_or(ScalarType::I32);
                make_constant_in_place(func, &mut edits, inst, zero_constant(scalar));
            }
        }
    }
    subst.apply(func);
    edits.apply(func);
    rewrites
}

/// The identity that applies to `inst`, if any.
fn identity_of(func: &Function, inst: Inst) -> Option<Identity> {
    let op = &func.insts[inst].op;
    if let Op::Binary { op, lhs, rhs } = op {
        return binary_identity(func, *op, *lhs, *rhs);
    }
    let Op::Select { cond, on_true, on_false } = op else { return None };
    if on_true == on_false {
        return Some(Identity::Value(*on_true));
    }
    match uniform_constant(func, *cond)? {
        Constant::Bool(true) => Some(Identity::Value(*on_true)),
        Constant::Bool(false) => Some(Identity::Value(*on_false)),
        Constant::Int(_) | Constant::Float(_) => None,
    }
}

/// Identities of `lhs op rhs` (see the module docs).
fn binary_identity(func: &Function, op: BinaryOp, lhs: Value, rhs: Value) -> Option<Identity> {
    let scalar = scalar_of(func, lhs)?;
    if lhs == rhs {
        return same_operand_identity(op, scalar, lhs);
    }
    if let Some(c) = uniform_constant(func, rhs) {
        if let Some(identity) = constant_identity(op, scalar, lhs, rhs, c, true) {
            return Some(identity);
        }
    }
    let c = uniform_constant(func, lhs)?;
    constant_identity(op, scalar, rhs, lhs, c, false)
}

fn same_operand_identity(op: BinaryOp, scalar: ScalarType, x: Value) -> Option<Identity> {
    match op {
        BinaryOp::And | BinaryOp::Or | BinaryOp::Max | BinaryOp::Min => Some(Identity::Value(x)),
        BinaryOp::Sub if scalar.is_int() => Some(Identity::Zero),
        BinaryOp::Xor if scalar.is_int() || scalar.is_bool() => Some(Identity::Zero),
        BinaryOp::Add
        | BinaryOp::Sub
        | BinaryOp::Mul
        | BinaryOp::Div
        | BinaryOp::Rem
        | BinaryOp::Xor
        | BinaryOp::Shl
        | BinaryOp::Shr => None,
    }
}

/// `x op c` (`on_right`) or `c op x`, where `c_value` holds the uniform constant `c`.
fn constant_identity(
    op: BinaryOp,
    scalar: ScalarType,
    x: Value,
    c_value: Value,
    c: Constant,
    on_right: bool,
) -> Option<Identity> {
    let commutative = matches!(
        op,
        BinaryOp::Add
            | BinaryOp::Mul
            | BinaryOp::And
            | BinaryOp::Or
            | BinaryOp::Xor
            | BinaryOp::Max
            | BinaryOp::Min
    );
    if !on_right && !commutative {
        return None;
    }
    let keep = Some(Identity::Value(x));
    let constant = Some(Identity::Value(c_value));
    match c {
        Constant::Bool(b) => match (op, b) {
            (BinaryOp::And | BinaryOp::Min, true)
            | (BinaryOp::Or | BinaryOp::Xor | BinaryOp::Max, false) => keep,
            (BinaryOp::And | BinaryOp::Min, false) | (BinaryOp::Or | BinaryOp::Max, true) => {
                constant
            }
            (BinaryOp::Xor, true)
            | (
                BinaryOp::Add
                | BinaryOp::Sub
                | BinaryOp::Mul
                | BinaryOp::Div
                | BinaryOp::Rem
                | BinaryOp::Shl
                | BinaryOp::Shr,
                _,
            ) => None,
        },
        Constant::Int(_) => int_identity(op, scalar, c).map(|kind| match kind {
            IntIdentity::Keep => Identity::Value(x),
            IntIdentity::Constant => Identity::Value(c_value),
            IntIdentity::Zero => Identity::Zero,
        }),
        Constant::Float(f) => {
            let applies = match op {
                BinaryOp::Mul | BinaryOp::Div => f == 1.0,
                BinaryOp::Sub => f.to_bits() == 0.0f64.to_bits(),
                BinaryOp::Add => f.to_bits() == (-0.0f64).to_bits(),
                BinaryOp::Rem
                | BinaryOp::And
                | BinaryOp::Or
                | BinaryOp::Xor
                | BinaryOp::Shl
                | BinaryOp::Shr
                | BinaryOp::Max
                | BinaryOp::Min => false,
            };
            if applies {
                keep
            } else {
                None
            }
        }
    }
}

/// The result of an integer identity `x op c`.
enum IntIdentity {
    Keep,
    Constant,
    Zero,
}

/// The integer identities (see the module docs) for `x op c`.
fn int_identity(op: BinaryOp, scalar: ScalarType, c: Constant) -> Option<IntIdentity> {
    let value = int_value(c, scalar)?;
    let (min, max) = int_range(scalar)?;
    let all_ones = if scalar.is_signed_int() { -1 } else { max };
    match op {
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Xor => (value == 0).then_some(IntIdentity::Keep),
        BinaryOp::Mul if value == 0 => Some(IntIdentity::Constant),
        BinaryOp::Mul | BinaryOp::Div => (value == 1).then_some(IntIdentity::Keep),
        BinaryOp::Rem => {
            let unit = value == 1 || (value == -1 && scalar.is_signed_int());
            unit.then_some(IntIdentity::Zero)
        }
        BinaryOp::And if value == 0 => Some(IntIdentity::Constant),
        BinaryOp::And => (value == all_ones).then_some(IntIdentity::Keep),
        BinaryOp::Or if value == all_ones => Some(IntIdentity::Constant),
        BinaryOp::Or => (value == 0).then_some(IntIdentity::Keep),
        BinaryOp::Shl | BinaryOp::Shr => {
            let width_multiple = (value as u64) & u64::from(scalar.bits() - 1) == 0;
            width_multiple.then_some(IntIdentity::Keep)
        }
        BinaryOp::Max if value == max => Some(IntIdentity::Constant),
        BinaryOp::Max => (value == min).then_some(IntIdentity::Keep),
        BinaryOp::Min if value == min => Some(IntIdentity::Constant),
        BinaryOp::Min => (value == max).then_some(IntIdentity::Keep),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passes::testing::{
        assert_pass_output, assert_same_outputs, check_pass_on_corpus, special_buffer,
        special_values, KernelBuilder,
    };
    use tessera_ir::interp::KernelArg;
    use tessera_ir::Type;

    fn run(text: &str, expected: &str) {
        assert_pass_output(text, expected, |func, _| {
            fold_constants(func);
        });
    }

    #[test]
    fn folds_scalar_and_splat_arithmetic_exactly() {
        run(
            "kernel @k(%0 \"p\": ptr<f32>, %1 \"q\": ptr<i32>) {
  %2 = const 0.1 : f32
  %3 = const 3.0 : f32
  %4 = mul %2, %3 : f32
  %5 = splat %4 : tile<[4], f32>
  %6 = sqrt %5 : tile<[4], f32>
  %7 = exp %6 : tile<[4], f32>
  %8 = reduce max %7, axis 0 : f32
  store %0, %8 @1:1
  %9 = const -2147483648 : i32
  %10 = const -1 : i32
  %11 = div %9, %10 : i32
  %12 = cast %4 : i32
  %13 = add %11, %12 : i32
  store %1, %13 @2:1
  return
}
",
            "kernel @k(%0 \"p\": ptr<f32>, %1 \"q\": ptr<i32>) {
  %2 = const 0.1 : f32
  %3 = const 3.0 : f32
  %4 = const 0.3 : f32
  %5 = const 0.3 : f32
  %6 = splat %5 : tile<[4], f32>
  %7 = const 0.5477226 : f32
  %8 = splat %7 : tile<[4], f32>
  %9 = exp %8 : tile<[4], f32>
  %10 = reduce max %9, axis 0 : f32
  store %0, %10 @1:1
  %11 = const -2147483648 : i32
  %12 = const -1 : i32
  %13 = const -2147483648 : i32
  %14 = const 0 : i32
  %15 = const -2147483648 : i32
  store %1, %15 @2:1
  return
}
",
        );
    }

    #[test]
    fn applies_exact_identities_only() {
        run(
            "kernel @k(%0 \"p\": ptr<f32>, %1 \"x\": f32, %2 \"i\": i32, %3 \"q\": ptr<i32>) {
  %4 = const 0.0 : f32
  %5 = add %1, %4 : f32
  %6 = const -0.0 : f32
  %7 = add %5, %6 : f32
  %8 = const 1.0 : f32
  %9 = mul %8, %7 : f32
  store %0, %9 @1:1
  %10 = const 0 : i32
  %11 = mul %2, %10 : i32
  %12 = const 32 : i32
  %13 = shl %2, %12 : i32
  %14 = sub %13, %13 : i32
  %15 = add %11, %14 : i32
  %16 = max %15, %15 : i32
  store %3, %16 @2:1
  return
}
",
            "kernel @k(%0 \"p\": ptr<f32>, %1 \"x\": f32, %2 \"i\": i32, %3 \"q\": ptr<i32>) {
  %4 = const 0.0 : f32
  %5 = add %1, %4 : f32
  %6 = const -0.0 : f32
  %7 = add %5, %6 : f32
  %8 = const 1.0 : f32
  %9 = mul %8, %5 : f32
  store %0, %5 @1:1
  %10 = const 0 : i32
  %11 = mul %2, %10 : i32
  %12 = const 32 : i32
  %13 = shl %2, %12 : i32
  %14 = const 0 : i32
  %15 = add %10, %14 : i32
  %16 = max %10, %10 : i32
  store %3, %10 @2:1
  return
}
",
        );
    }

    #[test]
    fn folds_selects_and_keeps_transcendentals() {
        run(
            "kernel @k(%0 \"p\": ptr<f32>, %1 \"x\": tile<[4], f32>) {
  %2 = const true : bool
  %3 = splat %2 : tile<[4], bool>
  %4 = log %1 : tile<[4], f32>
  %5 = select %3, %4, %1 : tile<[4], f32>
  %6 = reduce sum %5, axis 0 : f32
  store %0, %6 @1:1
  return
}
",
            "kernel @k(%0 \"p\": ptr<f32>, %1 \"x\": tile<[4], f32>) {
  %2 = const true : bool
  %3 = splat %2 : tile<[4], bool>
  %4 = log %1 : tile<[4], f32>
  %5 = select %3, %4, %1 : tile<[4], f32>
  %6 = reduce sum %4, axis 0 : f32
  store %0, %6 @1:1
  return
}
",
        );
    }

    /// The binary ops the verifier accepts on `scalar`.
    fn binary_ops(scalar: ScalarType) -> Vec<BinaryOp> {
        BinaryOp::ALL
            .into_iter()
            .filter(|op| match op {
                // The interpreter rejects shifts of `bool` (the verifier lets them pass).
                BinaryOp::Shl | BinaryOp::Shr => scalar.is_int(),
                _ if op.is_bitwise() => !scalar.is_float(),
                _ => !scalar.is_bool(),
            })
            .collect()
    }

    /// The unary ops the verifier accepts on `scalar`.
    fn unary_ops(scalar: ScalarType) -> Vec<UnaryOp> {
        UnaryOp::ALL
            .into_iter()
            .filter(|op| match op {
                UnaryOp::Not => !scalar.is_float(),
                UnaryOp::Neg | UnaryOp::Abs => !scalar.is_bool(),
                _ => scalar.is_float(),
            })
            .collect()
    }

    /// `x op c` and `c op x` for every binary op and special constant `c`, and `x op x`,
    /// on a tile `x` of special values: the identities must not change a bit.
    #[test]
    fn identities_are_exact_on_special_values() {
        for scalar in ScalarType::ALL {
            let tile = Type::tile(vec![64], scalar);
            let mut kernel = KernelBuilder::default();
            let x_ptr = kernel.param(Type::ptr(scalar));
            let x = kernel.load_tile(x_ptr, 64);
            for op in binary_ops(scalar) {
                for c in special_values(scalar) {
                    let c = kernel.inst(Op::Const { value: c }, Type::scalar(scalar));
                    let c = kernel.inst(Op::Splat { value: c }, tile.clone());
                    for (lhs, rhs) in [(x, c), (c, x)] {
                        let result = kernel.inst(Op::Binary { op, lhs, rhs }, tile.clone());
                        kernel.output(result);
                    }
                }
                let same = kernel.inst(Op::Binary { op, lhs: x, rhs: x }, tile.clone());
                kernel.output(same);
            }
            let input = KernelArg::Buffer(special_buffer(scalar, 64));
            let (module, args) = kernel.finish(vec![input]);
            let mut folded = module.clone();
            let rewrites = fold_constants(&mut folded.functions[0]);
            tessera_ir::verify_module(&folded).unwrap_or_else(|e| panic!("{scalar}: {e}"));
            assert!(rewrites > 0, "{scalar}: no identity applied");
            assert_same_outputs(&format!("identities on {scalar}"), &module, &folded, args);
        }
    }

    /// Every unary, binary, comparison and cast of special constants is folded, to
    /// exactly what the interpreter computes (transcendental functions excepted).
    #[test]
    fn evaluation_is_exact_on_special_values() {
        for scalar in ScalarType::ALL {
            let mut kernel = KernelBuilder::default();
            let ty = Type::scalar(scalar);
            let specials = special_values(scalar);
            let consts: Vec<Value> =
                specials.iter().map(|&c| kernel.inst(Op::Const { value: c }, ty.clone())).collect();
            let mut expected_folds = 0;
            for &a in &consts {
                for op in unary_ops(scalar) {
                    let result = kernel.inst(Op::Unary { op, arg: a }, ty.clone());
                    kernel.output(result);
                    expected_folds += usize::from(is_exact_unary(op));
                }
                for to in ScalarType::ALL {
                    let result = kernel.inst(Op::Cast { arg: a }, Type::scalar(to));
                    kernel.output(result);
                    expected_folds += 1;
                }
                for &b in &consts {
                    for op in binary_ops(scalar) {
                        let result = kernel.inst(Op::Binary { op, lhs: a, rhs: b }, ty.clone());
                        kernel.output(result);
                        expected_folds += 1;
                    }
                    for pred in tessera_ir::CmpPred::ALL {
                        let bool_ty = Type::scalar(ScalarType::Bool);
                        let result = kernel.inst(Op::Cmp { pred, lhs: a, rhs: b }, bool_ty);
                        kernel.output(result);
                        expected_folds += 1;
                    }
                }
            }
            let (module, args) = kernel.finish(Vec::new());
            let mut folded = module.clone();
            let rewrites = evaluate_constants(&mut folded.functions[0]);
            tessera_ir::verify_module(&folded).unwrap_or_else(|e| panic!("{scalar}: {e}"));
            assert_eq!(rewrites, expected_folds, "{scalar}");
            assert_same_outputs(&format!("evaluation on {scalar}"), &module, &folded, args);
        }
    }

    #[test]
    fn folding_preserves_every_corpus_kernel() {
        check_pass_on_corpus("const-fold", |func, _| {
            fold_constants(func);
        });
    }

    #[test]
    fn const_fold_preserves_random_programs() {
        crate::passes::random_program::check_pass_on_random_programs(
            "const_fold",
            300,
            |func, _| {
                fold_constants(func);
            },
        );
    }
}
