//! Rebuilding a block from the extracted terms.
//!
//! The block keeps its effects, structured ops and terminator in order; its pure
//! instructions are replaced by the extracted terms of the roots, each materialized
//! just before the first instruction that needs it (so every leaf it uses is defined
//! there), sharing what earlier roots already materialized. An original instruction
//! is reused when the extracted node is exactly it, so unchanged code keeps its
//! values. The old pure instructions are left detached (dead arena entries, which
//! the verifier ignores and compaction removes); uses of replaced values in the block
//! and in the blocks it owns are rewritten.
//!
//! Nothing is changed when the extracted program is the original one, or when any
//! check fails (a missing choice, a cycle, a type mismatch): rebuilding is all or
//! nothing, so a bug in a rule can cost an optimization but never break the IR.

use std::collections::{HashMap, HashSet};

use egg::{Id, Language};
use tessera_ir::{Function, Inst, Loc, Op, Type, Value};

use super::analysis::{attribute, class_type, TileGraph};
use super::convert::node_op;
use super::extract::{Extractor, Mode};
use super::language::{TileLang, View};
use super::region::RegionInfo;

/// The outcome of rebuilding one block.
#[derive(Clone, Debug, Default)]
pub struct Rebuilt {
    /// Whether the block changed.
    pub changed: bool,
    /// Each root value and the value that replaces it (equal when unchanged).
    pub replaced: Vec<(Value, Value)>,
    /// The node materialized for each class (children are canonical classes).
    pub chosen: HashMap<Id, TileLang>,
}

/// Rebuilds `info.block` of `func` from `extractor`'s choices; `None` (and the block
/// untouched) when the choices cannot be materialized.
pub fn rebuild_block(
    func: &mut Function,
    egraph: &TileGraph,
    info: &RegionInfo,
    extractor: &mut Extractor<'_>,
) -> Option<Rebuilt> {
    let mut builder = Builder::new(func, egraph, info);
    let insts = builder.func.blocks[info.block].insts.clone();
    let pure: HashSet<Inst> = info.pure_insts.iter().copied().collect();
    let mut roots = info.roots.iter().peekable();
    let mut replaced = Vec::new();
    for (index, &inst) in insts.iter().enumerate() {
        if pure.contains(&inst) {
            continue;
        }
        while let Some(root) = roots.next_if(|root| root.bound == index) {
            extractor.advance_to(index);
            let value = builder.materialize(extractor, root.id)?;
            let same_type = builder.func.value_type(value) == builder.func.value_type(root.value);
            if !same_type {
                return None;
            }
            replaced.push((root.value, value));
        }
        builder.list.push(inst);
    }
    let changed = builder.created > 0 || replaced.iter().any(|(old, new)| old != new);
    let Builder { list, chosen, .. } = builder;
    if changed {
        func.blocks[info.block].insts = list.clone();
        let map: HashMap<Value, Value> = replaced.iter().copied().collect();
        let effects = list.into_iter().filter(|inst| !pure.contains(inst));
        remap_uses(func, effects.collect(), &map);
    }
    Some(Rebuilt { changed, replaced, chosen })
}

/// Rewrites the operands of `insts` and of every instruction in the blocks they own.
fn remap_uses(func: &mut Function, insts: Vec<Inst>, map: &HashMap<Value, Value>) {
    let mut pending = insts;
    while let Some(inst) = pending.pop() {
        let Some(data) = func.insts.get(inst) else { continue };
        for block in data.op.blocks() {
            if let Some(block_data) = func.blocks.get(block) {
                pending.extend(block_data.insts.iter().copied());
            }
        }
        func.insts[inst].op.map_operands(|value| map.get(&value).copied().unwrap_or(value));
    }
}

/// One step of the iterative materialization walk.
enum Step {
    Enter(Id, Mode),
    Exit(Id, TileLang),
}

/// The new instruction list of the block under construction.
struct Builder<'f, 'g> {
    func: &'f mut Function,
    egraph: &'g TileGraph,
    /// Original pure instructions by (op, result type), for reuse.
    reusable: HashMap<(Op, Type), Inst>,
    placed: HashSet<Inst>,
    /// The value materialized for each class.
    memo: HashMap<Id, Value>,
    chosen: HashMap<Id, TileLang>,
    list: Vec<Inst>,
    created: usize,
}

impl<'f, 'g> Builder<'f, 'g> {
    fn new(func: &'f mut Function, egraph: &'g TileGraph, info: &RegionInfo) -> Self {
        let mut reusable = HashMap::new();
        for &inst in &info.pure_insts {
            let data = &func.insts[inst];
            if let [result] = data.results.as_slice() {
                let key = (data.op.clone(), func.value_type(*result).clone());
                reusable.entry(key).or_insert(inst);
            }
        }
        Builder {
            func,
            egraph,
            reusable,
            placed: HashSet::new(),
            memo: HashMap::new(),
            chosen: HashMap::new(),
            list: Vec::new(),
            created: 0,
        }
    }

    /// The value of `root`'s class, materializing its extracted term (children first)
    /// at the end of the list.
    fn materialize(&mut self, extractor: &Extractor<'_>, root: Id) -> Option<Value> {
        let mut stack = vec![Step::Enter(root, Mode::Any)];
        let mut open: HashSet<Id> = HashSet::new();
        while let Some(step) = stack.pop() {
            match step {
                Step::Enter(class, mode) => {
                    let class = self.egraph.find(class);
                    if self.memo.contains_key(&class) {
                        continue;
                    }
                    let (choice, node) = extractor.choice(class, mode)?;
                    if let View::Leaf(leaf) = node.view() {
                        self.memo.insert(class, Value(leaf));
                        self.chosen.insert(class, node.clone());
                        continue;
                    }
                    if !open.insert(class) {
                        return None; // a cycle: never chosen by a sound extraction
                    }
                    let node = node.clone().map_children(|child| self.egraph.find(child));
                    stack.push(Step::Exit(class, node.clone()));
                    for &child in node.children().iter().rev() {
                        if class_type(self.egraph, child).is_some() {
                            stack.push(Step::Enter(child, choice.children));
                        }
                    }
                }
                Step::Exit(class, node) => {
                    open.remove(&class);
                    if !self.memo.contains_key(&class) {
                        let value = self.emit(class, &node)?;
                        self.memo.insert(class, value);
                        self.chosen.insert(class, node);
                    }
                }
            }
        }
        self.memo.get(&self.egraph.find(root)).copied()
    }

    /// Appends the instruction of `node` (reusing an identical original one).
    fn emit(&mut self, class: Id, node: &TileLang) -> Option<Value> {
        let egraph = self.egraph;
        let memo = &self.memo;
        let value_of = |id: Id| memo.get(&egraph.find(id)).copied();
        let attr_of = |id: Id| attribute(egraph, id).cloned();
        let op = node_op(node, &value_of, &attr_of)?;
        let ty = class_type(egraph, class)?.clone();
        let key = (op, ty);
        if let Some(&inst) = self.reusable.get(&key) {
            if self.placed.insert(inst) {
                self.list.push(inst);
                return self.func.insts[inst].results.first().copied();
            }
        }
        let (op, ty) = key;
        let inst = self.func.create_inst(op, vec![ty], Loc::default());
        self.list.push(inst);
        self.created += 1;
        self.func.insts[inst].results.first().copied()
    }
}
