//! The state grammar actions build the AST through: node allocation with spans, nesting
//! depth tracking (E0013), chained-comparison checks (E0012), and the record of errors
//! lalrpop recovered from and `;`s that were missing, for `errors.rs` to word.
//!
//! Depth: every expression and statement gets a depth (1 for a leaf, 1 + the deepest
//! child otherwise; a statement counts the statements of its blocks). A node deeper than
//! [`MAX_NESTING`] is replaced by a leaf marked too deep, so its parents are replaced
//! too and nothing in the arenas is deeper than the limit; the driver then drops the
//! item. The token pre-scan (`prescan.rs`) catches deep brackets and unary chains before
//! parsing; this catches what it cannot see (long operator and `else if` chains).

use super::MAX_NESTING;
use crate::ast::{
    Ast, BinOp, Block, Expr, ExprId, Ident, Span, Stmt, StmtId, TypeExpr, TypeExprKind,
};
use crate::diag::Diagnostic;
use crate::lexer::Token;
use lalrpop_util::ErrorRecovery;
use std::convert::Infallible;

/// An error the generated parser recovered from.
pub type Recovery<'s> = ErrorRecovery<usize, Token<'s>, Infallible>;

/// `if c { } else if d { } …` before its final `else`: the first condition and block,
/// then each `else if` with the offset of its `if` keyword.
pub struct IfChain {
    pub cond: ExprId,
    pub body: Block,
    pub else_ifs: Vec<(usize, ExprId, Block)>,
}

/// What the grammar actions build into.
pub struct ParseState<'s> {
    pub source: &'s str,
    pub ast: Ast,
    /// Depth of each expression, indexed like `ast.exprs`.
    expr_depth: Vec<u32>,
    /// Depth of each statement, indexed like `ast.stmts`.
    stmt_depth: Vec<u32>,
    /// Errors recovered from in the current item.
    pub recovered: Vec<Recovery<'s>>,
    /// Offsets of the virtual `;` tokens that stood in for a missing `;`.
    pub missing_semis: Vec<usize>,
    /// Diagnostics the actions reported for the current item (E0012, E0013).
    pub diags: Vec<Diagnostic>,
    /// Whether the current item nests too deeply (and must be dropped).
    pub too_deep: bool,
}

impl<'s> ParseState<'s> {
    /// An empty state for parsing `source`.
    pub fn new(source: &'s str) -> ParseState<'s> {
        ParseState {
            source,
            ast: Ast::default(),
            expr_depth: Vec::new(),
            stmt_depth: Vec::new(),
            recovered: Vec::new(),
            missing_semis: Vec::new(),
            diags: Vec::new(),
            too_deep: false,
        }
    }

    /// Resets the per-item records before parsing the next item.
    pub fn begin_item(&mut self) {
        self.recovered.clear();
        self.missing_semis.clear();
        self.diags.clear();
        self.too_deep = false;
    }

    /// A name at `l..r`.
    pub fn ident(&self, name: &str, l: usize, r: usize) -> Ident {
        Ident { name: name.to_string(), span: Span::new(l, r) }
    }

    /// Allocates an expression, unless it nests too deeply.
    pub fn expr(&mut self, expr: Expr, l: usize, r: usize) -> ExprId {
        let span = Span::new(l, r);
        let children = self.expr_children_depth(&expr);
        if children >= MAX_NESTING {
            self.report_too_deep(span, children > MAX_NESTING);
            self.expr_depth.push(MAX_NESTING + 1);
            return self.ast.add_expr(Expr::Int(0), span);
        }
        self.expr_depth.push(children + 1);
        self.ast.add_expr(expr, span)
    }

    /// `lhs op rhs` for every binary operator but comparisons.
    pub fn binary(&mut self, op: BinOp, lhs: ExprId, rhs: ExprId, l: usize, r: usize) -> ExprId {
        self.expr(Expr::Binary { op, lhs, rhs }, l, r)
    }

    /// `lhs op rhs` for a comparison; reports `a < b < c` (E0012) once per chain.
    pub fn comparison(
        &mut self,
        op: BinOp,
        lhs: ExprId,
        rhs: ExprId,
        op_span: Span,
        l: usize,
        r: usize,
    ) -> ExprId {
        if let Some((first_op, a, b)) = self.as_comparison(lhs) {
            if self.as_comparison(a).is_none() {
                let diag = self.chained_comparison(first_op, a, b, op, rhs, lhs, op_span);
                self.diags.push(diag);
            }
        }
        self.binary(op, lhs, rhs, l, r)
    }

    /// Allocates a statement, unless it nests too deeply.
    pub fn stmt(&mut self, stmt: Stmt, l: usize, r: usize) -> StmtId {
        let span = Span::new(l, r);
        let children = self.stmt_children_depth(&stmt);
        if children >= MAX_NESTING {
            self.report_too_deep(span, children > MAX_NESTING);
            self.stmt_depth.push(MAX_NESTING + 1);
            return self.ast.add_stmt(Stmt::Return(None), span);
        }
        self.stmt_depth.push(children + 1);
        self.ast.add_stmt(stmt, span)
    }

    /// `tile<[shape], elem>` from its start and the end of its `>`.
    pub fn tile_type(open: (usize, Vec<ExprId>, TypeExpr), r: usize) -> TypeExpr {
        let (l, shape, elem) = open;
        TypeExpr { kind: TypeExprKind::Tile { shape, elem: Box::new(elem) }, span: Span::new(l, r) }
    }

    /// `{ stmts }`; statements lost to error recovery are `None`.
    pub fn block(&mut self, stmts: Vec<Option<StmtId>>, l: usize, r: usize) -> Block {
        Block { stmts: stmts.into_iter().flatten().collect(), span: Span::new(l, r) }
    }

    /// Builds `if … else if … else …` as nested `If` statements, innermost first.
    pub fn if_chain(&mut self, chain: IfChain, els: Option<Block>, l: usize, r: usize) -> StmtId {
        let mut else_block = els;
        for (if_start, cond, then_block) in chain.else_ifs.into_iter().rev() {
            let nested = self.stmt(Stmt::If { cond, then_block, else_block }, if_start, r);
            else_block = Some(Block { stmts: vec![nested], span: Span::new(if_start, r) });
        }
        self.stmt(Stmt::If { cond: chain.cond, then_block: chain.body, else_block }, l, r)
    }

    /// Notes a virtual `;` consumed at `at` (reported later as E0015).
    pub fn missing_semicolon(&mut self, at: usize) {
        self.missing_semis.push(at);
    }

    /// Notes an error the parser recovered from.
    pub fn recover(&mut self, error: Recovery<'s>) {
        self.recovered.push(error);
    }

    fn report_too_deep(&mut self, span: Span, already_reported_inside: bool) {
        if !self.too_deep && !already_reported_inside {
            self.diags.push(
                Diagnostic::error(
                    "E0013",
                    format!("code nested more than {MAX_NESTING} levels deep"),
                    span,
                    "nested too deeply",
                )
                .with_help("split it up with intermediate `let` bindings"),
            );
        }
        self.too_deep = true;
    }

    fn depth(&self, id: ExprId) -> u32 {
        self.expr_depth.get(id.0 as usize).copied().unwrap_or(0)
    }

    fn type_depth(&self, ty: &TypeExpr) -> u32 {
        match &ty.kind {
            TypeExprKind::Tile { shape, .. } => {
                shape.iter().map(|d| self.depth(*d)).max().unwrap_or(0) + 1
            }
            TypeExprKind::Scalar(_) | TypeExprKind::Ptr(_) => 0,
        }
    }

    fn expr_children_depth(&self, expr: &Expr) -> u32 {
        match expr {
            Expr::Int(_)
            | Expr::Float(_)
            | Expr::Bool(_)
            | Expr::Str(_)
            | Expr::Name(_)
            | Expr::DType(_) => 0,
            Expr::List(items) => items.iter().map(|e| self.depth(*e)).max().unwrap_or(0),
            Expr::Unary { arg, .. } | Expr::Paren(arg) | Expr::Index { base: arg, .. } => {
                self.depth(*arg)
            }
            Expr::Binary { lhs, rhs, .. } => self.depth(*lhs).max(self.depth(*rhs)),
            Expr::Call { args, .. } => args.iter().map(|a| self.depth(a.value)).max().unwrap_or(0),
            Expr::Cast { arg, ty } => self.depth(*arg).max(self.type_depth(ty)),
        }
    }

    fn block_depth(&self, block: &Block) -> u32 {
        let depth = |s: &StmtId| self.stmt_depth.get(s.0 as usize).copied().unwrap_or(0);
        block.stmts.iter().map(depth).max().unwrap_or(0)
    }

    fn stmt_children_depth(&self, stmt: &Stmt) -> u32 {
        match stmt {
            Stmt::Let { ty, init, .. } => {
                self.depth(*init).max(ty.as_ref().map_or(0, |t| self.type_depth(t)))
            }
            Stmt::Assign { value, .. } | Stmt::Expr(value) => self.depth(*value),
            Stmt::For { iter: cond, body, .. } | Stmt::While { cond, body } => {
                self.depth(*cond).max(self.block_depth(body))
            }
            Stmt::If { cond, then_block, else_block } => self
                .depth(*cond)
                .max(self.block_depth(then_block))
                .max(else_block.as_ref().map_or(0, |b| self.block_depth(b))),
            Stmt::Return(value) => value.map_or(0, |v| self.depth(v)),
        }
    }

    /// `Some((op, lhs, rhs))` when `id` is an unparenthesized comparison.
    fn as_comparison(&self, id: ExprId) -> Option<(BinOp, ExprId, ExprId)> {
        match self.ast.exprs.get(id)? {
            Expr::Binary { op, lhs, rhs } if is_comparison(*op) => Some((*op, *lhs, *rhs)),
            _ => None,
        }
    }

    fn text(&self, id: ExprId) -> &'s str {
        let span = self.ast.expr_spans.get(id.0 as usize).copied().unwrap_or_default();
        self.source.get(span.range()).unwrap_or("")
    }

    /// E0012 for `a op1 b op2 c`.
    #[allow(clippy::too_many_arguments)]
    fn chained_comparison(
        &self,
        first_op: BinOp,
        a: ExprId,
        b: ExprId,
        op: BinOp,
        c: ExprId,
        first: ExprId,
        op_span: Span,
    ) -> Diagnostic {
        let (a, b, c) = (self.text(a), self.text(b), self.text(c));
        let (f1, f2) = (first_op.symbol(), op.symbol());
        let suggestion = if a.len() + 2 * b.len() + c.len() < 60 {
            format!("`{a} {f1} {b} && {b} {f2} {c}`")
        } else {
            format!("`a {f1} b && b {f2} c`")
        };
        let first_span = self.ast.expr_spans.get(first.0 as usize).copied().unwrap_or_default();
        Diagnostic::error("E0012", "comparison operators cannot be chained", op_span, "second comparison")
            .with_label(first_span, "this is already a comparison")
            .with_help(format!(
                "combine the comparisons with `&&`: {suggestion}; parenthesize to compare a comparison's result"
            ))
    }
}

fn is_comparison(op: BinOp) -> bool {
    matches!(op, BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge)
}
