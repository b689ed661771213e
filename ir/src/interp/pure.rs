//! One pure op on concrete operands, outside any kernel: the entry point targets and
//! simulators use to compute exactly what the interpreter computes, op by op.

use super::tile::{OpResult, TileData};
use super::value::Buffer;
use super::{arith, cast, layout, reduce};
use crate::ops::{AtomicOp, BinaryOp, Op};
use crate::types::{ScalarType, Type};

/// Evaluates the pure, pointer-free op `op` with a single result of type `ty`.
///
/// `args` are the operands in the order of [`Op::operands`] (the op's own operand
/// values are ignored), each a buffer of elements and its type. `const`,
/// `program_id`, `num_programs`, `ptr_add` and every effectful or structured op are
/// rejected. Errors are messages: a mismatch of types or shapes, an arity error.
pub fn eval_pure_op(op: &Op, args: &[(&Buffer, &Type)], ty: &Type) -> Result<Buffer, String> {
    let data: Vec<TileData> = args.iter().map(|(b, _)| TileData::Scalars((*b).clone())).collect();
    let arg = |i: usize| -> OpResult<(&TileData, &Type)> {
        match (data.get(i), args.get(i)) {
            (Some(d), Some((_, t))) => Ok((d, *t)),
            _ => Err(format!("`{}` is missing operand {i}", op_name(op))),
        }
    };
    let want = op.operands().len();
    if args.len() != want {
        return Err(format!("`{}` takes {want} operands, got {}", op_name(op), args.len()));
    }
    let out = match op {
        Op::Arange { start, end } => layout::arange(*start, *end, ty)?,
        Op::Splat { .. } => layout::splat(arg(0)?, ty)?,
        Op::ExpandDims { axis, .. } => {
            let (d, t) = arg(0)?;
            layout::check_expand_dims(t, *axis, ty)?;
            d.clone()
        }
        Op::Broadcast { .. } => layout::broadcast(arg(0)?, ty)?,
        Op::Reshape { .. } => {
            let (d, t) = arg(0)?;
            layout::check_reshape(t, ty)?;
            d.clone()
        }
        Op::Trans { perm, .. } => layout::trans(arg(0)?, perm, ty)?,
        Op::Unary { op, .. } => arith::unary(*op, arg(0)?, ty)?,
        Op::Binary { op, .. } => arith::binary(*op, arg(0)?, arg(1)?, ty)?,
        Op::Cmp { pred, .. } => arith::cmp(*pred, arg(0)?, arg(1)?, ty)?,
        Op::Select { .. } => arith::select(arg(0)?, arg(1)?, arg(2)?, ty)?,
        Op::Cast { .. } => cast::cast(arg(0)?, ty)?,
        Op::Reduce { op, axis, .. } => reduce::reduce(*op, arg(0)?, *axis, ty)?,
        Op::Scan { op, axis, .. } => reduce::scan(*op, arg(0)?, *axis, ty)?,
        Op::Dot { .. } => reduce::dot(arg(0)?, arg(1)?, arg(2)?, ty)?,
        Op::Fma { .. } => arith::fma([arg(0)?, arg(1)?, arg(2)?], ty)?,
        _ => return Err(format!("`{}` is not a pure, pointer-free op", op_name(op))),
    };
    match out {
        TileData::Scalars(b) => Ok(b),
        TileData::Ptrs(_) => Err("the result is a pointer tile".to_string()),
    }
}

/// The new value of one element updated by an atomic `op` with `value`, elementwise
/// over equal-length buffers of one dtype: exactly what the interpreter's `atomic_add`
/// (wrapping for integers, rounded once for floats) and `atomic_max` (`maximum` for
/// floats: NaN sticks, `-0.0 < +0.0`) store.
pub fn atomic_update(op: AtomicOp, current: &Buffer, value: &Buffer) -> Result<Buffer, String> {
    if current.dtype() == ScalarType::Bool {
        return Err(format!("atomic {} is not defined on bool", op.name()));
    }
    let bin = match op {
        AtomicOp::Add => BinaryOp::Add,
        AtomicOp::Max => BinaryOp::Max,
    };
    arith::binary_buffer(bin, current, value)
}

fn op_name(op: &Op) -> String {
    format!("{op:?}").split([' ', '{', '(']).next().unwrap_or("op").to_lowercase()
}

/// The scalar of type `dtype` that the IR constant `value` denotes, exactly as the
/// interpreter materializes `const` (integers wrap to the width, floats round once).
pub fn constant_scalar(
    value: crate::ops::Constant,
    dtype: ScalarType,
) -> Result<super::Scalar, String> {
    match cast::constant(value, &Type::scalar(dtype))? {
        TileData::Scalars(b) => b.get(0).ok_or_else(|| "empty constant".to_string()),
        TileData::Ptrs(_) => Err("a pointer constant".to_string()),
    }
}
