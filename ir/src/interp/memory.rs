//! The launch's memory: the argument buffers, and pointer arithmetic, loads, stores
//! and atomics through pointer lanes.
//!
//! Lanes are processed in row-major order. A lane whose mask is false never touches
//! memory (a masked load reads `other`, or zero without it; a masked atomic returns
//! zero). An active lane outside its buffer is an [`MemFault::OutOfBounds`]; lanes
//! before it have already been performed. When store or atomic lanes alias, they take
//! effect in lane order, so the last storing lane wins.

use super::elem::{with_elem, with_kind, Elem, Float, Int};
use super::float::maximum;
use super::tile::{ensure, typed, OpResult, Operand, Ptr, TileData};
use super::value::Buffer;
use crate::ops::AtomicOp;
use crate::types::{ElemType, Type};

/// The buffers a launch can reach, indexed by [`Ptr::buffer`].
pub(crate) struct Memory<'a> {
    pub buffers: Vec<&'a mut Buffer>,
    /// The kernel parameter each buffer was passed as, for error messages.
    pub names: Vec<String>,
}

/// Why a memory access failed.
pub(crate) enum MemFault {
    OutOfBounds { buffer: u32, index: i64, len: usize },
    Malformed(String),
}

impl From<String> for MemFault {
    fn from(message: String) -> MemFault {
        MemFault::Malformed(message)
    }
}

/// The per-lane operands of one access, already checked to have equal lengths.
pub(crate) struct Lanes<'v> {
    pub ptrs: &'v [Ptr],
    pub mask: Option<&'v [bool]>,
}

impl Lanes<'_> {
    fn active(&self, lane: usize) -> bool {
        self.mask.is_none_or(|mask| mask.get(lane).copied().unwrap_or(false))
    }
}

/// `ptr_add`: pointer lanes plus integer offsets (in elements), elementwise.
pub(crate) fn ptr_add(
    (ptr, ptr_ty): Operand<'_>,
    (offset, offset_ty): Operand<'_>,
    ty: &Type,
) -> OpResult<TileData> {
    let ok = ptr_ty == ty
        && matches!(ty.elem, ElemType::Ptr(_))
        && offset_ty.shape == ty.shape
        && offset_ty.scalar_type().is_some_and(|s| s.is_int());
    ensure(ok, || format!("ptr_add of {ptr_ty} and {offset_ty} cannot produce {ty}"))?;
    let offsets = offset.buffer()?;
    let offsets: Vec<i64> = with_kind!(offsets.dtype(),
        bool => return Err("bool pointer offset".to_string()),
        // u64 offsets above i64::MAX wrap to negative offsets (out of bounds anyway).
        int I => typed::<I>(offsets)?.iter().map(|x| x.to_i128() as i64).collect(),
        float _F => return Err("float pointer offset".to_string()),
    );
    let ptrs = ptr.ptrs()?;
    let moved = ptrs
        .iter()
        .zip(&offsets)
        .map(|(p, &o)| Ptr { buffer: p.buffer, offset: p.offset.wrapping_add(o) })
        .collect();
    Ok(TileData::Ptrs(moved))
}

impl Memory<'_> {
    /// Reads one element of type `dtype` per lane.
    pub fn load(
        &self,
        lanes: &Lanes<'_>,
        other: Option<&Buffer>,
        dtype: crate::types::ScalarType,
    ) -> Result<Buffer, MemFault> {
        with_elem!(dtype, T => {
            let other = other.map(typed::<T>).transpose()?;
            let mut out = Vec::with_capacity(lanes.ptrs.len());
            for (lane, &ptr) in lanes.ptrs.iter().enumerate() {
                if lanes.active(lane) {
                    let data = self.slice::<T>(ptr.buffer)?;
                    out.push(data[in_bounds(ptr, data.len())?]);
                } else {
                    out.push(other.and_then(|o| o.get(lane).copied()).unwrap_or_default());
                }
            }
            Ok(T::into_buffer(out))
        })
    }

    /// Writes `values` (one per lane) through the active lanes.
    pub fn store(&mut self, lanes: &Lanes<'_>, values: &Buffer) -> Result<(), MemFault> {
        with_elem!(values.dtype(), T => {
            let values = typed::<T>(values)?;
            for (lane, (&ptr, &value)) in lanes.ptrs.iter().zip(values).enumerate() {
                if lanes.active(lane) {
                    let data = self.slice_mut::<T>(ptr.buffer)?;
                    let index = in_bounds(ptr, data.len())?;
                    data[index] = value;
                }
            }
            Ok(())
        })
    }

    /// Read-modify-write per active lane, in lane order; returns the old values.
    pub fn atomic(
        &mut self,
        op: AtomicOp,
        lanes: &Lanes<'_>,
        values: &Buffer,
    ) -> Result<Buffer, MemFault> {
        with_kind!(values.dtype(),
            bool => {
                let message = format!("atomic {} is not defined on bool", op.name());
                Err(MemFault::Malformed(message))
            },
            int I => {
                let update: fn(I, I) -> I = match op {
                    AtomicOp::Add => I::add_wrap,
                    AtomicOp::Max => Ord::max,
                };
                self.atomic_typed::<I>(lanes, typed(values)?, update).map(I::into_buffer)
            },
            float F => {
                let update: fn(F, F) -> F = match op {
                    AtomicOp::Add => F::add_r,
                    AtomicOp::Max => maximum,
                };
                self.atomic_typed::<F>(lanes, typed(values)?, update).map(F::into_buffer)
            },
        )
    }

    fn atomic_typed<T: Elem>(
        &mut self,
        lanes: &Lanes<'_>,
        values: &[T],
        update: fn(T, T) -> T,
    ) -> Result<Vec<T>, MemFault> {
        let mut old = Vec::with_capacity(values.len());
        for (lane, (&ptr, &value)) in lanes.ptrs.iter().zip(values).enumerate() {
            if lanes.active(lane) {
                let data = self.slice_mut::<T>(ptr.buffer)?;
                let index = in_bounds(ptr, data.len())?;
                old.push(data[index]);
                data[index] = update(data[index], value);
            } else {
                old.push(T::default());
            }
        }
        Ok(old)
    }

    fn slice<T: Elem>(&self, buffer: u32) -> Result<&[T], MemFault> {
        let data = self.buffers.get(buffer as usize).ok_or_else(|| no_buffer(buffer))?;
        Ok(typed::<T>(data)?)
    }

    fn slice_mut<T: Elem>(&mut self, buffer: u32) -> Result<&mut [T], MemFault> {
        let data = self.buffers.get_mut(buffer as usize).ok_or_else(|| no_buffer(buffer))?;
        let dtype = data.dtype();
        T::slice_mut(data).ok_or_else(|| {
            MemFault::Malformed(format!("expected {} elements, found {dtype}", T::DTYPE))
        })
    }
}

fn no_buffer(buffer: u32) -> MemFault {
    MemFault::Malformed(format!("pointer into buffer #{buffer}, which does not exist"))
}

fn in_bounds(ptr: Ptr, len: usize) -> Result<usize, MemFault> {
    usize::try_from(ptr.offset).ok().filter(|&index| index < len).ok_or(MemFault::OutOfBounds {
        buffer: ptr.buffer,
        index: ptr.offset,
        len,
    })
}
