//! Statements: bindings and assignments, control flow, and where `return` may go.

use super::ops::Operand;
use super::types::{cast_help, Mismatch, Pattern};
use super::{FnCx, Frame};
use crate::ast::{BinOp, Block, Expr, ExprId, Ident, Stmt, StmtId, TypeExpr};
use crate::diag::Diagnostic;
use crate::sema::builtins::Builtin;
use crate::sema::consts::{ConstVal, Cv};
use crate::sema::scope::{did_you_mean, BindingKind};
use crate::sema::ty::{shapes_match, Elem, Ty};
use crate::sema::typed::{CallInfo, Val};
use crate::sema::walk::{always_returns, stmt_always_returns};
use std::collections::BTreeSet;
use tessera_ir::ScalarType;

impl FnCx<'_, '_> {
    /// Checks a function body, then that a helper returning a value returns on every
    /// path.
    pub fn body(&mut self, body: &Block) {
        self.block(body);
        if self.ret.returns_value && !always_returns(self.ast(), body) {
            let decl = self.ast().items[self.inst.item].decl();
            let end = crate::ast::Span { start: body.span.end.saturating_sub(1), end: body.span.end };
            self.emit(
                Diagnostic::error(
                    "E0471",
                    format!("helper `{}` does not return a value on every path", decl.name.name),
                    decl.name.span,
                    "returns a value only on some paths",
                )
                .with_label(end, "the end of the body is reached without a `return`")
                .with_help("end the body with `return …;`, or give every `if` an `else` that returns"),
            );
        }
    }

    /// Checks a block in a new scope; code after a statement that always returns is
    /// unreachable (an error).
    pub fn block(&mut self, block: &Block) {
        let ast = self.ast();
        if !self.cx.enter(block.span) {
            return;
        }
        self.scopes.push();
        let mut terminator: Option<StmtId> = None;
        for &stmt in &block.stmts {
            if let Some(term) = terminator {
                self.unreachable(term, stmt);
                break;
            }
            self.stmt(stmt);
            if stmt_always_returns(ast, stmt) {
                terminator = Some(stmt);
            }
        }
        self.scopes.pop();
        self.cx.leave();
    }

    fn unreachable(&mut self, term: StmtId, next: StmtId) {
        let ast = self.ast();
        let diag = if let Stmt::Return(_) = ast.stmts[term] {
            Diagnostic::error(
                "E0472",
                "`return` must be the last statement of its block",
                ast.stmt_span(term),
                "returns here",
            )
            .with_label(ast.stmt_span(next), "this code would never run")
            .with_help("remove the code after `return`, or move the `return` into an `if`")
        } else {
            Diagnostic::error("E0474", "unreachable code", ast.stmt_span(next), "never runs")
                .with_label(ast.stmt_span(term), "every branch of this `if` returns")
                .with_help("remove the unreachable code")
        };
        self.emit(diag);
    }

    fn stmt(&mut self, stmt: StmtId) {
        let ast = self.ast();
        match &ast.stmts[stmt] {
            Stmt::Let { mutable, name, ty, init } => self.let_stmt(stmt, *mutable, name, ty.as_ref(), *init),
            Stmt::Assign { target, op, value } => self.assign(stmt, target, *op, *value),
            Stmt::Expr(e) => self.expr_stmt(*e),
            Stmt::For { var, iter, body } => self.for_stmt(stmt, var, *iter, body),
            Stmt::While { cond, body } => {
                self.condition(*cond, "while");
                self.frames.push(Frame { first_binding: self.next_binding(), assigned: BTreeSet::new() });
                self.loop_depth += 1;
                self.block(body);
                self.loop_depth -= 1;
                self.pop_frame(stmt);
            }
            Stmt::If { cond, then_block, else_block } => {
                self.condition(*cond, "if");
                self.frames.push(Frame { first_binding: self.next_binding(), assigned: BTreeSet::new() });
                self.block(then_block);
                if let Some(else_block) = else_block {
                    self.block(else_block);
                }
                self.pop_frame(stmt);
            }
            Stmt::Return(value) => self.return_stmt(stmt, *value),
        }
    }

    fn pop_frame(&mut self, stmt: StmtId) {
        if let Some(frame) = self.frames.pop() {
            self.inst.carried.insert(stmt, frame.assigned.into_iter().collect());
        }
    }

    fn let_stmt(&mut self, stmt: StmtId, mutable: bool, name: &Ident, ty: Option<&TypeExpr>, init: ExprId) {
        let val = self.value(init);
        let val = match ty {
            Some(te) => self.annotated(init, val, te),
            None => self.default_untyped(init, &val),
        };
        let (kind, cv) = if mutable { (BindingKind::LetMut, None) } else { (BindingKind::Let, val.cv) };
        let cv = if val.ty.scalar_type().is_some_and(ScalarType::is_float) { None } else { cv };
        let b = self.bind(name, val.ty, cv, kind);
        self.inst.stmt_bindings.insert(stmt, b);
    }

    fn annotated(&mut self, init: ExprId, val: Val, te: &TypeExpr) -> Val {
        let Some(pattern) = self.resolve_type(te) else { return Val::error() };
        match self.match_pattern(init, &val, &pattern) {
            Ok(v) => v,
            Err(Mismatch::Reported) => Val::error(),
            Err(Mismatch::Type) => {
                let span = self.ast().expr_span(init);
                let mut diag = Diagnostic::error(
                    "E0206",
                    format!("mismatched types: expected `{pattern}`, found `{}`", val.ty),
                    span,
                    format!("this is `{}`", val.ty),
                )
                .with_label(te.span, "expected because of this annotation");
                if let Some(help) = cast_help(&val.ty, &pattern) {
                    diag = diag.with_help(help);
                }
                self.emit(diag);
                // Keep the declared type, so later uses are checked against it.
                match pattern {
                    Pattern::Exact(ty) => Val::of(ty),
                    Pattern::Scalar(_) | Pattern::Ptr(_) | Pattern::Any => Val::error(),
                }
            }
        }
    }

    fn assign(&mut self, stmt: StmtId, target: &Ident, op: Option<BinOp>, value: ExprId) {
        let Some(b) = self.scopes.lookup(&target.name) else {
            let mut diag = Diagnostic::error(
                "E0102",
                format!("unknown variable `{}`", target.name),
                target.span,
                "not found in this scope",
            );
            diag = match did_you_mean(&target.name, self.scopes.visible_names()) {
                Some(s) => diag.with_help(format!("did you mean `{s}`? To declare a variable, write `let mut {} = …;`", s)),
                None => diag.with_help(format!("declare it first: `let mut {} = …;`", target.name)),
            };
            self.emit(diag);
            self.value(value);
            return;
        };
        let binding = self.inst.bindings[b.0 as usize].clone();
        if binding.kind != BindingKind::LetMut {
            self.not_assignable(target, &binding.name, binding.span, binding.kind);
            self.value(value);
            return;
        }
        let val = self.value(value);
        let value_span = self.ast().expr_span(value);
        let result = match op {
            Some(op) => {
                let lhs = Operand { expr: None, span: target.span, val: Val::of(binding.ty.clone()) };
                let rhs = Operand { expr: Some(value), span: value_span, val };
                let span = target.span.to(value_span);
                self.binary(span, op, lhs, rhs)
            }
            None => match binding.ty.scalar_type() {
                Some(s) if val.ty.is_untyped() => self.coerce(value, &val, s),
                Some(_) | None => val,
            },
        };
        self.inst.stmt_bindings.insert(stmt, b);
        self.note_assigned(b);
        if result.is_error() || binding.ty.is_error() {
            return;
        }
        if result.ty.elem != binding.ty.elem || !shapes_match(&result.ty.shape, &binding.ty.shape) {
            let mut diag = Diagnostic::error(
                "E0205",
                format!("assignment changes the type of `{}` from `{}` to `{}`", target.name, binding.ty, result.ty),
                value_span,
                format!("this is `{}`", result.ty),
            )
            .with_label(binding.span, format!("`{}` is declared here as `{}`", binding.name, binding.ty));
            diag = if result.ty.elem != binding.ty.elem {
                match binding.ty.elem {
                    Elem::Scalar(s) => diag.with_help(format!("convert the value with `as {s}`")),
                    _ => diag,
                }
            } else {
                diag.with_help("a variable keeps its shape; use `broadcast_to` or a reduction to match it, or declare a new variable with `let`")
            };
            self.emit(diag);
        }
    }

    fn not_assignable(&mut self, target: &Ident, name: &str, decl_span: crate::ast::Span, kind: BindingKind) {
        let (code, message, help) = match kind {
            BindingKind::Param | BindingKind::ConstParam => (
                "E0106",
                format!("cannot assign to parameter `{name}`"),
                format!("copy it into a variable first: `let mut {name}_v = {name};`"),
            ),
            BindingKind::LoopVar => (
                "E0105",
                format!("cannot assign to loop variable `{name}`"),
                "the loop variable is set by the loop; use another variable".to_string(),
            ),
            BindingKind::Let | BindingKind::LetMut => (
                "E0105",
                format!("cannot assign twice to immutable variable `{name}`"),
                format!("declare it with `let mut {name}`"),
            ),
        };
        self.emit(
            Diagnostic::error(code, message, target.span, "cannot assign")
                .with_label(decl_span, format!("`{name}` is declared here"))
                .with_help(help),
        );
    }

    fn expr_stmt(&mut self, e: ExprId) {
        let ast = self.ast();
        let val = self.expr(e);
        let useful = match (&ast.exprs[e], self.inst.calls.get(&e)) {
            (Expr::Call { .. }, Some(CallInfo::Builtin(builtin, _))) => builtin.has_effect(),
            (Expr::Call { .. }, Some(CallInfo::Helper { .. })) => true,
            // An erroneous call was reported already.
            (Expr::Call { .. }, None) => true,
            _ => val.is_error(),
        };
        if !useful {
            let callee = match &ast.exprs[e] {
                Expr::Call { callee, .. } => Builtin::from_name(&callee.name).map(Builtin::name),
                _ => None,
            };
            let message = match callee {
                Some(name) => format!("the result of `{name}` is unused"),
                None => "this expression statement has no effect".to_string(),
            };
            self.emit(
                Diagnostic::error("E0217", message, ast.expr_span(e), "value computed and dropped")
                    .with_help("bind it with `let name = …;`, or remove it"),
            );
        }
    }

    fn for_stmt(&mut self, stmt: StmtId, var: &Ident, iter: ExprId, body: &Block) {
        let ty = self.range_bounds(iter).map_or_else(Ty::error, Ty::scalar);
        self.frames.push(Frame { first_binding: self.next_binding(), assigned: BTreeSet::new() });
        self.scopes.push();
        let b = self.bind(var, ty, None, BindingKind::LoopVar);
        self.inst.stmt_bindings.insert(stmt, b);
        self.loop_depth += 1;
        self.block(body);
        self.loop_depth -= 1;
        self.scopes.pop();
        self.pop_frame(stmt);
    }

    /// Checks `range(start, end[, step])`; returns the loop variable's type.
    fn range_bounds(&mut self, iter: ExprId) -> Option<ScalarType> {
        let ast = self.ast();
        let span = ast.expr_span(iter);
        let Expr::Call { callee, args } = &ast.exprs[iter] else {
            return self.bad_iterator(iter);
        };
        if callee.name != "range" {
            return self.bad_iterator(iter);
        }
        let bound = self.bind_call(&Builtin::Range.signature(), callee, args, span)?;
        self.inst.calls.insert(iter, CallInfo::Builtin(Builtin::Range, bound.clone()));
        let operands: Vec<Operand> = (0..3).filter(|&i| bound.get(i).is_some()).map(|i| self.operand(&bound, i)).collect();
        if operands.iter().any(|o| o.val.is_error()) {
            return None;
        }
        let mut ty: Option<ScalarType> = None;
        for operand in &operands {
            let ok = operand.val.ty.rank() == 0 && operand.val.ty.elem.is_int_like() && !matches!(operand.val.ty.elem, Elem::Ptr(_));
            if !ok {
                self.emit(
                    Diagnostic::error("E0215", format!("`range` bounds must be integer scalars, found `{}`", operand.val.ty), operand.span, "not an integer scalar")
                        .with_help("loop bounds are scalars like `0`, `n` or `cdiv(n, BLOCK)`"),
                );
                return None;
            }
            match (ty, operand.val.ty.scalar_type()) {
                (None, Some(s)) => ty = Some(s),
                (Some(t), Some(s)) if t != s => {
                    self.emit(
                        Diagnostic::error("E0215", format!("`range` bounds have different types `{t}` and `{s}`"), operand.span, format!("this is `{s}`"))
                            .with_help(format!("convert with `as {t}`")),
                    );
                    return None;
                }
                _ => {}
            }
        }
        let ty = ty.unwrap_or(ScalarType::I32);
        let mut step = None;
        for operand in &operands {
            let val = self.coerce(operand.expr.unwrap_or(iter), &operand.val, ty);
            if val.is_error() {
                return None;
            }
            step = Some((val, operand.span));
        }
        if let (3, Some((val, span))) = (operands.len(), step) {
            if let Some(Cv::Known(ConstVal::Int(v))) = val.cv {
                if v <= 0 {
                    self.emit(
                        Diagnostic::error("E0215", "the step of `range` must be positive", span, format!("the step is {v}"))
                            .with_help("count down with `range(0, n)` and compute `n - 1 - i`"),
                    );
                    return None;
                }
            }
        }
        Some(ty)
    }

    fn bad_iterator(&mut self, iter: ExprId) -> Option<ScalarType> {
        let span = self.ast().expr_span(iter);
        self.emit(
            Diagnostic::error("E0109", "a `for` loop iterates over `range(…)`", span, "not a `range(…)` call")
                .with_help("write `for i in range(start, end[, step]) { … }`"),
        );
        None
    }

    /// Checks the condition of an `if` or `while`: a scalar `bool`.
    fn condition(&mut self, cond: ExprId, what: &str) {
        let val = self.value(cond);
        if val.is_error() {
            return;
        }
        let span = self.ast().expr_span(cond);
        if val.ty.elem != Elem::Scalar(ScalarType::Bool) {
            self.emit(
                Diagnostic::error("E0204", format!("the condition of `{what}` must be `bool`, found `{}`", val.ty), span, "not a bool")
                    .with_help("compare to get a bool, e.g. `x != 0`"),
            );
        } else if val.ty.rank() != 0 {
            self.emit(
                Diagnostic::error("E0204", format!("the condition of `{what}` must be a scalar `bool`, found `{}`", val.ty), span, "a tile of bools")
                    .with_help("use `where(cond, a, b)` to choose per element, or reduce to one bool, e.g. `max(cond as i32) > 0`"),
            );
        }
    }

    fn return_stmt(&mut self, stmt: StmtId, value: Option<ExprId>) {
        let span = self.ast().stmt_span(stmt);
        if self.loop_depth > 0 {
            self.emit(
                Diagnostic::error("E0473", "`return` inside a loop", span, "returns from inside a loop")
                    .with_help("loops always run to completion; use a `while` loop with a condition to stop early"),
            );
        }
        let is_kernel = self.inst.kind == crate::sema::typed::InstanceKind::Kernel;
        match value {
            Some(e) if is_kernel => {
                self.expr(e);
                self.emit(
                    Diagnostic::error("E0470", "kernels cannot return a value", self.ast().expr_span(e), "returned value")
                        .with_help("write results to memory with `store(…)` and end with `return;`"),
                );
            }
            None if self.ret.returns_value => {
                self.emit(
                    Diagnostic::error("E0475", "`return;` in a helper that returns a value", span, "missing value")
                        .with_help("return a value on every path: `return …;`"),
                );
            }
            None => {}
            Some(e) => self.return_value(e),
        }
    }

    fn return_value(&mut self, e: ExprId) {
        let val = self.value(e);
        if val.is_error() {
            return;
        }
        let span = self.ast().expr_span(e);
        let val = match self.ret.declared.clone() {
            Some((pattern, ret_span)) => match self.match_pattern(e, &val, &pattern) {
                Ok(v) => v,
                Err(Mismatch::Reported) => return,
                Err(Mismatch::Type) => {
                    let mut diag = Diagnostic::error(
                        "E0218",
                        format!("mismatched return type: expected `{pattern}`, found `{}`", val.ty),
                        span,
                        format!("this is `{}`", val.ty),
                    )
                    .with_label(ret_span, "expected because of the return type");
                    if let Some(help) = cast_help(&val.ty, &pattern) {
                        diag = diag.with_help(help);
                    }
                    self.emit(diag);
                    return;
                }
            },
            None => match &self.ret.found {
                Some(found) => match found.scalar_type() {
                    Some(s) if val.ty.is_untyped() => self.coerce(e, &val, s),
                    Some(_) | None => val,
                },
                None => self.default_untyped(e, &val),
            },
        };
        if val.is_error() {
            return;
        }
        match &self.ret.found {
            None => self.ret.found = Some(val.ty),
            Some(found) if found.elem == val.ty.elem && shapes_match(&found.shape, &val.ty.shape) => {}
            Some(found) => {
                let found = found.clone();
                self.emit(
                    Diagnostic::error(
                        "E0218",
                        format!("this `return` gives `{}` but an earlier one gives `{found}`", val.ty),
                        span,
                        format!("this is `{}`", val.ty),
                    )
                    .with_help("every `return` of a helper must give the same type (shape and element type)"),
                );
            }
        }
    }
}
