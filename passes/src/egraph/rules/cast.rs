//! Cast chains: a cast to the operand's own type is the identity, and a cast through
//! an intermediate type that holds every value of the source exactly (i32 → i64,
//! u8 → i16, i16 → f32, f16 → f32, f32 → f64, bool → anything) can skip it, since a
//! cast is a function of the source value and the source and target *kinds*. The one
//! exception: int → float → int saturates where int → int wraps, so that chain stays.
//! Comparisons of such casts compare the sources.

use tessera_ir::{CmpPred, ScalarType};

use super::{rule, Ctx, RuleDef};

pub fn rules() -> Vec<RuleDef> {
    let mut rules = vec![
        // cast(x, T) == x when x has type T
        rule(
            "cast-id",
            "(cast ?x ?t)",
            "?x",
            |c| matches!((c.scalar("?x"), c.dtype_attr("?t")), (Some(from), Some(to)) if from == to),
        ),
        // cast(cast(x, M), T) == cast(x, T) when M holds every value of x's type exactly
        // (int → float → int excepted: the float → int step saturates, int → int wraps)
        rule("cast-cast", "(cast (cast ?x ?m) ?t)", "(cast ?x ?t)", |c| {
            let (Some(from), Some(mid), Some(to)) =
                (c.scalar("?x"), c.dtype_attr("?m"), c.dtype_attr("?t"))
            else {
                return false;
            };
            preserves_values(from, mid) && !(from.is_int() && mid.is_float() && to.is_int())
        }),
    ];
    for pred in CmpPred::ALL {
        let op = pred.name();
        // cmp(cast(x, M), cast(y, M)) == cmp(x, y) when M holds x's values exactly
        rules.push(rule(
            &format!("{op}-cast-cast"),
            &format!("({op} (cast ?x ?m) (cast ?y ?m))"),
            &format!("({op} ?x ?y)"),
            |c| c.same_type("?x", "?y") && mid_preserves_x(c),
        ));
    }
    rules
}

fn mid_preserves_x(c: &mut Ctx<'_>) -> bool {
    matches!((c.scalar("?x"), c.dtype_attr("?m")), (Some(from), Some(mid)) if preserves_values(from, mid))
}

/// Whether every value of `from` converts to `to` exactly (so converting back, or on
/// to a third type, sees the original value).
pub fn preserves_values(from: ScalarType, to: ScalarType) -> bool {
    if from == to || from.is_bool() {
        return true;
    }
    if from.is_int() && to.is_int() {
        let same_sign = from.is_signed_int() == to.is_signed_int();
        return (same_sign && to.bits() >= from.bits())
            || (from.is_unsigned_int() && to.is_signed_int() && to.bits() > from.bits());
    }
    if from.is_int() && to.is_float() {
        // Magnitudes up to 2^(bits - 1) (signed) or 2^bits - 1 (unsigned) need that many
        // significand bits (2^(bits - 1) itself is a power of two).
        let needed = if from.is_signed_int() { from.bits() - 1 } else { from.bits() };
        return significand_bits(to) >= needed;
    }
    if from.is_float() && to.is_float() {
        return significand_bits(to) > significand_bits(from) && to.bits() > from.bits();
    }
    false
}

/// Significand precision (with the implicit bit) of a float type; 0 otherwise.
fn significand_bits(ty: ScalarType) -> u32 {
    match ty {
        ScalarType::F16 => 11,
        ScalarType::BF16 => 8,
        ScalarType::F32 => 24,
        ScalarType::F64 => 53,
        ScalarType::Bool
        | ScalarType::I8
        | ScalarType::I16
        | ScalarType::I32
        | ScalarType::I64
        | ScalarType::U8
        | ScalarType::U16
        | ScalarType::U32
        | ScalarType::U64 => 0,
    }
}

#[cfg(test)]
mod tests {
    use tessera_ir::{CmpPred, ScalarType};

    use super::preserves_values;
    use crate::egraph::testing::{case, check_group, check_rejected, Case};

    fn cases() -> Vec<Case> {
        let mut cases = vec![
            case("cast-id", "(cast v0 f32)", "v0", &["f32[8]"]),
            case("cast-id", "(cast v0 u8)", "v0", &["u8"]),
            case("cast-cast", "(cast (cast v0 i64) i32)", "(cast v0 i32)", &["i32[8]"]),
            case("cast-cast", "(cast (cast v0 u64) i8)", "(cast v0 i8)", &["u32[8]"]),
            case("cast-cast", "(cast (cast v0 i16) u64)", "(cast v0 u64)", &["u8[8]"]),
            case("cast-cast", "(cast (cast v0 f32) f16)", "(cast v0 f16)", &["f16[8]"]),
            case("cast-cast", "(cast (cast v0 f64) bf16)", "(cast v0 bf16)", &["f32[8]"]),
            case("cast-cast", "(cast (cast v0 f32) i32)", "(cast v0 i32)", &["bf16[8]"]),
            case("cast-cast", "(cast (cast v0 f32) bool)", "(cast v0 bool)", &["i16[8]"]),
            case("cast-cast", "(cast (cast v0 f16) f32)", "(cast v0 f32)", &["i8[8]"]),
            case("cast-cast", "(cast (cast v0 i16) u8)", "(cast v0 u8)", &["bool[8]"]),
            case("cast-cast", "(cast (cast v0 f64) f16)", "(cast v0 f16)", &["u32[8]"]),
            case("cast-cast", "(cast (cast v0 i8) f32)", "(cast v0 f32)", &["bool[8]"]),
        ];
        let types = [("i32[8]", "i64"), ("f16[8]", "f32"), ("u8[8]", "i16")];
        for (index, pred) in CmpPred::ALL.into_iter().enumerate() {
            let (ty, mid) = types[index % types.len()];
            let op = pred.name();
            cases.push(case(
                &format!("{op}-cast-cast"),
                &format!("({op} (cast v0 {mid}) (cast v1 {mid}))"),
                &format!("({op} v0 v1)"),
                &[ty, ty],
            ));
        }
        cases
    }

    #[test]
    fn cast_rules() {
        check_group(&super::rules(), &cases());
        check_rejected(
            &super::rules(),
            &[
                // -2 → -2.0 → 0 (saturating) but -2 → 254 (wrapping)
                case("cast-cast", "(cast (cast v0 f32) u8)", "(cast v0 u8)", &["i16[8]"]),
                // i32 → f32 rounds large values
                case("cast-cast", "(cast (cast v0 f32) i64)", "(cast v0 i64)", &["i32[8]"]),
                // f16 → bf16 loses precision
                case("cast-cast", "(cast (cast v0 bf16) f32)", "(cast v0 f32)", &["f16[8]"]),
            ],
        );
    }

    #[test]
    fn lossy_intermediates_do_not_preserve_values() {
        use ScalarType::*;
        for (from, to) in [
            (I32, U64),
            (I16, F16),
            (I32, F32),
            (I64, F64),
            (F16, BF16),
            (BF16, F16),
            (F32, I64),
            (I8, Bool),
            (U8, I8),
            (U16, F16),
        ] {
            assert!(!preserves_values(from, to), "{from} -> {to}");
        }
        for (from, to) in [
            (I32, I64),
            (U32, I64),
            (U8, U16),
            (I8, BF16),
            (U8, BF16),
            (U16, F32),
            (I32, F64),
            (F16, F32),
            (BF16, F64),
            (Bool, F16),
        ] {
            assert!(preserves_values(from, to), "{from} -> {to}");
        }
    }
}
