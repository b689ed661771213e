//! `select`/`where` simplification: equal arms, constant conditions, negated
//! conditions, nested selects on one condition, and boolean selects that are `and`/`or`.

use super::{always, rule, RuleDef};

pub fn rules() -> Vec<RuleDef> {
    vec![
        // select(c, x, x) == x
        rule("select-same", "(select ?c ?x ?x)", "?x", always),
        // select(true, a, b) == a
        rule("select-true", "(select ?c ?a ?b)", "?a", |c| c.is_all_ones("?c")),
        // select(false, a, b) == b
        rule("select-false", "(select ?c ?a ?b)", "?b", |c| c.is_zero("?c")),
        // select(!c, a, b) == select(c, b, a)
        rule("select-not", "(select (not ?c) ?a ?b)", "(select ?c ?b ?a)", always),
        // select(c, true, false) == c
        rule("select-bool-id", "(select ?c ?t ?f)", "?c", |c| {
            c.boolean("?t") && c.is_all_ones("?t") && c.is_zero("?f")
        }),
        // select(c, false, true) == !c
        rule("select-bool-not", "(select ?c ?f ?t)", "(not ?c)", |c| {
            c.boolean("?t") && c.is_all_ones("?t") && c.is_zero("?f")
        }),
        // select(c, x, false) == c && x (bools)
        rule("select-and", "(select ?c ?x ?f)", "(and ?c ?x)", |c| {
            c.boolean("?x") && c.is_zero("?f")
        }),
        // select(c, true, x) == c || x (bools)
        rule("select-or", "(select ?c ?t ?x)", "(or ?c ?x)", |c| {
            c.boolean("?x") && c.is_all_ones("?t")
        }),
        // select(c, select(c, a, b), d) == select(c, a, d)
        rule("select-nested-true", "(select ?c (select ?c ?a ?b) ?d)", "(select ?c ?a ?d)", always),
        // select(c, a, select(c, b, d)) == select(c, a, d)
        rule(
            "select-nested-false",
            "(select ?c ?a (select ?c ?b ?d))",
            "(select ?c ?a ?d)",
            always,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use crate::egraph::testing::{case, check_group, Case};

    fn cases() -> Vec<Case> {
        vec![
            case("select-same", "(select v0 v1 v1)", "v1", &["bool[8]", "f32[8]"]),
            case(
                "select-same",
                "(select v0 (splat v1 [8]) (splat v1 [8]))",
                "(splat v1 [8])",
                &["bool[8]", "*f32"],
            ),
            case("select-true", "(select (splat true [8]) v0 v1)", "v0", &["f32[8]", "f32[8]"]),
            case("select-true", "(select true v0 v1)", "v0", &["i64", "i64"]),
            case("select-false", "(select (splat false [8]) v0 v1)", "v1", &["f16[8]", "f16[8]"]),
            case(
                "select-not",
                "(select (not v0) v1 v2)",
                "(select v0 v2 v1)",
                &["bool[8]", "f32[8]", "f32[8]"],
            ),
            case(
                "select-bool-id",
                "(select v0 (splat true [8]) (splat false [8]))",
                "v0",
                &["bool[8]"],
            ),
            case("select-bool-not", "(select v0 false true)", "(not v0)", &["bool"]),
            case(
                "select-and",
                "(select v0 v1 (splat false [8]))",
                "(and v0 v1)",
                &["bool[8]", "bool[8]"],
            ),
            case(
                "select-or",
                "(select v0 (splat true [8]) v1)",
                "(or v0 v1)",
                &["bool[8]", "bool[8]"],
            ),
            case(
                "select-nested-true",
                "(select v0 (select v0 v1 v2) v3)",
                "(select v0 v1 v3)",
                &["bool[8]", "i32[8]", "i32[8]", "i32[8]"],
            ),
            case(
                "select-nested-false",
                "(select v0 v1 (select v0 v2 v3))",
                "(select v0 v1 v3)",
                &["bool[8]", "f64[8]", "f64[8]", "f64[8]"],
            ),
        ]
    }

    #[test]
    fn select_rules() {
        check_group(&super::rules(), &cases());
    }
}
