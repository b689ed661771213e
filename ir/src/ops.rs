//! The operations of the tile IR.
//!
//! Ops are one enum so every `match` over them is exhaustive: a new op lists every
//! place (printer, parser, verifier, interpreter, passes, backends) that must learn it.
//! Operand shapes are explicit: elementwise ops take operands of identical type (the
//! front end inserts `broadcast`/`splat`), so no consumer re-derives broadcasting.
//!
//! Structured control flow: `for`, `while` and `if` own [`Block`]s; a block ends with
//! a terminator (`yield`, `condition` or `return`). Results of a structured op are the
//! values its blocks yield.

use crate::function::{Block, Value};

/// A compile-time constant scalar. Integers hold the two's-complement bit pattern
/// sign-extended to 64 bits (for `u64` the raw bits); the result type gives the width.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Constant {
    Bool(bool),
    Int(i64),
    Float(f64),
}

impl Eq for Constant {}

impl std::hash::Hash for Constant {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        std::mem::discriminant(self).hash(state);
        match self {
            Constant::Bool(b) => b.hash(state),
            Constant::Int(i) => i.hash(state),
            // Hash the bits so NaN and -0.0 are distinct, stable keys.
            Constant::Float(f) => f.to_bits().hash(state),
        }
    }
}

/// Elementwise unary operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UnaryOp {
    /// Arithmetic negation (wrapping for integers).
    Neg,
    /// Logical not for `bool`, bitwise not for integers.
    Not,
    Exp,
    Exp2,
    Log,
    Log2,
    Sqrt,
    Rsqrt,
    Sin,
    Cos,
    Tanh,
    Abs,
    Floor,
    Ceil,
    Sigmoid,
    Erf,
}

impl UnaryOp {
    /// Every unary op, in declaration order.
    pub const ALL: [UnaryOp; 16] = [
        UnaryOp::Neg,
        UnaryOp::Not,
        UnaryOp::Exp,
        UnaryOp::Exp2,
        UnaryOp::Log,
        UnaryOp::Log2,
        UnaryOp::Sqrt,
        UnaryOp::Rsqrt,
        UnaryOp::Sin,
        UnaryOp::Cos,
        UnaryOp::Tanh,
        UnaryOp::Abs,
        UnaryOp::Floor,
        UnaryOp::Ceil,
        UnaryOp::Sigmoid,
        UnaryOp::Erf,
    ];

    /// Mnemonic in the text form.
    pub fn name(self) -> &'static str {
        match self {
            UnaryOp::Neg => "neg",
            UnaryOp::Not => "not",
            UnaryOp::Exp => "exp",
            UnaryOp::Exp2 => "exp2",
            UnaryOp::Log => "log",
            UnaryOp::Log2 => "log2",
            UnaryOp::Sqrt => "sqrt",
            UnaryOp::Rsqrt => "rsqrt",
            UnaryOp::Sin => "sin",
            UnaryOp::Cos => "cos",
            UnaryOp::Tanh => "tanh",
            UnaryOp::Abs => "abs",
            UnaryOp::Floor => "floor",
            UnaryOp::Ceil => "ceil",
            UnaryOp::Sigmoid => "sigmoid",
            UnaryOp::Erf => "erf",
        }
    }

    /// Parses a mnemonic.
    pub fn from_name(name: &str) -> Option<UnaryOp> {
        UnaryOp::ALL.into_iter().find(|op| op.name() == name)
    }

    /// Whether the op is only defined on floating-point operands (math functions).
    pub fn is_float_only(self) -> bool {
        !matches!(self, UnaryOp::Neg | UnaryOp::Not | UnaryOp::Abs)
    }
}

/// Elementwise binary operations; both operands have the result's type, except
/// shifts (same type too) and pointer offsets (see [`Op::PtrAdd`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    /// Float division, or integer division truncating toward zero (x / 0 = -1 bits,
    /// MIN / -1 = MIN, as RISC-V defines; never a trap).
    Div,
    /// Remainder with the sign of the dividend (x % 0 = x, MIN % -1 = 0); for floats, fmod.
    Rem,
    /// Bitwise and (logical and on `bool`).
    And,
    Or,
    Xor,
    /// Shift left; the amount is taken modulo the bit width.
    Shl,
    /// Shift right (arithmetic for signed, logical for unsigned); amount modulo width.
    Shr,
    /// `maximum`: NaN if either is NaN; -0.0 < +0.0.
    Max,
    /// `minimum`: NaN if either is NaN; -0.0 < +0.0.
    Min,
}

impl BinaryOp {
    /// Every binary op, in declaration order.
    pub const ALL: [BinaryOp; 12] = [
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Rem,
        BinaryOp::And,
        BinaryOp::Or,
        BinaryOp::Xor,
        BinaryOp::Shl,
        BinaryOp::Shr,
        BinaryOp::Max,
        BinaryOp::Min,
    ];

    /// Mnemonic in the text form.
    pub fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::Rem => "rem",
            BinaryOp::And => "and",
            BinaryOp::Or => "or",
            BinaryOp::Xor => "xor",
            BinaryOp::Shl => "shl",
            BinaryOp::Shr => "shr",
            BinaryOp::Max => "max",
            BinaryOp::Min => "min",
        }
    }

    /// Parses a mnemonic.
    pub fn from_name(name: &str) -> Option<BinaryOp> {
        BinaryOp::ALL.into_iter().find(|op| op.name() == name)
    }

    /// Whether the op is only defined on integers and `bool` (bitwise ops and shifts).
    pub fn is_bitwise(self) -> bool {
        matches!(self, BinaryOp::And | BinaryOp::Or | BinaryOp::Xor | BinaryOp::Shl | BinaryOp::Shr)
    }
}

/// Comparison predicates; the result is `bool` of the operands' shape. Float
/// comparisons follow IEEE 754: any comparison with NaN is false, except `ne`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CmpPred {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpPred {
    /// Every predicate, in declaration order.
    pub const ALL: [CmpPred; 6] =
        [CmpPred::Eq, CmpPred::Ne, CmpPred::Lt, CmpPred::Le, CmpPred::Gt, CmpPred::Ge];

    /// Mnemonic in the text form.
    pub fn name(self) -> &'static str {
        match self {
            CmpPred::Eq => "eq",
            CmpPred::Ne => "ne",
            CmpPred::Lt => "lt",
            CmpPred::Le => "le",
            CmpPred::Gt => "gt",
            CmpPred::Ge => "ge",
        }
    }

    /// Parses a mnemonic.
    pub fn from_name(name: &str) -> Option<CmpPred> {
        CmpPred::ALL.into_iter().find(|op| op.name() == name)
    }
}

/// Reductions over one axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReduceOp {
    Sum,
    Max,
    Min,
    /// Index (i32) of the first maximum; NaN counts as the maximum.
    ArgMax,
    /// Index (i32) of the first minimum; NaN counts as the minimum.
    ArgMin,
}

impl ReduceOp {
    /// Every reduction, in declaration order.
    pub const ALL: [ReduceOp; 5] =
        [ReduceOp::Sum, ReduceOp::Max, ReduceOp::Min, ReduceOp::ArgMax, ReduceOp::ArgMin];

    /// Mnemonic in the text form.
    pub fn name(self) -> &'static str {
        match self {
            ReduceOp::Sum => "sum",
            ReduceOp::Max => "max",
            ReduceOp::Min => "min",
            ReduceOp::ArgMax => "argmax",
            ReduceOp::ArgMin => "argmin",
        }
    }

    /// Parses a mnemonic.
    pub fn from_name(name: &str) -> Option<ReduceOp> {
        ReduceOp::ALL.into_iter().find(|op| op.name() == name)
    }
}

/// Inclusive scans along one axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScanOp {
    Cumsum,
}

impl ScanOp {
    /// Mnemonic in the text form.
    pub fn name(self) -> &'static str {
        match self {
            ScanOp::Cumsum => "cumsum",
        }
    }

    /// Parses a mnemonic.
    pub fn from_name(name: &str) -> Option<ScanOp> {
        match name {
            "cumsum" => Some(ScanOp::Cumsum),
            _ => None,
        }
    }
}

/// Atomic read-modify-write operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AtomicOp {
    Add,
    Max,
}

impl AtomicOp {
    /// Mnemonic in the text form.
    pub fn name(self) -> &'static str {
        match self {
            AtomicOp::Add => "add",
            AtomicOp::Max => "max",
        }
    }

    /// Parses a mnemonic.
    pub fn from_name(name: &str) -> Option<AtomicOp> {
        match name {
            "add" => Some(AtomicOp::Add),
            "max" => Some(AtomicOp::Max),
            _ => None,
        }
    }
}

/// Expands to a `match` calling `$f` on every operand of `$op`; `$iter` is `iter` or
/// `iter_mut`, so one list serves both the shared and the mutable walk.
macro_rules! visit_operands {
    ($op:expr, $f:ident, $iter:ident) => {
        match $op {
            Op::Const { .. }
            | Op::ProgramId { .. }
            | Op::NumPrograms { .. }
            | Op::Arange { .. } => {}
            Op::Splat { value } => $f(value),
            Op::ExpandDims { arg, .. }
            | Op::Broadcast { arg }
            | Op::Reshape { arg }
            | Op::Trans { arg, .. }
            | Op::Unary { arg, .. }
            | Op::Cast { arg }
            | Op::Reduce { arg, .. }
            | Op::Scan { arg, .. } => $f(arg),
            Op::Binary { lhs, rhs, .. } | Op::Cmp { lhs, rhs, .. } => {
                $f(lhs);
                $f(rhs);
            }
            Op::Select { cond, on_true, on_false } => {
                $f(cond);
                $f(on_true);
                $f(on_false);
            }
            Op::PtrAdd { ptr, offset } => {
                $f(ptr);
                $f(offset);
            }
            Op::Dot { a, b, acc } => {
                $f(a);
                $f(b);
                $f(acc);
            }
            Op::Fma { a, b, c } => {
                $f(a);
                $f(b);
                $f(c);
            }
            Op::Load { ptr, mask, other } => {
                $f(ptr);
                if let Some(m) = mask {
                    $f(m);
                }
                if let Some(o) = other {
                    $f(o);
                }
            }
            Op::Store { ptr, value, mask } | Op::Atomic { ptr, value, mask, .. } => {
                $f(ptr);
                $f(value);
                if let Some(m) = mask {
                    $f(m);
                }
            }
            Op::Call { args, .. } => args.$iter().for_each(&mut $f),
            Op::For { lower, upper, step, inits, .. } => {
                $f(lower);
                $f(upper);
                $f(step);
                inits.$iter().for_each(&mut $f);
            }
            Op::While { inits, .. } => inits.$iter().for_each(&mut $f),
            Op::If { cond, .. } => $f(cond),
            Op::Yield { values } | Op::Return { values } => values.$iter().for_each(&mut $f),
            Op::Condition { cond } => $f(cond),
            Op::Assert { cond, .. } => $f(cond),
        }
    };
}

/// One IR operation. Result types are stored on the result values, not here.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// A scalar constant of the result type.
    Const {
        value: Constant,
    },
    /// Index of this program instance along `axis` (0..=2); result `i32`.
    ProgramId {
        axis: u8,
    },
    /// Launch-grid size along `axis` (0..=2); result `i32`.
    NumPrograms {
        axis: u8,
    },
    /// `tile<[end - start], i32>` holding `start, start + 1, …, end - 1`.
    Arange {
        start: i64,
        end: i64,
    },
    /// A scalar repeated over the result tile's shape.
    Splat {
        value: Value,
    },
    /// Inserts a dimension of size 1 at `axis` (`x[:, None]`).
    ExpandDims {
        arg: Value,
        axis: u32,
    },
    /// Same-rank broadcast: every dimension of `arg` is 1 or equal to the result's.
    Broadcast {
        arg: Value,
    },
    /// Row-major reshape to the result shape (same element count).
    Reshape {
        arg: Value,
    },
    /// Permutes dimensions: result dim `i` is `arg` dim `perm[i]`.
    Trans {
        arg: Value,
        perm: Vec<u32>,
    },
    Unary {
        op: UnaryOp,
        arg: Value,
    },
    Binary {
        op: BinaryOp,
        lhs: Value,
        rhs: Value,
    },
    Cmp {
        pred: CmpPred,
        lhs: Value,
        rhs: Value,
    },
    /// Elementwise `cond ? on_true : on_false`.
    Select {
        cond: Value,
        on_true: Value,
        on_false: Value,
    },
    /// Elementwise conversion to the result's element type (see docs/language.md).
    Cast {
        arg: Value,
    },
    /// Pointer plus integer offset counted in elements, elementwise.
    PtrAdd {
        ptr: Value,
        offset: Value,
    },
    /// Reduces `axis` away.
    Reduce {
        op: ReduceOp,
        arg: Value,
        axis: u32,
    },
    /// Inclusive scan along `axis`.
    Scan {
        op: ScanOp,
        arg: Value,
        axis: u32,
    },
    /// `acc + a @ b`, accumulated in the accumulator's type, `k` ascending.
    Dot {
        a: Value,
        b: Value,
        acc: Value,
    },
    /// Float fused multiply-add `a * b + c`, elementwise, rounded once (not a source
    /// builtin: the optimizer forms it under fast math). Operands have the result type.
    Fma {
        a: Value,
        b: Value,
        c: Value,
    },
    /// Reads through a pointer (tile); masked-off lanes read `other` (or zero).
    Load {
        ptr: Value,
        mask: Option<Value>,
        other: Option<Value>,
    },
    /// Writes through a pointer (tile); masked-off lanes are not written.
    Store {
        ptr: Value,
        value: Value,
        mask: Option<Value>,
    },
    /// Atomic read-modify-write; the result is the old values.
    Atomic {
        op: AtomicOp,
        ptr: Value,
        value: Value,
        mask: Option<Value>,
    },
    /// Calls a helper function of the module by name.
    Call {
        callee: String,
        args: Vec<Value>,
    },
    /// Counted loop `for iv in range(lower, upper, step)`; `body` takes `[iv, carried…]`
    /// and yields the next carried values; results are the final carried values.
    For {
        lower: Value,
        upper: Value,
        step: Value,
        inits: Vec<Value>,
        body: Block,
    },
    /// `cond` and `body` take the carried values; `cond` ends in `condition`, `body`
    /// yields the next carried values; results are the carried values on exit.
    While {
        inits: Vec<Value>,
        cond: Block,
        body: Block,
    },
    /// `then_block`/`else_block` take no arguments and yield the results.
    If {
        cond: Value,
        then_block: Block,
        else_block: Block,
    },
    /// Terminator of loop bodies and `if` branches.
    Yield {
        values: Vec<Value>,
    },
    /// Terminator of a `while` condition block.
    Condition {
        cond: Value,
    },
    /// Terminator of a function body.
    Return {
        values: Vec<Value>,
    },
    /// `device_assert`: fails the launch with `message` where `cond` is false.
    Assert {
        cond: Value,
        message: String,
    },
}

impl Op {
    /// The values this op reads, in a fixed order.
    pub fn operands(&self) -> Vec<Value> {
        let mut out = Vec::new();
        self.for_each_operand(|v| out.push(v));
        out
    }

    /// Calls `f` on each operand, in the order of [`Op::operands`].
    pub fn for_each_operand(&self, mut f: impl FnMut(Value)) {
        let mut visit = |v: &Value| f(*v);
        visit_operands!(self, visit, iter);
    }

    /// Rewrites each operand in place with `f`.
    pub fn map_operands(&mut self, mut f: impl FnMut(Value) -> Value) {
        let mut visit = |v: &mut Value| *v = f(*v);
        visit_operands!(self, visit, iter_mut);
    }

    /// The blocks this op owns, in a fixed order.
    pub fn blocks(&self) -> Vec<Block> {
        match self {
            Op::For { body, .. } => vec![*body],
            Op::While { cond, body, .. } => vec![*cond, *body],
            Op::If { then_block, else_block, .. } => vec![*then_block, *else_block],
            Op::Const { .. }
            | Op::ProgramId { .. }
            | Op::NumPrograms { .. }
            | Op::Arange { .. }
            | Op::Splat { .. }
            | Op::ExpandDims { .. }
            | Op::Broadcast { .. }
            | Op::Reshape { .. }
            | Op::Trans { .. }
            | Op::Unary { .. }
            | Op::Binary { .. }
            | Op::Cmp { .. }
            | Op::Select { .. }
            | Op::Cast { .. }
            | Op::PtrAdd { .. }
            | Op::Reduce { .. }
            | Op::Scan { .. }
            | Op::Dot { .. }
            | Op::Fma { .. }
            | Op::Load { .. }
            | Op::Store { .. }
            | Op::Atomic { .. }
            | Op::Call { .. }
            | Op::Yield { .. }
            | Op::Condition { .. }
            | Op::Return { .. }
            | Op::Assert { .. } => Vec::new(),
        }
    }

    /// Whether the op ends a block.
    pub fn is_terminator(&self) -> bool {
        matches!(self, Op::Yield { .. } | Op::Condition { .. } | Op::Return { .. })
    }

    /// Whether the op is a pure function of its operands (no memory effects, no
    /// control flow, no failure): what the e-graph and CSE may freely move or merge.
    /// `program_id`/`num_programs` are pure within one program instance.
    pub fn is_pure(&self) -> bool {
        match self {
            Op::Const { .. }
            | Op::ProgramId { .. }
            | Op::NumPrograms { .. }
            | Op::Arange { .. }
            | Op::Splat { .. }
            | Op::ExpandDims { .. }
            | Op::Broadcast { .. }
            | Op::Reshape { .. }
            | Op::Trans { .. }
            | Op::Unary { .. }
            | Op::Binary { .. }
            | Op::Cmp { .. }
            | Op::Select { .. }
            | Op::Cast { .. }
            | Op::PtrAdd { .. }
            | Op::Reduce { .. }
            | Op::Scan { .. }
            | Op::Dot { .. }
            | Op::Fma { .. } => true,
            Op::Load { .. }
            | Op::Store { .. }
            | Op::Atomic { .. }
            | Op::Call { .. }
            | Op::For { .. }
            | Op::While { .. }
            | Op::If { .. }
            | Op::Yield { .. }
            | Op::Condition { .. }
            | Op::Return { .. }
            | Op::Assert { .. } => false,
        }
    }
}
