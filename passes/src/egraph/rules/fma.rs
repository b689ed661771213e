//! Fused multiply-add formation. `fma(a, b, c)` rounds `a * b + c` once where the
//! separate ops round twice, so forming it changes float results: every formation rule
//! is fast-math only. (Integers have no fused op: `a * b + c` wraps the same either
//! way.) Moving an existing `fma` inside splats is exact.

use super::{always, fast_rule, rule, RuleDef};

pub fn rules() -> Vec<RuleDef> {
    vec![
        // a * b + c ≈ fma(a, b, c) (one rounding instead of two)
        fast_rule("fma-form", "(add (mul ?a ?b) ?c)", "(fma ?a ?b ?c)", |c| c.float("?a")),
        // c + a * b ≈ fma(a, b, c)
        fast_rule("fma-form-rev", "(add ?c (mul ?a ?b))", "(fma ?a ?b ?c)", |c| c.float("?a")),
        // a * b - c ≈ fma(a, b, -c)
        fast_rule("fms-form", "(sub (mul ?a ?b) ?c)", "(fma ?a ?b (neg ?c))", |c| c.float("?a")),
        // c - a * b ≈ fma(-a, b, c)
        fast_rule("fnms-form", "(sub ?c (mul ?a ?b))", "(fma (neg ?a) ?b ?c)", |c| c.float("?a")),
        // fma(splat a, splat b, splat c) == splat(fma(a, b, c)) (exact)
        rule(
            "fma-splat",
            "(fma (splat ?a ?s) (splat ?b ?s) (splat ?c ?s))",
            "(splat (fma ?a ?b ?c) ?s)",
            always,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use crate::egraph::testing::{case, check_group, Case};

    fn cases() -> Vec<Case> {
        let f32x3 = &["f32[8]", "f32[8]", "f32[8]"];
        vec![
            case("fma-form", "(add (mul v0 v1) v2)", "(fma v0 v1 v2)", f32x3),
            case("fma-form", "(add (mul v0 v1) v2)", "(fma v0 v1 v2)", &["bf16", "bf16", "bf16"]),
            case(
                "fma-form",
                "(add (mul v0 v1) v2)",
                "(fma v0 v1 v2)",
                &["f64[4]", "f64[4]", "f64[4]"],
            ),
            case("fma-form-rev", "(add v2 (mul v0 v1))", "(fma v0 v1 v2)", f32x3),
            case("fms-form", "(sub (mul v0 v1) v2)", "(fma v0 v1 (neg v2))", f32x3),
            case(
                "fnms-form",
                "(sub v2 (mul v0 v1))",
                "(fma (neg v0) v1 v2)",
                &["f16[8]", "f16[8]", "f16[8]"],
            ),
            case(
                "fma-splat",
                "(fma (splat v0 [8]) (splat v1 [8]) (splat v2 [8]))",
                "(splat (fma v0 v1 v2) [8])",
                &["f32", "f32", "f32"],
            ),
            case(
                "fma-splat",
                "(fma (splat v0 [2,2]) (splat v1 [2,2]) (splat v2 [2,2]))",
                "(splat (fma v0 v1 v2) [2,2])",
                &["bf16", "bf16", "bf16"],
            ),
        ]
    }

    #[test]
    fn fma_rules() {
        check_group(&super::rules(), &cases());
    }
}
