//! Element-level helpers of the simulator: typed copies between [`Buffer`]s, gathers,
//! and the float arithmetic with the reference interpreter's rounding rules
//! (docs/language.md "Semantics"): f16/bf16 arithmetic is computed in f32 and rounded
//! once to nearest-even; f32/f64 arithmetic is native IEEE; math and LUT functions are
//! computed in f64 and rounded once to the element type.

use tessera_ir::interp::{Buffer, Scalar};
use tessera_ir::{BinaryOp, ScalarType, UnaryOp};

use crate::program::LutFn;

/// Applies `$body` to the vector of every [`Buffer`] variant.
macro_rules! each_buffer {
    ($buffer:expr, $v:ident => $body:expr) => {
        match $buffer {
            Buffer::Bool($v) => $body,
            Buffer::I8($v) => $body,
            Buffer::I16($v) => $body,
            Buffer::I32($v) => $body,
            Buffer::I64($v) => $body,
            Buffer::U8($v) => $body,
            Buffer::U16($v) => $body,
            Buffer::U32($v) => $body,
            Buffer::U64($v) => $body,
            Buffer::F16($v) => $body,
            Buffer::BF16($v) => $body,
            Buffer::F32($v) => $body,
            Buffer::F64($v) => $body,
        }
    };
}

/// Applies `$body` to the two vectors when `$a` and `$b` have the same variant;
/// evaluates to `None` otherwise.
macro_rules! each_pair {
    ($a:expr, $b:expr, $x:ident, $y:ident => $body:expr) => {
        match ($a, $b) {
            (Buffer::Bool($x), Buffer::Bool($y)) => Some($body),
            (Buffer::I8($x), Buffer::I8($y)) => Some($body),
            (Buffer::I16($x), Buffer::I16($y)) => Some($body),
            (Buffer::I32($x), Buffer::I32($y)) => Some($body),
            (Buffer::I64($x), Buffer::I64($y)) => Some($body),
            (Buffer::U8($x), Buffer::U8($y)) => Some($body),
            (Buffer::U16($x), Buffer::U16($y)) => Some($body),
            (Buffer::U32($x), Buffer::U32($y)) => Some($body),
            (Buffer::U64($x), Buffer::U64($y)) => Some($body),
            (Buffer::F16($x), Buffer::F16($y)) => Some($body),
            (Buffer::BF16($x), Buffer::BF16($y)) => Some($body),
            (Buffer::F32($x), Buffer::F32($y)) => Some($body),
            (Buffer::F64($x), Buffer::F64($y)) => Some($body),
            _ => None,
        }
    };
}

/// `dst[j] = src[i]` exactly; `false` if the types differ or an index is out of range.
pub(crate) fn copy_elem(dst: &mut Buffer, j: usize, src: &Buffer, i: usize) -> bool {
    each_pair!(dst, src, d, s => match (d.get_mut(j), s.get(i)) {
        (Some(d), Some(s)) => {
            *d = *s;
            true
        }
        _ => false,
    })
    .unwrap_or(false)
}

/// The elements of `src` at `indices` (all must be in range), exactly.
pub(crate) fn gather(src: &Buffer, indices: &[usize]) -> Option<Buffer> {
    each_buffer!(src, v => {
        let mut out = Vec::with_capacity(indices.len());
        for &i in indices {
            out.push(*v.get(i)?);
        }
        Some(Buffer::from(out))
    })
}

/// `a` followed by `b`; `None` if their types differ.
pub(crate) fn append(a: &Buffer, b: &Buffer) -> Option<Buffer> {
    each_pair!(a, b, x, y => {
        let mut out = x.clone();
        out.extend_from_slice(y);
        Buffer::from(out)
    })
}

/// Rounds `v` once to `dtype` (nearest-even for floats).
pub(crate) fn round_to(dtype: ScalarType, v: f64) -> f64 {
    Scalar::from_f64(dtype, v).to_f64()
}

/// The float accumulator type of `dtype`'s arithmetic: f16/bf16/f32 compute in f32.
fn in_f32(dtype: ScalarType) -> bool {
    matches!(dtype, ScalarType::F16 | ScalarType::BF16 | ScalarType::F32)
}

/// `max` with NaN propagation and `-0.0 < +0.0`.
pub(crate) fn maximum(a: f64, b: f64) -> f64 {
    if a.is_nan() {
        a
    } else if b.is_nan() || b > a {
        b
    } else if a > b || !a.is_sign_negative() {
        a
    } else {
        b
    }
}

/// `min` with NaN propagation and `-0.0 < +0.0`.
pub(crate) fn minimum(a: f64, b: f64) -> f64 {
    if a.is_nan() {
        a
    } else if b.is_nan() || b < a {
        b
    } else if a < b || a.is_sign_negative() {
        a
    } else {
        b
    }
}

/// A binary float op on values of `dtype` (exact f64 images), rounded per the rules;
/// `None` for ops undefined on floats (bitwise, shifts).
pub(crate) fn binary_float(op: BinaryOp, dtype: ScalarType, a: f64, b: f64) -> Option<f64> {
    let r = if in_f32(dtype) {
        let (x, y) = (a as f32, b as f32);
        f64::from(match op {
            BinaryOp::Add => x + y,
            BinaryOp::Sub => x - y,
            BinaryOp::Mul => x * y,
            BinaryOp::Div => x / y,
            BinaryOp::Rem => x % y,
            BinaryOp::Max => return Some(maximum(a, b)),
            BinaryOp::Min => return Some(minimum(a, b)),
            _ => return None,
        })
    } else {
        match op {
            BinaryOp::Add => a + b,
            BinaryOp::Sub => a - b,
            BinaryOp::Mul => a * b,
            BinaryOp::Div => a / b,
            BinaryOp::Rem => a % b,
            BinaryOp::Max => maximum(a, b),
            BinaryOp::Min => minimum(a, b),
            _ => return None,
        }
    };
    Some(round_to(dtype, r))
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// A unary float op: math functions in f64 rounded once; `None` for `not`.
pub(crate) fn unary_float(op: UnaryOp, dtype: ScalarType, x: f64) -> Option<f64> {
    let r = match op {
        UnaryOp::Neg => -x,
        UnaryOp::Not => return None,
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
        UnaryOp::Sigmoid => sigmoid(x),
        UnaryOp::Erf => tessera_ir::interp::erf(x),
    };
    Some(round_to(dtype, r))
}

/// A LUT function, computed in f64 and rounded once to `dtype` (the simulator's
/// tables are exact to the interpreter's rounding).
pub(crate) fn lut(func: LutFn, dtype: ScalarType, x: f64) -> f64 {
    let r = match func {
        LutFn::Exp => x.exp(),
        LutFn::Log => x.ln(),
        LutFn::Tanh => x.tanh(),
        LutFn::Sigmoid => sigmoid(x),
        LutFn::Erf => tessera_ir::interp::erf(x),
        LutFn::Rsqrt => 1.0 / x.sqrt(),
        LutFn::Recip => 1.0 / x,
        LutFn::Gelu => {
            0.5 * x * (1.0 + tessera_ir::interp::erf(x * std::f64::consts::FRAC_1_SQRT_2))
        }
        LutFn::Silu => x * sigmoid(x),
    };
    round_to(dtype, r)
}

/// Addition in the arithmetic of `dtype` (floats per the rules above; integers wrap).
pub(crate) fn add(dtype: ScalarType, a: f64, b: f64) -> f64 {
    if dtype.is_float() {
        binary_float(BinaryOp::Add, dtype, a, b).unwrap_or(f64::NAN)
    } else {
        // Integers of at most 32 bits are exact in f64; wrap via i128.
        let wrapped = (a as i128).wrapping_add(b as i128);
        let bits = dtype.bits();
        let modulus = 1i128 << bits.min(64);
        let mut v = wrapped.rem_euclid(modulus);
        if dtype.is_signed_int() && v >= modulus / 2 {
            v -= modulus;
        }
        v as f64
    }
}
