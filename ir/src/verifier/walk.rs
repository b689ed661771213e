//! The verifier's walk over one function: structure (S1–S5) and scoping (D1), with
//! the per-op type rules ([`super::rules`]) run on every instruction reached.
//!
//! The walk visits blocks in pre-order from the body, marking each block and
//! instruction as it is reached, so a block owned twice (or a cycle of ownership) is
//! reported instead of followed. A value is in scope from its definition to the end
//! of its block.

use super::{IrEntity, VerifierDiagnostic, MAX_NESTING};
use crate::entity::EntityRef;
use crate::function::{Block, Function, FunctionKind, Inst, InstData, Module, Value, ValueDef};
use crate::ops::Op;
use crate::printer::op_mnemonic;

/// What owns a block, which decides the terminator it must end with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum BlockRole {
    FunctionBody,
    ForBody,
    WhileCond,
    WhileBody,
    IfThen,
    IfElse,
}

impl BlockRole {
    /// The mnemonic of the terminator this block must end with.
    fn terminator(self) -> &'static str {
        match self {
            BlockRole::FunctionBody => "return",
            BlockRole::WhileCond => "condition",
            BlockRole::ForBody | BlockRole::WhileBody | BlockRole::IfThen | BlockRole::IfElse => {
                "yield"
            }
        }
    }

    fn describe(self) -> &'static str {
        match self {
            BlockRole::FunctionBody => "the function body",
            BlockRole::ForBody => "a `for` body",
            BlockRole::WhileCond => "a `while` condition",
            BlockRole::WhileBody => "a `while` body",
            BlockRole::IfThen => "an `if` then-branch",
            BlockRole::IfElse => "an `if` else-branch",
        }
    }
}

/// The blocks `op` owns, each with its role.
pub(super) fn owned_blocks(op: &Op) -> Vec<(Block, BlockRole)> {
    match op {
        Op::For { body, .. } => vec![(*body, BlockRole::ForBody)],
        Op::While { cond, body, .. } => {
            vec![(*cond, BlockRole::WhileCond), (*body, BlockRole::WhileBody)]
        }
        Op::If { then_block, else_block, .. } => {
            vec![(*then_block, BlockRole::IfThen), (*else_block, BlockRole::IfElse)]
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
        | Op::Assert { .. } => Vec::new(),
    }
}

/// Checks `func` (see the invariants in [`super`]) and returns every error found.
pub(super) fn check_function(func: &Function, module: Option<&Module>) -> Vec<VerifierDiagnostic> {
    let mut walker = Walker {
        func,
        module,
        errors: Vec::new(),
        block_reached: vec![false; func.blocks.len()],
        inst_reached: vec![false; func.insts.len()],
        in_scope: vec![false; func.values.len()],
    };
    walker.signature();
    if func.blocks.is_valid(func.body) {
        walker.block_reached[func.body.index()] = true;
        walker.block(func.body, BlockRole::FunctionBody, 0);
    } else {
        let message = format!("the body block {} does not exist", func.body);
        walker.error(IrEntity::Function, message);
    }
    walker.errors
}

/// Names of the functions `func` calls from instructions reachable from its body.
pub(super) fn callees(func: &Function) -> Vec<String> {
    let mut names = Vec::new();
    let mut reached = vec![false; func.blocks.len()];
    let mut stack = vec![func.body];
    while let Some(block) = stack.pop() {
        let Some(data) = func.blocks.get(block) else { continue };
        if std::mem::replace(&mut reached[block.index()], true) {
            continue;
        }
        for inst in data.insts.iter().filter_map(|&inst| func.insts.get(inst)) {
            if let Op::Call { callee, .. } = &inst.op {
                names.push(callee.clone());
            }
            stack.extend(inst.op.blocks());
        }
    }
    names
}

/// Walk state for one function.
pub(super) struct Walker<'a> {
    pub(super) func: &'a Function,
    pub(super) module: Option<&'a Module>,
    errors: Vec<VerifierDiagnostic>,
    block_reached: Vec<bool>,
    inst_reached: Vec<bool>,
    /// Whether each value (by arena index) is defined and visible at this point.
    in_scope: Vec<bool>,
}

impl<'a> Walker<'a> {
    pub(super) fn error(&mut self, entity: IrEntity, message: String) {
        let function = self.func.name.clone();
        self.errors.push(VerifierDiagnostic { function, entity, message });
    }

    /// The entity for `inst`, with its mnemonic when it exists.
    pub(super) fn inst_entity(&self, inst: Inst) -> IrEntity {
        let mnemonic = self.func.insts.get(inst).map_or("?", |data| op_mnemonic(&data.op));
        IrEntity::Inst(inst, mnemonic)
    }

    /// S5.
    fn signature(&mut self) {
        let func = self.func;
        let n_params = func.blocks.get(func.body).map(|body| body.args.len());
        if let Some(n_params) = n_params.filter(|&n| n != func.param_names.len()) {
            let message =
                format!("has {} parameter names for {n_params} parameters", func.param_names.len());
            self.error(IrEntity::Function, message);
        }
        if func.kind == FunctionKind::Kernel && !func.result_types.is_empty() {
            self.error(IrEntity::Function, "is a kernel but has result types".into());
        }
    }

    /// Checks `block` (already marked reached) and everything nested in it.
    fn block(&mut self, block: Block, role: BlockRole, depth: usize) {
        let func = self.func;
        let Some(data) = func.blocks.get(block) else { return };
        let mut defined = Vec::new();
        for (index, &arg) in data.args.iter().enumerate() {
            let def = ValueDef::BlockArg(block, index as u32);
            self.define(arg, def, IrEntity::Block(block), &mut defined);
        }
        for (position, &inst) in data.insts.iter().enumerate() {
            let is_last = position + 1 == data.insts.len();
            self.inst(block, inst, is_last, depth, &mut defined);
        }
        self.terminator(block, role);
        for value in defined {
            self.in_scope[value.index()] = false;
        }
    }

    /// S2, D1, S4 (position), S1 for owned blocks, S3 for results, then types.
    fn inst(
        &mut self,
        block: Block,
        inst: Inst,
        is_last: bool,
        depth: usize,
        defined: &mut Vec<Value>,
    ) {
        let func = self.func;
        let Some(data) = func.insts.get(inst) else {
            let message = format!("holds {inst}, which does not exist");
            self.error(IrEntity::Block(block), message);
            return;
        };
        let entity = self.inst_entity(inst);
        if std::mem::replace(&mut self.inst_reached[inst.index()], true) {
            let message = format!("is placed in more than one block (again in {block})");
            self.error(entity, message);
            return;
        }
        let operands_ok = self.operands_in_scope(inst, data);
        if data.op.is_terminator() && !is_last {
            let message = format!("is a terminator but not the last instruction of {block}");
            self.error(entity, message);
        }
        let blocks_ok = self.owned(inst, data, depth);
        let mut results_ok = true;
        for (index, &result) in data.results.iter().enumerate() {
            let def = ValueDef::Result(inst, index as u32);
            results_ok &= self.define(result, def, entity, defined);
        }
        if operands_ok && results_ok && blocks_ok {
            if let Err(message) = self.op_rule(&data.op, &data.results) {
                self.error(entity, message);
            }
        }
    }

    /// D1 for the operands of `inst`; false when one does not exist.
    fn operands_in_scope(&mut self, inst: Inst, data: &InstData) -> bool {
        let mut all_exist = true;
        for operand in data.op.operands() {
            let entity = self.inst_entity(inst);
            let Some(value_data) = self.func.values.get(operand) else {
                self.error(entity, format!("uses {operand}, which does not exist"));
                all_exist = false;
                continue;
            };
            if !self.in_scope[operand.index()] {
                let origin = match value_data.def {
                    ValueDef::Result(def_inst, _) => format!("a result of {def_inst}"),
                    ValueDef::BlockArg(def_block, _) => format!("an argument of {def_block}"),
                };
                let message =
                    format!("uses {operand} ({origin}), which is not defined before it in scope");
                self.error(entity, message);
            }
        }
        all_exist
    }

    /// S1 for the blocks `inst` owns, recursing into each; false when one is unusable.
    fn owned(&mut self, inst: Inst, data: &InstData, depth: usize) -> bool {
        let mut all_ok = true;
        for (owned, role) in owned_blocks(&data.op) {
            let entity = self.inst_entity(inst);
            let problem = if !self.func.blocks.is_valid(owned) {
                Some(format!("owns {owned}, which does not exist"))
            } else if owned == self.func.body {
                Some(format!("owns {owned}, the function body"))
            } else if self.block_reached[owned.index()] {
                Some(format!("owns {owned}, which is already owned by another op"))
            } else if depth + 1 > MAX_NESTING {
                Some(format!("owns {owned}, nested deeper than {MAX_NESTING} blocks"))
            } else {
                None
            };
            if let Some(message) = problem {
                self.error(entity, message);
                all_ok = false;
                continue;
            }
            self.block_reached[owned.index()] = true;
            self.block(owned, role, depth + 1);
        }
        all_ok
    }

    /// S3 for one definition, then brings the value into scope. False when the value
    /// does not exist.
    fn define(
        &mut self,
        value: Value,
        def: ValueDef,
        owner: IrEntity,
        defined: &mut Vec<Value>,
    ) -> bool {
        let Some(data) = self.func.values.get(value) else {
            self.error(owner, format!("defines {value}, which does not exist"));
            return false;
        };
        if data.def != def {
            let message = format!(
                "is defined as {} but its value table entry says {}",
                describe_def(def),
                describe_def(data.def)
            );
            self.error(IrEntity::Value(value), message);
        }
        if !std::mem::replace(&mut self.in_scope[value.index()], true) {
            defined.push(value);
        }
        true
    }

    /// S4: `block` ends in the terminator its role expects.
    fn terminator(&mut self, block: Block, role: BlockRole) {
        let func = self.func;
        let Some(&last) = func.blocks.get(block).and_then(|data| data.insts.last()) else {
            let message =
                format!("is empty; {} must end in `{}`", role.describe(), role.terminator());
            self.error(IrEntity::Block(block), message);
            return;
        };
        let Some(data) = func.insts.get(last) else { return };
        let mnemonic = op_mnemonic(&data.op);
        if mnemonic != role.terminator() {
            let ends =
                if data.op.is_terminator() { "ends" } else { "is not a terminator but ends" };
            let message = format!(
                "{ends} {} ({block}), which must end in `{}`",
                role.describe(),
                role.terminator()
            );
            self.error(self.inst_entity(last), message);
        }
    }
}

fn describe_def(def: ValueDef) -> String {
    match def {
        ValueDef::Result(inst, index) => format!("result {index} of {inst}"),
        ValueDef::BlockArg(block, index) => format!("argument {index} of {block}"),
    }
}
