//! Constant literals: reading `const` operands and converting them to a
//! [`Constant`] of the result type, with range checks (the inverse of the
//! printer's literal spellings).

use super::cursor::Cursor;
use super::lexer::{Tok, Token};
use super::TextError;
use crate::ops::Constant;
use crate::printer::{sign_extend, CANONICAL_NAN_BITS};
use crate::types::{ScalarType, Type};

/// A literal as written, before the result type gives it meaning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Literal {
    Bool(bool),
    /// Decimal or `0x` hexadecimal integer text.
    Int(String),
    /// Float text, `inf`, `-inf` or `nan`.
    Float(String),
}

/// Parses decimal (optionally negative) or `0x` hexadecimal integer text; `None`
/// when it does not fit an `i128`.
pub(super) fn parse_int_text(text: &str) -> Option<i128> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let value = match digits.strip_prefix("0x") {
        Some(hex) => i128::from_str_radix(hex, 16).ok()?,
        None => digits.parse::<i128>().ok()?,
    };
    Some(if negative { -value } else { value })
}

/// Reads the operand of `const`.
pub(super) fn read(cursor: &mut Cursor) -> Result<(Literal, Token), TextError> {
    let literal = match cursor.peek() {
        Tok::Ident(word) if word == "true" => Literal::Bool(true),
        Tok::Ident(word) if word == "false" => Literal::Bool(false),
        Tok::Ident(word) if word == "inf" || word == "nan" => Literal::Float(word.clone()),
        Tok::Int(text) => Literal::Int(text.clone()),
        Tok::Float(text) => Literal::Float(text.clone()),
        _ => return Err(cursor.expected("a constant (number, `inf`, `nan`, `true`, `false`)")),
    };
    Ok((literal, cursor.next()))
}

/// The constant `literal` denotes as a value of type `ty`, or why it cannot.
pub(super) fn constant(literal: &Literal, ty: &Type) -> Result<Constant, String> {
    let scalar = match ty.scalar_type() {
        Some(scalar) if ty.is_scalar() => scalar,
        Some(_) | None => return Err(format!("a constant must have a scalar type, not {ty}")),
    };
    if scalar.is_bool() {
        return match literal {
            Literal::Bool(b) => Ok(Constant::Bool(*b)),
            Literal::Int(_) | Literal::Float(_) => {
                Err("a `bool` constant is `true` or `false`".into())
            }
        };
    }
    match literal {
        Literal::Bool(_) => Err(format!("`true`/`false` is not a {scalar} constant")),
        Literal::Int(text) if scalar.is_int() => int_value(text, scalar).map(Constant::Int),
        Literal::Float(text) if scalar.is_int() => {
            Err(format!("float literal `{text}` for integer type {scalar}"))
        }
        Literal::Int(text) if text.starts_with("0x") => float_bits(text).map(Constant::Float),
        Literal::Int(text) | Literal::Float(text) => float_value(text, scalar).map(Constant::Float),
    }
}

/// An integer of `scalar`'s range, stored sign-extended from its width.
fn int_value(text: &str, scalar: ScalarType) -> Result<i64, String> {
    let out_of_range = || format!("integer `{text}` is out of range for {scalar}");
    let value = parse_int_text(text).ok_or_else(out_of_range)?;
    let width = scalar.bits();
    let (min, max) = if scalar.is_signed_int() {
        (-(1i128 << (width - 1)), (1i128 << (width - 1)) - 1)
    } else {
        (0, (1i128 << width) - 1)
    };
    if value < min || value > max {
        return Err(out_of_range());
    }
    Ok(sign_extend(value as u64, width))
}

/// `0x…` text as the bits of an f64 (how non-canonical NaNs are written).
fn float_bits(text: &str) -> Result<f64, String> {
    let digits = text.trim_start_matches("0x");
    match u64::from_str_radix(digits, 16) {
        Ok(bits) => Ok(f64::from_bits(bits)),
        Err(_) => Err(format!("`{text}` does not fit the 64 bits of a float")),
    }
}

/// Decimal text rounded (once) to `scalar`, widened to the stored f64.
fn float_value(text: &str, scalar: ScalarType) -> Result<f64, String> {
    match text {
        "nan" => return Ok(f64::from_bits(CANONICAL_NAN_BITS)),
        "inf" => return Ok(f64::INFINITY),
        "-inf" => return Ok(f64::NEG_INFINITY),
        _ => {}
    }
    let as_f32 = || text.parse::<f32>().ok();
    let value = match scalar {
        ScalarType::F64 => text.parse::<f64>().ok(),
        ScalarType::F32 => as_f32().map(f64::from),
        ScalarType::F16 => as_f32().map(|v| half::f16::from_f32(v).to_f64()),
        ScalarType::BF16 => as_f32().map(|v| half::bf16::from_f32(v).to_f64()),
        ScalarType::Bool
        | ScalarType::I8
        | ScalarType::I16
        | ScalarType::I32
        | ScalarType::I64
        | ScalarType::U8
        | ScalarType::U16
        | ScalarType::U32
        | ScalarType::U64 => None,
    };
    match value {
        Some(value) if value.is_finite() => Ok(value),
        Some(_) => Err(format!("float `{text}` is out of range for {scalar}")),
        None => Err(format!("`{text}` is not a {scalar} constant")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(literal: Literal, scalar: ScalarType) -> Result<Constant, String> {
        constant(&literal, &Type::scalar(scalar))
    }

    #[test]
    fn ints_are_range_checked_and_sign_extended() {
        let int = |text: &str| Literal::Int(text.into());
        assert_eq!(convert(int("255"), ScalarType::U8), Ok(Constant::Int(-1)));
        assert_eq!(convert(int("-128"), ScalarType::I8), Ok(Constant::Int(-128)));
        assert!(convert(int("-129"), ScalarType::I8).is_err());
        assert!(convert(int("256"), ScalarType::U8).is_err());
        assert!(convert(int("-1"), ScalarType::U32).is_err());
        assert_eq!(convert(int("18446744073709551615"), ScalarType::U64), Ok(Constant::Int(-1)));
        assert!(convert(int("18446744073709551616"), ScalarType::U64).is_err());
        assert!(convert(int("9".repeat(60).as_str()), ScalarType::I64).is_err());
    }

    #[test]
    fn floats_round_to_the_type_and_reject_overflow() {
        let float = |text: &str| Literal::Float(text.into());
        assert_eq!(convert(float("0.1"), ScalarType::F32), Ok(Constant::Float(0.1f32 as f64)));
        assert!(convert(float("1e39"), ScalarType::F32).is_err());
        assert!(convert(float("70000.0"), ScalarType::F16).is_err());
        assert!(convert(float("1.5"), ScalarType::I32).is_err());
        assert!(convert(Literal::Bool(true), ScalarType::F32).is_err());
        let bits = convert(Literal::Int("0x7ff8000000000001".into()), ScalarType::F64);
        assert!(matches!(bits, Ok(Constant::Float(f)) if f.to_bits() == 0x7ff8000000000001));
        assert!(convert(Literal::Int("0x1ffffffffffffffff".into()), ScalarType::F64).is_err());
    }
}
