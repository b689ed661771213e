//! Expressions: the iterative walk, leaves (literals, names), casts and `x[:, None]`.
//!
//! Binary operators, unary operators, casts, subscripts and parentheses nest on their
//! left (or only) operand, so a long chain like `a + b + … + z` is a deep left spine.
//! [`FnCx::expr`] walks that spine with a loop and recurses only into right operands
//! and call arguments, whose depth the parser caps.

use super::ops::Operand;
use super::FnCx;
use crate::ast::{Expr, ExprId, Ident, IndexItem, TypeExpr, TypeExprKind};
use crate::diag::Diagnostic;
use crate::sema::builtins::Builtin;
use crate::sema::consts::{cast_const, ConstVal, Cv};
use crate::sema::scope::did_you_mean;
use crate::sema::ty::{Dim, Elem, Ty};
use crate::sema::typed::Val;
use crate::sema::walk::spine_child;

impl FnCx<'_, '_> {
    /// Checks an expression; records and returns its type and const value.
    pub fn expr(&mut self, root: ExprId) -> Val {
        if !self.cx.enter(self.ast().expr_span(root)) {
            return Val::error();
        }
        let val = self.expr_spine(root);
        self.cx.leave();
        val
    }

    fn expr_spine(&mut self, root: ExprId) -> Val {
        let ast = self.ast();
        let mut spine = Vec::new();
        let mut cur = root;
        while let Some(inner) = spine_child(&ast.exprs[cur]) {
            spine.push(cur);
            cur = inner;
        }
        let mut val = self.leaf(cur);
        self.inst.exprs.insert(cur, val.clone());
        while let Some(node) = spine.pop() {
            val = self.spine_node(node, val);
            self.inst.exprs.insert(node, val.clone());
        }
        val
    }

    fn leaf(&mut self, e: ExprId) -> Val {
        let ast = self.ast();
        match &ast.exprs[e] {
            Expr::Int(v) => Val {
                ty: Ty::rank0(Elem::IntLit),
                cv: Some(Cv::Known(ConstVal::Int(i128::from(*v)))),
            },
            Expr::Float(v) => {
                Val { ty: Ty::rank0(Elem::FloatLit), cv: Some(Cv::Known(ConstVal::Float(*v))) }
            }
            Expr::Bool(b) => Val {
                ty: Ty::scalar(tessera_ir::ScalarType::Bool),
                cv: Some(Cv::Known(ConstVal::Bool(*b))),
            },
            Expr::Name(ident) => self.name_ref(e, ident),
            Expr::Call { callee, args } => self.call(e, callee, args),
            Expr::Str(_) => {
                self.not_a_value(e, "a string literal is only allowed as an assert message")
            }
            Expr::DType(s) => {
                let message = format!("`{s}` is a type, not a value; to convert, write `x as {s}`");
                self.not_a_value(e, &message)
            }
            Expr::List(_) => {
                self.not_a_value(e, "a list is only allowed as a shape or a permutation argument")
            }
            // The spine kinds never reach here; they are handled by `expr`.
            Expr::Binary { .. }
            | Expr::Unary { .. }
            | Expr::Cast { .. }
            | Expr::Paren(_)
            | Expr::Index { .. } => Val::error(),
        }
    }

    fn not_a_value(&mut self, e: ExprId, help: &str) -> Val {
        let span = self.ast().expr_span(e);
        self.emit(
            Diagnostic::error("E0221", "expected a value", span, "not a value here")
                .with_help(help.to_string()),
        );
        Val::error()
    }

    fn spine_node(&mut self, node: ExprId, inner: Val) -> Val {
        let ast = self.ast();
        let span = ast.expr_span(node);
        match &ast.exprs[node] {
            Expr::Binary { op, lhs, rhs } => {
                let rhs_val = self.expr(*rhs);
                let lhs = Operand { expr: Some(*lhs), span: ast.expr_span(*lhs), val: inner };
                let rhs = Operand { expr: Some(*rhs), span: ast.expr_span(*rhs), val: rhs_val };
                self.binary(span, *op, lhs, rhs)
            }
            Expr::Unary { op, arg } => self.unary(span, *op, *arg, inner),
            Expr::Cast { arg, ty } => self.cast(node, *arg, inner, ty),
            Expr::Index { base, items } => self.index(node, *base, inner, items),
            Expr::Paren(_) => inner,
            Expr::Int(_)
            | Expr::Float(_)
            | Expr::Bool(_)
            | Expr::Str(_)
            | Expr::Name(_)
            | Expr::DType(_)
            | Expr::List(_)
            | Expr::Call { .. } => inner,
        }
    }

    fn name_ref(&mut self, e: ExprId, ident: &Ident) -> Val {
        if let Some(b) = self.scopes.lookup(&ident.name) {
            self.inst.names.insert(e, b);
            let binding = &self.inst.bindings[b.0 as usize];
            return Val { ty: binding.ty.clone(), cv: binding.cv };
        }
        let name = &ident.name;
        let is_function = Builtin::from_name(name).is_some()
            || self.cx.items.helpers.contains_key(name)
            || self.cx.items.kernel_names.contains_key(name);
        let mut diag = Diagnostic::error(
            "E0102",
            format!("unknown variable `{name}`"),
            ident.span,
            "not found in this scope",
        );
        if is_function {
            diag = diag.with_help(format!("`{name}` is a function; call it: `{name}(…)`"));
        } else if let Some(s) = did_you_mean(name, self.scopes.visible_names()) {
            diag = diag.with_help(format!("did you mean `{s}`?"));
        }
        self.emit(diag);
        Val::error()
    }

    fn cast(&mut self, node: ExprId, arg: ExprId, val: Val, te: &TypeExpr) -> Val {
        let span = self.ast().expr_span(node);
        let target = match &te.kind {
            TypeExprKind::Scalar(s) => *s,
            TypeExprKind::Ptr(_) | TypeExprKind::Tile { .. } => {
                self.emit(
                    Diagnostic::error(
                        "E0212",
                        "casts convert to a scalar type",
                        te.span,
                        "not a scalar type",
                    )
                    .with_help("`as` converts each element: `x as f32`; pointers cannot be cast"),
                );
                return Val::error();
            }
        };
        let val = self.require_value(self.ast().expr_span(arg), val);
        if val.is_error() {
            return val;
        }
        if let Elem::Ptr(_) = val.ty.elem {
            self.emit(
                Diagnostic::error("E0212", "pointers cannot be cast", span, "cast of a pointer")
                    .with_help("index a buffer by adding integer offsets to its pointer instead"),
            );
            return Val::error();
        }
        if val.ty.is_untyped() && target.is_float() {
            // The literal becomes a constant of the target type directly.
            self.inst.coerced.insert(arg, target);
        }
        let cv = match val.cv {
            Some(Cv::Known(v)) => cast_const(v, target).map(Cv::Known),
            Some(Cv::Unknown) if !target.is_float() => Some(Cv::Unknown),
            Some(Cv::Unknown) | None => None,
        };
        Val { ty: val.ty.with_elem(Elem::Scalar(target)), cv }
    }

    fn index(&mut self, node: ExprId, base: ExprId, val: Val, items: &[IndexItem]) -> Val {
        let span = self.ast().expr_span(node);
        let val = self.require_value(self.ast().expr_span(base), val);
        let val = self.default_untyped(base, &val);
        if val.is_error() {
            return val;
        }
        let kept = items.iter().filter(|i| **i == IndexItem::Full).count();
        if kept != val.ty.rank() {
            self.emit(
                Diagnostic::error(
                    "E0301",
                    format!(
                        "this subscript keeps {kept} dimension{} but the value has rank {}",
                        if kept == 1 { "" } else { "s" },
                        val.ty.rank()
                    ),
                    span,
                    format!("the value is `{}`", val.ty),
                )
                .with_help("write one `:` per dimension and `None` where a new axis of size 1 goes, e.g. `x[:, None]`"),
            );
            return Val::error();
        }
        let mut dims = val.ty.shape.iter();
        let shape: Vec<Dim> = items
            .iter()
            .map(|item| match item {
                IndexItem::Full => dims.next().copied().unwrap_or(Dim::Known(1)),
                IndexItem::NewAxis => Dim::Known(1),
            })
            .collect();
        Val::of(Ty { shape, elem: val.ty.elem })
    }
}
