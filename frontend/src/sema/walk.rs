//! Syntactic walks over bodies: calls made, and where `return`s are.
//!
//! Blocks are walked recursively (their nesting is capped by the parser); expressions
//! are walked with an explicit stack, so long operator chains cost no native stack.
//! Checking and lowering share the return analysis, so both agree on which code runs
//! after an `if` whose branch returns.

use crate::ast::{Ast, Block, Expr, ExprId, Ident, Stmt, StmtId};

/// The left (or only) operand of an expression that chains on it: binary operators,
/// unary operators, casts, subscripts and parentheses. A long chain like
/// `a + b + … + z` is a deep left spine that walkers follow with a loop.
pub fn spine_child(expr: &Expr) -> Option<ExprId> {
    match expr {
        Expr::Binary { lhs: inner, .. }
        | Expr::Unary { arg: inner, .. }
        | Expr::Cast { arg: inner, .. }
        | Expr::Paren(inner)
        | Expr::Index { base: inner, .. } => Some(*inner),
        Expr::Int(_)
        | Expr::Float(_)
        | Expr::Bool(_)
        | Expr::Str(_)
        | Expr::Name(_)
        | Expr::DType(_)
        | Expr::List(_)
        | Expr::Call { .. } => None,
    }
}

/// The items of a list expression (`[a, b]`).
pub fn as_list(expr: &Expr) -> Option<&[ExprId]> {
    match expr {
        Expr::List(items) => Some(items),
        Expr::Int(_)
        | Expr::Float(_)
        | Expr::Bool(_)
        | Expr::Str(_)
        | Expr::Name(_)
        | Expr::DType(_)
        | Expr::Unary { .. }
        | Expr::Binary { .. }
        | Expr::Call { .. }
        | Expr::Index { .. }
        | Expr::Cast { .. }
        | Expr::Paren(_) => None,
    }
}

/// Appends every call's callee in `block` (nested blocks included).
pub fn calls_in_block(ast: &Ast, block: &Block, out: &mut Vec<Ident>) {
    for &stmt in &block.stmts {
        match &ast.stmts[stmt] {
            Stmt::Let { init, .. } => calls_in_expr(ast, *init, out),
            Stmt::Assign { value, .. } => calls_in_expr(ast, *value, out),
            Stmt::Expr(e) => calls_in_expr(ast, *e, out),
            Stmt::For { iter, body, .. } => {
                calls_in_expr(ast, *iter, out);
                calls_in_block(ast, body, out);
            }
            Stmt::While { cond, body } => {
                calls_in_expr(ast, *cond, out);
                calls_in_block(ast, body, out);
            }
            Stmt::If { cond, then_block, else_block } => {
                calls_in_expr(ast, *cond, out);
                calls_in_block(ast, then_block, out);
                if let Some(else_block) = else_block {
                    calls_in_block(ast, else_block, out);
                }
            }
            Stmt::Return(value) => {
                if let Some(value) = value {
                    calls_in_expr(ast, *value, out);
                }
            }
        }
    }
}

/// Appends every call's callee in the expression `root`.
pub fn calls_in_expr(ast: &Ast, root: ExprId, out: &mut Vec<Ident>) {
    let mut stack = vec![root];
    while let Some(e) = stack.pop() {
        match &ast.exprs[e] {
            Expr::Int(_)
            | Expr::Float(_)
            | Expr::Bool(_)
            | Expr::Str(_)
            | Expr::Name(_)
            | Expr::DType(_) => {}
            Expr::List(items) => stack.extend(items.iter().rev().copied()),
            Expr::Unary { arg, .. } | Expr::Cast { arg, .. } | Expr::Paren(arg) => stack.push(*arg),
            Expr::Index { base, .. } => stack.push(*base),
            Expr::Binary { lhs, rhs, .. } => {
                stack.push(*rhs);
                stack.push(*lhs);
            }
            Expr::Call { callee, args } => {
                out.push(callee.clone());
                stack.extend(args.iter().rev().map(|a| a.value));
            }
        }
    }
}

/// Whether every path through `block` ends in a `return`: its last statement is a
/// `return`, or an `if`/`else` both of whose branches always return.
pub fn always_returns(ast: &Ast, block: &Block) -> bool {
    block.stmts.last().is_some_and(|&s| stmt_always_returns(ast, s))
}

/// Whether the statement returns on every path.
pub fn stmt_always_returns(ast: &Ast, stmt: StmtId) -> bool {
    match &ast.stmts[stmt] {
        Stmt::Return(_) => true,
        Stmt::If { then_block, else_block: Some(else_block), .. } => {
            always_returns(ast, then_block) && always_returns(ast, else_block)
        }
        Stmt::If { else_block: None, .. }
        | Stmt::Let { .. }
        | Stmt::Assign { .. }
        | Stmt::Expr(_)
        | Stmt::For { .. }
        | Stmt::While { .. } => false,
    }
}

/// Whether a `return` occurs anywhere in `block` (nested blocks included).
pub fn contains_return(ast: &Ast, block: &Block) -> bool {
    block.stmts.iter().any(|&s| stmt_contains_return(ast, s))
}

/// Whether a `return` occurs in the statement.
pub fn stmt_contains_return(ast: &Ast, stmt: StmtId) -> bool {
    match &ast.stmts[stmt] {
        Stmt::Return(_) => true,
        Stmt::If { then_block, else_block, .. } => {
            contains_return(ast, then_block)
                || else_block.as_ref().is_some_and(|b| contains_return(ast, b))
        }
        Stmt::For { body, .. } | Stmt::While { body, .. } => contains_return(ast, body),
        Stmt::Let { .. } | Stmt::Assign { .. } | Stmt::Expr(_) => false,
    }
}

/// Whether some `return` in `block` carries a value.
pub fn returns_a_value(ast: &Ast, block: &Block) -> bool {
    block.stmts.iter().any(|&s| match &ast.stmts[s] {
        Stmt::Return(value) => value.is_some(),
        Stmt::If { then_block, else_block, .. } => {
            returns_a_value(ast, then_block)
                || else_block.as_ref().is_some_and(|b| returns_a_value(ast, b))
        }
        Stmt::For { body, .. } | Stmt::While { body, .. } => returns_a_value(ast, body),
        Stmt::Let { .. } | Stmt::Assign { .. } | Stmt::Expr(_) => false,
    })
}
