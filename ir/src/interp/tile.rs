//! Runtime values: the data of a tile (typed elements or pointer lanes) and the shape
//! checks every operation makes before it indexes anything.
//!
//! A value's shape and element type come from `Function::values[v].ty`; a [`TileData`]
//! holds only the elements, row-major. The machine checks, whenever it binds a value,
//! that the data fits the declared type (see [`check_fits`]), so operations may size
//! loops from operand types once they have checked how those types relate.

use std::rc::Rc;

use super::elem::{with_elem, Elem};
use super::value::Buffer;
use crate::types::{ElemType, ScalarType, Type};

/// A pointer lane: which launch buffer, and the element offset into it (unchecked
/// until it is dereferenced).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ptr {
    pub buffer: u32,
    pub offset: i64,
}

/// The elements of one runtime value, row-major.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum TileData {
    Scalars(Buffer),
    Ptrs(Vec<Ptr>),
}

/// A runtime value, shared cheaply between block arguments, loop-carried values and
/// layout ops that do not move data (`reshape`, `expand_dims`).
pub(crate) type Val = Rc<TileData>;

/// An operand of an op: its data and its declared type.
pub(crate) type Operand<'a> = (&'a TileData, &'a Type);

/// Internal failures carry a message; the machine adds the kernel, function and
/// instruction.
pub(crate) type OpResult<T> = Result<T, String>;

/// Tiles larger than this are rejected rather than allocated (2^28 elements).
const MAX_ELEMENTS: u64 = 1 << 28;

impl TileData {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            TileData::Scalars(buffer) => buffer.len(),
            TileData::Ptrs(ptrs) => ptrs.len(),
        }
    }

    /// The scalar elements, or an error for pointer data.
    pub fn buffer(&self) -> OpResult<&Buffer> {
        match self {
            TileData::Scalars(buffer) => Ok(buffer),
            TileData::Ptrs(_) => Err("expected scalar elements, found pointers".to_string()),
        }
    }

    /// The pointer lanes, or an error for scalar data.
    pub fn ptrs(&self) -> OpResult<&[Ptr]> {
        match self {
            TileData::Ptrs(ptrs) => Ok(ptrs),
            TileData::Scalars(buffer) => {
                Err(format!("expected pointers, found {} elements", buffer.dtype()))
            }
        }
    }

    /// The elements at `indices`, in order.
    pub fn gather(&self, indices: &[usize]) -> OpResult<TileData> {
        if let Some(&bad) = indices.iter().find(|&&i| i >= self.len()) {
            return Err(format!("gather index {bad} out of range {}", self.len()));
        }
        Ok(match self {
            TileData::Ptrs(ptrs) => TileData::Ptrs(indices.iter().map(|&i| ptrs[i]).collect()),
            TileData::Scalars(buffer) => TileData::Scalars(gather_buffer(buffer, indices)?),
        })
    }
}

fn gather_buffer(buffer: &Buffer, indices: &[usize]) -> OpResult<Buffer> {
    with_elem!(buffer.dtype(), T => {
        let values = typed::<T>(buffer)?;
        Ok(T::into_buffer(indices.iter().map(|&i| values[i]).collect()))
    })
}

/// The elements of `buffer` as `T`, or an error naming both types.
pub(crate) fn typed<T: Elem>(buffer: &Buffer) -> OpResult<&[T]> {
    T::slice(buffer)
        .ok_or_else(|| format!("expected {} elements, found {}", T::DTYPE, buffer.dtype()))
}

/// Returns `Err(message())` unless `condition` holds.
pub(crate) fn ensure(condition: bool, message: impl FnOnce() -> String) -> OpResult<()> {
    if condition {
        Ok(())
    } else {
        Err(message())
    }
}

/// Number of elements of `ty`, refusing absurd sizes instead of allocating them.
pub(crate) fn num_elements(ty: &Type) -> OpResult<usize> {
    let mut count: u64 = 1;
    for &dim in &ty.shape {
        count = count.saturating_mul(u64::from(dim));
    }
    ensure(count <= MAX_ELEMENTS, || format!("type {ty} has too many elements ({count})"))?;
    usize::try_from(count).map_err(|_| format!("type {ty} has too many elements ({count})"))
}

/// The scalar element type of `ty`, or an error for pointers.
pub(crate) fn scalar_elem(ty: &Type) -> OpResult<ScalarType> {
    ty.scalar_type().ok_or_else(|| format!("expected a scalar element type, found {ty}"))
}

/// Checks that `data` is a valid runtime value of type `ty`.
pub(crate) fn check_fits(data: &TileData, ty: &Type) -> OpResult<()> {
    let elem_matches = match (data, ty.elem) {
        (TileData::Scalars(buffer), ElemType::Scalar(scalar)) => buffer.dtype() == scalar,
        (TileData::Ptrs(_), ElemType::Ptr(_)) => true,
        (TileData::Scalars(_), ElemType::Ptr(_)) | (TileData::Ptrs(_), ElemType::Scalar(_)) => {
            false
        }
    };
    ensure(elem_matches, || format!("a value of type {ty} holds {}", describe(data)))?;
    let expected = num_elements(ty)?;
    ensure(data.len() == expected, || {
        format!("a value of type {ty} holds {} elements instead of {expected}", data.len())
    })
}

fn describe(data: &TileData) -> String {
    match data {
        TileData::Scalars(buffer) => format!("{} elements", buffer.dtype()),
        TileData::Ptrs(_) => "pointers".to_string(),
    }
}

/// Row-major strides (in elements) of `shape`.
pub(crate) fn row_major_strides(shape: &[u32]) -> Vec<usize> {
    let mut strides = vec![1usize; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        strides[d] = strides[d + 1] * shape[d + 1] as usize;
    }
    strides
}

/// Splits `shape` around `axis` into (outer, length of `axis`, inner) element counts.
pub(crate) fn split_axis(shape: &[u32], axis: usize) -> (usize, usize, usize) {
    let product = |dims: &[u32]| dims.iter().map(|&d| d as usize).product::<usize>();
    let outer = product(&shape[..axis.min(shape.len())]);
    let len = shape.get(axis).map_or(1, |&d| d as usize);
    let inner = product(shape.get(axis + 1..).unwrap_or(&[]));
    (outer, len, inner)
}
