//! Evaluation of literal-only const expressions (`256`, `-1`, `1 << 10`, `true`), used
//! where no scope exists yet: const parameter defaults and `#[autotune]` candidates.
//!
//! The walk keeps its own stack, so a long `1 + 1 + … + 1` chain costs heap, not
//! native stack.

use super::consts::{eval_binary, eval_unary, ConstError, ConstVal};
use crate::ast::{Ast, Expr, ExprId, Span};

/// Why a literal expression could not be evaluated.
#[derive(Clone, Debug, PartialEq)]
pub enum LiteralEvalError {
    /// A sub-expression that is not a literal or an operator on literals.
    NotLiteral(Span),
    /// Division by zero or overflow.
    Const(ConstError, Span),
}

enum Task {
    Visit(ExprId),
    Apply(ExprId),
}

/// Evaluates `root`, which may use literals, parentheses and unary/binary operators.
/// Integers are exact (untyped); the caller converts the result to a type.
pub fn eval_literal(ast: &Ast, root: ExprId) -> Result<ConstVal, LiteralEvalError> {
    let mut tasks = vec![Task::Visit(root)];
    let mut values: Vec<ConstVal> = Vec::new();
    while let Some(task) = tasks.pop() {
        match task {
            Task::Visit(e) => match &ast.exprs[e] {
                Expr::Int(v) => values.push(ConstVal::Int(i128::from(*v))),
                Expr::Float(v) => values.push(ConstVal::Float(*v)),
                Expr::Bool(b) => values.push(ConstVal::Bool(*b)),
                Expr::Paren(inner) => tasks.push(Task::Visit(*inner)),
                Expr::Unary { arg, .. } => {
                    tasks.push(Task::Apply(e));
                    tasks.push(Task::Visit(*arg));
                }
                Expr::Binary { lhs, rhs, .. } => {
                    tasks.push(Task::Apply(e));
                    tasks.push(Task::Visit(*rhs));
                    tasks.push(Task::Visit(*lhs));
                }
                Expr::Str(_)
                | Expr::Name(_)
                | Expr::DType(_)
                | Expr::List(_)
                | Expr::Call { .. }
                | Expr::Index { .. }
                | Expr::Cast { .. } => {
                    return Err(LiteralEvalError::NotLiteral(ast.expr_span(e)));
                }
            },
            Task::Apply(e) => apply(ast, e, &mut values)?,
        }
    }
    values.pop().ok_or(LiteralEvalError::NotLiteral(ast.expr_span(root)))
}

fn apply(ast: &Ast, e: ExprId, values: &mut Vec<ConstVal>) -> Result<(), LiteralEvalError> {
    let span = ast.expr_span(e);
    let result = match &ast.exprs[e] {
        Expr::Unary { op, .. } => {
            let v = values.pop().ok_or(LiteralEvalError::NotLiteral(span))?;
            if !unary_applies(*op, v) {
                return Err(LiteralEvalError::NotLiteral(span));
            }
            eval_unary(*op, None, v)
        }
        Expr::Binary { op, .. } => {
            let b = values.pop().ok_or(LiteralEvalError::NotLiteral(span))?;
            let a = values.pop().ok_or(LiteralEvalError::NotLiteral(span))?;
            if matches!(a, ConstVal::Bool(_)) != matches!(b, ConstVal::Bool(_)) {
                return Err(LiteralEvalError::NotLiteral(span));
            }
            eval_binary(*op, None, a, b)
        }
        Expr::Int(_)
        | Expr::Float(_)
        | Expr::Bool(_)
        | Expr::Str(_)
        | Expr::Name(_)
        | Expr::DType(_)
        | Expr::List(_)
        | Expr::Call { .. }
        | Expr::Index { .. }
        | Expr::Cast { .. }
        | Expr::Paren(_) => return Err(LiteralEvalError::NotLiteral(span)),
    };
    values.push(result.map_err(|err| LiteralEvalError::Const(err, span))?);
    Ok(())
}

fn unary_applies(op: crate::ast::UnOp, v: ConstVal) -> bool {
    use crate::ast::UnOp;
    match (op, v) {
        (UnOp::Neg, ConstVal::Int(_) | ConstVal::Float(_)) => true,
        (UnOp::Not, ConstVal::Int(_) | ConstVal::Bool(_)) => true,
        (UnOp::Neg, ConstVal::Bool(_)) | (UnOp::Not, ConstVal::Float(_)) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::{BinOp, UnOp};

    #[test]
    fn evaluates_long_chains_without_recursion() {
        let mut ast = Ast::default();
        let span = Span::default();
        let mut acc = ast.add_expr(Expr::Int(1), span);
        for _ in 0..100_000 {
            let one = ast.add_expr(Expr::Int(1), span);
            acc = ast.add_expr(Expr::Binary { op: BinOp::Add, lhs: acc, rhs: one }, span);
        }
        let neg = ast.add_expr(Expr::Unary { op: UnOp::Neg, arg: acc }, span);
        assert_eq!(eval_literal(&ast, neg), Ok(ConstVal::Int(-100_001)));
    }
}
