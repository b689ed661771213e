//! Printing of one instruction: result names, mnemonic, operands, owned blocks,
//! result types and source location.
//!
//! Nested blocks recurse through [`Printer::inst`], so it keeps a small stack frame:
//! the op-specific text is built by [`Printer::tail`], which returns before any block
//! is printed.

use super::{literal, op_has_loc, op_mnemonic, Numbering, Printer};
use crate::function::{Block, Inst, Loc, Value};
use crate::ops::Op;
use crate::types::ScalarType;

/// What follows an op's mnemonic: `head`, then each owned block (in braces)
/// followed by its text.
struct Tail {
    head: String,
    blocks: Vec<(Block, String)>,
}

impl Tail {
    fn text(head: String) -> Tail {
        Tail { head, blocks: Vec::new() }
    }
}

impl Printer<'_> {
    /// Prints `inst` on its own line(s) at `depth`.
    pub(super) fn inst(&mut self, inst: Inst, depth: usize) {
        self.indent(depth);
        let func = self.func;
        let Some(data) = func.insts.get(inst) else {
            self.out.push_str(&format!("<invalid inst {}>\n", inst.0));
            return;
        };
        if !data.results.is_empty() {
            let names = self.value_list(&data.results);
            self.out.push_str(&names);
            self.out.push_str(" = ");
        }
        self.out.push_str(op_mnemonic(&data.op));
        let tail = self.tail(&data.op, &data.results);
        self.out.push_str(&tail.head);
        for (block, after) in tail.blocks {
            self.nested_block(block, depth);
            self.out.push_str(&after);
        }
        let trailer = self.trailer(inst);
        self.out.push_str(&trailer);
    }

    /// ` : types @line:col  // instN` and the newline.
    fn trailer(&self, inst: Inst) -> String {
        let func = self.func;
        let mut out = String::new();
        let Some(data) = func.insts.get(inst) else { return out };
        if !data.results.is_empty() {
            let types: Vec<String> = data.results.iter().map(|&r| self.value_type(r)).collect();
            out.push_str(" : ");
            out.push_str(&types.join(", "));
        }
        let loc = func.loc(inst);
        if op_has_loc(&data.op) && loc != Loc::default() {
            out.push_str(&format!(" @{}:{}", loc.line, loc.col));
        }
        if self.options.numbering == Numbering::Arena {
            out.push_str(&format!("  // inst{}", inst.0));
        }
        out.push('\n');
        out
    }

    /// Everything between the mnemonic and the result types.
    fn tail(&self, op: &Op, results: &[Value]) -> Tail {
        let text = match op {
            Op::Const { value } => format!(" {}", literal::constant(*value, self.scalar(results))),
            Op::ProgramId { axis } | Op::NumPrograms { axis } => format!(" {axis}"),
            Op::Arange { start, end } => format!(" {start}, {end}"),
            Op::Splat { value: arg }
            | Op::Broadcast { arg }
            | Op::Reshape { arg }
            | Op::Cast { arg }
            | Op::Unary { arg, .. } => format!(" {}", self.value_name(*arg)),
            Op::ExpandDims { arg, axis } => format!(" {}, axis {axis}", self.value_name(*arg)),
            Op::Trans { arg, perm } => {
                let perm: Vec<String> = perm.iter().map(|p| p.to_string()).collect();
                format!(" {}, [{}]", self.value_name(*arg), perm.join(", "))
            }
            Op::Binary { lhs, rhs, .. } | Op::PtrAdd { ptr: lhs, offset: rhs } => {
                format!(" {}", self.value_list(&[*lhs, *rhs]))
            }
            Op::Cmp { pred, lhs, rhs } => {
                format!(" {} {}", pred.name(), self.value_list(&[*lhs, *rhs]))
            }
            Op::Select { cond, on_true, on_false } => {
                format!(" {}", self.value_list(&[*cond, *on_true, *on_false]))
            }
            Op::Dot { a, b, acc } => format!(" {}", self.value_list(&[*a, *b, *acc])),
            Op::Fma { a, b, c } => format!(" {}", self.value_list(&[*a, *b, *c])),
            Op::Reduce { op, arg, axis } => {
                format!(" {} {}, axis {axis}", op.name(), self.value_name(*arg))
            }
            Op::Scan { op, arg, axis } => {
                format!(" {} {}, axis {axis}", op.name(), self.value_name(*arg))
            }
            Op::Load { ptr, mask, other } => {
                let mask = self.keyword_operand("mask", *mask);
                let other = self.keyword_operand("other", *other);
                format!(" {}{mask}{other}", self.value_name(*ptr))
            }
            Op::Store { ptr, value, mask } => {
                let mask = self.keyword_operand("mask", *mask);
                format!(" {}{mask}", self.value_list(&[*ptr, *value]))
            }
            Op::Atomic { op, ptr, value, mask } => {
                let mask = self.keyword_operand("mask", *mask);
                format!(" {} {}{mask}", op.name(), self.value_list(&[*ptr, *value]))
            }
            Op::Call { callee, args } => {
                format!(" {}({})", literal::symbol(callee), self.value_list(args))
            }
            Op::For { lower, upper, step, inits, body } => {
                return self.for_tail(&[*lower, *upper, *step], inits, *body)
            }
            Op::While { inits, cond, body } => return self.while_tail(inits, *cond, *body),
            Op::If { cond, then_block, else_block } => {
                let head = format!(" {} ", self.value_name(*cond));
                let blocks = vec![(*then_block, " else ".into()), (*else_block, String::new())];
                return Tail { head, blocks };
            }
            Op::Yield { values } | Op::Return { values } if values.is_empty() => String::new(),
            Op::Yield { values } | Op::Return { values } => {
                format!(" {}", self.value_list(values))
            }
            Op::Condition { cond } => format!(" {}", self.value_name(*cond)),
            Op::Assert { cond, message } => {
                format!(" {}, {}", self.value_name(*cond), literal::quote(message))
            }
        };
        Tail::text(text)
    }

    /// `, mask %7` for an optional operand, or nothing.
    fn keyword_operand(&self, keyword: &str, value: Option<Value>) -> String {
        match value {
            Some(value) => format!(", {keyword} {}", self.value_name(value)),
            None => String::new(),
        }
    }

    /// The scalar type of the first result, which gives a constant its width.
    fn scalar(&self, results: &[Value]) -> Option<ScalarType> {
        let first = results.first()?;
        self.func.values.get(*first)?.ty.scalar_type()
    }

    /// ` %iv = %lo to %hi step %st iter(%a = %init, …) { body }`.
    fn for_tail(&self, bounds: &[Value; 3], inits: &[Value], body: Block) -> Tail {
        let args = self.block_args(body);
        let iv = args.first().map(|&a| self.value_name(a)).unwrap_or_else(|| "%?".into());
        let [lower, upper, step] = bounds.map(|v| self.value_name(v));
        let carried = args.get(1..).unwrap_or(&[]);
        let iter = self.iter_list(carried, inits);
        let head = format!(" {iv} = {lower} to {upper} step {step}{iter} ");
        Tail { head, blocks: vec![(body, String::new())] }
    }

    /// ` iter(%arg = %init, …)`, or nothing when no values are carried. A count
    /// mismatch (a malformed function) prints `%?` for the missing side.
    fn iter_list(&self, args: &[Value], inits: &[Value]) -> String {
        if args.is_empty() && inits.is_empty() {
            return String::new();
        }
        let name = |v: Option<&Value>| match v {
            Some(&v) => self.value_name(v),
            None => "%?".to_string(),
        };
        let pairs: Vec<String> = (0..args.len().max(inits.len()))
            .map(|i| format!("{} = {}", name(args.get(i)), name(inits.get(i))))
            .collect();
        format!(" iter({})", pairs.join(", "))
    }

    /// ` iter(…) { cond } do (%args) { body }`.
    fn while_tail(&self, inits: &[Value], cond: Block, body: Block) -> Tail {
        let head = format!("{} ", self.iter_list(self.block_args(cond), inits));
        let body_args = self.block_args(body);
        let between = if body_args.is_empty() {
            " do ".to_string()
        } else {
            format!(" do ({}) ", self.value_list(body_args))
        };
        Tail { head, blocks: vec![(cond, between), (body, String::new())] }
    }
}
