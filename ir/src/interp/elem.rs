//! Element-type traits that let the interpreter write each operation once, generically,
//! and instantiate it for the 13 scalar types.
//!
//! [`Elem`] covers every scalar type (typed access to a [`Buffer`] and the conversions
//! casts are built from); [`Int`] adds two's-complement arithmetic with the RISC-V
//! division rules; [`Float`] adds the rounding rules of docs/language.md ("Semantics"):
//! f16/bf16 ops go through f32 and round once, f32/f64 ops are native.
//!
//! [`with_elem!`] and [`with_kind!`] turn a runtime [`ScalarType`] into a concrete type
//! parameter with one exhaustive `match`, so each loop runs monomorphized.

use half::{bf16, f16};

use super::float;
use super::value::{Buffer, Scalar};
use crate::types::ScalarType;

/// A scalar element type stored in a [`Buffer`].
pub(crate) trait Elem: Copy + Default + PartialOrd + 'static {
    /// The IR type of this element type.
    const DTYPE: ScalarType;
    /// The elements of `buffer`, if it holds this type.
    fn slice(buffer: &Buffer) -> Option<&[Self]>;
    /// The elements of `buffer` for writing, if it holds this type.
    fn slice_mut(buffer: &mut Buffer) -> Option<&mut [Self]>;
    /// Wraps `values` into the matching [`Buffer`] variant.
    fn into_buffer(values: Vec<Self>) -> Buffer;
    /// Wraps one element into the matching [`Scalar`] variant.
    fn into_scalar(self) -> Scalar;
    /// The value as f64 (exact for types of at most 32 bits), for summaries.
    fn lossy_f64(self) -> f64;
    /// Cast from `bool`: 0 or 1.
    fn from_bool(value: bool) -> Self;
    /// Cast from an integer (already sign- or zero-extended by its source type):
    /// integers truncate, floats round to nearest-even, `bool` is `!= 0`.
    fn from_int(value: i128) -> Self;
    /// Cast from a float (exactly widened to f64): integers truncate toward zero and
    /// saturate with NaN → 0, floats round to nearest-even, `bool` is `!= 0.0`.
    fn from_float(value: f64) -> Self;
}

/// Integer element types: wrapping arithmetic, RISC-V division, modular shifts.
pub(crate) trait Int: Elem + Ord {
    /// The value, sign- or zero-extended by the type's signedness.
    fn to_i128(self) -> i128;
    fn add_wrap(self, rhs: Self) -> Self;
    fn sub_wrap(self, rhs: Self) -> Self;
    fn mul_wrap(self, rhs: Self) -> Self;
    /// Truncating division; `x / 0` is all ones, `MIN / -1` is `MIN`.
    fn div_riscv(self, rhs: Self) -> Self;
    /// Remainder with the dividend's sign; `x % 0` is `x`, `MIN % -1` is 0.
    fn rem_riscv(self, rhs: Self) -> Self;
    fn bit_and(self, rhs: Self) -> Self;
    fn bit_or(self, rhs: Self) -> Self;
    fn bit_xor(self, rhs: Self) -> Self;
    /// Shift left by `rhs` modulo the bit width.
    fn shl_mod(self, rhs: Self) -> Self;
    /// Shift right (arithmetic if signed, logical if unsigned) by `rhs` modulo the width.
    fn shr_mod(self, rhs: Self) -> Self;
    fn neg_wrap(self) -> Self;
    fn bit_not(self) -> Self;
    /// Absolute value; `abs(MIN)` is `MIN`; the identity on unsigned types.
    fn abs_wrap(self) -> Self;
}

/// Floating-point element types.
pub(crate) trait Float: Elem {
    /// The type sums and scans accumulate in: f32 for f16/bf16, else the type itself.
    type Acc: Float;
    /// The exact value as f64.
    fn to_f64(self) -> f64;
    /// `value` rounded to nearest-even (one rounding, no double rounding).
    fn round_from_f64(value: f64) -> Self;
    /// The exact value in the accumulator type.
    fn to_acc(self) -> Self::Acc;
    /// `acc` rounded to nearest-even.
    fn round_from_acc(acc: Self::Acc) -> Self;
    fn add_r(self, rhs: Self) -> Self;
    fn sub_r(self, rhs: Self) -> Self;
    fn mul_r(self, rhs: Self) -> Self;
    fn div_r(self, rhs: Self) -> Self;
    /// `fmod` (exact, so no rounding question arises).
    fn rem_r(self, rhs: Self) -> Self;
    /// Fused multiply-add `self * b + c` with one rounding of the exact result.
    fn fma_r(self, b: Self, c: Self) -> Self;
    /// Sign flip (exact, also for NaN).
    fn neg(self) -> Self;
    fn is_nan(self) -> bool;
    fn is_sign_negative(self) -> bool;
}

/// Matches a [`ScalarType`] and evaluates `$body` with `$T` aliased to its Rust type.
macro_rules! with_elem {
    ($dtype:expr, $T:ident => $body:expr) => {
        match $dtype {
            $crate::types::ScalarType::Bool => {
                type $T = bool;
                $body
            }
            $crate::types::ScalarType::I8 => {
                type $T = i8;
                $body
            }
            $crate::types::ScalarType::I16 => {
                type $T = i16;
                $body
            }
            $crate::types::ScalarType::I32 => {
                type $T = i32;
                $body
            }
            $crate::types::ScalarType::I64 => {
                type $T = i64;
                $body
            }
            $crate::types::ScalarType::U8 => {
                type $T = u8;
                $body
            }
            $crate::types::ScalarType::U16 => {
                type $T = u16;
                $body
            }
            $crate::types::ScalarType::U32 => {
                type $T = u32;
                $body
            }
            $crate::types::ScalarType::U64 => {
                type $T = u64;
                $body
            }
            $crate::types::ScalarType::F16 => {
                type $T = half::f16;
                $body
            }
            $crate::types::ScalarType::BF16 => {
                type $T = half::bf16;
                $body
            }
            $crate::types::ScalarType::F32 => {
                type $T = f32;
                $body
            }
            $crate::types::ScalarType::F64 => {
                type $T = f64;
                $body
            }
        }
    };
}

/// Matches a [`ScalarType`] by kind: `bool`, an integer type aliased to `$I`, or a
/// float type aliased to `$F`.
macro_rules! with_kind {
    ($dtype:expr, bool => $b:expr, int $I:ident => $i:expr, float $F:ident => $f:expr $(,)?) => {
        match $dtype {
            $crate::types::ScalarType::Bool => $b,
            $crate::types::ScalarType::I8 => {
                type $I = i8;
                $i
            }
            $crate::types::ScalarType::I16 => {
                type $I = i16;
                $i
            }
            $crate::types::ScalarType::I32 => {
                type $I = i32;
                $i
            }
            $crate::types::ScalarType::I64 => {
                type $I = i64;
                $i
            }
            $crate::types::ScalarType::U8 => {
                type $I = u8;
                $i
            }
            $crate::types::ScalarType::U16 => {
                type $I = u16;
                $i
            }
            $crate::types::ScalarType::U32 => {
                type $I = u32;
                $i
            }
            $crate::types::ScalarType::U64 => {
                type $I = u64;
                $i
            }
            $crate::types::ScalarType::F16 => {
                type $F = half::f16;
                $f
            }
            $crate::types::ScalarType::BF16 => {
                type $F = half::bf16;
                $f
            }
            $crate::types::ScalarType::F32 => {
                type $F = f32;
                $f
            }
            $crate::types::ScalarType::F64 => {
                type $F = f64;
                $f
            }
        }
    };
}

pub(crate) use {with_elem, with_kind};

/// Implements the buffer-access part of [`Elem`] for one type.
macro_rules! elem_access {
    ($t:ty, $variant:ident) => {
        const DTYPE: ScalarType = ScalarType::$variant;
        fn slice(buffer: &Buffer) -> Option<&[Self]> {
            if let Buffer::$variant(values) = buffer {
                Some(values)
            } else {
                None
            }
        }
        fn slice_mut(buffer: &mut Buffer) -> Option<&mut [Self]> {
            if let Buffer::$variant(values) = buffer {
                Some(values)
            } else {
                None
            }
        }
        fn into_buffer(values: Vec<Self>) -> Buffer {
            Buffer::$variant(values)
        }
        fn into_scalar(self) -> Scalar {
            Scalar::$variant(self)
        }
    };
}

impl Elem for bool {
    elem_access!(bool, Bool);
    fn lossy_f64(self) -> f64 {
        f64::from(u8::from(self))
    }
    fn from_bool(value: bool) -> Self {
        value
    }
    fn from_int(value: i128) -> Self {
        value != 0
    }
    fn from_float(value: f64) -> Self {
        value != 0.0
    }
}

macro_rules! impl_int {
    ($($t:ty => $variant:ident, $abs:expr);* $(;)?) => {$(
        impl Elem for $t {
            elem_access!($t, $variant);
            fn lossy_f64(self) -> f64 {
                self as f64
            }
            fn from_bool(value: bool) -> Self {
                <$t>::from(value)
            }
            fn from_int(value: i128) -> Self {
                value as $t
            }
            fn from_float(value: f64) -> Self {
                // `as` truncates toward zero, saturates, and maps NaN to 0.
                value as $t
            }
        }

        impl Int for $t {
            fn to_i128(self) -> i128 {
                i128::from(self)
            }
            fn add_wrap(self, rhs: Self) -> Self {
                self.wrapping_add(rhs)
            }
            fn sub_wrap(self, rhs: Self) -> Self {
                self.wrapping_sub(rhs)
            }
            fn mul_wrap(self, rhs: Self) -> Self {
                self.wrapping_mul(rhs)
            }
            fn div_riscv(self, rhs: Self) -> Self {
                if rhs == 0 { !0 } else { self.wrapping_div(rhs) }
            }
            fn rem_riscv(self, rhs: Self) -> Self {
                if rhs == 0 { self } else { self.wrapping_rem(rhs) }
            }
            fn bit_and(self, rhs: Self) -> Self {
                self & rhs
            }
            fn bit_or(self, rhs: Self) -> Self {
                self | rhs
            }
            fn bit_xor(self, rhs: Self) -> Self {
                self ^ rhs
            }
            fn shl_mod(self, rhs: Self) -> Self {
                // `wrapping_shl` masks the amount to the bit width (a power of two), which
                // is the amount modulo the width even for negative amounts.
                self.wrapping_shl(rhs as u32)
            }
            fn shr_mod(self, rhs: Self) -> Self {
                self.wrapping_shr(rhs as u32)
            }
            fn neg_wrap(self) -> Self {
                self.wrapping_neg()
            }
            fn bit_not(self) -> Self {
                !self
            }
            fn abs_wrap(self) -> Self {
                $abs(self)
            }
        }
    )*};
}

impl_int!(
    i8 => I8, i8::wrapping_abs;
    i16 => I16, i16::wrapping_abs;
    i32 => I32, i32::wrapping_abs;
    i64 => I64, i64::wrapping_abs;
    u8 => U8, |x: u8| x;
    u16 => U16, |x: u16| x;
    u32 => U32, |x: u32| x;
    u64 => U64, |x: u64| x;
);

/// f16 and bf16: every op is computed in f32 and rounded once.
macro_rules! impl_half {
    ($($t:ty => $variant:ident, $from_f64:path, $from_i128:path);* $(;)?) => {$(
        impl Elem for $t {
            elem_access!($t, $variant);
            fn lossy_f64(self) -> f64 {
                self.to_f64()
            }
            fn from_bool(value: bool) -> Self {
                if value { <$t>::ONE } else { <$t>::ZERO }
            }
            fn from_int(value: i128) -> Self {
                $from_i128(value)
            }
            fn from_float(value: f64) -> Self {
                $from_f64(value)
            }
        }

        impl Float for $t {
            type Acc = f32;
            fn to_f64(self) -> f64 {
                <$t>::to_f64(self)
            }
            fn round_from_f64(value: f64) -> Self {
                $from_f64(value)
            }
            fn to_acc(self) -> f32 {
                self.to_f32()
            }
            fn round_from_acc(acc: f32) -> Self {
                <$t>::from_f32(acc)
            }
            fn add_r(self, rhs: Self) -> Self {
                <$t>::from_f32(self.to_f32() + rhs.to_f32())
            }
            fn sub_r(self, rhs: Self) -> Self {
                <$t>::from_f32(self.to_f32() - rhs.to_f32())
            }
            fn mul_r(self, rhs: Self) -> Self {
                <$t>::from_f32(self.to_f32() * rhs.to_f32())
            }
            fn div_r(self, rhs: Self) -> Self {
                <$t>::from_f32(self.to_f32() / rhs.to_f32())
            }
            fn rem_r(self, rhs: Self) -> Self {
                <$t>::from_f32(self.to_f32() % rhs.to_f32())
            }
            fn fma_r(self, b: Self, c: Self) -> Self {
                // The product of two halves is exact in f64; the sum is rounded to odd
                // there, so the final rounding to nearest-even is the only one.
                $from_f64(float::exact_product_sum_odd(self.to_f64() * b.to_f64(), c.to_f64()))
            }
            fn neg(self) -> Self {
                -self
            }
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
            fn is_sign_negative(self) -> bool {
                <$t>::is_sign_negative(self)
            }
        }
    )*};
}

impl_half!(
    f16 => F16, float::f64_to_f16, float::i128_to_f16;
    bf16 => BF16, float::f64_to_bf16, float::i128_to_bf16;
);

/// f32 and f64: native IEEE arithmetic (Rust never contracts into FMA).
macro_rules! impl_native_float {
    ($($t:ty => $variant:ident, $to_f64:expr, $from_f64:expr);* $(;)?) => {$(
        impl Elem for $t {
            elem_access!($t, $variant);
            fn lossy_f64(self) -> f64 {
                f64::from(self)
            }
            fn from_bool(value: bool) -> Self {
                if value { 1.0 } else { 0.0 }
            }
            fn from_int(value: i128) -> Self {
                // Integer-to-float `as` rounds to nearest-even.
                value as $t
            }
            fn from_float(value: f64) -> Self {
                $from_f64(value)
            }
        }

        impl Float for $t {
            type Acc = $t;
            fn to_f64(self) -> f64 {
                $to_f64(self)
            }
            fn round_from_f64(value: f64) -> Self {
                $from_f64(value)
            }
            fn to_acc(self) -> Self {
                self
            }
            fn round_from_acc(acc: Self) -> Self {
                acc
            }
            fn add_r(self, rhs: Self) -> Self {
                self + rhs
            }
            fn sub_r(self, rhs: Self) -> Self {
                self - rhs
            }
            fn mul_r(self, rhs: Self) -> Self {
                self * rhs
            }
            fn div_r(self, rhs: Self) -> Self {
                self / rhs
            }
            fn rem_r(self, rhs: Self) -> Self {
                self % rhs
            }
            fn fma_r(self, b: Self, c: Self) -> Self {
                self.mul_add(b, c)
            }
            fn neg(self) -> Self {
                -self
            }
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
            fn is_sign_negative(self) -> bool {
                <$t>::is_sign_negative(self)
            }
        }
    )*};
}

impl_native_float!(
    // f64 → f32 `as` rounds to nearest-even.
    f32 => F32, f64::from, |value: f64| value as f32;
    f64 => F64, |value: f64| value, |value: f64| value;
);
