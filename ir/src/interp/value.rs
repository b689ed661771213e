//! Host-side values of a launch: typed [`Scalar`]s and [`Buffer`]s (one `Vec` per
//! element type, so kernels over thousands of elements stay fast).

use std::fmt;

use half::{bf16, f16};

use super::elem::{with_elem, Elem};
use crate::types::ScalarType;

/// One typed scalar: a kernel's scalar argument, or one element of a [`Buffer`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar {
    Bool(bool),
    I8(i8),
    I16(i16),
    I32(i32),
    I64(i64),
    U8(u8),
    U16(u16),
    U32(u32),
    U64(u64),
    F16(f16),
    BF16(bf16),
    F32(f32),
    F64(f64),
}

/// A typed buffer: the memory a kernel's pointer parameter refers to.
#[derive(Clone, Debug, PartialEq)]
pub enum Buffer {
    Bool(Vec<bool>),
    I8(Vec<i8>),
    I16(Vec<i16>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
    U64(Vec<u64>),
    F16(Vec<f16>),
    BF16(Vec<bf16>),
    F32(Vec<f32>),
    F64(Vec<f64>),
}

/// Applies `$body` to the payload of every [`Scalar`] variant.
macro_rules! scalar_match {
    ($scalar:expr, $x:ident => $body:expr) => {
        match $scalar {
            Scalar::Bool($x) => $body,
            Scalar::I8($x) => $body,
            Scalar::I16($x) => $body,
            Scalar::I32($x) => $body,
            Scalar::I64($x) => $body,
            Scalar::U8($x) => $body,
            Scalar::U16($x) => $body,
            Scalar::U32($x) => $body,
            Scalar::U64($x) => $body,
            Scalar::F16($x) => $body,
            Scalar::BF16($x) => $body,
            Scalar::F32($x) => $body,
            Scalar::F64($x) => $body,
        }
    };
}

/// Applies `$body` to the vector of every [`Buffer`] variant.
macro_rules! buffer_match {
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

impl Scalar {
    /// The element type.
    pub fn dtype(&self) -> ScalarType {
        scalar_match!(self, x => elem_dtype(x))
    }

    /// The value as f64: exact for types of at most 32 bits; `bool` is 0 or 1.
    pub fn to_f64(&self) -> f64 {
        scalar_match!(*self, x => x.lossy_f64())
    }

    /// `value` converted to `dtype` with the language's cast rules: rounding to
    /// nearest-even (once, also for f16/bf16), truncating and saturating for integers.
    pub fn from_f64(dtype: ScalarType, value: f64) -> Scalar {
        with_elem!(dtype, T => T::from_float(value).into_scalar())
    }

    /// A buffer holding this value `len` times.
    pub fn splat(&self, len: usize) -> Buffer {
        scalar_match!(*self, x => Elem::into_buffer(vec![x; len]))
    }
}

impl fmt::Display for Scalar {
    /// The value followed by its type, like a typed literal: `1.5f32`, `-3i64`, `true`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Bool(b) => write!(f, "{b}"),
            Scalar::I8(_)
            | Scalar::I16(_)
            | Scalar::I32(_)
            | Scalar::I64(_)
            | Scalar::U8(_)
            | Scalar::U16(_)
            | Scalar::U32(_)
            | Scalar::U64(_)
            | Scalar::F16(_)
            | Scalar::BF16(_)
            | Scalar::F32(_)
            | Scalar::F64(_) => {
                scalar_match!(self, x => write!(f, "{x}"))?;
                write!(f, "{}", self.dtype())
            }
        }
    }
}

fn elem_dtype<T: Elem>(_: &T) -> ScalarType {
    T::DTYPE
}

fn vec_dtype<T: Elem>(_: &[T]) -> ScalarType {
    T::DTYPE
}

impl Buffer {
    /// The element type.
    pub fn dtype(&self) -> ScalarType {
        buffer_match!(self, v => vec_dtype(v))
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        buffer_match!(self, v => v.len())
    }

    /// Whether the buffer has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `len` zeros (`false` for `bool`) of type `dtype`.
    pub fn zeros(dtype: ScalarType, len: usize) -> Buffer {
        with_elem!(dtype, T => T::into_buffer(vec![T::default(); len]))
    }

    /// Element `index`, or `None` past the end.
    pub fn get(&self, index: usize) -> Option<Scalar> {
        buffer_match!(self, v => v.get(index).map(|x| x.into_scalar()))
    }

    /// Every element as f64 (exact for types of at most 32 bits), for summaries and
    /// comparisons in tests.
    pub fn to_f64_vec(&self) -> Vec<f64> {
        buffer_match!(self, v => v.iter().map(|x| x.lossy_f64()).collect())
    }

    /// `values` converted to `dtype` with the language's cast rules (see
    /// [`Scalar::from_f64`]).
    pub fn from_f64(dtype: ScalarType, values: &[f64]) -> Buffer {
        with_elem!(dtype, T => T::into_buffer(values.iter().map(|&x| T::from_float(x)).collect()))
    }
}

macro_rules! impl_from {
    ($($t:ty => $variant:ident),* $(,)?) => {$(
        impl From<$t> for Scalar {
            fn from(value: $t) -> Scalar {
                Scalar::$variant(value)
            }
        }

        impl From<Vec<$t>> for Buffer {
            fn from(values: Vec<$t>) -> Buffer {
                Buffer::$variant(values)
            }
        }
    )*};
}

impl_from!(
    bool => Bool, i8 => I8, i16 => I16, i32 => I32, i64 => I64, u8 => U8, u16 => U16,
    u32 => U32, u64 => U64, f16 => F16, bf16 => BF16, f32 => F32, f64 => F64,
);
