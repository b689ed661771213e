//! Builtin dispatch, and the builtins that make or reshape tiles: `program_id`,
//! `num_programs`, `arange`, `zeros`, `full`, `cdiv`, `reshape`, `trans`,
//! `broadcast_to`.

use super::constexpr::ConstInt;
use super::ops::Operand;
use super::FnCx;
use crate::ast::{BinOp, Expr, ExprId};
use crate::diag::Diagnostic;
use crate::sema::builtins::{BoundArgs, Builtin};
use crate::sema::consts::{eval_binary, ConstVal, Cv};
use crate::sema::ty::{
    broadcasts_to, known_elements, Dim, Elem, ShapeDisplay, Ty, MAX_ARANGE_ELEMENTS,
};
use crate::sema::typed::Val;
use tessera_ir::ScalarType;

impl FnCx<'_, '_> {
    /// Checks a call of `builtin` whose arguments are bound.
    pub fn check_builtin(&mut self, e: ExprId, builtin: Builtin, args: &BoundArgs) -> Val {
        match builtin {
            Builtin::ProgramId | Builtin::NumPrograms => self.program_axis(builtin, args),
            Builtin::Arange => self.arange(e, args),
            Builtin::Zeros => self.zeros(args),
            Builtin::Full => self.full(e, args),
            Builtin::Cdiv => self.cdiv(e, args),
            Builtin::Reshape => self.reshape(e, args),
            Builtin::Trans => self.trans(e, args),
            Builtin::BroadcastTo => self.broadcast_to(e, args),
            Builtin::Load => self.load(e, args),
            Builtin::Store => self.store(e, args),
            Builtin::AtomicAdd | Builtin::AtomicMax => self.atomic(e, builtin, args),
            Builtin::Where => self.where_(e, args),
            Builtin::Maximum | Builtin::Minimum => self.extremum(e, builtin, args),
            Builtin::Math(op) => self.math(e, op, args),
            Builtin::Reduce(op) => self.reduce(e, op, args),
            Builtin::Cumsum => self.cumsum(e, args),
            Builtin::Dot => self.dot(e, args),
            Builtin::StaticAssert => self.static_assert(e, args),
            Builtin::DeviceAssert => self.device_assert(args),
            // `range` is rejected before dispatch and checked by `for`.
            Builtin::Range => Val::error(),
        }
    }

    /// The argument in slot `i`, required by the signature (binding checked it).
    pub fn arg(&self, args: &BoundArgs, i: usize) -> ExprId {
        args.get(i).unwrap_or(ExprId(0))
    }

    /// Checks the argument in slot `i` as a value operand.
    pub fn operand(&mut self, args: &BoundArgs, i: usize) -> Operand {
        let expr = self.arg(args, i);
        let val = self.value(expr);
        Operand { expr: Some(expr), span: self.ast().expr_span(expr), val }
    }

    fn program_axis(&mut self, builtin: Builtin, args: &BoundArgs) -> Val {
        let axis = self.arg(args, 0);
        let what = format!("the axis of `{}`", builtin.name());
        match self.const_int(axis, &what) {
            ConstInt::Known(v) if !(0..=2).contains(&v) => {
                let span = self.ast().expr_span(axis);
                self.emit(Diagnostic::error(
                    "E0406",
                    format!("grid axis {v} is out of range"),
                    span,
                    "the grid has axes 0, 1 and 2",
                ));
                Val::error()
            }
            ConstInt::Invalid => Val::error(),
            ConstInt::Known(_) | ConstInt::Unknown => Val::of(Ty::scalar(ScalarType::I32)),
        }
    }

    fn arange(&mut self, e: ExprId, args: &BoundArgs) -> Val {
        let start = self.const_int(self.arg(args, 0), "the start of `arange`");
        let end = self.const_int(self.arg(args, 1), "the end of `arange`");
        let span = self.ast().expr_span(e);
        let i32_ty = ScalarType::I32;
        match (start, end) {
            (ConstInt::Known(s), ConstInt::Known(t)) => {
                let fits_i32 = |v: i128| crate::sema::consts::fits(v, i32_ty);
                let bad = if !fits_i32(s) || !fits_i32(t) {
                    Some(format!("the bounds {s}..{t} do not fit `i32`"))
                } else if t <= s {
                    Some(format!("the range {s}..{t} is empty"))
                } else if t - s > MAX_ARANGE_ELEMENTS {
                    Some(format!(
                        "the range {s}..{t} has {} elements, more than {MAX_ARANGE_ELEMENTS}",
                        t - s
                    ))
                } else {
                    None
                };
                if let Some(label) = bad {
                    self.emit(
                        Diagnostic::error("E0307", "invalid `arange` bounds", span, label)
                            .with_help(
                                "`arange(start, end)` needs `start < end`, both `i32` constants",
                            ),
                    );
                    return Val::error();
                }
                Val::of(Ty::tile(&[(t - s) as u32], Elem::Scalar(i32_ty)))
            }
            (ConstInt::Invalid, _) | (_, ConstInt::Invalid) => Val::error(),
            (ConstInt::Known(_) | ConstInt::Unknown, ConstInt::Known(_) | ConstInt::Unknown) => {
                Val::of(Ty { shape: vec![Dim::Unknown], elem: Elem::Scalar(i32_ty) })
            }
        }
    }

    fn zeros(&mut self, args: &BoundArgs) -> Val {
        let shape = self.shape_arg(self.arg(args, 0), "the shape of `zeros`");
        let dtype = self.dtype_arg(self.arg(args, 1));
        match (shape, dtype) {
            (Some(shape), Some(dtype)) => Val::of(Ty { shape, elem: Elem::Scalar(dtype) }),
            (None, _) | (_, None) => Val::error(),
        }
    }

    fn full(&mut self, e: ExprId, args: &BoundArgs) -> Val {
        let shape = self.shape_arg(self.arg(args, 0), "the shape of `full`");
        let value = self.operand(args, 1);
        let dtype = self.dtype_arg(self.arg(args, 2));
        let (Some(shape), Some(dtype)) = (shape, dtype) else { return Val::error() };
        if value.val.is_error() {
            return Val::error();
        }
        if value.val.ty.rank() != 0 {
            self.emit(
                Diagnostic::error(
                    "E0308",
                    "the value of `full` must be a scalar",
                    value.span,
                    format!("this is `{}`", value.val.ty),
                )
                .with_help("to repeat a tile, use `broadcast_to`"),
            );
            return Val::error();
        }
        let coerced = self.coerce(self.arg(args, 1), &value.val, dtype);
        if coerced.is_error() {
            return Val::error();
        }
        if coerced.ty.elem != Elem::Scalar(dtype) {
            let span = self.ast().expr_span(e);
            self.emit(
                Diagnostic::error(
                    "E0200",
                    format!(
                        "mismatched types: `full` of `{dtype}` with a value of type `{}`",
                        value.val.ty
                    ),
                    value.span,
                    format!("expected `{dtype}`"),
                )
                .with_label(span, "in this call")
                .with_help(format!("convert the value with `as {dtype}`")),
            );
            return Val::error();
        }
        Val::of(Ty { shape, elem: Elem::Scalar(dtype) })
    }

    fn cdiv(&mut self, e: ExprId, args: &BoundArgs) -> Val {
        let span = self.ast().expr_span(e);
        let a = self.operand(args, 0);
        let b = self.operand(args, 1);
        if a.val.is_error() || b.val.is_error() {
            return Val::error();
        }
        let Some((va, vb)) = self.unify("cdiv", &a, &b) else { return Val::error() };
        let elem = super::ops::joined_elem(va.ty.elem, vb.ty.elem);
        if !elem.is_int_like() {
            let ty = va.ty.with_elem(elem);
            self.bad_elem(span, "cdiv", &ty, "integers", "cast with `as i32`");
            return Val::error();
        }
        let operands = [Operand { val: va.clone(), ..a }, Operand { val: vb.clone(), ..b }];
        let Some(shape) = self.broadcast_operands(span, &operands) else { return Val::error() };
        let cv = match (va.cv, vb.cv) {
            (Some(Cv::Known(x)), Some(Cv::Known(y))) => {
                let ty = super::ops::scalar_of(elem);
                let sum = eval_binary(BinOp::Add, ty, x, y)
                    .and_then(|s| eval_binary(BinOp::Sub, ty, s, ConstVal::Int(1)))
                    .and_then(|s| eval_binary(BinOp::Div, ty, s, y));
                match sum {
                    Ok(v) => Some(Cv::Known(v)),
                    Err(err) => {
                        self.const_error(span, err);
                        return Val::error();
                    }
                }
            }
            (Some(_), Some(_)) => Some(Cv::Unknown),
            (None, _) | (_, None) => None,
        };
        Val { ty: Ty { shape, elem }, cv }
    }

    /// The tile argument of a layout builtin: a typed value (literals default).
    fn tile_operand(&mut self, args: &BoundArgs, i: usize) -> Val {
        let expr = self.arg(args, i);
        let val = self.value(expr);
        self.default_untyped(expr, &val)
    }

    fn reshape(&mut self, e: ExprId, args: &BoundArgs) -> Val {
        let x = self.tile_operand(args, 0);
        let shape = self.shape_arg(self.arg(args, 1), "the shape of `reshape`");
        let (Some(shape), false) = (shape, x.is_error()) else { return Val::error() };
        let all_known = |s: &[Dim]| s.iter().all(|d| matches!(d, Dim::Known(_)));
        if all_known(&shape)
            && all_known(&x.ty.shape)
            && known_elements(&shape) != known_elements(&x.ty.shape)
        {
            let span = self.ast().expr_span(e);
            self.emit(
                Diagnostic::error(
                    "E0304",
                    format!(
                        "cannot reshape {} elements into shape {}",
                        known_elements(&x.ty.shape),
                        ShapeDisplay(&shape)
                    ),
                    span,
                    format!("`{}` has {} elements", x.ty, known_elements(&x.ty.shape)),
                )
                .with_help(
                    "`reshape` keeps the element count; use `broadcast_to` to repeat values",
                ),
            );
            return Val::error();
        }
        Val::of(Ty { shape, elem: x.ty.elem })
    }

    fn trans(&mut self, e: ExprId, args: &BoundArgs) -> Val {
        let x = self.tile_operand(args, 0);
        let perm_expr = args.get(1);
        let perm = match perm_expr {
            Some(p) => self.perm_arg(p),
            None => Some(vec![1, 0]),
        };
        let (Some(perm), false) = (perm, x.is_error()) else { return Val::error() };
        let rank = x.ty.rank();
        let mut sorted = perm.clone();
        sorted.sort_unstable();
        if sorted != (0..rank).collect::<Vec<_>>() {
            let span = perm_expr.map_or(self.ast().expr_span(e), |p| self.ast().expr_span(p));
            let label = if perm_expr.is_some() {
                format!("not a permutation of the {rank} axes of `{}`", x.ty)
            } else {
                format!("`{}` has rank {rank}", x.ty)
            };
            self.emit(
                Diagnostic::error("E0305", "invalid transpose", span, label)
                    .with_help("`trans(x)` swaps the two axes of a 2-D tile; for other ranks pass a permutation, e.g. `trans(x, [2, 0, 1])`"),
            );
            return Val::error();
        }
        let shape = perm.iter().map(|&p| x.ty.shape[p]).collect();
        Val::of(Ty { shape, elem: x.ty.elem })
    }

    fn perm_arg(&mut self, expr: ExprId) -> Option<Vec<usize>> {
        let Expr::List(items) = &self.ast().exprs[expr] else {
            let span = self.ast().expr_span(expr);
            self.emit(Diagnostic::error(
                "E0305",
                "the permutation must be a list",
                span,
                "expected `[p0, p1, …]`",
            ));
            return None;
        };
        let mut perm = Vec::new();
        for &item in items {
            match self.const_int(item, "a permutation entry") {
                ConstInt::Known(v) if (0..=64).contains(&v) => perm.push(v as usize),
                ConstInt::Known(_) => perm.push(usize::MAX),
                ConstInt::Unknown | ConstInt::Invalid => return None,
            }
        }
        Some(perm)
    }

    fn broadcast_to(&mut self, e: ExprId, args: &BoundArgs) -> Val {
        let x = self.tile_operand(args, 0);
        let shape = self.shape_arg(self.arg(args, 1), "the shape of `broadcast_to`");
        let (Some(shape), false) = (shape, x.is_error()) else { return Val::error() };
        if !broadcasts_to(&x.ty.shape, &shape) {
            let span = self.ast().expr_span(e);
            self.emit(
                Diagnostic::error(
                    "E0306",
                    format!("cannot broadcast `{}` to shape {}", x.ty, ShapeDisplay(&shape)),
                    span,
                    "incompatible target shape",
                )
                .with_help("each dimension (aligned on the right) must equal the target's or be 1"),
            );
            return Val::error();
        }
        Val::of(Ty { shape, elem: x.ty.elem })
    }
}
