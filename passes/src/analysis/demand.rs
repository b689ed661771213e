//! What a target program must materialize: per memory op a [`MemPlan`] (strided or
//! indexed transfer, how the mask is applied), and from those the set of IR values the
//! program computes at all ([`Demand`]). A value only feeds addresses that the DMA
//! descriptors compute on the control core (`offs = pid * BLOCK + arange(..)` feeding
//! an affine load) is never built as a tile; a mask made only of edge compares becomes
//! descriptor extents. Every later stage asks [`Demand::uses`] which operands an
//! instruction reads, so the liveness the lowering pops CBs by agrees with what it
//! emits.

use std::collections::{HashMap, HashSet};

use tessera_ir::{Block, Constant, Function, Inst, Op, Value};

use super::affine::{Access, AffineAccess, EdgeBound, MaskInfo, MemAccess};
use super::symexpr::{Atom, ScalarExpr};

/// How one load/store/atomic addresses memory.
#[derive(Clone, Debug)]
pub enum AddrPlan {
    /// Strided DMA; the scalar atoms of base and strides are computed by the program.
    Strided(AffineAccess),
    /// Gather/scatter through a tile of element offsets.
    Indexed,
}

/// How a memory op's mask is applied.
#[derive(Clone, Debug)]
pub enum MaskPlan {
    None,
    /// Descriptor extents from edge compares with a positive constant step.
    Extents(Vec<EdgeBound>),
    /// The mask value itself, as a `bool` tile.
    Tile(Value),
}

/// The lowering decision for one memory op.
#[derive(Clone, Debug)]
pub struct MemPlan {
    pub addr: AddrPlan,
    pub mask: MaskPlan,
    /// A load's `other`, when it is not zero (a select after the zero-filling DMA).
    pub other: Option<Value>,
    /// The load/store/atomic mask operand, if any.
    pub mask_value: Option<Value>,
}

impl MemPlan {
    fn new(func: &Function, inst: Inst, access: &MemAccess) -> MemPlan {
        let (mask_value, other, is_atomic) = match &func.insts[inst].op {
            Op::Load { mask, other, .. } => (*mask, *other, false),
            Op::Store { mask, .. } => (*mask, None, false),
            Op::Atomic { mask, .. } => (*mask, None, true),
            _ => (None, None, false),
        };
        let addr = match (&access.access, is_atomic) {
            (Access::Affine(a), false) => AddrPlan::Strided(a.clone()),
            _ => AddrPlan::Indexed,
        };
        let mask = match (&access.mask, &addr, mask_value) {
            (_, _, None) => MaskPlan::None,
            (MaskInfo::Edges(edges), AddrPlan::Strided(_), Some(_))
                if edges.iter().all(|e| e.step.as_constant().is_some_and(|s| s > 0)) =>
            {
                MaskPlan::Extents(edges.clone())
            }
            (_, _, Some(m)) => MaskPlan::Tile(m),
        };
        let other = other.filter(|&o| !is_zero(func, o));
        MemPlan { addr, mask, other, mask_value }
    }

    /// The scalar IR values the descriptor's expressions read.
    fn atoms(&self) -> Vec<Value> {
        let mut exprs: Vec<&ScalarExpr> = Vec::new();
        if let AddrPlan::Strided(a) = &self.addr {
            exprs.push(&a.base);
            exprs.extend(&a.strides);
        }
        if let MaskPlan::Extents(edges) = &self.mask {
            for e in edges {
                exprs.push(&e.start);
                exprs.push(&e.bound);
            }
        }
        let mut out = Vec::new();
        for e in exprs {
            for (factors, _) in e.terms() {
                for a in factors {
                    if let Atom::LoopVar(v) | Atom::Opaque(v) = a {
                        out.push(*v);
                    }
                }
            }
        }
        out
    }
}

/// Whether `v` is the constant zero (or a splat of it) of its type.
fn is_zero(func: &Function, v: Value) -> bool {
    let tessera_ir::ValueDef::Result(inst, _) = func.values[v].def else { return false };
    match &func.insts[inst].op {
        Op::Const { value } => match value {
            Constant::Bool(b) => !b,
            Constant::Int(i) => *i == 0,
            // -0.0 is not zero bits: a masked lane must hold +0.0 to equal the DMA fill.
            Constant::Float(f) => f.to_bits() == 0,
        },
        Op::Splat { value } => is_zero(func, *value),
        _ => false,
    }
}

/// The demanded values of a function and the plans of its memory ops.
pub struct Demand {
    pub plans: HashMap<Inst, MemPlan>,
    pub demanded: HashSet<Value>,
}

impl Demand {
    pub fn new(func: &Function, accesses: &[MemAccess]) -> Demand {
        let plans = accesses.iter().map(|a| (a.inst, MemPlan::new(func, a.inst, a))).collect();
        let mut d = Demand { plans, demanded: HashSet::new() };
        let insts: Vec<Inst> = func
            .walk_blocks()
            .into_iter()
            .filter_map(|b| func.blocks.get(b))
            .flat_map(|b| b.insts.iter().copied())
            .collect();
        loop {
            let mut changed = false;
            for &inst in insts.iter().rev() {
                for v in d.uses(func, inst) {
                    changed |= d.demanded.insert(v);
                }
            }
            if !changed {
                break;
            }
        }
        d
    }

    /// The operands `inst` itself (not its nested blocks) makes the program read.
    pub fn uses(&self, func: &Function, inst: Inst) -> Vec<Value> {
        let data = &func.insts[inst];
        let ptr_mem = |ptr: Value, extra: &[Value]| -> Vec<Value> {
            let Some(plan) = self.plans.get(&inst) else { return data.op.operands() };
            let mut out: Vec<Value> = extra.to_vec();
            match plan.addr {
                AddrPlan::Strided(_) => out.extend(plan.atoms()),
                AddrPlan::Indexed => {
                    out.push(ptr);
                    out.extend(plan.atoms());
                }
            }
            if let MaskPlan::Tile(m) = plan.mask {
                out.push(m);
            }
            if let Some(o) = plan.other {
                out.push(o);
                out.extend(plan.mask_value);
            }
            out
        };
        match &data.op {
            Op::Load { ptr, .. } => ptr_mem(*ptr, &[]),
            Op::Store { ptr, value, .. } | Op::Atomic { ptr, value, .. } => {
                ptr_mem(*ptr, &[*value])
            }
            op if op.is_pure() => {
                if data.results.iter().any(|r| self.demanded.contains(r)) {
                    op.operands()
                } else {
                    Vec::new()
                }
            }
            op => op.operands(),
        }
    }

    /// Every value read by an instruction inside `block` or blocks nested in it.
    pub fn nested_uses(&self, func: &Function, block: Block, out: &mut HashSet<Value>) {
        let Some(data) = func.blocks.get(block) else { return };
        for &inst in &data.insts {
            out.extend(self.uses(func, inst));
            for b in func.insts[inst].op.blocks() {
                self.nested_uses(func, b, out);
            }
        }
    }
}
