//! Conversions between element types: `cast`, constants, and integer helpers.
//!
//! Every source element is first widened *exactly* to one of three canonical forms
//! (bool, i128 by the source's signedness, or f64), and the destination type converts
//! from that form with one rounding: see [`Elem::from_int`] and [`Elem::from_float`].
//! This gives all 13 × 13 casts from 3 × 13 rules.

use super::elem::{with_elem, with_kind, Elem, Float, Int};
use super::tile::{ensure, num_elements, scalar_elem, typed, OpResult, Operand, TileData};
use super::value::Buffer;
use crate::ops::Constant;
use crate::types::{ScalarType, Type};

/// Elements widened exactly to a canonical form.
enum Canon {
    Bools(Vec<bool>),
    Ints(Vec<i128>),
    Floats(Vec<f64>),
}

fn to_canon(buffer: &Buffer) -> OpResult<Canon> {
    with_kind!(buffer.dtype(),
        bool => Ok(Canon::Bools(typed::<bool>(buffer)?.to_vec())),
        int I => Ok(Canon::Ints(typed::<I>(buffer)?.iter().map(|x| x.to_i128()).collect())),
        float F => Ok(Canon::Floats(typed::<F>(buffer)?.iter().map(|x| x.to_f64()).collect())),
    )
}

fn from_canon<T: Elem>(canon: &Canon) -> Vec<T> {
    match canon {
        Canon::Bools(values) => values.iter().map(|&x| T::from_bool(x)).collect(),
        Canon::Ints(values) => values.iter().map(|&x| T::from_int(x)).collect(),
        Canon::Floats(values) => values.iter().map(|&x| T::from_float(x)).collect(),
    }
}

fn canon_to_buffer(canon: &Canon, dtype: ScalarType) -> Buffer {
    with_elem!(dtype, T => T::into_buffer(from_canon::<T>(canon)))
}

/// Converts every element of `buffer` to `dtype`.
pub(crate) fn cast_buffer(buffer: &Buffer, dtype: ScalarType) -> OpResult<Buffer> {
    if buffer.dtype() == dtype {
        return Ok(buffer.clone());
    }
    Ok(canon_to_buffer(&to_canon(buffer)?, dtype))
}

/// `cast`: elementwise conversion to the result's element type, same shape.
pub(crate) fn cast((arg, arg_ty): Operand<'_>, ty: &Type) -> OpResult<TileData> {
    ensure(arg_ty.shape == ty.shape, || format!("cast from {arg_ty} to {ty} changes the shape"))?;
    let dtype = scalar_elem(ty)?;
    scalar_elem(arg_ty)?;
    Ok(TileData::Scalars(cast_buffer(arg.buffer()?, dtype)?))
}

/// `const`: the constant converted to the result type with the cast rules (so an
/// integer constant of a float type is rounded to nearest-even), repeated over the
/// result's shape.
pub(crate) fn constant(value: Constant, ty: &Type) -> OpResult<TileData> {
    let dtype = scalar_elem(ty)?;
    let canon = match value {
        Constant::Bool(b) => Canon::Bools(vec![b]),
        // u64 constants hold their raw bits; truncating from i128 restores them.
        Constant::Int(i) => Canon::Ints(vec![i128::from(i)]),
        Constant::Float(f) => Canon::Floats(vec![f]),
    };
    let one = canon_to_buffer(&canon, dtype);
    let scalar = one.get(0).ok_or("empty constant")?;
    Ok(TileData::Scalars(scalar.splat(num_elements(ty)?)))
}

/// Integers `values` (already in range or to be wrapped) as a buffer of the integer
/// type `dtype`.
pub(crate) fn int_buffer(values: Vec<i128>, dtype: ScalarType) -> OpResult<Buffer> {
    ensure(dtype.is_int(), || format!("expected an integer type, found {dtype}"))?;
    Ok(canon_to_buffer(&Canon::Ints(values), dtype))
}

/// The single integer element of `buffer`, widened to i128.
pub(crate) fn int_scalar(buffer: &Buffer) -> OpResult<i128> {
    let first = with_kind!(buffer.dtype(),
        bool => None,
        int I => typed::<I>(buffer)?.first().map(|x| x.to_i128()),
        float _F => None,
    );
    ensure(buffer.len() == 1, || format!("expected one integer, found {} elements", buffer.len()))?;
    first.ok_or_else(|| format!("expected an integer, found {}", buffer.dtype()))
}

/// `value` wrapped to the integer type `dtype` (two's complement), widened back.
pub(crate) fn wrap_int(value: i128, dtype: ScalarType) -> OpResult<i128> {
    int_scalar(&int_buffer(vec![value], dtype)?)
}

/// The single `bool` element of `buffer`.
pub(crate) fn bool_scalar(buffer: &Buffer) -> OpResult<bool> {
    let values = typed::<bool>(buffer)?;
    ensure(values.len() == 1, || format!("expected one bool, found {} elements", values.len()))?;
    Ok(values[0])
}
