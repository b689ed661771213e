//! Elementwise and reducing builtins: `where`, `maximum`, `minimum`, the math
//! functions, `sum`/`max`/`min`/`argmax`/`argmin`, `cumsum` and `dot`.

use super::constexpr::ConstInt;
use super::ops::{joined_elem, Operand};
use super::FnCx;
use crate::ast::ExprId;
use crate::diag::Diagnostic;
use crate::sema::builtins::{BoundArgs, Builtin};
use crate::sema::consts::{ConstVal, Cv};
use crate::sema::ty::{dims_match, Dim, Elem, ShapeDisplay, Ty};
use crate::sema::typed::Val;
use tessera_ir::{ReduceOp, ScalarType, UnaryOp};

impl FnCx<'_, '_> {
    pub(super) fn where_(&mut self, e: ExprId, args: &BoundArgs) -> Val {
        let span = self.ast().expr_span(e);
        let cond = self.operand(args, 0);
        let a = self.operand(args, 1);
        let b = self.operand(args, 2);
        if cond.val.is_error() || a.val.is_error() || b.val.is_error() {
            return Val::error();
        }
        if cond.val.ty.elem != Elem::Scalar(ScalarType::Bool) {
            self.emit(
                Diagnostic::error(
                    "E0211",
                    format!("the condition of `where` must be `bool`, found `{}`", cond.val.ty),
                    cond.span,
                    "not a bool",
                )
                .with_help("compare to get a bool tile, e.g. `x > 0.0`"),
            );
            return Val::error();
        }
        let Some((va, vb)) = self.unify("where", &a, &b) else { return Val::error() };
        let (va, vb) = self.default_pair(&a, va, &b, vb);
        if va.is_error() || vb.is_error() {
            return Val::error();
        }
        let elem = va.ty.elem;
        let operands = [cond, Operand { val: va, ..a }, Operand { val: vb, ..b }];
        match self.broadcast_operands(span, &operands) {
            Some(shape) => Val::of(Ty { shape, elem }),
            None => Val::error(),
        }
    }

    /// Gives two unified untyped operands their default type (both `f32` if either is
    /// a float literal, else both `i32`).
    fn default_pair(&mut self, a: &Operand, va: Val, b: &Operand, vb: Val) -> (Val, Val) {
        if !(va.ty.is_untyped() && vb.ty.is_untyped()) {
            return (va, vb);
        }
        let float = joined_elem(va.ty.elem, vb.ty.elem) == Elem::FloatLit;
        let target = if float { ScalarType::F32 } else { ScalarType::I32 };
        let (Some(ea), Some(eb)) = (a.expr, b.expr) else { return (va, vb) };
        (self.coerce(ea, &va, target), self.coerce(eb, &vb, target))
    }

    pub(super) fn extremum(&mut self, e: ExprId, builtin: Builtin, args: &BoundArgs) -> Val {
        let span = self.ast().expr_span(e);
        let a = self.operand(args, 0);
        let b = self.operand(args, 1);
        if a.val.is_error() || b.val.is_error() {
            return Val::error();
        }
        let Some((va, vb)) = self.unify(builtin.name(), &a, &b) else { return Val::error() };
        let elem = joined_elem(va.ty.elem, vb.ty.elem);
        if !elem.is_numeric() {
            let ty = va.ty.with_elem(elem);
            self.bad_elem(span, builtin.name(), &ty, "integers or floats", "");
            return Val::error();
        }
        let cv = match (va.cv, vb.cv) {
            (Some(Cv::Known(x)), Some(Cv::Known(y))) => Some(Cv::Known(pick(builtin, x, y))),
            (Some(_), Some(_)) => Some(Cv::Unknown),
            (None, _) | (_, None) => None,
        };
        let operands = [Operand { val: va, ..a }, Operand { val: vb, ..b }];
        match self.broadcast_operands(span, &operands) {
            Some(shape) => Val { ty: Ty { shape, elem }, cv },
            None => Val::error(),
        }
    }

    pub(super) fn math(&mut self, e: ExprId, op: UnaryOp, args: &BoundArgs) -> Val {
        let x = self.operand(args, 0);
        let name = Builtin::Math(op).name();
        let val = match (x.val.ty.elem, op) {
            (Elem::Error, _) => return Val::error(),
            (Elem::IntLit, UnaryOp::Abs) => self.coerce(self.arg(args, 0), &x.val, ScalarType::I32),
            (Elem::IntLit | Elem::FloatLit, _) => {
                self.coerce(self.arg(args, 0), &x.val, ScalarType::F32)
            }
            (Elem::Scalar(s), _) if s.is_float() => x.val.clone(),
            (Elem::Scalar(s), UnaryOp::Abs) if s.is_int() => x.val.clone(),
            (Elem::Scalar(_) | Elem::Ptr(_) | Elem::Void, _) => {
                let span = self.ast().expr_span(e);
                let (accepted, help) = if op == UnaryOp::Abs {
                    ("integers or floats", "")
                } else {
                    ("floats", "convert first, e.g. `x as f32`")
                };
                self.bad_elem(span, name, &x.val.ty, accepted, help);
                return Val::error();
            }
        };
        if val.is_error() {
            return val;
        }
        Val::of(val.ty)
    }

    /// The tile operand of a reduction or scan: a typed tile of integers or floats.
    fn reduced_operand(&mut self, e: ExprId, name: &str, args: &BoundArgs) -> Option<Ty> {
        let x = self.operand(args, 0);
        if x.val.is_error() {
            return None;
        }
        let span = self.ast().expr_span(e);
        if x.val.ty.rank() == 0 {
            self.emit(
                Diagnostic::error(
                    "E0310",
                    format!("`{name}` of a scalar"),
                    x.span,
                    format!("this is `{}`", x.val.ty),
                )
                .with_help("reductions and scans work on tiles of rank 1 or more"),
            );
            return None;
        }
        match x.val.ty.elem {
            Elem::Scalar(s) if s.is_int() || s.is_float() => Some(x.val.ty),
            Elem::Scalar(_)
            | Elem::Ptr(_)
            | Elem::IntLit
            | Elem::FloatLit
            | Elem::Void
            | Elem::Error => {
                self.bad_elem(
                    span,
                    name,
                    &x.val.ty,
                    "integer or float elements",
                    "convert first, e.g. `x as i32`",
                );
                None
            }
        }
    }

    /// The `axis:` argument in slot 1: `Some(Some(axis))`, `Some(None)` when absent,
    /// `None` when invalid or unknown.
    fn axis_arg(&mut self, args: &BoundArgs, ty: &Ty, name: &str) -> Option<Option<usize>> {
        let Some(axis) = args.get(1) else { return Some(None) };
        match self.const_int(axis, &format!("the axis of `{name}`")) {
            ConstInt::Known(v) if (0..ty.rank() as i128).contains(&v) => Some(Some(v as usize)),
            ConstInt::Known(v) => {
                let span = self.ast().expr_span(axis);
                self.emit(
                    Diagnostic::error(
                        "E0302",
                        format!("axis {v} is out of range for `{ty}`"),
                        span,
                        format!("axes are 0..{}", ty.rank()),
                    )
                    .with_help("axis 0 is the outermost dimension"),
                );
                None
            }
            ConstInt::Unknown | ConstInt::Invalid => None,
        }
    }

    pub(super) fn reduce(&mut self, e: ExprId, op: ReduceOp, args: &BoundArgs) -> Val {
        let name = Builtin::Reduce(op).name();
        let Some(ty) = self.reduced_operand(e, name, args) else { return Val::error() };
        let Some(axis) = self.axis_arg(args, &ty, name) else { return Val::error() };
        let shape: Vec<Dim> = match axis {
            Some(axis) => {
                ty.shape.iter().enumerate().filter(|(i, _)| *i != axis).map(|(_, d)| *d).collect()
            }
            None => Vec::new(),
        };
        let elem = match op {
            ReduceOp::ArgMax | ReduceOp::ArgMin => Elem::Scalar(ScalarType::I32),
            ReduceOp::Sum | ReduceOp::Max | ReduceOp::Min => ty.elem,
        };
        Val::of(Ty { shape, elem })
    }

    pub(super) fn cumsum(&mut self, e: ExprId, args: &BoundArgs) -> Val {
        let Some(ty) = self.reduced_operand(e, "cumsum", args) else { return Val::error() };
        match self.axis_arg(args, &ty, "cumsum") {
            Some(Some(_)) => Val::of(ty),
            Some(None) if ty.rank() == 1 => Val::of(ty),
            Some(None) => {
                let span = self.ast().expr_span(e);
                self.emit(
                    Diagnostic::error(
                        "E0302",
                        format!("`cumsum` of `{ty}` needs an axis"),
                        span,
                        "which axis to scan along?",
                    )
                    .with_help("pass `axis: n`; only 1-D tiles scan along axis 0 by default"),
                );
                Val::error()
            }
            None => Val::error(),
        }
    }

    pub(super) fn dot(&mut self, e: ExprId, args: &BoundArgs) -> Val {
        let span = self.ast().expr_span(e);
        let a = self.operand(args, 0);
        let b = self.operand(args, 1);
        let acc = args.get(2).map(|_| self.operand(args, 2));
        if a.val.is_error() || b.val.is_error() || acc.as_ref().is_some_and(|c| c.val.is_error()) {
            return Val::error();
        }
        for x in [&a, &b] {
            if x.val.ty.rank() != 2 || x.val.ty.is_untyped() {
                self.emit(
                    Diagnostic::error("E0303", "`dot` needs 2-D tiles", x.span, format!("this is `{}`", x.val.ty))
                        .with_help("`dot(a, b)` multiplies `[M, K]` by `[K, N]`; reshape or add an axis with `x[None, :]`"),
                );
                return Val::error();
            }
        }
        let Some(acc_elem) = self.dot_types(span, &a, &b) else { return Val::error() };
        let (m, k1, k2, n) =
            (a.val.ty.shape[0], a.val.ty.shape[1], b.val.ty.shape[0], b.val.ty.shape[1]);
        if !dims_match(k1, k2) {
            self.emit(
                Diagnostic::error(
                    "E0303",
                    format!("`dot` inner dimensions differ: {k1} and {k2}"),
                    span,
                    "K must agree",
                )
                .with_label(a.span, format!("this is `{}`", a.val.ty))
                .with_label(b.span, format!("this is `{}`", b.val.ty)),
            );
            return Val::error();
        }
        let result = Ty { shape: vec![m, n], elem: Elem::Scalar(acc_elem) };
        if let Some(acc) = acc {
            if acc.val.ty.elem != result.elem
                || !crate::sema::ty::shapes_match(&acc.val.ty.shape, &result.shape)
            {
                let code = if acc.val.ty.elem != result.elem { "E0213" } else { "E0303" };
                self.emit(
                    Diagnostic::error(
                        code,
                        format!(
                            "the accumulator of `dot` must be `{result}`, found `{}`",
                            acc.val.ty
                        ),
                        acc.span,
                        format!("expected `{result}`"),
                    )
                    .with_help(format!(
                        "create it with `zeros({}, {acc_elem})`",
                        ShapeDisplay(&result.shape)
                    )),
                );
                return Val::error();
            }
        }
        if !self.check_size(&result.shape, span) {
            return Val::error();
        }
        Val::of(result)
    }

    /// The accumulator type for `dot` inputs, checking they agree and are supported.
    fn dot_types(
        &mut self,
        span: crate::ast::Span,
        a: &Operand,
        b: &Operand,
    ) -> Option<ScalarType> {
        if a.val.ty.elem != b.val.ty.elem {
            self.emit(
                Diagnostic::error(
                    "E0213",
                    format!(
                        "`dot` operands have different element types `{}` and `{}`",
                        a.val.ty.elem, b.val.ty.elem
                    ),
                    span,
                    "element types differ",
                )
                .with_label(a.span, format!("this is `{}`", a.val.ty))
                .with_label(b.span, format!("this is `{}`", b.val.ty))
                .with_help("convert one operand with `as`"),
            );
            return None;
        }
        let acc = match a.val.ty.scalar_type().and_then(dot_accumulator) {
            Some(acc) => acc,
            None => {
                self.emit(
                    Diagnostic::error(
                        "E0213",
                        format!("`dot` does not support `{}` operands", a.val.ty.elem),
                        span,
                        "unsupported element type",
                    )
                    .with_help(
                        "`dot` takes f16, bf16, f32, f64 or i8 operands; convert with `as f32`",
                    ),
                );
                return None;
            }
        };
        Some(acc)
    }
}

/// `maximum`/`minimum` of two constants.
fn pick(builtin: Builtin, x: ConstVal, y: ConstVal) -> ConstVal {
    let as_f64 = |v: ConstVal| match v {
        ConstVal::Int(i) => i as f64,
        ConstVal::Float(f) => f,
        ConstVal::Bool(b) => f64::from(u8::from(b)),
    };
    if as_f64(x).is_nan() {
        return x;
    }
    if as_f64(y).is_nan() {
        return y;
    }
    let x_greater = match (x, y) {
        (ConstVal::Int(a), ConstVal::Int(b)) => a >= b,
        (ConstVal::Int(_) | ConstVal::Float(_) | ConstVal::Bool(_), _) => as_f64(x) >= as_f64(y),
    };
    let x_wins = x_greater == (builtin == Builtin::Maximum);
    if x_wins {
        x
    } else {
        y
    }
}

/// The accumulator type of `dot` for operands of type `s`, if `dot` supports them.
fn dot_accumulator(s: ScalarType) -> Option<ScalarType> {
    match s {
        ScalarType::F16 | ScalarType::BF16 | ScalarType::F32 => Some(ScalarType::F32),
        ScalarType::F64 => Some(ScalarType::F64),
        ScalarType::I8 => Some(ScalarType::I32),
        ScalarType::Bool
        | ScalarType::I16
        | ScalarType::I32
        | ScalarType::I64
        | ScalarType::U8
        | ScalarType::U16
        | ScalarType::U32
        | ScalarType::U64 => None,
    }
}
