//! The AST printer behind `tessera emit --stage ast` and the parser's snapshot tests: a
//! deterministic indented tree, one node per line, with the kind, names and literal
//! values of every node and `@line:col-line:col` spans of items, attributes, parameters,
//! blocks and statements.
//!
//! It walks with an explicit work stack instead of recursion, so it is safe on any
//! `Ast`, not only on the depth-capped ones the parser returns; handles that do not
//! point into the arenas print as `<invalid …>` instead of panicking.

use crate::ast::{
    Ast, Block, Expr, ExprId, IndexItem, Item, Span, Stmt, StmtId, TypeExpr, TypeExprKind,
};
use std::fmt::Write;

/// Prints `ast` as an indented tree; `source` is the text it was parsed from (used to
/// turn byte offsets into line:col).
pub fn print_ast(ast: &Ast, source: &str) -> String {
    let printer = Printer { ast, lines: LineIndex::new(source) };
    let mut out = String::new();
    for item in &ast.items {
        printer.item(item, &mut out);
    }
    out
}

/// One pending piece of output.
enum Work<'a> {
    Line(usize, String),
    Expr(usize, ExprId),
    Stmt(usize, StmtId),
    Block(usize, &'static str, &'a Block),
    /// The dims of a tile type, if it has any.
    Shape(usize, &'a TypeExpr),
}

struct Printer<'a> {
    ast: &'a Ast,
    lines: LineIndex<'a>,
}

impl<'a> Printer<'a> {
    fn item(&self, item: &'a Item, out: &mut String) {
        let (keyword, decl) = match item {
            Item::Kernel(decl) => ("kernel", decl),
            Item::Helper(decl) => ("fn", decl),
        };
        let mut work =
            vec![Work::Line(0, format!("{keyword} {} {}", decl.name.name, self.at(decl.span)))];
        for attr in &decl.attrs {
            work.push(Work::Line(1, format!("attr {} {}", attr.name.name, self.at(attr.span))));
            for arg in &attr.args {
                work.push(Work::Line(2, format!("arg {} {}", arg.name.name, self.at(arg.span))));
                work.push(Work::Expr(3, arg.value));
            }
        }
        for param in &decl.params {
            let constness = if param.is_const { "const " } else { "" };
            let ty = param.ty.as_ref().map_or(String::new(), |t| format!(": {}", type_text(t)));
            let line = format!("param {constness}{}{ty} {}", param.name.name, self.at(param.span));
            work.push(Work::Line(1, line));
            if let Some(ty) = &param.ty {
                work.push(Work::Shape(2, ty));
            }
            if let Some(default) = param.default {
                work.push(Work::Line(2, "default".to_string()));
                work.push(Work::Expr(3, default));
            }
        }
        if let Some(ret) = &decl.ret {
            work.push(Work::Line(1, format!("ret {}", type_text(ret))));
            work.push(Work::Shape(2, ret));
        }
        work.push(Work::Block(1, "body", &decl.body));
        work.reverse();
        self.run(work, out);
    }

    /// Drains the stack; each entry prints its line and pushes its children.
    fn run(&self, mut stack: Vec<Work<'a>>, out: &mut String) {
        while let Some(work) = stack.pop() {
            let mut children = Vec::new();
            let (indent, line) = match work {
                Work::Line(indent, line) => (indent, line),
                Work::Expr(indent, id) => (indent, self.expr(indent, id, &mut children)),
                Work::Stmt(indent, id) => (indent, self.stmt(indent, id, &mut children)),
                Work::Block(indent, label, block) => {
                    children.extend(block.stmts.iter().map(|s| Work::Stmt(indent + 1, *s)));
                    (indent, format!("{label} {}", self.at(block.span)))
                }
                Work::Shape(indent, ty) => match &ty.kind {
                    TypeExprKind::Tile { shape, .. } => {
                        children.extend(shape.iter().map(|d| Work::Expr(indent + 1, *d)));
                        (indent, "shape".to_string())
                    }
                    TypeExprKind::Scalar(_) | TypeExprKind::Ptr(_) => continue,
                },
            };
            let _ = writeln!(out, "{:width$}{line}", "", width = indent * 2);
            stack.extend(children.into_iter().rev());
        }
    }

    fn stmt(&self, indent: usize, id: StmtId, children: &mut Vec<Work<'a>>) -> String {
        let Some(stmt) = self.ast.stmts.get(id) else { return format!("<invalid {id}>") };
        let span = self.at(self.ast.stmt_spans.get(id.0 as usize).copied().unwrap_or_default());
        let inner = indent + 1;
        match stmt {
            Stmt::Let { mutable, name, ty, init } => {
                let mutability = if *mutable { "mut " } else { "" };
                let ty_text = ty.as_ref().map_or(String::new(), |t| format!(": {}", type_text(t)));
                if let Some(ty) = ty {
                    children.push(Work::Shape(inner, ty));
                }
                children.push(Work::Expr(inner, *init));
                format!("let {mutability}{}{ty_text} {span}", name.name)
            }
            Stmt::Assign { target, op, value } => {
                children.push(Work::Expr(inner, *value));
                let op = op.map_or("=".to_string(), |op| format!("{}=", op.symbol()));
                format!("assign {} {op} {span}", target.name)
            }
            Stmt::Expr(value) => {
                children.push(Work::Expr(inner, *value));
                format!("expr {span}")
            }
            Stmt::For { var, iter, body } => {
                children.push(Work::Expr(inner, *iter));
                children.push(Work::Block(inner, "body", body));
                format!("for {} {span}", var.name)
            }
            Stmt::While { cond, body } => {
                children.push(Work::Expr(inner, *cond));
                children.push(Work::Block(inner, "body", body));
                format!("while {span}")
            }
            Stmt::If { cond, then_block, else_block } => {
                children.push(Work::Expr(inner, *cond));
                children.push(Work::Block(inner, "then", then_block));
                if let Some(block) = else_block {
                    children.push(Work::Block(inner, "else", block));
                }
                format!("if {span}")
            }
            Stmt::Return(value) => {
                children.extend(value.map(|v| Work::Expr(inner, v)));
                format!("return {span}")
            }
        }
    }

    fn expr(&self, indent: usize, id: ExprId, children: &mut Vec<Work<'a>>) -> String {
        let Some(expr) = self.ast.exprs.get(id) else { return format!("<invalid {id}>") };
        let inner = indent + 1;
        match expr {
            Expr::Int(v) => format!("Int {v}"),
            Expr::Float(v) => format!("Float {v:?}"),
            Expr::Bool(v) => format!("Bool {v}"),
            Expr::Str(s) => format!("Str {s:?}"),
            Expr::Name(name) => format!("Name {}", name.name),
            Expr::DType(ty) => format!("DType {}", ty.name()),
            Expr::List(items) => {
                children.extend(items.iter().map(|e| Work::Expr(inner, *e)));
                "List".to_string()
            }
            Expr::Unary { op, arg } => {
                children.push(Work::Expr(inner, *arg));
                let symbol = match op {
                    crate::ast::UnOp::Neg => "-",
                    crate::ast::UnOp::Not => "!",
                };
                format!("Unary {symbol}")
            }
            Expr::Binary { op, lhs, rhs } => {
                children.push(Work::Expr(inner, *lhs));
                children.push(Work::Expr(inner, *rhs));
                format!("Binary {}", op.symbol())
            }
            Expr::Call { callee, args } => {
                for arg in args {
                    match &arg.name {
                        Some(name) => {
                            children.push(Work::Line(inner, format!("{}:", name.name)));
                            children.push(Work::Expr(inner + 1, arg.value));
                        }
                        None => children.push(Work::Expr(inner, arg.value)),
                    }
                }
                format!("Call {}", callee.name)
            }
            Expr::Index { base, items } => {
                children.push(Work::Expr(inner, *base));
                let items: Vec<&str> = items
                    .iter()
                    .map(|i| match i {
                        IndexItem::Full => ":",
                        IndexItem::NewAxis => "None",
                    })
                    .collect();
                format!("Index [{}]", items.join(", "))
            }
            Expr::Cast { arg, ty } => {
                children.push(Work::Expr(inner, *arg));
                children.push(Work::Shape(inner, ty));
                format!("Cast {}", type_text(ty))
            }
            Expr::Paren(inner_expr) => {
                children.push(Work::Expr(inner, *inner_expr));
                "Paren".to_string()
            }
        }
    }

    fn at(&self, span: Span) -> String {
        let (l1, c1) = self.lines.line_col(span.start as usize);
        let (l2, c2) = self.lines.line_col(span.end as usize);
        format!("@{l1}:{c1}-{l2}:{c2}")
    }
}

/// A type as written; a tile's dims print as `_` (they follow as a `shape` node).
fn type_text(ty: &TypeExpr) -> String {
    match &ty.kind {
        TypeExprKind::Scalar(s) => s.name().to_string(),
        TypeExprKind::Ptr(inner) => format!("*{}", elem_text(inner)),
        TypeExprKind::Tile { shape, elem } => {
            format!("tile<[{}], {}>", vec!["_"; shape.len()].join(", "), elem_text(elem))
        }
    }
}

/// The element of a pointer or tile type; the parser only builds scalars and pointers
/// there, anything else prints as `?` rather than recursing.
fn elem_text(ty: &TypeExpr) -> String {
    match &ty.kind {
        TypeExprKind::Scalar(s) => s.name().to_string(),
        TypeExprKind::Ptr(inner) => match &inner.kind {
            TypeExprKind::Scalar(s) => format!("*{}", s.name()),
            _ => "*?".to_string(),
        },
        TypeExprKind::Tile { .. } => "?".to_string(),
    }
}

/// Byte offset → 1-based line and column (columns count characters).
struct LineIndex<'a> {
    source: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(source: &'a str) -> LineIndex<'a> {
        let starts =
            std::iter::once(0).chain(source.match_indices('\n').map(|(i, _)| i + 1)).collect();
        LineIndex { source, starts }
    }

    fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.source.len());
        let line = self.starts.partition_point(|s| *s <= offset).max(1);
        let start = self.starts[line - 1];
        let col = match self.source.get(start..offset) {
            Some(text) => text.chars().count(),
            None => offset - start,
        };
        (line, col + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::{FnDecl, Ident};

    #[test]
    fn line_col_counts_chars() {
        let index = LineIndex::new("ab\né x\n");
        assert_eq!(index.line_col(0), (1, 1));
        assert_eq!(index.line_col(3), (2, 1));
        assert_eq!(index.line_col(6), (2, 3));
        assert_eq!(index.line_col(100), (3, 1));
    }

    #[test]
    fn invalid_handles_do_not_panic() {
        let mut ast = Ast::default();
        let name = Ident { name: "k".to_string(), span: Span::default() };
        let body = Block { stmts: vec![StmtId(7)], span: Span::default() };
        let decl =
            FnDecl { attrs: vec![], name, params: vec![], ret: None, body, span: Span::default() };
        ast.items.push(Item::Kernel(decl));
        let printed = print_ast(&ast, "");
        assert_eq!(printed, "kernel k @1:1-1:1\n  body @1:1-1:1\n    <invalid stmt7>\n");
    }

    #[test]
    fn hand_built_deep_trees_print_without_recursion() {
        let mut ast = Ast::default();
        let mut id = ast.add_expr(Expr::Int(1), Span::default());
        for _ in 0..5_000 {
            id = ast.add_expr(Expr::Paren(id), Span::default());
        }
        let stmt = ast.add_stmt(Stmt::Expr(id), Span::default());
        let name = Ident { name: "k".to_string(), span: Span::default() };
        let body = Block { stmts: vec![stmt], span: Span::default() };
        let decl =
            FnDecl { attrs: vec![], name, params: vec![], ret: None, body, span: Span::default() };
        ast.items.push(Item::Kernel(decl));
        assert_eq!(print_ast(&ast, "").lines().count(), 5_004);
    }
}
