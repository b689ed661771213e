//! Constant folding for the e-class analysis, bit for bit as the reference interpreter
//! computes (docs/language.md, "Semantics").
//!
//! Folded: integer and `bool` ops (wrapping, RISC-V division, shift amounts modulo the
//! width), float `+ - * / %`, `maximum`/`minimum`, comparisons, `neg`, `abs`, `floor`,
//! `ceil`, `sqrt`, `rsqrt` (correctly rounded IEEE ops, computed as the interpreter
//! does: f16/bf16 through f32, math functions in f64 then rounded once), casts, `fma`
//! on f32/f64, `select` with a constant condition, layout ops and reductions of uniform
//! tiles. Never folded: libm functions (`exp`, `log`, `sin`, …), whose results depend on
//! the platform's libm, and anything on pointers.
//!
//! The narrowing roundings repeat the interpreter's (round to f32 *to odd*, then to
//! nearest-even f16/bf16); the fold tests compare every folded op with the interpreter.

use half::{bf16, f16};
use tessera_ir::{BinaryOp, CmpPred, ReduceOp, ScalarType, Type, UnaryOp};

use super::analysis::{int_attr, TileGraph};
use super::language::{ConstLit, TileLang, View};

/// The uniform constant of `node` (of result type `ty`), if its operands' are known and
/// the op folds exactly.
pub fn fold(egraph: &TileGraph, node: &TileLang, ty: &Type) -> Option<ConstLit> {
    let uniform = |id| egraph[id].data.uniform;
    let elem = ty.scalar_type()?;
    match node.view() {
        View::Const(lit) => Some(lit),
        View::Splat([arg, _])
        | View::Broadcast([arg, _])
        | View::Reshape([arg, _])
        | View::ExpandDims([arg, _])
        | View::Trans([arg, _]) => uniform(arg),
        View::Unary(op, arg) => fold_unary(op, uniform(arg)?),
        View::Binary(op, [lhs, rhs]) => fold_binary(op, uniform(lhs)?, uniform(rhs)?),
        View::Cmp(pred, [lhs, rhs]) => fold_cmp(pred, uniform(lhs)?, uniform(rhs)?),
        View::Select([cond, on_true, on_false]) => {
            if uniform(cond)?.bits != 0 {
                uniform(on_true)
            } else {
                uniform(on_false)
            }
        }
        View::Cast([arg, _]) => fold_cast(uniform(arg)?, elem),
        View::Fma([a, b, c]) => fold_fma(uniform(a)?, uniform(b)?, uniform(c)?),
        View::Reduce(op, [arg, axis]) => {
            let lit = uniform(arg)?;
            let arg_ty = egraph[arg].data.ty.as_ref()?;
            let axis = usize::try_from(int_attr(egraph, axis)?).ok()?;
            let len = *arg_ty.shape.get(axis)?;
            fold_reduce(op, lit, len)
        }
        View::Cumsum(_)
        | View::Dot(_)
        | View::PtrAdd(_)
        | View::Arange(_)
        | View::ProgramId(_)
        | View::NumPrograms(_)
        | View::Int(_)
        | View::Shape(_)
        | View::Perm(_)
        | View::Dtype(_)
        | View::Leaf(_) => None,
    }
}

/// A reduction of `len` copies of `lit` along the axis. Max/min/arg of an empty axis
/// are errors in the interpreter, so they do not fold.
fn fold_reduce(op: ReduceOp, lit: ConstLit, len: u32) -> Option<ConstLit> {
    match op {
        ReduceOp::Max | ReduceOp::Min if len > 0 => Some(lit),
        ReduceOp::ArgMax | ReduceOp::ArgMin if len > 0 => Some(ConstLit::int(ScalarType::I32, 0)),
        ReduceOp::Sum if lit.ty.is_int() => {
            Some(ConstLit::int(lit.ty, lit.as_int()?.wrapping_mul(i128::from(len))))
        }
        ReduceOp::Max | ReduceOp::Min | ReduceOp::ArgMax | ReduceOp::ArgMin | ReduceOp::Sum => None,
    }
}

fn fold_unary(op: UnaryOp, lit: ConstLit) -> Option<ConstLit> {
    let ty = lit.ty;
    if ty.is_bool() {
        // `not` is the only unary op defined on `bool`.
        return (op == UnaryOp::Not).then(|| ConstLit::bool(lit.bits == 0));
    }
    if let Some(value) = lit.as_float() {
        let math = |f: fn(f64) -> f64| round_to(ty, f(value)).map(|v| ConstLit::float(ty, v));
        return match op {
            UnaryOp::Neg => Some(ConstLit { ty, bits: lit.bits ^ (1 << 63) }),
            UnaryOp::Abs => math(f64::abs),
            UnaryOp::Floor => math(f64::floor),
            UnaryOp::Ceil => math(f64::ceil),
            UnaryOp::Sqrt => math(f64::sqrt),
            UnaryOp::Rsqrt => math(|x| 1.0 / x.sqrt()),
            UnaryOp::Not
            | UnaryOp::Exp
            | UnaryOp::Exp2
            | UnaryOp::Log
            | UnaryOp::Log2
            | UnaryOp::Sin
            | UnaryOp::Cos
            | UnaryOp::Tanh
            | UnaryOp::Sigmoid
            | UnaryOp::Erf => None,
        };
    }
    let value = lit.as_int()?;
    let result = match op {
        UnaryOp::Neg => value.wrapping_neg(),
        UnaryOp::Not => !value,
        UnaryOp::Abs if ty.is_signed_int() => value.abs(),
        UnaryOp::Abs => value,
        UnaryOp::Exp
        | UnaryOp::Exp2
        | UnaryOp::Log
        | UnaryOp::Log2
        | UnaryOp::Sqrt
        | UnaryOp::Rsqrt
        | UnaryOp::Sin
        | UnaryOp::Cos
        | UnaryOp::Tanh
        | UnaryOp::Floor
        | UnaryOp::Ceil
        | UnaryOp::Sigmoid
        | UnaryOp::Erf => return None,
    };
    Some(ConstLit::int(ty, result))
}

pub fn fold_binary(op: BinaryOp, lhs: ConstLit, rhs: ConstLit) -> Option<ConstLit> {
    let ty = lhs.ty;
    if rhs.ty != ty {
        return None;
    }
    if ty.is_bool() {
        let (a, b) = (lhs.bits != 0, rhs.bits != 0);
        return match op {
            BinaryOp::And | BinaryOp::Min => Some(ConstLit::bool(a & b)),
            BinaryOp::Or | BinaryOp::Max => Some(ConstLit::bool(a | b)),
            BinaryOp::Xor => Some(ConstLit::bool(a ^ b)),
            BinaryOp::Add
            | BinaryOp::Sub
            | BinaryOp::Mul
            | BinaryOp::Div
            | BinaryOp::Rem
            | BinaryOp::Shl
            | BinaryOp::Shr => None,
        };
    }
    if ty.is_float() {
        return fold_float_binary(op, ty, lhs.as_float()?, rhs.as_float()?);
    }
    let (a, b) = (lhs.as_int()?, rhs.as_int()?);
    let amount = (b as u32) & (ty.bits() - 1);
    let result = match op {
        BinaryOp::Add => a.wrapping_add(b),
        BinaryOp::Sub => a.wrapping_sub(b),
        BinaryOp::Mul => a.wrapping_mul(b),
        BinaryOp::Div if b == 0 => -1,
        BinaryOp::Div => a / b,
        BinaryOp::Rem if b == 0 => a,
        BinaryOp::Rem => a % b,
        BinaryOp::And => a & b,
        BinaryOp::Or => a | b,
        BinaryOp::Xor => a ^ b,
        BinaryOp::Shl => a.wrapping_shl(amount),
        BinaryOp::Shr => a >> amount,
        BinaryOp::Max => a.max(b),
        BinaryOp::Min => a.min(b),
    };
    Some(ConstLit::int(ty, result))
}

/// Float ops as the interpreter evaluates them: native f32/f64, f16/bf16 through f32.
fn fold_float_binary(op: BinaryOp, ty: ScalarType, a: f64, b: f64) -> Option<ConstLit> {
    let arith = |f32_op: fn(f32, f32) -> f32, f64_op: fn(f64, f64) -> f64| {
        let value = match ty {
            ScalarType::F64 => f64_op(a, b),
            ScalarType::F32 => f64::from(f32_op(a as f32, b as f32)),
            ScalarType::F16 => f16::from_f32(f32_op(a as f32, b as f32)).to_f64(),
            ScalarType::BF16 => bf16::from_f32(f32_op(a as f32, b as f32)).to_f64(),
            ScalarType::Bool
            | ScalarType::I8
            | ScalarType::I16
            | ScalarType::I32
            | ScalarType::I64
            | ScalarType::U8
            | ScalarType::U16
            | ScalarType::U32
            | ScalarType::U64 => return None,
        };
        Some(ConstLit::float(ty, value))
    };
    match op {
        BinaryOp::Add => arith(|x, y| x + y, |x, y| x + y),
        BinaryOp::Sub => arith(|x, y| x - y, |x, y| x - y),
        BinaryOp::Mul => arith(|x, y| x * y, |x, y| x * y),
        BinaryOp::Div => arith(|x, y| x / y, |x, y| x / y),
        BinaryOp::Rem => arith(|x, y| x % y, |x, y| x % y),
        BinaryOp::Max => Some(ConstLit::float(ty, maximum(a, b))),
        BinaryOp::Min => Some(ConstLit::float(ty, minimum(a, b))),
        BinaryOp::And | BinaryOp::Or | BinaryOp::Xor | BinaryOp::Shl | BinaryOp::Shr => None,
    }
}

/// `maximum`: NaN if either is NaN (the first NaN), `-0.0 < +0.0` (the interpreter's).
fn maximum(a: f64, b: f64) -> f64 {
    if a.is_nan() {
        a
    } else if b.is_nan() || b > a {
        b
    } else if a > b {
        a
    } else if a.is_sign_negative() {
        b
    } else {
        a
    }
}

/// `minimum`: NaN if either is NaN (the first NaN), `-0.0 < +0.0` (the interpreter's).
fn minimum(a: f64, b: f64) -> f64 {
    if a.is_nan() {
        a
    } else if b.is_nan() || b < a {
        b
    } else if a < b || a.is_sign_negative() {
        a
    } else {
        b
    }
}

fn fold_cmp(pred: CmpPred, lhs: ConstLit, rhs: ConstLit) -> Option<ConstLit> {
    if lhs.ty != rhs.ty {
        return None;
    }
    let ordering = if lhs.ty.is_float() {
        lhs.as_float()?.partial_cmp(&rhs.as_float()?)
    } else {
        Some(lhs.as_int()?.cmp(&rhs.as_int()?))
    };
    use std::cmp::Ordering::{Equal, Greater, Less};
    let result = match pred {
        CmpPred::Eq => ordering == Some(Equal),
        CmpPred::Ne => ordering != Some(Equal),
        CmpPred::Lt => ordering == Some(Less),
        CmpPred::Le => matches!(ordering, Some(Less | Equal)),
        CmpPred::Gt => ordering == Some(Greater),
        CmpPred::Ge => matches!(ordering, Some(Greater | Equal)),
    };
    Some(ConstLit::bool(result))
}

/// `cast` of one element, with the interpreter's rules (truncating, saturating,
/// NaN → 0 for float → int; one nearest-even rounding otherwise).
pub fn fold_cast(lit: ConstLit, to: ScalarType) -> Option<ConstLit> {
    if lit.ty == to {
        return Some(lit);
    }
    if let Some(value) = lit.as_float() {
        return Some(if to.is_bool() {
            ConstLit::bool(value != 0.0)
        } else if to.is_float() {
            ConstLit::float(to, round_to(to, value)?)
        } else {
            ConstLit::int(to, float_to_int(value, to)?)
        });
    }
    let value = lit.as_int()?;
    Some(if to.is_bool() {
        ConstLit::bool(value != 0)
    } else if to.is_float() {
        ConstLit::float(to, int_to_float(value, to)?)
    } else {
        ConstLit::int(to, value)
    })
}

/// Rust's saturating `as` conversion (NaN → 0), as the interpreter uses.
fn float_to_int(value: f64, to: ScalarType) -> Option<i128> {
    Some(match to {
        ScalarType::I8 => i128::from(value as i8),
        ScalarType::I16 => i128::from(value as i16),
        ScalarType::I32 => i128::from(value as i32),
        ScalarType::I64 => i128::from(value as i64),
        ScalarType::U8 => i128::from(value as u8),
        ScalarType::U16 => i128::from(value as u16),
        ScalarType::U32 => i128::from(value as u32),
        ScalarType::U64 => i128::from(value as u64),
        ScalarType::Bool
        | ScalarType::F16
        | ScalarType::BF16
        | ScalarType::F32
        | ScalarType::F64 => return None,
    })
}

/// `value` rounded once to the float type `to`, widened back to f64.
fn int_to_float(value: i128, to: ScalarType) -> Option<f64> {
    Some(match to {
        ScalarType::F64 => value as f64,
        ScalarType::F32 => f64::from(value as f32),
        ScalarType::F16 => f16::from_f32(i128_to_f32_odd(value)).to_f64(),
        ScalarType::BF16 => bf16::from_f32(i128_to_f32_odd(value)).to_f64(),
        ScalarType::Bool
        | ScalarType::I8
        | ScalarType::I16
        | ScalarType::I32
        | ScalarType::I64
        | ScalarType::U8
        | ScalarType::U16
        | ScalarType::U32
        | ScalarType::U64 => return None,
    })
}

/// `value` rounded once to nearest-even in the float type `to`, widened back to f64.
fn round_to(to: ScalarType, value: f64) -> Option<f64> {
    Some(match to {
        ScalarType::F64 => value,
        ScalarType::F32 => f64::from(value as f32),
        ScalarType::F16 => f16::from_f32(f64_to_f32_odd(value)).to_f64(),
        ScalarType::BF16 => bf16::from_f32(f64_to_f32_odd(value)).to_f64(),
        ScalarType::Bool
        | ScalarType::I8
        | ScalarType::I16
        | ScalarType::I32
        | ScalarType::I64
        | ScalarType::U8
        | ScalarType::U16
        | ScalarType::U32
        | ScalarType::U64 => return None,
    })
}

/// `a * b + c` rounded once, for f32 and f64 (as `mul_add`, like the interpreter).
fn fold_fma(a: ConstLit, b: ConstLit, c: ConstLit) -> Option<ConstLit> {
    let ty = a.ty;
    if b.ty != ty || c.ty != ty {
        return None;
    }
    let (x, y, z) = (a.as_float()?, b.as_float()?, c.as_float()?);
    let value = match ty {
        ScalarType::F64 => x.mul_add(y, z),
        ScalarType::F32 => f64::from((x as f32).mul_add(y as f32, z as f32)),
        ScalarType::F16 | ScalarType::BF16 => return None,
        ScalarType::Bool
        | ScalarType::I8
        | ScalarType::I16
        | ScalarType::I32
        | ScalarType::I64
        | ScalarType::U8
        | ScalarType::U16
        | ScalarType::U32
        | ScalarType::U64 => return None,
    };
    Some(ConstLit::float(ty, value))
}

/// `value` rounded to f32 with round-to-odd (the interpreter's first narrowing step).
fn f64_to_f32_odd(value: f64) -> f32 {
    let nearest = value as f32;
    if value.is_nan() || f64::from(nearest) == value {
        return nearest;
    }
    let truncated = if f64::from(nearest).abs() > value.abs() {
        f32::from_bits(nearest.to_bits() - 1)
    } else {
        nearest
    };
    f32::from_bits(truncated.to_bits() | 1)
}

/// `value` rounded to f32 with round-to-odd.
fn i128_to_f32_odd(value: i128) -> f32 {
    let magnitude = value.unsigned_abs();
    let bits = 128 - magnitude.leading_zeros();
    let kept = if bits <= 24 {
        magnitude
    } else {
        let shift = bits - 24;
        let sticky = magnitude & ((1u128 << shift) - 1) != 0;
        ((magnitude >> shift) | u128::from(sticky)) << shift
    };
    let result = kept as f32;
    if value < 0 {
        -result
    } else {
        result
    }
}

#[cfg(test)]
mod tests {
    use egg::RecExpr;
    use tessera_ir::interp::Scalar;
    use tessera_ir::{BinaryOp, CmpPred, ScalarType, UnaryOp};

    use crate::egraph::analysis::TileGraph;
    use crate::egraph::language::{ConstLit, TileLang};
    use crate::egraph::testing::{
        analysis_for, first_difference, parse_var, random_buffer, Evaluator, Rng,
    };

    /// A random literal of `ty`, rich in special values.
    fn random_lit(ty: ScalarType, rng: &mut Rng) -> ConstLit {
        let buffer = random_buffer(&parse_var(ty.name()), rng, false);
        match buffer.get(0).expect("one element") {
            Scalar::Bool(b) => ConstLit::bool(b),
            Scalar::I8(v) => ConstLit::int(ty, v.into()),
            Scalar::I16(v) => ConstLit::int(ty, v.into()),
            Scalar::I32(v) => ConstLit::int(ty, v.into()),
            Scalar::I64(v) => ConstLit::int(ty, v.into()),
            Scalar::U8(v) => ConstLit::int(ty, v.into()),
            Scalar::U16(v) => ConstLit::int(ty, v.into()),
            Scalar::U32(v) => ConstLit::int(ty, v.into()),
            Scalar::U64(v) => ConstLit::int(ty, v.into()),
            Scalar::F16(v) => ConstLit::float(ty, v.to_f64()),
            Scalar::BF16(v) => ConstLit::float(ty, v.to_f64()),
            Scalar::F32(v) => ConstLit::float(ty, v.into()),
            Scalar::F64(v) => ConstLit::float(ty, v),
        }
    }

    /// Folds `text` and, if it folds, compares with the interpreter; true if folded.
    fn check(text: &str) -> bool {
        let expr: RecExpr<TileLang> = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
        let mut egraph = TileGraph::new(analysis_for(&[]));
        let root = egraph.add_expr(&expr);
        let Some(lit) = egraph[root].data.uniform else { return false };
        let ty = egraph[root].data.ty.clone().expect("a typed root");
        let folded_text = if ty.is_scalar() {
            lit.to_string()
        } else {
            format!("(splat {lit} {})", crate::egraph::language::ShapeLit(ty.shape.clone()))
        };
        let folded: RecExpr<TileLang> = folded_text.parse().expect("a literal");
        let expected = Evaluator::new(&expr, &[]).run(&[]).expect("runs");
        let got = Evaluator::new(&folded, &[]).run(&[]).expect("runs");
        assert_eq!(
            first_difference(&expected, &got, None),
            None,
            "{text} folded to {lit}: {expected:?}"
        );
        true
    }

    fn binary_defined(op: BinaryOp, ty: ScalarType) -> bool {
        if ty.is_bool() {
            matches!(op, BinaryOp::And | BinaryOp::Or | BinaryOp::Xor)
        } else {
            !op.is_bitwise() || ty.is_int()
        }
    }

    fn unary_defined(op: UnaryOp, ty: ScalarType) -> bool {
        if op.is_float_only() {
            ty.is_float()
        } else if op == UnaryOp::Not {
            !ty.is_float()
        } else {
            !ty.is_bool()
        }
    }

    #[test]
    fn folding_matches_the_interpreter() {
        let mut rng = Rng::new("fold");
        let mut folded = 0;
        for ty in ScalarType::ALL {
            for _ in 0..30 {
                let (a, b, c) =
                    (random_lit(ty, &mut rng), random_lit(ty, &mut rng), random_lit(ty, &mut rng));
                for op in BinaryOp::ALL.into_iter().filter(|&op| binary_defined(op, ty)) {
                    folded += usize::from(check(&format!("({} {a} {b})", op.name())));
                }
                for op in UnaryOp::ALL.into_iter().filter(|&op| unary_defined(op, ty)) {
                    folded += usize::from(check(&format!("({} {a})", op.name())));
                }
                for pred in CmpPred::ALL {
                    folded += usize::from(check(&format!("({} {a} {b})", pred.name())));
                }
                for to in ScalarType::ALL {
                    folded += usize::from(check(&format!("(cast {a} {to})")));
                }
                if ty.is_float() {
                    folded += usize::from(check(&format!("(fma {a} {b} {c})")));
                }
                let cond = random_lit(ScalarType::Bool, &mut rng);
                folded += usize::from(check(&format!("(select {cond} {a} {b})")));
                if !ty.is_bool() {
                    for op in ["reduce_sum", "reduce_max", "argmin"] {
                        folded += usize::from(check(&format!("({op} (splat {a} [3,5]) 1)")));
                    }
                }
            }
        }
        assert!(folded > 8_000, "only {folded} expressions folded");
    }
}
