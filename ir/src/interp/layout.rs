//! Layout ops: `arange`, `splat`, `broadcast`, `trans`, and the shape checks of the
//! data-preserving `expand_dims` and `reshape` (which share their operand's data).
//! Data movement is a gather through strided index lists.

use super::cast::int_buffer;
use super::tile::{
    ensure, num_elements, row_major_strides, scalar_elem, OpResult, Operand, TileData,
};
use crate::types::Type;

/// `arange(start, end)`: `start, start + 1, …, end - 1` in the result's integer type.
pub(crate) fn arange(start: i64, end: i64, ty: &Type) -> OpResult<TileData> {
    let len = num_elements(ty)?;
    ensure(ty.rank() == 1 && end.checked_sub(start) == i64::try_from(len).ok(), || {
        format!("arange({start}, {end}) cannot have type {ty}")
    })?;
    let values = (start..end).map(i128::from).collect();
    Ok(TileData::Scalars(int_buffer(values, scalar_elem(ty)?)?))
}

/// `splat`: a scalar repeated over the result's shape.
pub(crate) fn splat((arg, arg_ty): Operand<'_>, ty: &Type) -> OpResult<TileData> {
    ensure(arg_ty.is_scalar() && arg_ty.elem == ty.elem, || {
        format!("cannot splat {arg_ty} to {ty}")
    })?;
    arg.gather(&vec![0; num_elements(ty)?])
}

/// `broadcast`: same rank; each dimension of `arg` is 1 or the result's.
pub(crate) fn broadcast((arg, arg_ty): Operand<'_>, ty: &Type) -> OpResult<TileData> {
    let compatible = arg_ty.rank() == ty.rank()
        && arg_ty.elem == ty.elem
        && arg_ty.shape.iter().zip(&ty.shape).all(|(&a, &r)| a == r || a == 1);
    ensure(compatible, || format!("cannot broadcast {arg_ty} to {ty}"))?;
    let arg_strides = row_major_strides(&arg_ty.shape);
    let strides: Vec<usize> = arg_strides
        .iter()
        .zip(&arg_ty.shape)
        .map(|(&stride, &dim)| if dim == 1 { 0 } else { stride })
        .collect();
    arg.gather(&strided_indices(&ty.shape, &strides, num_elements(ty)?))
}

/// `trans`: result dimension `i` is `arg` dimension `perm[i]`.
pub(crate) fn trans((arg, arg_ty): Operand<'_>, perm: &[u32], ty: &Type) -> OpResult<TileData> {
    let rank = arg_ty.rank();
    let mut seen = vec![false; rank];
    let is_permutation = perm.len() == rank
        && perm.iter().all(|&p| {
            let fresh = seen.get(p as usize).is_some_and(|&s| !s);
            if fresh {
                seen[p as usize] = true;
            }
            fresh
        });
    let shape_ok = is_permutation
        && ty.rank() == rank
        && perm.iter().zip(&ty.shape).all(|(&p, &dim)| arg_ty.shape[p as usize] == dim);
    ensure(shape_ok && arg_ty.elem == ty.elem, || {
        format!("trans {perm:?} cannot take {arg_ty} to {ty}")
    })?;
    let arg_strides = row_major_strides(&arg_ty.shape);
    let strides: Vec<usize> = perm.iter().map(|&p| arg_strides[p as usize]).collect();
    arg.gather(&strided_indices(&ty.shape, &strides, num_elements(ty)?))
}

/// Checks that `ty` is `arg_ty` with a dimension of size 1 inserted at `axis`.
pub(crate) fn check_expand_dims(arg_ty: &Type, axis: u32, ty: &Type) -> OpResult<()> {
    let axis = axis as usize;
    let mut expected = arg_ty.shape.clone();
    let fits = axis <= expected.len();
    if fits {
        expected.insert(axis, 1);
    }
    ensure(fits && expected == ty.shape && arg_ty.elem == ty.elem, || {
        format!("expand_dims at axis {axis} cannot take {arg_ty} to {ty}")
    })
}

/// Checks that a row-major reshape from `arg_ty` to `ty` keeps the element count.
pub(crate) fn check_reshape(arg_ty: &Type, ty: &Type) -> OpResult<()> {
    ensure(num_elements(arg_ty)? == num_elements(ty)? && arg_ty.elem == ty.elem, || {
        format!("cannot reshape {arg_ty} to {ty}")
    })
}

/// For each row-major position in `shape`, the source index Σ position[d] * strides[d].
fn strided_indices(shape: &[u32], strides: &[usize], count: usize) -> Vec<usize> {
    let rank = shape.len();
    let mut out = Vec::with_capacity(count);
    let mut position = vec![0u32; rank];
    let mut offset = 0usize;
    for _ in 0..count {
        out.push(offset);
        for d in (0..rank).rev() {
            position[d] += 1;
            offset += strides[d];
            if position[d] < shape[d] {
                break;
            }
            offset -= strides[d] * shape[d] as usize;
            position[d] = 0;
        }
    }
    out
}
