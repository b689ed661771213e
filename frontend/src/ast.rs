//! The abstract syntax tree of a `.tsr` file.
//!
//! Expressions and statements live in arenas inside [`Ast`]; their source spans live in
//! side tables beside those arenas (`expr_spans`, `stmt_spans`), so nodes stay plain
//! data. The parser builds this; name resolution, checking and lowering read it.

use tessera_ir::entity::Arena;
use tessera_ir::ScalarType;

/// A byte range in the source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    /// A span from byte `start` to byte `end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start: start as u32, end: end as u32 }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    /// As a `Range<usize>` for renderers.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

tessera_ir::entity!(
    /// An expression in [`Ast::exprs`].
    ExprId,
    "expr"
);
tessera_ir::entity!(
    /// A statement in [`Ast::stmts`].
    StmtId,
    "stmt"
);

/// A parsed file: items plus the arenas their bodies point into.
#[derive(Clone, Debug, Default)]
pub struct Ast {
    pub items: Vec<Item>,
    pub exprs: Arena<ExprId, Expr>,
    pub expr_spans: Vec<Span>,
    pub stmts: Arena<StmtId, Stmt>,
    pub stmt_spans: Vec<Span>,
}

impl Ast {
    /// Adds an expression with its span.
    pub fn add_expr(&mut self, expr: Expr, span: Span) -> ExprId {
        self.expr_spans.push(span);
        self.exprs.push(expr)
    }

    /// Adds a statement with its span.
    pub fn add_stmt(&mut self, stmt: Stmt, span: Span) -> StmtId {
        self.stmt_spans.push(span);
        self.stmts.push(stmt)
    }

    /// The span of an expression.
    pub fn expr_span(&self, id: ExprId) -> Span {
        self.expr_spans[id.0 as usize]
    }

    /// The span of a statement.
    pub fn stmt_span(&self, id: StmtId) -> Span {
        self.stmt_spans[id.0 as usize]
    }
}

/// A name with where it was written.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A top-level item.
#[derive(Clone, Debug)]
pub enum Item {
    /// `kernel name(...) { ... }`, launchable.
    Kernel(FnDecl),
    /// `fn name(...) -> T { ... }`, a helper inlined into its callers.
    Helper(FnDecl),
}

impl Item {
    /// The declaration inside the item.
    pub fn decl(&self) -> &FnDecl {
        match self {
            Item::Kernel(d) | Item::Helper(d) => d,
        }
    }
}

/// A kernel or helper declaration.
#[derive(Clone, Debug)]
pub struct FnDecl {
    pub attrs: Vec<Attribute>,
    pub name: Ident,
    pub params: Vec<Param>,
    /// `-> T` of a helper; `None` for kernels and helpers returning nothing.
    pub ret: Option<TypeExpr>,
    pub body: Block,
    /// The whole declaration (attributes excluded).
    pub span: Span,
}

/// `#[name(arg = value, …)]`.
#[derive(Clone, Debug)]
pub struct Attribute {
    pub name: Ident,
    pub args: Vec<AttrArg>,
    pub span: Span,
}

/// `name = value` inside an attribute; `value` is usually a list literal.
#[derive(Clone, Debug)]
pub struct AttrArg {
    pub name: Ident,
    pub value: ExprId,
    pub span: Span,
}

/// A parameter: `x: *f32`, `n: i32`, `const BLOCK: i32 = 128`. Helper parameters may
/// omit the type (they are generic and checked per call site).
#[derive(Clone, Debug)]
pub struct Param {
    pub is_const: bool,
    pub name: Ident,
    pub ty: Option<TypeExpr>,
    /// Default value of a const parameter.
    pub default: Option<ExprId>,
    pub span: Span,
}

/// A written type.
#[derive(Clone, Debug)]
pub struct TypeExpr {
    pub kind: TypeExprKind,
    pub span: Span,
}

/// The forms a written type takes.
#[derive(Clone, Debug)]
pub enum TypeExprKind {
    /// `f32`, `i32`, `bool`, …
    Scalar(ScalarType),
    /// `*T`.
    Ptr(Box<TypeExpr>),
    /// `tile<[d0, d1, …], T>`; dims are const expressions.
    Tile { shape: Vec<ExprId>, elem: Box<TypeExpr> },
}

/// `{ stmt* }`.
#[derive(Clone, Debug, Default)]
pub struct Block {
    pub stmts: Vec<StmtId>,
    pub span: Span,
}

/// Statements.
#[derive(Clone, Debug)]
pub enum Stmt {
    /// `let [mut] name [: T] = init;`
    Let { mutable: bool, name: Ident, ty: Option<TypeExpr>, init: ExprId },
    /// `name = value;` or `name op= value;` (`op` is the compound operator).
    Assign { target: Ident, op: Option<BinOp>, value: ExprId },
    /// An expression evaluated for its effect (`store(...)`, `device_assert(...)`).
    Expr(ExprId),
    /// `for var in iter { body }`; `iter` must be a `range(start, end[, step])` call.
    For { var: Ident, iter: ExprId, body: Block },
    /// `while cond { body }`
    While { cond: ExprId, body: Block },
    /// `if cond { … } [else { … } | else if …]`; an `else if` is an else block holding
    /// one `If` statement.
    If { cond: ExprId, then_block: Block, else_block: Option<Block> },
    /// `return [value];`
    Return(Option<ExprId>),
}

/// Binary operators as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    BitAnd,
    BitOr,
    BitXor,
    Shl,
    Shr,
    /// `&&`
    And,
    /// `||`
    Or,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl BinOp {
    /// The operator as written in source.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
            BinOp::BitAnd => "&",
            BinOp::BitOr => "|",
            BinOp::BitXor => "^",
            BinOp::Shl => "<<",
            BinOp::Shr => ">>",
            BinOp::And => "&&",
            BinOp::Or => "||",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
        }
    }
}

/// Unary operators as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnOp {
    /// `-x`
    Neg,
    /// `!x` (logical on bool, bitwise on integers)
    Not,
}

/// One subscript of `x[:, None]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IndexItem {
    /// `:` keeps a dimension.
    Full,
    /// `None` inserts a dimension of size 1.
    NewAxis,
}

/// A call argument, positional or named (`mask: m`).
#[derive(Clone, Debug)]
pub struct CallArg {
    pub name: Option<Ident>,
    pub value: ExprId,
}

/// Expressions.
#[derive(Clone, Debug)]
pub enum Expr {
    /// Integer literal (decimal, `0x…` hex, `0b…` binary, `_` separators allowed).
    Int(u64),
    /// Float literal (`1.0`, `1e-3`, `2.5E+4`) and the keywords `inf`, `nan`.
    Float(f64),
    Bool(bool),
    /// `"…"`: only as an assert message.
    Str(String),
    /// A variable, parameter or constant.
    Name(Ident),
    /// A scalar type used as a value (`zeros([4], f32)`).
    DType(ScalarType),
    /// `[a, b, …]`: shapes and attribute candidate lists.
    List(Vec<ExprId>),
    Unary {
        op: UnOp,
        arg: ExprId,
    },
    Binary {
        op: BinOp,
        lhs: ExprId,
        rhs: ExprId,
    },
    /// `callee(args…)` where callee is a builtin or helper name.
    Call {
        callee: Ident,
        args: Vec<CallArg>,
    },
    /// `base[:, None, …]`
    Index {
        base: ExprId,
        items: Vec<IndexItem>,
    },
    /// `arg as T`
    Cast {
        arg: ExprId,
        ty: TypeExpr,
    },
    /// `(expr)`, kept so spans and the AST printer show what was written.
    Paren(ExprId),
}
