//! Explanations of what the e-graph optimizer changed: per changed expression, its
//! form before and after (values named as the printer names them) and the chain of
//! rules of egg's proof that the two are equal.

use std::collections::{HashMap, HashSet};
use std::fmt;

use egg::{FlatTerm, Id, Language, RecExpr};
use tessera_ir::{Block, Function, Value};

use super::analysis::TileGraph;
use super::language::{LeafRef, TileLang, View};
use super::rebuild::Rebuilt;
use super::region::RegionInfo;

/// Expressions larger than this (as trees) are not proved: egg's proofs work on trees.
const MAX_PROOF_TREE: u64 = 2_000;
/// Longest rendering of one expression, in characters.
const MAX_TEXT: usize = 400;

/// One changed expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// The value whose computation changed, as printed (`%17`).
    pub value: String,
    /// The expression before, with operands named as printed.
    pub before: String,
    /// The expression after.
    pub after: String,
    /// The rules of the proof, in order (`name (reversed)` for a right-to-left step,
    /// `const-fold` for constant folding); empty when the proof was not computed.
    pub rules: Vec<String>,
    /// Why there is no proof, if there is none.
    pub note: Option<String>,
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} = {}", self.value, self.before)?;
        writeln!(f, "    => {}", self.after)?;
        match &self.note {
            Some(note) => write!(f, "    ({note})"),
            None => write!(f, "    by {}", self.rules.join(", ")),
        }
    }
}

/// Collects explanations while a function is rewritten.
pub struct Explainer {
    names: HashMap<Value, String>,
    pub explanations: Vec<Explanation>,
}

impl Explainer {
    /// Names values as `print_function` numbers `func` (before any rewriting).
    pub fn new(func: &Function) -> Explainer {
        let mut names = HashMap::new();
        number_block(func, func.body, &mut names);
        Explainer { names, explanations: Vec::new() }
    }

    /// Records every root of a region whose value was replaced.
    pub fn record(&mut self, egraph: &mut TileGraph, info: &RegionInfo, rebuilt: &Rebuilt) {
        // Subterms that are other roots are shown by their names.
        let before_names: HashMap<Id, Value> =
            info.roots.iter().map(|root| (root.id, root.value)).collect();
        let mut after_names: HashMap<Id, Value> = HashMap::new();
        for root in &info.roots {
            after_names.entry(egraph.find(root.id)).or_insert(root.value);
        }
        for (root, &(old, new)) in info.roots.iter().zip(&rebuilt.replaced) {
            if old == new {
                continue;
            }
            // Nested blocks see the new value under the old name.
            let name = self.name(old);
            self.names.insert(new, name.clone());
            let graph: &TileGraph = egraph;
            let original = |id: Id| Some(graph.id_to_node(id).clone());
            let extracted = |class: Id| chosen_node(graph, &rebuilt.chosen, class);
            let canonical = |id: Id| graph.find(id);
            let before_shown = build_expr(root.id, &original, &|id| id, &before_names);
            let after_shown = build_expr(root.id, &extracted, &canonical, &after_names);
            let (Some(before_shown), Some(after_shown)) = (before_shown, after_shown) else {
                continue;
            };
            let (before_text, after_text) = (self.render(&before_shown), self.render(&after_shown));
            if before_text == after_text {
                continue; // a duplicate merged, or only operands named above changed
            }
            let before = build_expr(root.id, &original, &|id| id, &HashMap::new());
            let after = build_expr(root.id, &extracted, &canonical, &HashMap::new());
            let mut explanation = Explanation {
                value: name,
                before: before_text,
                after: after_text,
                rules: Vec::new(),
                note: None,
            };
            match (before, after) {
                (Some(before), Some(after)) => {
                    self.prove(egraph, root.id, &before, &after, &mut explanation)
                }
                (None, _) | (_, None) => {
                    explanation.note = Some("the terms are not available".into())
                }
            }
            self.explanations.push(explanation);
        }
    }

    /// Fills in the rules of egg's proof that `before` equals `after`.
    fn prove(
        &self,
        egraph: &mut TileGraph,
        root: Id,
        before: &RecExpr<TileLang>,
        after: &RecExpr<TileLang>,
        explanation: &mut Explanation,
    ) {
        if tree_size(before) > MAX_PROOF_TREE || tree_size(after) > MAX_PROOF_TREE {
            explanation.note = Some("expression too large to prove step by step".to_string());
        } else if egraph.lookup_expr(after).map(|id| egraph.find(id)) != Some(egraph.find(root)) {
            explanation.note = Some("no proof recorded".to_string());
        } else {
            let mut proof = egraph.explain_equivalence(before, after);
            let steps = proof.make_flat_explanation();
            explanation.rules = steps.iter().filter_map(step_rule).collect();
        }
    }

    fn name(&self, value: Value) -> String {
        self.names.get(&value).cloned().unwrap_or_else(|| format!("%?{}", value.0))
    }

    /// `expr` as an s-expression with leaves named as printed, cut at [`MAX_TEXT`].
    fn render(&self, expr: &RecExpr<TileLang>) -> String {
        let mut out = String::new();
        if let Some(root) = expr.as_ref().len().checked_sub(1) {
            self.render_node(expr, Id::from(root), &mut out);
        }
        out
    }

    fn render_node(&self, expr: &RecExpr<TileLang>, id: Id, out: &mut String) {
        if out.len() >= MAX_TEXT {
            if !out.ends_with('…') {
                out.push('…');
            }
            return;
        }
        let node = &expr[id];
        if let View::Leaf(leaf) = node.view() {
            out.push_str(&self.name(Value(leaf)));
            return;
        }
        if node.is_leaf() {
            out.push_str(&node.to_string());
            return;
        }
        out.push('(');
        out.push_str(&node.to_string());
        for &child in node.children() {
            out.push(' ');
            self.render_node(expr, child, out);
        }
        out.push(')');
    }
}

/// The rule that rewrites into this step of a flat proof, searching the subterms.
fn step_rule(term: &FlatTerm<TileLang>) -> Option<String> {
    if let Some(rule) = term.forward_rule {
        return Some(rule.to_string());
    }
    if let Some(rule) = term.backward_rule {
        return Some(format!("{rule} (reversed)"));
    }
    term.children.iter().find_map(step_rule)
}

/// The node materialized for `class` (a leaf or attribute when none was recorded).
fn chosen_node(egraph: &TileGraph, chosen: &HashMap<Id, TileLang>, class: Id) -> Option<TileLang> {
    let class = egraph.find(class);
    match chosen.get(&class) {
        Some(node) => Some(node.clone()),
        None => egraph[class].nodes.iter().find(|n| n.is_leaf()).cloned(),
    }
}

/// The term rooted at `root` with nodes from `node_of` (ids mapped by `key`, shared),
/// where every id in `named` other than the root is a leaf for that value.
fn build_expr(
    root: Id,
    node_of: &dyn Fn(Id) -> Option<TileLang>,
    key: &dyn Fn(Id) -> Id,
    named: &HashMap<Id, Value>,
) -> Option<RecExpr<TileLang>> {
    let root = key(root);
    let mut expr = RecExpr::default();
    let mut done: HashMap<Id, Id> = HashMap::new();
    let mut expanding: HashSet<Id> = HashSet::new();
    let mut stack = vec![(root, false)];
    while let Some((id, expanded)) = stack.pop() {
        if done.contains_key(&id) {
            continue;
        }
        let node = match named.get(&id) {
            Some(value) if id != root => TileLang::Leaf(LeafRef(value.0)),
            Some(_) | None => node_of(id)?,
        };
        if !expanded && !node.is_leaf() {
            if !expanding.insert(id) {
                return None; // a cycle
            }
            stack.push((id, true));
            stack.extend(node.children().iter().map(|&child| (key(child), false)));
            continue;
        }
        if node.children().iter().any(|&child| !done.contains_key(&key(child))) {
            return None;
        }
        let mapped = node.map_children(|child| done[&key(child)]);
        done.insert(id, expr.add(mapped));
    }
    Some(expr)
}

/// The size of `expr` as a tree (shared subterms counted once per use), saturating.
fn tree_size(expr: &RecExpr<TileLang>) -> u64 {
    let mut sizes: Vec<u64> = Vec::with_capacity(expr.as_ref().len());
    for node in expr.as_ref() {
        let children = node.children().iter().map(|&c| sizes[usize::from(c)]);
        sizes.push(children.fold(1u64, u64::saturating_add));
    }
    sizes.last().copied().unwrap_or(0)
}

/// Dense print numbering: block arguments, then each instruction's results followed by
/// the blocks it owns (as `print_function` numbers them).
fn number_block(func: &Function, block: Block, names: &mut HashMap<Value, String>) {
    let Some(data) = func.blocks.get(block) else { return };
    let next = |value: Value, names: &mut HashMap<Value, String>| {
        let number = names.len();
        names.entry(value).or_insert_with(|| format!("%{number}"));
    };
    for &arg in &data.args {
        next(arg, names);
    }
    for &inst in &data.insts {
        let Some(inst_data) = func.insts.get(inst) else { continue };
        for &result in &inst_data.results {
            next(result, names);
        }
        for owned in inst_data.op.blocks() {
            number_block(func, owned, names);
        }
    }
}
