//! Address analysis for targets that move tiles (PE-grid DMA, CPU vector loads): decides, for the pointer
//! operand of every `load`/`store`/`atomic` of a function, whether the addresses are
//! affine in the tile indices — a strided DMA descriptor `base + Σ stride[d] * i[d]`
//! over one kernel pointer parameter — or must become gather/scatter DMA, and
//! classifies each mask as per-dimension edge bounds or a general mask.
//!
//! # Method
//! Abstract interpretation over the pure DAG, one forward walk in block order
//! ([`Function::walk_blocks`] visits a block's definitions before the blocks its ops
//! own). Every integer value maps to an [`Affine`]: a tile-invariant constant part
//! plus one coefficient per tile dimension, all [`ScalarExpr`] polynomials over
//! scalar atoms (kernel scalar parameters, `program_id`, `num_programs`, loop
//! induction variables, opaque scalar values).
//! - `arange s, e`: constant `s`, coefficient 1; `splat` of a scalar: constant only.
//! - `expand_dims` inserts a zero coefficient; `broadcast` zeroes the coefficient of
//!   every size-1 dimension it widens; `trans` permutes coefficients.
//! - `add`/`sub`/`neg` combine; `mul` needs one side tile-invariant and scales the
//!   other by that side's (symbolic) constant part — the product of two symbolic
//!   scalars is kept as a polynomial monomial (`pid0*sam`), not rejected; `shl` needs
//!   a literal constant amount. Two tile-varying factors → gather ("non-linear").
//! - `ptr_add` of a pointer based on parameter `p` adds the offset; `splat` of a
//!   pointer keeps its base.
//! - Integer `cast`s pass through unchanged. Caveat: the analysis computes in
//!   unbounded (wrapping `i64`) arithmetic, so an `i32` index that overflows before
//!   an `i32 → i64` cast, or a truncating cast, is not modelled; the address then
//!   differs from the IR's. The corpus never relies on such wrap-around.
//! - Every scalar integer value is tile-invariant, so one the rules cannot express
//!   (`div`, `shl` by a variable, a scalar load, a loop-carried scalar) becomes an
//!   [`Atom::Opaque`] atom rather than a failure: the program computes it.
//! - Anything else yields an unknown with a reason that propagates to users (a
//!   loaded value: "offset depends on loaded data"), and the access falls back to
//!   [`Access::Gather`].
//!
//! Masks: `idx < bound`, `idx <= bound`, `bound > idx`, `bound >= idx` with `idx`
//! varying along exactly one dimension and `bound` tile-invariant becomes an
//! [`EdgeBound`]; `and` of such masks concatenates them; `expand_dims`, `broadcast`
//! (of dimensions the edge is not on) and `trans` move them; anything else is
//! [`MaskInfo::General`]. Comparisons are signed; unsigned ones are general masks.
//!
//! Not handled yet: pointers carried through loops (`p += BLOCK * stride` in a loop
//! body; -O2 IR indexes from the induction variable instead), `reshape`s that
//! change the shape, and `select`/`min`/`max` clamped indices — all gather.

use std::collections::HashMap;

use tessera_ir::{
    BinaryOp, Block, CmpPred, Constant, ElemType, Function, Inst, Op, UnaryOp, Value,
};

use super::symexpr::{Atom, ScalarExpr, StrideExpr};

/// The reason given when an address or index comes from memory.
pub const LOADED_DATA: &str = "offset depends on loaded data";

/// An integer tile value as an affine function of the tile indices:
/// `value[i] = constant + Σ_d coeffs[d] * i[d]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Affine {
    /// The tile-invariant part (element 0 of the tile).
    pub constant: ScalarExpr,
    /// One coefficient per tile dimension (empty for scalars).
    pub coeffs: Vec<StrideExpr>,
}

impl Affine {
    /// A tile-invariant value of `rank`.
    pub fn invariant(constant: ScalarExpr, rank: usize) -> Affine {
        Affine { constant, coeffs: vec![ScalarExpr::zero(); rank] }
    }

    /// Whether every coefficient is zero (the value is the same in every lane).
    pub fn is_invariant(&self) -> bool {
        self.coeffs.iter().all(ScalarExpr::is_zero)
    }

    fn add(&self, other: &Affine) -> Option<Affine> {
        if self.coeffs.len() != other.coeffs.len() {
            return None;
        }
        Some(Affine {
            constant: self.constant.add(&other.constant),
            coeffs: self.coeffs.iter().zip(&other.coeffs).map(|(a, b)| a.add(b)).collect(),
        })
    }

    fn mul_scalar(&self, s: &ScalarExpr) -> Affine {
        Affine {
            constant: self.constant.mul(s),
            coeffs: self.coeffs.iter().map(|c| c.mul(s)).collect(),
        }
    }

    fn scale(&self, c: i64) -> Affine {
        self.mul_scalar(&ScalarExpr::constant(c))
    }
}

/// One edge predicate: lane `i` along `dim` is live iff `start + step * i < bound`
/// (signed). Lanes are live where every edge of the mask holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EdgeBound {
    pub dim: usize,
    pub start: ScalarExpr,
    pub step: StrideExpr,
    pub bound: ScalarExpr,
}

/// What a load/store/atomic mask is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MaskInfo {
    /// No mask operand.
    None,
    /// A conjunction of per-dimension edge predicates (empty: all lanes live).
    Edges(Vec<EdgeBound>),
    /// Anything else; evaluated lane by lane.
    General(String),
}

/// Which memory op an access belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessKind {
    Load,
    Store,
    Atomic,
}

/// A strided access: element `i` (a multi-index over `shape`) is at
/// `param[buffer_param] + base + Σ_d strides[d] * i[d]`, counted in elements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AffineAccess {
    /// Index of the kernel parameter (a pointer) the addresses are based on.
    pub buffer_param: usize,
    /// Offset of element 0, in elements.
    pub base: ScalarExpr,
    /// One stride per tile dimension, in elements.
    pub strides: Vec<StrideExpr>,
    /// The tile shape (empty for a scalar access).
    pub shape: Vec<u32>,
}

/// How an access's addresses are generated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    /// Strided DMA.
    Affine(AffineAccess),
    /// Gather/scatter DMA through a per-lane address tile.
    Gather {
        /// The parameter the pointers are based on, when known.
        buffer_param: Option<usize>,
        reason: String,
    },
}

/// The analysis result for one `load`, `store` or `atomic`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemAccess {
    pub inst: Inst,
    pub kind: AccessKind,
    pub access: Access,
    pub mask: MaskInfo,
}

impl MemAccess {
    /// The strided form, if the access is affine.
    pub fn affine(&self) -> Option<&AffineAccess> {
        match &self.access {
            Access::Affine(a) => Some(a),
            Access::Gather { .. } => None,
        }
    }
}

/// Analyzes every `load`, `store` and `atomic` of `func`, in block-walk order.
pub fn analyze_function(func: &Function) -> Vec<MemAccess> {
    let mut an = Analyzer::new(func);
    an.run();
    let mut out = Vec::new();
    for block in func.walk_blocks() {
        let Some(data) = func.blocks.get(block) else { continue };
        for &inst in &data.insts {
            let Some(idata) = func.insts.get(inst) else { continue };
            let (kind, ptr, mask) = match &idata.op {
                Op::Load { ptr, mask, .. } => (AccessKind::Load, *ptr, *mask),
                Op::Store { ptr, mask, .. } => (AccessKind::Store, *ptr, *mask),
                Op::Atomic { ptr, mask, .. } => (AccessKind::Atomic, *ptr, *mask),
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
                | Op::Call { .. }
                | Op::For { .. }
                | Op::While { .. }
                | Op::If { .. }
                | Op::Yield { .. }
                | Op::Condition { .. }
                | Op::Return { .. }
                | Op::Assert { .. } => continue,
            };
            let shape = func.values.get(ptr).map(|d| d.ty.shape.clone()).unwrap_or_default();
            let access = match an.get(ptr) {
                Abs::Ptr { buffer, offset } if offset.coeffs.len() == shape.len() => {
                    Access::Affine(AffineAccess {
                        buffer_param: buffer,
                        base: offset.constant,
                        strides: offset.coeffs,
                        shape,
                    })
                }
                Abs::Ptr { buffer, .. } => Access::Gather {
                    buffer_param: Some(buffer),
                    reason: "internal: offset rank differs from the pointer's".into(),
                },
                Abs::PtrBad { buffer, reason } => Access::Gather { buffer_param: buffer, reason },
                Abs::Unknown(reason) => Access::Gather { buffer_param: None, reason },
                Abs::Int(_) | Abs::Mask(_) => Access::Gather {
                    buffer_param: None,
                    reason: "pointer operand is not a pointer value".into(),
                },
            };
            let mask = match mask {
                None => MaskInfo::None,
                Some(m) => match an.get(m) {
                    Abs::Mask(MaskAbs::Edges(e)) => MaskInfo::Edges(e),
                    Abs::Mask(MaskAbs::General(r))
                    | Abs::Unknown(r)
                    | Abs::PtrBad { reason: r, .. } => MaskInfo::General(r),
                    Abs::Int(_) | Abs::Ptr { .. } => {
                        MaskInfo::General("mask is not a predicate".into())
                    }
                },
            };
            out.push(MemAccess { inst, kind, access, mask });
        }
    }
    out
}

/// A mask's abstract value.
#[derive(Clone, Debug)]
enum MaskAbs {
    Edges(Vec<EdgeBound>),
    General(String),
}

/// A value's abstract value.
#[derive(Clone, Debug)]
enum Abs {
    Int(Affine),
    Ptr { buffer: usize, offset: Affine },
    PtrBad { buffer: Option<usize>, reason: String },
    Mask(MaskAbs),
    Unknown(String),
}

impl Abs {
    fn unknown_reason(&self) -> Option<&str> {
        match self {
            Abs::Unknown(r) | Abs::PtrBad { reason: r, .. } => Some(r),
            Abs::Int(_) | Abs::Ptr { .. } | Abs::Mask(_) => None,
        }
    }
}

/// The first unknown reason among `args`, preferring [`LOADED_DATA`].
fn propagated(args: &[&Abs]) -> Option<String> {
    let reasons: Vec<&str> = args.iter().filter_map(|a| a.unknown_reason()).collect();
    reasons.iter().find(|r| **r == LOADED_DATA).or(reasons.first()).map(|r| r.to_string())
}

struct Analyzer<'f> {
    func: &'f Function,
    abs: HashMap<Value, Abs>,
    /// Body blocks of `for` loops (argument 0 is the induction variable).
    for_bodies: HashMap<Block, ()>,
}

impl<'f> Analyzer<'f> {
    fn new(func: &'f Function) -> Analyzer<'f> {
        let mut for_bodies = HashMap::new();
        for (_, data) in func.insts.iter() {
            if let Op::For { body, .. } = &data.op {
                for_bodies.insert(*body, ());
            }
        }
        Analyzer { func, abs: HashMap::new(), for_bodies }
    }

    fn get(&self, v: Value) -> Abs {
        self.abs.get(&v).cloned().unwrap_or_else(|| Abs::Unknown("value not analyzed".into()))
    }

    fn shape(&self, v: Value) -> Vec<u32> {
        self.func.values.get(v).map(|d| d.ty.shape.clone()).unwrap_or_default()
    }

    fn is_scalar_int(&self, v: Value) -> bool {
        self.func.values.get(v).is_some_and(|d| {
            d.ty.shape.is_empty() && d.ty.elem.scalar().is_some_and(|s| s.is_int())
        })
    }

    fn is_int(&self, v: Value) -> bool {
        self.func.values.get(v).is_some_and(|d| d.ty.elem.scalar().is_some_and(|s| s.is_int()))
    }

    /// A scalar integer the rules cannot express becomes an opaque atom.
    fn settle(&self, v: Value, a: Abs) -> Abs {
        if self.is_scalar_int(v) {
            match a {
                Abs::Int(x) if x.coeffs.is_empty() => return Abs::Int(x),
                Abs::Int(_)
                | Abs::Ptr { .. }
                | Abs::PtrBad { .. }
                | Abs::Mask(_)
                | Abs::Unknown(_) => {
                    return Abs::Int(Affine::invariant(ScalarExpr::atom(Atom::Opaque(v)), 0));
                }
            }
        }
        a
    }

    fn run(&mut self) {
        for block in self.func.walk_blocks() {
            let Some(data) = self.func.blocks.get(block) else { continue };
            for (i, &arg) in data.args.iter().enumerate() {
                let a = self.block_arg(block, i, arg);
                let a = self.settle(arg, a);
                self.abs.insert(arg, a);
            }
            for &inst in &data.insts {
                self.eval_inst(inst);
            }
        }
    }

    fn block_arg(&self, block: Block, index: usize, arg: Value) -> Abs {
        let ty = match self.func.values.get(arg) {
            Some(d) => &d.ty,
            None => return Abs::Unknown("invalid value".into()),
        };
        if block == self.func.body {
            return match ty.elem {
                ElemType::Ptr(_) if ty.shape.is_empty() => {
                    Abs::Ptr { buffer: index, offset: Affine::invariant(ScalarExpr::zero(), 0) }
                }
                ElemType::Scalar(s) if s.is_int() && ty.shape.is_empty() => {
                    Abs::Int(Affine::invariant(ScalarExpr::atom(Atom::Param(index)), 0))
                }
                ElemType::Ptr(_) | ElemType::Scalar(_) => {
                    Abs::Unknown("non-integer parameter".into())
                }
            };
        }
        if index == 0 && self.for_bodies.contains_key(&block) {
            return Abs::Int(Affine::invariant(ScalarExpr::atom(Atom::LoopVar(arg)), 0));
        }
        Abs::Unknown("loop-carried value (induction not recognized)".into())
    }

    fn eval_inst(&mut self, inst: Inst) {
        let Some(data) = self.func.insts.get(inst) else { return };
        let results = data.results.clone();
        let single = |an: &Self, f: &dyn Fn(&Self, Value) -> Abs| -> Vec<(Value, Abs)> {
            results.first().map(|&r| vec![(r, f(an, r))]).unwrap_or_default()
        };
        let computed: Vec<(Value, Abs)> = match &data.op {
            Op::Load { .. } | Op::Atomic { .. } => {
                results.iter().map(|&r| (r, Abs::Unknown(LOADED_DATA.into()))).collect()
            }
            Op::Call { .. } => {
                results.iter().map(|&r| (r, Abs::Unknown("result of a call".into()))).collect()
            }
            Op::For { .. } | Op::While { .. } | Op::If { .. } => results
                .iter()
                .map(|&r| (r, Abs::Unknown("result of structured control flow".into())))
                .collect(),
            Op::Store { .. }
            | Op::Yield { .. }
            | Op::Condition { .. }
            | Op::Return { .. }
            | Op::Assert { .. } => Vec::new(),
            Op::Const { value } => single(self, &|an, r| an.eval_const(*value, r)),
            Op::ProgramId { axis } => single(self, &|_, _| {
                Abs::Int(Affine::invariant(ScalarExpr::atom(Atom::ProgramId(*axis)), 0))
            }),
            Op::NumPrograms { axis } => single(self, &|_, _| {
                Abs::Int(Affine::invariant(ScalarExpr::atom(Atom::NumPrograms(*axis)), 0))
            }),
            Op::Arange { start, .. } => single(self, &|_, _| {
                Abs::Int(Affine {
                    constant: ScalarExpr::constant(*start),
                    coeffs: vec![ScalarExpr::constant(1)],
                })
            }),
            Op::Splat { value } => single(self, &|an, r| an.eval_splat(*value, r)),
            Op::ExpandDims { arg, axis } => {
                single(self, &|an, _| an.eval_expand_dims(*arg, *axis as usize))
            }
            Op::Broadcast { arg } => single(self, &|an, r| an.eval_broadcast(*arg, r)),
            Op::Reshape { arg } => single(self, &|an, r| {
                if an.shape(*arg) == an.shape(r) {
                    an.get(*arg)
                } else {
                    let a = an.get(*arg);
                    let reason = propagated(&[&a])
                        .unwrap_or_else(|| "reshape of an index tile is not analyzed".into());
                    match a {
                        Abs::Mask(_) => Abs::Mask(MaskAbs::General(reason)),
                        Abs::Ptr { buffer, .. } => Abs::PtrBad { buffer: Some(buffer), reason },
                        Abs::PtrBad { buffer, .. } => Abs::PtrBad { buffer, reason },
                        Abs::Int(_) | Abs::Unknown(_) => Abs::Unknown(reason),
                    }
                }
            }),
            Op::Trans { arg, perm } => single(self, &|an, _| an.eval_trans(*arg, perm)),
            Op::Unary { op, arg } => single(self, &|an, _| an.eval_unary(*op, *arg)),
            Op::Binary { op, lhs, rhs } => single(self, &|an, _| an.eval_binary(*op, *lhs, *rhs)),
            Op::Cmp { pred, lhs, rhs } => single(self, &|an, _| an.eval_cmp(*pred, *lhs, *rhs)),
            Op::Select { cond, on_true, on_false } => single(self, &|an, r| {
                let (c, t, f) = (an.get(*cond), an.get(*on_true), an.get(*on_false));
                let reason = propagated(&[&t, &f, &c])
                    .unwrap_or_else(|| "select between indices or addresses".into());
                an.unknown_like(r, reason)
            }),
            Op::Cast { arg } => single(self, &|an, r| an.eval_cast(*arg, r)),
            Op::PtrAdd { ptr, offset } => single(self, &|an, _| an.eval_ptr_add(*ptr, *offset)),
            Op::Reduce { arg, .. } | Op::Scan { arg, .. } => single(self, &|an, r| {
                let a = an.get(*arg);
                let reason =
                    propagated(&[&a]).unwrap_or_else(|| "result of a reduction or scan".into());
                an.unknown_like(r, reason)
            }),
            Op::Dot { a, b, acc } | Op::Fma { a, b, c: acc } => single(self, &|an, r| {
                let (x, y, z) = (an.get(*a), an.get(*b), an.get(*acc));
                let reason =
                    propagated(&[&x, &y, &z]).unwrap_or_else(|| "result of dot or fma".into());
                an.unknown_like(r, reason)
            }),
        };
        for (r, a) in computed {
            let a = self.settle(r, a);
            self.abs.insert(r, a);
        }
    }

    /// An unknown of the right family for `r` (a general mask for `bool`).
    fn unknown_like(&self, r: Value, reason: String) -> Abs {
        let is_bool = self
            .func
            .values
            .get(r)
            .is_some_and(|d| d.ty.elem.scalar().is_some_and(|s| s.is_bool()));
        if is_bool {
            Abs::Mask(MaskAbs::General(reason))
        } else {
            Abs::Unknown(reason)
        }
    }

    fn eval_const(&self, value: Constant, r: Value) -> Abs {
        match value {
            Constant::Int(i) if self.is_int(r) => {
                Abs::Int(Affine::invariant(ScalarExpr::constant(i), 0))
            }
            Constant::Int(_) => Abs::Unknown("non-integer constant".into()),
            Constant::Bool(true) => Abs::Mask(MaskAbs::Edges(Vec::new())),
            Constant::Bool(false) => Abs::Mask(MaskAbs::General("constant false predicate".into())),
            Constant::Float(_) => Abs::Unknown("floating-point value".into()),
        }
    }

    fn eval_splat(&self, value: Value, r: Value) -> Abs {
        let rank = self.shape(r).len();
        match self.get(value) {
            Abs::Int(a) if a.coeffs.is_empty() => Abs::Int(Affine::invariant(a.constant, rank)),
            Abs::Ptr { buffer, offset } if offset.coeffs.is_empty() => {
                Abs::Ptr { buffer, offset: Affine::invariant(offset.constant, rank) }
            }
            Abs::Mask(MaskAbs::Edges(e)) if e.is_empty() => Abs::Mask(MaskAbs::Edges(e)),
            Abs::Mask(MaskAbs::Edges(_)) => {
                Abs::Mask(MaskAbs::General("splat of a tile-invariant predicate".into()))
            }
            Abs::Int(_) | Abs::Ptr { .. } => Abs::Unknown("internal: splat of a tile".into()),
            a @ (Abs::Mask(MaskAbs::General(_)) | Abs::PtrBad { .. } | Abs::Unknown(_)) => a,
        }
    }

    fn eval_expand_dims(&self, arg: Value, axis: usize) -> Abs {
        let insert = |a: &Affine| -> Option<Affine> {
            let mut a = a.clone();
            if axis > a.coeffs.len() {
                return None;
            }
            a.coeffs.insert(axis, ScalarExpr::zero());
            Some(a)
        };
        let bad = || Abs::Unknown("internal: expand_dims axis out of range".into());
        match self.get(arg) {
            Abs::Int(a) => insert(&a).map(Abs::Int).unwrap_or_else(bad),
            Abs::Ptr { buffer, offset } => {
                insert(&offset).map(|offset| Abs::Ptr { buffer, offset }).unwrap_or_else(bad)
            }
            Abs::Mask(MaskAbs::Edges(e)) => Abs::Mask(MaskAbs::Edges(
                e.into_iter()
                    .map(|mut b| {
                        if b.dim >= axis {
                            b.dim += 1;
                        }
                        b
                    })
                    .collect(),
            )),
            a @ (Abs::Mask(MaskAbs::General(_)) | Abs::PtrBad { .. } | Abs::Unknown(_)) => a,
        }
    }

    fn eval_broadcast(&self, arg: Value, r: Value) -> Abs {
        let (from, to) = (self.shape(arg), self.shape(r));
        if from.len() != to.len() {
            return Abs::Unknown("internal: broadcast changes rank".into());
        }
        let widened: Vec<bool> = from.iter().zip(&to).map(|(&f, &t)| f == 1 && t != 1).collect();
        let widen = |a: Affine| -> Affine {
            let coeffs = a
                .coeffs
                .into_iter()
                .zip(&widened)
                .map(|(c, &w)| if w { ScalarExpr::zero() } else { c })
                .collect();
            Affine { constant: a.constant, coeffs }
        };
        match self.get(arg) {
            Abs::Int(a) if a.coeffs.len() == to.len() => Abs::Int(widen(a)),
            Abs::Ptr { buffer, offset } if offset.coeffs.len() == to.len() => {
                Abs::Ptr { buffer, offset: widen(offset) }
            }
            Abs::Int(_) | Abs::Ptr { .. } => Abs::Unknown("internal: rank mismatch".into()),
            Abs::Mask(MaskAbs::Edges(e)) => {
                if e.iter().any(|b| widened.get(b.dim).copied().unwrap_or(true)) {
                    Abs::Mask(MaskAbs::General(
                        "edge predicate on a broadcast unit dimension".into(),
                    ))
                } else {
                    Abs::Mask(MaskAbs::Edges(e))
                }
            }
            a @ (Abs::Mask(MaskAbs::General(_)) | Abs::PtrBad { .. } | Abs::Unknown(_)) => a,
        }
    }

    fn eval_trans(&self, arg: Value, perm: &[u32]) -> Abs {
        let permute = |a: Affine| -> Option<Affine> {
            let coeffs: Option<Vec<ScalarExpr>> =
                perm.iter().map(|&p| a.coeffs.get(p as usize).cloned()).collect();
            let coeffs = coeffs?;
            (coeffs.len() == a.coeffs.len()).then_some(Affine { constant: a.constant, coeffs })
        };
        let bad = || Abs::Unknown("internal: bad permutation".into());
        match self.get(arg) {
            Abs::Int(a) => permute(a).map(Abs::Int).unwrap_or_else(bad),
            Abs::Ptr { buffer, offset } => {
                permute(offset).map(|offset| Abs::Ptr { buffer, offset }).unwrap_or_else(bad)
            }
            Abs::Mask(MaskAbs::Edges(e)) => {
                let moved: Option<Vec<EdgeBound>> = e
                    .into_iter()
                    .map(|mut b| {
                        let new = perm.iter().position(|&p| p as usize == b.dim)?;
                        b.dim = new;
                        Some(b)
                    })
                    .collect();
                moved.map(|e| Abs::Mask(MaskAbs::Edges(e))).unwrap_or_else(bad)
            }
            a @ (Abs::Mask(MaskAbs::General(_)) | Abs::PtrBad { .. } | Abs::Unknown(_)) => a,
        }
    }

    fn eval_unary(&self, op: UnaryOp, arg: Value) -> Abs {
        let a = self.get(arg);
        if let Some(reason) = propagated(&[&a]) {
            return Abs::Unknown(reason);
        }
        match (op, a) {
            (UnaryOp::Neg, Abs::Int(a)) => Abs::Int(a.scale(-1)),
            (UnaryOp::Not, Abs::Mask(_)) => Abs::Mask(MaskAbs::General("negated predicate".into())),
            (op, _) => Abs::Unknown(format!("non-affine integer op {}", op.name())),
        }
    }

    fn eval_binary(&self, op: BinaryOp, lhs: Value, rhs: Value) -> Abs {
        let (l, r) = (self.get(lhs), self.get(rhs));
        if let (Abs::Mask(a), Abs::Mask(b)) = (&l, &r) {
            return Abs::Mask(match (op, a, b) {
                (BinaryOp::And, MaskAbs::Edges(x), MaskAbs::Edges(y)) => {
                    MaskAbs::Edges(x.iter().chain(y).cloned().collect())
                }
                (BinaryOp::And, MaskAbs::General(g), _)
                | (BinaryOp::And, _, MaskAbs::General(g)) => MaskAbs::General(g.clone()),
                (op, _, _) => MaskAbs::General(format!("predicate combined with {}", op.name())),
            });
        }
        if let Some(reason) = propagated(&[&l, &r]) {
            return self.unknown_like(lhs, reason);
        }
        let (Abs::Int(a), Abs::Int(b)) = (&l, &r) else {
            return self.unknown_like(lhs, format!("{} of non-integer values", op.name()));
        };
        let rank_err = || Abs::Unknown("internal: operand ranks differ".into());
        match op {
            BinaryOp::Add => a.add(b).map(Abs::Int).unwrap_or_else(rank_err),
            BinaryOp::Sub => a.add(&b.scale(-1)).map(Abs::Int).unwrap_or_else(rank_err),
            BinaryOp::Mul => {
                if b.is_invariant() {
                    Abs::Int(a.mul_scalar(&b.constant))
                } else if a.is_invariant() {
                    Abs::Int(b.mul_scalar(&a.constant))
                } else {
                    Abs::Unknown("non-linear: mul of two tile-varying values".into())
                }
            }
            BinaryOp::Shl => match b.constant.as_constant() {
                Some(c) if b.is_invariant() && (0..64).contains(&c) => {
                    Abs::Int(a.scale(1i64.wrapping_shl(c as u32)))
                }
                Some(_) | None => Abs::Unknown("shift by a non-constant amount".into()),
            },
            BinaryOp::Div
            | BinaryOp::Rem
            | BinaryOp::And
            | BinaryOp::Or
            | BinaryOp::Xor
            | BinaryOp::Shr
            | BinaryOp::Max
            | BinaryOp::Min => Abs::Unknown(format!("non-affine integer op {}", op.name())),
        }
    }

    fn eval_cmp(&self, pred: CmpPred, lhs: Value, rhs: Value) -> Abs {
        let (l, r) = (self.get(lhs), self.get(rhs));
        if let Some(reason) = propagated(&[&l, &r]) {
            return Abs::Mask(MaskAbs::General(reason));
        }
        let general = |s: &str| Abs::Mask(MaskAbs::General(s.into()));
        let (Abs::Int(a), Abs::Int(b)) = (l, r) else {
            return general("comparison of non-integer values");
        };
        let unsigned = self
            .func
            .values
            .get(lhs)
            .is_some_and(|d| d.ty.elem.scalar().is_some_and(|s| s.is_unsigned_int()));
        if unsigned {
            return general("unsigned comparison");
        }
        let one = ScalarExpr::constant(1);
        let (idx, bound) = match pred {
            CmpPred::Lt => (a, b.constant),
            CmpPred::Le => (a, b.constant.add(&one)),
            CmpPred::Gt => (b, a.constant),
            CmpPred::Ge => (b, a.constant.add(&one)),
            CmpPred::Eq | CmpPred::Ne => return general("equality predicate"),
        };
        // `bound` came from the side that must be tile-invariant; check it.
        let bound_side_invariant = match pred {
            CmpPred::Lt | CmpPred::Le => self.invariant_int(rhs),
            CmpPred::Gt | CmpPred::Ge => self.invariant_int(lhs),
            CmpPred::Eq | CmpPred::Ne => false,
        };
        if !bound_side_invariant {
            return general("predicate bound varies across the tile");
        }
        let varying: Vec<usize> =
            idx.coeffs.iter().enumerate().filter(|(_, c)| !c.is_zero()).map(|(d, _)| d).collect();
        match varying.as_slice() {
            [] => general("tile-invariant predicate"),
            [d] => Abs::Mask(MaskAbs::Edges(vec![EdgeBound {
                dim: *d,
                start: idx.constant.clone(),
                step: idx.coeffs[*d].clone(),
                bound,
            }])),
            _ => general("predicate index varies along several dimensions"),
        }
    }

    fn invariant_int(&self, v: Value) -> bool {
        matches!(self.get(v), Abs::Int(a) if a.is_invariant())
    }

    fn eval_cast(&self, arg: Value, r: Value) -> Abs {
        let a = self.get(arg);
        if let Some(reason) = propagated(&[&a]) {
            return self.unknown_like(r, reason);
        }
        let elem = |v: Value| self.func.values.get(v).and_then(|d| d.ty.elem.scalar());
        match (elem(arg), elem(r), a) {
            (Some(f), Some(t), a @ Abs::Int(_)) if f.is_int() && t.is_int() => a,
            (Some(f), Some(t), a @ Abs::Mask(_)) if f.is_bool() && t.is_bool() => a,
            (_, _, _) => self.unknown_like(r, "conversion to or from a non-integer type".into()),
        }
    }

    fn eval_ptr_add(&self, ptr: Value, offset: Value) -> Abs {
        let (p, o) = (self.get(ptr), self.get(offset));
        match (p, o) {
            (Abs::Ptr { buffer, offset: base }, Abs::Int(off)) => match base.add(&off) {
                Some(offset) => Abs::Ptr { buffer, offset },
                None => Abs::PtrBad {
                    buffer: Some(buffer),
                    reason: "internal: offset rank differs from the pointer's".into(),
                },
            },
            (Abs::Ptr { buffer, .. }, o) => Abs::PtrBad {
                buffer: Some(buffer),
                reason: propagated(&[&o]).unwrap_or_else(|| "offset is not an integer".into()),
            },
            (p @ Abs::PtrBad { .. }, _) => p,
            (Abs::Unknown(reason), _) => Abs::PtrBad { buffer: None, reason },
            (Abs::Int(_) | Abs::Mask(_), _) => {
                Abs::PtrBad { buffer: None, reason: "pointer of unknown origin".into() }
            }
        }
    }
}
