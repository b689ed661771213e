//! Algebraic identities: the ring laws of wrapping integer arithmetic, and the few
//! identities that also hold bit for bit on IEEE floats (`x * 1`, `x + (-0.0)`,
//! `x - y == x + (-y)`, …). Constants are moved to the right operand so the other
//! rules need only one orientation.

use super::{rule, RuleDef};

pub fn rules() -> Vec<RuleDef> {
    vec![
        // x + 0 == x (integers; on floats -0.0 + 0.0 is +0.0)
        rule("add-zero", "(add ?x ?z)", "?x", |c| c.int("?x") && c.is_zero("?z")),
        // x + (-0.0) == x (floats, every bit: -0.0 + -0.0 = -0.0, +0.0 + -0.0 = +0.0)
        rule("add-neg-zero", "(add ?x ?z)", "?x", |c| c.float("?x") && c.is_float("?z", -0.0)),
        // x - 0 == x (integers), x - (+0.0) == x (floats: -0.0 - +0.0 = -0.0)
        rule("sub-zero", "(sub ?x ?z)", "?x", |c| {
            (c.int("?x") && c.is_zero("?z")) || (c.float("?x") && c.is_float("?z", 0.0))
        }),
        // x * 1 == x (integers and floats; NaN payloads are unspecified)
        rule("mul-one", "(mul ?x ?c)", "?x", |c| c.numeric("?x") && c.is_one("?c")),
        // x * 0 == 0 (integers only: NaN * 0, inf * 0 and -1.0 * 0 differ on floats)
        rule("mul-zero", "(mul ?x ?z)", "?z", |c| c.int("?x") && c.is_zero("?z")),
        // x * -1 == -x (integers wrap alike; floats: an exact sign flip)
        rule("mul-neg-one", "(mul ?x ?c)", "(neg ?x)", |c| c.numeric("?x") && c.is_neg_one("?c")),
        // x / 1 == x (integers and floats)
        rule("div-one", "(div ?x ?c)", "?x", |c| c.numeric("?x") && c.is_one("?c")),
        // x % 1 == 0 (integers, MIN % 1 included)
        rule("rem-one", "(rem ?x ?c)", "?zero", |c| {
            c.int("?x") && c.is_one("?c") && c.bind_zero("?zero", "?x")
        }),
        // x - x == 0 (integers; floats: NaN - NaN and inf - inf are NaN)
        rule("sub-self", "(sub ?x ?x)", "?zero", |c| c.int("?x") && c.bind_zero("?zero", "?x")),
        // -(-x) == x (integers wrap; floats flip the sign twice)
        rule("neg-neg", "(neg (neg ?x))", "?x", |c| c.numeric("?x")),
        // x + (-y) == x - y (IEEE defines x - y as x + (-y); integers wrap)
        rule("add-neg", "(add ?x (neg ?y))", "(sub ?x ?y)", |c| c.numeric("?x")),
        // x - (-y) == x + y (likewise)
        rule("sub-neg", "(sub ?x (neg ?y))", "(add ?x ?y)", |c| c.numeric("?x")),
        // (-x) * (-y) == x * y (the signs cancel exactly)
        rule("mul-neg-neg", "(mul (neg ?x) (neg ?y))", "(mul ?x ?y)", |c| c.numeric("?x")),
        // (x + a) + b == x + (a + b) for integer constants (wrapping addition associates)
        rule("add-add-const", "(add (add ?x ?a) ?b)", "(add ?x (add ?a ?b))", |c| {
            c.int("?x") && c.is_const("?a") && c.is_const("?b")
        }),
        // (x * a) * b == x * (a * b) for integer constants (wrapping)
        rule("mul-mul-const", "(mul (mul ?x ?a) ?b)", "(mul ?x (mul ?a ?b))", |c| {
            c.int("?x") && c.is_const("?a") && c.is_const("?b")
        }),
        // x - c == x + (-c) for an integer constant (wrapping)
        rule("sub-const", "(sub ?x ?c)", "(add ?x (neg ?c))", |c| {
            c.int("?x") && c.is_const("?c") && !c.is_const("?x")
        }),
        // x * a + x * b == x * (a + b) for integer constants (wrapping distributivity)
        rule("factor-const", "(add (mul ?x ?a) (mul ?x ?b))", "(mul ?x (add ?a ?b))", |c| {
            c.int("?x") && c.is_const("?a") && c.is_const("?b")
        }),
        // c + x == x + c (IEEE + commutes up to the NaN payload; integers wrap)
        rule("add-const-right", "(add ?c ?x)", "(add ?x ?c)", |c| {
            c.numeric("?x") && c.is_const("?c") && !c.is_const("?x")
        }),
        // c * x == x * c (likewise)
        rule("mul-const-right", "(mul ?c ?x)", "(mul ?x ?c)", |c| {
            c.numeric("?x") && c.is_const("?c") && !c.is_const("?x")
        }),
        // maximum(c, x) == maximum(x, c) (NaN wins on either side, -0.0 < +0.0 both ways)
        rule("max-const-right", "(max ?c ?x)", "(max ?x ?c)", |c| {
            c.is_const("?c") && !c.is_const("?x")
        }),
        // minimum(c, x) == minimum(x, c) (likewise)
        rule("min-const-right", "(min ?c ?x)", "(min ?x ?c)", |c| {
            c.is_const("?c") && !c.is_const("?x")
        }),
        // maximum(x, x) == x (NaN and signed zeros included)
        rule("max-self", "(max ?x ?x)", "?x", super::always),
        // minimum(x, x) == x
        rule("min-self", "(min ?x ?x)", "?x", super::always),
    ]
}

#[cfg(test)]
mod tests {
    use crate::egraph::testing::{case, check_group, Case};

    fn cases() -> Vec<Case> {
        vec![
            case("add-zero", "(add v0 (splat 0i32 [8]))", "v0", &["i32[8]"]),
            case("add-zero", "(add v0 0u8)", "v0", &["u8"]),
            case("add-neg-zero", "(add v0 (splat -0.0f32 [8]))", "v0", &["f32[8]"]),
            case("add-neg-zero", "(add v0 -0.0f16)", "v0", &["f16"]),
            case("sub-zero", "(sub v0 (splat 0i64 [8]))", "v0", &["i64[8]"]),
            case("sub-zero", "(sub v0 (splat 0.0f64 [8]))", "v0", &["f64[8]"]),
            case("sub-zero", "(sub v0 0.0bf16)", "v0", &["bf16"]),
            case("mul-one", "(mul v0 (splat 1i16 [8]))", "v0", &["i16[8]"]),
            case("mul-one", "(mul v0 (splat 1.0f32 [8]))", "v0", &["f32[8]"]),
            case("mul-one", "(mul v0 1.0f16)", "v0", &["f16"]),
            case("mul-zero", "(mul v0 (splat 0u32 [8]))", "(splat 0u32 [8])", &["u32[8]"]),
            case("mul-neg-one", "(mul v0 (splat -1i32 [8]))", "(neg v0)", &["i32[8]"]),
            case("mul-neg-one", "(mul v0 255u8)", "(neg v0)", &["u8"]),
            case("mul-neg-one", "(mul v0 (splat -1.0f32 [8]))", "(neg v0)", &["f32[8]"]),
            case("mul-neg-one", "(mul v0 -1.0bf16)", "(neg v0)", &["bf16"]),
            case("div-one", "(div v0 (splat 1i8 [8]))", "v0", &["i8[8]"]),
            case("div-one", "(div v0 (splat 1.0f64 [8]))", "v0", &["f64[8]"]),
            case("rem-one", "(rem v0 (splat 1i32 [8]))", "(splat 0i32 [8])", &["i32[8]"]),
            case("sub-self", "(sub v0 v0)", "(splat 0i64 [8])", &["i64[8]"]),
            case("neg-neg", "(neg (neg v0))", "v0", &["i32[8]"]),
            case("neg-neg", "(neg (neg v0))", "v0", &["f16[8]"]),
            case("add-neg", "(add v0 (neg v1))", "(sub v0 v1)", &["f32[8]", "f32[8]"]),
            case("add-neg", "(add v0 (neg v1))", "(sub v0 v1)", &["bf16[8]", "bf16[8]"]),
            case("add-neg", "(add v0 (neg v1))", "(sub v0 v1)", &["i8[8]", "i8[8]"]),
            case("sub-neg", "(sub v0 (neg v1))", "(add v0 v1)", &["f64[8]", "f64[8]"]),
            case("sub-neg", "(sub v0 (neg v1))", "(add v0 v1)", &["u16[8]", "u16[8]"]),
            case("mul-neg-neg", "(mul (neg v0) (neg v1))", "(mul v0 v1)", &["f32[8]", "f32[8]"]),
            case("mul-neg-neg", "(mul (neg v0) (neg v1))", "(mul v0 v1)", &["f16", "f16"]),
            case(
                "add-add-const",
                "(add (add v0 (splat 7i32 [8])) (splat -9i32 [8]))",
                "(add v0 (splat -2i32 [8]))",
                &["i32[8]"],
            ),
            case(
                "add-add-const",
                "(add (add v0 2147483647i32) 1i32)",
                "(add v0 -2147483648i32)",
                &["i32"],
            ),
            case(
                "mul-mul-const",
                "(mul (mul v0 (splat 3u8 [8])) (splat 100u8 [8]))",
                "(mul v0 (splat 44u8 [8]))",
                &["u8[8]"],
            ),
            case(
                "sub-const",
                "(sub v0 (splat 5i64 [8]))",
                "(add v0 (splat -5i64 [8]))",
                &["i64[8]"],
            ),
            case("sub-const", "(sub v0 -128i8)", "(add v0 -128i8)", &["i8"]),
            case(
                "factor-const",
                "(add (mul v0 (splat 3i32 [8])) (mul v0 (splat 5i32 [8])))",
                "(mul v0 (splat 8i32 [8]))",
                &["i32[8]"],
            ),
            case(
                "add-const-right",
                "(add (splat 2.5f32 [8]) v0)",
                "(add v0 (splat 2.5f32 [8]))",
                &["f32[8]"],
            ),
            case("add-const-right", "(add 3u64 v0)", "(add v0 3u64)", &["u64"]),
            case(
                "mul-const-right",
                "(mul (splat -3.0f16 [8]) v0)",
                "(mul v0 (splat -3.0f16 [8]))",
                &["f16[8]"],
            ),
            case(
                "max-const-right",
                "(max (splat 0.0f32 [8]) v0)",
                "(max v0 (splat 0.0f32 [8]))",
                &["f32[8]"],
            ),
            case(
                "max-const-right",
                "(max (splat -0.0f64 [8]) v0)",
                "(max v0 (splat -0.0f64 [8]))",
                &["f64[8]"],
            ),
            case(
                "min-const-right",
                "(min (splat nanf32 [8]) v0)",
                "(min v0 (splat nanf32 [8]))",
                &["f32[8]"],
            ),
            case("min-const-right", "(min 5i32 v0)", "(min v0 5i32)", &["i32"]),
            case("max-self", "(max v0 v0)", "v0", &["f32[8]"]),
            case("max-self", "(max v0 v0)", "v0", &["u8[8]"]),
            case("min-self", "(min v0 v0)", "v0", &["i16[8]"]),
        ]
    }

    #[test]
    fn int_algebra_rules() {
        check_group(&super::rules(), &cases());
    }
}
