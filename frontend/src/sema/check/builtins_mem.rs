//! Memory and assertion builtins: `load`, `store`, `atomic_add`, `atomic_max`,
//! `static_assert`, `device_assert`.
//!
//! The pointer, mask, value and `other` of a memory access broadcast together; the
//! access has the broadcast shape.

use super::ops::Operand;
use super::FnCx;
use crate::ast::ExprId;
use crate::diag::Diagnostic;
use crate::sema::builtins::{BoundArgs, Builtin};
use crate::sema::consts::{ConstVal, Cv};
use crate::sema::ty::{Elem, Ty};
use crate::sema::typed::Val;
use tessera_ir::ScalarType;

impl FnCx<'_, '_> {
    pub(super) fn load(&mut self, e: ExprId, args: &BoundArgs) -> Val {
        let ptr = self.operand(args, 0);
        let mask = args.get(1).map(|_| self.operand(args, 1));
        let other = args.get(2).map(|_| self.operand(args, 2));
        let Some(pointee) = self.pointee(&ptr, "load") else { return Val::error() };
        let mut operands = vec![ptr];
        if let Some(mask) = mask {
            let Some(mask) = self.mask_operand(mask, "load") else { return Val::error() };
            operands.push(mask);
        }
        if let Some(other) = other {
            let Some(other) = self.pointee_operand(other, pointee, "other", "load") else {
                return Val::error();
            };
            operands.push(other);
        }
        let span = self.ast().expr_span(e);
        match self.broadcast_operands(span, &operands) {
            Some(shape) => Val::of(Ty { shape, elem: Elem::Scalar(pointee) }),
            None => Val::error(),
        }
    }

    pub(super) fn store(&mut self, e: ExprId, args: &BoundArgs) -> Val {
        if self.access(e, "store", args).is_none() {
            return Val::error();
        }
        Val::of(Ty::void())
    }

    pub(super) fn atomic(&mut self, e: ExprId, builtin: Builtin, args: &BoundArgs) -> Val {
        let Some((shape, pointee)) = self.access(e, builtin.name(), args) else {
            return Val::error();
        };
        if !(pointee.is_int() || pointee.is_float()) {
            let span = self.ast().expr_span(self.arg(args, 0));
            self.bad_elem(
                span,
                builtin.name(),
                &Ty::rank0(Elem::Ptr(pointee)),
                "a pointer to integers or floats",
                "",
            );
            return Val::error();
        }
        Val::of(Ty { shape, elem: Elem::Scalar(pointee) })
    }

    /// The shared checks of `store` and the atomics: pointer, value and mask.
    fn access(
        &mut self,
        e: ExprId,
        name: &str,
        args: &BoundArgs,
    ) -> Option<(Vec<crate::sema::ty::Dim>, ScalarType)> {
        let ptr = self.operand(args, 0);
        let value = self.operand(args, 1);
        let mask = args.get(2).map(|_| self.operand(args, 2));
        let pointee = self.pointee(&ptr, name)?;
        let value = self.pointee_operand(value, pointee, "value", name)?;
        let mut operands = vec![ptr, value];
        if let Some(mask) = mask {
            operands.push(self.mask_operand(mask, name)?);
        }
        let span = self.ast().expr_span(e);
        let shape = self.broadcast_operands(span, &operands)?;
        Some((shape, pointee))
    }

    fn pointee(&mut self, ptr: &Operand, name: &str) -> Option<ScalarType> {
        match ptr.val.ty.elem {
            Elem::Ptr(s) => Some(s),
            Elem::Error => None,
            Elem::Scalar(_) | Elem::IntLit | Elem::FloatLit | Elem::Void => {
                self.emit(
                    Diagnostic::error(
                        "E0208",
                        format!("`{name}` needs a pointer, found `{}`", ptr.val.ty),
                        ptr.span,
                        "not a pointer",
                    )
                    .with_help("add offsets to a pointer parameter: `load(x + offsets)`"),
                );
                None
            }
        }
    }

    fn mask_operand(&mut self, mask: Operand, name: &str) -> Option<Operand> {
        match mask.val.ty.elem {
            Elem::Scalar(ScalarType::Bool) => Some(mask),
            Elem::Error => None,
            Elem::Scalar(_) | Elem::Ptr(_) | Elem::IntLit | Elem::FloatLit | Elem::Void => {
                self.emit(
                    Diagnostic::error(
                        "E0211",
                        format!("the mask of `{name}` must be `bool`, found `{}`", mask.val.ty),
                        mask.span,
                        "not a bool mask",
                    )
                    .with_help("build masks with comparisons, e.g. `offsets < n`"),
                );
                None
            }
        }
    }

    /// A value stored, exchanged or substituted through a pointer to `pointee`: its
    /// element type must be the pointee type (literals adapt).
    fn pointee_operand(
        &mut self,
        operand: Operand,
        pointee: ScalarType,
        role: &str,
        name: &str,
    ) -> Option<Operand> {
        if operand.val.is_error() {
            return None;
        }
        let expr = operand.expr?;
        let val = self.coerce(expr, &operand.val, pointee);
        if val.is_error() {
            return None;
        }
        if val.ty.elem != Elem::Scalar(pointee) {
            let mut diag = Diagnostic::error(
                "E0210",
                format!(
                    "the {role} of `{name}` must be `{pointee}` (the pointee type), found `{}`",
                    val.ty
                ),
                operand.span,
                format!("expected `{pointee}`"),
            );
            if let Elem::Scalar(_) = val.ty.elem {
                diag = diag.with_help(format!("convert it with `as {pointee}`"));
            }
            self.emit(diag);
            return None;
        }
        Some(Operand { val, ..operand })
    }

    pub(super) fn static_assert(&mut self, e: ExprId, args: &BoundArgs) -> Val {
        let cond = self.arg(args, 0);
        let val = self.value(cond);
        let message = self.message_arg(args.get(1));
        if val.is_error() {
            return Val::of(Ty::void());
        }
        let span = self.ast().expr_span(cond);
        if val.ty.elem != Elem::Scalar(ScalarType::Bool) || val.ty.rank() != 0 {
            self.emit(Diagnostic::error(
                "E0204",
                format!("the condition of `static_assert` must be a `bool`, found `{}`", val.ty),
                span,
                "not a bool",
            ));
            return Val::of(Ty::void());
        }
        match val.cv {
            Some(Cv::Known(ConstVal::Bool(false))) => {
                let text = message.unwrap_or_else(|| self.cx.snippet(span));
                let call_span = self.ast().expr_span(e);
                let spec = self.specialization_note();
                self.emit(
                    Diagnostic::error(
                        "E0405",
                        format!("static assertion failed: {text}"),
                        call_span,
                        "false at compile time",
                    )
                    .with_help(spec),
                );
            }
            Some(Cv::Known(_) | Cv::Unknown) => {}
            None => self.not_const(span, "the condition of `static_assert`"),
        }
        Val::of(Ty::void())
    }

    fn specialization_note(&self) -> String {
        if self.inst.specialization.is_empty() {
            return "the condition is evaluated when the kernel is specialized".to_string();
        }
        let values: Vec<String> =
            self.inst.specialization.iter().map(|(n, v)| format!("{n} = {v}")).collect();
        format!("evaluated with {}", values.join(", "))
    }

    pub(super) fn device_assert(&mut self, args: &BoundArgs) -> Val {
        let cond = self.operand(args, 0);
        self.message_arg(args.get(1));
        match cond.val.ty.elem {
            Elem::Scalar(ScalarType::Bool) | Elem::Error => {}
            Elem::Scalar(_) | Elem::Ptr(_) | Elem::IntLit | Elem::FloatLit | Elem::Void => {
                self.emit(
                    Diagnostic::error(
                        "E0211",
                        format!(
                            "the condition of `device_assert` must be `bool`, found `{}`",
                            cond.val.ty
                        ),
                        cond.span,
                        "not a bool",
                    )
                    .with_help("compare to get a bool, e.g. `x >= 0`"),
                );
            }
        }
        Val::of(Ty::void())
    }
}
