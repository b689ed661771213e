//! Modules, functions, blocks, instructions and values: the arena-based SSA skeleton.
//!
//! A [`Function`] owns three arenas: values, instructions and blocks. The function body
//! is a [`Block`] whose arguments are the function's parameters. Every value is defined
//! exactly once, either as an instruction result or as a block argument; operands come
//! before their users in block order (so conversion to and from egg's `RecExpr` is one
//! linear walk). Source locations live in a side table beside the instruction arena.

use crate::entity::Arena;
use crate::ops::Op;
use crate::types::Type;

crate::entity!(
    /// An SSA value.
    Value,
    "%"
);
crate::entity!(
    /// An instruction (one [`Op`] and its results).
    Inst,
    "inst"
);
crate::entity!(
    /// A block: arguments and a list of instructions ending in a terminator.
    Block,
    "^bb"
);

/// A source position (1-based line and column) kept for runtime error messages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Loc {
    pub line: u32,
    pub col: u32,
}

/// Where a value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueDef {
    /// Result number `1` of instruction `0`.
    Result(Inst, u32),
    /// Argument number `1` of block `0`.
    BlockArg(Block, u32),
}

/// A value's type and definition.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ValueData {
    pub ty: Type,
    pub def: ValueDef,
}

/// An instruction: the op and the values it defines.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct InstData {
    pub op: Op,
    pub results: Vec<Value>,
}

/// A block: its arguments and its instructions in order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct BlockData {
    pub args: Vec<Value>,
    pub insts: Vec<Inst>,
}

/// Whether a function is a launchable kernel or a helper called from kernels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FunctionKind {
    Kernel,
    Helper,
}

/// One function of a module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Function {
    pub name: String,
    pub kind: FunctionKind,
    /// Source names of the parameters (the body block's arguments), for messages.
    pub param_names: Vec<String>,
    /// Types a helper returns (empty for kernels).
    pub result_types: Vec<Type>,
    /// Const parameters this kernel was specialized with, in declaration order.
    pub specialization: Vec<(String, i64)>,
    pub values: Arena<Value, ValueData>,
    pub insts: Arena<Inst, InstData>,
    pub blocks: Arena<Block, BlockData>,
    /// Source location of each instruction, indexed like `insts` (may be default).
    pub locs: Vec<Loc>,
    pub body: Block,
}

impl Function {
    /// An empty function whose body block takes parameters of `param_types`.
    pub fn new(name: &str, kind: FunctionKind, params: &[(String, Type)]) -> Function {
        let mut blocks = Arena::new();
        let body = blocks.push(BlockData::default());
        let mut func = Function {
            name: name.to_string(),
            kind,
            param_names: params.iter().map(|(n, _)| n.clone()).collect(),
            result_types: Vec::new(),
            specialization: Vec::new(),
            values: Arena::new(),
            insts: Arena::new(),
            blocks,
            locs: Vec::new(),
            body,
        };
        for (_, ty) in params {
            func.append_block_arg(body, ty.clone());
        }
        func
    }

    /// The function's parameters (the body block's arguments).
    pub fn params(&self) -> &[Value] {
        &self.blocks[self.body].args
    }

    /// The type of `value`.
    pub fn value_type(&self, value: Value) -> &Type {
        &self.values[value].ty
    }

    /// Source location of `inst` (default when unknown).
    pub fn loc(&self, inst: Inst) -> Loc {
        self.locs.get(inst.0 as usize).copied().unwrap_or_default()
    }

    /// Creates a new empty block (not yet owned by any op).
    pub fn create_block(&mut self) -> Block {
        self.blocks.push(BlockData::default())
    }

    /// Appends an argument of type `ty` to `block` and returns it.
    pub fn append_block_arg(&mut self, block: Block, ty: Type) -> Value {
        let index = self.blocks[block].args.len() as u32;
        let value = self.values.push(ValueData { ty, def: ValueDef::BlockArg(block, index) });
        self.blocks[block].args.push(value);
        value
    }

    /// Creates an instruction with results of `result_types`, appends it to `block`
    /// and returns it.
    pub fn append_inst(&mut self, block: Block, op: Op, result_types: Vec<Type>, loc: Loc) -> Inst {
        let inst = self.create_inst(op, result_types, loc);
        self.blocks[block].insts.push(inst);
        inst
    }

    /// Creates an instruction that is not yet placed in any block.
    pub fn create_inst(&mut self, op: Op, result_types: Vec<Type>, loc: Loc) -> Inst {
        let inst = self.insts.push(InstData { op, results: Vec::new() });
        if self.locs.len() < self.insts.len() {
            self.locs.resize(self.insts.len(), Loc::default());
        }
        self.locs[inst.0 as usize] = loc;
        for (i, ty) in result_types.into_iter().enumerate() {
            let value = self.values.push(ValueData { ty, def: ValueDef::Result(inst, i as u32) });
            self.insts[inst].results.push(value);
        }
        inst
    }

    /// The single result of `inst`; panics if it has not exactly one (a compiler bug).
    pub fn result(&self, inst: Inst) -> Value {
        let results = &self.insts[inst].results;
        assert_eq!(results.len(), 1, "{inst} has {} results", results.len());
        results[0]
    }

    /// Visits every block reachable from the body in pre-order (parents before the
    /// blocks their ops own), with instructions in order. Each block is visited once,
    /// so a malformed ownership cycle cannot loop; dangling handles are skipped.
    pub fn walk_blocks(&self) -> Vec<Block> {
        let mut order = Vec::new();
        let mut seen = vec![false; self.blocks.len()];
        let mut stack = vec![self.body];
        while let Some(block) = stack.pop() {
            if !self.blocks.is_valid(block) || std::mem::replace(&mut seen[block.0 as usize], true)
            {
                continue;
            }
            order.push(block);
            let mut children = Vec::new();
            for &inst in &self.blocks[block].insts {
                if let Some(data) = self.insts.get(inst) {
                    children.extend(data.op.blocks());
                }
            }
            stack.extend(children.into_iter().rev());
        }
        order
    }
}

/// A compilation unit: kernels and the helpers they call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Module {
    pub functions: Vec<Function>,
}

impl Module {
    /// The function called `name`.
    pub fn function(&self, name: &str) -> Option<&Function> {
        self.functions.iter().find(|f| f.name == name)
    }

    /// The kernels of the module, in order.
    pub fn kernels(&self) -> impl Iterator<Item = &Function> {
        self.functions.iter().filter(|f| f.kind == FunctionKind::Kernel)
    }
}
