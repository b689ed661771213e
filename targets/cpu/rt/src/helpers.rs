//! The arithmetic helpers generated code calls for what Cranelift cannot compute inline
//! exactly or cheaply (tessera-cpu's `runtime` module declares them to Cranelift).
//!
//! Every helper computes with the reference interpreter's own functions
//! ([`tessera_ir::interp`]), so its result is the interpreter's bit for bit (NaN
//! payloads aside):
//!
//! | helper | computes |
//! |---|---|
//! | `tessera_rt_math_f64(op, x)` | [`unary_f64`]: the f64 formula of a math function |
//! | `tessera_rt_math_f16(op, h)`, `_bf16` | the same on a half, rounded once to the half |
//! | `tessera_rt_f64_to_f16(x)`, `_bf16` | [`f64_to_f16`]/[`f64_to_bf16`]: one rounding |
//! | `tessera_rt_{i64,u64}_to_{f16,bf16}(x)` | [`i128_to_f16`]/[`i128_to_bf16`]: one rounding |
//! | `tessera_rt_fmod_f32(x, y)`, `_f64` | `x % y` (C `fmod`) |
//! | `tessera_rt_fma_f16(a, b, c)`, `_bf16` | `a * b + c` rounded once ([`exact_product_sum_odd`]) |
//!
//! `op` is a [`unary_code`]; halves travel as their bits in a 16-bit integer. An unknown
//! op code gives NaN. None of them can panic.

use half::{bf16, f16};
use tessera_ir::interp::{
    exact_product_sum_odd, f64_to_bf16, f64_to_f16, i128_to_bf16, i128_to_f16, unary_f64,
};
use tessera_ir::UnaryOp;

/// The op code the math helpers take for `op`: its index in [`UnaryOp::ALL`].
pub fn unary_code(op: UnaryOp) -> u32 {
    UnaryOp::ALL.iter().position(|&candidate| candidate == op).unwrap_or(usize::MAX) as u32
}

/// The op a [`unary_code`] stands for.
fn decode(op: u32) -> Option<UnaryOp> {
    UnaryOp::ALL.get(op as usize).copied()
}

/// `(op, x: f64) -> f64`: [`unary_f64`].
#[no_mangle]
pub extern "C" fn tessera_rt_math_f64(op: u32, x: f64) -> f64 {
    decode(op).map_or(f64::NAN, |op| unary_f64(op, x))
}

/// `(op, x: f16 bits) -> f16 bits`: the math function in f64, rounded once.
#[no_mangle]
pub extern "C" fn tessera_rt_math_f16(op: u32, x: u16) -> u16 {
    f64_to_f16(tessera_rt_math_f64(op, f16::from_bits(x).to_f64())).to_bits()
}

/// `(op, x: bf16 bits) -> bf16 bits`: the math function in f64, rounded once.
#[no_mangle]
pub extern "C" fn tessera_rt_math_bf16(op: u32, x: u16) -> u16 {
    f64_to_bf16(tessera_rt_math_f64(op, bf16::from_bits(x).to_f64())).to_bits()
}

/// `(x: f64) -> f16 bits`, rounded once.
#[no_mangle]
pub extern "C" fn tessera_rt_f64_to_f16(x: f64) -> u16 {
    f64_to_f16(x).to_bits()
}

/// `(x: f64) -> bf16 bits`, rounded once.
#[no_mangle]
pub extern "C" fn tessera_rt_f64_to_bf16(x: f64) -> u16 {
    f64_to_bf16(x).to_bits()
}

/// `(x: i64) -> f16 bits`, rounded once.
#[no_mangle]
pub extern "C" fn tessera_rt_i64_to_f16(x: i64) -> u16 {
    i128_to_f16(i128::from(x)).to_bits()
}

/// `(x: u64) -> f16 bits`, rounded once.
#[no_mangle]
pub extern "C" fn tessera_rt_u64_to_f16(x: u64) -> u16 {
    i128_to_f16(i128::from(x)).to_bits()
}

/// `(x: i64) -> bf16 bits`, rounded once.
#[no_mangle]
pub extern "C" fn tessera_rt_i64_to_bf16(x: i64) -> u16 {
    i128_to_bf16(i128::from(x)).to_bits()
}

/// `(x: u64) -> bf16 bits`, rounded once.
#[no_mangle]
pub extern "C" fn tessera_rt_u64_to_bf16(x: u64) -> u16 {
    i128_to_bf16(i128::from(x)).to_bits()
}

/// `(x, y: f32) -> f32`: `fmod`.
#[no_mangle]
pub extern "C" fn tessera_rt_fmod_f32(x: f32, y: f32) -> f32 {
    x % y
}

/// `(x, y: f64) -> f64`: `fmod`.
#[no_mangle]
pub extern "C" fn tessera_rt_fmod_f64(x: f64, y: f64) -> f64 {
    x % y
}

/// The interpreter's half `fma`: the product of two halves is exact in f64, the sum is
/// rounded to odd there, so the final rounding is the only one.
#[no_mangle]
pub extern "C" fn tessera_rt_fma_f16(a: u16, b: u16, c: u16) -> u16 {
    let [a, b, c] = [a, b, c].map(|bits| f16::from_bits(bits).to_f64());
    f64_to_f16(exact_product_sum_odd(a * b, c)).to_bits()
}

/// As [`tessera_rt_fma_f16`], for bf16.
#[no_mangle]
pub extern "C" fn tessera_rt_fma_bf16(a: u16, b: u16, c: u16) -> u16 {
    let [a, b, c] = [a, b, c].map(|bits| bf16::from_bits(bits).to_f64());
    f64_to_bf16(exact_product_sum_odd(a * b, c)).to_bits()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_codes_round_trip_and_unknown_codes_give_nan() {
        for op in UnaryOp::ALL {
            assert_eq!(decode(unary_code(op)), Some(op));
        }
        assert!(tessera_rt_math_f64(u32::MAX, 1.0).is_nan());
        assert_eq!(tessera_rt_math_f16(u32::MAX, 0) & 0x7c00, 0x7c00);
    }

    #[test]
    fn half_helpers_round_once() {
        // 1 + 2^-11 is halfway between two f16 values: ties to even gives 1.0.
        assert_eq!(tessera_rt_f64_to_f16(1.0 + 2f64.powi(-11)), f16::ONE.to_bits());
        assert_eq!(tessera_rt_u64_to_f16(u64::MAX), f16::INFINITY.to_bits());
        assert_eq!(tessera_rt_i64_to_bf16(-1), bf16::NEG_ONE.to_bits());
        let one = f16::ONE.to_bits();
        assert_eq!(tessera_rt_fma_f16(one, one, one), f16::from_f32(2.0).to_bits());
        assert_eq!(tessera_rt_fmod_f64(7.5, 2.0), 1.5);
    }
}
