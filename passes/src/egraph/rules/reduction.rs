//! Reduction rewrites: a scalar or splat operand of an elementwise op moves out of a
//! reduction when that is exact, and reductions of splats disappear.
//!
//! `max(x - splat c) == max(x) - c` holds bit for bit on floats because rounding is
//! monotonic, except when `c = -inf`: then `x = -inf` lanes give NaN on the left while
//! `max(x) - c` is `+inf`. The default rule therefore needs a constant `c` other than
//! `-inf` (likewise `+inf` for `max(x + c)` and the mirrored cases of `min`); the
//! fast-math rules accept any `c`. On integers, wrapping breaks monotonicity, so only
//! `sum(x * splat c) == sum(x) * c` (a ring law) holds there; on floats it is fast-math.

use tessera_ir::ScalarType;

use super::{fast_rule, rule, Ctx, RuleDef};
use crate::egraph::language::ConstLit;

pub fn rules() -> Vec<RuleDef> {
    vec![
        // max(x - splat c) == max(x) - c for a float constant c != -inf
        rule(
            "max-sub-const",
            "(reduce_max (sub ?x (splat ?c ?s)) ?k)",
            "(sub (reduce_max ?x ?k) ?cr)",
            |c| const_not(c, f64::NEG_INFINITY) && hoist_c(c),
        ),
        // max(x + splat c) == max(x) + c for a float constant c != +inf
        rule(
            "max-add-const",
            "(reduce_max (add ?x (splat ?c ?s)) ?k)",
            "(add (reduce_max ?x ?k) ?cr)",
            |c| const_not(c, f64::INFINITY) && hoist_c(c),
        ),
        // min(x - splat c) == min(x) - c for a float constant c != +inf
        rule(
            "min-sub-const",
            "(reduce_min (sub ?x (splat ?c ?s)) ?k)",
            "(sub (reduce_min ?x ?k) ?cr)",
            |c| const_not(c, f64::INFINITY) && hoist_c(c),
        ),
        // min(x + splat c) == min(x) + c for a float constant c != -inf
        rule(
            "min-add-const",
            "(reduce_min (add ?x (splat ?c ?s)) ?k)",
            "(add (reduce_min ?x ?k) ?cr)",
            |c| const_not(c, f64::NEG_INFINITY) && hoist_c(c),
        ),
        // max(x - splat c) ≈ max(x) - c for any float c (differs only for c = -inf)
        fast_rule(
            "max-sub-scalar",
            "(reduce_max (sub ?x (splat ?c ?s)) ?k)",
            "(sub (reduce_max ?x ?k) ?cr)",
            |c| c.float("?x") && hoist_c(c),
        ),
        // min(x - splat c) ≈ min(x) - c for any float c (differs only for c = +inf)
        fast_rule(
            "min-sub-scalar",
            "(reduce_min (sub ?x (splat ?c ?s)) ?k)",
            "(sub (reduce_min ?x ?k) ?cr)",
            |c| c.float("?x") && hoist_c(c),
        ),
        // sum(x * splat c) == sum(x) * c (integers: wrapping multiplication distributes)
        rule(
            "sum-mul-splat",
            "(reduce_sum (mul ?x (splat ?c ?s)) ?k)",
            "(mul (reduce_sum ?x ?k) ?cr)",
            |c| c.int("?x") && hoist_c(c),
        ),
        // sum(x * splat c) ≈ sum(x) * c (floats: the products round differently)
        fast_rule(
            "fsum-mul-splat",
            "(reduce_sum (mul ?x (splat ?c ?s)) ?k)",
            "(mul (reduce_sum ?x ?k) ?cr)",
            |c| c.float("?x") && hoist_c(c),
        ),
        // max(splat c) == c over a non-empty axis
        rule("reduce-max-splat", "(reduce_max (splat ?c ?s) ?k)", "?cr", |c| {
            nonempty(c) && c.bind_splat_like_root("?cr", "?c")
        }),
        // min(splat c) == c over a non-empty axis
        rule("reduce-min-splat", "(reduce_min (splat ?c ?s) ?k)", "?cr", |c| {
            nonempty(c) && c.bind_splat_like_root("?cr", "?c")
        }),
        // argmax(splat c) == 0: the first index of the (all equal) extremes
        rule("argmax-splat", "(argmax (splat ?c ?s) ?k)", "?zero", |c| {
            nonempty(c) && c.bind_root_const("?zero", ConstLit::int(ScalarType::I32, 0))
        }),
        // argmin(splat c) == 0
        rule("argmin-splat", "(argmin (splat ?c ?s) ?k)", "?zero", |c| {
            nonempty(c) && c.bind_root_const("?zero", ConstLit::int(ScalarType::I32, 0))
        }),
        // max(-x) == -min(x) on floats (negation reverses the order, -0.0 < +0.0 too;
        // on integers -MIN wraps to MIN)
        rule("max-neg", "(reduce_max (neg ?x) ?k)", "(neg (reduce_min ?x ?k))", |c| c.float("?x")),
        // min(-x) == -max(x) on floats
        rule("min-neg", "(reduce_min (neg ?x) ?k)", "(neg (reduce_max ?x ?k))", |c| c.float("?x")),
    ]
}

/// `?c` is a float constant other than `excluded`, and `?x` a float.
fn const_not(c: &Ctx<'_>, excluded: f64) -> bool {
    c.float("?x") && c.float_value("?c").is_some_and(|v| v != excluded)
}

/// The reduced axis `?k` of the reduction's operand is not empty (max/min/arg of an
/// empty axis are errors, which a rewrite must not remove).
fn nonempty(c: &Ctx<'_>) -> bool {
    let shape = c.shape_attr("?s");
    let axis = c.int_attr("?k").and_then(|k| usize::try_from(k).ok());
    matches!((shape, axis), (Some(shape), Some(axis)) if shape.get(axis).is_some_and(|&n| n > 0))
}

/// Binds `?cr`, the scalar `?c` in the reduction's result shape, after checking that
/// the axis is not empty.
fn hoist_c(c: &mut Ctx<'_>) -> bool {
    nonempty(c) && c.bind_splat_like_root("?cr", "?c")
}

#[cfg(test)]
mod tests {
    use crate::egraph::testing::{case, check_group, check_rejected, Case};

    fn cases() -> Vec<Case> {
        vec![
            case(
                "max-sub-const",
                "(reduce_max (sub v0 (splat 1.5f32 [8])) 0)",
                "(sub (reduce_max v0 0) 1.5f32)",
                &["f32[8]"],
            ),
            case(
                "max-sub-const",
                "(reduce_max (sub v0 (splat infbf16 [8])) 0)",
                "(sub (reduce_max v0 0) infbf16)",
                &["bf16[8]"],
            ),
            case(
                "max-sub-const",
                "(reduce_max (sub v0 (splat -0.0f64 [2,4])) 1)",
                "(sub (reduce_max v0 1) (splat -0.0f64 [2]))",
                &["f64[2,4]"],
            ),
            case(
                "max-add-const",
                "(reduce_max (add v0 (splat -inff32 [8])) 0)",
                "(add (reduce_max v0 0) -inff32)",
                &["f32[8]"],
            ),
            case(
                "min-sub-const",
                "(reduce_min (sub v0 (splat nanf16 [8])) 0)",
                "(sub (reduce_min v0 0) nanf16)",
                &["f16[8]"],
            ),
            case(
                "min-add-const",
                "(reduce_min (add v0 (splat 3.0f32 [4,2])) 0)",
                "(add (reduce_min v0 0) (splat 3.0f32 [2]))",
                &["f32[4,2]"],
            ),
            case(
                "max-sub-scalar",
                "(reduce_max (sub v0 (splat v1 [8])) 0)",
                "(sub (reduce_max v0 0) v1)",
                &["f32[8]", "f32"],
            ),
            case(
                "min-sub-scalar",
                "(reduce_min (sub v0 (splat v1 [8])) 0)",
                "(sub (reduce_min v0 0) v1)",
                &["f64[8]", "f64"],
            ),
            case(
                "sum-mul-splat",
                "(reduce_sum (mul v0 (splat v1 [8])) 0)",
                "(mul (reduce_sum v0 0) v1)",
                &["i32[8]", "i32"],
            ),
            case(
                "sum-mul-splat",
                "(reduce_sum (mul v0 (splat v1 [2,4])) 0)",
                "(mul (reduce_sum v0 0) (splat v1 [4]))",
                &["u8[2,4]", "u8"],
            ),
            case(
                "fsum-mul-splat",
                "(reduce_sum (mul v0 (splat v1 [8])) 0)",
                "(mul (reduce_sum v0 0) v1)",
                &["f32[8]", "f32"],
            ),
            case("reduce-max-splat", "(reduce_max (splat v0 [8]) 0)", "v0", &["f32"]),
            case("reduce-max-splat", "(reduce_max (splat v0 [2,4]) 0)", "(splat v0 [4])", &["i8"]),
            case("reduce-min-splat", "(reduce_min (splat v0 [8]) 0)", "v0", &["f16"]),
            case("argmax-splat", "(argmax (splat v0 [8]) 0)", "0i32", &["f32"]),
            case("argmin-splat", "(argmin (splat v0 [4,2]) 1)", "(splat 0i32 [4])", &["u16"]),
            case("max-neg", "(reduce_max (neg v0) 0)", "(neg (reduce_min v0 0))", &["f32[8]"]),
            case("min-neg", "(reduce_min (neg v0) 1)", "(neg (reduce_max v0 1))", &["bf16[2,4]"]),
        ]
    }

    #[test]
    fn reduction_rules() {
        check_group(&super::rules(), &cases());
        check_rejected(
            &super::rules(),
            &[
                // x = [-inf, 0]: max(x + inf) = NaN, max(x) + inf = inf
                case(
                    "max-sub-const",
                    "(reduce_max (sub v0 (splat -inff32 [8])) 0)",
                    "(sub (reduce_max v0 0) -inff32)",
                    &["f32[8]"],
                ),
                case(
                    "max-add-const",
                    "(reduce_max (add v0 (splat inff32 [8])) 0)",
                    "(add (reduce_max v0 0) inff32)",
                    &["f32[8]"],
                ),
                case(
                    "max-sub-const",
                    "(reduce_max (sub v0 (splat v1 [8])) 0)",
                    "(sub (reduce_max v0 0) v1)",
                    &["f32[8]", "f32"],
                ),
                // wrapping is not monotonic
                case(
                    "max-sub-const",
                    "(reduce_max (sub v0 (splat 1i32 [8])) 0)",
                    "(sub (reduce_max v0 0) 1i32)",
                    &["i32[8]"],
                ),
                // -MIN == MIN
                case("max-neg", "(reduce_max (neg v0) 0)", "(neg (reduce_min v0 0))", &["i32[8]"]),
            ],
        );
    }
}
