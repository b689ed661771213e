//! Extraction: the cheapest term of each class under the [`CostModel`], restricted to
//! the leaves available at a point of the block, and aware of loop invariance.
//!
//! - *Bounds.* A root needed at instruction index `b` may only use leaves whose
//!   position is at most `b` (see [`super::region`]). Tables are computed for the
//!   roots' bounds in increasing order, each continuing from the previous one (more
//!   leaves only make classes cheaper).
//! - *Loop invariance.* In a loop body, a term whose leaves are all defined outside
//!   the loop is computed once by LICM, not once per iteration: its nodes cost
//!   1/[`INVARIANT_DISCOUNT`] of their price. Each class keeps its best term overall and
//!   its best loop-invariant term.
//! - *Ties.* Costs are integers compared exactly; on equal cost the term with fewer
//!   nodes not in the original program wins, so unchanged code stays unchanged.
//!
//! Costs add up over the term as a tree, like egg's `Extractor`; the updates run off a
//! worklist of classes whose children improved, in a deterministic order.

use std::collections::{HashMap, HashSet, VecDeque};

use egg::{Id, Language};
use tessera_ir::ScanOp;

use super::analysis::{class_type, int_attr, TileGraph};
use super::language::{TileLang, View};
use super::region::RegionInfo;
use crate::cost::{CostModel, OpKind};

/// How much cheaper loop-invariant nodes are inside a loop body.
pub const INVARIANT_DISCOUNT: u64 = 8;

/// A term's cost: model units, then the number of nodes not in the original program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cost {
    pub units: u64,
    pub new_nodes: u32,
}

impl Cost {
    fn plus(self, other: Cost) -> Cost {
        Cost {
            units: self.units.saturating_add(other.units),
            new_nodes: self.new_nodes.saturating_add(other.new_nodes),
        }
    }
}

/// Which term of a class is wanted: the best overall, or the best loop-invariant one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    Any,
    Invariant,
}

/// The best node of a class in one mode, and the mode its children are taken in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Choice {
    pub cost: Cost,
    pub node: usize,
    pub children: Mode,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Best {
    any: Option<Choice>,
    invariant: Option<Choice>,
}

/// Incremental bounded extraction over one region's e-graph.
pub struct Extractor<'a> {
    egraph: &'a TileGraph,
    info: &'a RegionInfo,
    cost: &'a dyn CostModel,
    /// The original nodes, canonicalized.
    originals: HashSet<TileLang>,
    best: HashMap<Id, Best>,
    bound: Option<usize>,
}

impl<'a> Extractor<'a> {
    pub fn new(egraph: &'a TileGraph, info: &'a RegionInfo, cost: &'a dyn CostModel) -> Self {
        let originals = info
            .original_nodes
            .iter()
            .map(|node| node.clone().map_children(|child| egraph.find(child)))
            .collect();
        Extractor { egraph, info, cost, originals, best: HashMap::new(), bound: None }
    }

    /// Makes the tables describe `bound`; bounds must be requested in increasing order.
    pub fn advance_to(&mut self, bound: usize) {
        let mut queue: Vec<Id> = match self.bound {
            Some(previous) if previous >= bound => return,
            Some(previous) => self.classes_with_leaves_in(previous, bound),
            None => self.egraph.classes().map(|class| class.id).collect(),
        };
        self.bound = Some(bound);
        queue.sort();
        self.propagate(queue);
    }

    /// The best choice for `class` in `mode` at the current bound.
    pub fn choice(&self, class: Id, mode: Mode) -> Option<(Choice, &'a TileLang)> {
        let class = self.egraph.find(class);
        let best = self.best.get(&class)?;
        let choice = match mode {
            Mode::Any => best.any?,
            Mode::Invariant => best.invariant?,
        };
        let node = self.egraph[class].nodes.get(choice.node)?;
        Some((choice, node))
    }

    /// Classes holding a leaf whose position is in `(after, upto]`.
    fn classes_with_leaves_in(&self, after: usize, upto: usize) -> Vec<Id> {
        let mut classes = Vec::new();
        for class in self.egraph.classes() {
            let newly_available = class.nodes.iter().any(|node| {
                matches!(node.view(), View::Leaf(leaf)
                    if (after + 1..=upto).contains(&self.leaf_pos(leaf)))
            });
            if newly_available {
                classes.push(class.id);
            }
        }
        classes
    }

    fn leaf_pos(&self, leaf: u32) -> usize {
        self.info.leaf_pos.get(&leaf).copied().unwrap_or(0)
    }

    /// Recomputes queued classes until nothing improves, queueing the parents of
    /// every class that did.
    fn propagate(&mut self, initial: Vec<Id>) {
        let mut queued: HashSet<Id> = initial.iter().copied().collect();
        let mut queue: VecDeque<Id> = initial.into();
        while let Some(class) = queue.pop_front() {
            queued.remove(&class);
            let class = self.egraph.find(class);
            if self.egraph[class].data.ty.is_none() {
                continue;
            }
            let updated = self.evaluate(class);
            if updated == self.best.get(&class).copied().unwrap_or_default() {
                continue;
            }
            self.best.insert(class, updated);
            let mut parents: Vec<Id> =
                self.egraph[class].parents().map(|parent| self.egraph.find(parent)).collect();
            parents.sort();
            parents.dedup();
            for parent in parents {
                if queued.insert(parent) {
                    queue.push_back(parent);
                }
            }
        }
    }

    /// The best choices of `class` given its children's current tables; never worse
    /// than what the table holds.
    fn evaluate(&self, class: Id) -> Best {
        let mut best = self.best.get(&class).copied().unwrap_or_default();
        for (index, node) in self.egraph[class].nodes.iter().enumerate() {
            let (any, invariant) = self.node_costs(class, node);
            if let Some(cost) = any {
                improve(&mut best.any, Choice { cost, node: index, children: Mode::Any });
            }
            if let Some(cost) = invariant {
                let choice = Choice { cost, node: index, children: Mode::Invariant };
                improve(&mut best.invariant, choice);
                improve(&mut best.any, choice);
            }
        }
        best
    }

    /// The cost of `node` (in `class`) taking children at their best, and at their best
    /// loop-invariant (`None` where unavailable).
    fn node_costs(&self, class: Id, node: &TileLang) -> (Option<Cost>, Option<Cost>) {
        if let View::Leaf(leaf) = node.view() {
            if self.leaf_pos(leaf) > self.bound.unwrap_or(0) {
                return (None, None);
            }
            let zero = Cost { units: 0, new_nodes: 0 };
            let invariant = !self.info.variant_leaves.contains(&leaf);
            return (Some(zero), invariant.then_some(zero));
        }
        let units = self.node_units(class, node);
        let own = Cost { units, new_nodes: u32::from(!self.originals.contains(node)) };
        let mut any = Some(own);
        let discounted = Cost { units: units.div_ceil(INVARIANT_DISCOUNT), ..own };
        let mut invariant = self.info.is_loop.then_some(discounted);
        for &child in node.children() {
            let child = self.egraph.find(child);
            if self.egraph[child].data.ty.is_none() {
                continue; // an attribute: free, and the same in every iteration
            }
            let best = self.best.get(&child).copied().unwrap_or_default();
            any = any.zip(best.any).map(|(cost, choice)| cost.plus(choice.cost));
            invariant = invariant.zip(best.invariant).map(|(cost, choice)| cost.plus(choice.cost));
        }
        (any, invariant)
    }

    /// The model's price of `node`, whose result is the type of `class`.
    fn node_units(&self, class: Id, node: &TileLang) -> u64 {
        let Some(ty) = class_type(self.egraph, class) else { return 0 };
        match op_kind(self.egraph, node) {
            Some(kind) => self.cost.node_cost(&kind, ty),
            None => 0,
        }
    }
}

fn improve(slot: &mut Option<Choice>, candidate: Choice) {
    if slot.is_none_or(|current| candidate.cost < current.cost) {
        *slot = Some(candidate);
    }
}

/// The [`OpKind`] of a value node (`None` for leaves and attributes).
pub fn op_kind(egraph: &TileGraph, node: &TileLang) -> Option<OpKind> {
    let dim = |id: Id, axis: Id| -> u32 {
        let axis = int_attr(egraph, axis).and_then(|a| usize::try_from(a).ok());
        let shape = class_type(egraph, id).map(|ty| ty.shape.as_slice()).unwrap_or(&[]);
        axis.and_then(|a| shape.get(a).copied()).unwrap_or(1)
    };
    Some(match node.view() {
        View::Unary(op, _) => OpKind::Unary(op),
        View::Binary(op, _) => OpKind::Binary(op),
        View::Cmp(pred, _) => OpKind::Cmp(pred),
        View::Reduce(op, [arg, axis]) => OpKind::Reduce { op, axis_len: dim(arg, axis) },
        View::Cumsum([arg, axis]) => OpKind::Scan { op: ScanOp::Cumsum, axis_len: dim(arg, axis) },
        View::Select(_) => OpKind::Select,
        View::Fma(_) => OpKind::Fma,
        View::Dot([a, _, _]) => {
            let k = class_type(egraph, a).and_then(|ty| ty.shape.get(1).copied()).unwrap_or(1);
            OpKind::Dot { k }
        }
        View::PtrAdd(_) => OpKind::PtrAdd,
        View::Splat(_) => OpKind::Splat,
        View::Broadcast(_) => OpKind::Broadcast,
        View::Reshape(_) => OpKind::Reshape,
        View::ExpandDims(_) => OpKind::ExpandDims,
        View::Trans(_) => OpKind::Trans,
        View::Cast([arg, _]) => OpKind::Cast { from: class_type(egraph, arg)?.scalar_type()? },
        View::Arange(_) => OpKind::Arange,
        View::ProgramId(_) => OpKind::ProgramId,
        View::NumPrograms(_) => OpKind::NumPrograms,
        View::Const(_) => OpKind::Const,
        View::Int(_) | View::Shape(_) | View::Perm(_) | View::Dtype(_) | View::Leaf(_) => {
            return None
        }
    })
}
