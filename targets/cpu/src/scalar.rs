//! The scalar semantics layer: what every element op computes, emitted into a
//! [`FunctionBuilder`] on values in the representation of [`crate::types`].
//!
//! # Contract
//!
//! Each emitter reproduces the reference interpreter (`tessera_ir::interp`, the ground
//! truth) bit for bit, for every op and dtype the interpreter defines, with two
//! freedoms: which NaN a NaN result is (payload and sign, which the interpreter leaves
//! unspecified), and f32 math functions (`exp`, `log`, `sin`, `tanh`, `erf`, ...), which
//! are [`crate::math`]'s vectorized polynomials (lane 0 of them), within 2 ulp of the
//! exact result rather than rounded once. In particular: integers wrap, divide by the
//! RISC-V rules (`x / 0` is all ones, `x % 0` is `x`, `MIN / -1` is `MIN`, `MIN % -1` is
//! 0, never a trap) and shift modulo the width; f16/bf16 arithmetic is done in f32 and
//! rounded once to nearest-even; f32/f64 are native IEEE; f16/bf16/f64 math functions
//! are the interpreter's f64 formulas rounded once; `max`/`min` on floats propagate NaN and
//! order `-0.0 < +0.0`; casts truncate and saturate float → int (NaN → 0) and round
//! to nearest-even otherwise.
//!
//! Operands must have the Cranelift type of their IR type ([`crate::types::clif_type`]).
//! An op the verifier rejects on a dtype (`exp` of an integer, `add` of bools, `dot` of
//! u8, ...) never panics: it emits valid code computing an unspecified value of the
//! result's type (the first operand, or the accumulator).
//!
//! Reductions are built from steps the caller folds in the interpreter's order
//! (`interp/reduce.rs`): `sum` accumulates in [`sum_acc_type`] from the first element
//! (or from [`sum_identity`], `-0.0`, which gives the same result) and rounds once with
//! [`from_acc`]; `max`/`min` fold [`max_step`]/[`min_step`]; `argmax`/`argmin` keep the
//! first index where [`arg_better`] holds; `dot` folds [`dot_step`] over `k` ascending.
//! The tests (`tests/scalar_ops.rs`) check every emitter against the interpreter
//! (`tests/math_ulp.rs` the f32 math functions against f64 references).
//!
//! # Inline or helper
//!
//! Inline: integer and bool ops, f32/f64 `+ - * /`, `max`/`min`, `neg`, `abs`, `floor`,
//! `ceil`, `sqrt` (correctly rounded in f32 then narrowed, which is the same single
//! rounding for halves), `fma` on f32/f64 (Cranelift's `fma`), comparisons, half ↔ f32
//! conversions (bit manipulation), f32 math functions ([`crate::math`], which calls the
//! f64 helper only for `sin`/`cos` beyond 2^20), and every cast except the two below.
//! Through the [`crate::runtime`] helpers: the other math functions on f16/bf16/f64
//! (`exp`, `exp2`, `log`, `log2`, `rsqrt`, `sin`, `cos`, `tanh`, `sigmoid`, `erf`), `%`
//! on floats (`fmod`), `fma` on halves, f64 → half casts, and 32/64-bit integer → half
//! casts. Half-precision bit
//! manipulation lives in `scalar/half.rs`, casts in `scalar/convert.rs`.

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::immediates::{Ieee32, Ieee64};
use cranelift_codegen::ir::{types, FuncRef, InstBuilder, MemFlagsData, Type as ClifType, Value};
use cranelift_frontend::FunctionBuilder;
use tessera_ir::interp::Scalar;
use tessera_ir::{AtomicOp, BinaryOp, CmpPred, ReduceOp, ScalarType, UnaryOp};

use crate::runtime::{unary_code, Helpers};

mod convert;
mod half;

use half::Half;

/// The value `value` as a constant (bit-exact, NaN payloads included).
pub fn constant(b: &mut FunctionBuilder, value: Scalar) -> Value {
    match value {
        Scalar::Bool(x) => iconst(b, types::I8, i64::from(x)),
        Scalar::I8(x) => iconst(b, types::I8, i64::from(x)),
        Scalar::I16(x) => iconst(b, types::I16, i64::from(x)),
        Scalar::I32(x) => iconst(b, types::I32, i64::from(x)),
        Scalar::I64(x) => iconst(b, types::I64, x),
        Scalar::U8(x) => iconst(b, types::I8, i64::from(x)),
        Scalar::U16(x) => iconst(b, types::I16, i64::from(x)),
        Scalar::U32(x) => iconst(b, types::I32, i64::from(x)),
        Scalar::U64(x) => iconst(b, types::I64, x as i64),
        Scalar::F16(x) => iconst(b, types::I16, i64::from(x.to_bits())),
        Scalar::BF16(x) => iconst(b, types::I16, i64::from(x.to_bits())),
        Scalar::F32(x) => b.ins().f32const(Ieee32::with_bits(x.to_bits())),
        Scalar::F64(x) => b.ins().f64const(Ieee64::with_bits(x.to_bits())),
    }
}

/// The additive identity of the accumulator type `acc_t` to start a `sum` or `cumsum`
/// from: `-0.0` for floats (so a lane of `-0.0`s sums to `-0.0`, as the interpreter's
/// sum, which starts from the first element, does), 0 for integers.
pub fn sum_identity(b: &mut FunctionBuilder, acc_t: ScalarType) -> Value {
    match kind(acc_t) {
        Kind::Bool | Kind::Int { .. } => iconst(b, clif_type_of(acc_t), 0),
        Kind::Half(_) => iconst(b, types::I16, 0x8000),
        Kind::Float(ty) if ty == types::F32 => b.ins().f32const(-0.0),
        Kind::Float(_) => b.ins().f64const(-0.0),
    }
}

/// `op x` for an element of type `t`.
pub fn unary(b: &mut FunctionBuilder, h: &Helpers, op: UnaryOp, t: ScalarType, x: Value) -> Value {
    let form = unary_form(op);
    match kind(t) {
        Kind::Bool => match form {
            UnaryForm::Not => not_bool(b, x),
            UnaryForm::Neg
            | UnaryForm::Abs
            | UnaryForm::Floor
            | UnaryForm::Ceil
            | UnaryForm::Sqrt
            | UnaryForm::Math => x,
        },
        Kind::Int { signed } => match form {
            UnaryForm::Neg => b.ins().ineg(x),
            UnaryForm::Not => b.ins().bnot(x),
            UnaryForm::Abs if signed => b.ins().iabs(x),
            UnaryForm::Abs
            | UnaryForm::Floor
            | UnaryForm::Ceil
            | UnaryForm::Sqrt
            | UnaryForm::Math => x,
        },
        Kind::Half(half) => half::unary(b, h, op, form, half, x),
        Kind::Float(ty) => unary_float(b, h, op, form, ty, x),
    }
}

/// `x op y` for elements of type `t`.
pub fn binary(
    b: &mut FunctionBuilder,
    h: &Helpers,
    op: BinaryOp,
    t: ScalarType,
    x: Value,
    y: Value,
) -> Value {
    match kind(t) {
        Kind::Bool => binary_bool(b, op, x, y),
        Kind::Int { signed } => binary_int(b, op, signed, x, y),
        Kind::Half(half) => half::binary(b, h, op, half, x, y),
        Kind::Float(ty) => binary_float(b, h, op, ty, x, y),
    }
}

/// `x pred y` for operands of type `t`, as a bool (`i8` 0 or 1): signed or unsigned by
/// `t`, `false < true`, IEEE for floats (false with a NaN except `ne`, `-0.0 == +0.0`).
pub fn cmp(b: &mut FunctionBuilder, pred: CmpPred, t: ScalarType, x: Value, y: Value) -> Value {
    match kind(t) {
        Kind::Bool => b.ins().icmp(int_cc(pred, false), x, y),
        Kind::Int { signed } => b.ins().icmp(int_cc(pred, signed), x, y),
        Kind::Half(half) => half::cmp(b, pred, half, x, y),
        Kind::Float(_) => b.ins().fcmp(float_cc(pred), x, y),
    }
}

/// `cond ? x : y` for a bool `cond`; `x` and `y` of any one type.
pub fn select(b: &mut FunctionBuilder, cond: Value, x: Value, y: Value) -> Value {
    b.ins().select(cond, x, y)
}

/// `x` of type `from` converted to `to` by the interpreter's cast rules.
pub fn cast(
    b: &mut FunctionBuilder,
    h: &Helpers,
    from: ScalarType,
    to: ScalarType,
    x: Value,
) -> Value {
    convert::cast(b, h, from, to, x)
}

/// `x * y + z` rounded once, for a float type `t`.
pub fn fma(
    b: &mut FunctionBuilder,
    h: &Helpers,
    t: ScalarType,
    x: Value,
    y: Value,
    z: Value,
) -> Value {
    match kind(t) {
        Kind::Bool | Kind::Int { .. } => z,
        Kind::Half(Half::F16) => call(b, h.fma_f16, &[x, y, z]),
        Kind::Half(Half::BF16) => call(b, h.fma_bf16, &[x, y, z]),
        Kind::Float(_) => b.ins().fma(x, y, z),
    }
}

/// The type `sum` and `cumsum` accumulate elements of type `t` in: f32 for f16/bf16,
/// otherwise `t` itself.
pub fn sum_acc_type(t: ScalarType) -> ScalarType {
    match kind(t) {
        Kind::Half(_) => ScalarType::F32,
        Kind::Bool | Kind::Int { .. } | Kind::Float(_) => t,
    }
}

/// An element `x` of type `t` exactly in [`sum_acc_type`]`(t)`.
pub fn to_acc(b: &mut FunctionBuilder, _h: &Helpers, t: ScalarType, x: Value) -> Value {
    match kind(t) {
        Kind::Half(half) => half::to_f32(b, half, x),
        Kind::Bool | Kind::Int { .. } | Kind::Float(_) => x,
    }
}

/// One step of `sum`/`cumsum`: `acc + x`, both of the accumulator type `acc_t`
/// (wrapping for integers, rounded in `acc_t` for floats).
///
/// The interpreter's sum starts from the first element, not from zero: start from
/// `to_acc(x0)` or from [`sum_identity`], never from `+0.0`.
pub fn sum_step(
    b: &mut FunctionBuilder,
    h: &Helpers,
    acc_t: ScalarType,
    acc: Value,
    x: Value,
) -> Value {
    binary(b, h, BinaryOp::Add, acc_t, acc, x)
}

/// A `sum` accumulator `acc` rounded once to the element type `t` (also each `cumsum`
/// output).
pub fn from_acc(b: &mut FunctionBuilder, _h: &Helpers, t: ScalarType, acc: Value) -> Value {
    match kind(t) {
        Kind::Half(half) => half::from_f32(b, half, acc),
        Kind::Bool | Kind::Int { .. } | Kind::Float(_) => acc,
    }
}

/// One step of the `max` reduction: `maximum(acc, x)` (NaN sticks, `-0.0 < +0.0`;
/// `or` on bools).
pub fn max_step(b: &mut FunctionBuilder, t: ScalarType, acc: Value, x: Value) -> Value {
    extreme(b, Extreme::Max, t, acc, x)
}

/// One step of the `min` reduction: `minimum(acc, x)` (`and` on bools).
pub fn min_step(b: &mut FunctionBuilder, t: ScalarType, acc: Value, x: Value) -> Value {
    extreme(b, Extreme::Min, t, acc, x)
}

/// For `argmax`/`argmin` scanning in index order: whether the element `x` replaces the
/// current extreme `best` (a bool). Strict, so the first extreme index wins; floats use
/// the order of `maximum` (`-0.0 < +0.0`), a NaN is the extreme and the first NaN is
/// never replaced. Gives false for `sum`, `max` and `min`.
pub fn arg_better(
    b: &mut FunctionBuilder,
    op: ReduceOp,
    t: ScalarType,
    x: Value,
    best: Value,
) -> Value {
    let extreme = match op {
        ReduceOp::ArgMax => Extreme::Max,
        ReduceOp::ArgMin => Extreme::Min,
        ReduceOp::Sum | ReduceOp::Max | ReduceOp::Min => return iconst(b, types::I8, 0),
    };
    let (above, below) = match extreme {
        Extreme::Max => (x, best),
        Extreme::Min => (best, x),
    };
    match kind(t) {
        // `false < true`: above & !below.
        Kind::Bool => b.ins().icmp(IntCC::UnsignedGreaterThan, above, below),
        Kind::Int { signed } => {
            let cc = if signed { IntCC::SignedGreaterThan } else { IntCC::UnsignedGreaterThan };
            b.ins().icmp(cc, above, below)
        }
        Kind::Half(half) => {
            let (x_nan, best_nan) = (half::is_nan(b, half, x), half::is_nan(b, half, best));
            let strictly = total_order_above(b, above, below);
            nan_is_extreme(b, x_nan, best_nan, strictly)
        }
        Kind::Float(ty) => {
            let x_nan = b.ins().fcmp(FloatCC::Unordered, x, x);
            let best_nan = b.ins().fcmp(FloatCC::Unordered, best, best);
            let int_ty = ty.as_int();
            let above_bits = bitcast(b, int_ty, above);
            let below_bits = bitcast(b, int_ty, below);
            let strictly = total_order_above(b, above_bits, below_bits);
            nan_is_extreme(b, x_nan, best_nan, strictly)
        }
    }
}

/// One `dot` step `acc + x * y` for inputs of type `t` and an accumulator of type
/// `acc_t`: the inputs are widened exactly to `acc_t`, the product and the sum each
/// rounded there (no fused multiply-add). The pairs are the verifier's: f16/bf16/f32 →
/// f32, f64 → f64, i8 → i32 (wrapping); any other pair returns `acc`.
pub fn dot_step(
    b: &mut FunctionBuilder,
    h: &Helpers,
    t: ScalarType,
    acc_t: ScalarType,
    acc: Value,
    x: Value,
    y: Value,
) -> Value {
    if dot_accumulator(t) != Some(acc_t) {
        return acc;
    }
    let (x, y) = match kind(t) {
        Kind::Half(_) => (to_acc(b, h, t, x), to_acc(b, h, t, y)),
        Kind::Int { .. } => (b.ins().sextend(types::I32, x), b.ins().sextend(types::I32, y)),
        Kind::Bool | Kind::Float(_) => (x, y),
    };
    let product = binary(b, h, BinaryOp::Mul, acc_t, x, y);
    binary(b, h, BinaryOp::Add, acc_t, acc, product)
}

/// The value an atomic `op` stores given the `old` element and the operand `val`:
/// `add` wraps for integers and rounds like `+` for floats; `max` is `maximum` for
/// floats (NaN sticks, `-0.0 < +0.0`) and signed/unsigned max for integers.
pub fn atomic_combine(
    b: &mut FunctionBuilder,
    h: &Helpers,
    op: AtomicOp,
    t: ScalarType,
    old: Value,
    val: Value,
) -> Value {
    let op = match op {
        AtomicOp::Add => BinaryOp::Add,
        AtomicOp::Max => BinaryOp::Max,
    };
    binary(b, h, op, t, old, val)
}

/// How the interpreter treats an element type.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    Int {
        signed: bool,
    },
    /// Held as its bits in an `i16`, computed in f32.
    Half(Half),
    /// f32 or f64, of this Cranelift type.
    Float(ClifType),
}

fn kind(t: ScalarType) -> Kind {
    match t {
        ScalarType::Bool => Kind::Bool,
        ScalarType::I8 | ScalarType::I16 | ScalarType::I32 | ScalarType::I64 => {
            Kind::Int { signed: true }
        }
        ScalarType::U8 | ScalarType::U16 | ScalarType::U32 | ScalarType::U64 => {
            Kind::Int { signed: false }
        }
        ScalarType::F16 => Kind::Half(Half::F16),
        ScalarType::BF16 => Kind::Half(Half::BF16),
        ScalarType::F32 => Kind::Float(types::F32),
        ScalarType::F64 => Kind::Float(types::F64),
    }
}

/// The accumulator type `dot` takes for inputs of type `t` (the verifier's table).
fn dot_accumulator(t: ScalarType) -> Option<ScalarType> {
    match t {
        ScalarType::F16 | ScalarType::BF16 | ScalarType::F32 => Some(ScalarType::F32),
        ScalarType::F64 => Some(ScalarType::F64),
        ScalarType::I8 => Some(ScalarType::I32),
        ScalarType::Bool
        | ScalarType::I16
        | ScalarType::I32
        | ScalarType::I64
        | ScalarType::U8
        | ScalarType::U16
        | ScalarType::U32
        | ScalarType::U64 => None,
    }
}

fn clif_type_of(t: ScalarType) -> ClifType {
    crate::types::clif_type(t)
}

/// How a unary op is computed on floats.
#[derive(Clone, Copy)]
enum UnaryForm {
    Neg,
    Not,
    Abs,
    Floor,
    Ceil,
    Sqrt,
    /// A math function: [`crate::math`] for f32, the f64 helper otherwise.
    Math,
}

fn unary_form(op: UnaryOp) -> UnaryForm {
    match op {
        UnaryOp::Neg => UnaryForm::Neg,
        UnaryOp::Not => UnaryForm::Not,
        UnaryOp::Abs => UnaryForm::Abs,
        UnaryOp::Floor => UnaryForm::Floor,
        UnaryOp::Ceil => UnaryForm::Ceil,
        UnaryOp::Sqrt => UnaryForm::Sqrt,
        UnaryOp::Exp
        | UnaryOp::Exp2
        | UnaryOp::Log
        | UnaryOp::Log2
        | UnaryOp::Rsqrt
        | UnaryOp::Sin
        | UnaryOp::Cos
        | UnaryOp::Tanh
        | UnaryOp::Sigmoid
        | UnaryOp::Erf => UnaryForm::Math,
    }
}

/// f32/f64: `abs`, `floor`, `ceil` and `sqrt` are exact or correctly rounded natively,
/// which equals computing in f64 and rounding once.
fn unary_float(
    b: &mut FunctionBuilder,
    h: &Helpers,
    op: UnaryOp,
    form: UnaryForm,
    ty: ClifType,
    x: Value,
) -> Value {
    match form {
        UnaryForm::Neg => b.ins().fneg(x),
        UnaryForm::Not => x,
        UnaryForm::Abs => b.ins().fabs(x),
        UnaryForm::Floor => b.ins().floor(x),
        UnaryForm::Ceil => b.ins().ceil(x),
        UnaryForm::Sqrt => b.ins().sqrt(x),
        UnaryForm::Math if ty == types::F64 => math_f64(b, h, op, x),
        UnaryForm::Math => {
            // Lane 0 of the vector code, so scalar and vector loops agree bit for bit.
            let lanes = b.ins().splat(types::F32X4, x);
            match crate::math::emit_f32x4(b, h, op, lanes) {
                Some(result) => b.ins().extractlane(result, 0),
                None => {
                    let wide = b.ins().fpromote(types::F64, x);
                    let result = math_f64(b, h, op, wide);
                    b.ins().fdemote(types::F32, result)
                }
            }
        }
    }
}

fn math_f64(b: &mut FunctionBuilder, h: &Helpers, op: UnaryOp, x: Value) -> Value {
    let code = iconst(b, types::I32, i64::from(unary_code(op)));
    call(b, h.math_f64, &[code, x])
}

fn binary_bool(b: &mut FunctionBuilder, op: BinaryOp, x: Value, y: Value) -> Value {
    match op {
        BinaryOp::And | BinaryOp::Min => b.ins().band(x, y),
        BinaryOp::Or | BinaryOp::Max => b.ins().bor(x, y),
        BinaryOp::Xor => b.ins().bxor(x, y),
        BinaryOp::Add
        | BinaryOp::Sub
        | BinaryOp::Mul
        | BinaryOp::Div
        | BinaryOp::Rem
        | BinaryOp::Shl
        | BinaryOp::Shr => x,
    }
}

/// Cranelift masks shift amounts to the width, as the interpreter does.
fn binary_int(b: &mut FunctionBuilder, op: BinaryOp, signed: bool, x: Value, y: Value) -> Value {
    match op {
        BinaryOp::Add => b.ins().iadd(x, y),
        BinaryOp::Sub => b.ins().isub(x, y),
        BinaryOp::Mul => b.ins().imul(x, y),
        BinaryOp::Div => div_int(b, signed, x, y),
        BinaryOp::Rem => rem_int(b, signed, x, y),
        BinaryOp::And => b.ins().band(x, y),
        BinaryOp::Or => b.ins().bor(x, y),
        BinaryOp::Xor => b.ins().bxor(x, y),
        BinaryOp::Shl => b.ins().ishl(x, y),
        BinaryOp::Shr if signed => b.ins().sshr(x, y),
        BinaryOp::Shr => b.ins().ushr(x, y),
        BinaryOp::Max if signed => b.ins().smax(x, y),
        BinaryOp::Max => b.ins().umax(x, y),
        BinaryOp::Min if signed => b.ins().smin(x, y),
        BinaryOp::Min => b.ins().umin(x, y),
    }
}

/// `x / y` without traps: the divisor is replaced by 1 where Cranelift's division would
/// trap (`y == 0`, and `MIN / -1`, whose answer `MIN` is `x / 1`), then `x / 0` is
/// patched to all ones.
fn div_int(b: &mut FunctionBuilder, signed: bool, x: Value, y: Value) -> Value {
    let ty = b.func.dfg.value_type(y);
    let by_zero = icmp_const(b, IntCC::Equal, y, 0);
    let unsafe_divisor = if signed {
        let by_minus_one = icmp_const(b, IntCC::Equal, y, -1);
        let min = icmp_const(b, IntCC::Equal, x, int_min(ty));
        let overflow = b.ins().band(by_minus_one, min);
        b.ins().bor(by_zero, overflow)
    } else {
        by_zero
    };
    let one = iconst(b, ty, 1);
    let divisor = b.ins().select(unsafe_divisor, one, y);
    let quotient = if signed { b.ins().sdiv(x, divisor) } else { b.ins().udiv(x, divisor) };
    let all_ones = iconst(b, ty, -1);
    b.ins().select(by_zero, all_ones, quotient)
}

/// `x % y` without traps: `x % -1` is 0 like `x % 1` (which also covers `MIN % -1`),
/// and `x % 0` is patched to `x`.
fn rem_int(b: &mut FunctionBuilder, signed: bool, x: Value, y: Value) -> Value {
    let ty = b.func.dfg.value_type(y);
    let by_zero = icmp_const(b, IntCC::Equal, y, 0);
    let unsafe_divisor = if signed {
        let by_minus_one = icmp_const(b, IntCC::Equal, y, -1);
        b.ins().bor(by_zero, by_minus_one)
    } else {
        by_zero
    };
    let one = iconst(b, ty, 1);
    let divisor = b.ins().select(unsafe_divisor, one, y);
    let remainder = if signed { b.ins().srem(x, divisor) } else { b.ins().urem(x, divisor) };
    b.ins().select(by_zero, x, remainder)
}

/// f32/f64: native IEEE; Cranelift's `fmax`/`fmin` are IEEE `maximum`/`minimum` (NaN
/// propagates, `-0.0 < +0.0`).
fn binary_float(
    b: &mut FunctionBuilder,
    h: &Helpers,
    op: BinaryOp,
    ty: ClifType,
    x: Value,
    y: Value,
) -> Value {
    match op {
        BinaryOp::Add => b.ins().fadd(x, y),
        BinaryOp::Sub => b.ins().fsub(x, y),
        BinaryOp::Mul => b.ins().fmul(x, y),
        BinaryOp::Div => b.ins().fdiv(x, y),
        BinaryOp::Rem if ty == types::F64 => call(b, h.fmod_f64, &[x, y]),
        BinaryOp::Rem => call(b, h.fmod_f32, &[x, y]),
        BinaryOp::Max => b.ins().fmax(x, y),
        BinaryOp::Min => b.ins().fmin(x, y),
        BinaryOp::And | BinaryOp::Or | BinaryOp::Xor | BinaryOp::Shl | BinaryOp::Shr => x,
    }
}

#[derive(Clone, Copy)]
enum Extreme {
    Max,
    Min,
}

/// `maximum`/`minimum` of `x` and `y` of type `t` (or/and on bools).
fn extreme(b: &mut FunctionBuilder, which: Extreme, t: ScalarType, x: Value, y: Value) -> Value {
    let op = match which {
        Extreme::Max => BinaryOp::Max,
        Extreme::Min => BinaryOp::Min,
    };
    match kind(t) {
        Kind::Bool => binary_bool(b, op, x, y),
        Kind::Int { signed } => binary_int(b, op, signed, x, y),
        Kind::Half(half) => half::extreme(b, which, half, x, y),
        Kind::Float(_) => match which {
            Extreme::Max => b.ins().fmax(x, y),
            Extreme::Min => b.ins().fmin(x, y),
        },
    }
}

/// Whether the float bits `x` are above `y` in `maximum`'s order (`-0.0 < +0.0`), for
/// non-NaN values: flipping the magnitude bits of negative values makes signed integer
/// order the float order.
fn total_order_above(b: &mut FunctionBuilder, x: Value, y: Value) -> Value {
    let (x_key, y_key) = (total_order_key(b, x), total_order_key(b, y));
    b.ins().icmp(IntCC::SignedGreaterThan, x_key, y_key)
}

fn total_order_key(b: &mut FunctionBuilder, bits: Value) -> Value {
    let width = b.func.dfg.value_type(bits).bits();
    let sign = b.ins().sshr_imm_u(bits, i64::from(width - 1));
    let magnitude_mask = b.ins().ushr_imm_u(sign, 1);
    b.ins().bxor(bits, magnitude_mask)
}

/// `!best_nan && (x_nan || strictly)`: a NaN is the extreme, and the first one stays.
fn nan_is_extreme(
    b: &mut FunctionBuilder,
    x_nan: Value,
    best_nan: Value,
    strictly: Value,
) -> Value {
    let candidate = b.ins().bor(x_nan, strictly);
    let best_ordinary = not_bool(b, best_nan);
    b.ins().band(best_ordinary, candidate)
}

fn int_cc(pred: CmpPred, signed: bool) -> IntCC {
    match (pred, signed) {
        (CmpPred::Eq, _) => IntCC::Equal,
        (CmpPred::Ne, _) => IntCC::NotEqual,
        (CmpPred::Lt, true) => IntCC::SignedLessThan,
        (CmpPred::Le, true) => IntCC::SignedLessThanOrEqual,
        (CmpPred::Gt, true) => IntCC::SignedGreaterThan,
        (CmpPred::Ge, true) => IntCC::SignedGreaterThanOrEqual,
        (CmpPred::Lt, false) => IntCC::UnsignedLessThan,
        (CmpPred::Le, false) => IntCC::UnsignedLessThanOrEqual,
        (CmpPred::Gt, false) => IntCC::UnsignedGreaterThan,
        (CmpPred::Ge, false) => IntCC::UnsignedGreaterThanOrEqual,
    }
}

/// IEEE predicates: ordered for all but `ne`, which is "unordered or not equal".
fn float_cc(pred: CmpPred) -> FloatCC {
    match pred {
        CmpPred::Eq => FloatCC::Equal,
        CmpPred::Ne => FloatCC::NotEqual,
        CmpPred::Lt => FloatCC::LessThan,
        CmpPred::Le => FloatCC::LessThanOrEqual,
        CmpPred::Gt => FloatCC::GreaterThan,
        CmpPred::Ge => FloatCC::GreaterThanOrEqual,
    }
}

fn not_bool(b: &mut FunctionBuilder, x: Value) -> Value {
    xor_const(b, x, 1)
}

fn call(b: &mut FunctionBuilder, helper: FuncRef, args: &[Value]) -> Value {
    let inst = b.ins().call(helper, args);
    b.inst_results(inst)[0]
}

fn bitcast(b: &mut FunctionBuilder, to: ClifType, x: Value) -> Value {
    b.ins().bitcast(to, MemFlagsData::new(), x)
}

/// The most negative value of the integer type `ty`, as an i64.
fn int_min(ty: ClifType) -> i64 {
    i64::MIN >> (64 - ty.bits())
}

/// An integer constant of type `ty` from any i64: wrapped to the width, as Cranelift
/// wants its immediates.
fn iconst(b: &mut FunctionBuilder, ty: ClifType, value: i64) -> Value {
    let masked = if ty.bits() >= 64 { value } else { value & ((1i64 << ty.bits()) - 1) };
    b.ins().iconst(ty, masked)
}

fn constant_like(b: &mut FunctionBuilder, x: Value, value: i64) -> Value {
    let ty = b.func.dfg.value_type(x);
    iconst(b, ty, value)
}

fn and_const(b: &mut FunctionBuilder, x: Value, value: i64) -> Value {
    let c = constant_like(b, x, value);
    b.ins().band(x, c)
}

fn or_const(b: &mut FunctionBuilder, x: Value, value: i64) -> Value {
    let c = constant_like(b, x, value);
    b.ins().bor(x, c)
}

fn xor_const(b: &mut FunctionBuilder, x: Value, value: i64) -> Value {
    let c = constant_like(b, x, value);
    b.ins().bxor(x, c)
}

fn add_const(b: &mut FunctionBuilder, x: Value, value: i64) -> Value {
    let c = constant_like(b, x, value);
    b.ins().iadd(x, c)
}

fn icmp_const(b: &mut FunctionBuilder, cc: IntCC, x: Value, value: i64) -> Value {
    let c = constant_like(b, x, value);
    b.ins().icmp(cc, x, c)
}
