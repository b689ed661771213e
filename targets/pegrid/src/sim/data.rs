//! Element-level helpers of the simulator: typed gathers and scatters between host
//! buffers and tiles (by precomputed, bounds-checked addresses), scalars as
//! one-element buffers, and integer/`bool` views of elements. Nothing here does
//! arithmetic: that is the reference interpreter's ([`tessera_ir::interp`]).

use tessera_ir::interp::{Buffer, Scalar};

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

/// Applies `$body` when `$a` and `$b` hold the same element type (`$b` being a
/// [`Buffer`] or, with `scalar`, a [`Scalar`]); evaluates to `None` otherwise.
macro_rules! each_pair {
    ($kind:ident, $a:expr, $b:expr, $x:ident, $y:ident => $body:expr) => {
        match ($a, $b) {
            (Buffer::Bool($x), $kind::Bool($y)) => Some($body),
            (Buffer::I8($x), $kind::I8($y)) => Some($body),
            (Buffer::I16($x), $kind::I16($y)) => Some($body),
            (Buffer::I32($x), $kind::I32($y)) => Some($body),
            (Buffer::I64($x), $kind::I64($y)) => Some($body),
            (Buffer::U8($x), $kind::U8($y)) => Some($body),
            (Buffer::U16($x), $kind::U16($y)) => Some($body),
            (Buffer::U32($x), $kind::U32($y)) => Some($body),
            (Buffer::U64($x), $kind::U64($y)) => Some($body),
            (Buffer::F16($x), $kind::F16($y)) => Some($body),
            (Buffer::BF16($x), $kind::BF16($y)) => Some($body),
            (Buffer::F32($x), $kind::F32($y)) => Some($body),
            (Buffer::F64($x), $kind::F64($y)) => Some($body),
            _ => None,
        }
    };
}

/// A one-element buffer holding `value`.
pub(crate) fn scalar_buffer(value: Scalar) -> Buffer {
    match value {
        Scalar::Bool(x) => Buffer::Bool(vec![x]),
        Scalar::I8(x) => Buffer::I8(vec![x]),
        Scalar::I16(x) => Buffer::I16(vec![x]),
        Scalar::I32(x) => Buffer::I32(vec![x]),
        Scalar::I64(x) => Buffer::I64(vec![x]),
        Scalar::U8(x) => Buffer::U8(vec![x]),
        Scalar::U16(x) => Buffer::U16(vec![x]),
        Scalar::U32(x) => Buffer::U32(vec![x]),
        Scalar::U64(x) => Buffer::U64(vec![x]),
        Scalar::F16(x) => Buffer::F16(vec![x]),
        Scalar::BF16(x) => Buffer::BF16(vec![x]),
        Scalar::F32(x) => Buffer::F32(vec![x]),
        Scalar::F64(x) => Buffer::F64(vec![x]),
    }
}

/// Element `k` of the result is `src[addrs[k]]`, or zero where `addrs[k]` is `None`
/// (a dead lane) or past the end of `src` (callers bounds-check first).
pub(crate) fn gather(src: &Buffer, addrs: &[Option<usize>]) -> Buffer {
    each_buffer!(src, v => {
        let out: Vec<_> = addrs
            .iter()
            .map(|a| a.and_then(|i| v.get(i).copied()).unwrap_or_default())
            .collect();
        Buffer::from(out)
    })
}

/// `dst[addrs[k]] = src[k]` for every live lane `k`, in lane order (a later lane wins
/// when two alias). `false`, with nothing written, when the element types differ.
pub(crate) fn scatter(dst: &mut Buffer, addrs: &[Option<usize>], src: &Buffer) -> bool {
    each_pair!(Buffer, dst, src, d, s => {
        for (a, x) in addrs.iter().zip(s.iter()) {
            if let Some(slot) = a.and_then(|i| d.get_mut(i)) {
                *slot = *x;
            }
        }
    })
    .is_some()
}

/// `dst[index] = value`; `false` if the types differ or `index` is past the end.
pub(crate) fn set(dst: &mut Buffer, index: usize, value: Scalar) -> bool {
    each_pair!(Scalar, dst, value, d, x => match d.get_mut(index) {
        Some(slot) => {
            *slot = x;
            true
        }
        None => false,
    })
    .unwrap_or(false)
}

/// The elements of an integer buffer as `i64` (`u64` wraps); `None` for other types.
pub(crate) fn int_values(buffer: &Buffer) -> Option<Vec<i64>> {
    Some(match buffer {
        Buffer::I8(v) => v.iter().map(|&x| i64::from(x)).collect(),
        Buffer::I16(v) => v.iter().map(|&x| i64::from(x)).collect(),
        Buffer::I32(v) => v.iter().map(|&x| i64::from(x)).collect(),
        Buffer::I64(v) => v.clone(),
        Buffer::U8(v) => v.iter().map(|&x| i64::from(x)).collect(),
        Buffer::U16(v) => v.iter().map(|&x| i64::from(x)).collect(),
        Buffer::U32(v) => v.iter().map(|&x| i64::from(x)).collect(),
        Buffer::U64(v) => v.iter().map(|&x| x as i64).collect(),
        Buffer::Bool(_) | Buffer::F16(_) | Buffer::BF16(_) | Buffer::F32(_) | Buffer::F64(_) => {
            return None
        }
    })
}

/// The value of an integer scalar, exactly; `None` for `bool` and floats.
pub(crate) fn int_value(value: Scalar) -> Option<i128> {
    Some(match value {
        Scalar::I8(x) => i128::from(x),
        Scalar::I16(x) => i128::from(x),
        Scalar::I32(x) => i128::from(x),
        Scalar::I64(x) => i128::from(x),
        Scalar::U8(x) => i128::from(x),
        Scalar::U16(x) => i128::from(x),
        Scalar::U32(x) => i128::from(x),
        Scalar::U64(x) => i128::from(x),
        Scalar::Bool(_) | Scalar::F16(_) | Scalar::BF16(_) | Scalar::F32(_) | Scalar::F64(_) => {
            return None
        }
    })
}

/// The elements of a `bool` buffer; `None` for other types.
pub(crate) fn bools(buffer: &Buffer) -> Option<&[bool]> {
    match buffer {
        Buffer::Bool(v) => Some(v),
        _ => None,
    }
}
