//! Mask and bitwise algebra: `and`/`or`/`xor`/`not` identities (bitwise on integers,
//! logical on `bool`, so one rule serves both), negated comparisons (only where the
//! order is total: NaN makes `!(a < b)` differ from `a >= b` on floats), and
//! comparisons of a value with itself.

use tessera_ir::CmpPred;

use super::{always, rule, RuleDef};
use crate::egraph::language::ConstLit;

pub fn rules() -> Vec<RuleDef> {
    let mut rules = vec![
        // a & a == a
        rule("and-self", "(and ?x ?x)", "?x", always),
        // a | a == a
        rule("or-self", "(or ?x ?x)", "?x", always),
        // a ^ a == 0
        rule("xor-self", "(xor ?x ?x)", "?zero", |c| c.bind_zero("?zero", "?x")),
        // a & 0 == 0 (a && false == false)
        rule("and-zero", "(and ?x ?z)", "?z", |c| c.is_zero("?z")),
        // a & ~0 == a (a && true == a)
        rule("and-ones", "(and ?x ?m)", "?x", |c| c.is_all_ones("?m")),
        // a | 0 == a
        rule("or-zero", "(or ?x ?z)", "?x", |c| c.is_zero("?z")),
        // a | ~0 == ~0
        rule("or-ones", "(or ?x ?m)", "?m", |c| c.is_all_ones("?m")),
        // a ^ 0 == a
        rule("xor-zero", "(xor ?x ?z)", "?x", |c| c.is_zero("?z")),
        // a ^ ~0 == ~a
        rule("xor-ones", "(xor ?x ?m)", "(not ?x)", |c| c.is_all_ones("?m")),
        // c & x == x & c (constants to the right)
        rule("and-const-right", "(and ?c ?x)", "(and ?x ?c)", |c| {
            c.is_const("?c") && !c.is_const("?x")
        }),
        // c | x == x | c
        rule("or-const-right", "(or ?c ?x)", "(or ?x ?c)", |c| {
            c.is_const("?c") && !c.is_const("?x")
        }),
        // c ^ x == x ^ c
        rule("xor-const-right", "(xor ?c ?x)", "(xor ?x ?c)", |c| {
            c.is_const("?c") && !c.is_const("?x")
        }),
        // a & !a == 0 (bitwise: every bit is set in exactly one)
        rule("and-not-self", "(and ?x (not ?x))", "?zero", |c| c.bind_zero("?zero", "?x")),
        // a | !a == ~0
        rule("or-not-self", "(or ?x (not ?x))", "?ones", |c| c.bind_ones("?ones", "?x")),
        // !!a == a
        rule("not-not", "(not (not ?x))", "?x", always),
        // a & (a | b) == a (absorption)
        rule("and-absorb", "(and ?a (or ?a ?b))", "?a", always),
        // a | (a & b) == a (absorption)
        rule("or-absorb", "(or ?a (and ?a ?b))", "?a", always),
        // !a & !b == !(a | b) (De Morgan)
        rule("and-nots", "(and (not ?a) (not ?b))", "(not (or ?a ?b))", always),
        // !a | !b == !(a & b) (De Morgan)
        rule("or-nots", "(or (not ?a) (not ?b))", "(not (and ?a ?b))", always),
        // !(a == b) == (a != b) (IEEE != is exactly the negation of ==, NaN included)
        rule("not-eq", "(not (eq ?a ?b))", "(ne ?a ?b)", always),
        // !(a != b) == (a == b)
        rule("not-ne", "(not (ne ?a ?b))", "(eq ?a ?b)", always),
    ];
    // !(a < b) == a >= b and the like, for integers and bool (a total order)
    for (pred, negated) in [
        (CmpPred::Lt, CmpPred::Ge),
        (CmpPred::Le, CmpPred::Gt),
        (CmpPred::Gt, CmpPred::Le),
        (CmpPred::Ge, CmpPred::Lt),
    ] {
        let (p, n) = (pred.name(), negated.name());
        rules.push(rule(
            &format!("not-{p}"),
            &format!("(not ({p} ?a ?b))"),
            &format!("({n} ?a ?b)"),
            |c| c.bitwise("?a"),
        ));
    }
    // x < x == false and x > x == false (also for NaN); x == x, x <= x, x >= x == true
    // and x != x == false for integers and bool (NaN != NaN on floats)
    for pred in CmpPred::ALL {
        let p = pred.name();
        let reflexive = matches!(pred, CmpPred::Eq | CmpPred::Le | CmpPred::Ge);
        let guard: super::Guard = match (reflexive, pred) {
            (true, _) => |c| c.bitwise("?x") && c.bind_root_const("?r", ConstLit::bool(true)),
            (false, CmpPred::Ne) => {
                |c| c.bitwise("?x") && c.bind_root_const("?r", ConstLit::bool(false))
            }
            (false, _) => |c| c.bind_root_const("?r", ConstLit::bool(false)),
        };
        rules.push(rule(&format!("{p}-self"), &format!("({p} ?x ?x)"), "?r", guard));
    }
    rules
}

#[cfg(test)]
mod tests {
    use crate::egraph::testing::{case, check_group, check_rejected, Case};

    fn cases() -> Vec<Case> {
        vec![
            case("and-self", "(and v0 v0)", "v0", &["bool[8]"]),
            case("or-self", "(or v0 v0)", "v0", &["i32[8]"]),
            case("xor-self", "(xor v0 v0)", "(splat 0u16 [8])", &["u16[8]"]),
            case("xor-self", "(xor v0 v0)", "false", &["bool"]),
            case("and-zero", "(and v0 (splat false [8]))", "(splat false [8])", &["bool[8]"]),
            case("and-zero", "(and v0 0i64)", "0i64", &["i64"]),
            case("and-ones", "(and v0 (splat true [8]))", "v0", &["bool[8]"]),
            case("and-ones", "(and v0 (splat 255u8 [8]))", "v0", &["u8[8]"]),
            case("or-zero", "(or v0 (splat 0i8 [8]))", "v0", &["i8[8]"]),
            case("or-ones", "(or v0 (splat true [8]))", "(splat true [8])", &["bool[8]"]),
            case("or-ones", "(or v0 -1i32)", "-1i32", &["i32"]),
            case("xor-zero", "(xor v0 (splat false [8]))", "v0", &["bool[8]"]),
            case("xor-ones", "(xor v0 (splat -1i16 [8]))", "(not v0)", &["i16[8]"]),
            case("xor-ones", "(xor v0 true)", "(not v0)", &["bool"]),
            case(
                "and-const-right",
                "(and (splat 12u32 [8]) v0)",
                "(and v0 (splat 12u32 [8]))",
                &["u32[8]"],
            ),
            case("or-const-right", "(or true v0)", "(or v0 true)", &["bool"]),
            case(
                "xor-const-right",
                "(xor (splat 5i8 [8]) v0)",
                "(xor v0 (splat 5i8 [8]))",
                &["i8[8]"],
            ),
            case("and-not-self", "(and v0 (not v0))", "(splat false [8])", &["bool[8]"]),
            case("and-not-self", "(and v0 (not v0))", "(splat 0i64 [8])", &["i64[8]"]),
            case("or-not-self", "(or v0 (not v0))", "(splat true [8])", &["bool[8]"]),
            case("or-not-self", "(or v0 (not v0))", "(splat 65535u16 [8])", &["u16[8]"]),
            case("not-not", "(not (not v0))", "v0", &["bool[8]"]),
            case("not-not", "(not (not v0))", "v0", &["u64[8]"]),
            case("and-absorb", "(and v0 (or v0 v1))", "v0", &["bool[8]", "bool[8]"]),
            case("or-absorb", "(or v0 (and v0 v1))", "v0", &["i32[8]", "i32[8]"]),
            case(
                "and-nots",
                "(and (not v0) (not v1))",
                "(not (or v0 v1))",
                &["bool[8]", "bool[8]"],
            ),
            case("or-nots", "(or (not v0) (not v1))", "(not (and v0 v1))", &["u8[8]", "u8[8]"]),
            case("not-eq", "(not (eq v0 v1))", "(ne v0 v1)", &["f32[8]", "f32[8]"]),
            case("not-ne", "(not (ne v0 v1))", "(eq v0 v1)", &["f16[8]", "f16[8]"]),
            case("not-lt", "(not (lt v0 v1))", "(ge v0 v1)", &["i32[8]", "i32[8]"]),
            case("not-le", "(not (le v0 v1))", "(gt v0 v1)", &["u8[8]", "u8[8]"]),
            case("not-gt", "(not (gt v0 v1))", "(le v0 v1)", &["bool[8]", "bool[8]"]),
            case("not-ge", "(not (ge v0 v1))", "(lt v0 v1)", &["i64[8]", "i64[8]"]),
            case("eq-self", "(eq v0 v0)", "(splat true [8])", &["i32[8]"]),
            case("ne-self", "(ne v0 v0)", "false", &["u8"]),
            case("lt-self", "(lt v0 v0)", "(splat false [8])", &["f32[8]"]),
            case("le-self", "(le v0 v0)", "(splat true [8])", &["bool[8]"]),
            case("gt-self", "(gt v0 v0)", "(splat false [8])", &["f64[8]"]),
            case("ge-self", "(ge v0 v0)", "(splat true [8])", &["i16[8]"]),
        ]
    }

    #[test]
    fn mask_rules() {
        check_group(&super::rules(), &cases());
        check_rejected(
            &super::rules(),
            &[
                // NaN: !(NaN < 1) is true, NaN >= 1 is false
                case("not-lt", "(not (lt v0 v1))", "(ge v0 v1)", &["f32[8]", "f32[8]"]),
                // NaN == NaN is false
                case("eq-self", "(eq v0 v0)", "(splat true [8])", &["f32[8]"]),
                case("ne-self", "(ne v0 v0)", "(splat false [8])", &["f16[8]"]),
            ],
        );
    }
}
