//! Address arithmetic: pointer offsets are regrouped so that the parts that do not
//! change inside a loop can be computed once (and hoisted by LICM), and pointer adds of
//! broadcast operands are computed before broadcasting.
//!
//! Pointer lanes hold 64-bit offsets that wrap, so merging or splitting `ptr_add`s is
//! exact only for 64-bit offsets; narrower offsets would wrap in their own type first.
//! Integer offsets themselves reassociate and distribute freely (wrapping ring laws),
//! restricted to offsets that feed a `ptr_add` to keep the e-graph small.

use super::{always, rule, RuleDef};

pub fn rules() -> Vec<RuleDef> {
    vec![
        // p + 0 == p
        rule("ptr-add-zero", "(ptr_add ?p ?z)", "?p", |c| c.is_zero("?z")),
        // splat(p) + splat(o) == splat(p + o)
        rule(
            "ptr-add-splat",
            "(ptr_add (splat ?p ?s) (splat ?o ?s))",
            "(splat (ptr_add ?p ?o) ?s)",
            always,
        ),
        // broadcast(p) + broadcast(o) == broadcast(p + o) when p and o have one shape
        rule(
            "ptr-add-broadcast",
            "(ptr_add (broadcast ?p ?s) (broadcast ?o ?s))",
            "(broadcast (ptr_add ?p ?o) ?s)",
            |c| c.same_shape("?p", "?o"),
        ),
        // expand_dims(p) + expand_dims(o) == expand_dims(p + o)
        rule(
            "ptr-add-expand-dims",
            "(ptr_add (expand_dims ?p ?a) (expand_dims ?o ?a))",
            "(expand_dims (ptr_add ?p ?o) ?a)",
            |c| c.same_shape("?p", "?o"),
        ),
        // (p + a) + b == p + (a + b) for 64-bit offsets (they wrap like the pointer lanes)
        rule("ptr-add-merge", "(ptr_add (ptr_add ?p ?a) ?b)", "(ptr_add ?p (add ?a ?b))", |c| {
            c.scalar("?a").is_some_and(|ty| ty.is_int() && ty.bits() == 64)
                && c.same_type("?a", "?b")
        }),
        // p + (a + b) == (p + a) + b for 64-bit offsets
        rule("ptr-add-split", "(ptr_add ?p (add ?a ?b))", "(ptr_add (ptr_add ?p ?a) ?b)", |c| {
            c.scalar("?a").is_some_and(|ty| ty.is_int() && ty.bits() == 64)
        }),
        // (a + b) + c == a + (b + c) for integer pointer offsets (wrapping)
        rule("offset-reassoc", "(add (add ?a ?b) ?c)", "(add ?a (add ?b ?c))", |c| {
            c.int("?a") && c.root_is_ptr_offset()
        }),
        // a + (b + c) == (a + b) + c for integer pointer offsets (wrapping)
        rule("offset-reassoc-rev", "(add ?a (add ?b ?c))", "(add (add ?a ?b) ?c)", |c| {
            c.int("?a") && c.root_is_ptr_offset()
        }),
        // (splat(i) + t) * splat(s) == splat(i * s) + t * splat(s) (wrapping): splits a
        // scalar, typically loop-varying, index from a tile, typically invariant, one
        rule(
            "distribute-splat",
            "(mul (add (splat ?i ?sh) ?t) (splat ?s ?sh))",
            "(add (splat (mul ?i ?s) ?sh) (mul ?t (splat ?s ?sh)))",
            |c| c.int("?i"),
        ),
        // (t + splat(i)) * splat(s) == t * splat(s) + splat(i * s) (wrapping)
        rule(
            "distribute-splat-rev",
            "(mul (add ?t (splat ?i ?sh)) (splat ?s ?sh))",
            "(add (mul ?t (splat ?s ?sh)) (splat (mul ?i ?s) ?sh))",
            |c| c.int("?i"),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use crate::egraph::testing::{case, check_group, Case};

    fn cases() -> Vec<Case> {
        vec![
            case("ptr-add-zero", "(ptr_add v0 0i64)", "v0", &["*f32"]),
            case(
                "ptr-add-zero",
                "(ptr_add (splat v0 [8]) (splat 0u8 [8]))",
                "(splat v0 [8])",
                &["*i16"],
            ),
            case(
                "ptr-add-splat",
                "(ptr_add (splat v0 [8]) (splat v1 [8]))",
                "(splat (ptr_add v0 v1) [8])",
                &["*f32", "i32~small"],
            ),
            case(
                "ptr-add-broadcast",
                "(ptr_add (broadcast (splat v0 [4,1]) [4,8]) (broadcast v1 [4,8]))",
                "(broadcast (ptr_add (splat v0 [4,1]) v1) [4,8])",
                &["*f64", "i32[4,1]~small"],
            ),
            case(
                "ptr-add-expand-dims",
                "(ptr_add (expand_dims (splat v0 [8]) 0) (expand_dims v1 0))",
                "(expand_dims (ptr_add (splat v0 [8]) v1) 0)",
                &["*u8", "i64[8]~small"],
            ),
            case(
                "ptr-add-merge",
                "(ptr_add (ptr_add (splat v0 [8]) v1) v2)",
                "(ptr_add (splat v0 [8]) (add v1 v2))",
                &["*f32", "i64[8]~small", "i64[8]~small"],
            ),
            case(
                "ptr-add-merge",
                "(ptr_add (ptr_add v0 v1) v2)",
                "(ptr_add v0 (add v1 v2))",
                &["*f32", "u64~small", "u64~small"],
            ),
            case(
                "ptr-add-split",
                "(ptr_add v0 (add v1 v2))",
                "(ptr_add (ptr_add v0 v1) v2)",
                &["*bf16", "i64~small", "i64~small"],
            ),
            case(
                "offset-reassoc",
                "(ptr_add (splat v0 [8]) (add (add v1 v2) v3))",
                "(ptr_add (splat v0 [8]) (add v1 (add v2 v3)))",
                &["*f32", "i32[8]~small", "i32[8]~small", "i32[8]~small"],
            ),
            case(
                "offset-reassoc-rev",
                "(ptr_add v0 (add v1 (add v2 v3)))",
                "(ptr_add v0 (add (add v1 v2) v3))",
                &["*f32", "i16~small", "i16~small", "i16~small"],
            ),
            case(
                "distribute-splat",
                "(mul (add (splat v0 [8]) v1) (splat v2 [8]))",
                "(add (splat (mul v0 v2) [8]) (mul v1 (splat v2 [8])))",
                &["i32", "i32[8]", "i32"],
            ),
            case(
                "distribute-splat-rev",
                "(mul (add v1 (splat v0 [2,4])) (splat v2 [2,4]))",
                "(add (mul v1 (splat v2 [2,4])) (splat (mul v0 v2) [2,4]))",
                &["u8", "u8[2,4]", "u8"],
            ),
        ]
    }

    #[test]
    fn address_rules() {
        check_group(&super::rules(), &cases());
    }
}
