//! Operators: which element types each accepts, one common type for both operands
//! (literals adapt, typed values never convert), broadcasting, pointer arithmetic and
//! const folding.

use super::FnCx;
use crate::ast::{BinOp, ExprId, Span, UnOp};
use crate::diag::Diagnostic;
use crate::sema::consts::{eval_binary, eval_unary, fits, ConstError, ConstVal, Cv};
use crate::sema::ty::{broadcast_shapes, Dim, Elem, ShapeDisplay, Ty};
use crate::sema::typed::Val;
use tessera_ir::ScalarType;

/// An operand as the operator checks see it: its expression (for literal coercion; a
/// compound assignment's target has none) and where to point.
#[derive(Clone, Debug)]
pub struct Operand {
    pub expr: Option<ExprId>,
    pub span: Span,
    pub val: Val,
}

/// Whether `op` is a comparison (its result is `bool`).
pub fn is_comparison(op: BinOp) -> bool {
    matches!(op, BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge)
}

impl FnCx<'_, '_> {
    /// Checks `lhs op rhs`.
    pub fn binary(&mut self, span: Span, op: BinOp, lhs: Operand, rhs: Operand) -> Val {
        let lhs = Operand { val: self.require_value(lhs.span, lhs.val), ..lhs };
        let rhs = Operand { val: self.require_value(rhs.span, rhs.val), ..rhs };
        if lhs.val.is_error() || rhs.val.is_error() {
            return Val::error();
        }
        if matches!(lhs.val.ty.elem, Elem::Ptr(_)) || matches!(rhs.val.ty.elem, Elem::Ptr(_)) {
            return self.pointer_arith(span, op, &lhs, &rhs);
        }
        let Some((l, r)) = self.unify(op.symbol(), &lhs, &rhs) else { return Val::error() };
        let elem = joined_elem(l.ty.elem, r.ty.elem);
        if let Err((message, help)) = operator_accepts(op, elem) {
            let mut diag =
                Diagnostic::error("E0201", message, span, format!("`{}` on `{elem}`", op.symbol()));
            if !help.is_empty() {
                diag = diag.with_help(help);
            }
            self.emit(diag);
            return Val::error();
        }
        let operands = [Operand { val: l.clone(), ..lhs }, Operand { val: r.clone(), ..rhs }];
        let Some(shape) = self.broadcast_operands(span, &operands) else { return Val::error() };
        let result_elem = if is_comparison(op) { Elem::Scalar(ScalarType::Bool) } else { elem };
        let cv = match (l.cv, r.cv) {
            (Some(Cv::Known(a)), Some(Cv::Known(b))) => {
                match eval_binary(op, scalar_of(elem), a, b) {
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
        Val { ty: Ty { shape, elem: result_elem }, cv }
    }

    /// Reports a failed const evaluation.
    pub fn const_error(&mut self, span: Span, err: ConstError) {
        let code = match err {
            ConstError::DivisionByZero => "E0403",
            ConstError::Overflow(_) | ConstError::ShiftAmount(_) => "E0404",
        };
        self.emit(
            Diagnostic::error(
                code,
                format!("constant evaluation failed: {err}"),
                span,
                err.to_string(),
            )
            .with_help("this expression is computed at compile time from constants"),
        );
    }

    /// Checks `op arg`.
    pub fn unary(&mut self, span: Span, op: UnOp, arg: ExprId, val: Val) -> Val {
        let val = self.require_value(self.ast().expr_span(arg), val);
        if val.is_error() {
            return val;
        }
        let elem = val.ty.elem;
        let ok = match op {
            UnOp::Neg => elem.is_numeric(),
            UnOp::Not => elem.is_int_like() || elem == Elem::Scalar(ScalarType::Bool),
        };
        if !ok {
            let (symbol, help) = match op {
                UnOp::Neg => ("-", "negation needs an integer or float; for bool use `!`"),
                UnOp::Not => ("!", "`!` needs an integer or bool; for floats use `-x` or compare"),
            };
            self.emit(
                Diagnostic::error(
                    "E0201",
                    format!("`{symbol}` is not defined on `{elem}`"),
                    span,
                    format!("`{symbol}` on `{}`", val.ty),
                )
                .with_help(help),
            );
            return Val::error();
        }
        let cv = match val.cv {
            Some(Cv::Known(v)) => match eval_unary(op, scalar_of(elem), v) {
                Ok(v) => Some(Cv::Known(v)),
                Err(err) => {
                    self.const_error(span, err);
                    return Val::error();
                }
            },
            other => other,
        };
        Val { ty: val.ty, cv }
    }

    /// Brings two operands to one element type: an untyped literal takes the other's
    /// type; two typed values must already agree.
    pub fn unify(&mut self, what: &str, a: &Operand, b: &Operand) -> Option<(Val, Val)> {
        let (ea, eb) = (a.val.ty.elem, b.val.ty.elem);
        if ea == eb || (a.val.ty.is_untyped() && b.val.ty.is_untyped()) {
            return Some((a.val.clone(), b.val.clone()));
        }
        match (ea, eb) {
            (Elem::IntLit | Elem::FloatLit, Elem::Scalar(t)) => {
                let coerced = self.coerce_operand(a, t)?;
                Some((coerced, b.val.clone()))
            }
            (Elem::Scalar(t), Elem::IntLit | Elem::FloatLit) => {
                let coerced = self.coerce_operand(b, t)?;
                Some((a.val.clone(), coerced))
            }
            (
                Elem::Scalar(_)
                | Elem::Ptr(_)
                | Elem::IntLit
                | Elem::FloatLit
                | Elem::Void
                | Elem::Error,
                _,
            ) => {
                self.mismatch(what, a, b);
                None
            }
        }
    }

    fn coerce_operand(&mut self, operand: &Operand, target: ScalarType) -> Option<Val> {
        let expr = operand.expr?;
        let val = self.coerce(expr, &operand.val, target);
        (!val.is_error()).then_some(val)
    }

    /// Reports operands of different types, pointing at the right one.
    pub fn mismatch(&mut self, what: &str, a: &Operand, b: &Operand) {
        let (ta, tb) = (&a.val.ty, &b.val.ty);
        let mut diag = Diagnostic::error(
            "E0200",
            format!("mismatched types: `{what}` of `{}` and `{}`", ta.elem, tb.elem),
            b.span,
            format!("this is `{tb}`"),
        )
        .with_label(a.span, format!("this is `{ta}`"));
        if let (Elem::Scalar(sa), Elem::Scalar(sb)) = (ta.elem, tb.elem) {
            // Suggest converting toward floats, then toward the wider type, else the
            // right operand to the left one's type.
            let a_wins = (sa.is_float(), sa.bits()) >= (sb.is_float(), sb.bits());
            let (other, target) = if a_wins { (b, sa) } else { (a, sb) };
            let snippet = self.cx.snippet(other.span);
            let shown = if snippet.chars().count() > 24 || snippet.contains(' ') {
                format!("({snippet})")
            } else {
                snippet
            };
            diag = diag.with_help(format!(
                "there are no implicit conversions; convert one side, e.g. `{shown} as {target}`"
            ));
        }
        self.emit(diag);
    }

    /// Broadcasts the shapes of `operands` together (NumPy rules); reports which
    /// operands clash.
    pub fn broadcast_operands(&mut self, span: Span, operands: &[Operand]) -> Option<Vec<Dim>> {
        let mut shape: Vec<Dim> = Vec::new();
        for (i, operand) in operands.iter().enumerate() {
            match broadcast_shapes(&shape, &operand.val.ty.shape) {
                Some(s) => shape = s,
                None => {
                    let shapes: Vec<String> = operands[..=i]
                        .iter()
                        .map(|o| ShapeDisplay(&o.val.ty.shape).to_string())
                        .collect();
                    let mut diag = Diagnostic::error(
                        "E0300",
                        format!("shapes {} cannot be broadcast together", shapes.join(" and ")),
                        operand.span,
                        format!("this has shape {}", ShapeDisplay(&operand.val.ty.shape)),
                    )
                    .with_help(
                        "shapes are aligned on the right and each pair of dimensions must be \
                         equal or 1; `x[:, None]` adds a dimension",
                    );
                    for o in &operands[..i] {
                        diag = diag.with_label(
                            o.span,
                            format!("this has shape {}", ShapeDisplay(&o.val.ty.shape)),
                        );
                    }
                    self.emit(diag);
                    return None;
                }
            }
        }
        self.check_size(&shape, span).then_some(shape)
    }

    /// `ptr + int`, `int + ptr`, `ptr - int`.
    fn pointer_arith(&mut self, span: Span, op: BinOp, lhs: &Operand, rhs: &Operand) -> Val {
        let lhs_is_ptr = matches!(lhs.val.ty.elem, Elem::Ptr(_));
        let (ptr, offset) = if lhs_is_ptr { (lhs, rhs) } else { (rhs, lhs) };
        let allowed = match op {
            BinOp::Add => !matches!(offset.val.ty.elem, Elem::Ptr(_)),
            BinOp::Sub => lhs_is_ptr && !matches!(offset.val.ty.elem, Elem::Ptr(_)),
            BinOp::Mul
            | BinOp::Div
            | BinOp::Rem
            | BinOp::BitAnd
            | BinOp::BitOr
            | BinOp::BitXor
            | BinOp::Shl
            | BinOp::Shr
            | BinOp::And
            | BinOp::Or
            | BinOp::Eq
            | BinOp::Ne
            | BinOp::Lt
            | BinOp::Le
            | BinOp::Gt
            | BinOp::Ge => false,
        };
        if !allowed {
            self.emit(
                Diagnostic::error(
                    "E0201",
                    format!("`{}` is not defined on `{}` and `{}`", op.symbol(), lhs.val.ty.elem, rhs.val.ty.elem),
                    span,
                    "invalid pointer arithmetic",
                )
                .with_help("pointer arithmetic is `ptr + offset`, `offset + ptr` and `ptr - offset`, with integer offsets counted in elements"),
            );
            return Val::error();
        }
        let offset_val = match offset.val.ty.elem {
            Elem::Scalar(s) if s.is_int() => offset.val.clone(),
            Elem::IntLit => {
                let fits_i32 = matches!(offset.val.cv, Some(Cv::Known(ConstVal::Int(v))) if fits(v, ScalarType::I32));
                let target = if fits_i32 { ScalarType::I32 } else { ScalarType::I64 };
                match self.coerce_operand(offset, target) {
                    Some(v) => v,
                    None => return Val::error(),
                }
            }
            Elem::Scalar(_) | Elem::Ptr(_) | Elem::FloatLit | Elem::Void | Elem::Error => {
                self.emit(
                    Diagnostic::error(
                        "E0201",
                        format!("pointer offsets must be integers, found `{}`", offset.val.ty),
                        offset.span,
                        "not an integer",
                    )
                    .with_help("cast the offset, e.g. `… as i32`"),
                );
                return Val::error();
            }
        };
        let operands = [ptr.clone(), Operand { val: offset_val, ..offset.clone() }];
        let Some(shape) = self.broadcast_operands(span, &operands) else { return Val::error() };
        Val::of(Ty { shape, elem: ptr.val.ty.elem })
    }
}

/// The element type of two unified operands (two untyped literals join to a float if
/// either is one).
pub fn joined_elem(a: Elem, b: Elem) -> Elem {
    if (a, b) == (Elem::IntLit, Elem::FloatLit) {
        Elem::FloatLit
    } else {
        a
    }
}

/// The scalar type of a typed element; `None` for untyped literals.
pub fn scalar_of(elem: Elem) -> Option<ScalarType> {
    match elem {
        Elem::Scalar(s) => Some(s),
        Elem::Ptr(_) | Elem::IntLit | Elem::FloatLit | Elem::Void | Elem::Error => None,
    }
}

fn operator_accepts(op: BinOp, elem: Elem) -> Result<(), (String, String)> {
    let is_bool = elem == Elem::Scalar(ScalarType::Bool);
    let symbol = op.symbol();
    let (ok, help) = match op {
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem => (
            elem.is_numeric(),
            "arithmetic needs integers or floats; for bools use `&&`, `||`, or cast with `as i32`",
        ),
        BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor => (
            elem.is_int_like() || is_bool,
            "bitwise operators need integers or bools; cast floats with `as i32`",
        ),
        BinOp::Shl | BinOp::Shr => (elem.is_int_like(), "shifts need integer operands"),
        BinOp::And | BinOp::Or => (
            is_bool,
            "`&&` and `||` need bool operands; compare first (`x != 0`) or use `&`/`|` for bits",
        ),
        BinOp::Eq | BinOp::Ne => (elem.is_numeric() || is_bool, ""),
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            (elem.is_numeric(), "ordering comparisons need integers or floats")
        }
    };
    if ok {
        Ok(())
    } else {
        Err((format!("`{symbol}` is not defined on `{elem}`"), help.to_string()))
    }
}
