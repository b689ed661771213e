//! Floating-point helpers with exactly specified results: correctly rounded narrowing
//! to f16/bf16, `maximum`/`minimum` with the NaN and signed-zero rules, and an `erf`.
//!
//! `half`'s own `from_f64` is not used: it drops the low 32 bits of the f64 mantissa
//! before rounding (and with F16C goes through f32), so a value just above a tie can
//! round down. Instead, values are first rounded to f32 *to odd* (truncate, then set
//! the last bit if anything was lost); rounding that to nearest-even is then the same
//! as rounding the original value once, because f32 keeps at least two more bits than
//! f16 or bf16 at every exponent (Boldo and Melquiond, "When double rounding is odd").

use half::{bf16, f16};

use super::elem::Float;

/// `value` rounded to f32 with round-to-odd.
pub(crate) fn f64_to_f32_odd(value: f64) -> f32 {
    let nearest = value as f32;
    if value.is_nan() || f64::from(nearest) == value {
        return nearest;
    }
    // Inexact: truncate toward zero (one step back if rounding went away from zero;
    // this also turns an overflow to infinity into f32::MAX), then mark the loss.
    let truncated = if f64::from(nearest).abs() > value.abs() {
        f32::from_bits(nearest.to_bits() - 1)
    } else {
        nearest
    };
    f32::from_bits(truncated.to_bits() | 1)
}

/// `product + addend` rounded to f64 *to odd*, for an exactly computed `product`.
///
/// The sum is split exactly into `hi + lo` (Knuth's TwoSum); when `lo` is not zero,
/// `hi` is stepped toward zero if it rounded away, and its last bit is set. Rounding
/// this to f16/bf16 ([`f64_to_f16`], [`f64_to_bf16`], since round-to-odd composes) rounds
/// the exact `product + addend` once, which is what `fma` on half types requires.
pub fn exact_product_sum_odd(product: f64, addend: f64) -> f64 {
    let hi = product + addend;
    if !hi.is_finite() {
        return hi;
    }
    let rounded_addend = hi - product;
    let rounded_product = hi - rounded_addend;
    let lo = (product - rounded_product) + (addend - rounded_addend);
    if lo == 0.0 {
        return hi;
    }
    // `hi` is nonzero here (a zero sum is exact). Inexact: truncate toward zero,
    // then mark the loss in the last bit.
    let truncated = if lo.is_sign_negative() != hi.is_sign_negative() {
        f64::from_bits(hi.to_bits() - 1)
    } else {
        hi
    };
    f64::from_bits(truncated.to_bits() | 1)
}

/// `value` rounded once to nearest-even f16.
pub fn f64_to_f16(value: f64) -> f16 {
    f16::from_f32(f64_to_f32_odd(value))
}

/// `value` rounded once to nearest-even bf16.
pub fn f64_to_bf16(value: f64) -> bf16 {
    bf16::from_f32(f64_to_f32_odd(value))
}

/// `value` rounded to f32 with round-to-odd.
fn i128_to_f32_odd(value: i128) -> f32 {
    let magnitude = value.unsigned_abs();
    let bits = 128 - magnitude.leading_zeros();
    let kept = if bits <= 24 {
        magnitude
    } else {
        let shift = bits - 24;
        let sticky = magnitude & ((1u128 << shift) - 1) != 0;
        ((magnitude >> shift) | u128::from(sticky)) << shift
    };
    // `kept` has at most 24 significant bits, so this conversion is exact.
    let result = kept as f32;
    if value < 0 {
        -result
    } else {
        result
    }
}

/// `value` rounded once to nearest-even f16.
pub fn i128_to_f16(value: i128) -> f16 {
    f16::from_f32(i128_to_f32_odd(value))
}

/// `value` rounded once to nearest-even bf16.
pub fn i128_to_bf16(value: i128) -> bf16 {
    bf16::from_f32(i128_to_f32_odd(value))
}

/// `maximum(a, b)`: NaN if either is NaN, and `-0.0 < +0.0`.
pub(crate) fn maximum<F: Float>(a: F, b: F) -> F {
    if a.is_nan() {
        a
    } else if b.is_nan() || b > a {
        b
    } else if a > b {
        a
    } else if a.is_sign_negative() {
        // Equal values: only the sign of a zero can differ.
        b
    } else {
        a
    }
}

/// `minimum(a, b)`: NaN if either is NaN, and `-0.0 < +0.0`.
pub(crate) fn minimum<F: Float>(a: F, b: F) -> F {
    if a.is_nan() {
        a
    } else if b.is_nan() || b < a {
        b
    } else if a < b || a.is_sign_negative() {
        // Equal values: the negative zero is the smaller.
        a
    } else {
        b
    }
}

/// Whether `a` is above `b` in the order of `maximum` (`-0.0 < +0.0`); no NaNs.
pub(crate) fn above<F: Float>(a: F, b: F) -> bool {
    a > b || (a == b && b.is_sign_negative() && !a.is_sign_negative())
}

/// 2/sqrt(pi) as a double-double: `ERF_SCALE_HI + ERF_SCALE_LO`.
const ERF_SCALE_HI: f64 = std::f64::consts::FRAC_2_SQRT_PI;
const ERF_SCALE_LO: f64 = 1.533545961316588e-17;
/// 1/sqrt(pi).
const FRAC_1_SQRT_PI: f64 = 0.5641895835477563;

/// The error function in f64, within 1 ulp on the whole line (checked against
/// 50-digit references in the tests).
///
/// `|x| < 1`: the Maclaurin series, scaled by 2/sqrt(pi) in double-double;
/// `1 <= |x| < 6`: `1 - erfc(|x|)` with erfc from Laplace's continued fraction,
/// evaluated backward; `|x| >= 6`: ±1 (erfc(6) is below half an ulp of 1).
pub fn erf(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    let a = x.abs();
    let result = if a < 1.0 {
        erf_series(a)
    } else if a < 6.0 {
        1.0 - erfc_continued_fraction(a)
    } else {
        1.0
    };
    result.copysign(x)
}

/// erf(a) for `0 <= a < 1`: (2/sqrt(pi)) * a * (1 + d), d = Σ_{n≥1} (-a²)^n / (n! (2n+1)).
fn erf_series(a: f64) -> f64 {
    let z = -a * a;
    let mut power = 1.0;
    let mut d = 0.0;
    for n in 1..64 {
        let n = f64::from(n);
        power *= z / n;
        let term = power / (2.0 * n + 1.0);
        d += term;
        if term.abs() <= 1e-17 {
            break;
        }
    }
    let hi = a * ERF_SCALE_HI;
    let lo = a.mul_add(ERF_SCALE_HI, -hi) + a * ERF_SCALE_LO;
    hi + (lo + hi * d)
}

/// erfc(a) for `1 <= a < 6` from
/// erfc(a) = exp(-a²)/sqrt(pi) / (a + (1/2)/(a + 1/(a + (3/2)/(a + …)))).
fn erfc_continued_fraction(a: f64) -> f64 {
    // Enough terms for full f64 precision at the low end of each range.
    let terms = if a < 2.0 { 300 } else { 100 };
    let mut denominator = a;
    for k in (1..=terms).rev() {
        denominator = a + f64::from(k) * 0.5 / denominator;
    }
    exp_neg_square(a) * FRAC_1_SQRT_PI / denominator
}

/// exp(-a²) without the error of rounding a² first: a² = hi + lo exactly.
fn exp_neg_square(a: f64) -> f64 {
    let hi = a * a;
    let lo = a.mul_add(a, -hi);
    (-hi).exp() * (1.0 - lo)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(got: f64, want: f64) -> f64 {
        if got == want {
            return 0.0;
        }
        let ulp = f64::from_bits(want.abs().to_bits() + 1) - want.abs();
        (got - want).abs() / ulp
    }

    #[test]
    fn erf_matches_references_within_one_ulp() {
        // erf(x) to 17 significant digits (mpmath, 50 digits).
        let references = [
            (1e-300, 1.1283791670955126e-300),
            (1e-8, 1.1283791670955126e-08),
            (0.001, 0.0011283787909692365),
            (0.1, 0.1124629160182849),
            (0.25, 0.27632639016823696),
            (0.5, 0.5204998778130465),
            (0.75, 0.7111556336535151),
            (0.9999, 0.8426592780487595),
            (1.0, 0.8427007929497149),
            (1.25, 0.9229001282564583),
            (1.5, 0.9661051464753108),
            (2.0, 0.9953222650189527),
            (2.5, 0.999593047982555),
            (3.0, 0.9999779095030014),
            (4.0, 0.9999999845827421),
            (5.5, 0.9999999999999927),
            (5.9, 0.9999999999999999),
            (7.0, 1.0),
        ];
        for (x, want) in references {
            assert!(ulps(erf(x), want) <= 1.0, "erf({x}) = {} want {want}", erf(x));
            assert!(ulps(erf(-x), -want) <= 1.0, "erf(-{x})");
        }
    }

    #[test]
    fn erf_special_values() {
        assert_eq!(erf(0.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(erf(-0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(erf(f64::INFINITY), 1.0);
        assert_eq!(erf(f64::NEG_INFINITY), -1.0);
        assert!(erf(f64::NAN).is_nan());
    }

    #[test]
    fn narrowing_from_f64_rounds_once() {
        // Just above the tie between 1 and 1 + 2^-10: must round up. (half's own
        // from_f64 truncates the low mantissa bits and sees an exact tie.)
        let above_tie = 1.0 + 2f64.powi(-11) + 2f64.powi(-40);
        assert_eq!(f64_to_f16(above_tie), f16::from_f32(1.0 + 2f32.powi(-10)));
        // An exact tie rounds to even.
        assert_eq!(f64_to_f16(1.0 + 2f64.powi(-11)), f16::ONE);
        assert_eq!(f64_to_f16(1.0 + 3.0 * 2f64.powi(-11)), f16::from_f32(1.0 + 2f32.powi(-9)));
        let bf_above_tie = 1.0 + 2f64.powi(-8) + 2f64.powi(-45);
        assert_eq!(f64_to_bf16(bf_above_tie), bf16::from_f32(1.0 + 2f32.powi(-7)));
        assert_eq!(f64_to_bf16(1.0 + 2f64.powi(-8)), bf16::ONE);
        // Overflow, underflow, subnormals, NaN.
        assert_eq!(f64_to_f16(65520.0), f16::INFINITY);
        assert_eq!(f64_to_f16(65519.99), f16::MAX);
        assert_eq!(f64_to_f16(1e300), f16::INFINITY);
        assert_eq!(f64_to_bf16(-1e300), bf16::NEG_INFINITY);
        assert_eq!(f64_to_f16(2f64.powi(-25)).to_bits(), 0); // tie with 0 → even
        assert_eq!(f64_to_f16(2f64.powi(-25) + 2f64.powi(-60)).to_bits(), 1);
        assert_eq!(f64_to_f16(-1e-300).to_bits(), 0x8000);
        assert_eq!(f64_to_bf16(2f64.powi(-134) + 2f64.powi(-170)).to_bits(), 1);
        assert!(f64_to_f16(f64::NAN).is_nan());
    }

    #[test]
    fn half_fma_rounds_once() {
        use crate::interp::elem::Float;
        // 7 * (37/256) = 1 + 3 * 2^-8 is a bf16 tie; a tiny negative addend puts the
        // exact result just below it, so it must round down. Rounding the sum to f64
        // (or f32) first would lose the addend and round the tie to even (up).
        let (a, b) = (bf16::from_f32(7.0), bf16::from_f32(37.0 / 256.0));
        let c = -bf16::from_bits(1);
        assert_eq!(a.fma_r(b, c), bf16::from_f32(1.0 + 2f32.powi(-7)));
        assert_eq!(a.fma_r(b, -c), bf16::from_f32(1.0 + 2f32.powi(-6)));
        assert_eq!(a.fma_r(b, bf16::ZERO), bf16::from_f32(1.0 + 2f32.powi(-6)));
        // Signed zeros, infinities and NaN follow IEEE fma.
        let (zero, neg_zero) = (f16::ZERO, f16::NEG_ZERO);
        assert_eq!(neg_zero.fma_r(f16::ONE, neg_zero).to_bits(), f16::NEG_ZERO.to_bits());
        assert_eq!(neg_zero.fma_r(f16::ONE, zero).to_bits(), f16::ZERO.to_bits());
        assert!(f16::INFINITY.fma_r(zero, f16::ONE).is_nan());
        assert!(f16::INFINITY.fma_r(f16::ONE, f16::NEG_INFINITY).is_nan());
        assert_eq!(f16::MAX.fma_r(f16::MAX, f16::ONE), f16::INFINITY);
        assert_eq!(exact_product_sum_odd(1.0, 2f64.powi(-80)), 1.0 + 2f64.powi(-52));
        assert_eq!(exact_product_sum_odd(1.0, -(2f64.powi(-80))), 1.0 - 2f64.powi(-53));
    }

    #[test]
    fn narrowing_from_integers_rounds_once() {
        assert_eq!(i128_to_f16(2049), f16::from_f32(2048.0)); // tie → even
        assert_eq!(i128_to_f16(2051), f16::from_f32(2052.0)); // tie → even
        assert_eq!(i128_to_f16(65519), f16::MAX);
        assert_eq!(i128_to_f16(65520), f16::INFINITY);
        assert_eq!(i128_to_f16(-70000), f16::NEG_INFINITY);
        // 2^24 + 1 would tie in f32 if converted there first; bf16 must see it above
        // the tie between 2^24 and 2^24 + 2^17.
        let x = (1i128 << 24) + (1 << 16) + 1;
        assert_eq!(i128_to_bf16(x), bf16::from_f32(16_908_288.0));
        assert_eq!(i128_to_bf16(i128::from(u64::MAX)), bf16::from_f32(1.8446744e19));
    }

    #[test]
    fn maximum_and_minimum_order_signed_zeros_and_propagate_nan() {
        assert!(maximum(f32::NAN, 1.0).is_nan());
        assert!(maximum(1.0, f32::NAN).is_nan());
        assert!(minimum(f32::NAN, 1.0).is_nan());
        assert!(!maximum(-0.0f32, 0.0).is_sign_negative());
        assert!(!maximum(0.0f32, -0.0).is_sign_negative());
        assert!(minimum(-0.0f32, 0.0).is_sign_negative());
        assert!(minimum(0.0f32, -0.0).is_sign_negative());
        assert_eq!(maximum(2.0f64, 3.0), 3.0);
        assert_eq!(minimum(2.0f64, 3.0), 2.0);
        assert!(above(0.0f32, -0.0));
        assert!(!above(-0.0f32, 0.0));
    }
}
