//! Statements and structured control flow, with mutable variables as SSA values.
//!
//! A variable assigned inside an `if`, `for` or `while` and defined outside it (the
//! checker lists them per statement) is yielded by the `if`'s branches, or carried
//! as an iteration argument of the loop; the op's results become its new values.
//!
//! Early returns become structured control flow: in `if c { …; return; } rest`, the
//! code after the `if` runs only in the branch that did not return, so it is lowered
//! into that branch, and the `if` yields the function's return values. The lowering
//! walks such chains with a loop (one level of the stack per `if` that always returns
//! would otherwise grow with the length of the function); only a branch that returns
//! on some paths but not all needs the rest copied into it, which the statement budget
//! bounds.

use super::builder::{FnLower, STATEMENT_BUDGET};
use crate::ast::{Block, Expr, ExprId, Span, Stmt, StmtId};
use crate::diag::Diagnostic;
use crate::sema::consts::ConstVal;
use crate::sema::scope::BindingId;
use crate::sema::typed::CallInfo;
use crate::sema::walk::{always_returns, stmt_contains_return};
use tessera_ir::{Block as IrBlock, Op, ScalarType, Type, Value};

impl<'a> FnLower<'a> {
    /// Lowers the statements of `cont` (the last slice first, then the ones below it)
    /// into the current block, up to the function's end or a `return`; returns the
    /// values to return. The caller terminates the block.
    pub fn tail(&mut self, mut cont: Vec<&'a [StmtId]>) -> Vec<Value> {
        // Blocks left for an `if` whose else branch we continued in: the block and the
        // `if`'s results, which that block must yield or return in turn.
        let mut outer: Vec<(IrBlock, Vec<Value>, Span)> = Vec::new();
        let mut results = Vec::new();
        while let Some(slice) = cont.last_mut() {
            let Some((&stmt, rest)) = slice.split_first() else {
                cont.pop();
                continue;
            };
            *slice = rest;
            if !self.spend() {
                break;
            }
            match &self.ast.stmts[stmt] {
                Stmt::Return(value) => {
                    results = value.map(|v| self.expr(v)).into_iter().collect();
                    break;
                }
                Stmt::If { cond, then_block, else_block }
                    if stmt_contains_return(self.ast, stmt) =>
                {
                    let else_stmts: &'a [StmtId] =
                        else_block.as_ref().map_or(&[], |b| &b.stmts[..]);
                    let (else_block_ir, if_results) =
                        self.returning_if(stmt, *cond, then_block, &cont);
                    outer.push((self.block, if_results, self.ast.stmt_span(stmt)));
                    self.block = else_block_ir;
                    if else_block.as_ref().is_some_and(|b| always_returns(self.ast, b)) {
                        cont.clear();
                    }
                    cont.push(else_stmts);
                }
                Stmt::If { .. }
                | Stmt::Let { .. }
                | Stmt::Assign { .. }
                | Stmt::Expr(_)
                | Stmt::For { .. }
                | Stmt::While { .. } => self.stmt(stmt),
            }
        }
        while let Some((block, if_results, span)) = outer.pop() {
            self.emit(Op::Yield { values: results }, Vec::new(), span);
            self.block = block;
            results = if_results;
        }
        results
    }

    /// Emits an `if` that contains a `return`, lowering its then branch (followed by
    /// `cont` unless it always returns). Returns the else block, still to be filled
    /// by the caller, and the `if`'s results.
    fn returning_if(
        &mut self,
        stmt: StmtId,
        cond: ExprId,
        then_block: &'a Block,
        cont: &[&'a [StmtId]],
    ) -> (IrBlock, Vec<Value>) {
        let span = self.ast.stmt_span(stmt);
        let cond = self.expr(cond);
        let then_ir = self.func.create_block();
        let else_ir = self.func.create_block();
        let result_types = self.func.result_types.clone();
        let op = Op::If { cond, then_block: then_ir, else_block: else_ir };
        let inst = self.emit(op, result_types, span);
        let if_results = self.func.insts[inst].results.clone();
        let saved_values = self.values.clone();
        let parent = self.block;
        self.block = then_ir;
        let then_cont = if always_returns(self.ast, then_block) {
            vec![&then_block.stmts[..]]
        } else {
            let mut c = cont.to_vec();
            c.push(&then_block.stmts[..]);
            c
        };
        let then_results = self.tail(then_cont);
        self.emit(Op::Yield { values: then_results }, Vec::new(), span);
        self.block = parent;
        self.values = saved_values;
        (else_ir, if_results)
    }

    /// Counts one lowered statement; reports (once) and returns false when the
    /// budget is exhausted.
    fn spend(&mut self) -> bool {
        if self.budget == 0 {
            return false;
        }
        self.budget -= 1;
        if self.budget == 0 {
            let decl = self.ast.items[self.inst.item].decl();
            self.diags.push(
                Diagnostic::error(
                    "E0480",
                    format!("`{}` is too large to lower", decl.name.name),
                    decl.name.span,
                    format!("more than {STATEMENT_BUDGET} statements after expanding early returns"),
                )
                .with_help("early `return`s copy the code after them into the branch that does not return; use `if`/`else` instead"),
            );
            return false;
        }
        true
    }

    /// Lowers statements that contain no `return` (loop bodies, plain `if` branches).
    fn stmts(&mut self, stmts: &'a [StmtId]) {
        for &stmt in stmts {
            if !self.spend() {
                return;
            }
            self.stmt(stmt);
        }
    }

    fn stmt(&mut self, stmt: StmtId) {
        let span = self.ast.stmt_span(stmt);
        match &self.ast.stmts[stmt] {
            Stmt::Let { init, .. } => {
                let Some(&binding) = self.inst.stmt_bindings.get(&stmt) else { return };
                if self.inst.bindings[binding.0 as usize].cv.is_none() {
                    let value = self.expr(*init);
                    self.values[binding.0 as usize] = Some(value);
                }
            }
            Stmt::Assign { op, value, .. } => {
                let Some(&binding) = self.inst.stmt_bindings.get(&stmt) else { return };
                let new = match op {
                    Some(op) => {
                        let current = self.binding_value(binding, span);
                        let rhs = self.expr(*value);
                        let ty = self.binding_type(binding, span);
                        self.binary(span, *op, &ty, current, rhs)
                    }
                    None => self.expr(*value),
                };
                self.values[binding.0 as usize] = Some(new);
            }
            Stmt::Expr(e) => {
                if let Expr::Call { .. } = &self.ast.exprs[*e] {
                    self.call(*e);
                } else {
                    self.expr(*e);
                }
            }
            Stmt::For { iter, body, .. } => self.for_loop(stmt, *iter, body),
            Stmt::While { cond, body } => self.while_loop(stmt, *cond, body),
            Stmt::If { cond, then_block, else_block } => {
                self.plain_if(stmt, *cond, then_block, else_block.as_ref());
            }
            Stmt::Return(_) => {
                self.internal(span, "a `return` outside tail position reached lowering")
            }
        }
    }

    fn binding_type(&mut self, binding: BindingId, span: Span) -> Type {
        match self.inst.bindings[binding.0 as usize].ty.to_ir() {
            Some(ty) => ty,
            None => {
                self.internal(span, "a variable without a concrete type reached lowering");
                Type::scalar(ScalarType::I32)
            }
        }
    }

    fn carried(&self, stmt: StmtId) -> Vec<BindingId> {
        self.inst.carried.get(&stmt).cloned().unwrap_or_default()
    }

    fn current_values(&mut self, bindings: &[BindingId], span: Span) -> Vec<Value> {
        bindings.iter().map(|&b| self.binding_value(b, span)).collect()
    }

    fn set_values(&mut self, bindings: &[BindingId], values: &[Value]) {
        for (b, v) in bindings.iter().zip(values) {
            self.values[b.0 as usize] = Some(*v);
        }
    }

    fn plain_if(
        &mut self,
        stmt: StmtId,
        cond: ExprId,
        then_block: &'a Block,
        else_block: Option<&'a Block>,
    ) {
        let span = self.ast.stmt_span(stmt);
        let carried = self.carried(stmt);
        let cond = self.expr(cond);
        let before = self.current_values(&carried, span);
        let types: Vec<Type> = before.iter().map(|&v| self.ty(v)).collect();
        let parent = self.block;
        let then_ir = self.func.create_block();
        let else_ir = self.func.create_block();
        self.block = then_ir;
        self.stmts(&then_block.stmts);
        let values = self.current_values(&carried, span);
        self.emit(Op::Yield { values }, Vec::new(), span);
        self.set_values(&carried, &before);
        self.block = else_ir;
        if let Some(else_block) = else_block {
            self.stmts(&else_block.stmts);
        }
        let values = self.current_values(&carried, span);
        self.emit(Op::Yield { values }, Vec::new(), span);
        self.block = parent;
        let op = Op::If { cond, then_block: then_ir, else_block: else_ir };
        let inst = self.emit(op, types, span);
        let results = self.func.insts[inst].results.clone();
        self.set_values(&carried, &results);
    }

    fn for_loop(&mut self, stmt: StmtId, iter: ExprId, body: &'a Block) {
        let span = self.ast.stmt_span(stmt);
        let Some(CallInfo::Builtin(_, bounds)) = self.inst.calls.get(&iter).cloned() else {
            self.internal(span, "a `for` without checked bounds reached lowering");
            return;
        };
        let Some(&var) = self.inst.stmt_bindings.get(&stmt) else { return };
        let var_ty = self.binding_type(var, span);
        let lower = self.bound(bounds.get(0), &var_ty, span);
        let upper = self.bound(bounds.get(1), &var_ty, span);
        let step = self.bound(bounds.get(2), &var_ty, span);
        let carried = self.carried(stmt);
        let inits = self.current_values(&carried, span);
        let types: Vec<Type> = inits.iter().map(|&v| self.ty(v)).collect();
        let parent = self.block;
        let body_ir = self.func.create_block();
        let iv = self.func.append_block_arg(body_ir, var_ty);
        let args: Vec<Value> =
            types.iter().map(|t| self.func.append_block_arg(body_ir, t.clone())).collect();
        self.values[var.0 as usize] = Some(iv);
        self.set_values(&carried, &args);
        self.block = body_ir;
        self.stmts(&body.stmts);
        let values = self.current_values(&carried, span);
        self.emit(Op::Yield { values }, Vec::new(), span);
        self.block = parent;
        let op = Op::For { lower, upper, step, inits, body: body_ir };
        let inst = self.emit(op, types, span);
        let results = self.func.insts[inst].results.clone();
        self.set_values(&carried, &results);
    }

    /// A `range` bound, or the default step of 1.
    fn bound(&mut self, expr: Option<ExprId>, ty: &Type, span: Span) -> Value {
        match expr {
            Some(expr) => self.expr(expr),
            None => {
                let elem = ty.elem.scalar().unwrap_or(ScalarType::I32);
                self.constant(ConstVal::Int(1), elem, span)
            }
        }
    }

    fn while_loop(&mut self, stmt: StmtId, cond: ExprId, body: &'a Block) {
        let span = self.ast.stmt_span(stmt);
        let carried = self.carried(stmt);
        let inits = self.current_values(&carried, span);
        let types: Vec<Type> = inits.iter().map(|&v| self.ty(v)).collect();
        let parent = self.block;
        let cond_ir = self.func.create_block();
        let cond_args: Vec<Value> =
            types.iter().map(|t| self.func.append_block_arg(cond_ir, t.clone())).collect();
        self.set_values(&carried, &cond_args);
        self.block = cond_ir;
        let cond_value = self.expr(cond);
        let cond_span = self.ast.expr_span(cond);
        self.emit(Op::Condition { cond: cond_value }, Vec::new(), cond_span);
        let body_ir = self.func.create_block();
        let body_args: Vec<Value> =
            types.iter().map(|t| self.func.append_block_arg(body_ir, t.clone())).collect();
        self.set_values(&carried, &body_args);
        self.block = body_ir;
        self.stmts(&body.stmts);
        let values = self.current_values(&carried, span);
        self.emit(Op::Yield { values }, Vec::new(), span);
        self.block = parent;
        let op = Op::While { inits, cond: cond_ir, body: body_ir };
        let inst = self.emit(op, types, span);
        let results = self.func.insts[inst].results.clone();
        self.set_values(&carried, &results);
    }
}
