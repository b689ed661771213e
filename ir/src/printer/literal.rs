//! Literal spellings of the text form: constants, quoted strings and symbol names.
//! The parser's `text::literal` reads exactly these spellings back.

use std::fmt::Write as _;

use crate::ops::Constant;
use crate::types::ScalarType;

/// The bit pattern printed as `nan`; every other NaN prints as its `0x…` bits so
/// payload and sign survive a round trip.
pub(crate) const CANONICAL_NAN_BITS: u64 = 0x7ff8_0000_0000_0000;

/// Whether `name` can be printed bare (`[A-Za-z_][A-Za-z0-9_]*`).
pub(crate) fn is_ident(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `@name`, or `@"quoted name"` when the name is not an identifier.
pub(super) fn symbol(name: &str) -> String {
    if is_ident(name) {
        format!("@{name}")
    } else {
        format!("@{}", quote(name))
    }
}

/// A specialization parameter name: bare when it is an identifier, else quoted.
pub(super) fn spec_name(name: &str) -> String {
    if is_ident(name) {
        name.to_string()
    } else {
        quote(name)
    }
}

/// A double-quoted string with `\" \\ \n \t \r` escapes and `\u{…}` for other
/// control characters.
pub(super) fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A constant as a literal of the result's scalar type `scalar` (when known).
pub(super) fn constant(value: Constant, scalar: Option<ScalarType>) -> String {
    match value {
        Constant::Bool(b) => b.to_string(),
        Constant::Int(i) => int(i, scalar),
        Constant::Float(f) => float(f, scalar),
    }
}

/// `value` sign-extended from its low `width` bits: the canonical storage of an
/// integer constant of that width (see [`Constant`]).
pub(crate) fn sign_extend(value: u64, width: u32) -> i64 {
    if width >= 64 {
        return value as i64;
    }
    let shift = 64 - width;
    ((value << shift) as i64) >> shift
}

/// Signed types print the stored value; unsigned types their unsigned value
/// (`255` for a `u8` stored as -1). A non-canonical value prints as stored.
fn int(value: i64, scalar: Option<ScalarType>) -> String {
    match scalar {
        Some(s) if s.is_unsigned_int() => {
            let width = s.bits();
            let mask = if width >= 64 { u64::MAX } else { (1u64 << width) - 1 };
            let unsigned = value as u64 & mask;
            if sign_extend(unsigned, width) == value {
                unsigned.to_string()
            } else {
                value.to_string()
            }
        }
        Some(_) | None => value.to_string(),
    }
}

/// The shortest spelling that parses back to the same bits in the result type:
/// Rust's round-trip `{:?}` formatting of the narrowest type holding the value
/// exactly, `inf`/`-inf`, `nan` for the canonical NaN, else the `0x…` f64 bits.
fn float(value: f64, scalar: Option<ScalarType>) -> String {
    if value.is_nan() {
        return if value.to_bits() == CANONICAL_NAN_BITS {
            "nan".to_string()
        } else {
            format!("0x{:016x}", value.to_bits())
        };
    }
    let same_bits = |narrowed: f64| narrowed.to_bits() == value.to_bits();
    let exact_in_f32 = match scalar {
        Some(ScalarType::F32) => same_bits(value as f32 as f64),
        Some(ScalarType::F16) => same_bits(half::f16::from_f64(value).to_f64()),
        Some(ScalarType::BF16) => same_bits(half::bf16::from_f64(value).to_f64()),
        Some(_) | None => false,
    };
    if exact_in_f32 {
        format!("{:?}", value as f32)
    } else {
        format!("{value:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_use_the_narrowest_exact_spelling() {
        assert_eq!(float(0.1f32 as f64, Some(ScalarType::F32)), "0.1");
        assert_eq!(float(0.1, Some(ScalarType::F64)), "0.1");
        assert_eq!(float(-0.0, Some(ScalarType::F16)), "-0.0");
        assert_eq!(float(f64::NEG_INFINITY, Some(ScalarType::F32)), "-inf");
        assert_eq!(float(f64::from_bits(CANONICAL_NAN_BITS), None), "nan");
        assert_eq!(float(f64::from_bits(0xfff8_0000_0000_0000), None), "0xfff8000000000000");
        assert_eq!(float(1e300, Some(ScalarType::F64)), "1e300");
    }

    #[test]
    fn unsigned_ints_print_their_unsigned_value() {
        assert_eq!(int(-1, Some(ScalarType::U8)), "255");
        assert_eq!(int(-1, Some(ScalarType::U64)), "18446744073709551615");
        assert_eq!(int(-1, Some(ScalarType::I8)), "-1");
        assert_eq!(int(255, Some(ScalarType::U8)), "255");
        assert_eq!(sign_extend(0xff, 8), -1);
        assert_eq!(sign_extend(0x7f, 8), 127);
    }

    #[test]
    fn strings_escape_quotes_and_controls() {
        assert_eq!(quote("a\"b\\c\n\u{1}"), "\"a\\\"b\\\\c\\n\\u{1}\"");
        assert_eq!(symbol("my fn"), "@\"my fn\"");
        assert_eq!(symbol("gelu_2"), "@gelu_2");
    }
}
