//! Strength reduction: multiplications, divisions and remainders by powers of two
//! become shifts and masks (integers, whose arithmetic wraps; signed division needs a
//! bias so it still truncates toward zero), and float division by a power of two
//! becomes multiplication by its exact reciprocal.

use tessera_ir::ScalarType;

use super::{rule, Ctx, RuleDef};
use crate::egraph::fold::fold_cast;
use crate::egraph::language::ConstLit;

pub fn rules() -> Vec<RuleDef> {
    vec![
        // x * 2^k == x << k (two's complement: also for signed x and for 2^(w-1) = MIN)
        rule("mul-pow2", "(mul ?x ?c)", "(shl ?x ?k)", |c| {
            c.int("?x")
                && matches!(c.pow2_bits("?c"), Some(k) if k >= 1 && c.bind_int("?k", "?x", k.into()))
        }),
        // x / 2^k == x >> k (unsigned: a logical shift)
        rule("udiv-pow2", "(div ?x ?c)", "(shr ?x ?k)", |c| {
            c.unsigned("?x")
                && matches!(c.pow2_value("?c"), Some(k) if k >= 1 && c.bind_int("?k", "?x", k.into()))
        }),
        // x % 2^k == x & (2^k - 1) (unsigned)
        rule("urem-pow2", "(rem ?x ?c)", "(and ?x ?m)", |c| {
            c.unsigned("?x")
                && matches!(c.pow2_value("?c"), Some(k) if k >= 1
                    && c.bind_int("?m", "?x", (1i128 << k) - 1))
        }),
        // x / 2^k == (x + ((x >> (w-1)) & (2^k - 1))) >> k (signed: negative x is biased
        // by 2^k - 1 so the arithmetic shift truncates toward zero; no overflow)
        rule("sdiv-pow2", "(div ?x ?c)", "(shr (add ?x (and (shr ?x ?w1) ?m)) ?k)", sdiv_pow2),
        // x % 2^k == x - ((x / 2^k) << k) (signed; truncating division, wrapping)
        rule("srem-pow2", "(rem ?x ?c)", "(sub ?x (shl (div ?x ?c) ?k))", |c| {
            signed_pow2(c).is_some_and(|k| c.bind_int("?k", "?x", k.into()))
        }),
        // (x << a) << b == x << (a + b) when (a mod w) + (b mod w) < w
        rule("shl-shl", "(shl (shl ?x ?a) ?b)", "(shl ?x ?s)", combine_shifts),
        // (x >> a) >> b == x >> (a + b) when (a mod w) + (b mod w) < w (arithmetic or logical)
        rule("shr-shr", "(shr (shr ?x ?a) ?b)", "(shr ?x ?s)", combine_shifts),
        // x / 2^k == x * 2^-k for floats when 2^-k is exact in the type: both round the
        // same exact real once (f16/bf16: the same f32 result, rounded once more)
        rule("fdiv-pow2", "(div ?x ?c)", "(mul ?x ?r)", |c| {
            let (Some(ty), Some(value)) = (c.scalar("?x"), c.float_value("?c")) else {
                return false;
            };
            let reciprocal = 1.0 / value;
            let pow2 = value != 0.0 && value.is_finite() && value.to_bits() & ((1 << 52) - 1) == 0;
            pow2 && fold_cast(ConstLit::float(ScalarType::F64, reciprocal), ty)
                .is_some_and(|lit| lit.as_float() == Some(reciprocal))
                && c.bind_const("?r", "?x", ConstLit::float(ty, reciprocal))
        }),
    ]
}

/// `k` when `?x` is signed and `?c` is `2^k` with `1 <= k <= w - 2` (a positive power
/// of two other than 1).
fn signed_pow2(c: &Ctx<'_>) -> Option<u32> {
    let width = c.scalar("?x")?.bits();
    let k = c.pow2_value("?c")?;
    (c.signed("?x") && (1..=width - 2).contains(&k)).then_some(k)
}

fn sdiv_pow2(c: &mut Ctx<'_>) -> bool {
    let (Some(k), Some(ty)) = (signed_pow2(c), c.scalar("?x")) else { return false };
    c.bind_int("?w1", "?x", i128::from(ty.bits() - 1))
        && c.bind_int("?m", "?x", (1i128 << k) - 1)
        && c.bind_int("?k", "?x", k.into())
}

fn combine_shifts(c: &mut Ctx<'_>) -> bool {
    let Some(width) = c.scalar("?x").filter(|ty| ty.is_int()).map(ScalarType::bits) else {
        return false;
    };
    let (Some(a), Some(b)) = (c.int_value("?a"), c.int_value("?b")) else { return false };
    // Amounts are taken modulo the (power-of-two) width, so only the low bits count.
    let mask = i128::from(width - 1);
    let total = (a & mask) + (b & mask);
    total < i128::from(width) && c.bind_int("?s", "?x", total)
}

#[cfg(test)]
mod tests {
    use crate::egraph::testing::{case, check_group, Case};

    fn cases() -> Vec<Case> {
        vec![
            case("mul-pow2", "(mul v0 (splat 8i32 [8]))", "(shl v0 (splat 3i32 [8]))", &["i32[8]"]),
            case("mul-pow2", "(mul v0 -128i8)", "(shl v0 7i8)", &["i8"]),
            case("mul-pow2", "(mul v0 (splat 2u64 [8]))", "(shl v0 (splat 1u64 [8]))", &["u64[8]"]),
            case(
                "udiv-pow2",
                "(div v0 (splat 16u32 [8]))",
                "(shr v0 (splat 4u32 [8]))",
                &["u32[8]"],
            ),
            case("udiv-pow2", "(div v0 128u8)", "(shr v0 7u8)", &["u8"]),
            case(
                "urem-pow2",
                "(rem v0 (splat 8u16 [8]))",
                "(and v0 (splat 7u16 [8]))",
                &["u16[8]"],
            ),
            case(
                "urem-pow2",
                "(rem v0 9223372036854775808u64)",
                "(and v0 9223372036854775807u64)",
                &["u64"],
            ),
            case(
                "sdiv-pow2",
                "(div v0 (splat 4i32 [8]))",
                "(shr (add v0 (and (shr v0 (splat 31i32 [8])) (splat 3i32 [8]))) (splat 2i32 [8]))",
                &["i32[8]"],
            ),
            case(
                "sdiv-pow2",
                "(div v0 (splat 64i8 [8]))",
                "(shr (add v0 (and (shr v0 (splat 7i8 [8])) (splat 63i8 [8]))) (splat 6i8 [8]))",
                &["i8[8]"],
            ),
            case(
                "sdiv-pow2",
                "(div v0 2i64)",
                "(shr (add v0 (and (shr v0 63i64) 1i64)) 1i64)",
                &["i64"],
            ),
            case(
                "srem-pow2",
                "(rem v0 (splat 8i16 [8]))",
                "(sub v0 (shl (div v0 (splat 8i16 [8])) (splat 3i16 [8])))",
                &["i16[8]"],
            ),
            case("srem-pow2", "(rem v0 2i32)", "(sub v0 (shl (div v0 2i32) 1i32))", &["i32"]),
            case(
                "shl-shl",
                "(shl (shl v0 (splat 3i32 [8])) (splat 4i32 [8]))",
                "(shl v0 (splat 7i32 [8]))",
                &["i32[8]"],
            ),
            case("shl-shl", "(shl (shl v0 35i32) 1i32)", "(shl v0 4i32)", &["i32"]),
            case(
                "shr-shr",
                "(shr (shr v0 (splat 2i8 [8])) (splat 5i8 [8]))",
                "(shr v0 (splat 7i8 [8]))",
                &["i8[8]"],
            ),
            case("shr-shr", "(shr (shr v0 1u64) 62u64)", "(shr v0 63u64)", &["u64"]),
            case(
                "fdiv-pow2",
                "(div v0 (splat 2.0f32 [8]))",
                "(mul v0 (splat 0.5f32 [8]))",
                &["f32[8]"],
            ),
            case(
                "fdiv-pow2",
                "(div v0 (splat -0.25f64 [8]))",
                "(mul v0 (splat -4.0f64 [8]))",
                &["f64[8]"],
            ),
            case(
                "fdiv-pow2",
                "(div v0 (splat 1024.0f16 [8]))",
                "(mul v0 (splat 0.0009765625f16 [8]))",
                &["f16[8]"],
            ),
            case("fdiv-pow2", "(div v0 0.5bf16)", "(mul v0 2.0bf16)", &["bf16"]),
        ]
    }

    #[test]
    fn strength_rules() {
        check_group(&super::rules(), &cases());
    }
}
