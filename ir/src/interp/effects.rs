//! Instructions with effects on the launch: `load`, `store`, `atomic` (through
//! [`Memory`](super::memory::Memory)) and `assert`.
//!
//! The pointer, mask, `other` and value operands all have the pointer's shape (the
//! front end broadcasts them); the loaded or stored element type is the pointee.

use std::rc::Rc;

use super::error::{InterpError, MemAccess};
use super::exec::{single_result, Frame, Machine};
use super::memory::{Lanes, MemFault};
use super::tile::{ensure, typed, OpResult, TileData};
use crate::function::{Inst, Value};
use crate::ops::AtomicOp;
use crate::types::{ElemType, ScalarType, Type};

impl<'m> Machine<'m> {
    /// `load(ptr, mask, other)`.
    pub(super) fn exec_load(
        &mut self,
        frame: &mut Frame<'m>,
        inst: Inst,
        ptr: Value,
        mask: Option<Value>,
        other: Option<Value>,
    ) -> Result<(), InterpError> {
        let func = frame.func;
        let at = |m: String| self.internal(func, Some(inst), m);
        let result = single_result(results_of(frame, inst)).map_err(at)?;
        let loaded = {
            let (lanes, value_ty) = access_lanes(frame, ptr, mask).map_err(at)?;
            ensure(frame.ty(result).map_err(at)? == &value_ty, || {
                format!("a load through {ptr} cannot produce {value_ty}")
            })
            .map_err(at)?;
            let other = match other {
                Some(other) => Some(value_operand(frame, other, &value_ty).map_err(at)?),
                None => None,
            };
            let dtype = value_ty.scalar_type().unwrap_or(ScalarType::Bool);
            self.memory.load(&lanes, other, dtype)
        };
        let loaded = loaded.map_err(|fault| self.fault(frame, inst, MemAccess::Load, fault))?;
        frame
            .set(result, Rc::new(TileData::Scalars(loaded)))
            .map_err(|m| self.internal(func, Some(inst), m))
    }

    /// `store(ptr, value, mask)`.
    pub(super) fn exec_store(
        &mut self,
        frame: &mut Frame<'m>,
        inst: Inst,
        ptr: Value,
        value: Value,
        mask: Option<Value>,
    ) -> Result<(), InterpError> {
        let func = frame.func;
        let at = |m: String| self.internal(func, Some(inst), m);
        let (lanes, value_ty) = access_lanes(frame, ptr, mask).map_err(at)?;
        let values = value_operand(frame, value, &value_ty).map_err(at)?;
        let stored = self.memory.store(&lanes, values);
        stored.map_err(|fault| self.fault(frame, inst, MemAccess::Store, fault))
    }

    /// `atomic_add`/`atomic_max(ptr, value, mask)`; the result is the old values.
    pub(super) fn exec_atomic(
        &mut self,
        frame: &mut Frame<'m>,
        inst: Inst,
        op: AtomicOp,
        [ptr, value]: [Value; 2],
        mask: Option<Value>,
    ) -> Result<(), InterpError> {
        let func = frame.func;
        let at = |m: String| self.internal(func, Some(inst), m);
        let result = single_result(results_of(frame, inst)).map_err(at)?;
        let old = {
            let (lanes, value_ty) = access_lanes(frame, ptr, mask).map_err(at)?;
            ensure(frame.ty(result).map_err(at)? == &value_ty, || {
                format!("an atomic through {ptr} cannot produce {value_ty}")
            })
            .map_err(at)?;
            let values = value_operand(frame, value, &value_ty).map_err(at)?;
            self.memory.atomic(op, &lanes, values)
        };
        let old = old.map_err(|fault| self.fault(frame, inst, MemAccess::Atomic, fault))?;
        frame
            .set(result, Rc::new(TileData::Scalars(old)))
            .map_err(|m| self.internal(func, Some(inst), m))
    }

    /// `device_assert(cond, message)`: fails if any lane of `cond` is false.
    pub(super) fn exec_assert(
        &mut self,
        frame: &mut Frame<'m>,
        inst: Inst,
        cond: Value,
        message: &str,
    ) -> Result<(), InterpError> {
        let func = frame.func;
        let at = |m: String| self.internal(func, Some(inst), m);
        let (data, ty) = frame.operand(cond).map_err(at)?;
        ensure(ty.scalar_type() == Some(ScalarType::Bool), || {
            format!("assert condition {cond} has type {ty}")
        })
        .map_err(at)?;
        let lanes = typed::<bool>(data.buffer().map_err(at)?).map_err(at)?;
        if self.options.check_asserts && lanes.iter().any(|&lane| !lane) {
            let loc = func.loc(inst);
            return Err(InterpError::AssertFailed {
                kernel: self.kernel.name.clone(),
                line: loc.line,
                col: loc.col,
                message: message.to_string(),
                program: self.program,
            });
        }
        Ok(())
    }

    /// Turns a memory fault at `inst` into a launch error.
    fn fault(
        &self,
        frame: &Frame<'_>,
        inst: Inst,
        access: MemAccess,
        fault: MemFault,
    ) -> InterpError {
        match fault {
            MemFault::OutOfBounds { buffer, index, len } => {
                let loc = frame.func.loc(inst);
                let param = self
                    .memory
                    .names
                    .get(buffer as usize)
                    .cloned()
                    .unwrap_or_else(|| format!("#{buffer}"));
                InterpError::OutOfBounds {
                    kernel: self.kernel.name.clone(),
                    line: loc.line,
                    col: loc.col,
                    access,
                    param,
                    index,
                    len,
                    program: self.program,
                }
            }
            MemFault::Malformed(message) => self.internal(frame.func, Some(inst), message),
        }
    }
}

/// The result values of `inst` (none if it does not exist).
fn results_of<'f>(frame: &Frame<'f>, inst: Inst) -> &'f [Value] {
    frame.func.insts.get(inst).map_or(&[], |data| data.results.as_slice())
}

/// The pointer lanes and mask of an access, and the type of the values it moves.
fn access_lanes<'f>(
    frame: &'f Frame<'_>,
    ptr: Value,
    mask: Option<Value>,
) -> OpResult<(Lanes<'f>, Type)> {
    let (ptr_data, ptr_ty) = frame.operand(ptr)?;
    let pointee = match ptr_ty.elem {
        ElemType::Ptr(pointee) => pointee,
        ElemType::Scalar(_) => return Err(format!("{ptr} is not a pointer: {ptr_ty}")),
    };
    let value_ty = Type::tile(ptr_ty.shape.clone(), pointee);
    let mask = match mask {
        Some(mask) => {
            let (data, ty) = frame.operand(mask)?;
            ensure(*ty == value_ty.with_elem(ElemType::Scalar(ScalarType::Bool)), || {
                format!("mask {mask} of type {ty} does not match pointer {ptr_ty}")
            })?;
            Some(typed::<bool>(data.buffer()?)?)
        }
        None => None,
    };
    Ok((Lanes { ptrs: ptr_data.ptrs()?, mask }, value_ty))
}

/// The elements of `value`, which must have type `expected`.
fn value_operand<'f>(
    frame: &'f Frame<'_>,
    value: Value,
    expected: &Type,
) -> OpResult<&'f super::value::Buffer> {
    let (data, ty) = frame.operand(value)?;
    ensure(ty == expected, || format!("{value} has type {ty}, expected {expected}"))?;
    data.buffer()
}
