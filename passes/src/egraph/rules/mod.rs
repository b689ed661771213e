//! Rewrite rules as named data, one topic per file, each rule with a one-line identity
//! comment saying why it holds.
//!
//! A rule ([`RuleDef`]) is a name, a left-hand pattern, a right-hand pattern and a
//! guard: a plain function that checks types and constants of the match ([`Ctx`]) and
//! may bind right-hand variables the left side does not (a constant of the operand's
//! type, a shape). Default rules preserve every result bit for bit (NaN payloads
//! aside, which docs/language.md leaves unspecified); rules marked `fast_math` may
//! change float results and are used only when fast math is requested.
//!
//! Applying a rule also checks that the right side has the matched class's type, so a
//! rule mistake can never make the e-graph ill-typed; the start ⇒ goal and interpreter
//! soundness tests at the bottom of each group file check each rule on real values.

mod address;
mod broadcast;
mod cast;
mod ctx;
mod fast_math;
mod fma;
mod int_algebra;
mod mask;
mod reduction;
mod select;
mod strength;

use std::sync::OnceLock;

use egg::{Applier, Id, Pattern, PatternAst, Rewrite, Subst, Symbol, Var};

use super::analysis::{TileAnalysis, TileGraph};
use super::language::TileLang;

pub use ctx::Ctx;

/// A rewrite over [`TileLang`].
pub type TileRewrite = Rewrite<TileLang, TileAnalysis>;

/// A rule's side condition; it may bind right-hand variables through [`Ctx`].
pub type Guard = fn(&mut Ctx<'_>) -> bool;

/// One named rewrite rule.
#[derive(Clone, Debug)]
pub struct RuleDef {
    pub name: String,
    pub lhs: String,
    pub rhs: String,
    pub guard: Guard,
    /// Whether the rule may change float results (used only under fast math).
    pub fast_math: bool,
}

/// A rule that preserves every result bit.
pub fn rule(name: &str, lhs: &str, rhs: &str, guard: Guard) -> RuleDef {
    RuleDef {
        name: name.to_string(),
        lhs: lhs.to_string(),
        rhs: rhs.to_string(),
        guard,
        fast_math: false,
    }
}

/// A rule that may change float results: used only under fast math.
pub fn fast_rule(name: &str, lhs: &str, rhs: &str, guard: Guard) -> RuleDef {
    RuleDef { fast_math: true, ..rule(name, lhs, rhs, guard) }
}

/// The guard of unconditional rules.
pub fn always(_: &mut Ctx<'_>) -> bool {
    true
}

/// The rule groups, by topic: (group name, rules).
pub fn groups() -> Vec<(&'static str, Vec<RuleDef>)> {
    vec![
        ("int_algebra", int_algebra::rules()),
        ("strength", strength::rules()),
        ("address", address::rules()),
        ("broadcast", broadcast::rules()),
        ("fma", fma::rules()),
        ("reduction", reduction::rules()),
        ("select", select::rules()),
        ("cast", cast::rules()),
        ("mask", mask::rules()),
        ("fast_math", fast_math::rules()),
    ]
}

/// Every rule of every group.
pub fn all_rules() -> Vec<RuleDef> {
    groups().into_iter().flat_map(|(_, rules)| rules).collect()
}

/// The rewrites of `defs`, leaving out fast-math rules unless `fast_math`. A rule whose
/// patterns do not parse is left out (the group tests check that every rule parses).
pub fn build_rewrites(defs: &[RuleDef], fast_math: bool) -> Vec<TileRewrite> {
    defs.iter()
        .filter(|def| fast_math || !def.fast_math)
        .filter_map(|def| def.to_rewrite().ok())
        .collect()
}

/// The default rule set (built once per mode).
pub fn default_rewrites(fast_math: bool) -> &'static [TileRewrite] {
    static EXACT: OnceLock<Vec<TileRewrite>> = OnceLock::new();
    static FAST: OnceLock<Vec<TileRewrite>> = OnceLock::new();
    let cell = if fast_math { &FAST } else { &EXACT };
    cell.get_or_init(|| build_rewrites(&all_rules(), fast_math))
}

impl RuleDef {
    /// The egg rewrite for this rule.
    pub fn to_rewrite(&self) -> Result<TileRewrite, String> {
        let lhs: Pattern<TileLang> =
            self.lhs.parse().map_err(|e| format!("{}: left side: {e}", self.name))?;
        let rhs: Pattern<TileLang> =
            self.rhs.parse().map_err(|e| format!("{}: right side: {e}", self.name))?;
        let rhs_vars = rhs.vars();
        let applier = GuardedApplier { rhs, rhs_vars, guard: self.guard };
        Rewrite::new(self.name.as_str(), lhs, applier)
    }
}

/// Applies a right-hand pattern after the guard passed, if the result is well typed.
struct GuardedApplier {
    rhs: Pattern<TileLang>,
    rhs_vars: Vec<Var>,
    guard: Guard,
}

impl Applier<TileLang, TileAnalysis> for GuardedApplier {
    fn apply_one(
        &self,
        egraph: &mut TileGraph,
        eclass: Id,
        subst: &Subst,
        searcher_ast: Option<&PatternAst<TileLang>>,
        rule_name: Symbol,
    ) -> Vec<Id> {
        let mut ctx = Ctx::new(egraph, eclass, subst.clone());
        if !(self.guard)(&mut ctx) {
            return Vec::new();
        }
        let subst = ctx.into_subst();
        if self.rhs_vars.iter().any(|&var| subst.get(var).is_none()) {
            return Vec::new();
        }
        let new_id = egraph.add_instantiation(&self.rhs.ast, &subst);
        if egraph[new_id].data.ty != egraph[eclass].data.ty {
            return Vec::new();
        }
        let changed = match searcher_ast {
            Some(lhs_ast) => {
                egraph.union_instantiations(lhs_ast, &self.rhs.ast, &subst, rule_name).1
            }
            None => egraph.union(eclass, new_id),
        };
        if changed {
            vec![eclass]
        } else {
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_rule_parses_and_names_are_unique() {
        let mut names = BTreeSet::new();
        for def in all_rules() {
            if let Err(message) = def.to_rewrite() {
                panic!("{message}");
            }
            assert!(names.insert(def.name.clone()), "rule {} is defined twice", def.name);
        }
        assert!(default_rewrites(false).len() < default_rewrites(true).len());
    }
}
