//! Places that need compile-time constants: shapes, axes, `arange` bounds, dtypes and
//! assert messages, plus the tile size cap.

use super::FnCx;
use crate::ast::{Expr, ExprId, Span};
use crate::diag::Diagnostic;
use crate::sema::consts::{ConstVal, Cv};
use crate::sema::ty::{known_elements, Dim, ShapeDisplay, MAX_TILE_ELEMENTS};
use tessera_ir::ScalarType;

/// An integer that must be known at compile time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConstInt {
    Known(i128),
    /// Const, but its value is not known (while checking without a value).
    Unknown,
    /// Not a const integer (reported).
    Invalid,
}

impl FnCx<'_, '_> {
    /// Checks `expr` as a compile-time integer; `what` names it in messages.
    pub fn const_int(&mut self, expr: ExprId, what: &str) -> ConstInt {
        let val = self.value(expr);
        if val.is_error() {
            return ConstInt::Invalid;
        }
        let span = self.ast().expr_span(expr);
        if !val.ty.elem.is_int_like() || val.ty.rank() != 0 {
            self.emit(Diagnostic::error(
                "E0200",
                format!("{what} must be an integer, found `{}`", val.ty),
                span,
                "expected an integer",
            ));
            return ConstInt::Invalid;
        }
        match val.cv {
            Some(Cv::Known(ConstVal::Int(v))) => ConstInt::Known(v),
            Some(Cv::Unknown) => ConstInt::Unknown,
            Some(Cv::Known(ConstVal::Float(_) | ConstVal::Bool(_))) | None => {
                self.not_const(span, what);
                ConstInt::Invalid
            }
        }
    }

    /// Reports that `span` is not a compile-time constant where `what` needs one.
    pub fn not_const(&mut self, span: Span, what: &str) {
        let snippet = self.cx.snippet(span);
        self.emit(
            Diagnostic::error(
                "E0401",
                format!("{what} must be a compile-time constant"),
                span,
                format!("`{snippet}` is computed at run time"),
            )
            .with_help(
                "use literals, const parameters, immutable `let`s of constants, and arithmetic on them",
            ),
        );
    }

    /// Checks a shape argument (`[4, BLOCK]`).
    pub fn shape_arg(&mut self, expr: ExprId, what: &str) -> Option<Vec<Dim>> {
        let span = self.ast().expr_span(expr);
        let Expr::List(items) = &self.ast().exprs[expr] else {
            self.emit(
                Diagnostic::error(
                    "E0308",
                    format!("{what} must be a list of dimensions"),
                    span,
                    "expected `[d0, d1, …]`",
                )
                .with_help("write the shape as a list of constants, e.g. `[BLOCK_M, BLOCK_N]`"),
            );
            return None;
        };
        self.shape_dims(items, span, "a shape dimension")
    }

    /// Checks the dimensions of a shape; each is a positive const integer.
    pub fn shape_dims(&mut self, items: &[ExprId], span: Span, what: &str) -> Option<Vec<Dim>> {
        if items.is_empty() {
            self.emit(Diagnostic::error(
                "E0308",
                "a shape needs at least one dimension",
                span,
                "empty shape",
            ));
            return None;
        }
        let mut dims = Vec::with_capacity(items.len());
        let mut ok = true;
        for &item in items {
            match self.const_int(item, what) {
                ConstInt::Known(v) if (1..=i128::from(u32::MAX)).contains(&v) => {
                    dims.push(Dim::Known(v as u32));
                }
                ConstInt::Known(v) => {
                    let item_span = self.ast().expr_span(item);
                    self.emit(Diagnostic::error(
                        "E0308",
                        "tile dimensions must be positive",
                        item_span,
                        format!("this dimension is {v}"),
                    ));
                    ok = false;
                }
                ConstInt::Unknown => dims.push(Dim::Unknown),
                ConstInt::Invalid => ok = false,
            }
        }
        (ok && self.check_size(&dims, span)).then_some(dims)
    }

    /// Checks the tile size cap; reports and returns false when exceeded.
    pub fn check_size(&mut self, shape: &[Dim], span: Span) -> bool {
        let elements = known_elements(shape);
        if elements <= MAX_TILE_ELEMENTS {
            return true;
        }
        self.emit(
            Diagnostic::error(
                "E0309",
                format!("tile of shape {} is too large", ShapeDisplay(shape)),
                span,
                format!("{elements} elements"),
            )
            .with_help(format!("a tile holds at most {MAX_TILE_ELEMENTS} elements")),
        );
        false
    }

    /// Checks a dtype argument (`f32`).
    pub fn dtype_arg(&mut self, expr: ExprId) -> Option<ScalarType> {
        if let Expr::DType(s) = &self.ast().exprs[expr] {
            return Some(*s);
        }
        let span = self.ast().expr_span(expr);
        self.emit(
            Diagnostic::error("E0221", "expected an element type", span, "expected e.g. `f32`")
                .with_help("the dtype argument is a scalar type name: `f32`, `i32`, `bool`, …"),
        );
        None
    }

    /// Checks an assert message argument (a string literal).
    pub fn message_arg(&mut self, expr: Option<ExprId>) -> Option<String> {
        let expr = expr?;
        if let Expr::Str(s) = &self.ast().exprs[expr] {
            return Some(s.clone());
        }
        let span = self.ast().expr_span(expr);
        self.emit(Diagnostic::error(
            "E0221",
            "the message must be a string literal",
            span,
            "expected \"…\"",
        ));
        None
    }
}
