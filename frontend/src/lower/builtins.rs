//! Builtin calls → IR ops, with every operand broadcast to the op's shape.

use super::builder::{broadcast_ir_shapes, FnLower};
use crate::ast::{BinOp, Expr, ExprId, Span};
use crate::sema::builtins::{BoundArgs, Builtin};
use crate::sema::consts::ConstVal;
use crate::sema::walk::as_list;
use tessera_ir::{AtomicOp, BinaryOp, Op, ReduceOp, ScalarType, ScanOp, Type, Value};

impl FnLower<'_> {
    /// Lowers a builtin call; `None` for builtins that return nothing.
    pub fn builtin(&mut self, e: ExprId, builtin: Builtin, args: &BoundArgs) -> Option<Value> {
        let span = self.ast.expr_span(e);
        let arg = |i: usize| args.get(i);
        let value = match builtin {
            Builtin::ProgramId => {
                let axis = self.const_int(arg(0)) as u8;
                self.emit1(Op::ProgramId { axis }, Type::scalar(ScalarType::I32), span)
            }
            Builtin::NumPrograms => {
                let axis = self.const_int(arg(0)) as u8;
                self.emit1(Op::NumPrograms { axis }, Type::scalar(ScalarType::I32), span)
            }
            Builtin::Arange => {
                let (start, end) = (self.const_int(arg(0)), self.const_int(arg(1)));
                let ty = self.expr_type(e);
                self.emit1(Op::Arange { start, end }, ty, span)
            }
            Builtin::Zeros => {
                let ty = self.expr_type(e);
                let elem = ty.elem.scalar().unwrap_or(ScalarType::F32);
                let zero = self.constant(ConstVal::Int(0), elem, span);
                self.broadcast(zero, &ty.shape, span)
            }
            Builtin::Full => {
                let ty = self.expr_type(e);
                let value = self.operand(arg(1));
                self.broadcast(value, &ty.shape, span)
            }
            Builtin::Cdiv => self.cdiv(e, arg(0), arg(1)),
            Builtin::Reshape => {
                let ty = self.expr_type(e);
                let x = self.operand(arg(0));
                self.reshape(x, ty, span)
            }
            Builtin::Trans => {
                let ty = self.expr_type(e);
                let x = self.operand(arg(0));
                let perm = match arg(1) {
                    Some(list) => self.const_list(list),
                    None => vec![1, 0],
                };
                self.emit1(Op::Trans { arg: x, perm }, ty, span)
            }
            Builtin::BroadcastTo => {
                let ty = self.expr_type(e);
                let x = self.operand(arg(0));
                self.broadcast(x, &ty.shape, span)
            }
            Builtin::Load => self.load(e, args),
            Builtin::Store => {
                let (ptr, value, mask) = self.access(args, span);
                self.emit(Op::Store { ptr, value, mask }, Vec::new(), span);
                return None;
            }
            Builtin::AtomicAdd | Builtin::AtomicMax => {
                let op = if builtin == Builtin::AtomicAdd { AtomicOp::Add } else { AtomicOp::Max };
                let ty = self.expr_type(e);
                let (ptr, value, mask) = self.access(args, span);
                self.emit1(Op::Atomic { op, ptr, value, mask }, ty, span)
            }
            Builtin::Where => {
                let ty = self.expr_type(e);
                let cond = self.operand(arg(0));
                let on_true = self.operand(arg(1));
                let on_false = self.operand(arg(2));
                let cond = self.broadcast(cond, &ty.shape, span);
                let on_true = self.broadcast(on_true, &ty.shape, span);
                let on_false = self.broadcast(on_false, &ty.shape, span);
                self.emit1(Op::Select { cond, on_true, on_false }, ty, span)
            }
            Builtin::Maximum | Builtin::Minimum => {
                let ty = self.expr_type(e);
                let op = if builtin == Builtin::Maximum { BinaryOp::Max } else { BinaryOp::Min };
                let lhs = self.operand(arg(0));
                let rhs = self.operand(arg(1));
                let lhs = self.broadcast(lhs, &ty.shape, span);
                let rhs = self.broadcast(rhs, &ty.shape, span);
                self.emit1(Op::Binary { op, lhs, rhs }, ty, span)
            }
            Builtin::Math(op) => {
                let x = self.operand(arg(0));
                let ty = self.ty(x);
                self.emit1(Op::Unary { op, arg: x }, ty, span)
            }
            Builtin::Reduce(op) => self.reduce(e, op, arg(0), arg(1)),
            Builtin::Cumsum => {
                let x = self.operand(arg(0));
                let axis = arg(1).map_or(0, |a| self.const_int(Some(a))) as u32;
                let ty = self.ty(x);
                self.emit1(Op::Scan { op: ScanOp::Cumsum, arg: x, axis }, ty, span)
            }
            Builtin::Dot => self.dot(e, arg(0), arg(1), arg(2)),
            Builtin::StaticAssert => return None,
            Builtin::DeviceAssert => {
                let cond = self.operand(arg(0));
                let message = self.assert_message(arg(0), arg(1));
                self.emit(Op::Assert { cond, message }, Vec::new(), span);
                return None;
            }
            Builtin::Range => {
                self.internal(span, "`range` outside a `for` reached lowering");
                return None;
            }
        };
        Some(value)
    }

    /// Lowers a required argument.
    fn operand(&mut self, arg: Option<ExprId>) -> Value {
        match arg {
            Some(expr) => self.expr(expr),
            None => {
                self.internal(Span::default(), "a missing argument reached lowering");
                self.constant(ConstVal::Int(0), ScalarType::I32, Span::default())
            }
        }
    }

    /// The value of a const integer argument (checked by the checker).
    fn const_int(&mut self, arg: Option<ExprId>) -> i64 {
        match arg.and_then(|a| self.const_of(a)) {
            Some(ConstVal::Int(v)) => v as i64,
            Some(ConstVal::Bool(b)) => i64::from(b),
            Some(ConstVal::Float(_)) | None => {
                let span = arg.map_or(Span::default(), |a| self.ast.expr_span(a));
                self.internal(span, "a non-constant integer argument reached lowering");
                0
            }
        }
    }

    fn const_list(&mut self, list: ExprId) -> Vec<u32> {
        let items = as_list(&self.ast.exprs[list]).unwrap_or_default().to_vec();
        items.into_iter().map(|i| self.const_int(Some(i)) as u32).collect()
    }

    fn assert_message(&self, cond: Option<ExprId>, message: Option<ExprId>) -> String {
        if let Some(Expr::Str(text)) = message.map(|m| &self.ast.exprs[m]) {
            return text.clone();
        }
        let span = cond.map_or(Span::default(), |c| self.ast.expr_span(c));
        let text = self.source(span);
        format!("assertion failed: {text}")
    }

    fn cdiv(&mut self, e: ExprId, a: Option<ExprId>, b: Option<ExprId>) -> Value {
        let span = self.ast.expr_span(e);
        let ty = self.expr_type(e);
        let a = self.operand(a);
        let b = self.operand(b);
        let elem = ty.elem.scalar().unwrap_or(ScalarType::I32);
        let one = self.constant(ConstVal::Int(1), elem, span);
        let sum = self.binary(span, BinOp::Add, &ty, a, b);
        let minus_one = self.binary(span, BinOp::Sub, &ty, sum, one);
        let b = self.broadcast(b, &ty.shape, span);
        self.binary(span, BinOp::Div, &ty, minus_one, b)
    }

    fn reshape(&mut self, x: Value, ty: Type, span: Span) -> Value {
        let from = self.ty(x);
        if from.shape == ty.shape {
            x
        } else if from.shape.is_empty() {
            self.emit1(Op::Splat { value: x }, ty, span)
        } else {
            self.emit1(Op::Reshape { arg: x }, ty, span)
        }
    }

    fn load(&mut self, e: ExprId, args: &BoundArgs) -> Value {
        let span = self.ast.expr_span(e);
        let ty = self.expr_type(e);
        let ptr = self.operand(args.get(0));
        let mask = args.get(1).map(|m| self.expr(m));
        let other = args.get(2).map(|o| self.expr(o));
        let ptr = self.broadcast(ptr, &ty.shape, span);
        let mask = mask.map(|m| self.broadcast(m, &ty.shape, span));
        let other = other.map(|o| self.broadcast(o, &ty.shape, span));
        self.emit1(Op::Load { ptr, mask, other }, ty, span)
    }

    /// The pointer, value and mask of a store or atomic, broadcast together.
    fn access(&mut self, args: &BoundArgs, span: Span) -> (Value, Value, Option<Value>) {
        let ptr = self.operand(args.get(0));
        let value = self.operand(args.get(1));
        let mask = args.get(2).map(|m| self.expr(m));
        let mut shapes = vec![self.ty(ptr).shape, self.ty(value).shape];
        if let Some(mask) = mask {
            shapes.push(self.ty(mask).shape);
        }
        let refs: Vec<&[u32]> = shapes.iter().map(Vec::as_slice).collect();
        let shape = broadcast_ir_shapes(&refs);
        let ptr = self.broadcast(ptr, &shape, span);
        let value = self.broadcast(value, &shape, span);
        let mask = mask.map(|m| self.broadcast(m, &shape, span));
        (ptr, value, mask)
    }

    fn reduce(
        &mut self,
        e: ExprId,
        op: ReduceOp,
        x: Option<ExprId>,
        axis: Option<ExprId>,
    ) -> Value {
        let span = self.ast.expr_span(e);
        let ty = self.expr_type(e);
        let x = self.operand(x);
        let (x, axis) = match axis {
            Some(axis) => (x, self.const_int(Some(axis)) as u32),
            None => {
                // Reducing everything: flatten first, so sums follow the row-major order and
                // arg* give the flat index.
                let from = self.ty(x);
                let flat = from.with_shape(vec![from.shape.iter().product()]);
                (self.reshape(x, flat, span), 0)
            }
        };
        self.emit1(Op::Reduce { op, arg: x, axis }, ty, span)
    }

    fn dot(
        &mut self,
        e: ExprId,
        a: Option<ExprId>,
        b: Option<ExprId>,
        acc: Option<ExprId>,
    ) -> Value {
        let span = self.ast.expr_span(e);
        let ty = self.expr_type(e);
        let a = self.operand(a);
        let b = self.operand(b);
        let acc = match acc {
            Some(acc) => self.expr(acc),
            None => {
                let elem = ty.elem.scalar().unwrap_or(ScalarType::F32);
                let zero = self.constant(ConstVal::Int(0), elem, span);
                self.broadcast(zero, &ty.shape, span)
            }
        };
        self.emit1(Op::Dot { a, b, acc }, ty, span)
    }
}
