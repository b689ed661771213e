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

/// `op` on two values of `dtype` (given as exact f64 images), computed by the reference
/// interpreter's own elementwise code so the rounding and NaN/-0.0 rules cannot drift.
pub(crate) fn combine(op: BinaryOp, dtype: ScalarType, a: f64, b: f64) -> f64 {
    let lhs = Buffer::from_f64(dtype, &[a]);
    let rhs = Buffer::from_f64(dtype, &[b]);
    tessera_ir::interp::binary_buffer(op, &lhs, &rhs)
        .ok()
        .and_then(|r| r.get(0))
        .map_or(f64::NAN, |r| r.to_f64())
}

/// A LUT function over a float buffer. Functions that are also language ops (exp, log,
/// tanh, sigmoid, erf, rsqrt) run through the interpreter's own code; the others (recip,
/// gelu, silu) are computed in f64 and rounded once to the element type.
pub(crate) fn lut(func: LutFn, values: &Buffer) -> Buffer {
    let interpreter_op = match func {
        LutFn::Exp => Some(UnaryOp::Exp),
        LutFn::Log => Some(UnaryOp::Log),
        LutFn::Tanh => Some(UnaryOp::Tanh),
        LutFn::Sigmoid => Some(UnaryOp::Sigmoid),
        LutFn::Erf => Some(UnaryOp::Erf),
        LutFn::Rsqrt => Some(UnaryOp::Rsqrt),
        LutFn::Recip | LutFn::Gelu | LutFn::Silu => None,
    };
    if let Some(op) = interpreter_op {
        if let Ok(result) = tessera_ir::interp::unary_buffer(op, values) {
            return result;
        }
    }
    let dtype = values.dtype();
    let out: Vec<f64> = values
        .to_f64_vec()
        .into_iter()
        .map(|x| {
            let r = match func {
                LutFn::Recip => 1.0 / x,
                LutFn::Gelu => {
                    0.5 * x * (1.0 + tessera_ir::interp::erf(x * std::f64::consts::FRAC_1_SQRT_2))
                }
                LutFn::Silu => x / (1.0 + (-x).exp()),
                LutFn::Exp
                | LutFn::Log
                | LutFn::Tanh
                | LutFn::Sigmoid
                | LutFn::Erf
                | LutFn::Rsqrt => f64::NAN,
            };
            round_to(dtype, r)
        })
        .collect();
    Buffer::from_f64(dtype, &out)
}

/// Addition in the arithmetic of `dtype` (the interpreter's: floats rounded per the
/// language rules, integers wrapping).
pub(crate) fn add(dtype: ScalarType, a: f64, b: f64) -> f64 {
    combine(BinaryOp::Add, dtype, a, b)
}
