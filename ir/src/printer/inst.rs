//! Printing of one instruction: result names, mnemonic, operands, owned blocks,
//! result types and source location.

use super::{literal, op_has_loc, op_mnemonic, Numbering, Printer};
use crate::function::{Block, Inst, Loc, Value};
use crate::ops::Op;
use crate::types::ScalarType;

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
        self.operands(&data.op, &data.results, depth);
        if !data.results.is_empty() {
            let types: Vec<String> = data.results.iter().map(|&r| self.value_type(r)).collect();
            self.out.push_str(" : ");
            self.out.push_str(&types.join(", "));
        }
        let loc = func.loc(inst);
        if op_has_loc(&data.op) && loc != Loc::default() {
            self.out.push_str(&format!(" @{}:{}", loc.line, loc.col));
        }
        if self.options.numbering == Numbering::Arena {
            self.out.push_str(&format!("  // inst{}", inst.0));
        }
        self.out.push('\n');
    }

    /// Prints everything between the mnemonic and the result types.
    fn operands(&mut self, op: &Op, results: &[Value], depth: usize) {
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
            Op::Reduce { op, arg, axis } => {
                format!(" {} {}, axis {axis}", op.name(), self.value_name(*arg))
            }
            Op::Scan { op, arg, axis } => {
                format!(" {} {}, axis {axis}", op.name(), self.value_name(*arg))
            }
            Op::Load { ptr, mask, other } => {
                let mut text = format!(" {}", self.value_name(*ptr));
                text.push_str(&self.keyword_operand("mask", *mask));
                text.push_str(&self.keyword_operand("other", *other));
                text
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
                self.for_header(&[*lower, *upper, *step], inits, *body);
                self.out.push(' ');
                self.nested_block(*body, depth);
                return;
            }
            Op::While { inits, cond, body } => {
                self.while_op(inits, *cond, *body, depth);
                return;
            }
            Op::If { cond, then_block, else_block } => {
                self.out.push_str(&format!(" {} ", self.value_name(*cond)));
                self.nested_block(*then_block, depth);
                self.out.push_str(" else ");
                self.nested_block(*else_block, depth);
                return;
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
        self.out.push_str(&text);
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

    /// ` %iv = %lo to %hi step %st iter(%a = %init, …)`.
    fn for_header(&mut self, bounds: &[Value; 3], inits: &[Value], body: Block) {
        let args = self.block_args(body);
        let iv = args.first().map(|&a| self.value_name(a)).unwrap_or_else(|| "%?".into());
        let [lower, upper, step] = bounds.map(|v| self.value_name(v));
        self.out.push_str(&format!(" {iv} = {lower} to {upper} step {step}"));
        let carried = args.get(1..).unwrap_or(&[]);
        self.iter_list(carried, inits);
    }

    /// ` iter(%arg = %init, …)`, or nothing when no values are carried. A count
    /// mismatch (a malformed function) prints `%?` for the missing side.
    fn iter_list(&mut self, args: &[Value], inits: &[Value]) {
        if args.is_empty() && inits.is_empty() {
            return;
        }
        let pairs: Vec<String> = (0..args.len().max(inits.len()))
            .map(|i| {
                let name = |v: Option<&Value>| match v {
                    Some(&v) => self.value_name(v),
                    None => "%?".to_string(),
                };
                format!("{} = {}", name(args.get(i)), name(inits.get(i)))
            })
            .collect();
        self.out.push_str(&format!(" iter({})", pairs.join(", ")));
    }

    /// ` iter(…) { cond } do (%args) { body }`.
    fn while_op(&mut self, inits: &[Value], cond: Block, body: Block, depth: usize) {
        let cond_args = self.block_args(cond);
        self.iter_list(cond_args, inits);
        self.out.push(' ');
        self.nested_block(cond, depth);
        self.out.push_str(" do ");
        let body_args = self.block_args(body);
        if !body_args.is_empty() {
            self.out.push_str(&format!("({}) ", self.value_list(body_args)));
        }
        self.nested_block(body, depth);
    }
}
