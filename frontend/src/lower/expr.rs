//! Expressions: constants, names, operators, casts, subscripts and helper calls.
//!
//! Like the checker, the walk loops down the left spine of operator chains and
//! recurses only into right operands and call arguments. A node the checker found
//! constant becomes one `const` of the type its context gave it, whatever it is made
//! of (literals, const parameters, arithmetic).

use super::builder::FnLower;
use crate::ast::{BinOp, Expr, ExprId, IndexItem, Span, UnOp};
use crate::sema::typed::CallInfo;
use crate::sema::walk::spine_child;
use tessera_ir::{BinaryOp, CmpPred, ElemType, Op, ScalarType, Type, UnaryOp, Value};

impl FnLower<'_> {
    /// Lowers an expression that has a value.
    pub fn expr(&mut self, root: ExprId) -> Value {
        let ast = self.ast;
        let mut spine = Vec::new();
        let mut cur = root;
        while self.const_of(cur).is_none() {
            let Some(inner) = spine_child(&ast.exprs[cur]) else { break };
            spine.push(cur);
            cur = inner;
        }
        let mut value = self.leaf(cur);
        while let Some(node) = spine.pop() {
            value = self.spine_node(node, value);
        }
        value
    }

    fn leaf(&mut self, e: ExprId) -> Value {
        let span = self.ast.expr_span(e);
        if let Some(value) = self.const_of(e) {
            return self.const_expr(e, value);
        }
        match &self.ast.exprs[e] {
            Expr::Name(_) => match self.inst.names.get(&e).copied() {
                Some(binding) => self.binding_value(binding, span),
                None => self.missing(span, "an unresolved name"),
            },
            Expr::Call { .. } => match self.call(e) {
                Some(value) => value,
                None => self.missing(span, "a call without a value"),
            },
            Expr::Int(_)
            | Expr::Float(_)
            | Expr::Bool(_)
            | Expr::Str(_)
            | Expr::DType(_)
            | Expr::List(_)
            | Expr::Binary { .. }
            | Expr::Unary { .. }
            | Expr::Cast { .. }
            | Expr::Paren(_)
            | Expr::Index { .. } => self.missing(span, "an expression the checker rejected"),
        }
    }

    fn missing(&mut self, span: Span, what: &str) -> Value {
        self.internal(span, &format!("{what} reached lowering"));
        self.constant(crate::sema::consts::ConstVal::Int(0), ScalarType::I32, span)
    }

    fn spine_node(&mut self, node: ExprId, inner: Value) -> Value {
        let ast = self.ast;
        let span = ast.expr_span(node);
        match &ast.exprs[node] {
            Expr::Binary { op, rhs, .. } => {
                let rhs = self.expr(*rhs);
                let result = self.expr_type(node);
                self.binary(span, *op, &result, inner, rhs)
            }
            Expr::Unary { op, .. } => {
                let op = match op {
                    UnOp::Neg => UnaryOp::Neg,
                    UnOp::Not => UnaryOp::Not,
                };
                let ty = self.ty(inner);
                self.emit1(Op::Unary { op, arg: inner }, ty, span)
            }
            Expr::Cast { .. } => {
                let target = self.expr_type(node);
                if self.ty(inner) == target {
                    inner
                } else {
                    self.emit1(Op::Cast { arg: inner }, target, span)
                }
            }
            Expr::Index { items, .. } => self.index(inner, items, span),
            Expr::Paren(_)
            | Expr::Int(_)
            | Expr::Float(_)
            | Expr::Bool(_)
            | Expr::Str(_)
            | Expr::Name(_)
            | Expr::DType(_)
            | Expr::List(_)
            | Expr::Call { .. } => inner,
        }
    }

    fn index(&mut self, base: Value, items: &[IndexItem], span: Span) -> Value {
        let ty = self.ty(base);
        let mut shape = ty.shape.clone();
        let mut value = base;
        for (axis, item) in items.iter().enumerate() {
            if *item == IndexItem::NewAxis {
                shape.insert(axis.min(shape.len()), 1);
                let op = Op::ExpandDims { arg: value, axis: axis as u32 };
                value = self.emit1(op, ty.with_shape(shape.clone()), span);
            }
        }
        value
    }

    /// Lowers `lhs op rhs` with result type `result`, broadcasting both operands.
    pub fn binary(
        &mut self,
        span: Span,
        op: BinOp,
        result: &Type,
        lhs: Value,
        rhs: Value,
    ) -> Value {
        let (lty, rty) = (self.ty(lhs), self.ty(rhs));
        let shape = result.shape.clone();
        if let ElemType::Ptr(_) = lty.elem {
            return self.ptr_add(span, op, result, lhs, rhs);
        }
        if let ElemType::Ptr(_) = rty.elem {
            return self.ptr_add(span, op, result, rhs, lhs);
        }
        let lhs = self.broadcast(lhs, &shape, span);
        let rhs = self.broadcast(rhs, &shape, span);
        let op = match op {
            BinOp::Add => Ok(BinaryOp::Add),
            BinOp::Sub => Ok(BinaryOp::Sub),
            BinOp::Mul => Ok(BinaryOp::Mul),
            BinOp::Div => Ok(BinaryOp::Div),
            BinOp::Rem => Ok(BinaryOp::Rem),
            BinOp::BitAnd | BinOp::And => Ok(BinaryOp::And),
            BinOp::BitOr | BinOp::Or => Ok(BinaryOp::Or),
            BinOp::BitXor => Ok(BinaryOp::Xor),
            BinOp::Shl => Ok(BinaryOp::Shl),
            BinOp::Shr => Ok(BinaryOp::Shr),
            BinOp::Eq => Err(CmpPred::Eq),
            BinOp::Ne => Err(CmpPred::Ne),
            BinOp::Lt => Err(CmpPred::Lt),
            BinOp::Le => Err(CmpPred::Le),
            BinOp::Gt => Err(CmpPred::Gt),
            BinOp::Ge => Err(CmpPred::Ge),
        };
        match op {
            Ok(op) => self.emit1(Op::Binary { op, lhs, rhs }, result.clone(), span),
            Err(pred) => self.emit1(Op::Cmp { pred, lhs, rhs }, result.clone(), span),
        }
    }

    /// `ptr + offset` (or `ptr - offset`, which negates the offset first).
    fn ptr_add(
        &mut self,
        span: Span,
        op: BinOp,
        result: &Type,
        ptr: Value,
        offset: Value,
    ) -> Value {
        let shape = result.shape.clone();
        let ptr = self.broadcast(ptr, &shape, span);
        let mut offset = self.broadcast(offset, &shape, span);
        if op == BinOp::Sub {
            let ty = self.ty(offset);
            if ty.elem.scalar().is_some_and(ScalarType::is_unsigned_int) {
                // Negating an unsigned offset would wrap; widen to a signed type first.
                let wide = ty.with_elem(ElemType::Scalar(ScalarType::I64));
                offset = self.emit1(Op::Cast { arg: offset }, wide, span);
            }
            let ty = self.ty(offset);
            offset = self.emit1(Op::Unary { op: UnaryOp::Neg, arg: offset }, ty, span);
        }
        self.emit1(Op::PtrAdd { ptr, offset }, result.clone(), span)
    }

    /// Lowers a call; `None` for calls that return nothing.
    pub fn call(&mut self, e: ExprId) -> Option<Value> {
        let span = self.ast.expr_span(e);
        match self.inst.calls.get(&e) {
            Some(CallInfo::Builtin(builtin, args)) => {
                let (builtin, args) = (*builtin, args.clone());
                self.builtin(e, builtin, &args)
            }
            Some(CallInfo::Helper { instance, args }) => {
                let (instance, args) = (*instance, args.clone());
                let values: Vec<Value> = args.iter().map(|&a| self.expr(a)).collect();
                let helper = self.program.instance(instance);
                let callee = helper.name.clone();
                let result_types: Vec<Type> =
                    helper.result.iter().filter_map(|t| t.to_ir()).collect();
                let inst = self.emit(Op::Call { callee, args: values }, result_types, span);
                self.func.insts[inst].results.first().copied()
            }
            None => {
                self.internal(span, "an unresolved call reached lowering");
                None
            }
        }
    }
}
