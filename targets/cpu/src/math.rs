//! Vectorized f32 math functions: Cranelift emitters computing `exp`, `exp2`, `log`,
//! `log2`, `sqrt`, `rsqrt`, `sin`, `cos`, `tanh`, `sigmoid` and `erf` on four lanes at
//! once ([`emit_f32x4`]), with our own range reductions and minimax polynomials. The
//! scalar f32 path (`crate::scalar`) runs the same code on a splat and keeps lane 0, so
//! scalar and vector loops give identical bits. f16/bf16 and f64 math keep the
//! interpreter's exact helpers.
//!
//! # Accuracy
//!
//! Max error over all 2^32 f32 inputs, in ulps of the f32 binade of the f64 reference
//! ([`tessera_ir::interp::unary_f64`]; denormal results in units of 2^-149):
//!
//! | function | max ulp | at | | function | max ulp | at |
//! |---|---|---|---|---|---|---|
//! | `exp` | 0.780 | -87.66 | | `sin` | 0.856 | 975342.8 |
//! | `exp2` | 0.878 | -126.50 | | `cos` | 0.867 | 1006977.1 |
//! | `log` | 0.876 | 1.274 | | `tanh` | 1.066 | 0.682 |
//! | `log2` | 1.081 | 1.405 | | `sigmoid` | 1.475 | -6.237 |
//! | `sqrt` | 0 (exact) | | | `erf` | 1.050 | 1.058 |
//! | `rsqrt` | 1.490 | 1.18e-38 | | | | |
//!
//! Special values are exact: NaN in gives NaN out; `exp(+inf) = +inf`, `exp(-inf) = 0`,
//! overflow gives +inf and underflow denormals or 0 exactly as the reference rounds;
//! `log(±0) = -inf`, `log` of a negative number or -inf is NaN, `log(+inf) = +inf`;
//! `sin`, `tanh` and `erf` keep the sign of zero; `sin(±inf)`/`cos(±inf)` are NaN;
//! `tanh`, `sigmoid` and `erf` saturate to exactly ±1 / 0 / 1; denormal inputs are
//! handled like any other ([`ulp_error`] is the measure: special cases all or nothing).
//! `tests/math_ulp.rs` checks every function against this table rounded up to 0.01 (all
//! within 2 ulp, `sqrt` bit-exact) on a sample of all bit patterns plus the regions
//! around each boundary; reproduce the table itself, over all 2^32 inputs (about a minute
//! per function), with
//! `cargo test --release -p tessera-cpu --test math_ulp -- --ignored --nocapture`.
//!
//! # Method
//!
//! Polynomials come from `examples/math_coeffs.rs` (weighted minimax, rounded to f32 with
//! refits) into `math/coeffs.rs`. Everything is branch-free per lane (`fma`, masks and
//! `bitselect`), and gives the same bits on any host: `fma` is fused in software where the
//! CPU has none.
//!
//! - `exp`: `x = n ln2 + r` with `n` rounded by the 1.5·2^23 trick and `r` exact (one
//!   `fma` with `ln2` rounded to f32, its remainder folded in later); `e^r = 1 + r + r²P(r)`
//!   with `1 + r` kept as an exact pair; `2^n` applied as two normal powers of two so
//!   overflow gives inf and underflow rounds once into the denormals. `exp2` likewise.
//! - `log`: denormals scaled by 2^23; `x = 2^e m`, `m` in [√½, √2), `f = m - 1` exact;
//!   `ln(1 + f) = f + f²P(f)`, then `e ln2` added by `fma`; `log2` multiplies by `log2(e)`
//!   split into two f32 parts. Zero, negative, NaN and inf inputs are patched by masks.
//! - `sin`/`cos`: `x = q π/2 + r` for |x| <= 2^20 with π/2 in three f32 parts and the
//!   reduction error kept (`r` as a hi + lo pair by TwoSum), then odd/even polynomials
//!   in `r²` and the quadrant's swap and sign by integer masks. Lanes beyond 2^20 (and
//!   inf, NaN) take a cold block calling the f64 runtime helper (correctly reduced), which
//!   is the interpreter's own result for them.
//! - `sigmoid`: `e = exp(-|x|)`, then `1/(1 + e)` or `e/(1 + e)`, with the division's
//!   remainder and the rounding of `1 + e` corrected by one `fma`.
//! - `tanh`: an odd polynomial for |x| < 0.625, otherwise `1 - 2e/(1 + e)` with
//!   `e = exp(-2|x|)` (corrected like sigmoid).
//! - `erf`: an odd polynomial for |x| < 1, otherwise `1 - exp(P(|x|))` with `P` fitting
//!   `ln(erfc)` up to 4 (where erf rounds to 1).
//! - `sqrt` is the correctly rounded instruction; `rsqrt` is `1 / sqrt(x)`.

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{types, BlockArg, ConstantData, InstBuilder, MemFlagsData, Value};
use cranelift_frontend::FunctionBuilder;
use tessera_ir::UnaryOp;

use crate::runtime::{unary_code, Helpers};

mod coeffs;

use coeffs::{
    COS, ERF_LARGE, ERF_SMALL, EXP, EXP2, LN2_HI, LN2_LO, LOG, LOG2E_HI, LOG2E_LO, PIO2_1, PIO2_2,
    PIO2_3, SIN, TANH,
};

/// Whether [`emit_f32x4`] computes `op` (the math functions).
pub fn handles(op: UnaryOp) -> bool {
    match op {
        UnaryOp::Exp
        | UnaryOp::Exp2
        | UnaryOp::Log
        | UnaryOp::Log2
        | UnaryOp::Sqrt
        | UnaryOp::Rsqrt
        | UnaryOp::Sin
        | UnaryOp::Cos
        | UnaryOp::Tanh
        | UnaryOp::Sigmoid
        | UnaryOp::Erf => true,
        UnaryOp::Neg | UnaryOp::Not | UnaryOp::Abs | UnaryOp::Floor | UnaryOp::Ceil => false,
    }
}

/// `op` of the four lanes of the `f32x4` value `x`, or None when `op` is not a math
/// function or `x` is not an `f32x4`. `h` supplies the f64 helper that `sin`/`cos` call
/// for lanes beyond their fast reduction.
pub fn emit_f32x4(b: &mut FunctionBuilder, h: &Helpers, op: UnaryOp, x: Value) -> Option<Value> {
    if b.func.dfg.value_type(x) != types::F32X4 || !handles(op) {
        return None;
    }
    let v = &mut Lanes { b };
    Some(match op {
        UnaryOp::Exp => exp(v, x),
        UnaryOp::Exp2 => exp2(v, x),
        UnaryOp::Log => log(v, x),
        UnaryOp::Log2 => log2(v, x),
        UnaryOp::Sqrt => v.b.ins().sqrt(x),
        UnaryOp::Rsqrt => {
            let root = v.b.ins().sqrt(x);
            let one = v.f(1.0);
            v.div(one, root)
        }
        UnaryOp::Sin => sin_cos(v, h, Trig::Sin, x),
        UnaryOp::Cos => sin_cos(v, h, Trig::Cos, x),
        UnaryOp::Tanh => tanh(v, x),
        UnaryOp::Sigmoid => sigmoid(v, x),
        UnaryOp::Erf => erf(v, x),
        UnaryOp::Neg | UnaryOp::Not | UnaryOp::Abs | UnaryOp::Floor | UnaryOp::Ceil => return None,
    })
}

/// 1.5 · 2^23: adding it to |y| < 2^22 rounds `y` to an integer held in the low bits.
const ROUNDER: f32 = 12582912.0;
/// sin/cos reduce lanes up to this magnitude inline.
const TRIG_FAST_LIMIT: f32 = 1048576.0;
/// The f32 bits of √½ rounded down: `log` splits mantissas at this value.
const SQRT_HALF_BITS: i32 = 0x3f35_04f3;

/// The emitting context: arithmetic on `f32x4` (and `i32x4`) values with constants
/// splatted from the constant pool.
struct Lanes<'a, 'f> {
    b: &'a mut FunctionBuilder<'f>,
}

impl Lanes<'_, '_> {
    fn f(&mut self, value: f32) -> Value {
        self.splat(types::F32X4, value.to_bits())
    }

    fn i(&mut self, value: i32) -> Value {
        self.splat(types::I32X4, value as u32)
    }

    fn splat(&mut self, ty: types::Type, bits: u32) -> Value {
        let bytes: Vec<u8> = bits.to_le_bytes().repeat(4);
        let constant = self.b.func.dfg.constants.insert(ConstantData::from(bytes));
        self.b.ins().vconst(ty, constant)
    }

    fn add(&mut self, x: Value, y: Value) -> Value {
        self.b.ins().fadd(x, y)
    }

    fn sub(&mut self, x: Value, y: Value) -> Value {
        self.b.ins().fsub(x, y)
    }

    fn mul(&mut self, x: Value, y: Value) -> Value {
        self.b.ins().fmul(x, y)
    }

    fn div(&mut self, x: Value, y: Value) -> Value {
        self.b.ins().fdiv(x, y)
    }

    /// `x * y + z` rounded once.
    fn fma(&mut self, x: Value, y: Value, z: Value) -> Value {
        self.b.ins().fma(x, y, z)
    }

    fn neg(&mut self, x: Value) -> Value {
        self.b.ins().fneg(x)
    }

    fn abs(&mut self, x: Value) -> Value {
        self.b.ins().fabs(x)
    }

    /// A constant minus `x`.
    fn rsub(&mut self, c: f32, x: Value) -> Value {
        let c = self.f(c);
        self.sub(c, x)
    }

    fn add_c(&mut self, x: Value, c: f32) -> Value {
        let c = self.f(c);
        self.add(x, c)
    }

    fn mul_c(&mut self, x: Value, c: f32) -> Value {
        let c = self.f(c);
        self.mul(x, c)
    }

    /// `x * c + z` for a constant `c`.
    fn fma_c(&mut self, x: Value, c: f32, z: Value) -> Value {
        let c = self.f(c);
        self.fma(x, c, z)
    }

    fn as_int(&mut self, x: Value) -> Value {
        self.b.ins().bitcast(types::I32X4, MemFlagsData::new(), x)
    }

    fn as_float(&mut self, x: Value) -> Value {
        self.b.ins().bitcast(types::F32X4, MemFlagsData::new(), x)
    }

    fn isub_c(&mut self, x: Value, c: i32) -> Value {
        let c = self.i(c);
        self.b.ins().isub(x, c)
    }

    fn band_c(&mut self, x: Value, c: i32) -> Value {
        let c = self.i(c);
        self.b.ins().band(x, c)
    }

    /// All-ones lanes where `x cc y`, as an `f32x4` for [`Lanes::select`].
    fn mask(&mut self, cc: FloatCC, x: Value, y: Value) -> Value {
        let lanes = self.b.ins().fcmp(cc, x, y);
        self.as_float(lanes)
    }

    fn mask_c(&mut self, cc: FloatCC, x: Value, c: f32) -> Value {
        let c = self.f(c);
        self.mask(cc, x, c)
    }

    /// Per lane, `on_true` where `mask` is all ones, else `on_false`.
    fn select(&mut self, mask: Value, on_true: Value, on_false: Value) -> Value {
        self.b.ins().bitselect(mask, on_true, on_false)
    }

    /// `min(hi, x)` that keeps a NaN `x` (one `minps`).
    fn at_most(&mut self, hi: f32, x: Value) -> Value {
        let hi = self.f(hi);
        let above = self.mask(FloatCC::LessThan, hi, x);
        self.select(above, hi, x)
    }

    /// `max(lo, x)` that keeps a NaN `x` (one `maxps`).
    fn at_least(&mut self, lo: f32, x: Value) -> Value {
        let lo = self.f(lo);
        let below = self.mask(FloatCC::LessThan, x, lo);
        self.select(below, lo, x)
    }

    /// The polynomial `coeffs[0] + coeffs[1] x + ...` by Horner's rule with `fma`.
    fn horner(&mut self, coeffs: &[f32], x: Value) -> Value {
        let (&last, rest) = coeffs.split_last().expect("a polynomial has a coefficient");
        let mut acc = self.f(last);
        for &c in rest.iter().rev() {
            let c = self.f(c);
            acc = self.fma(acc, x, c);
        }
        acc
    }

    /// `magnitude` (non-negative) with the sign of `sign_of`.
    fn copysign(&mut self, magnitude: Value, sign_of: Value) -> Value {
        let sign = self.f(-0.0);
        let sign = self.b.ins().band(sign_of, sign);
        self.b.ins().bor(magnitude, sign)
    }

    /// `x` rounded to an integer (|x| < 2^22): the float and the integer lanes.
    fn round(&mut self, sum_with_rounder: Value) -> (Value, Value) {
        let n = self.add_c(sum_with_rounder, -ROUNDER);
        let bits = self.as_int(sum_with_rounder);
        let n_int = self.isub_c(bits, ROUNDER.to_bits() as i32);
        (n, n_int)
    }

    /// `(hi, lo)` with `hi + lo == x + y` exactly and `hi` the rounded sum (TwoSum).
    fn two_sum(&mut self, x: Value, y: Value) -> (Value, Value) {
        let hi = self.add(x, y);
        let y_part = self.sub(hi, x);
        let x_part = self.sub(hi, y_part);
        let x_err = self.sub(x, x_part);
        let y_err = self.sub(y, y_part);
        (hi, self.add(x_err, y_err))
    }

    /// `(1 + x, lo)` with the sum's rounding error `lo` exact, for |x| <= 1 (Fast2Sum).
    fn one_plus(&mut self, x: Value) -> (Value, Value) {
        let sum = self.add_c(x, 1.0);
        let lost = self.rsub(1.0, sum);
        (sum, self.add(lost, x))
    }
}

/// `p · 2^n` for integer lanes `n` in [-152, 129] with one rounding: 2^n as the product
/// of two normal powers of two, so results overflow to inf and underflow into the
/// denormals (or 0) exactly as a single rounding would.
fn scale(v: &mut Lanes, p: Value, n: Value) -> Value {
    let half = v.b.ins().sshr_imm_u(n, 1);
    let rest = v.b.ins().isub(n, half);
    let first = pow2(v, half);
    let second = pow2(v, rest);
    let partial = v.mul(p, first);
    v.mul(partial, second)
}

/// 2^n for integer lanes `n` in [-126, 127].
fn pow2(v: &mut Lanes, n: Value) -> Value {
    let biased = v.isub_c(n, -127);
    let bits = v.b.ins().ishl_imm_u(biased, 23);
    v.as_float(bits)
}

fn exp(v: &mut Lanes, x: Value) -> Value {
    // e^89 overflows and e^-104 rounds to 0: clamping keeps `n` in range.
    let upper = v.at_most(89.0, x);
    let clamped = v.at_least(-104.0, upper);
    exp_clamped(v, clamped)
}

/// e^x for `x` in [-104, 89] or NaN.
fn exp_clamped(v: &mut Lanes, x: Value) -> Value {
    let rounder = v.f(ROUNDER);
    let t = v.fma_c(x, LOG2E_HI, rounder);
    let (n, n_int) = v.round(t);
    let minus_n = v.neg(n);
    // r = x - n ln2_hi is exact; c = -n ln2_lo is what it leaves out.
    let r = v.fma_c(minus_n, LN2_HI, x);
    let c = v.mul_c(minus_n, LN2_LO);
    let tail = v.horner(&EXP, r);
    let r2 = v.mul(r, r);
    let u0 = v.mul(r2, tail);
    // e^(r + c) = (1 + r + u0)(1 + c): the small terms u0 + c + c (r + u0).
    let r_u0 = v.add(r, u0);
    let c_part = v.fma(c, r_u0, c);
    let small = v.add(c_part, u0);
    let (sum, lost) = v.one_plus(r);
    let low = v.add(lost, small);
    let p = v.add(sum, low);
    scale(v, p, n_int)
}

fn exp2(v: &mut Lanes, x: Value) -> Value {
    let upper = v.at_most(129.0, x);
    let clamped = v.at_least(-151.0, upper);
    let t = v.add_c(clamped, ROUNDER);
    let (n, n_int) = v.round(t);
    let r = v.sub(clamped, n);
    // 2^r = 1 + r q(r), with the product and the sum's errors kept.
    let q = v.horner(&EXP2, r);
    let rq = v.mul(r, q);
    let minus_rq = v.neg(rq);
    let rq_lo = v.fma(r, q, minus_rq);
    let (sum, lost) = v.one_plus(rq);
    let low = v.add(lost, rq_lo);
    let p = v.add(sum, low);
    scale(v, p, n_int)
}

/// `(e, f)` with `x = 2^e (1 + f)`, `1 + f` in [√½, √2), for positive finite `x`
/// (other lanes give unspecified values, patched by [`log_special`]).
fn log_parts(v: &mut Lanes, x: Value) -> (Value, Value) {
    let tiny = v.mask_c(FloatCC::LessThan, x, f32::MIN_POSITIVE);
    let scaled = v.mul_c(x, 8388608.0);
    let normal = v.select(tiny, scaled, x);
    let bits = v.as_int(normal);
    let offset = v.isub_c(bits, SQRT_HALF_BITS);
    let e_int = v.b.ins().sshr_imm_u(offset, 23);
    let e_bits = v.b.ins().ishl_imm_u(e_int, 23);
    let m_bits = v.b.ins().isub(bits, e_bits);
    let m = v.as_float(m_bits);
    let tiny_int = v.as_int(tiny);
    let scaled_by = v.band_c(tiny_int, 23);
    let e_int = v.b.ins().isub(e_int, scaled_by);
    let e = v.b.ins().fcvt_from_sint(types::F32X4, e_int);
    let f = v.add_c(m, -1.0);
    (e, f)
}

/// `log`'s special lanes: +inf stays, ±0 gives -inf, negative or NaN gives NaN.
fn log_special(v: &mut Lanes, x: Value, result: Value) -> Value {
    let infinite = v.mask_c(FloatCC::Equal, x, f32::INFINITY);
    let result = v.select(infinite, x, result);
    let zero = v.mask_c(FloatCC::Equal, x, 0.0);
    let minus_inf = v.f(f32::NEG_INFINITY);
    let result = v.select(zero, minus_inf, result);
    let invalid = v.mask_c(FloatCC::UnorderedOrLessThan, x, 0.0);
    let nan = v.f(f32::NAN);
    v.select(invalid, nan, result)
}

fn log(v: &mut Lanes, x: Value) -> Value {
    let (e, f) = log_parts(v, x);
    let tail = v.horner(&LOG, f);
    let f2 = v.mul(f, f);
    let e_lo = v.mul_c(e, LN2_LO);
    let low = v.fma(f2, tail, e_lo);
    let log1p = v.add(f, low);
    let result = v.fma_c(e, LN2_HI, log1p);
    log_special(v, x, result)
}

fn log2(v: &mut Lanes, x: Value) -> Value {
    let (e, f) = log_parts(v, x);
    let tail = v.horner(&LOG, f);
    let f2 = v.mul(f, f);
    let low = v.mul(f2, tail);
    // (f + low) log2(e) with log2(e) = hi + lo: f hi exact inside the last fma.
    let f_lo = v.mul_c(f, LOG2E_LO);
    let small = v.fma_c(low, LOG2E_HI, f_lo);
    let scaled = v.fma_c(f, LOG2E_HI, small);
    let result = v.add(e, scaled);
    log_special(v, x, result)
}

#[derive(Clone, Copy)]
enum Trig {
    Sin,
    Cos,
}

fn sin_cos(v: &mut Lanes, h: &Helpers, trig: Trig, x: Value) -> Value {
    let (quadrant, r, r_lo) = reduce_pio2(v, x);
    let quadrant = match trig {
        Trig::Sin => quadrant,
        // cos x = sin(x + π/2).
        Trig::Cos => v.isub_c(quadrant, -1),
    };
    let sin = sin_poly(v, r, r_lo);
    let cos = cos_poly(v, r, r_lo);
    let odd = v.band_c(quadrant, 1);
    let zero = v.i(0);
    let even = v.b.ins().icmp(IntCC::Equal, odd, zero);
    let even = v.as_float(even);
    let value = v.select(even, sin, cos);
    // Quadrants 2 and 3 negate.
    let half_turn = v.band_c(quadrant, 2);
    let sign = v.b.ins().ishl_imm_u(half_turn, 30);
    let bits = v.as_int(value);
    let bits = v.b.ins().bxor(bits, sign);
    let mut fast = v.as_float(bits);
    if let Trig::Sin = trig {
        // sin x rounds to x below 2^-12; this also keeps the sign of zero.
        let ax = v.abs(x);
        let tiny = v.mask_c(FloatCC::LessThan, ax, 1.0 / 4096.0);
        fast = v.select(tiny, x, fast);
    }
    let op = match trig {
        Trig::Sin => UnaryOp::Sin,
        Trig::Cos => UnaryOp::Cos,
    };
    beyond_fast_limit(v, h, op, x, fast)
}

/// `(q, r, r_lo)` with `x = q π/2 + r + r_lo` (to about 2^-70 |q|), `q` as integer
/// lanes, for |x| <= [`TRIG_FAST_LIMIT`].
fn reduce_pio2(v: &mut Lanes, x: Value) -> (Value, Value, Value) {
    let rounder = v.f(ROUNDER);
    let t = v.fma_c(x, std::f32::consts::FRAC_2_PI, rounder);
    let (q, q_int) = v.round(t);
    let minus_q = v.neg(q);
    // x - q p1 is exact; q p2 is split exactly into product and remainder.
    let r1 = v.fma_c(minus_q, PIO2_1, x);
    let p2 = v.mul_c(q, PIO2_2);
    let minus_p2 = v.neg(p2);
    let p2_lo = v.fma_c(q, PIO2_2, minus_p2);
    let (s, s_lo) = v.two_sum(r1, minus_p2);
    let lo = v.sub(s_lo, p2_lo);
    let lo = v.fma_c(minus_q, PIO2_3, lo);
    let (r, r_lo) = v.two_sum(s, lo);
    (q_int, r, r_lo)
}

/// sin(r + r_lo) = r + (r_lo + r³ S(r²)).
fn sin_poly(v: &mut Lanes, r: Value, r_lo: Value) -> Value {
    let z = v.mul(r, r);
    let tail = v.horner(&SIN, z);
    let r3 = v.mul(r, z);
    let small = v.fma(r3, tail, r_lo);
    v.add(r, small)
}

/// cos(r + r_lo) = 1 - r²/2 + r⁴ C(r²) - r r_lo, with 1 - r²/2 as an exact pair.
fn cos_poly(v: &mut Lanes, r: Value, r_lo: Value) -> Value {
    let z = v.mul(r, r);
    let minus_z = v.neg(z);
    let z_lo = v.fma(r, r, minus_z);
    let tail = v.horner(&COS, z);
    let half_z = v.mul_c(z, 0.5);
    let w = v.rsub(1.0, half_z);
    let taken = v.rsub(1.0, w);
    let w_lo = v.sub(taken, half_z);
    let minus_r = v.neg(r);
    let half_z_lo = v.mul_c(z_lo, -0.5);
    let cross = v.fma(minus_r, r_lo, half_z_lo);
    let z2 = v.mul(z, z);
    let small = v.fma(z2, tail, cross);
    let low = v.add(w_lo, small);
    v.add(w, low)
}

/// `fast`, except lanes with |x| > [`TRIG_FAST_LIMIT`] (and inf, NaN), which a cold block
/// computes with the f64 helper when there are any.
fn beyond_fast_limit(v: &mut Lanes, h: &Helpers, op: UnaryOp, x: Value, fast: Value) -> Value {
    let ax = v.abs(x);
    let limit = v.f(TRIG_FAST_LIMIT);
    let slow_lanes = v.b.ins().fcmp(FloatCC::UnorderedOrGreaterThan, ax, limit);
    let any = v.b.ins().vany_true(slow_lanes);
    let slow = v.b.create_block();
    let done = v.b.create_block();
    let result = v.b.append_block_param(done, types::F32X4);
    v.b.ins().brif(any, slow, &[], done, &[BlockArg::Value(fast)]);
    v.b.set_cold_block(slow);
    v.b.switch_to_block(slow);
    v.b.seal_block(slow);
    let code = v.b.ins().iconst(types::I32, i64::from(unary_code(op)));
    let mut exact = fast;
    for lane in 0..4u8 {
        let narrow = v.b.ins().extractlane(x, lane);
        let wide = v.b.ins().fpromote(types::F64, narrow);
        let call = v.b.ins().call(h.math_f64, &[code, wide]);
        let wide = v.b.inst_results(call)[0];
        let narrow = v.b.ins().fdemote(types::F32, wide);
        exact = v.b.ins().insertlane(exact, narrow, lane);
    }
    let mask = v.as_float(slow_lanes);
    let merged = v.select(mask, exact, fast);
    v.b.ins().jump(done, &[BlockArg::Value(merged)]);
    v.b.switch_to_block(done);
    v.b.seal_block(done);
    result
}

/// What [`over_one_plus`] divides by `1 + e`.
#[derive(Clone, Copy)]
enum Numerator {
    /// `e` in every lane.
    E,
    /// `e` where the mask is set, 1 elsewhere.
    EWhere(Value),
}

/// `num / (1 + e)` for `e` in [0, 1] within about an ulp: the rounded quotient `q`
/// corrected by its remainder and by the rounding error of `1 + e`, both divided by
/// `1 + e` through `1 / (1 + e) ≈ 1 - q` (numerator `e`) or `≈ q` (numerator 1).
fn over_one_plus(v: &mut Lanes, e: Value, numerator: Numerator) -> Value {
    let num = match numerator {
        Numerator::E => e,
        Numerator::EWhere(mask) => {
            let one = v.f(1.0);
            v.select(mask, e, one)
        }
    };
    let (d, d_lo) = v.one_plus(e);
    let q = v.div(num, d);
    let minus_q = v.neg(q);
    let remainder = v.fma(minus_q, d, num);
    let correction = v.fma(minus_q, d_lo, remainder);
    let one_minus_q = v.rsub(1.0, q);
    let inv = match numerator {
        Numerator::E => one_minus_q,
        Numerator::EWhere(mask) => v.select(mask, one_minus_q, q),
    };
    v.fma(correction, inv, q)
}

fn sigmoid(v: &mut Lanes, x: Value) -> Value {
    let ax = v.abs(x);
    let minus_ax = v.neg(ax);
    let clamped = v.at_least(-104.0, minus_ax);
    let e = exp_clamped(v, clamped);
    // σ(x) = 1/(1 + e) for x >= 0, e/(1 + e) below.
    let negative = v.mask_c(FloatCC::LessThan, x, 0.0);
    over_one_plus(v, e, Numerator::EWhere(negative))
}

/// Both branches work on |x| (so the odd polynomial cannot lose the sign of -0); the
/// sign goes back on last.
fn tanh(v: &mut Lanes, x: Value) -> Value {
    let ax = v.abs(x);
    let z = v.mul(ax, ax);
    let tail = v.horner(&TANH, z);
    let a3 = v.mul(ax, z);
    let small = v.fma(a3, tail, ax);
    // tanh a = 1 - 2 e/(1 + e), e = e^(-2a); tanh(10) rounds to 1.
    let capped = v.at_most(10.0, ax);
    let minus_2a = v.mul_c(capped, -2.0);
    let e = exp_clamped(v, minus_2a);
    let ratio = over_one_plus(v, e, Numerator::E);
    let one = v.f(1.0);
    let large = v.fma_c(ratio, -2.0, one);
    let below = v.mask_c(FloatCC::LessThan, ax, 0.625);
    let magnitude = v.select(below, small, large);
    v.copysign(magnitude, x)
}

/// Both branches work on |x|, like [`tanh`].
fn erf(v: &mut Lanes, x: Value) -> Value {
    let ax = v.abs(x);
    let z = v.mul(ax, ax);
    let tail = v.horner(&ERF_SMALL, z);
    let small = v.fma(ax, tail, ax);
    // 1 - erf a = exp(P(a)) for 1 <= a <= 4; erf rounds to 1 beyond.
    let capped = v.at_most(4.0, ax);
    let log_erfc = v.horner(&ERF_LARGE, capped);
    let erfc = exp_clamped(v, log_erfc);
    let large = v.rsub(1.0, erfc);
    let below = v.mask_c(FloatCC::LessThan, ax, 1.0);
    let magnitude = v.select(below, small, large);
    v.copysign(magnitude, x)
}

/// The error of an f32 result `got` against the exact value `reference`, in ulps of f32
/// at the reference's binade: `|got - reference| / 2^(e - 23)` with `e` the exponent of
/// `reference` clamped to [-126, 127] (denormal results count in units of 2^-149). Special
/// cases are all or nothing: a NaN reference needs a NaN, a NaN result is otherwise
/// infinitely wrong; where the reference rounds to ±inf the result must be that
/// infinity, and an infinite result for a finite one is infinitely wrong; a zero
/// reference needs a zero of its sign (or counts the result's distance from 0).
pub fn ulp_error(got: f32, reference: f64) -> f64 {
    if reference.is_nan() || got.is_nan() {
        return if reference.is_nan() && got.is_nan() { 0.0 } else { f64::INFINITY };
    }
    let rounded = reference as f32;
    if rounded.is_infinite() || got.is_infinite() {
        return if got == rounded { 0.0 } else { f64::INFINITY };
    }
    if got == 0.0 && reference == 0.0 {
        let same_sign = got.is_sign_negative() == reference.is_sign_negative();
        return if same_sign { 0.0 } else { f64::INFINITY };
    }
    let biased_exponent = ((reference.to_bits() >> 52) & 0x7ff) as i32;
    let exponent = (biased_exponent - 1023).clamp(-126, 127);
    (f64::from(got) - reference).abs() / 2f64.powi(exponent - 23)
}
