//! Elementwise ops: `unary`, `binary`, `cmp`, `select`, `fma`.
//!
//! Operands have identical types (the front end inserts broadcasts). Integers wrap,
//! divide by the RISC-V rules and shift modulo the width; floats follow [`Float`]
//! (f16/bf16 through f32, one rounding); math functions are evaluated in f64 and
//! rounded once to the element type. `bool` supports `not`, `and`/`or`/`xor`, and
//! `max`/`min` (as or/and, `false < true`); other ops on `bool` are malformed IR.

use super::elem::{with_elem, with_kind, Elem, Float, Int};
use super::float::{erf, maximum, minimum};
use super::tile::{ensure, typed, OpResult, Operand, TileData};
use super::value::Buffer;
use crate::ops::{BinaryOp, CmpPred, UnaryOp};
use crate::types::{ScalarType, Type};

/// `unary`: the result has the operand's type.
pub(crate) fn unary(op: UnaryOp, (arg, arg_ty): Operand<'_>, ty: &Type) -> OpResult<TileData> {
    ensure(arg_ty == ty, || format!("{} of {arg_ty} cannot produce {ty}", op.name()))?;
    Ok(TileData::Scalars(unary_buffer(op, arg.buffer()?)?))
}

/// `op` applied to every element of `values`, with exactly the interpreter's semantics
/// (for targets and simulators that must agree with it bit for bit). An op undefined
/// on the element type (e.g. `exp` of an integer) is an error message.
pub fn unary_buffer(op: UnaryOp, values: &Buffer) -> Result<Buffer, String> {
    with_kind!(values.dtype(),
        bool => unary_bool(op, values),
        int I => unary_int::<I>(op, typed(values)?),
        float F => unary_float::<F>(op, typed(values)?),
    )
}

/// `binary`: both operands and the result have one type.
pub(crate) fn binary(
    op: BinaryOp,
    (lhs, lhs_ty): Operand<'_>,
    (rhs, rhs_ty): Operand<'_>,
    ty: &Type,
) -> OpResult<TileData> {
    ensure(lhs_ty == ty && rhs_ty == ty, || {
        format!("{} of {lhs_ty} and {rhs_ty} cannot produce {ty}", op.name())
    })?;
    Ok(TileData::Scalars(binary_buffer(op, lhs.buffer()?, rhs.buffer()?)?))
}

/// `op` applied elementwise to two buffers of one type and length, with exactly the
/// interpreter's semantics. Mismatched types or lengths, and ops undefined on the
/// element type, are error messages.
pub fn binary_buffer(op: BinaryOp, lhs: &Buffer, rhs: &Buffer) -> Result<Buffer, String> {
    ensure(lhs.dtype() == rhs.dtype() && lhs.len() == rhs.len(), || {
        format!(
            "{} of {} x{} and {} x{}",
            op.name(),
            lhs.dtype(),
            lhs.len(),
            rhs.dtype(),
            rhs.len()
        )
    })?;
    with_kind!(lhs.dtype(),
        bool => binary_bool(op, typed(lhs)?, typed(rhs)?),
        int I => Ok(binary_int::<I>(op, typed(lhs)?, typed(rhs)?)),
        float F => binary_float::<F>(op, typed(lhs)?, typed(rhs)?),
    )
}

/// `fma`: `a * b + c` rounded once; all three operands have the (float) result type.
pub(crate) fn fma(operands: [Operand<'_>; 3], ty: &Type) -> OpResult<TileData> {
    let [(a, a_ty), (b, b_ty), (c, c_ty)] = operands;
    ensure(a_ty == ty && b_ty == ty && c_ty == ty, || {
        format!("fma of {a_ty}, {b_ty} and {c_ty} cannot produce {ty}")
    })?;
    let (a, b, c) = (a.buffer()?, b.buffer()?, c.buffer()?);
    let result = with_kind!(a.dtype(),
        bool => Err(undefined("fma", ScalarType::Bool)),
        int I => Err(undefined("fma", I::DTYPE)),
        float F => Ok(fma_float::<F>(typed(a)?, typed(b)?, typed(c)?)),
    )?;
    Ok(TileData::Scalars(result))
}

fn fma_float<F: Float>(a: &[F], b: &[F], c: &[F]) -> Buffer {
    let result = a.iter().zip(b.iter().zip(c)).map(|(&a, (&b, &c))| a.fma_r(b, c)).collect();
    F::into_buffer(result)
}

/// `cmp`: IEEE comparisons for floats (false with NaN except `ne`, `-0.0 == +0.0`),
/// signedness-aware for integers, `false < true` for `bool`.
pub(crate) fn cmp(
    pred: CmpPred,
    (lhs, lhs_ty): Operand<'_>,
    (rhs, rhs_ty): Operand<'_>,
    ty: &Type,
) -> OpResult<TileData> {
    let ok =
        lhs_ty == rhs_ty && ty.shape == lhs_ty.shape && ty.scalar_type() == Some(ScalarType::Bool);
    ensure(ok, || format!("cmp {} of {lhs_ty} and {rhs_ty} cannot produce {ty}", pred.name()))?;
    let (lhs, rhs) = (lhs.buffer()?, rhs.buffer()?);
    let result = with_elem!(lhs.dtype(), T => compare::<T>(pred, typed(lhs)?, typed(rhs)?));
    Ok(TileData::Scalars(Buffer::Bool(result)))
}

/// `select`: `cond ? on_true : on_false` per element; works on pointers too.
pub(crate) fn select(
    (cond, cond_ty): Operand<'_>,
    (on_true, true_ty): Operand<'_>,
    (on_false, false_ty): Operand<'_>,
    ty: &Type,
) -> OpResult<TileData> {
    let ok = true_ty == ty
        && false_ty == ty
        && cond_ty.shape == ty.shape
        && cond_ty.scalar_type() == Some(ScalarType::Bool);
    ensure(ok, || format!("select of {cond_ty}, {true_ty}, {false_ty} cannot produce {ty}"))?;
    let cond = typed::<bool>(cond.buffer()?)?;
    match (on_true, on_false) {
        (TileData::Ptrs(a), TileData::Ptrs(b)) => Ok(TileData::Ptrs(choose(cond, a, b))),
        (TileData::Scalars(a), TileData::Scalars(b)) => {
            let result = with_elem!(a.dtype(), T => {
                T::into_buffer(choose(cond, typed::<T>(a)?, typed::<T>(b)?))
            });
            Ok(TileData::Scalars(result))
        }
        (TileData::Ptrs(_), TileData::Scalars(_)) | (TileData::Scalars(_), TileData::Ptrs(_)) => {
            Err("select between pointers and scalars".to_string())
        }
    }
}

fn choose<T: Copy>(cond: &[bool], on_true: &[T], on_false: &[T]) -> Vec<T> {
    cond.iter()
        .zip(on_true.iter().zip(on_false))
        .map(|(&c, (&a, &b))| if c { a } else { b })
        .collect()
}

fn map1<T: Copy, R>(values: &[T], f: impl Fn(T) -> R) -> Vec<R> {
    values.iter().map(|&x| f(x)).collect()
}

fn map2<T: Copy, R>(lhs: &[T], rhs: &[T], f: impl Fn(T, T) -> R) -> Vec<R> {
    lhs.iter().zip(rhs).map(|(&a, &b)| f(a, b)).collect()
}

fn undefined(op: &str, dtype: ScalarType) -> String {
    format!("{op} is not defined on {dtype}")
}

fn unary_bool(op: UnaryOp, buffer: &Buffer) -> OpResult<Buffer> {
    let values = typed::<bool>(buffer)?;
    match op {
        UnaryOp::Not => Ok(Buffer::Bool(map1(values, |x| !x))),
        UnaryOp::Neg
        | UnaryOp::Exp
        | UnaryOp::Exp2
        | UnaryOp::Log
        | UnaryOp::Log2
        | UnaryOp::Sqrt
        | UnaryOp::Rsqrt
        | UnaryOp::Sin
        | UnaryOp::Cos
        | UnaryOp::Tanh
        | UnaryOp::Abs
        | UnaryOp::Floor
        | UnaryOp::Ceil
        | UnaryOp::Sigmoid
        | UnaryOp::Erf => Err(undefined(op.name(), ScalarType::Bool)),
    }
}

fn unary_int<I: Int>(op: UnaryOp, values: &[I]) -> OpResult<Buffer> {
    let result = match op {
        UnaryOp::Neg => map1(values, I::neg_wrap),
        UnaryOp::Not => map1(values, I::bit_not),
        UnaryOp::Abs => map1(values, I::abs_wrap),
        UnaryOp::Exp
        | UnaryOp::Exp2
        | UnaryOp::Log
        | UnaryOp::Log2
        | UnaryOp::Sqrt
        | UnaryOp::Rsqrt
        | UnaryOp::Sin
        | UnaryOp::Cos
        | UnaryOp::Tanh
        | UnaryOp::Floor
        | UnaryOp::Ceil
        | UnaryOp::Sigmoid
        | UnaryOp::Erf => return Err(undefined(op.name(), I::DTYPE)),
    };
    Ok(I::into_buffer(result))
}

/// Math functions: computed in f64 by [`unary_f64`], rounded once to `F`.
fn unary_float<F: Float>(op: UnaryOp, values: &[F]) -> OpResult<Buffer> {
    let result = match op {
        UnaryOp::Neg => map1(values, F::neg),
        UnaryOp::Not => return Err(undefined(op.name(), F::DTYPE)),
        UnaryOp::Exp
        | UnaryOp::Exp2
        | UnaryOp::Log
        | UnaryOp::Log2
        | UnaryOp::Sqrt
        | UnaryOp::Rsqrt
        | UnaryOp::Sin
        | UnaryOp::Cos
        | UnaryOp::Tanh
        | UnaryOp::Abs
        | UnaryOp::Floor
        | UnaryOp::Ceil
        | UnaryOp::Sigmoid
        | UnaryOp::Erf => map1(values, |x: F| F::round_from_f64(unary_f64(op, x.to_f64()))),
    };
    Ok(F::into_buffer(result))
}

/// The f64 formula of the float unary op `op`: what the interpreter computes for a
/// float element (widened exactly to f64) before rounding the result once to the
/// element type. `neg` is `-x`; `not`, undefined on floats, gives NaN. Targets that
/// call out for math functions call this, so they round exactly as the interpreter.
pub fn unary_f64(op: UnaryOp, x: f64) -> f64 {
    match op {
        UnaryOp::Neg => -x,
        UnaryOp::Not => f64::NAN,
        UnaryOp::Exp => x.exp(),
        UnaryOp::Exp2 => x.exp2(),
        UnaryOp::Log => x.ln(),
        UnaryOp::Log2 => x.log2(),
        UnaryOp::Sqrt => x.sqrt(),
        UnaryOp::Rsqrt => 1.0 / x.sqrt(),
        UnaryOp::Sin => x.sin(),
        UnaryOp::Cos => x.cos(),
        UnaryOp::Tanh => x.tanh(),
        UnaryOp::Abs => x.abs(),
        UnaryOp::Floor => x.floor(),
        UnaryOp::Ceil => x.ceil(),
        UnaryOp::Sigmoid => 1.0 / (1.0 + (-x).exp()),
        UnaryOp::Erf => erf(x),
    }
}

fn binary_bool(op: BinaryOp, lhs: &[bool], rhs: &[bool]) -> OpResult<Buffer> {
    let result = match op {
        BinaryOp::And | BinaryOp::Min => map2(lhs, rhs, |a, b| a & b),
        BinaryOp::Or | BinaryOp::Max => map2(lhs, rhs, |a, b| a | b),
        BinaryOp::Xor => map2(lhs, rhs, |a, b| a ^ b),
        BinaryOp::Add
        | BinaryOp::Sub
        | BinaryOp::Mul
        | BinaryOp::Div
        | BinaryOp::Rem
        | BinaryOp::Shl
        | BinaryOp::Shr => return Err(undefined(op.name(), ScalarType::Bool)),
    };
    Ok(Buffer::Bool(result))
}

fn binary_int<I: Int>(op: BinaryOp, lhs: &[I], rhs: &[I]) -> Buffer {
    let result = match op {
        BinaryOp::Add => map2(lhs, rhs, I::add_wrap),
        BinaryOp::Sub => map2(lhs, rhs, I::sub_wrap),
        BinaryOp::Mul => map2(lhs, rhs, I::mul_wrap),
        BinaryOp::Div => map2(lhs, rhs, I::div_riscv),
        BinaryOp::Rem => map2(lhs, rhs, I::rem_riscv),
        BinaryOp::And => map2(lhs, rhs, I::bit_and),
        BinaryOp::Or => map2(lhs, rhs, I::bit_or),
        BinaryOp::Xor => map2(lhs, rhs, I::bit_xor),
        BinaryOp::Shl => map2(lhs, rhs, I::shl_mod),
        BinaryOp::Shr => map2(lhs, rhs, I::shr_mod),
        BinaryOp::Max => map2(lhs, rhs, Ord::max),
        BinaryOp::Min => map2(lhs, rhs, Ord::min),
    };
    I::into_buffer(result)
}

fn binary_float<F: Float>(op: BinaryOp, lhs: &[F], rhs: &[F]) -> OpResult<Buffer> {
    let result = match op {
        BinaryOp::Add => map2(lhs, rhs, F::add_r),
        BinaryOp::Sub => map2(lhs, rhs, F::sub_r),
        BinaryOp::Mul => map2(lhs, rhs, F::mul_r),
        BinaryOp::Div => map2(lhs, rhs, F::div_r),
        BinaryOp::Rem => map2(lhs, rhs, F::rem_r),
        BinaryOp::Max => map2(lhs, rhs, maximum),
        BinaryOp::Min => map2(lhs, rhs, minimum),
        BinaryOp::And | BinaryOp::Or | BinaryOp::Xor | BinaryOp::Shl | BinaryOp::Shr => {
            return Err(undefined(op.name(), F::DTYPE))
        }
    };
    Ok(F::into_buffer(result))
}

fn compare<T: Elem>(pred: CmpPred, lhs: &[T], rhs: &[T]) -> Vec<bool> {
    match pred {
        CmpPred::Eq => map2(lhs, rhs, |a, b| a == b),
        CmpPred::Ne => map2(lhs, rhs, |a, b| a != b),
        CmpPred::Lt => map2(lhs, rhs, |a, b| a < b),
        CmpPred::Le => map2(lhs, rhs, |a, b| a <= b),
        CmpPred::Gt => map2(lhs, rhs, |a, b| a > b),
        CmpPred::Ge => map2(lhs, rhs, |a, b| a >= b),
    }
}
