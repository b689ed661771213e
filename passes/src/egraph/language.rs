//! The e-graph language of the pure tile-IR ops ([`TileLang`]) and its attribute leaves.
//!
//! Every pure op of the IR has a node; elementwise ops are named like their IR mnemonics
//! (`add`, `exp`, `lt`, `select`, `fma`), reductions `reduce_sum`, `reduce_max`, …,
//! `argmax`, and the scan `cumsum`. Ops whose result type the operands do not determine
//! take it as an attribute child: `(splat ?x [4,8])`, `(broadcast ?x [4,8])`,
//! `(reshape ?x [32])`, `(cast ?x f32)`, `(trans ?x perm[1,0])`, and axes as integer
//! leaves: `(expand_dims ?x 1)`, `(reduce_max ?x 0)`. Attribute leaves:
//!
//! - [`ConstLit`]: a scalar constant with its type: `1i32`, `255u8`, `-0.0f32`, `inff16`,
//!   `nanf32`, `true`;
//! - [`ShapeLit`] `[4,8]` (`[]` for a scalar), [`PermLit`] `perm[1,0]`, [`DtypeLit`]
//!   `f32`, and plain integers (axes, `arange` bounds);
//! - [`LeafRef`] `v12`: an opaque value (block argument, load or loop result, value of an
//!   enclosing block), named by its arena index. Leaves do not parse in rule patterns.
//!
//! Rewrite rules are written in this syntax; [`TileLang::view`] is the one exhaustive
//! classification the rest of the optimizer matches on.

use std::fmt;
use std::str::FromStr;

use egg::{define_language, Id};
use tessera_ir::{BinaryOp, CmpPred, Constant, ReduceOp, ScalarType, UnaryOp};

/// A scalar constant of type `ty`. `bits` holds a `bool` as 0/1, an integer as its value
/// sign-extended from the type's width (as IR constants store it), and a float as the
/// bits of its exact value widened to f64.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConstLit {
    pub ty: ScalarType,
    pub bits: u64,
}

/// A static shape, printed `[4,8]`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ShapeLit(pub Vec<u32>);

/// A permutation of dimensions, printed `perm[1,0]`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PermLit(pub Vec<u32>);

/// The element type a `cast` converts to, printed like the type (`f32`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DtypeLit(pub ScalarType);

/// An opaque value of the region, by arena index, printed `v12`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LeafRef(pub u32);

/// Declares [`TileLang`] from the op families, with [`View`] and the constructors that
/// map IR op enums to nodes, so that each IR op appears in exactly one table row.
macro_rules! tile_language {
    (
        unary { $($u_name:literal = $u_var:ident => $u_op:ident,)* }
        binary { $($b_name:literal = $b_var:ident => $b_op:ident,)* }
        cmp { $($c_name:literal = $c_var:ident => $c_op:ident,)* }
        reduce { $($r_name:literal = $r_var:ident => $r_op:ident,)* }
    ) => {
        define_language! {
            /// The pure ops of the tile IR, plus attribute and opaque leaves.
            pub enum TileLang {
                $($u_name = $u_var(Id),)*
                $($b_name = $b_var([Id; 2]),)*
                $($c_name = $c_var([Id; 2]),)*
                $($r_name = $r_var([Id; 2]),)*
                "cumsum" = Cumsum([Id; 2]),
                "select" = Select([Id; 3]),
                "fma" = Fma([Id; 3]),
                "dot" = Dot([Id; 3]),
                "ptr_add" = PtrAdd([Id; 2]),
                "splat" = Splat([Id; 2]),
                "broadcast" = Broadcast([Id; 2]),
                "reshape" = Reshape([Id; 2]),
                "expand_dims" = ExpandDims([Id; 2]),
                "trans" = Trans([Id; 2]),
                "cast" = Cast([Id; 2]),
                "arange" = Arange([Id; 2]),
                "program_id" = ProgramId(Id),
                "num_programs" = NumPrograms(Id),
                Int(i64),
                Const(ConstLit),
                Shape(ShapeLit),
                Perm(PermLit),
                Dtype(DtypeLit),
                Leaf(LeafRef),
            }
        }

        impl TileLang {
            /// The node for a unary op.
            pub fn unary(op: UnaryOp, arg: Id) -> TileLang {
                match op {
                    $(UnaryOp::$u_op => TileLang::$u_var(arg),)*
                }
            }

            /// The node for a binary op.
            pub fn binary(op: BinaryOp, args: [Id; 2]) -> TileLang {
                match op {
                    $(BinaryOp::$b_op => TileLang::$b_var(args),)*
                }
            }

            /// The node for a comparison.
            pub fn cmp(pred: CmpPred, args: [Id; 2]) -> TileLang {
                match pred {
                    $(CmpPred::$c_op => TileLang::$c_var(args),)*
                }
            }

            /// The node for a reduction: `[arg, axis]`.
            pub fn reduce(op: ReduceOp, args: [Id; 2]) -> TileLang {
                match op {
                    $(ReduceOp::$r_op => TileLang::$r_var(args),)*
                }
            }

            /// The node classified by family, with its children.
            pub fn view(&self) -> View<'_> {
                match self {
                    $(TileLang::$u_var(arg) => View::Unary(UnaryOp::$u_op, *arg),)*
                    $(TileLang::$b_var(args) => View::Binary(BinaryOp::$b_op, *args),)*
                    $(TileLang::$c_var(args) => View::Cmp(CmpPred::$c_op, *args),)*
                    $(TileLang::$r_var(args) => View::Reduce(ReduceOp::$r_op, *args),)*
                    TileLang::Cumsum(args) => View::Cumsum(*args),
                    TileLang::Select(args) => View::Select(*args),
                    TileLang::Fma(args) => View::Fma(*args),
                    TileLang::Dot(args) => View::Dot(*args),
                    TileLang::PtrAdd(args) => View::PtrAdd(*args),
                    TileLang::Splat(args) => View::Splat(*args),
                    TileLang::Broadcast(args) => View::Broadcast(*args),
                    TileLang::Reshape(args) => View::Reshape(*args),
                    TileLang::ExpandDims(args) => View::ExpandDims(*args),
                    TileLang::Trans(args) => View::Trans(*args),
                    TileLang::Cast(args) => View::Cast(*args),
                    TileLang::Arange(args) => View::Arange(*args),
                    TileLang::ProgramId(axis) => View::ProgramId(*axis),
                    TileLang::NumPrograms(axis) => View::NumPrograms(*axis),
                    TileLang::Int(value) => View::Int(*value),
                    TileLang::Const(lit) => View::Const(*lit),
                    TileLang::Shape(shape) => View::Shape(&shape.0),
                    TileLang::Perm(perm) => View::Perm(&perm.0),
                    TileLang::Dtype(dtype) => View::Dtype(dtype.0),
                    TileLang::Leaf(leaf) => View::Leaf(leaf.0),
                }
            }
        }
    };
}

tile_language! {
    unary {
        "neg" = Neg => Neg,
        "not" = Not => Not,
        "exp" = Exp => Exp,
        "exp2" = Exp2 => Exp2,
        "log" = Log => Log,
        "log2" = Log2 => Log2,
        "sqrt" = Sqrt => Sqrt,
        "rsqrt" = Rsqrt => Rsqrt,
        "sin" = Sin => Sin,
        "cos" = Cos => Cos,
        "tanh" = Tanh => Tanh,
        "abs" = Abs => Abs,
        "floor" = Floor => Floor,
        "ceil" = Ceil => Ceil,
        "sigmoid" = Sigmoid => Sigmoid,
        "erf" = Erf => Erf,
    }
    binary {
        "add" = Add => Add,
        "sub" = Sub => Sub,
        "mul" = Mul => Mul,
        "div" = Div => Div,
        "rem" = Rem => Rem,
        "and" = And => And,
        "or" = Or => Or,
        "xor" = Xor => Xor,
        "shl" = Shl => Shl,
        "shr" = Shr => Shr,
        "max" = Max => Max,
        "min" = Min => Min,
    }
    cmp {
        "eq" = Eq => Eq,
        "ne" = Ne => Ne,
        "lt" = Lt => Lt,
        "le" = Le => Le,
        "gt" = Gt => Gt,
        "ge" = Ge => Ge,
    }
    reduce {
        "reduce_sum" = ReduceSum => Sum,
        "reduce_max" = ReduceMax => Max,
        "reduce_min" = ReduceMin => Min,
        "argmax" = ArgMax => ArgMax,
        "argmin" = ArgMin => ArgMin,
    }
}

/// A [`TileLang`] node by family. Value children come first; attribute children
/// (shapes, axes, dtypes, perms) last: `Splat([value, shape])`, `Reduce(op, [arg, axis])`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View<'a> {
    Unary(UnaryOp, Id),
    Binary(BinaryOp, [Id; 2]),
    Cmp(CmpPred, [Id; 2]),
    Reduce(ReduceOp, [Id; 2]),
    Cumsum([Id; 2]),
    Select([Id; 3]),
    Fma([Id; 3]),
    Dot([Id; 3]),
    PtrAdd([Id; 2]),
    Splat([Id; 2]),
    Broadcast([Id; 2]),
    Reshape([Id; 2]),
    ExpandDims([Id; 2]),
    Trans([Id; 2]),
    Cast([Id; 2]),
    Arange([Id; 2]),
    ProgramId(Id),
    NumPrograms(Id),
    Int(i64),
    Const(ConstLit),
    Shape(&'a [u32]),
    Perm(&'a [u32]),
    Dtype(ScalarType),
    Leaf(u32),
}

impl TileLang {
    /// Whether the node is an attribute (not a value): an axis, shape, perm or dtype.
    pub fn is_attribute(&self) -> bool {
        matches!(
            self,
            TileLang::Int(_) | TileLang::Shape(_) | TileLang::Perm(_) | TileLang::Dtype(_)
        )
    }
}

impl ConstLit {
    /// The literal for an IR constant of type `ty`; `None` when the kinds disagree.
    pub fn from_constant(value: Constant, ty: ScalarType) -> Option<ConstLit> {
        let bits = match value {
            Constant::Bool(b) if ty.is_bool() => u64::from(b),
            Constant::Int(i) if ty.is_int() => i as u64,
            Constant::Float(f) if ty.is_float() => f.to_bits(),
            Constant::Bool(_) | Constant::Int(_) | Constant::Float(_) => return None,
        };
        Some(ConstLit { ty, bits })
    }

    /// A `bool` literal.
    pub fn bool(value: bool) -> ConstLit {
        ConstLit { ty: ScalarType::Bool, bits: u64::from(value) }
    }

    /// The integer `value` wrapped to the integer type `ty` (two's complement).
    pub fn int(ty: ScalarType, value: i128) -> ConstLit {
        ConstLit { ty, bits: sign_extend(value as u64, ty.bits()) as u64 }
    }

    /// A float literal; `value` must be exactly representable in `ty`.
    pub fn float(ty: ScalarType, value: f64) -> ConstLit {
        ConstLit { ty, bits: value.to_bits() }
    }

    /// The IR constant.
    pub fn to_constant(self) -> Constant {
        if self.ty.is_bool() {
            Constant::Bool(self.bits != 0)
        } else if self.ty.is_float() {
            Constant::Float(f64::from_bits(self.bits))
        } else {
            Constant::Int(self.bits as i64)
        }
    }

    /// The integer value, extended by the type's signedness (`bool` as 0/1); `None`
    /// for floats.
    pub fn as_int(self) -> Option<i128> {
        if self.ty.is_bool() {
            Some(i128::from(self.bits != 0))
        } else if self.ty.is_unsigned_int() {
            Some(i128::from(self.bits & width_mask(self.ty.bits())))
        } else if self.ty.is_signed_int() {
            Some(i128::from(self.bits as i64))
        } else {
            None
        }
    }

    /// The float value; `None` for integers and `bool`.
    pub fn as_float(self) -> Option<f64> {
        self.ty.is_float().then(|| f64::from_bits(self.bits))
    }

    /// Whether every bit of the value is set (`true`, or an integer `-1`/`MAX`).
    pub fn is_all_ones(self) -> bool {
        if self.ty.is_bool() {
            self.bits == 1
        } else {
            !self.ty.is_float() && self.bits as i64 == -1
        }
    }

    /// Whether the value is an integer or `bool` zero.
    pub fn is_int_zero(self) -> bool {
        !self.ty.is_float() && self.bits == 0
    }
}

/// The low `width` bits set.
fn width_mask(width: u32) -> u64 {
    if width >= 64 {
        u64::MAX
    } else {
        (1u64 << width) - 1
    }
}

/// `value` sign-extended from its low `width` bits.
pub(crate) fn sign_extend(value: u64, width: u32) -> i64 {
    if width >= 64 {
        return value as i64;
    }
    let shift = 64 - width;
    ((value << shift) as i64) >> shift
}

/// Type suffixes, longest first where one ends another (`bf16` before `f16`).
const SUFFIXES: [ScalarType; 12] = [
    ScalarType::BF16,
    ScalarType::F16,
    ScalarType::F32,
    ScalarType::F64,
    ScalarType::I8,
    ScalarType::I16,
    ScalarType::I32,
    ScalarType::I64,
    ScalarType::U8,
    ScalarType::U16,
    ScalarType::U32,
    ScalarType::U64,
];

impl fmt::Display for ConstLit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ty.is_bool() {
            return write!(f, "{}", self.bits != 0);
        }
        if let Some(value) = self.as_float() {
            return if value.is_nan() {
                write!(f, "nan{}", self.ty)
            } else if value.is_infinite() {
                write!(f, "{}inf{}", if value < 0.0 { "-" } else { "" }, self.ty)
            } else if self.ty == ScalarType::F64 {
                write!(f, "{value:?}{}", self.ty)
            } else {
                // f16, bf16 and f32 values are exact f32s: print the shortest f32 form.
                write!(f, "{:?}{}", value as f32, self.ty)
            };
        }
        write!(f, "{}{}", self.as_int().unwrap_or_default(), self.ty)
    }
}

impl FromStr for ConstLit {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "true" => return Ok(ConstLit::bool(true)),
            "false" => return Ok(ConstLit::bool(false)),
            _ => {}
        }
        let bad = || format!("`{text}` is not a typed constant");
        let ty = SUFFIXES.into_iter().find(|ty| text.ends_with(ty.name())).ok_or_else(bad)?;
        let digits = &text[..text.len() - ty.name().len()];
        if ty.is_float() {
            let value = match digits {
                "nan" => f64::NAN,
                "inf" => f64::INFINITY,
                "-inf" => f64::NEG_INFINITY,
                _ if ty == ScalarType::F64 => digits.parse::<f64>().map_err(|_| bad())?,
                _ => f64::from(digits.parse::<f32>().map_err(|_| bad())?),
            };
            return Ok(ConstLit::float(ty, value));
        }
        let value: i128 = digits.parse().map_err(|_| bad())?;
        let lit = ConstLit::int(ty, value);
        if lit.as_int() == Some(value) {
            Ok(lit)
        } else {
            Err(format!("{value} is out of range for {ty}"))
        }
    }
}

/// `[4,8]`: the dims without spaces (so the text is one s-expression atom).
fn write_dims(f: &mut fmt::Formatter<'_>, dims: &[u32]) -> fmt::Result {
    f.write_str("[")?;
    for (index, dim) in dims.iter().enumerate() {
        if index > 0 {
            f.write_str(",")?;
        }
        write!(f, "{dim}")?;
    }
    f.write_str("]")
}

fn parse_dims(text: &str) -> Result<Vec<u32>, String> {
    let inner = text
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .ok_or_else(|| format!("`{text}` is not a bracketed list"))?;
    if inner.is_empty() {
        return Ok(Vec::new());
    }
    inner.split(',').map(|dim| dim.parse().map_err(|_| format!("bad dimension `{dim}`"))).collect()
}

impl fmt::Display for ShapeLit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_dims(f, &self.0)
    }
}

impl FromStr for ShapeLit {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_dims(text).map(ShapeLit)
    }
}

impl fmt::Display for PermLit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("perm")?;
        write_dims(f, &self.0)
    }
}

impl FromStr for PermLit {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let dims = text.strip_prefix("perm").ok_or_else(|| format!("`{text}` is not a perm"))?;
        parse_dims(dims).map(PermLit)
    }
}

impl fmt::Display for DtypeLit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name())
    }
}

impl FromStr for DtypeLit {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ScalarType::from_name(text).map(DtypeLit).ok_or_else(|| format!("`{text}` is not a type"))
    }
}

impl fmt::Display for LeafRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.0)
    }
}

impl FromStr for LeafRef {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let index = text.strip_prefix('v').ok_or_else(|| format!("`{text}` is not a leaf"))?;
        index.parse().map(LeafRef).map_err(|_| format!("`{text}` is not a leaf"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use egg::RecExpr;

    #[test]
    fn literals_print_and_parse_back() {
        for text in [
            "1i32",
            "-1i8",
            "255u8",
            "18446744073709551615u64",
            "-0.0f32",
            "0.1f32",
            "inff16",
            "-infbf16",
            "nanf64",
            "1e-7f64",
            "true",
            "false",
            "0.5bf16",
        ] {
            let lit: ConstLit = text.parse().unwrap();
            assert_eq!(lit.to_string(), text, "{text}");
        }
        assert_eq!("255u8".parse::<ConstLit>().unwrap().bits as i64, -1);
        assert!("256u8".parse::<ConstLit>().is_err());
        assert!("f32".parse::<ConstLit>().is_err());
        assert!("3".parse::<ConstLit>().is_err());
    }

    #[test]
    fn expressions_round_trip_through_text() {
        let text = "(add (splat 1.5f32 [4,8]) (broadcast (cast v3 f32) [4,8]))";
        let expr: RecExpr<TileLang> = text.parse().unwrap();
        assert_eq!(expr.to_string(), text);
        let text = "(reduce_max (trans v0 perm[1,0]) 1)";
        assert_eq!(text.parse::<RecExpr<TileLang>>().unwrap().to_string(), text);
        let shape: RecExpr<TileLang> = "[]".parse().unwrap();
        assert_eq!(shape.to_string(), "[]");
    }

    #[test]
    fn constructors_agree_with_view() {
        let (a, b) = (Id::from(0), Id::from(1));
        for op in UnaryOp::ALL {
            assert_eq!(TileLang::unary(op, a).view(), View::Unary(op, a));
        }
        for op in BinaryOp::ALL {
            assert_eq!(TileLang::binary(op, [a, b]).view(), View::Binary(op, [a, b]));
        }
        for pred in CmpPred::ALL {
            assert_eq!(TileLang::cmp(pred, [a, b]).view(), View::Cmp(pred, [a, b]));
        }
        for op in ReduceOp::ALL {
            assert_eq!(TileLang::reduce(op, [a, b]).view(), View::Reduce(op, [a, b]));
        }
    }
}
