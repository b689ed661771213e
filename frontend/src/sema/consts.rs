//! Compile-time constants: values, arithmetic, literal conversion and casts.
//!
//! Const expressions (literals, const parameters, immutable `let`s of const values and
//! arithmetic on them) are evaluated while checking. Typed integer arithmetic is exact
//! and an overflow of the type is an error (never a silent wrap: a const feeds shapes);
//! untyped literal expressions are evaluated exactly (integers, in `i128`) or in `f64`
//! (floats) and converted once to the type their context needs. Typed float values are
//! never constants: they are computed by the program, with its rounding.

use crate::ast::{BinOp, UnOp};
use std::fmt;
use tessera_ir::{Constant, ScalarType};

/// A known constant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ConstVal {
    Int(i128),
    Float(f64),
    Bool(bool),
}

/// The const-ness of an expression that is a compile-time constant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cv {
    Known(ConstVal),
    /// Const, but depends on a const parameter that has no value (only in `check`).
    Unknown,
}

/// Why a const evaluation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConstError {
    DivisionByZero,
    /// The result does not fit the named type.
    Overflow(&'static str),
    /// A shift amount outside `0..bits`.
    ShiftAmount(u32),
}

/// Why an untyped literal cannot become a type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiteralError {
    /// The value does not fit the type.
    OutOfRange,
    /// A float literal where an integer is needed.
    FloatToInt,
    /// A number where a `bool` is needed.
    NotBool,
}

impl fmt::Display for ConstVal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConstVal::Int(v) => write!(f, "{v}"),
            ConstVal::Float(v) => write!(f, "{v:?}"),
            ConstVal::Bool(b) => write!(f, "{b}"),
        }
    }
}

impl fmt::Display for ConstError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConstError::DivisionByZero => f.write_str("division by zero"),
            ConstError::Overflow(ty) => write!(f, "overflows `{ty}`"),
            ConstError::ShiftAmount(bits) => {
                write!(f, "shift amount out of range 0..{bits}")
            }
        }
    }
}

/// The inclusive range of an integer type (`bool` is 0..=1).
pub fn int_range(s: ScalarType) -> Option<(i128, i128)> {
    if s.is_bool() {
        return Some((0, 1));
    }
    if !s.is_int() {
        return None;
    }
    let bits = s.bits();
    if s.is_signed_int() {
        Some((-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1))
    } else {
        Some((0, (1i128 << bits) - 1))
    }
}

/// Whether `v` fits the integer type `s`.
pub fn fits(v: i128, s: ScalarType) -> bool {
    int_range(s).is_some_and(|(lo, hi)| lo <= v && v <= hi)
}

/// Converts an untyped literal value to `target`, checking its range.
pub fn convert_literal(v: ConstVal, target: ScalarType) -> Result<ConstVal, LiteralError> {
    if target.is_bool() {
        return match v {
            ConstVal::Bool(_) => Ok(v),
            ConstVal::Int(_) | ConstVal::Float(_) => Err(LiteralError::NotBool),
        };
    }
    match v {
        ConstVal::Int(i) if target.is_int() => {
            if fits(i, target) {
                Ok(v)
            } else {
                Err(LiteralError::OutOfRange)
            }
        }
        ConstVal::Int(i) => float_in_range(i as f64, target).map(ConstVal::Float),
        ConstVal::Float(_) if target.is_int() => Err(LiteralError::FloatToInt),
        ConstVal::Float(x) => float_in_range(x, target).map(ConstVal::Float),
        ConstVal::Bool(_) => Err(LiteralError::NotBool),
    }
}

fn float_in_range(x: f64, target: ScalarType) -> Result<f64, LiteralError> {
    if x.is_finite() && round_to(x, target).is_infinite() {
        Err(LiteralError::OutOfRange)
    } else {
        Ok(x)
    }
}

/// Rounds `x` to the float type `s` (to nearest even), returned as `f64`.
pub fn round_to(x: f64, s: ScalarType) -> f64 {
    match s {
        ScalarType::F16 => half::f16::from_f64(x).to_f64(),
        ScalarType::BF16 => half::bf16::from_f64(x).to_f64(),
        ScalarType::F32 => x as f32 as f64,
        ScalarType::Bool
        | ScalarType::I8
        | ScalarType::I16
        | ScalarType::I32
        | ScalarType::I64
        | ScalarType::U8
        | ScalarType::U16
        | ScalarType::U32
        | ScalarType::U64
        | ScalarType::F64 => x,
    }
}

/// `x as to` on a constant, with the run-time cast semantics; `None` when the result
/// is a float (typed floats are not constants).
pub fn cast_const(v: ConstVal, to: ScalarType) -> Option<ConstVal> {
    if to.is_float() {
        return None;
    }
    if to.is_bool() {
        return Some(ConstVal::Bool(match v {
            ConstVal::Int(i) => i != 0,
            ConstVal::Float(x) => x != 0.0,
            ConstVal::Bool(b) => b,
        }));
    }
    let int = match v {
        ConstVal::Int(i) => wrap_int(i, to),
        ConstVal::Bool(b) => i128::from(b),
        ConstVal::Float(x) => float_to_int(x, to),
    };
    Some(ConstVal::Int(int))
}

/// Truncates `v` to the width of `s` and re-extends it by the signedness of `s`.
pub fn wrap_int(v: i128, s: ScalarType) -> i128 {
    let bits = s.bits();
    let modulus = 1i128 << bits;
    let low = v.rem_euclid(modulus);
    if s.is_signed_int() && low >= modulus / 2 {
        low - modulus
    } else {
        low
    }
}

fn float_to_int(x: f64, s: ScalarType) -> i128 {
    if x.is_nan() {
        return 0;
    }
    let (lo, hi) = int_range(s).unwrap_or((0, 0));
    let t = x.trunc();
    if t <= lo as f64 {
        lo
    } else if t >= hi as f64 {
        hi
    } else {
        t as i128
    }
}

/// The IR constant for `v` as a value of type `s`.
pub fn to_ir_constant(v: ConstVal, s: ScalarType) -> Constant {
    if s.is_bool() {
        return Constant::Bool(match v {
            ConstVal::Bool(b) => b,
            ConstVal::Int(i) => i != 0,
            ConstVal::Float(x) => x != 0.0,
        });
    }
    if s.is_float() {
        let x = match v {
            ConstVal::Int(i) => i as f64,
            ConstVal::Float(x) => x,
            ConstVal::Bool(b) => f64::from(u8::from(b)),
        };
        return Constant::Float(round_to(x, s));
    }
    let i = match v {
        ConstVal::Int(i) => i,
        ConstVal::Bool(b) => i128::from(b),
        ConstVal::Float(x) => float_to_int(x, s),
    };
    // The IR stores the bit pattern sign-extended from the type's width.
    let bits = s.bits();
    let modulus = 1i128 << bits;
    let low = i.rem_euclid(modulus);
    let signed = if low >= modulus / 2 { low - modulus } else { low };
    Constant::Int(signed as i64)
}

/// Evaluates a unary operator on a constant of operand type `ty` (`None` = untyped).
pub fn eval_unary(op: UnOp, ty: Option<ScalarType>, v: ConstVal) -> Result<ConstVal, ConstError> {
    let result = match (op, v) {
        (UnOp::Neg, ConstVal::Int(i)) => ConstVal::Int(i.checked_neg().ok_or(overflow(ty))?),
        (UnOp::Neg, ConstVal::Float(x)) => ConstVal::Float(-x),
        (UnOp::Not, ConstVal::Int(i)) => match ty.filter(|s| s.is_unsigned_int()) {
            // Within an unsigned type, `!i` is `MAX - i`.
            Some(s) => ConstVal::Int(int_range(s).map_or(0, |r| r.1) - i),
            None => ConstVal::Int(!i),
        },
        (UnOp::Not, ConstVal::Bool(b)) => ConstVal::Bool(!b),
        (UnOp::Neg, ConstVal::Bool(_)) | (UnOp::Not, ConstVal::Float(_)) => v,
    };
    check_range(result, ty)
}

/// Evaluates a binary operator on two constants of the common operand type `ty`
/// (`None` = untyped).
pub fn eval_binary(
    op: BinOp,
    ty: Option<ScalarType>,
    a: ConstVal,
    b: ConstVal,
) -> Result<ConstVal, ConstError> {
    let result = match (a, b) {
        (ConstVal::Int(x), ConstVal::Int(y)) => int_binary(op, ty, x, y)?,
        (ConstVal::Bool(x), ConstVal::Bool(y)) => bool_binary(op, x, y),
        (ConstVal::Float(x), ConstVal::Float(y)) => float_binary(op, x, y),
        (ConstVal::Int(x), ConstVal::Float(y)) => float_binary(op, x as f64, y),
        (ConstVal::Float(x), ConstVal::Int(y)) => float_binary(op, x, y as f64),
        (ConstVal::Bool(_), ConstVal::Int(_) | ConstVal::Float(_))
        | (ConstVal::Int(_) | ConstVal::Float(_), ConstVal::Bool(_)) => a,
    };
    check_range(result, ty)
}

fn overflow(ty: Option<ScalarType>) -> ConstError {
    ConstError::Overflow(ty.map_or("{integer}", ScalarType::name))
}

fn check_range(v: ConstVal, ty: Option<ScalarType>) -> Result<ConstVal, ConstError> {
    let Some(s) = ty else { return Ok(v) };
    match v {
        ConstVal::Int(i) if s.is_int() && !fits(i, s) => Err(overflow(ty)),
        ConstVal::Float(x) if s.is_float() => Ok(ConstVal::Float(round_to(x, s))),
        ConstVal::Int(_) | ConstVal::Float(_) | ConstVal::Bool(_) => Ok(v),
    }
}

fn int_binary(op: BinOp, ty: Option<ScalarType>, x: i128, y: i128) -> Result<ConstVal, ConstError> {
    let bits = ty.map_or(127, ScalarType::bits);
    let int = |r: Option<i128>| r.map(ConstVal::Int).ok_or(overflow(ty));
    match op {
        BinOp::Add => int(x.checked_add(y)),
        BinOp::Sub => int(x.checked_sub(y)),
        BinOp::Mul => int(x.checked_mul(y)),
        BinOp::Div if y == 0 => Err(ConstError::DivisionByZero),
        BinOp::Rem if y == 0 => Err(ConstError::DivisionByZero),
        BinOp::Div => int(x.checked_div(y)),
        BinOp::Rem => int(x.checked_rem(y)),
        BinOp::BitAnd | BinOp::And => Ok(ConstVal::Int(x & y)),
        BinOp::BitOr | BinOp::Or => Ok(ConstVal::Int(x | y)),
        BinOp::BitXor => Ok(ConstVal::Int(x ^ y)),
        BinOp::Shl | BinOp::Shr if y < 0 || y >= i128::from(bits) => {
            Err(ConstError::ShiftAmount(bits))
        }
        BinOp::Shl => int(1i128.checked_shl(y as u32).and_then(|p| x.checked_mul(p))),
        BinOp::Shr => Ok(ConstVal::Int(x >> y)),
        BinOp::Eq => Ok(ConstVal::Bool(x == y)),
        BinOp::Ne => Ok(ConstVal::Bool(x != y)),
        BinOp::Lt => Ok(ConstVal::Bool(x < y)),
        BinOp::Le => Ok(ConstVal::Bool(x <= y)),
        BinOp::Gt => Ok(ConstVal::Bool(x > y)),
        BinOp::Ge => Ok(ConstVal::Bool(x >= y)),
    }
}

fn bool_binary(op: BinOp, x: bool, y: bool) -> ConstVal {
    match op {
        BinOp::BitAnd | BinOp::And | BinOp::Mul => ConstVal::Bool(x && y),
        BinOp::BitOr | BinOp::Or | BinOp::Add => ConstVal::Bool(x || y),
        BinOp::BitXor | BinOp::Ne | BinOp::Sub => ConstVal::Bool(x != y),
        BinOp::Eq => ConstVal::Bool(x == y),
        BinOp::Lt => ConstVal::Bool(!x & y),
        BinOp::Le => ConstVal::Bool(x <= y),
        BinOp::Gt => ConstVal::Bool(x & !y),
        BinOp::Ge => ConstVal::Bool(x >= y),
        BinOp::Div | BinOp::Rem | BinOp::Shl | BinOp::Shr => ConstVal::Bool(x),
    }
}

fn float_binary(op: BinOp, x: f64, y: f64) -> ConstVal {
    match op {
        BinOp::Add => ConstVal::Float(x + y),
        BinOp::Sub => ConstVal::Float(x - y),
        BinOp::Mul => ConstVal::Float(x * y),
        BinOp::Div => ConstVal::Float(x / y),
        BinOp::Rem => ConstVal::Float(x % y),
        BinOp::Eq => ConstVal::Bool(x == y),
        BinOp::Ne => ConstVal::Bool(x != y),
        BinOp::Lt => ConstVal::Bool(x < y),
        BinOp::Le => ConstVal::Bool(x <= y),
        BinOp::Gt => ConstVal::Bool(x > y),
        BinOp::Ge => ConstVal::Bool(x >= y),
        // The checker rejects bitwise and logical operators on floats before evaluating.
        BinOp::BitAnd
        | BinOp::BitOr
        | BinOp::BitXor
        | BinOp::Shl
        | BinOp::Shr
        | BinOp::And
        | BinOp::Or => ConstVal::Float(x),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_overflow_is_an_error() {
        let r = eval_binary(
            BinOp::Mul,
            Some(ScalarType::I32),
            ConstVal::Int(1 << 20),
            ConstVal::Int(1 << 20),
        );
        assert_eq!(r, Err(ConstError::Overflow("i32")));
        let r = eval_binary(BinOp::Div, None, ConstVal::Int(1), ConstVal::Int(0));
        assert_eq!(r, Err(ConstError::DivisionByZero));
    }

    #[test]
    fn literals_convert_with_range_checks() {
        assert_eq!(
            convert_literal(ConstVal::Int(300), ScalarType::U8),
            Err(LiteralError::OutOfRange)
        );
        assert_eq!(
            convert_literal(ConstVal::Float(1.5), ScalarType::I32),
            Err(LiteralError::FloatToInt)
        );
        assert_eq!(
            convert_literal(ConstVal::Float(1e6), ScalarType::F16),
            Err(LiteralError::OutOfRange)
        );
        assert_eq!(convert_literal(ConstVal::Int(2), ScalarType::F32), Ok(ConstVal::Float(2.0)));
    }

    #[test]
    fn casts_follow_runtime_semantics() {
        assert_eq!(cast_const(ConstVal::Int(300), ScalarType::U8), Some(ConstVal::Int(44)));
        assert_eq!(cast_const(ConstVal::Int(255), ScalarType::I8), Some(ConstVal::Int(-1)));
        assert_eq!(cast_const(ConstVal::Float(-2.7), ScalarType::I32), Some(ConstVal::Int(-2)));
        assert_eq!(cast_const(ConstVal::Float(f64::NAN), ScalarType::I32), Some(ConstVal::Int(0)));
        assert_eq!(cast_const(ConstVal::Int(3), ScalarType::F32), None);
        assert_eq!(
            to_ir_constant(ConstVal::Int(u64::MAX as i128), ScalarType::U64),
            Constant::Int(-1)
        );
    }
}
