//! Shared IR surgery for the classic passes: where blocks and instructions sit
//! ([`BlockTree`]), use counting, value substitution ([`Substitution`]), batched
//! placement edits ([`Edits`]), constants of integer and uniform-tile values, op
//! counting and compaction ([`compact`]).
//!
//! Passes detach instructions rather than delete them: an instruction no block lists is
//! dead, and the verifier and the printer ignore it. [`compact`] rebuilds a function
//! with dense arenas holding only what is reachable, so repeated passes stay fast.

use std::collections::{HashMap, HashSet};

use tessera_ir::entity::EntityRef;
use tessera_ir::{
    Block, BlockData, Constant, Function, Inst, InstData, Loc, Op, ScalarType, Type, Value,
    ValueDef,
};

/// Where every reachable block and instruction sits: the op owning each block and the
/// block holding each instruction (side tables indexed by arena index).
#[derive(Clone, Debug)]
pub struct BlockTree {
    owner: Vec<Option<Inst>>,
    inst_block: Vec<Option<Block>>,
    /// Reachable blocks in pre-order (parents before the blocks their ops own).
    pub blocks: Vec<Block>,
}

impl BlockTree {
    /// Builds the tables for `func` from its body.
    pub fn new(func: &Function) -> BlockTree {
        let blocks = func.walk_blocks();
        let mut owner = vec![None; func.blocks.len()];
        let mut inst_block = vec![None; func.insts.len()];
        for &block in &blocks {
            for &inst in &func.blocks[block].insts {
                inst_block[inst.index()] = Some(block);
                for owned in func.insts[inst].op.blocks() {
                    owner[owned.index()] = Some(inst);
                }
            }
        }
        BlockTree { owner, inst_block, blocks }
    }

    /// The op owning `block` (`None` for the body and unreachable blocks).
    pub fn owner(&self, block: Block) -> Option<Inst> {
        self.owner.get(block.index()).copied().flatten()
    }

    /// The block holding `inst` (`None` when it is detached).
    pub fn block_of(&self, inst: Inst) -> Option<Block> {
        self.inst_block.get(inst.index()).copied().flatten()
    }

    /// The block where `value` is defined (as an argument or by an instruction).
    pub fn def_block(&self, func: &Function, value: Value) -> Option<Block> {
        match func.values[value].def {
            ValueDef::BlockArg(block, _) => Some(block),
            ValueDef::Result(inst, _) => self.block_of(inst),
        }
    }

    /// Whether `inner` is `outer` or nested (at any depth) in an op of `outer`.
    pub fn is_within(&self, inner: Block, outer: Block) -> bool {
        let mut block = inner;
        loop {
            if block == outer {
                return true;
            }
            let Some(block_of_owner) = self.owner(block).and_then(|inst| self.block_of(inst))
            else {
                return false;
            };
            block = block_of_owner;
        }
    }
}

/// A structured op (`for`, `while`, `if`) taken apart, so passes can match the three
/// exhaustively without a catch-all over [`Op`].
#[derive(Clone, Copy, Debug)]
pub enum Structured<'a> {
    For { lower: Value, upper: Value, step: Value, inits: &'a [Value], body: Block },
    While { inits: &'a [Value], cond: Block, body: Block },
    If { cond: Value, then_block: Block, else_block: Block },
}

/// `op` as a [`Structured`] op, or `None` for every other op.
pub fn structured(op: &Op) -> Option<Structured<'_>> {
    match op {
        Op::For { lower, upper, step, inits, body } => {
            Some(Structured::For { lower: *lower, upper: *upper, step: *step, inits, body: *body })
        }
        Op::While { inits, cond, body } => {
            Some(Structured::While { inits, cond: *cond, body: *body })
        }
        Op::If { cond, then_block, else_block } => {
            Some(Structured::If { cond: *cond, then_block: *then_block, else_block: *else_block })
        }
        Op::Const { .. }
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
        | Op::Assert { .. } => None,
    }
}

/// Every reachable instruction, block by block in pre-order, each in block order.
pub fn placed_insts(func: &Function) -> Vec<Inst> {
    let mut out = Vec::new();
    for block in func.walk_blocks() {
        out.extend(func.blocks[block].insts.iter().copied());
    }
    out
}

/// The number of instructions reachable from the body, terminators and structured ops
/// included: the "op count" the pipeline reports.
pub fn count_ops(func: &Function) -> usize {
    func.walk_blocks().iter().map(|&block| func.blocks[block].insts.len()).sum()
}

/// How many times each value (by arena index) is used by a reachable instruction.
pub fn use_counts(func: &Function) -> Vec<u32> {
    let mut counts = vec![0u32; func.values.len()];
    for inst in placed_insts(func) {
        func.insts[inst].op.for_each_operand(|value| counts[value.index()] += 1);
    }
    counts
}

/// The instruction defining `value`, if it is an instruction result.
pub fn def_inst(func: &Function, value: Value) -> Option<Inst> {
    match func.values[value].def {
        ValueDef::Result(inst, _) => Some(inst),
        ValueDef::BlockArg(..) => None,
    }
}

/// The op defining `value`, if it is an instruction result.
pub fn def_op(func: &Function, value: Value) -> Option<&Op> {
    def_inst(func, value).map(|inst| &func.insts[inst].op)
}

/// The scalar element type of `value` (`None` for pointers).
pub fn scalar_of(func: &Function, value: Value) -> Option<ScalarType> {
    func.value_type(value).scalar_type()
}

/// The constant `value` holds when it is a `const` result.
pub fn constant_of(func: &Function, value: Value) -> Option<Constant> {
    let Op::Const { value } = def_op(func, value)? else { return None };
    Some(*value)
}

/// The constant every element of `value` holds when it is a `const`, or a `splat` of
/// a `const` (the canonical form of a uniform constant tile).
pub fn uniform_constant(func: &Function, value: Value) -> Option<Constant> {
    let op = def_op(func, value)?;
    if let Op::Splat { value: scalar } = op {
        return constant_of(func, *scalar);
    }
    constant_of(func, value)
}

/// The integer value of `constant` read with the signedness of `scalar` (`u8` 255 is
/// stored as -1 and read as 255); `None` for non-integers.
pub fn int_value(constant: Constant, scalar: ScalarType) -> Option<i128> {
    let Constant::Int(stored) = constant else { return None };
    if scalar.is_signed_int() {
        Some(i128::from(stored))
    } else if scalar.is_unsigned_int() {
        let width = scalar.bits();
        let mask = if width >= 64 { u64::MAX } else { (1u64 << width) - 1 };
        Some(i128::from(stored as u64 & mask))
    } else {
        None
    }
}

/// The smallest and largest value of the integer type `scalar`.
pub fn int_range(scalar: ScalarType) -> Option<(i128, i128)> {
    let bits = scalar.bits();
    if scalar.is_signed_int() {
        Some((-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1))
    } else if scalar.is_unsigned_int() {
        Some((0, (1i128 << bits) - 1))
    } else {
        None
    }
}

/// `value` (in range of `scalar`) as a canonical integer constant: the bit pattern
/// sign-extended from the type's width.
pub fn int_constant(value: i128, scalar: ScalarType) -> Constant {
    let width = scalar.bits();
    let bits = value as u64;
    let stored = if width >= 64 {
        bits as i64
    } else {
        let shift = 64 - width;
        ((bits << shift) as i64) >> shift
    };
    Constant::Int(stored)
}

/// The "zero" of `scalar`: `false`, 0 or +0.0.
pub fn zero_constant(scalar: ScalarType) -> Constant {
    if scalar.is_bool() {
        Constant::Bool(false)
    } else if scalar.is_float() {
        Constant::Float(0.0)
    } else {
        Constant::Int(0)
    }
}

/// A key for a constant that tells `-0.0` from `+0.0` and NaNs apart by their bits
/// (the derived `PartialEq` of [`Constant`] does not).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConstKey {
    Bool(bool),
    Int(i64),
    FloatBits(u64),
}

impl ConstKey {
    pub fn of(constant: Constant) -> ConstKey {
        match constant {
            Constant::Bool(b) => ConstKey::Bool(b),
            Constant::Int(i) => ConstKey::Int(i),
            Constant::Float(f) => ConstKey::FloatBits(f.to_bits()),
        }
    }
}

/// A map from replaced values to their replacements, applied to the operands of every
/// reachable instruction at once. Chains (`a → b → c`) resolve to their end.
#[derive(Clone, Debug, Default)]
pub struct Substitution {
    map: HashMap<Value, Value>,
}

impl Substitution {
    /// Records that uses of `from` must use `to` instead.
    pub fn insert(&mut self, from: Value, to: Value) {
        let to = self.resolve(to);
        if from != to {
            self.map.insert(from, to);
        }
    }

    /// The value that finally replaces `value` (itself when not replaced).
    pub fn resolve(&self, mut value: Value) -> Value {
        while let Some(&next) = self.map.get(&value) {
            value = next;
        }
        value
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Rewrites the operands of `op`.
    pub fn apply_to_op(&self, op: &mut Op) {
        if !self.map.is_empty() {
            op.map_operands(|value| self.resolve(value));
        }
    }

    /// Rewrites the operands of every reachable instruction of `func`.
    pub fn apply(&self, func: &mut Function) {
        if self.map.is_empty() {
            return;
        }
        for inst in placed_insts(func) {
            self.apply_to_op(&mut func.insts[inst].op);
        }
    }
}

/// Placement edits collected during a walk and applied in one sweep over the blocks:
/// instructions to insert before others, and instructions to detach.
#[derive(Clone, Debug, Default)]
pub struct Edits {
    before: HashMap<Inst, Vec<Inst>>,
    removed: HashSet<Inst>,
}

impl Edits {
    /// Places the new instruction `inst` just before `anchor` (in insertion order).
    pub fn insert_before(&mut self, anchor: Inst, inst: Inst) {
        self.before.entry(anchor).or_default().push(inst);
    }

    /// Detaches `inst` from its block.
    pub fn remove(&mut self, inst: Inst) {
        self.removed.insert(inst);
    }

    pub fn is_empty(&self) -> bool {
        self.before.is_empty() && self.removed.is_empty()
    }

    /// Rebuilds the instruction list of every reachable block with the edits.
    pub fn apply(self, func: &mut Function) {
        if self.is_empty() {
            return;
        }
        for block in func.walk_blocks() {
            let old = std::mem::take(&mut func.blocks[block].insts);
            let mut new = Vec::with_capacity(old.len());
            for inst in old {
                if let Some(inserted) = self.before.get(&inst) {
                    new.extend(inserted.iter().copied());
                }
                if !self.removed.contains(&inst) {
                    new.push(inst);
                }
            }
            func.blocks[block].insts = new;
        }
    }
}

/// Creates (unplaced) the instructions computing `constant` at type `ty`: one `const`
/// for a scalar, a `const` and a `splat` for a tile. Returns them and the value.
pub fn build_constant(func: &mut Function, constant: Constant, ty: &Type) -> (Vec<Inst>, Value) {
    let scalar_ty = Type { shape: Vec::new(), elem: ty.elem };
    let const_inst =
        func.create_inst(Op::Const { value: constant }, vec![scalar_ty], Loc::default());
    let scalar = func.result(const_inst);
    if ty.is_scalar() {
        return (vec![const_inst], scalar);
    }
    let splat = func.create_inst(Op::Splat { value: scalar }, vec![ty.clone()], Loc::default());
    (vec![const_inst, splat], func.result(splat))
}

/// Turns the single-result pure instruction `inst` into the constant `constant` of its
/// result type, in place (its result value is kept, so no use changes): a scalar
/// becomes a `const`; a tile becomes a `splat` of a new `const` placed before it.
pub fn make_constant_in_place(
    func: &mut Function,
    edits: &mut Edits,
    inst: Inst,
    constant: Constant,
) {
    let result = func.result(inst);
    let ty = func.value_type(result).clone();
    if ty.is_scalar() {
        func.insts[inst].op = Op::Const { value: constant };
        return;
    }
    let scalar_ty = Type { shape: Vec::new(), elem: ty.elem };
    let const_inst =
        func.create_inst(Op::Const { value: constant }, vec![scalar_ty], Loc::default());
    edits.insert_before(inst, const_inst);
    func.insts[inst].op = Op::Splat { value: func.result(const_inst) };
}

/// A copy of `func` holding only what is reachable from its body, with dense arenas
/// in walk order; source locations travel with their instructions.
pub fn compact(func: &Function) -> Function {
    let mut out = Function {
        name: func.name.clone(),
        kind: func.kind,
        param_names: func.param_names.clone(),
        result_types: func.result_types.clone(),
        specialization: func.specialization.clone(),
        values: Default::default(),
        insts: Default::default(),
        blocks: Default::default(),
        locs: Vec::new(),
        body: Block(0),
    };
    let mut compactor = Compactor { old: func, new: &mut out, values: HashMap::new() };
    let body = compactor.new_block(func.body);
    compactor.fill_block(func.body, body);
    out.body = body;
    out
}

/// Old-to-new value mapping while [`compact`] copies a function.
struct Compactor<'a> {
    old: &'a Function,
    new: &'a mut Function,
    values: HashMap<Value, Value>,
}

impl Compactor<'_> {
    /// Creates the new block for `old_block` with copies of its arguments.
    fn new_block(&mut self, old_block: Block) -> Block {
        let block = self.new.blocks.push(BlockData::default());
        for &arg in &self.old.blocks[old_block].args {
            let ty = self.old.value_type(arg).clone();
            let new_arg = self.new.append_block_arg(block, ty);
            self.values.insert(arg, new_arg);
        }
        block
    }

    /// Copies the instructions of `old_block` into `new_block`, recursively.
    fn fill_block(&mut self, old_block: Block, new_block: Block) {
        for &inst in &self.old.blocks[old_block].insts {
            let InstData { op, results } = &self.old.insts[inst];
            let mut op = op.clone();
            op.map_operands(|value| self.values.get(&value).copied().unwrap_or(value));
            let owned: Vec<(Block, Block)> =
                op.blocks().into_iter().map(|old| (old, self.new_block(old))).collect();
            remap_blocks(&mut op, &owned);
            let types = results.iter().map(|&r| self.old.value_type(r).clone()).collect();
            let new_inst = self.new.append_inst(new_block, op, types, self.old.loc(inst));
            for (&old, &new) in results.iter().zip(&self.new.insts[new_inst].results) {
                self.values.insert(old, new);
            }
            for (old, new) in owned {
                self.fill_block(old, new);
            }
        }
    }
}

/// Replaces the block handles owned by `op` following `map` (old, new).
pub fn remap_blocks(op: &mut Op, map: &[(Block, Block)]) {
    let lookup = |block: &mut Block| {
        if let Some(&(_, new)) = map.iter().find(|(old, _)| old == block) {
            *block = new;
        }
    };
    match op {
        Op::For { body, .. } => lookup(body),
        Op::While { cond, body, .. } => {
            lookup(cond);
            lookup(body);
        }
        Op::If { then_block, else_block, .. } => {
            lookup(then_block);
            lookup(else_block);
        }
        Op::Const { .. }
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

/// The values a block's terminator passes on (`yield`/`return` values, or the
/// `condition` operand), and the terminator itself.
pub fn terminator(func: &Function, block: Block) -> Option<Inst> {
    func.blocks[block].insts.last().copied().filter(|&inst| func.insts[inst].op.is_terminator())
}

/// The values yielded by the `yield` ending `block` (empty for other terminators).
pub fn yielded(func: &Function, block: Block) -> Vec<Value> {
    match terminator(func, block).map(|inst| &func.insts[inst].op) {
        Some(Op::Yield { values }) => values.clone(),
        Some(_) | None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_ir::{parse_module, print_function, verify_function};

    #[test]
    fn int_constants_round_trip_through_their_signedness() {
        let stored = int_constant(255, ScalarType::U8);
        assert_eq!(stored, Constant::Int(-1));
        assert_eq!(int_value(stored, ScalarType::U8), Some(255));
        assert_eq!(int_value(Constant::Int(-1), ScalarType::I8), Some(-1));
        assert_eq!(int_value(Constant::Int(-1), ScalarType::U64), Some(u64::MAX as i128));
        assert_eq!(int_range(ScalarType::I8), Some((-128, 127)));
        assert_eq!(int_range(ScalarType::F32), None);
    }

    #[test]
    fn compact_drops_detached_instructions_and_keeps_the_text() {
        let text = "kernel @k(%0 \"x\": ptr<f32>) {
  %1 = const 1.0 : f32
  %2 = const 2.0 : f32
  store %0, %2 @3:4
  return
}
";
        let mut module = parse_module(text).expect("parses");
        let func = &mut module.functions[0];
        let first = func.blocks[func.body].insts.remove(0);
        assert_eq!(first, Inst(0));
        let compacted = compact(func);
        verify_function(&compacted, None).expect("verifies");
        assert_eq!(compacted.insts.len(), 3);
        assert_eq!(print_function(&compacted), print_function(func));
        assert_eq!(compacted.loc(Inst(1)), Loc { line: 3, col: 4 });
    }

    #[test]
    fn block_tree_knows_nesting() {
        let text = "kernel @k(%0 \"n\": i32) {
  %1 = const 0 : i32
  %2 = const 1 : i32
  for %3 = %1 to %0 step %2 {
    %4 = cmp lt %3, %0 : bool
    if %4 {
      yield
    } else {
      yield
    }
    yield
  } @1:1
  return
}
";
        let module = parse_module(text).expect("parses");
        let func = &module.functions[0];
        let tree = BlockTree::new(func);
        assert_eq!(tree.blocks.len(), 4);
        let [body, loop_body, then_block, _] = tree.blocks[..] else { panic!("4 blocks") };
        assert!(tree.is_within(then_block, loop_body));
        assert!(tree.is_within(then_block, body));
        assert!(!tree.is_within(loop_body, then_block));
        assert_eq!(count_ops(func), 9);
    }
}
