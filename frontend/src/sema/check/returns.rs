//! Where `return` may go and what it gives: last in its block, never in a loop, no
//! value in kernels, and in helpers one type on every path.

use super::types::{cast_help, Mismatch};
use super::FnCx;
use crate::ast::{Block, ExprId, Span, Stmt, StmtId};
use crate::diag::Diagnostic;
use crate::sema::ty::shapes_match;
use crate::sema::typed::InstanceKind;
use crate::sema::walk::always_returns;

impl FnCx<'_, '_> {
    /// Checks a function body, then that a helper returning a value returns on every
    /// path.
    pub fn body(&mut self, body: &Block) {
        self.block(body);
        if self.ret.returns_value && !always_returns(self.ast(), body) {
            let decl = self.ast().items[self.inst.item].decl();
            let end = Span { start: body.span.end.saturating_sub(1), end: body.span.end };
            self.emit(
                Diagnostic::error(
                    "E0471",
                    format!("helper `{}` does not return a value on every path", decl.name.name),
                    decl.name.span,
                    "returns a value only on some paths",
                )
                .with_label(end, "the end of the body is reached without a `return`")
                .with_help(
                    "end the body with `return …;`, or give every `if` an `else` that returns",
                ),
            );
        }
    }

    pub(super) fn unreachable(&mut self, term: StmtId, next: StmtId) {
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

    pub(super) fn return_stmt(&mut self, stmt: StmtId, value: Option<ExprId>) {
        let span = self.ast().stmt_span(stmt);
        if self.loop_depth > 0 {
            self.emit(
                Diagnostic::error("E0473", "`return` inside a loop", span, "returns from inside a loop")
                    .with_help("loops always run to completion; use a `while` loop with a condition to stop early"),
            );
        }
        let is_kernel = self.inst.kind == InstanceKind::Kernel;
        match value {
            Some(e) if is_kernel => {
                self.expr(e);
                self.emit(
                    Diagnostic::error(
                        "E0470",
                        "kernels cannot return a value",
                        self.ast().expr_span(e),
                        "returned value",
                    )
                    .with_help("write results to memory with `store(…)` and end with `return;`"),
                );
            }
            None if self.ret.returns_value => {
                self.emit(
                    Diagnostic::error(
                        "E0475",
                        "`return;` in a helper that returns a value",
                        span,
                        "missing value",
                    )
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
            Some(found)
                if found.elem == val.ty.elem && shapes_match(&found.shape, &val.ty.shape) => {}
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
