//! `for` loops and the bounds of `range`.

use super::ops::Operand;
use super::{FnCx, Frame};
use crate::ast::{Block, Expr, ExprId, Ident, StmtId};
use crate::diag::Diagnostic;
use crate::sema::builtins::Builtin;
use crate::sema::consts::{ConstVal, Cv};
use crate::sema::scope::BindingKind;
use crate::sema::ty::{Elem, Ty};
use crate::sema::typed::CallInfo;
use std::collections::BTreeSet;
use tessera_ir::ScalarType;

impl FnCx<'_, '_> {
    pub(super) fn for_stmt(&mut self, stmt: StmtId, var: &Ident, iter: ExprId, body: &Block) {
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
        let operands: Vec<Operand> =
            (0..3).filter(|&i| bound.get(i).is_some()).map(|i| self.operand(&bound, i)).collect();
        if operands.iter().any(|o| o.val.is_error()) {
            return None;
        }
        let mut ty: Option<ScalarType> = None;
        for operand in &operands {
            let ok = operand.val.ty.rank() == 0
                && operand.val.ty.elem.is_int_like()
                && !matches!(operand.val.ty.elem, Elem::Ptr(_));
            if !ok {
                self.emit(
                    Diagnostic::error(
                        "E0215",
                        format!(
                            "`range` bounds must be integer scalars, found `{}`",
                            operand.val.ty
                        ),
                        operand.span,
                        "not an integer scalar",
                    )
                    .with_help("loop bounds are scalars like `0`, `n` or `cdiv(n, BLOCK)`"),
                );
                return None;
            }
            let Some(s) = operand.val.ty.scalar_type() else { continue };
            match ty {
                None => ty = Some(s),
                Some(t) if t != s => {
                    self.emit(
                        Diagnostic::error(
                            "E0215",
                            format!("`range` bounds have different types `{t}` and `{s}`"),
                            operand.span,
                            format!("this is `{s}`"),
                        )
                        .with_help(format!("convert with `as {t}`")),
                    );
                    return None;
                }
                Some(_) => {}
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
                        Diagnostic::error(
                            "E0215",
                            "the step of `range` must be positive",
                            span,
                            format!("the step is {v}"),
                        )
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
            Diagnostic::error(
                "E0109",
                "a `for` loop iterates over `range(…)`",
                span,
                "not a `range(…)` call",
            )
            .with_help("write `for i in range(start, end[, step]) { … }`"),
        );
        None
    }
}
