//! Fast-math rules: identities that change float results (rounding, NaN, ±inf or the
//! sign of zero), used only when fast math is requested. (`fma` formation and the
//! float reduction rewrites, also fast-math, live with their topics.)

use tessera_ir::BinaryOp;

use super::{fast_rule, RuleDef};
use crate::egraph::fold::fold_binary;
use crate::egraph::language::ConstLit;

pub fn rules() -> Vec<RuleDef> {
    vec![
        // x + 0.0 ≈ x (differs for x = -0.0)
        fast_rule("fadd-zero", "(add ?x ?z)", "?x", |c| c.float("?x") && c.is_float("?z", 0.0)),
        // x - x ≈ 0 (differs for NaN and ±inf)
        fast_rule("fsub-self", "(sub ?x ?x)", "?zero", |c| {
            c.float("?x") && c.bind_zero("?zero", "?x")
        }),
        // x * 0 ≈ 0 (differs for NaN, ±inf and negative x)
        fast_rule("fmul-zero", "(mul ?x ?z)", "?z", |c| c.float("?x") && c.is_float("?z", 0.0)),
        // (a + b) + c ≈ a + (b + c) (reassociation rounds differently)
        fast_rule("fadd-reassoc", "(add (add ?a ?b) ?c)", "(add ?a (add ?b ?c))", |c| {
            c.float("?a")
        }),
        // (a * b) * c ≈ a * (b * c)
        fast_rule("fmul-reassoc", "(mul (mul ?a ?b) ?c)", "(mul ?a (mul ?b ?c))", |c| {
            c.float("?a")
        }),
        // exp(a) * exp(b) ≈ exp(a + b) (one rounding of exp instead of two, and a + b rounds)
        fast_rule("exp-mul", "(mul (exp ?a) (exp ?b))", "(exp (add ?a ?b))", |c| c.float("?a")),
        // x / c ≈ x * (1 / c) for a float constant c (the reciprocal is rounded)
        fast_rule("div-const-recip", "(div ?x ?c)", "(mul ?x ?r)", |c| {
            let (Some(ty), Some(value)) = (c.scalar("?x"), c.float_value("?c")) else {
                return false;
            };
            let one = ConstLit::float(ty, 1.0);
            let divisor = ConstLit::float(ty, value);
            let reciprocal = fold_binary(BinaryOp::Div, one, divisor);
            value.is_finite()
                && value != 0.0
                && reciprocal.is_some_and(|r| c.bind_const("?r", "?x", r))
        }),
        // x / splat(d) ≈ x * splat(1 / d): one division instead of one per element
        fast_rule(
            "div-splat-recip",
            "(div ?x (splat ?d ?s))",
            "(mul ?x (splat (div ?one ?d) ?s))",
            |c| {
                let Some(ty) = c.scalar("?d").filter(|ty| ty.is_float()) else { return false };
                let one = c.add_const(ConstLit::float(ty, 1.0), &[]);
                c.bind("?one", one)
            },
        ),
    ]
}

#[cfg(test)]
mod tests {
    use crate::egraph::testing::{case, check_group, Case};

    fn cases() -> Vec<Case> {
        vec![
            case("fadd-zero", "(add v0 (splat 0.0f32 [8]))", "v0", &["f32[8]"]),
            case("fsub-self", "(sub v0 v0)", "(splat 0.0f16 [8])", &["f16[8]"]),
            case("fmul-zero", "(mul v0 (splat 0.0f64 [8]))", "(splat 0.0f64 [8])", &["f64[8]"]),
            case(
                "fadd-reassoc",
                "(add (add v0 v1) v2)",
                "(add v0 (add v1 v2))",
                &["f32[8]", "f32[8]", "f32[8]"],
            ),
            case(
                "fmul-reassoc",
                "(mul (mul v0 v1) v2)",
                "(mul v0 (mul v1 v2))",
                &["bf16[8]", "bf16[8]", "bf16[8]"],
            ),
            case("exp-mul", "(mul (exp v0) (exp v1))", "(exp (add v0 v1))", &["f32[8]", "f32[8]"]),
            case(
                "div-const-recip",
                "(div v0 (splat 3.0f32 [8]))",
                "(mul v0 (splat 0.33333334f32 [8]))",
                &["f32[8]"],
            ),
            case("div-const-recip", "(div v0 10.0f64)", "(mul v0 0.1f64)", &["f64"]),
            case(
                "div-splat-recip",
                "(div v0 (splat v1 [8]))",
                "(mul v0 (splat (div 1.0f32 v1) [8]))",
                &["f32[8]", "f32"],
            ),
        ]
    }

    #[test]
    fn fast_math_rules() {
        check_group(&super::rules(), &cases());
    }
}
