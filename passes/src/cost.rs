//! Cost models for e-graph extraction: the [`CostModel`] trait targets implement, and
//! [`DefaultCostModel`], a latency × element-count model used until a target supplies
//! its own.
//!
//! A cost model prices one operation from its kind ([`OpKind`]: the op without its
//! operands, plus the few sizes an op's result type does not show) and its result type.
//! Costs are abstract integer units, so that equal costs compare exactly and extraction
//! is deterministic; the extractor adds them up over an expression tree. Passes never
//! name a target: a target hands its model to the pipeline.

use tessera_ir::{BinaryOp, CmpPred, ReduceOp, ScalarType, ScanOp, Type, UnaryOp};

/// The kind of one pure IR operation, without its operands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpKind {
    Const,
    ProgramId,
    NumPrograms,
    Arange,
    Splat,
    ExpandDims,
    Broadcast,
    Reshape,
    Trans,
    Unary(UnaryOp),
    Binary(BinaryOp),
    Cmp(CmpPred),
    Select,
    /// A conversion from `from` to the result's element type.
    Cast {
        from: ScalarType,
    },
    PtrAdd,
    /// A reduction over an axis of `axis_len` elements.
    Reduce {
        op: ReduceOp,
        axis_len: u32,
    },
    /// A scan along an axis of `axis_len` elements.
    Scan {
        op: ScanOp,
        axis_len: u32,
    },
    /// `[M, K] @ [K, N]` with inner dimension `k`.
    Dot {
        k: u32,
    },
    /// Fused multiply-add (formed only under fast math).
    Fma,
}

/// Prices operations for extraction. Implementations must be deterministic; a lower
/// cost is better, and the extractor prefers the original program on ties.
pub trait CostModel {
    /// The cost of computing one operation of kind `op` whose result has type `result`.
    fn node_cost(&self, op: &OpKind, result: &Type) -> u64;
}

/// A target-independent latency model: `elements × per-element latency`, plus one unit
/// per instruction so that fewer instructions win among equal work. Layout ops that
/// only relabel data (`expand_dims`, `reshape`) and constants are (nearly) free;
/// `splat`/`broadcast` cost one unit per element; multiplies cost three adds; division,
/// remainder, square roots and transcendental functions are expensive; 64-bit
/// elements cost twice as much as narrower ones (half the vector lanes).
#[derive(Clone, Copy, Debug, Default)]
pub struct DefaultCostModel;

/// Latency of the cheapest elementwise op (an integer add) in cost units.
const SIMPLE: u64 = 4;

impl CostModel for DefaultCostModel {
    fn node_cost(&self, op: &OpKind, result: &Type) -> u64 {
        let elements = result.num_elements().max(1);
        let wide = match result.scalar_type() {
            Some(scalar) if scalar.bits() == 64 => 2,
            Some(_) | None => 1,
        };
        let float = result.scalar_type().is_some_and(ScalarType::is_float);
        let (per_element, fixed) = match op {
            OpKind::Const => return 0,
            OpKind::ProgramId | OpKind::NumPrograms => (0, 1),
            OpKind::ExpandDims | OpKind::Reshape => (0, 1),
            OpKind::Splat | OpKind::Broadcast => (1, 1),
            OpKind::Arange | OpKind::Trans => (2, 1),
            OpKind::Unary(unary) => (unary_latency(*unary) * wide, 1),
            OpKind::Binary(binary) => (binary_latency(*binary, float) * wide, 1),
            OpKind::Cmp(_) | OpKind::Select | OpKind::Cast { .. } | OpKind::PtrAdd => {
                (SIMPLE * wide, 1)
            }
            OpKind::Reduce { op, axis_len } => {
                let step = match op {
                    ReduceOp::Sum | ReduceOp::Max | ReduceOp::Min => SIMPLE,
                    ReduceOp::ArgMax | ReduceOp::ArgMin => 2 * SIMPLE,
                };
                (step * wide * u64::from(*axis_len), 1)
            }
            OpKind::Scan { axis_len, .. } => (SIMPLE * wide * u64::from(*axis_len).max(1), 1),
            OpKind::Dot { k } => (4 * SIMPLE * wide * u64::from(*k), 1),
            OpKind::Fma => (3 * SIMPLE * wide, 1),
        };
        elements.saturating_mul(per_element).saturating_add(fixed)
    }
}

fn unary_latency(op: UnaryOp) -> u64 {
    match op {
        UnaryOp::Neg | UnaryOp::Not | UnaryOp::Abs | UnaryOp::Floor | UnaryOp::Ceil => SIMPLE,
        UnaryOp::Sqrt | UnaryOp::Rsqrt => 10 * SIMPLE,
        UnaryOp::Exp | UnaryOp::Exp2 | UnaryOp::Log | UnaryOp::Log2 => 15 * SIMPLE,
        UnaryOp::Sin | UnaryOp::Cos | UnaryOp::Tanh | UnaryOp::Sigmoid | UnaryOp::Erf => {
            20 * SIMPLE
        }
    }
}

fn binary_latency(op: BinaryOp, float: bool) -> u64 {
    match op {
        BinaryOp::Add
        | BinaryOp::Sub
        | BinaryOp::And
        | BinaryOp::Or
        | BinaryOp::Xor
        | BinaryOp::Shl
        | BinaryOp::Shr
        | BinaryOp::Max
        | BinaryOp::Min => SIMPLE,
        BinaryOp::Mul => 3 * SIMPLE,
        BinaryOp::Div if float => 10 * SIMPLE,
        BinaryOp::Div | BinaryOp::Rem => 20 * SIMPLE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_model_orders_ops_by_latency_and_size() {
        let model = DefaultCostModel;
        let tile = Type::tile(vec![128], ScalarType::F32);
        let cost = |op: OpKind| model.node_cost(&op, &tile);
        assert_eq!(model.node_cost(&OpKind::Const, &Type::scalar(ScalarType::F32)), 0);
        assert!(cost(OpKind::Reshape) < cost(OpKind::Splat));
        assert!(cost(OpKind::Splat) < cost(OpKind::Binary(BinaryOp::Add)));
        assert!(cost(OpKind::Binary(BinaryOp::Add)) < cost(OpKind::Binary(BinaryOp::Mul)));
        assert!(
            cost(OpKind::Fma)
                < cost(OpKind::Binary(BinaryOp::Mul)) + cost(OpKind::Binary(BinaryOp::Add))
        );
        assert!(cost(OpKind::Binary(BinaryOp::Mul)) < cost(OpKind::Binary(BinaryOp::Div)));
        assert!(cost(OpKind::Binary(BinaryOp::Div)) < cost(OpKind::Unary(UnaryOp::Exp)));
        let scalar = Type::scalar(ScalarType::F32);
        let scalar_div = model.node_cost(&OpKind::Binary(BinaryOp::Div), &scalar);
        assert!(scalar_div < cost(OpKind::Binary(BinaryOp::Mul)));
        let wide = Type::tile(vec![128], ScalarType::I64);
        let narrow = Type::tile(vec![128], ScalarType::I32);
        let add = OpKind::Binary(BinaryOp::Add);
        assert!(model.node_cost(&add, &narrow) < model.node_cost(&add, &wide));
    }
}
