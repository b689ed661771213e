//! Typed launch arguments: [`Arg`] (a borrowed buffer or a scalar), the sealed
//! [`Element`] trait mapping Rust element types to IR scalar types, and [`IntoArgs`],
//! which turns tuples, arrays, vectors and slices of arguments into one argument list.
//!
//! A buffer argument keeps the borrow it was made from for its lifetime `'a`: a `&[T]`
//! gives a read-only buffer, a `&mut [T]` (or `&mut Vec<T>`) a writable one. The launch
//! refuses a read-only buffer for a parameter the kernel may write through
//! ([`super::LaunchError::ReadOnly`]), so a kernel never writes memory Rust lent it
//! shared.

use std::marker::PhantomData;

use half::{bf16, f16};
use tessera_ir::interp::Scalar;
use tessera_ir::ScalarType;

/// A Rust type that can be a buffer element or a scalar argument: `bool`, the integer
/// types `i8`…`u64`, `f16`, `bf16`, `f32` and `f64`. Sealed: the generated code reads
/// and writes these types' bytes directly, so only plain-old-data types with every bit
/// pattern the kernel can write being valid may implement it.
pub trait Element: sealed::Sealed + Copy + Send + Sync + 'static {
    /// The IR scalar type of this element type.
    const DTYPE: ScalarType;

    /// This value as an IR scalar.
    fn to_scalar(self) -> Scalar;
}

mod sealed {
    /// Keeps [`super::Element`] implemented only by the types listed in this module.
    pub trait Sealed {}
}

/// One launch argument, borrowing its buffer (if any) for `'a`.
///
/// Built with `From`: `Arg::from(&x[..])` (read-only buffer), `Arg::from(&mut y[..])`,
/// `Arg::from(&mut v)` for a `Vec`, `Arg::from(100i32)` (scalar). Not `Clone`: a
/// writable buffer argument is as exclusive as the `&mut` it came from.
#[derive(Debug)]
pub struct Arg<'a> {
    kind: ArgKind,
    _borrow: PhantomData<&'a mut [u8]>,
}

// SAFETY: an `Arg` stands for a `&'a [T]` or `&'a mut [T]` of an `Element` type, all of
// which are `Send + Sync`, so those borrows are `Send + Sync`; the raw pointer is only
// dereferenced by a launch, which holds the `Arg` (or a reborrow of it) meanwhile.
unsafe impl Send for Arg<'_> {}
unsafe impl Sync for Arg<'_> {}

/// What an [`Arg`] holds, without its lifetime.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum ArgKind {
    Buffer { ptr: *mut u8, len: usize, dtype: ScalarType, writable: bool },
    Scalar(Scalar),
}

/// Anything a kernel can be launched with: a tuple of up to 12 values convertible into
/// [`Arg`] (`(&x[..], &mut y[..], n)`), an array or `Vec` of them, or a mutable slice
/// of [`Arg`]s (borrowed again for the launch).
pub trait IntoArgs<'a> {
    /// The arguments, in parameter order.
    fn into_args(self) -> Vec<Arg<'a>>;
}

impl<'a> Arg<'a> {
    /// A read-only buffer over `data`.
    pub fn buffer<T: Element>(data: &'a [T]) -> Arg<'a> {
        let ptr = data.as_ptr().cast_mut().cast::<u8>();
        Arg::from_kind(ArgKind::Buffer { ptr, len: data.len(), dtype: T::DTYPE, writable: false })
    }

    /// A writable buffer over `data`.
    pub fn buffer_mut<T: Element>(data: &'a mut [T]) -> Arg<'a> {
        let ptr = data.as_mut_ptr().cast::<u8>();
        Arg::from_kind(ArgKind::Buffer { ptr, len: data.len(), dtype: T::DTYPE, writable: true })
    }

    /// A scalar argument.
    pub fn scalar<T: Element>(value: T) -> Arg<'a> {
        Arg::from_kind(ArgKind::Scalar(value.to_scalar()))
    }

    /// Whether this is a buffer the kernel may write.
    pub fn is_writable(&self) -> bool {
        matches!(self.kind, ArgKind::Buffer { writable: true, .. })
    }

    /// This argument borrowed again for a shorter lifetime (what launching from a
    /// `&mut [Arg]` uses, leaving the caller's arguments in place).
    pub fn reborrow(&mut self) -> Arg<'_> {
        Arg::from_kind(self.kind)
    }

    pub(crate) fn kind(&self) -> ArgKind {
        self.kind
    }

    fn from_kind(kind: ArgKind) -> Arg<'a> {
        Arg { kind, _borrow: PhantomData }
    }
}

macro_rules! element {
    ($($ty:ty => $dtype:ident),* $(,)?) => {$(
        impl sealed::Sealed for $ty {}

        impl Element for $ty {
            const DTYPE: ScalarType = ScalarType::$dtype;

            fn to_scalar(self) -> Scalar {
                Scalar::$dtype(self)
            }
        }

        impl<'a> From<$ty> for Arg<'a> {
            fn from(value: $ty) -> Arg<'a> {
                Arg::scalar(value)
            }
        }
    )*};
}

element!(
    bool => Bool, i8 => I8, i16 => I16, i32 => I32, i64 => I64,
    u8 => U8, u16 => U16, u32 => U32, u64 => U64,
    f16 => F16, bf16 => BF16, f32 => F32, f64 => F64,
);

impl<'a, T: Element> From<&'a [T]> for Arg<'a> {
    fn from(data: &'a [T]) -> Arg<'a> {
        Arg::buffer(data)
    }
}

impl<'a, T: Element> From<&'a mut [T]> for Arg<'a> {
    fn from(data: &'a mut [T]) -> Arg<'a> {
        Arg::buffer_mut(data)
    }
}

impl<'a, T: Element, const N: usize> From<&'a [T; N]> for Arg<'a> {
    fn from(data: &'a [T; N]) -> Arg<'a> {
        Arg::buffer(data)
    }
}

impl<'a, T: Element, const N: usize> From<&'a mut [T; N]> for Arg<'a> {
    fn from(data: &'a mut [T; N]) -> Arg<'a> {
        Arg::buffer_mut(data)
    }
}

impl<'a, T: Element> From<&'a Vec<T>> for Arg<'a> {
    fn from(data: &'a Vec<T>) -> Arg<'a> {
        Arg::buffer(data)
    }
}

impl<'a, T: Element> From<&'a mut Vec<T>> for Arg<'a> {
    fn from(data: &'a mut Vec<T>) -> Arg<'a> {
        Arg::buffer_mut(data)
    }
}

impl<'a, T: Into<Arg<'a>>> IntoArgs<'a> for Vec<T> {
    fn into_args(self) -> Vec<Arg<'a>> {
        self.into_iter().map(Into::into).collect()
    }
}

impl<'a, T: Into<Arg<'a>>, const N: usize> IntoArgs<'a> for [T; N] {
    fn into_args(self) -> Vec<Arg<'a>> {
        self.into_iter().map(Into::into).collect()
    }
}

impl<'b, 'a: 'b> IntoArgs<'b> for &'b mut [Arg<'a>] {
    fn into_args(self) -> Vec<Arg<'b>> {
        self.iter_mut().map(|arg| Arg::from_kind(arg.kind)).collect()
    }
}

impl<'a> IntoArgs<'a> for () {
    fn into_args(self) -> Vec<Arg<'a>> {
        Vec::new()
    }
}

macro_rules! tuple_args {
    ($($name:ident)+) => {
        impl<'a, $($name: Into<Arg<'a>>),+> IntoArgs<'a> for ($($name,)+) {
            #[allow(non_snake_case)]
            fn into_args(self) -> Vec<Arg<'a>> {
                let ($($name,)+) = self;
                vec![$($name.into()),+]
            }
        }
    };
}

tuple_args!(A);
tuple_args!(A B);
tuple_args!(A B C);
tuple_args!(A B C D);
tuple_args!(A B C D E);
tuple_args!(A B C D E F);
tuple_args!(A B C D E F G);
tuple_args!(A B C D E F G H);
tuple_args!(A B C D E F G H I);
tuple_args!(A B C D E F G H I J);
tuple_args!(A B C D E F G H I J K);
tuple_args!(A B C D E F G H I J K L);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_keep_length_type_and_access() {
        let x = [1.0f32, 2.0, 3.0];
        let mut y = vec![0i32; 5];
        let args = (&x[..], &mut y, 7u8, f16::from_f32(1.5)).into_args();
        let kinds: Vec<ArgKind> = args.iter().map(Arg::kind).collect();
        assert!(matches!(
            kinds[0],
            ArgKind::Buffer { len: 3, dtype: ScalarType::F32, writable: false, .. }
        ));
        assert!(matches!(
            kinds[1],
            ArgKind::Buffer { len: 5, dtype: ScalarType::I32, writable: true, .. }
        ));
        assert_eq!(kinds[2], ArgKind::Scalar(Scalar::U8(7)));
        assert_eq!(kinds[3], ArgKind::Scalar(Scalar::F16(f16::from_f32(1.5))));
    }

    #[test]
    fn a_slice_of_args_is_borrowed_again() {
        let mut out = [0u64; 4];
        let mut args = vec![Arg::from(&mut out), Arg::from(true)];
        let again = args.as_mut_slice().into_args();
        assert_eq!(again.len(), 2);
        assert!(again[0].is_writable());
        assert_eq!(again[1].kind(), ArgKind::Scalar(Scalar::Bool(true)));
    }
}
