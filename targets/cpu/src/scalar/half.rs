//! f16 and bf16, held as their bits in an `i16`: exact widening to f32, rounding f32
//! to nearest-even (as `half`'s `from_f32`, which the interpreter uses), and the ops
//! that are cheaper on the bits than in f32 (sign operations, `maximum`/`minimum`,
//! comparisons). Arithmetic is done in f32 and rounded once.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder, Value};
use cranelift_frontend::FunctionBuilder;
use tessera_ir::{BinaryOp, CmpPred, UnaryOp};

use super::{
    add_const, and_const, binary_float, bitcast, call, icmp_const, iconst, int_cc, not_bool,
    or_const, total_order_above, xor_const, Extreme, UnaryForm,
};
use crate::runtime::{unary_code, Helpers};

/// The two half-precision formats.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Half {
    F16,
    BF16,
}

/// The bits of 1.0.
pub(super) fn one_bits(half: Half) -> i64 {
    match half {
        Half::F16 => 0x3c00,
        Half::BF16 => 0x3f80,
    }
}

fn infinity_bits(half: Half) -> i64 {
    match half {
        Half::F16 => 0x7c00,
        Half::BF16 => 0x7f80,
    }
}

/// Whether the half `bits` is a NaN (a bool).
pub(super) fn is_nan(b: &mut FunctionBuilder, half: Half, bits: Value) -> Value {
    let magnitude = and_const(b, bits, 0x7fff);
    icmp_const(b, IntCC::SignedGreaterThan, magnitude, infinity_bits(half))
}

/// The f32 holding exactly the value of the half `bits`.
pub(super) fn to_f32(b: &mut FunctionBuilder, half: Half, bits: Value) -> Value {
    let wide = b.ins().uextend(types::I32, bits);
    match half {
        Half::BF16 => {
            let shifted = b.ins().ishl_imm_u(wide, 16);
            bitcast(b, types::F32, shifted)
        }
        Half::F16 => f16_to_f32(b, wide),
    }
}

/// f16 bits (zero-extended to i32) to f32: rebias the exponent; infinities and NaNs
/// get the f32 maximum exponent, subnormals are renormalized by an exact subtraction.
fn f16_to_f32(b: &mut FunctionBuilder, wide: Value) -> Value {
    let magnitude = and_const(b, wide, 0x7fff);
    let shifted = b.ins().ishl_imm_u(magnitude, 13);
    let exponent = and_const(b, shifted, 0x0f80_0000);
    let normal = add_const(b, shifted, (127 - 15) << 23);
    let special = add_const(b, shifted, (255 - 31) << 23);
    // A subnormal m * 2^-24 is (1 + m / 2^10) * 2^-14 - 2^-14, computed exactly.
    let biased = add_const(b, shifted, (127 - 14) << 23);
    let biased = bitcast(b, types::F32, biased);
    let min_normal = b.ins().f32const(2f32.powi(-14));
    let subnormal = b.ins().fsub(biased, min_normal);
    let subnormal = bitcast(b, types::I32, subnormal);
    let is_special = icmp_const(b, IntCC::Equal, exponent, 0x0f80_0000);
    let is_subnormal = icmp_const(b, IntCC::Equal, exponent, 0);
    let result = b.ins().select(is_special, special, normal);
    let result = b.ins().select(is_subnormal, subnormal, result);
    let sign = and_const(b, wide, 0x8000);
    let sign = b.ins().ishl_imm_u(sign, 16);
    let result = b.ins().bor(result, sign);
    bitcast(b, types::F32, result)
}

/// An f32 rounded once, to nearest-even, to half bits (as `half::{f16,bf16}::from_f32`).
pub(super) fn from_f32(b: &mut FunctionBuilder, half: Half, x: Value) -> Value {
    let bits = bitcast(b, types::I32, x);
    let result = match half {
        Half::F16 => f32_bits_to_f16(b, bits),
        Half::BF16 => f32_bits_to_bf16(b, bits),
    };
    b.ins().ireduce(types::I16, result)
}

/// Round to nearest-even on the low 16 bits (adding 0x7fff plus the kept lsb carries
/// exactly when above the tie, or at the tie with an odd lsb); NaN stays quiet NaN.
fn f32_bits_to_bf16(b: &mut FunctionBuilder, bits: Value) -> Value {
    let kept = b.ins().ushr_imm_u(bits, 16);
    let lsb = and_const(b, kept, 1);
    let biased = add_const(b, bits, 0x7fff);
    let biased = b.ins().iadd(biased, lsb);
    let rounded = b.ins().ushr_imm_u(biased, 16);
    let magnitude = and_const(b, bits, 0x7fff_ffff);
    let is_nan = icmp_const(b, IntCC::UnsignedGreaterThan, magnitude, 0x7f80_0000);
    let quiet = or_const(b, kept, 0x40);
    b.ins().select(is_nan, quiet, rounded)
}

/// Round to nearest-even to f16 (F. Giesen's `float_to_half_fast3_rtne`): magnitudes of
/// 2^16 and up are infinity (or NaN); below 2^-14 adding 0.5 in f32 lines the subnormal
/// mantissa up with the f32's last bits, and the FPU rounds it; otherwise rebias the
/// exponent and round on bit 13, carries rippling into the exponent.
fn f32_bits_to_f16(b: &mut FunctionBuilder, bits: Value) -> Value {
    let sign = and_const(b, bits, 0x8000_0000);
    let magnitude = b.ins().bxor(bits, sign);
    let is_nan = icmp_const(b, IntCC::UnsignedGreaterThan, magnitude, 0x7f80_0000);
    let (nan, infinity) = (iconst(b, types::I32, 0x7e00), iconst(b, types::I32, 0x7c00));
    let special = b.ins().select(is_nan, nan, infinity);
    let is_special = icmp_const(b, IntCC::UnsignedGreaterThanOrEqual, magnitude, 0x4780_0000);
    let as_float = bitcast(b, types::F32, magnitude);
    let one_half = b.ins().f32const(0.5);
    let aligned = b.ins().fadd(as_float, one_half);
    let aligned = bitcast(b, types::I32, aligned);
    let subnormal = add_const(b, aligned, -0x3f00_0000);
    let is_subnormal = icmp_const(b, IntCC::UnsignedLessThan, magnitude, 0x3880_0000);
    let mantissa_lsb = b.ins().ushr_imm_u(magnitude, 13);
    let mantissa_odd = and_const(b, mantissa_lsb, 1);
    let rebiased = add_const(b, magnitude, ((15 - 127) << 23) + 0xfff);
    let rebiased = b.ins().iadd(rebiased, mantissa_odd);
    let normal = b.ins().ushr_imm_u(rebiased, 13);
    let result = b.ins().select(is_subnormal, subnormal, normal);
    let result = b.ins().select(is_special, special, result);
    let sign = b.ins().ushr_imm_u(sign, 16);
    b.ins().bor(result, sign)
}

/// f16/bf16: sign operations on the bits; `floor`/`ceil` are exact in f32; `sqrt`
/// correctly rounded to f32 and then to the half is the correctly rounded half sqrt,
/// since f32 has at least 2p + 2 bits for p ≤ 11.
pub(super) fn unary(
    b: &mut FunctionBuilder,
    h: &Helpers,
    op: UnaryOp,
    form: UnaryForm,
    half: Half,
    x: Value,
) -> Value {
    let in_f32 = |b: &mut FunctionBuilder, f: fn(&mut FunctionBuilder, Value) -> Value| {
        let wide = to_f32(b, half, x);
        let result = f(b, wide);
        from_f32(b, half, result)
    };
    match form {
        UnaryForm::Neg => xor_const(b, x, 0x8000),
        UnaryForm::Not => x,
        UnaryForm::Abs => and_const(b, x, 0x7fff),
        UnaryForm::Floor => in_f32(b, |b, v| b.ins().floor(v)),
        UnaryForm::Ceil => in_f32(b, |b, v| b.ins().ceil(v)),
        UnaryForm::Sqrt => in_f32(b, |b, v| b.ins().sqrt(v)),
        UnaryForm::Math => {
            let helper = match half {
                Half::F16 => h.math_f16,
                Half::BF16 => h.math_bf16,
            };
            let code = iconst(b, types::I32, i64::from(unary_code(op)));
            call(b, helper, &[code, x])
        }
    }
}

/// f16/bf16: arithmetic in f32, rounded once; `max`/`min` directly on the bits.
pub(super) fn binary(
    b: &mut FunctionBuilder,
    h: &Helpers,
    op: BinaryOp,
    half: Half,
    x: Value,
    y: Value,
) -> Value {
    match op {
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => {
            let (x, y) = (to_f32(b, half, x), to_f32(b, half, y));
            let result = binary_float(b, h, op, types::F32, x, y);
            from_f32(b, half, result)
        }
        BinaryOp::Max => extreme(b, Extreme::Max, half, x, y),
        BinaryOp::Min => extreme(b, Extreme::Min, half, x, y),
        BinaryOp::And | BinaryOp::Or | BinaryOp::Xor | BinaryOp::Shl | BinaryOp::Shr => x,
    }
}

/// The interpreter's `maximum(x, y)`/`minimum(x, y)` on half bits: a NaN `x`, else a
/// NaN `y`, else whichever is greater (smaller) in the total order.
pub(super) fn extreme(
    b: &mut FunctionBuilder,
    which: Extreme,
    half: Half,
    x: Value,
    y: Value,
) -> Value {
    let (x_nan, y_nan) = (is_nan(b, half, x), is_nan(b, half, y));
    let y_wins = match which {
        Extreme::Max => total_order_above(b, y, x),
        Extreme::Min => total_order_above(b, x, y),
    };
    let result = b.ins().select(y_wins, y, x);
    let result = b.ins().select(y_nan, y, result);
    b.ins().select(x_nan, x, result)
}

/// Half comparisons on the bits: sign-magnitude mapped to a signed integer in which both
/// zeros are 0, so signed order is IEEE order; NaN makes every predicate but `ne` false.
pub(super) fn cmp(b: &mut FunctionBuilder, pred: CmpPred, half: Half, x: Value, y: Value) -> Value {
    let either_nan = {
        let (x_nan, y_nan) = (is_nan(b, half, x), is_nan(b, half, y));
        b.ins().bor(x_nan, y_nan)
    };
    let (x_key, y_key) = (ieee_order_key(b, x), ieee_order_key(b, y));
    let ordered = b.ins().icmp(int_cc(pred, true), x_key, y_key);
    match pred {
        CmpPred::Ne => b.ins().bor(ordered, either_nan),
        CmpPred::Eq | CmpPred::Lt | CmpPred::Le | CmpPred::Gt | CmpPred::Ge => {
            let both_ordinary = not_bool(b, either_nan);
            b.ins().band(ordered, both_ordinary)
        }
    }
}

/// Sign-magnitude bits as a two's-complement integer (`-0.0` and `+0.0` both 0).
fn ieee_order_key(b: &mut FunctionBuilder, bits: Value) -> Value {
    let magnitude = and_const(b, bits, 0x7fff);
    let negative = icmp_const(b, IntCC::SignedLessThan, bits, 0);
    let negated = b.ins().ineg(magnitude);
    b.ins().select(negative, negated, magnitude)
}
