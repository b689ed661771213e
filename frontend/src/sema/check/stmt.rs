//! Statements: blocks, bindings and assignments, expression statements, `if` and
//! `while` (loops over `range` are in `loops.rs`, returns in `returns.rs`).

use super::ops::Operand;
use super::types::{cast_help, Mismatch, Pattern};
use super::{FnCx, Frame};
use crate::ast::{BinOp, Block, Expr, ExprId, Ident, Stmt, StmtId, TypeExpr};
use crate::diag::Diagnostic;
use crate::sema::builtins::Builtin;
use crate::sema::scope::{did_you_mean, BindingKind};
use crate::sema::ty::{shapes_match, Elem};
use crate::sema::typed::{CallInfo, Val};
use crate::sema::walk::stmt_always_returns;
use std::collections::BTreeSet;
use tessera_ir::ScalarType;

impl FnCx<'_, '_> {
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

    fn stmt(&mut self, stmt: StmtId) {
        let ast = self.ast();
        match &ast.stmts[stmt] {
            Stmt::Let { mutable, name, ty, init } => {
                self.let_stmt(stmt, *mutable, name, ty.as_ref(), *init)
            }
            Stmt::Assign { target, op, value } => self.assign(stmt, target, *op, *value),
            Stmt::Expr(e) => self.expr_stmt(*e),
            Stmt::For { var, iter, body } => self.for_stmt(stmt, var, *iter, body),
            Stmt::While { cond, body } => {
                self.condition(*cond, "while");
                self.frames
                    .push(Frame { first_binding: self.next_binding(), assigned: BTreeSet::new() });
                self.loop_depth += 1;
                self.block(body);
                self.loop_depth -= 1;
                self.pop_frame(stmt);
            }
            Stmt::If { cond, then_block, else_block } => {
                self.condition(*cond, "if");
                self.frames
                    .push(Frame { first_binding: self.next_binding(), assigned: BTreeSet::new() });
                self.block(then_block);
                if let Some(else_block) = else_block {
                    self.block(else_block);
                }
                self.pop_frame(stmt);
            }
            Stmt::Return(value) => self.return_stmt(stmt, *value),
        }
    }

    pub(super) fn pop_frame(&mut self, stmt: StmtId) {
        if let Some(frame) = self.frames.pop() {
            self.inst.carried.insert(stmt, frame.assigned.into_iter().collect());
        }
    }

    fn let_stmt(
        &mut self,
        stmt: StmtId,
        mutable: bool,
        name: &Ident,
        ty: Option<&TypeExpr>,
        init: ExprId,
    ) {
        let val = self.value(init);
        let val = match ty {
            Some(te) => self.annotated(init, val, te),
            None => self.default_untyped(init, &val),
        };
        let (kind, cv) =
            if mutable { (BindingKind::LetMut, None) } else { (BindingKind::Let, val.cv) };
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
                Some(s) => diag.with_help(format!(
                    "did you mean `{s}`? To declare a variable, write `let mut {} = …;`",
                    s
                )),
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
                let lhs =
                    Operand { expr: None, span: target.span, val: Val::of(binding.ty.clone()) };
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
                format!(
                    "assignment changes the type of `{}` from `{}` to `{}`",
                    target.name, binding.ty, result.ty
                ),
                value_span,
                format!("this is `{}`", result.ty),
            )
            .with_label(
                binding.span,
                format!("`{}` is declared here as `{}`", binding.name, binding.ty),
            );
            diag = if result.ty.elem != binding.ty.elem {
                match binding.ty.scalar_type() {
                    Some(s) => diag.with_help(format!("convert the value with `as {s}`")),
                    None => diag,
                }
            } else {
                diag.with_help("a variable keeps its shape; use `broadcast_to` or a reduction to match it, or declare a new variable with `let`")
            };
            self.emit(diag);
        }
    }

    fn not_assignable(
        &mut self,
        target: &Ident,
        name: &str,
        decl_span: crate::ast::Span,
        kind: BindingKind,
    ) {
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
        let callee = match &ast.exprs[e] {
            Expr::Call { callee, .. } => Some(callee),
            Expr::Int(_)
            | Expr::Float(_)
            | Expr::Bool(_)
            | Expr::Str(_)
            | Expr::Name(_)
            | Expr::DType(_)
            | Expr::List(_)
            | Expr::Unary { .. }
            | Expr::Binary { .. }
            | Expr::Index { .. }
            | Expr::Cast { .. }
            | Expr::Paren(_) => None,
        };
        let useful = match (callee, self.inst.calls.get(&e)) {
            (Some(_), Some(CallInfo::Builtin(builtin, _))) => builtin.has_effect(),
            (Some(_), Some(CallInfo::Helper { .. })) => true,
            // An erroneous call was reported already.
            (Some(_), None) => true,
            (None, _) => val.is_error(),
        };
        if !useful {
            let callee = callee.and_then(|c| Builtin::from_name(&c.name)).map(Builtin::name);
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

    /// Checks the condition of an `if` or `while`: a scalar `bool`.
    fn condition(&mut self, cond: ExprId, what: &str) {
        let val = self.value(cond);
        if val.is_error() {
            return;
        }
        let span = self.ast().expr_span(cond);
        if val.ty.elem != Elem::Scalar(ScalarType::Bool) {
            self.emit(
                Diagnostic::error(
                    "E0204",
                    format!("the condition of `{what}` must be `bool`, found `{}`", val.ty),
                    span,
                    "not a bool",
                )
                .with_help("compare to get a bool, e.g. `x != 0`"),
            );
        } else if val.ty.rank() != 0 {
            self.emit(
                Diagnostic::error("E0204", format!("the condition of `{what}` must be a scalar `bool`, found `{}`", val.ty), span, "a tile of bools")
                    .with_help("use `where(cond, a, b)` to choose per element, or reduce to one bool, e.g. `max(cond as i32) > 0`"),
            );
        }
    }
}
