//! One region: the pure DAG of one block, loaded into an e-graph in one linear walk.
//!
//! Pure instructions become nodes; every other value they read is an opaque leaf: a
//! block argument, a result of an effect or structured op of the block (a load, a
//! loop), or a value of an enclosing block. Each leaf has a *position*: the index of
//! the first instruction after its definition (0 for block arguments and outer
//! values). The roots are the pure values read by the block's other instructions or
//! by the blocks they own, each with the index of its first such use, its *bound*: an
//! expression materialized there may only use leaves whose position is at most the
//! bound (the extractor enforces it), which keeps every operand defined before use
//! even when an equivalent expression elsewhere in the block uses a later load.

use std::collections::{BTreeMap, HashMap, HashSet};

use egg::Id;
use tessera_ir::{Block, Function, Inst, Op, Value, ValueDef};

use super::analysis::{TileAnalysis, TileGraph};
use super::convert::{add_node, add_op, op_node, AddMode};
use super::language::{LeafRef, TileLang};

/// A pure value used outside the pure DAG, and where it is first needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Root {
    pub value: Value,
    /// The class of the value (the exact original term when explaining).
    pub id: Id,
    /// Index in the block of the first instruction that needs the value.
    pub bound: usize,
}

/// What the extractor and the rebuild need to know about a region besides its e-graph.
#[derive(Clone, Debug)]
pub struct RegionInfo {
    pub block: Block,
    /// Roots sorted by bound, then by value.
    pub roots: Vec<Root>,
    /// Position of each leaf (by value index).
    pub leaf_pos: HashMap<u32, usize>,
    /// Leaves defined in the block itself (arguments, effect results): loop-variant.
    pub variant_leaves: HashSet<u32>,
    /// Whether the block is a loop body or condition (invariant code is discounted).
    pub is_loop: bool,
    /// The original pure instructions that became nodes, in block order.
    pub pure_insts: Vec<Inst>,
    /// The original nodes, with the (uncanonical) classes of their children.
    pub original_nodes: Vec<TileLang>,
}

/// Builds the e-graph of `block`; `None` when the block has no pure value to optimize.
pub fn build_region(
    func: &Function,
    block: Block,
    is_loop: bool,
    mode: AddMode,
) -> Option<(TileGraph, RegionInfo)> {
    let mut egraph = TileGraph::new(TileAnalysis::default());
    if mode == AddMode::Explained {
        egraph = egraph.with_explanations_enabled();
    }
    let block_data = func.blocks.get(block)?;
    let mut builder = Builder {
        func,
        mode,
        egraph,
        info: RegionInfo {
            block,
            roots: Vec::new(),
            leaf_pos: HashMap::new(),
            variant_leaves: block_data.args.iter().map(|arg| arg.0).collect(),
            is_loop,
            pure_insts: Vec::new(),
            original_nodes: Vec::new(),
        },
        value_ids: HashMap::new(),
        first_use: BTreeMap::new(),
    };
    for (index, &inst) in block_data.insts.iter().enumerate() {
        if !builder.add_pure(inst) {
            builder.add_other(index, inst);
        }
    }
    builder.finish()
}

/// The state of [`build_region`]'s walk.
struct Builder<'f> {
    func: &'f Function,
    mode: AddMode,
    egraph: TileGraph,
    info: RegionInfo,
    /// The class of each pure value of the block.
    value_ids: HashMap<Value, Id>,
    /// The first index at which each pure value is read outside the pure DAG.
    first_use: BTreeMap<Value, usize>,
}

impl Builder<'_> {
    /// Adds the node of a pure instruction; false if `inst` is not one.
    fn add_pure(&mut self, inst: Inst) -> bool {
        let func = self.func;
        let Some(data) = func.insts.get(inst) else { return false };
        let (true, &[result]) = (data.op.is_pure(), data.results.as_slice()) else {
            return false;
        };
        let (value_ids, info, mode) = (&self.value_ids, &mut self.info, self.mode);
        let mut operand = |egraph: &mut TileGraph, value: Value| match value_ids.get(&value) {
            Some(&id) => id,
            None => leaf(egraph, func, info, mode, value, IMPORT_DEPTH),
        };
        let ty = func.value_type(result);
        let Some(node) = op_node(&mut self.egraph, &data.op, ty, mode, &mut operand) else {
            return false;
        };
        let id = add_node(&mut self.egraph, node.clone(), mode);
        self.value_ids.insert(result, id);
        self.info.pure_insts.push(inst);
        self.info.original_nodes.push(node);
        true
    }

    /// An effect, a structured op, a terminator (or a pure op without a node): its
    /// results are leaves from the next index on, and the pure values it reads (or
    /// the blocks it owns read) are roots needed at `index`.
    fn add_other(&mut self, index: usize, inst: Inst) {
        if let Some(data) = self.func.insts.get(inst) {
            for &result in &data.results {
                self.info.leaf_pos.insert(result.0, index + 1);
                self.info.variant_leaves.insert(result.0);
            }
        }
        for value in uses_of(self.func, inst) {
            if self.value_ids.contains_key(&value) {
                self.first_use.entry(value).or_insert(index);
            }
        }
    }

    fn finish(mut self) -> Option<(TileGraph, RegionInfo)> {
        if self.info.pure_insts.is_empty() || self.first_use.is_empty() {
            return None;
        }
        let value_ids = &self.value_ids;
        self.info.roots = self
            .first_use
            .iter()
            .filter_map(|(&value, &bound)| Some(Root { value, id: *value_ids.get(&value)?, bound }))
            .collect();
        self.info.roots.sort_by_key(|root| (root.bound, root.value));
        Some((self.egraph, self.info))
    }
}

/// How many levels of an outer value's pure definition a region imports.
const IMPORT_DEPTH: usize = 3;

/// The leaf for `value`. A value that an enclosing block computes purely also gets its
/// definition (to `depth` levels) in the leaf's class, so rules can see through it
/// (a `splat` hoisted out of a loop stays visible inside); the leaf itself costs
/// nothing, so extraction keeps using it where it can.
fn leaf(
    egraph: &mut TileGraph,
    func: &Function,
    info: &mut RegionInfo,
    mode: AddMode,
    value: Value,
    depth: usize,
) -> Id {
    let ty = func.value_type(value).clone();
    egraph.analysis.leaf_types.insert(value.0, ty.clone());
    info.leaf_pos.entry(value.0).or_insert(0);
    let leaf = add_node(egraph, TileLang::Leaf(LeafRef(value.0)), mode);
    // Values of this block that are not pure nodes are arguments or effect results,
    // all in `variant_leaves` before their first use; every other leaf is outer.
    let outer = !info.variant_leaves.contains(&value.0);
    let Some(ValueDef::Result(inst, 0)) = func.values.get(value).map(|data| data.def) else {
        return leaf;
    };
    let Some(data) = func.insts.get(inst) else { return leaf };
    if depth == 0 || !outer || !data.op.is_pure() || data.results.len() != 1 {
        return leaf;
    }
    let mut operand = |egraph: &mut TileGraph, operand: Value| {
        self::leaf(egraph, func, info, mode, operand, depth - 1)
    };
    if let Some(definition) = add_op(egraph, &data.op, &ty, mode, &mut operand) {
        match mode {
            AddMode::Canonical => egraph.union(leaf, definition),
            AddMode::Explained => egraph.union_trusted(leaf, definition, "definition"),
        };
    }
    leaf
}

/// Every value `inst` reads, including those read by instructions of the blocks it
/// owns (at any depth).
pub fn uses_of(func: &Function, inst: Inst) -> Vec<Value> {
    let mut uses = Vec::new();
    let mut pending = vec![inst];
    while let Some(inst) = pending.pop() {
        let Some(data) = func.insts.get(inst) else { continue };
        data.op.for_each_operand(|value| uses.push(value));
        for block in data.op.blocks() {
            if let Some(block_data) = func.blocks.get(block) {
                pending.extend(block_data.insts.iter().copied());
            }
        }
    }
    uses
}

/// The blocks of `func` that are loop bodies or `while` conditions.
pub fn loop_blocks(func: &Function) -> HashSet<Block> {
    let mut loops = HashSet::new();
    for block in func.walk_blocks() {
        for &inst in &func.blocks[block].insts {
            let Some(data) = func.insts.get(inst) else { continue };
            match &data.op {
                Op::For { body, .. } => {
                    loops.insert(*body);
                }
                Op::While { cond, body, .. } => {
                    loops.insert(*cond);
                    loops.insert(*body);
                }
                Op::If { .. }
                | Op::Const { .. }
                | Op::ProgramId { .. }
                | Op::NumPrograms { .. }
                | Op::Arange { .. }
                | Op::Splat { .. }
                | Op::ExpandDims { .. }
                | Op::Broadcast { .. }
                | Op::Reshape { .. }
                | Op::Trans { .. }
                | Op::Unary { .. }
                | Op::Binary { .. }
                | Op::Cmp { .. }
                | Op::Select { .. }
                | Op::Cast { .. }
                | Op::PtrAdd { .. }
                | Op::Reduce { .. }
                | Op::Scan { .. }
                | Op::Dot { .. }
                | Op::Fma { .. }
                | Op::Load { .. }
                | Op::Store { .. }
                | Op::Atomic { .. }
                | Op::Call { .. }
                | Op::Yield { .. }
                | Op::Condition { .. }
                | Op::Return { .. }
                | Op::Assert { .. } => {}
            }
        }
    }
    loops
}
