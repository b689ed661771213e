//! Written types (`f32`, `*f16`, `tile<[4, BLOCK], f32>`) and matching values
//! against them (`let` annotations, helper parameters, `-> T`).

use super::FnCx;
use crate::ast::{ExprId, TypeExpr, TypeExprKind};
use crate::diag::Diagnostic;
use crate::sema::ty::{shapes_match, Elem, Ty};
use crate::sema::typed::Val;
use std::fmt;
use tessera_ir::ScalarType;

/// What a written type accepts.
#[derive(Clone, Debug, PartialEq)]
pub enum Pattern {
    /// No annotation: anything.
    Any,
    /// A scalar type: any shape with that element type.
    Scalar(ScalarType),
    /// `*T`: any pointer (tile) to `T`.
    Ptr(ScalarType),
    /// `tile<[…], T>`: exactly that type.
    Exact(Ty),
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pattern::Any => f.write_str("any type"),
            Pattern::Scalar(s) => write!(f, "{s}"),
            Pattern::Ptr(s) => write!(f, "*{s}"),
            Pattern::Exact(ty) => write!(f, "{ty}"),
        }
    }
}

/// Why a value does not match a pattern.
pub enum Mismatch {
    /// Already reported (e.g. a literal out of range).
    Reported,
    /// The caller reports it in its own words.
    Type,
}

impl FnCx<'_, '_> {
    /// Resolves a written type; `None` if it is malformed (reported).
    pub fn resolve_type(&mut self, te: &TypeExpr) -> Option<Pattern> {
        match &te.kind {
            TypeExprKind::Scalar(s) => Some(Pattern::Scalar(*s)),
            TypeExprKind::Ptr(inner) => match &inner.kind {
                TypeExprKind::Scalar(s) => Some(Pattern::Ptr(*s)),
                TypeExprKind::Ptr(_) | TypeExprKind::Tile { .. } => {
                    self.bad_pointee(inner);
                    None
                }
            },
            TypeExprKind::Tile { shape, elem } => {
                let elem = self.tile_elem(elem);
                let dims = self.shape_dims(shape, te.span, "a tile type dimension");
                Some(Pattern::Exact(Ty { shape: dims?, elem: elem? }))
            }
        }
    }

    fn tile_elem(&mut self, te: &TypeExpr) -> Option<Elem> {
        match &te.kind {
            TypeExprKind::Scalar(s) => Some(Elem::Scalar(*s)),
            TypeExprKind::Ptr(inner) => match &inner.kind {
                TypeExprKind::Scalar(s) => Some(Elem::Ptr(*s)),
                TypeExprKind::Ptr(_) | TypeExprKind::Tile { .. } => {
                    self.bad_pointee(inner);
                    None
                }
            },
            TypeExprKind::Tile { .. } => {
                self.emit(
                    Diagnostic::error(
                        "E0219",
                        "the element type of a tile must be a scalar or pointer type",
                        te.span,
                        "tiles do not nest",
                    )
                    .with_help("write a multi-dimensional tile instead: `tile<[4, 8], f32>`"),
                );
                None
            }
        }
    }

    fn bad_pointee(&mut self, inner: &TypeExpr) {
        self.emit(
            Diagnostic::error(
                "E0219",
                "pointers must point to a scalar type",
                inner.span,
                "not a scalar type",
            )
            .with_help("write `*f32`, `*i32`, …"),
        );
    }

    /// Matches `val` (of expression `expr`) against `pattern`; an untyped literal takes
    /// the pattern's element type. Returns the value as it will be used.
    pub fn match_pattern(
        &mut self,
        expr: ExprId,
        val: &Val,
        pattern: &Pattern,
    ) -> Result<Val, Mismatch> {
        if val.is_error() {
            return Ok(val.clone());
        }
        let matched = match pattern {
            Pattern::Any => return Ok(self.default_untyped(expr, val)),
            Pattern::Scalar(s) if val.ty.is_untyped() => self.coerce(expr, val, *s),
            Pattern::Scalar(s) if val.ty.elem == Elem::Scalar(*s) => val.clone(),
            Pattern::Ptr(s) if val.ty.elem == Elem::Ptr(*s) => val.clone(),
            Pattern::Exact(ty) => match ty.scalar_type() {
                Some(s) if val.ty.is_untyped() && ty.shape.is_empty() => self.coerce(expr, val, s),
                Some(_) | None
                    if ty.elem == val.ty.elem && shapes_match(&ty.shape, &val.ty.shape) =>
                {
                    val.clone()
                }
                Some(_) | None => return Err(Mismatch::Type),
            },
            Pattern::Scalar(_) | Pattern::Ptr(_) => return Err(Mismatch::Type),
        };
        if matched.is_error() {
            Err(Mismatch::Reported)
        } else {
            Ok(matched)
        }
    }
}

/// A help line suggesting a cast from `found` to the pattern's element type, if one
/// would fix the mismatch.
pub fn cast_help(found: &Ty, pattern: &Pattern) -> Option<String> {
    let target = match pattern {
        Pattern::Scalar(s) => *s,
        Pattern::Exact(ty) => ty.scalar_type()?,
        Pattern::Any | Pattern::Ptr(_) => return None,
    };
    match found.elem {
        Elem::Scalar(s) if s != target => Some(format!("convert with `as {target}`")),
        Elem::Scalar(_)
        | Elem::Ptr(_)
        | Elem::IntLit
        | Elem::FloatLit
        | Elem::Void
        | Elem::Error => None,
    }
}
