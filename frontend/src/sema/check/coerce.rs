//! Untyped literals taking the type of their context, and the "has a value" check.
//!
//! When a literal expression meets a typed context, the checker converts its value
//! (checking the range) and records the type in `Instance::coerced`, which is where
//! lowering reads the type of the constant it emits.

use super::FnCx;
use crate::ast::{ExprId, Span};
use crate::diag::Diagnostic;
use crate::sema::consts::{convert_literal, int_range, ConstVal, Cv, LiteralError};
use crate::sema::ty::{Elem, Ty};
use crate::sema::typed::Val;
use tessera_ir::ScalarType;

impl FnCx<'_, '_> {
    /// Gives the untyped literal expression `expr` the type `target`; typed values are
    /// returned unchanged. A literal that does not fit is reported and becomes an error.
    pub fn coerce(&mut self, expr: ExprId, val: &Val, target: ScalarType) -> Val {
        if !val.ty.is_untyped() {
            return val.clone();
        }
        let Some(Cv::Known(value)) = val.cv else { return val.clone() };
        let span = self.ast().expr_span(expr);
        match convert_literal(value, target) {
            Ok(converted) => {
                self.inst.coerced.insert(expr, target);
                let cv = if target.is_float() { None } else { Some(Cv::Known(converted)) };
                Val { ty: val.ty.with_elem(Elem::Scalar(target)), cv }
            }
            Err(LiteralError::OutOfRange) => {
                self.literal_out_of_range(span, value, target);
                Val::error()
            }
            Err(LiteralError::FloatToInt) => {
                self.emit(
                    Diagnostic::error(
                        "E0203",
                        format!("float literal where `{target}` is needed"),
                        span,
                        format!("expected `{target}`"),
                    )
                    .with_help(format!(
                        "write an integer literal, or convert explicitly with `as {target}`"
                    )),
                );
                Val::error()
            }
            Err(LiteralError::NotBool) => {
                self.emit(
                    Diagnostic::error(
                        "E0200",
                        format!("mismatched types: expected `bool`, found `{}`", val.ty),
                        span,
                        "expected `bool`",
                    )
                    .with_help("write `true` or `false`, or compare, e.g. `x != 0`"),
                );
                Val::error()
            }
        }
    }

    fn literal_out_of_range(&mut self, span: Span, value: ConstVal, target: ScalarType) {
        let range = match int_range(target) {
            Some((lo, hi)) if target.is_int() => format!(" (its range is {lo}..={hi})"),
            Some(_) | None => String::new(),
        };
        self.emit(
            Diagnostic::error(
                "E0202",
                format!("literal out of range for `{target}`"),
                span,
                format!("`{value}` does not fit `{target}`{range}"),
            )
            .with_help("use a wider type"),
        );
    }

    /// Gives an untyped literal its default type (`i32` or `f32`).
    pub fn default_untyped(&mut self, expr: ExprId, val: &Val) -> Val {
        match val.ty.elem {
            Elem::IntLit => self.coerce(expr, val, ScalarType::I32),
            Elem::FloatLit => self.coerce(expr, val, ScalarType::F32),
            Elem::Scalar(_) | Elem::Ptr(_) | Elem::Void | Elem::Error => val.clone(),
        }
    }

    /// Checks that `val` is a value (not the result of a call returning nothing);
    /// reports and returns the error value otherwise.
    pub fn require_value(&mut self, span: Span, val: Val) -> Val {
        if val.ty.elem != Elem::Void {
            return val;
        }
        self.emit(
            Diagnostic::error("E0216", "this expression has no value", span, "returns nothing")
                .with_help("only calls that return something can be used as values"),
        );
        Val::error()
    }

    /// Checks `expr` and requires a value.
    pub fn value(&mut self, expr: ExprId) -> Val {
        let val = self.expr(expr);
        let span = self.ast().expr_span(expr);
        self.require_value(span, val)
    }

    /// Reports `message` (E0209) when a builtin does not accept an element type.
    pub fn bad_elem(&mut self, span: Span, builtin: &str, ty: &Ty, accepted: &str, help: &str) {
        let mut diag = Diagnostic::error(
            "E0209",
            format!("`{builtin}` needs {accepted}, found `{ty}`"),
            span,
            format!("this is `{ty}`"),
        );
        if !help.is_empty() {
            diag = diag.with_help(help.to_string());
        }
        self.emit(diag);
    }
}
