//! Parsing one instruction: result names, the op and its operands (including the
//! blocks of `for`/`while`/`if`), result types and source location.

use super::cursor::Cursor;
use super::function::FnParser;
use super::lexer::{Tok, Token};
use super::literal::{self, Literal};
use super::TextError;
use crate::function::{Block, Loc, Value};
use crate::ops::{AtomicOp, BinaryOp, CmpPred, Constant, Op, ReduceOp, ScanOp, UnaryOp};
use crate::printer::op_has_loc;
use crate::types::Type;

/// How many results an op must have.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Arity {
    Exactly(usize),
    /// Calls and `if`: as many as the result types list.
    Any,
}

/// An op as read, before the result types are known.
struct ParsedOp {
    op: Op,
    arity: Arity,
    /// The literal of a `const`, converted once its result type is read.
    literal: Option<(Literal, Token)>,
}

impl ParsedOp {
    fn new(op: Op, results: usize) -> ParsedOp {
        ParsedOp { op, arity: Arity::Exactly(results), literal: None }
    }
}

/// The start of an instruction: its result names (claimed) and mnemonic.
struct InstHead {
    result_names: Vec<String>,
    mnemonic: String,
    token: Token,
}

/// What a `for` header declares: the bounds, the initial carried values, and the
/// body's arguments (the induction variable first).
struct ForHeader {
    bounds: [Value; 3],
    inits: Vec<Value>,
    args: Vec<(String, Type)>,
}

/// A carried value of a loop: the block argument's name and its initial value.
struct IterArg {
    name: String,
    init: Value,
}

impl FnParser<'_> {
    /// `[%r, … =] op … [: types] [@line:col]`, appended to `block`.
    ///
    /// Blocks nest through this function and the structured ops it dispatches to,
    /// so what they keep on the stack is small (boxed); flat ops are parsed in
    /// callees that return before the next instruction.
    pub(super) fn inst(&mut self, block: Block) -> Result<(), TextError> {
        let head = self.inst_head()?;
        let parsed = match head.mnemonic.as_str() {
            "for" => self.for_op()?,
            "while" => self.while_op()?,
            "if" => self.if_op()?,
            _ => return self.flat_inst(block, head),
        };
        self.finish_inst(block, head, parsed)
    }

    /// `[%r, … =] mnemonic`, the result names claimed.
    fn inst_head(&mut self) -> Result<Box<InstHead>, TextError> {
        let mut result_names = Vec::new();
        if matches!(self.cursor.peek(), Tok::Value(_)) {
            loop {
                let (name, token) = self.cursor.expect_value_name()?;
                self.names.claim(&name, &token)?;
                result_names.push(name);
                if !self.cursor.eat_punct(',') {
                    self.cursor.expect_punct('=')?;
                    break;
                }
            }
        }
        let (mnemonic, token) = self.cursor.expect_ident("an op")?;
        Ok(Box::new(InstHead { result_names, mnemonic, token }))
    }

    /// An instruction without blocks.
    fn flat_inst(&mut self, block: Block, head: Box<InstHead>) -> Result<(), TextError> {
        let parsed = self.op(&head.mnemonic, &head.token)?;
        self.finish_inst(block, head, Box::new(parsed))
    }

    /// Reads the result types and location, checks the result count, and appends
    /// the instruction.
    // Taking boxes (not values) keeps `inst`, which is on the recursion chain, free
    // of the unboxed temporaries.
    #[allow(clippy::boxed_local)]
    fn finish_inst(
        &mut self,
        block: Block,
        head: Box<InstHead>,
        parsed: Box<ParsedOp>,
    ) -> Result<(), TextError> {
        let InstHead { result_names, mnemonic, token: op_token } = *head;
        let mnemonic = mnemonic.as_str();
        let op_token = &op_token;
        let parsed = *parsed;
        let types = if self.cursor.eat_punct(':') {
            self.cursor.parse_type_list()?
        } else if !result_names.is_empty() {
            return Err(self.cursor.expected("`:` and the result types"));
        } else {
            Vec::new()
        };
        let count_error = |message: String| Err(Cursor::error_at(op_token, message));
        let (n_names, n_types) = (result_names.len(), types.len());
        if n_types != n_names {
            return count_error(format!(
                "`{mnemonic}` names {n_names} results but lists {n_types} types"
            ));
        }
        if let Arity::Exactly(expected) = parsed.arity {
            if expected != n_names {
                return count_error(format!("`{mnemonic}` has {expected} results, not {n_names}"));
            }
        }
        let op = match (parsed.literal, types.first()) {
            (Some((literal, token)), Some(ty)) => {
                let value = literal::constant(&literal, ty)
                    .map_err(|message| Cursor::error_at(&token, message))?;
                Op::Const { value }
            }
            (Some(_) | None, _) => parsed.op,
        };
        let loc = self.loc(&op, mnemonic)?;
        let inst = self.func.append_inst(block, op, types, loc);
        let results = self.func.insts[inst].results.clone();
        for (name, value) in result_names.into_iter().zip(results) {
            self.names.bind(name, value);
        }
        Ok(())
    }

    /// The optional `@line:col` of ops that carry one.
    fn loc(&mut self, op: &Op, mnemonic: &str) -> Result<Loc, TextError> {
        if *self.cursor.peek() != Tok::At {
            return Ok(Loc::default());
        }
        if !op_has_loc(op) {
            return Err(self
                .cursor
                .error(format!("`{mnemonic}` does not carry a source location")));
        }
        self.cursor.next();
        let line = self.cursor.expect_int("a line number")?;
        self.cursor.expect_punct(':')?;
        let col = self.cursor.expect_int("a column number")?;
        Ok(Loc { line, col })
    }

    /// Everything between the mnemonic and the result types, for ops without blocks.
    fn op(&mut self, mnemonic: &str, token: &Token) -> Result<ParsedOp, TextError> {
        let op = match mnemonic {
            "const" => {
                let literal = literal::read(self.cursor)?;
                let placeholder = Op::Const { value: Constant::Bool(false) };
                return Ok(ParsedOp { literal: Some(literal), ..ParsedOp::new(placeholder, 1) });
            }
            "program_id" => Op::ProgramId { axis: self.cursor.expect_int("an axis")? },
            "num_programs" => Op::NumPrograms { axis: self.cursor.expect_int("an axis")? },
            "arange" => {
                let start = self.cursor.expect_int("an i64 bound")?;
                self.cursor.expect_punct(',')?;
                Op::Arange { start, end: self.cursor.expect_int("an i64 bound")? }
            }
            "splat" => Op::Splat { value: self.use_value()? },
            "broadcast" => Op::Broadcast { arg: self.use_value()? },
            "reshape" => Op::Reshape { arg: self.use_value()? },
            "cast" => Op::Cast { arg: self.use_value()? },
            "expand_dims" => {
                let arg = self.use_value()?;
                Op::ExpandDims { arg, axis: self.axis()? }
            }
            "trans" => {
                let arg = self.use_value()?;
                self.cursor.expect_punct(',')?;
                Op::Trans { arg, perm: self.int_list()? }
            }
            "cmp" => {
                let pred = self.sub_op("a predicate", CmpPred::from_name)?;
                let [lhs, rhs] = self.values()?;
                Op::Cmp { pred, lhs, rhs }
            }
            "select" => {
                let [cond, on_true, on_false] = self.values()?;
                Op::Select { cond, on_true, on_false }
            }
            "ptr_add" => {
                let [ptr, offset] = self.values()?;
                Op::PtrAdd { ptr, offset }
            }
            "reduce" => {
                let op = self.sub_op("a reduction", ReduceOp::from_name)?;
                let arg = self.use_value()?;
                Op::Reduce { op, arg, axis: self.axis()? }
            }
            "scan" => {
                let op = self.sub_op("a scan", ScanOp::from_name)?;
                let arg = self.use_value()?;
                Op::Scan { op, arg, axis: self.axis()? }
            }
            "dot" => {
                let [a, b, acc] = self.values()?;
                Op::Dot { a, b, acc }
            }
            "fma" => {
                let [a, b, c] = self.values()?;
                Op::Fma { a, b, c }
            }
            "load" => self.load()?,
            "store" => {
                let [ptr, value] = self.values()?;
                return Ok(ParsedOp::new(Op::Store { ptr, value, mask: self.mask()? }, 0));
            }
            "atomic" => {
                let op = self.sub_op("an atomic op", AtomicOp::from_name)?;
                let [ptr, value] = self.values()?;
                Op::Atomic { op, ptr, value, mask: self.mask()? }
            }
            "call" => {
                let callee = self.cursor.expect_symbol()?;
                let args = self.call_args()?;
                let call = Op::Call { callee, args };
                return Ok(ParsedOp { arity: Arity::Any, ..ParsedOp::new(call, 0) });
            }
            "yield" => return Ok(ParsedOp::new(Op::Yield { values: self.operand_list()? }, 0)),
            "return" => return Ok(ParsedOp::new(Op::Return { values: self.operand_list()? }, 0)),
            "condition" => return Ok(ParsedOp::new(Op::Condition { cond: self.use_value()? }, 0)),
            "assert" => {
                let cond = self.use_value()?;
                self.cursor.expect_punct(',')?;
                let message = self.cursor.expect_string()?;
                return Ok(ParsedOp::new(Op::Assert { cond, message }, 0));
            }
            other => self.elementwise(other, token)?,
        };
        Ok(ParsedOp::new(op, 1))
    }

    /// Unary and binary ops, spelled by their own mnemonic (`exp %1`, `add %1, %2`).
    fn elementwise(&mut self, mnemonic: &str, token: &Token) -> Result<Op, TextError> {
        if let Some(op) = UnaryOp::from_name(mnemonic) {
            return Ok(Op::Unary { op, arg: self.use_value()? });
        }
        if let Some(op) = BinaryOp::from_name(mnemonic) {
            let [lhs, rhs] = self.values()?;
            return Ok(Op::Binary { op, lhs, rhs });
        }
        Err(Cursor::error_at(token, format!("unknown op `{mnemonic}`")))
    }

    /// A sub-mnemonic such as the `lt` of `cmp lt`.
    fn sub_op<T>(&mut self, what: &str, parse: fn(&str) -> Option<T>) -> Result<T, TextError> {
        let (word, token) = self.cursor.expect_ident(what)?;
        parse(&word).ok_or_else(|| Cursor::error_at(&token, format!("`{word}` is not {what}")))
    }

    /// Exactly `N` comma-separated operands.
    fn values<const N: usize>(&mut self) -> Result<[Value; N], TextError> {
        let mut values = [Value(0); N];
        for (index, slot) in values.iter_mut().enumerate() {
            if index > 0 {
                self.cursor.expect_punct(',')?;
            }
            *slot = self.use_value()?;
        }
        Ok(values)
    }

    /// `, axis N`.
    fn axis(&mut self) -> Result<u32, TextError> {
        self.cursor.expect_punct(',')?;
        self.cursor.expect_keyword("axis")?;
        self.cursor.expect_int("an axis")
    }

    /// `[1, 0]` (possibly empty).
    fn int_list(&mut self) -> Result<Vec<u32>, TextError> {
        self.cursor.expect_punct('[')?;
        let mut list = Vec::new();
        if self.cursor.eat_punct(']') {
            return Ok(list);
        }
        loop {
            list.push(self.cursor.expect_int("a dimension index")?);
            if !self.cursor.eat_punct(',') {
                self.cursor.expect_punct(']')?;
                return Ok(list);
            }
        }
    }

    /// Zero or more comma-separated operands (of `yield` and `return`).
    fn operand_list(&mut self) -> Result<Vec<Value>, TextError> {
        let mut values = Vec::new();
        if !matches!(self.cursor.peek(), Tok::Value(_)) {
            return Ok(values);
        }
        loop {
            values.push(self.use_value()?);
            if !self.cursor.eat_punct(',') {
                return Ok(values);
            }
        }
    }

    /// `(%a, …)` of a call.
    fn call_args(&mut self) -> Result<Vec<Value>, TextError> {
        self.cursor.expect_punct('(')?;
        if self.cursor.eat_punct(')') {
            return Ok(Vec::new());
        }
        let args = self.operand_list()?;
        self.cursor.expect_punct(')')?;
        Ok(args)
    }

    /// `load %p[, mask %m][, other %o]`.
    fn load(&mut self) -> Result<Op, TextError> {
        let ptr = self.use_value()?;
        let mask = self.mask()?;
        let mut other = None;
        if self.cursor.eat_punct(',') {
            self.cursor.expect_keyword("other")?;
            other = Some(self.use_value()?);
        }
        Ok(Op::Load { ptr, mask, other })
    }

    /// An optional `, mask %m`; leaves a `, other` for `load` to read.
    fn mask(&mut self) -> Result<Option<Value>, TextError> {
        let comma = *self.cursor.peek() == Tok::Punct(',');
        let keyword = matches!(self.cursor.peek_nth(1), Tok::Ident(word) if word == "mask");
        if !(comma && keyword) {
            return Ok(None);
        }
        self.cursor.next();
        self.cursor.next();
        Ok(Some(self.use_value()?))
    }

    /// `iter(%arg = %init, …)`, or nothing. Names are claimed, not yet bound.
    fn iter_args(&mut self) -> Result<Vec<IterArg>, TextError> {
        let mut args = Vec::new();
        if !self.cursor.eat_keyword("iter") {
            return Ok(args);
        }
        self.cursor.expect_punct('(')?;
        if self.cursor.eat_punct(')') {
            return Ok(args);
        }
        loop {
            let (name, token) = self.cursor.expect_value_name()?;
            self.names.claim(&name, &token)?;
            self.cursor.expect_punct('=')?;
            args.push(IterArg { name, init: self.use_value()? });
            if !self.cursor.eat_punct(',') {
                self.cursor.expect_punct(')')?;
                return Ok(args);
            }
        }
    }

    /// The initial values of `iter_args`, and the names and types of the block
    /// arguments that receive them.
    fn carried(&self, iter_args: Vec<IterArg>) -> (Vec<Value>, Vec<(String, Type)>) {
        let inits = iter_args.iter().map(|arg| arg.init).collect();
        let args = iter_args.into_iter().map(|arg| (arg.name, self.type_of(arg.init))).collect();
        (inits, args)
    }

    // The structured ops nest through `inst`, so each parses its headers in a helper
    // whose stack frame is gone before the blocks are parsed.

    /// `for %iv = %lo to %hi step %st [iter(…)] { … }`.
    fn for_op(&mut self) -> Result<Box<ParsedOp>, TextError> {
        let ForHeader { bounds, inits, args } = self.for_header()?;
        let body = self.func.create_block();
        self.nested_block(body, args)?;
        let [lower, upper, step] = bounds;
        let n_results = inits.len();
        Ok(Box::new(ParsedOp::new(Op::For { lower, upper, step, inits, body }, n_results)))
    }

    /// `%iv = %lo to %hi step %st [iter(…)]`.
    fn for_header(&mut self) -> Result<ForHeader, TextError> {
        let (iv_name, iv_token) = self.cursor.expect_value_name()?;
        self.names.claim(&iv_name, &iv_token)?;
        self.cursor.expect_punct('=')?;
        let lower = self.use_value()?;
        self.cursor.expect_keyword("to")?;
        let upper = self.use_value()?;
        self.cursor.expect_keyword("step")?;
        let step = self.use_value()?;
        let iter_args = self.iter_args()?;
        let (inits, carried) = self.carried(iter_args);
        let mut args = vec![(iv_name, self.type_of(lower))];
        args.extend(carried);
        Ok(ForHeader { bounds: [lower, upper, step], inits, args })
    }

    /// `while [iter(…)] { … } do [(%a, …)] { … }`.
    fn while_op(&mut self) -> Result<Box<ParsedOp>, TextError> {
        let iter_args = self.iter_args()?;
        let (inits, cond_args) = self.carried(iter_args);
        let cond = self.func.create_block();
        self.nested_block(cond, cond_args)?;
        let body_args = self.while_body_args(&inits)?;
        let body = self.func.create_block();
        self.nested_block(body, body_args)?;
        let n_results = inits.len();
        Ok(Box::new(ParsedOp::new(Op::While { inits, cond, body }, n_results)))
    }

    /// `do [(%a, …)]`: one body argument per carried value, typed like its init.
    fn while_body_args(&mut self, inits: &[Value]) -> Result<Vec<(String, Type)>, TextError> {
        let do_token = self.cursor.peek_token().clone();
        self.cursor.expect_keyword("do")?;
        let mut names = Vec::new();
        if self.cursor.eat_punct('(') {
            loop {
                let (name, token) = self.cursor.expect_value_name()?;
                self.names.claim(&name, &token)?;
                names.push(name);
                if !self.cursor.eat_punct(',') {
                    self.cursor.expect_punct(')')?;
                    break;
                }
            }
        }
        if names.len() != inits.len() {
            let (n_args, n_carried) = (names.len(), inits.len());
            let message =
                format!("the `while` body takes {n_args} values but the loop carries {n_carried}");
            return Err(Cursor::error_at(&do_token, message));
        }
        Ok(names.into_iter().zip(inits.iter().map(|&init| self.type_of(init))).collect())
    }

    /// `if %c { … } else { … }`.
    fn if_op(&mut self) -> Result<Box<ParsedOp>, TextError> {
        let cond = self.use_value()?;
        let then_block = self.func.create_block();
        self.nested_block(then_block, Vec::new())?;
        self.cursor.expect_keyword("else")?;
        let else_block = self.func.create_block();
        self.nested_block(else_block, Vec::new())?;
        let op = Op::If { cond, then_block, else_block };
        Ok(Box::new(ParsedOp { arity: Arity::Any, ..ParsedOp::new(op, 0) }))
    }
}
