//! The IR text printer: stable, MLIR-like text for modules and functions.
//!
//! The grammar is documented in [`crate::text`], whose parser reads this output back;
//! print → parse → print is the identity on verified functions. Values are renumbered
//! densely in print order (parameters, then results and block arguments as the walk
//! meets them), so the text does not depend on arena history; blocks are printed
//! nested inside the op that owns them. Source locations are printed only for ops that
//! can fail at run time (see [`op_has_loc`]).
//!
//! The printer never panics, even on a malformed function (it is what a verifier
//! failure is debugged with): dangling handles print as `<invalid …>`, a block reached
//! a second time as `<block ^bbN printed above>`, and values it cannot number as
//! `%?N` (arena index). The parser rejects all three.

mod inst;
mod literal;

use crate::entity::EntityRef;
use crate::function::{Block, Function, FunctionKind, Module, Value};
use crate::ops::Op;

pub(crate) use literal::{sign_extend, CANONICAL_NAN_BITS};

/// How the printer names values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Numbering {
    /// `%0, %1, …` in print order, independent of arena history (the default).
    #[default]
    Dense,
    /// `%N` is the value's arena index and every instruction line ends in
    /// `// instN`, matching the entity names in verifier messages.
    Arena,
}

/// Printer settings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PrintOptions {
    pub numbering: Numbering,
}

/// Prints every function of `module`, separated by blank lines.
pub fn print_module(module: &Module) -> String {
    print_module_with(module, &PrintOptions::default())
}

/// Prints every function of `module` with `options`.
pub fn print_module_with(module: &Module, options: &PrintOptions) -> String {
    let mut out = String::new();
    for (index, func) in module.functions.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        out.push_str(&print_function_with(func, options));
    }
    out
}

/// Prints one function (ending in a newline).
pub fn print_function(func: &Function) -> String {
    print_function_with(func, &PrintOptions::default())
}

/// Prints one function with `options`.
pub fn print_function_with(func: &Function, options: &PrintOptions) -> String {
    let mut printer = Printer::new(func, options);
    printer.function();
    printer.out
}

/// The mnemonic that starts `op` in the text form (`"add"`, `"reduce"`, `"for"`).
pub fn op_mnemonic(op: &Op) -> &'static str {
    match op {
        Op::Const { .. } => "const",
        Op::ProgramId { .. } => "program_id",
        Op::NumPrograms { .. } => "num_programs",
        Op::Arange { .. } => "arange",
        Op::Splat { .. } => "splat",
        Op::ExpandDims { .. } => "expand_dims",
        Op::Broadcast { .. } => "broadcast",
        Op::Reshape { .. } => "reshape",
        Op::Trans { .. } => "trans",
        Op::Unary { op, .. } => op.name(),
        Op::Binary { op, .. } => op.name(),
        Op::Cmp { .. } => "cmp",
        Op::Select { .. } => "select",
        Op::Cast { .. } => "cast",
        Op::PtrAdd { .. } => "ptr_add",
        Op::Reduce { .. } => "reduce",
        Op::Scan { .. } => "scan",
        Op::Dot { .. } => "dot",
        Op::Fma { .. } => "fma",
        Op::Load { .. } => "load",
        Op::Store { .. } => "store",
        Op::Atomic { .. } => "atomic",
        Op::Call { .. } => "call",
        Op::For { .. } => "for",
        Op::While { .. } => "while",
        Op::If { .. } => "if",
        Op::Yield { .. } => "yield",
        Op::Condition { .. } => "condition",
        Op::Return { .. } => "return",
        Op::Assert { .. } => "assert",
    }
}

/// Whether the text form carries a source location (`@LINE:COL`) for `op`: exactly
/// the ops that can fail at run time (memory accesses, asserts, and `for`, whose step
/// is checked).
pub fn op_has_loc(op: &Op) -> bool {
    match op {
        Op::Load { .. } | Op::Store { .. } | Op::Atomic { .. } | Op::Assert { .. } => true,
        Op::For { .. } => true,
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
        | Op::Call { .. }
        | Op::While { .. }
        | Op::If { .. }
        | Op::Yield { .. }
        | Op::Condition { .. }
        | Op::Return { .. } => false,
    }
}

/// Printing state for one function: the value numbering and the output buffer.
struct Printer<'a> {
    func: &'a Function,
    options: &'a PrintOptions,
    /// Dense number of each value (by arena index), assigned in print order.
    numbers: Vec<Option<u32>>,
    /// Blocks already printed, so a block owned twice cannot make the printer loop.
    printed: Vec<bool>,
    out: String,
}

impl<'a> Printer<'a> {
    fn new(func: &'a Function, options: &'a PrintOptions) -> Printer<'a> {
        let mut printer = Printer {
            func,
            options,
            numbers: vec![None; func.values.len()],
            printed: vec![false; func.blocks.len()],
            out: String::new(),
        };
        let mut next = 0;
        let mut numbered = vec![false; func.blocks.len()];
        printer.number_block(func.body, &mut next, &mut numbered);
        printer
    }

    /// Numbers the arguments of `block`, then each instruction's results followed by
    /// the blocks it owns: exactly the order in which the text mentions definitions.
    fn number_block(&mut self, block: Block, next: &mut u32, numbered: &mut [bool]) {
        let Some(data) = self.func.blocks.get(block) else { return };
        if std::mem::replace(&mut numbered[block.index()], true) {
            return;
        }
        for &arg in &data.args {
            self.number_value(arg, next);
        }
        for &inst in &data.insts {
            let Some(inst_data) = self.func.insts.get(inst) else { continue };
            for &result in &inst_data.results {
                self.number_value(result, next);
            }
            for owned in inst_data.op.blocks() {
                self.number_block(owned, next, numbered);
            }
        }
    }

    fn number_value(&mut self, value: Value, next: &mut u32) {
        if let Some(slot @ None) = self.numbers.get_mut(value.index()) {
            *slot = Some(*next);
            *next += 1;
        }
    }

    /// The printed name of `value`.
    fn value_name(&self, value: Value) -> String {
        let valid = self.func.values.is_valid(value);
        match (self.options.numbering, self.numbers.get(value.index()).copied().flatten()) {
            (Numbering::Arena, _) if valid => format!("%{}", value.0),
            (Numbering::Dense, Some(number)) if valid => format!("%{number}"),
            (Numbering::Arena | Numbering::Dense, _) => format!("%?{}", value.0),
        }
    }

    fn value_list(&self, values: &[Value]) -> String {
        values.iter().map(|&v| self.value_name(v)).collect::<Vec<_>>().join(", ")
    }

    fn value_type(&self, value: Value) -> String {
        match self.func.values.get(value) {
            Some(data) => data.ty.to_string(),
            None => format!("<invalid value {}>", value.0),
        }
    }

    fn indent(&mut self, depth: usize) {
        for _ in 0..depth {
            self.out.push_str("  ");
        }
    }

    fn function(&mut self) {
        let func = self.func;
        let keyword = match func.kind {
            FunctionKind::Kernel => "kernel",
            FunctionKind::Helper => "fn",
        };
        self.out.push_str(keyword);
        self.out.push(' ');
        self.out.push_str(&literal::symbol(&func.name));
        self.params();
        if func.kind == FunctionKind::Helper || !func.result_types.is_empty() {
            let types: Vec<String> = func.result_types.iter().map(|t| t.to_string()).collect();
            self.out.push_str(&format!(" -> ({})", types.join(", ")));
        }
        if !func.specialization.is_empty() {
            let specs: Vec<String> = func
                .specialization
                .iter()
                .map(|(name, value)| format!("{} = {value}", literal::spec_name(name)))
                .collect();
            self.out.push_str(&format!(" [{}]", specs.join(", ")));
        }
        self.out.push_str(" {\n");
        self.block_contents(func.body, 1);
        self.out.push_str("}\n");
    }

    fn params(&mut self) {
        let func = self.func;
        let args = func.blocks.get(func.body).map(|b| b.args.as_slice()).unwrap_or(&[]);
        let mut parts = Vec::new();
        for (index, &arg) in args.iter().enumerate() {
            let name = match func.param_names.get(index) {
                Some(name) => format!(" {}", literal::quote(name)),
                None => String::new(),
            };
            parts.push(format!("{}{name}: {}", self.value_name(arg), self.value_type(arg)));
        }
        self.out.push_str(&format!("({})", parts.join(", ")));
    }

    /// Prints the instructions of `block`, each on its own line at `depth`.
    fn block_contents(&mut self, block: Block, depth: usize) {
        let Some(data) = self.func.blocks.get(block) else {
            self.indent(depth);
            self.out.push_str(&format!("<invalid block ^bb{}>\n", block.0));
            return;
        };
        if std::mem::replace(&mut self.printed[block.index()], true) {
            self.indent(depth);
            self.out.push_str(&format!("<block ^bb{} printed above>\n", block.0));
            return;
        }
        for &inst in &data.insts {
            self.inst(inst, depth);
        }
    }

    /// Prints `{`, the contents of `block` one level deeper, and `}` at `depth`.
    fn nested_block(&mut self, block: Block, depth: usize) {
        self.out.push_str("{\n");
        self.block_contents(block, depth + 1);
        self.indent(depth);
        self.out.push('}');
    }

    /// The arguments of `block` (empty for a dangling handle).
    fn block_args(&self, block: Block) -> &'a [Value] {
        let func = self.func;
        func.blocks.get(block).map(|b| b.args.as_slice()).unwrap_or(&[])
    }
}
