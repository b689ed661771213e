//! Type rules of the ops checked on their operand and result types alone: constants,
//! grid queries, layout ops, elementwise ops, reductions, scans and `dot`.

use super::rules::{expect_type, Rule};
use crate::ops::{BinaryOp, Constant, ReduceOp, ScanOp, UnaryOp};
use crate::printer::sign_extend;
use crate::types::{ElemType, ScalarType, Type};

/// The element types an op accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Domain {
    /// Integers and floats.
    Numeric,
    /// Integers and `bool`.
    IntOrBool,
    /// Integers only (shifts: the interpreter defines no shift of `bool`).
    Int,
    Float,
}

impl Domain {
    fn accepts(self, scalar: ScalarType) -> bool {
        match self {
            Domain::Numeric => scalar.is_int() || scalar.is_float(),
            Domain::IntOrBool => scalar.is_int() || scalar.is_bool(),
            Domain::Int => scalar.is_int(),
            Domain::Float => scalar.is_float(),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Domain::Numeric => "integer or float",
            Domain::IntOrBool => "integer or bool",
            Domain::Int => "integer",
            Domain::Float => "float",
        }
    }
}

fn unary_domain(op: UnaryOp) -> Domain {
    match op {
        UnaryOp::Neg | UnaryOp::Abs => Domain::Numeric,
        UnaryOp::Not => Domain::IntOrBool,
        UnaryOp::Exp
        | UnaryOp::Exp2
        | UnaryOp::Log
        | UnaryOp::Log2
        | UnaryOp::Sqrt
        | UnaryOp::Rsqrt
        | UnaryOp::Sin
        | UnaryOp::Cos
        | UnaryOp::Tanh
        | UnaryOp::Floor
        | UnaryOp::Ceil
        | UnaryOp::Sigmoid
        | UnaryOp::Erf => Domain::Float,
    }
}

fn binary_domain(op: BinaryOp) -> Domain {
    match op {
        BinaryOp::Add
        | BinaryOp::Sub
        | BinaryOp::Mul
        | BinaryOp::Div
        | BinaryOp::Rem
        | BinaryOp::Max
        | BinaryOp::Min => Domain::Numeric,
        BinaryOp::And | BinaryOp::Or | BinaryOp::Xor => Domain::IntOrBool,
        BinaryOp::Shl | BinaryOp::Shr => Domain::Int,
    }
}

/// The element type of `ty`, which must not be a pointer.
fn scalar_elem(what: &str, ty: &Type) -> Result<ScalarType, String> {
    ty.scalar_type().ok_or_else(|| format!("{what} has pointer type {ty}, expected scalars"))
}

/// `ty` must have scalar elements in `domain`; `op` names the op in the message.
fn in_domain(op: &str, domain: Domain, ty: &Type) -> Result<ScalarType, String> {
    let scalar = scalar_elem("the operand", ty)?;
    if domain.accepts(scalar) {
        Ok(scalar)
    } else {
        Err(format!("`{op}` needs {} elements, found {ty}", domain.describe()))
    }
}

/// Whether the f64 `value` is exactly a value of the float type `scalar`.
fn representable(value: f64, scalar: ScalarType) -> bool {
    let same = |narrowed: f64| narrowed.to_bits() == value.to_bits();
    match scalar {
        ScalarType::F64 => true,
        ScalarType::F32 => same(value as f32 as f64),
        ScalarType::F16 => same(half::f16::from_f64(value).to_f64()),
        ScalarType::BF16 => same(half::bf16::from_f64(value).to_f64()),
        ScalarType::Bool
        | ScalarType::I8
        | ScalarType::I16
        | ScalarType::I32
        | ScalarType::I64
        | ScalarType::U8
        | ScalarType::U16
        | ScalarType::U32
        | ScalarType::U64 => false,
    }
}

pub(super) fn constant(value: Constant, result: &Type) -> Rule {
    let scalar = match result.scalar_type() {
        Some(scalar) if result.is_scalar() => scalar,
        Some(_) | None => return Err(format!("result type {result} is not a scalar")),
    };
    match value {
        Constant::Bool(_) if scalar.is_bool() => Ok(()),
        Constant::Int(int) if scalar.is_int() => {
            if sign_extend(int as u64, scalar.bits()) == int {
                Ok(())
            } else {
                Err(format!(
                    "integer {int} does not fit {scalar} (stored sign-extended from {} bits)",
                    scalar.bits()
                ))
            }
        }
        Constant::Float(float) if scalar.is_float() => {
            if float.is_nan() || representable(float, scalar) {
                Ok(())
            } else {
                Err(format!("float {float:?} is not exactly representable in {scalar}"))
            }
        }
        Constant::Bool(_) => Err(format!("a bool constant has result type {scalar}")),
        Constant::Int(_) => Err(format!("an integer constant has result type {scalar}")),
        Constant::Float(_) => Err(format!("a float constant has result type {scalar}")),
    }
}

/// `program_id` and `num_programs`.
pub(super) fn grid_index(axis: u8, result: &Type) -> Rule {
    if axis > 2 {
        return Err(format!("axis {axis} is not 0, 1 or 2"));
    }
    expect_type("the result", result, &Type::scalar(ScalarType::I32))
}

pub(super) fn arange(start: i64, end: i64, result: &Type) -> Rule {
    let length = i128::from(end) - i128::from(start);
    let Ok(length) = u32::try_from(length) else {
        return Err(format!("range {start}..{end} has no length that fits a dimension"));
    };
    if length == 0 {
        return Err(format!("range {start}..{end} is empty (end must be > start)"));
    }
    expect_type("the result", result, &Type::tile(vec![length], ScalarType::I32))
}

pub(super) fn splat(value: &Type, result: &Type) -> Rule {
    if !value.is_scalar() {
        return Err(format!("splats {value}, which is not a scalar"));
    }
    if result.is_scalar() {
        return Err(format!("result type {result} is not a tile"));
    }
    expect_type("the result", result, &result.with_elem(value.elem))
}

pub(super) fn expand_dims(arg: &Type, axis: u32, result: &Type) -> Rule {
    let axis = axis as usize;
    if axis > arg.rank() {
        return Err(format!("axis {axis} is beyond rank {} of {arg}", arg.rank()));
    }
    let mut shape = arg.shape.clone();
    shape.insert(axis, 1);
    expect_type("the result", result, &arg.with_shape(shape))
}

pub(super) fn broadcast(arg: &Type, result: &Type) -> Rule {
    let compatible = arg.rank() == result.rank()
        && arg.elem == result.elem
        && arg.shape.iter().zip(&result.shape).all(|(&from, &to)| from == 1 || from == to);
    if compatible {
        Ok(())
    } else {
        Err(format!("cannot broadcast {arg} to {result} (same rank, dims 1 or equal)"))
    }
}

/// The number of elements of `shape`, or `None` when it overflows.
fn element_count(shape: &[u32]) -> Option<u128> {
    shape.iter().try_fold(1u128, |count, &dim| count.checked_mul(u128::from(dim)))
}

pub(super) fn reshape(arg: &Type, result: &Type) -> Rule {
    if arg.elem != result.elem {
        return Err(format!("reshape changes the element type: {arg} to {result}"));
    }
    match (element_count(&arg.shape), element_count(&result.shape)) {
        (Some(from), Some(to)) if from == to => Ok(()),
        _ => Err(format!("cannot reshape {arg} to {result}: element counts differ")),
    }
}

pub(super) fn trans(arg: &Type, perm: &[u32], result: &Type) -> Rule {
    let mut seen = vec![false; arg.rank()];
    let is_permutation = perm.len() == arg.rank()
        && perm
            .iter()
            .all(|&p| seen.get_mut(p as usize).is_some_and(|s| !std::mem::replace(s, true)));
    if !is_permutation {
        return Err(format!("{perm:?} is not a permutation of the {} dims of {arg}", arg.rank()));
    }
    let shape = perm.iter().map(|&p| arg.shape[p as usize]).collect();
    expect_type("the result", result, &arg.with_shape(shape))
}

pub(super) fn unary(op: UnaryOp, arg: &Type, result: &Type) -> Rule {
    in_domain(op.name(), unary_domain(op), arg)?;
    expect_type("the result", result, arg)
}

pub(super) fn binary(op: BinaryOp, lhs: &Type, rhs: &Type, result: &Type) -> Rule {
    expect_type("the right operand", rhs, lhs)?;
    in_domain(op.name(), binary_domain(op), lhs)?;
    expect_type("the result", result, lhs)
}

pub(super) fn cmp(lhs: &Type, rhs: &Type, result: &Type) -> Rule {
    expect_type("the right operand", rhs, lhs)?;
    scalar_elem("the left operand", lhs)?;
    expect_type("the result", result, &lhs.with_elem(ElemType::Scalar(ScalarType::Bool)))
}

pub(super) fn select(cond: &Type, arms: [&Type; 2], result: &Type) -> Rule {
    let expected_cond = result.with_elem(ElemType::Scalar(ScalarType::Bool));
    expect_type("the condition", cond, &expected_cond)?;
    expect_type("the true arm", arms[0], result)?;
    expect_type("the false arm", arms[1], result)
}

pub(super) fn cast(arg: &Type, result: &Type) -> Rule {
    if arg.shape != result.shape {
        return Err(format!("cast changes the shape: {arg} to {result}"));
    }
    scalar_elem("the operand", arg)?;
    scalar_elem("the result", result)?;
    Ok(())
}

pub(super) fn ptr_add(ptr: &Type, offset: &Type, result: &Type) -> Rule {
    if ptr.elem.pointee().is_none() {
        return Err(format!("the pointer operand has type {ptr}, expected pointers"));
    }
    let offset_is_int = offset.scalar_type().is_some_and(ScalarType::is_int);
    if !offset_is_int || offset.shape != ptr.shape {
        return Err(format!(
            "the offset has type {offset}, expected integers of shape {:?}",
            ptr.shape
        ));
    }
    expect_type("the result", result, ptr)
}

/// Checks `axis` against the rank of `arg`.
fn axis_in_range(axis: u32, arg: &Type) -> Result<usize, String> {
    let axis = axis as usize;
    if axis < arg.rank() {
        Ok(axis)
    } else {
        Err(format!("axis {axis} is out of range for {arg}"))
    }
}

pub(super) fn reduce(op: ReduceOp, arg: &Type, axis: u32, result: &Type) -> Rule {
    let axis = axis_in_range(axis, arg)?;
    in_domain(op.name(), Domain::Numeric, arg)?;
    let mut shape = arg.shape.clone();
    shape.remove(axis);
    let elem = match op {
        ReduceOp::Sum | ReduceOp::Max | ReduceOp::Min => arg.elem,
        ReduceOp::ArgMax | ReduceOp::ArgMin => ElemType::Scalar(ScalarType::I32),
    };
    expect_type("the result", result, &Type { shape, elem })
}

pub(super) fn scan(op: ScanOp, arg: &Type, axis: u32, result: &Type) -> Rule {
    axis_in_range(axis, arg)?;
    let domain = match op {
        ScanOp::Cumsum => Domain::Numeric,
    };
    in_domain(op.name(), domain, arg)?;
    expect_type("the result", result, arg)
}

/// The accumulator type `dot` uses for inputs of `input`.
fn dot_accumulator(input: ScalarType) -> Option<ScalarType> {
    match input {
        ScalarType::F16 | ScalarType::BF16 | ScalarType::F32 => Some(ScalarType::F32),
        ScalarType::F64 => Some(ScalarType::F64),
        ScalarType::I8 => Some(ScalarType::I32),
        ScalarType::Bool
        | ScalarType::I16
        | ScalarType::I32
        | ScalarType::I64
        | ScalarType::U8
        | ScalarType::U16
        | ScalarType::U32
        | ScalarType::U64 => None,
    }
}

/// `[a, b, acc]`: `[M, K] @ [K, N] + [M, N]`.
pub(super) fn dot(operands: [&Type; 3], result: &Type) -> Rule {
    let [a, b, acc] = operands;
    let (&[m, k], &[k2, n]) = (a.shape.as_slice(), b.shape.as_slice()) else {
        return Err(format!("operands {a} and {b} are not both 2-D"));
    };
    if k != k2 {
        return Err(format!("inner dims differ: {a} @ {b}"));
    }
    if a.elem != b.elem {
        return Err(format!("operands have different element types: {a} and {b}"));
    }
    let input = scalar_elem("the left operand", a)?;
    let Some(acc_scalar) = dot_accumulator(input) else {
        return Err(format!("`dot` does not take {input} operands"));
    };
    expect_type("the accumulator", acc, &Type::tile(vec![m, n], acc_scalar))?;
    expect_type("the result", result, acc)
}

/// `[a, b, c]` of `fma`: floats, all of the result type.
pub(super) fn fma(operands: [&Type; 3], result: &Type) -> Rule {
    let [a, b, c] = operands;
    in_domain("fma", Domain::Float, a)?;
    expect_type("the second operand", b, a)?;
    expect_type("the addend", c, a)?;
    expect_type("the result", result, a)
}
