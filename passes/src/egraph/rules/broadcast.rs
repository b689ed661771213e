//! Broadcast algebra: elementwise ops of splats, broadcasts or `expand_dims` become the
//! op on the smaller operands, broadcast afterwards (the same values, computed once per
//! distinct element), and chains of layout ops collapse.
//!
//! The elementwise families are generated, one rule per op: for every binary op and
//! comparison `op`, `op(splat a, splat b) == splat(op(a, b))` and likewise for
//! broadcast/broadcast, broadcast/splat, splat/broadcast, expand/expand, expand/splat
//! and splat/expand; for every unary op, `op(splat a)` and `op(broadcast x)`.

use tessera_ir::{BinaryOp, CmpPred, UnaryOp};

use super::{always, rule, Ctx, RuleDef};

pub fn rules() -> Vec<RuleDef> {
    let mut rules = layout_rules();
    let binary_names = BinaryOp::ALL.iter().map(|op| op.name());
    for op in binary_names.chain(CmpPred::ALL.iter().map(|pred| pred.name())) {
        rules.extend(binary_family(op));
    }
    for op in UnaryOp::ALL {
        rules.extend(unary_family(op.name()));
    }
    rules
}

/// Rules that collapse layout ops and move them past `cast` and `select`.
fn layout_rules() -> Vec<RuleDef> {
    vec![
        // broadcast(broadcast(x)) == broadcast(x) (dims 1 stay 1 or grow; others stay)
        rule(
            "broadcast-broadcast",
            "(broadcast (broadcast ?x ?s) ?t)",
            "(broadcast ?x ?t)",
            always,
        ),
        // broadcast of x to x's own shape is x
        rule(
            "broadcast-id",
            "(broadcast ?x ?s)",
            "?x",
            |c| matches!((c.ty("?x"), c.shape_attr("?s")), (Some(ty), Some(shape)) if ty.shape == shape),
        ),
        // broadcast(splat a) == splat a (of the wider shape)
        rule("broadcast-splat", "(broadcast (splat ?a ?s) ?t)", "(splat ?a ?t)", always),
        // expand_dims(splat a) == splat a (of the expanded shape)
        rule("expand-dims-splat", "(expand_dims (splat ?a ?s) ?k)", "(splat ?a ?t)", |c| {
            c.bind_root_shape("?t")
        }),
        // reshape(splat a) == splat a (of the new shape)
        rule("reshape-splat", "(reshape (splat ?a ?s) ?t)", "(splat ?a ?t)", always),
        // trans(splat a) == splat a (of the permuted shape)
        rule("trans-splat", "(trans (splat ?a ?s) ?p)", "(splat ?a ?t)", |c| {
            c.bind_root_shape("?t")
        }),
        // reshape(reshape(x)) == reshape(x) (both keep row-major order)
        rule("reshape-reshape", "(reshape (reshape ?x ?s) ?t)", "(reshape ?x ?t)", always),
        // reshape of x to x's own shape is x
        rule(
            "reshape-id",
            "(reshape ?x ?s)",
            "?x",
            |c| matches!((c.ty("?x"), c.shape_attr("?s")), (Some(ty), Some(shape)) if ty.shape == shape),
        ),
        // trans(trans(x, p), q) == trans(x, r) with r[i] = p[q[i]]
        rule("trans-trans", "(trans (trans ?x ?p) ?q)", "(trans ?x ?r)", |c| {
            let (Some(p), Some(q)) = (c.perm_attr("?p"), c.perm_attr("?q")) else { return false };
            let composed: Option<Vec<u32>> =
                q.iter().map(|&i| p.get(i as usize).copied()).collect();
            composed.is_some_and(|r| c.bind_perm("?r", r))
        }),
        // trans by the identity permutation is the identity
        rule("trans-id", "(trans ?x ?p)", "?x", |c| {
            c.perm_attr("?p").is_some_and(|p| p.iter().enumerate().all(|(i, &d)| d as usize == i))
        }),
        // cast(splat a) == splat(cast a)
        rule("cast-splat", "(cast (splat ?a ?s) ?t)", "(splat (cast ?a ?t) ?s)", always),
        // cast(broadcast x) == broadcast(cast x)
        rule(
            "cast-broadcast",
            "(cast (broadcast ?x ?s) ?t)",
            "(broadcast (cast ?x ?t) ?s)",
            always,
        ),
        // select(splat c, splat a, splat b) == splat(select(c, a, b))
        rule(
            "select-splat",
            "(select (splat ?c ?s) (splat ?a ?s) (splat ?b ?s))",
            "(splat (select ?c ?a ?b) ?s)",
            always,
        ),
        // select(broadcast c, broadcast a, broadcast b) == broadcast(select(c, a, b))
        rule(
            "select-broadcast",
            "(select (broadcast ?c ?s) (broadcast ?a ?s) (broadcast ?b ?s))",
            "(broadcast (select ?c ?a ?b) ?s)",
            |c| c.same_shape("?c", "?a") && c.same_shape("?a", "?b"),
        ),
    ]
}

/// Binds `?bx` to the scalar `?b` in the shape of `?x` (for a binary op moved inside).
fn splat_b_like_x(c: &mut Ctx<'_>) -> bool {
    c.bind_splat_like("?bx", "?b", "?x")
}

/// Binds `?ay` to the scalar `?a` in the shape of `?y`.
fn splat_a_like_y(c: &mut Ctx<'_>) -> bool {
    c.bind_splat_like("?ay", "?a", "?y")
}

/// The seven rules moving the binary op (or comparison) `op` inside layout ops.
fn binary_family(op: &str) -> Vec<RuleDef> {
    let name = |kind: &str| format!("{op}-{kind}");
    let same_shape: super::Guard = |c| c.same_shape("?x", "?y");
    vec![
        // op(splat a, splat b) == splat(op(a, b))
        rule(
            &name("splat-splat"),
            &format!("({op} (splat ?a ?s) (splat ?b ?s))"),
            &format!("(splat ({op} ?a ?b) ?s)"),
            always,
        ),
        // op(broadcast x, broadcast y) == broadcast(op(x, y)) when x, y have one shape
        rule(
            &name("broadcast-broadcast"),
            &format!("({op} (broadcast ?x ?s) (broadcast ?y ?s))"),
            &format!("(broadcast ({op} ?x ?y) ?s)"),
            same_shape,
        ),
        // op(broadcast x, splat b) == broadcast(op(x, splat b))
        rule(
            &name("broadcast-splat"),
            &format!("({op} (broadcast ?x ?s) (splat ?b ?s))"),
            &format!("(broadcast ({op} ?x ?bx) ?s)"),
            splat_b_like_x,
        ),
        // op(splat a, broadcast y) == broadcast(op(splat a, y))
        rule(
            &name("splat-broadcast"),
            &format!("({op} (splat ?a ?s) (broadcast ?y ?s))"),
            &format!("(broadcast ({op} ?ay ?y) ?s)"),
            splat_a_like_y,
        ),
        // op(expand_dims x, expand_dims y) == expand_dims(op(x, y))
        rule(
            &name("expand-expand"),
            &format!("({op} (expand_dims ?x ?k) (expand_dims ?y ?k))"),
            &format!("(expand_dims ({op} ?x ?y) ?k)"),
            same_shape,
        ),
        // op(expand_dims x, splat b) == expand_dims(op(x, splat b))
        rule(
            &name("expand-splat"),
            &format!("({op} (expand_dims ?x ?k) (splat ?b ?s))"),
            &format!("(expand_dims ({op} ?x ?bx) ?k)"),
            splat_b_like_x,
        ),
        // op(splat a, expand_dims y) == expand_dims(op(splat a, y))
        rule(
            &name("splat-expand"),
            &format!("({op} (splat ?a ?s) (expand_dims ?y ?k))"),
            &format!("(expand_dims ({op} ?ay ?y) ?k)"),
            splat_a_like_y,
        ),
    ]
}

/// The two rules moving the unary op `op` inside splats and broadcasts.
fn unary_family(op: &str) -> Vec<RuleDef> {
    vec![
        // op(splat a) == splat(op(a))
        rule(
            &format!("{op}-splat"),
            &format!("({op} (splat ?a ?s))"),
            &format!("(splat ({op} ?a) ?s)"),
            always,
        ),
        // op(broadcast x) == broadcast(op(x))
        rule(
            &format!("{op}-broadcast"),
            &format!("({op} (broadcast ?x ?s))"),
            &format!("(broadcast ({op} ?x) ?s)"),
            always,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use tessera_ir::{BinaryOp, CmpPred, UnaryOp};

    use crate::egraph::testing::{case, check_group, Case};

    /// A type on which `op` is defined, for the generated cases.
    fn binary_elem(op: &str) -> &'static str {
        match BinaryOp::from_name(op) {
            Some(op) if op.is_bitwise() => "i32",
            Some(_) | None => "f32",
        }
    }

    fn unary_elem(op: UnaryOp) -> &'static str {
        if op.is_float_only() {
            "f32"
        } else if op == UnaryOp::Not {
            "i16"
        } else {
            "i8"
        }
    }

    fn family_cases(op: &str) -> Vec<Case> {
        let e = binary_elem(op);
        let v = |shape: &str| format!("{e}{shape}");
        vec![
            case(
                &format!("{op}-splat-splat"),
                &format!("({op} (splat v0 [8]) (splat v1 [8]))"),
                &format!("(splat ({op} v0 v1) [8])"),
                &[&v(""), &v("")],
            ),
            case(
                &format!("{op}-broadcast-broadcast"),
                &format!("({op} (broadcast v0 [2,8]) (broadcast v1 [2,8]))"),
                &format!("(broadcast ({op} v0 v1) [2,8])"),
                &[&v("[1,8]"), &v("[1,8]")],
            ),
            case(
                &format!("{op}-broadcast-splat"),
                &format!("({op} (broadcast v0 [4,2]) (splat v1 [4,2]))"),
                &format!("(broadcast ({op} v0 (splat v1 [4,1])) [4,2])"),
                &[&v("[4,1]"), &v("")],
            ),
            case(
                &format!("{op}-splat-broadcast"),
                &format!("({op} (splat v0 [2,4]) (broadcast v1 [2,4]))"),
                &format!("(broadcast ({op} (splat v0 [1,4]) v1) [2,4])"),
                &[&v(""), &v("[1,4]")],
            ),
            case(
                &format!("{op}-expand-expand"),
                &format!("({op} (expand_dims v0 1) (expand_dims v1 1))"),
                &format!("(expand_dims ({op} v0 v1) 1)"),
                &[&v("[8]"), &v("[8]")],
            ),
            case(
                &format!("{op}-expand-splat"),
                &format!("({op} (expand_dims v0 0) (splat v1 [1]))"),
                &format!("(expand_dims ({op} v0 v1) 0)"),
                &[&v(""), &v("")],
            ),
            case(
                &format!("{op}-splat-expand"),
                &format!("({op} (splat v0 [1,8]) (expand_dims v1 0))"),
                &format!("(expand_dims ({op} (splat v0 [8]) v1) 0)"),
                &[&v(""), &v("[8]")],
            ),
        ]
    }

    fn cases() -> Vec<Case> {
        let mut cases = vec![
            case(
                "broadcast-broadcast",
                "(broadcast (broadcast v0 [1,8]) [4,8])",
                "(broadcast v0 [4,8])",
                &["f32[1,1]"],
            ),
            case("broadcast-id", "(broadcast v0 [2,8])", "v0", &["i8[2,8]"]),
            case(
                "broadcast-splat",
                "(broadcast (splat v0 [1,8]) [4,8])",
                "(splat v0 [4,8])",
                &["f16"],
            ),
            case(
                "expand-dims-splat",
                "(expand_dims (splat v0 [8]) 1)",
                "(splat v0 [8,1])",
                &["u32"],
            ),
            case("reshape-splat", "(reshape (splat v0 [2,4]) [8])", "(splat v0 [8])", &["bool"]),
            case("trans-splat", "(trans (splat v0 [2,4]) perm[1,0])", "(splat v0 [4,2])", &["f64"]),
            case(
                "reshape-reshape",
                "(reshape (reshape v0 [2,4]) [4,2])",
                "(reshape v0 [4,2])",
                &["i32[8]"],
            ),
            case("reshape-id", "(reshape v0 [2,4])", "v0", &["f32[2,4]"]),
            case(
                "trans-trans",
                "(trans (trans v0 perm[1,2,0]) perm[2,0,1])",
                "(trans v0 perm[0,1,2])",
                &["f32[2,3,4]"],
            ),
            case(
                "trans-trans",
                "(trans (trans v0 perm[1,0,2]) perm[0,2,1])",
                "(trans v0 perm[1,2,0])",
                &["i32[2,3,4]"],
            ),
            case("trans-id", "(trans v0 perm[0,1])", "v0", &["f32[2,4]"]),
            case("cast-splat", "(cast (splat v0 [8]) f32)", "(splat (cast v0 f32) [8])", &["i64"]),
            case(
                "cast-broadcast",
                "(cast (broadcast v0 [4,8]) i8)",
                "(broadcast (cast v0 i8) [4,8])",
                &["f32[4,1]"],
            ),
            case(
                "select-splat",
                "(select (splat v0 [8]) (splat v1 [8]) (splat v2 [8]))",
                "(splat (select v0 v1 v2) [8])",
                &["bool", "f32", "f32"],
            ),
            case(
                "select-broadcast",
                "(select (broadcast v0 [4,8]) (broadcast v1 [4,8]) (broadcast v2 [4,8]))",
                "(broadcast (select v0 v1 v2) [4,8])",
                &["bool[4,1]", "i32[4,1]", "i32[4,1]"],
            ),
        ];
        let binary = BinaryOp::ALL.iter().map(|op| op.name());
        for op in binary.chain(CmpPred::ALL.iter().map(|pred| pred.name())) {
            cases.extend(family_cases(op));
        }
        for op in UnaryOp::ALL {
            let e = unary_elem(op);
            let name = op.name();
            cases.push(case(
                &format!("{name}-splat"),
                &format!("({name} (splat v0 [8]))"),
                &format!("(splat ({name} v0) [8])"),
                &[e],
            ));
            cases.push(case(
                &format!("{name}-broadcast"),
                &format!("({name} (broadcast v0 [2,4]))"),
                &format!("(broadcast ({name} v0) [2,4])"),
                &[&format!("{e}[1,4]")],
            ));
        }
        cases
    }

    #[test]
    fn broadcast_rules() {
        check_group(&super::rules(), &cases());
    }
}
