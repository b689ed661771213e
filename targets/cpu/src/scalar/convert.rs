//! Casts between element types, by the interpreter's rules (`interp/cast.rs`): every
//! value is widened exactly, then converted with one rounding. Integers wrap or extend
//! by the source's signedness; int → float and float → float round to nearest-even
//! (once, also for halves); float → int truncates toward zero and saturates, NaN → 0;
//! anything → bool is `!= 0` (NaN is true).

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{types, InstBuilder, Type as ClifType, Value};
use cranelift_frontend::FunctionBuilder;
use tessera_ir::ScalarType;

use super::half::{self, Half};
use super::{and_const, call, clif_type_of, icmp_const, iconst, int_min, kind, Kind};
use crate::runtime::Helpers;

/// `x` of type `from` converted to `to`: see [`super::cast`].
pub(super) fn cast(
    b: &mut FunctionBuilder,
    h: &Helpers,
    from: ScalarType,
    to: ScalarType,
    x: Value,
) -> Value {
    if from == to {
        return x;
    }
    match kind(from) {
        Kind::Bool => from_bool(b, to, x),
        Kind::Int { signed } => from_int(b, h, signed, to, x),
        Kind::Half(half) => {
            if kind(to) == Kind::Bool {
                // Nonzero magnitude bits: NaN is true, both zeros false.
                let magnitude = and_const(b, x, 0x7fff);
                return icmp_const(b, IntCC::NotEqual, magnitude, 0);
            }
            let wide = half::to_f32(b, half, x);
            from_float(b, h, to, wide)
        }
        Kind::Float(_) => from_float(b, h, to, x),
    }
}

/// From `bool` (0 or 1): 0 or 1 in the target type.
fn from_bool(b: &mut FunctionBuilder, to: ScalarType, x: Value) -> Value {
    let (one, zero) = match kind(to) {
        Kind::Bool => return x,
        Kind::Int { .. } => return resize_int(b, x, clif_type_of(to), false),
        Kind::Half(half) => (iconst(b, types::I16, half::one_bits(half)), iconst(b, types::I16, 0)),
        Kind::Float(ty) if ty == types::F32 => (b.ins().f32const(1.0), b.ins().f32const(0.0)),
        Kind::Float(_) => (b.ins().f64const(1.0), b.ins().f64const(0.0)),
    };
    b.ins().select(x, one, zero)
}

/// From an integer: wrap or extend by the source's signedness; round to nearest-even
/// (once) to floats; `!= 0` to bool.
fn from_int(b: &mut FunctionBuilder, h: &Helpers, signed: bool, to: ScalarType, x: Value) -> Value {
    match kind(to) {
        Kind::Bool => icmp_const(b, IntCC::NotEqual, x, 0),
        Kind::Int { .. } => resize_int(b, x, clif_type_of(to), signed),
        Kind::Float(ty) => int_to_float(b, signed, ty, x),
        Kind::Half(half) if b.func.dfg.value_type(x).bits() <= 16 => {
            // Exact in f32, so narrowing rounds once.
            let wide = int_to_float(b, signed, types::F32, x);
            half::from_f32(b, half, wide)
        }
        Kind::Half(half) => {
            let wide = resize_int(b, x, types::I64, signed);
            let helper = match (half, signed) {
                (Half::F16, true) => h.i64_to_f16,
                (Half::F16, false) => h.u64_to_f16,
                (Half::BF16, true) => h.i64_to_bf16,
                (Half::BF16, false) => h.u64_to_bf16,
            };
            call(b, helper, &[wide])
        }
    }
}

/// From an f32 or f64 value `x` (halves arrive widened to f32, exactly).
fn from_float(b: &mut FunctionBuilder, h: &Helpers, to: ScalarType, x: Value) -> Value {
    let from = b.func.dfg.value_type(x);
    match kind(to) {
        // `!= 0.0` is true for NaN.
        Kind::Bool => {
            let zero =
                if from == types::F64 { b.ins().f64const(0.0) } else { b.ins().f32const(0.0) };
            b.ins().fcmp(FloatCC::NotEqual, x, zero)
        }
        Kind::Int { signed } => float_to_int(b, signed, clif_type_of(to), x),
        Kind::Float(ty) if ty == from => x,
        Kind::Float(ty) if ty == types::F64 => b.ins().fpromote(types::F64, x),
        Kind::Float(_) => b.ins().fdemote(types::F32, x),
        Kind::Half(half) if from == types::F32 => half::from_f32(b, half, x),
        Kind::Half(Half::F16) => call(b, h.f64_to_f16, &[x]),
        Kind::Half(Half::BF16) => call(b, h.f64_to_bf16, &[x]),
    }
}

/// Truncating, saturating, NaN → 0. Narrow targets saturate in i32 and are clamped.
fn float_to_int(b: &mut FunctionBuilder, signed: bool, to: ClifType, x: Value) -> Value {
    if to.bits() >= 32 {
        return if signed {
            b.ins().fcvt_to_sint_sat(to, x)
        } else {
            b.ins().fcvt_to_uint_sat(to, x)
        };
    }
    let wide = b.ins().fcvt_to_sint_sat(types::I32, x);
    let (low, high) = if signed { (int_min(to), !int_min(to)) } else { (0, (1 << to.bits()) - 1) };
    let low = iconst(b, types::I32, low);
    let high = iconst(b, types::I32, high);
    let clamped = b.ins().smax(wide, low);
    let clamped = b.ins().smin(clamped, high);
    b.ins().ireduce(to, clamped)
}

/// Round to nearest-even; narrow sources are extended to 32 bits first.
fn int_to_float(b: &mut FunctionBuilder, signed: bool, to: ClifType, x: Value) -> Value {
    let x =
        if b.func.dfg.value_type(x).bits() < 32 { resize_int(b, x, types::I32, signed) } else { x };
    if signed {
        b.ins().fcvt_from_sint(to, x)
    } else {
        b.ins().fcvt_from_uint(to, x)
    }
}

/// `x` truncated to, or extended by `signed` to, the integer type `to`.
fn resize_int(b: &mut FunctionBuilder, x: Value, to: ClifType, signed: bool) -> Value {
    let from = b.func.dfg.value_type(x);
    if from.bits() > to.bits() {
        b.ins().ireduce(to, x)
    } else if from.bits() == to.bits() {
        x
    } else if signed {
        b.ins().sextend(to, x)
    } else {
        b.ins().uextend(to, x)
    }
}
