//! Tile IR → Cranelift IR for one program instance.
//!
//! The generated function has the C signature
//! `i32 instance(const u64 *args, const u32 *grid, const u32 *pid, u8 *scratch, InstanceRecord *err)`:
//! `args` holds two slots per kernel parameter (a buffer's address and its length in
//! elements, or a scalar's bits and 0), `grid` and `pid` three `u32` each, `scratch` the
//! calling thread's tile arena of [`Lowered::scratch_bytes`] bytes (16-byte aligned)
//! and `err` where a failure is described. It returns 0, or the failing
//! [`Status`] code (both types are `tessera_rt`'s, the ABI's one definition).
//!
//! Scalars are Cranelift SSA values (block parameters through loops and branches).
//! Every tile has a fixed place in the scratch arena, row-major; `expand_dims` and
//! `reshape` reuse their operand's place (tiles are immutable). A tile carried by a
//! loop or produced by an `if` has a place of its own that the yields copy into.
//! Pointers are a buffer parameter (known statically) plus `i64` element offsets.
//! Tile ops are loops over elements (nested over dimensions where indexing needs it),
//! and each element is computed by [`crate::scalar`], so results are the interpreter's.
//!
//! Memory accesses are checked (unless compiled unchecked): a live lane whose offset is
//! outside its buffer stores an [`InstanceRecord`] (code, instruction, buffer, offset) and
//! returns, before anything is written by that lane.

use std::collections::{HashMap, HashSet};

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    types, AbiParam, Block, BlockArg, InstBuilder, MemFlagsData, Signature, Value,
};
use cranelift_codegen::isa::CallConv;
use cranelift_codegen::isa::TargetFrontendConfig;
use cranelift_frontend::FunctionBuilder;
use tessera_ir::interp::{constant_scalar, Scalar, SUM_PARTIALS};
use tessera_ir::{
    Block as IrBlock, ElemType, Function, Inst, Op, ReduceOp, ScalarType, ScanOp, Type,
    Value as IrValue, ValueDef,
};

use tessera_passes::analysis::affine::{analyze_function, EdgeBound};
use tessera_passes::analysis::demand::{AddrPlan, Demand, MaskPlan};
use tessera_passes::analysis::symexpr::{Atom, ScalarExpr};

use tessera_rt::{InstanceRecord, Status};

use crate::runtime::Helpers;
use crate::scalar;
use crate::types::{byte_size, clif_type};

/// Why a kernel could not be lowered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LowerError {
    #[error("kernel `{kernel}` {line}:{col}: {what} is not supported by the CPU target")]
    Unsupported { kernel: String, line: u32, col: u32, what: String },
    #[error("internal error lowering `{kernel}`: {message}")]
    Internal { kernel: String, message: String },
}

/// The signature of an instance function.
pub fn instance_signature(call_conv: CallConv) -> Signature {
    let mut sig = Signature::new(call_conv);
    for _ in 0..5 {
        sig.params.push(AbiParam::new(types::I64));
    }
    sig.returns.push(AbiParam::new(types::I32));
    sig
}

/// What lowering produced besides the code.
#[derive(Clone, Debug)]
pub struct Lowered {
    pub scratch_bytes: u32,
}

#[derive(Clone, Copy, Debug)]
enum PtrOff {
    Scalar(Value),
    Tile(u32),
}

#[derive(Clone, Copy, Debug)]
enum Loc {
    /// A scalar, or a tile whose every element is this scalar (a splat).
    Scalar(Value),
    Tile(u32),
    Ptr {
        buffer: u32,
        off: PtrOff,
    },
    /// An elementwise op computed where its only user reads it, 16 bytes at a time
    /// (fused: never stored as a tile unless a user needs a place).
    Lazy(Inst),
    /// A 1-D load read where it is used, from this buffer address (its range already
    /// checked): see [`Lower::streams_to_store`].
    Mem(Value),
}

fn args(v: &[Value]) -> Vec<BlockArg> {
    v.iter().map(|&x| BlockArg::Value(x)).collect()
}

struct LoopCtx {
    header: Block,
    exit: Block,
    i: Value,
}

pub(crate) struct Lower<'a, 'b> {
    f: &'a Function,
    b: FunctionBuilder<'b>,
    h: Helpers,
    argv: Value,
    grid: Value,
    pid: Value,
    scratch: Value,
    err: Value,
    loc: HashMap<IrValue, Loc>,
    scratch_bytes: u32,
    flags: MemFlagsData,
    config: TargetFrontendConfig,
    /// Whether buffer accesses are bounds-checked (checked launches).
    checked: bool,
    /// Strided accesses and the values the code must materialize.
    demand: Demand,
    /// How many operands the generated code reads each value through (see
    /// [`data_users`]).
    uses: HashMap<IrValue, u32>,
    /// The body blocks of `for` loops.
    for_bodies: HashSet<IrBlock>,
    /// The (last) instruction reading each value, and its block (see [`data_users`]).
    user: HashMap<IrValue, (Inst, IrBlock)>,
    /// The block of each instruction.
    inst_block: HashMap<Inst, IrBlock>,
    /// Splatted scalars hoisted before the current vector loop.
    splats: HashMap<(Value, types::Type), u32>,
}

type Result<T> = std::result::Result<T, LowerError>;

/// Rows of the f32 `dot` micro-kernel's output block (see `dot_panels` for why 4).
const MR: u64 = 4;
/// Columns of the micro-kernel's output block (two f32x4 vectors).
const NR: u64 = 8;

/// One row of a strided access, as [`Lower::strided`] lowers it.
struct Row {
    inst: Inst,
    /// The stored value (None for a load).
    value: Option<IrValue>,
    t: ScalarType,
    buffer: u32,
    buf_base: Value,
    buf_len: Value,
    /// Buffer element offset of the row's first lane.
    row_base: Value,
    /// Tile index of the row's first lane.
    row_off: Value,
    /// Live lanes `0..e_last` (before any lane mask).
    e_last: Value,
    /// The loaded tile's place.
    out: Option<u32>,
    /// The place copied from or into, when the data is a tile.
    tile: Option<u32>,
    code: Status,
    /// The last dimension's stride in elements.
    stride: Value,
    lane_mask: Option<IrValue>,
    width: u64,
}

fn shape_of(ty: &Type) -> Vec<u64> {
    ty.shape.iter().map(|&d| u64::from(d)).collect()
}

fn numel(shape: &[u64]) -> u64 {
    shape.iter().product()
}

fn strides(shape: &[u64]) -> Vec<u64> {
    let mut s = vec![1u64; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        s[d] = s[d + 1] * shape[d + 1];
    }
    s
}

impl<'a, 'b> Lower<'a, 'b> {
    pub fn new(
        f: &'a Function,
        mut b: FunctionBuilder<'b>,
        h: Helpers,
        config: TargetFrontendConfig,
        checked: bool,
    ) -> Lower<'a, 'b> {
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        let p = b.block_params(entry).to_vec();
        let demand = Demand::new(f, &analyze_function(f));
        let users = data_users(f, &demand);
        Lower {
            f,
            b,
            h,
            argv: p[0],
            grid: p[1],
            pid: p[2],
            scratch: p[3],
            err: p[4],
            loc: HashMap::new(),
            scratch_bytes: 0,
            flags: MemFlagsData::trusted(),
            config,
            checked,
            demand,
            uses: users.iter().map(|(&v, u)| (v, u.len() as u32)).collect(),
            user: users.iter().filter_map(|(&v, u)| Some((v, *u.last()?))).collect(),
            splats: HashMap::new(),
            inst_block: f
                .blocks
                .iter()
                .flat_map(|(b, data)| data.insts.iter().map(move |&i| (i, b)))
                .collect(),
            for_bodies: f
                .insts
                .iter()
                .filter_map(|(_, d)| match d.op {
                    Op::For { body, .. } => Some(body),
                    _ => None,
                })
                .collect(),
        }
    }

    fn unsupported(&self, inst: Option<Inst>, what: impl Into<String>) -> LowerError {
        let (line, col) = inst.map_or((0, 0), |i| {
            let l = self.f.loc(i);
            (l.line, l.col)
        });
        LowerError::Unsupported { kernel: self.f.name.clone(), line, col, what: what.into() }
    }

    fn internal(&self, message: impl Into<String>) -> LowerError {
        LowerError::Internal { kernel: self.f.name.clone(), message: message.into() }
    }

    /// Lowers the kernel body and finishes the function.
    pub fn run(mut self) -> Result<Lowered> {
        let f = self.f;
        for (i, &p) in f.params().iter().enumerate() {
            let ty = &f.values[p].ty;
            let slot = self.b.ins().iadd_imm_s(self.argv, (16 * i) as i64);
            let loc = match ty.elem {
                ElemType::Ptr(_) => {
                    let zero = self.b.ins().iconst(types::I64, 0);
                    Loc::Ptr { buffer: i as u32, off: PtrOff::Scalar(zero) }
                }
                ElemType::Scalar(s) => {
                    let v = self.b.ins().load(clif_type(s), self.flags, slot, 0);
                    Loc::Scalar(v)
                }
            };
            self.loc.insert(p, loc);
        }
        self.block(f.body, &[])?;
        let zero = self.b.ins().iconst(types::I32, 0);
        self.b.ins().return_(&[zero]);
        self.b.seal_all_blocks();
        self.b.finalize(self.config);
        Ok(Lowered { scratch_bytes: self.scratch_bytes })
    }

    // ----- scratch and loops -----

    fn alloc(&mut self, ty: &Type) -> Result<u32> {
        let t = ty.elem.scalar().unwrap_or(ScalarType::I64);
        let bytes = numel(&shape_of(ty)).max(1) * u64::from(byte_size(t));
        let off = self.scratch_bytes;
        let end = u64::from(off) + bytes.div_ceil(16) * 16;
        self.scratch_bytes = u32::try_from(end)
            .map_err(|_| self.internal("the kernel's tiles need more than 4 GiB of scratch"))?;
        Ok(off)
    }

    fn alloc_shape(&mut self, shape: &[u64], t: ScalarType) -> Result<u32> {
        let ty =
            Type { shape: shape.iter().map(|&d| d as u32).collect(), elem: ElemType::Scalar(t) };
        self.alloc(&ty)
    }

    fn elem_addr(&mut self, off: u32, t: ScalarType, idx: Value) -> Value {
        let scaled = self.b.ins().imul_imm_s(idx, i64::from(byte_size(t)));
        let base = self.b.ins().iadd_imm_s(self.scratch, i64::from(off));
        self.b.ins().iadd(base, scaled)
    }

    fn load_elem(&mut self, off: u32, t: ScalarType, idx: Value) -> Value {
        let addr = self.elem_addr(off, t, idx);
        self.b.ins().load(clif_type(t), self.flags, addr, 0)
    }

    fn store_elem(&mut self, off: u32, t: ScalarType, idx: Value, v: Value) {
        let addr = self.elem_addr(off, t, idx);
        self.b.ins().store(self.flags, v, addr, 0);
    }

    fn loop_begin(&mut self, n: u64) -> LoopCtx {
        let header = self.b.create_block();
        let body = self.b.create_block();
        let exit = self.b.create_block();
        let i = self.b.append_block_param(header, types::I64);
        let zero = self.b.ins().iconst(types::I64, 0);
        self.b.ins().jump(header, &args(&[zero]));
        self.b.switch_to_block(header);
        let c = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, i, n as i64);
        self.b.ins().brif(c, body, &[], exit, &[]);
        self.b.switch_to_block(body);
        LoopCtx { header, exit, i }
    }

    fn loop_end(&mut self, l: LoopCtx) {
        let next = self.b.ins().iadd_imm_s(l.i, 1);
        self.b.ins().jump(l.header, &args(&[next]));
        self.b.switch_to_block(l.exit);
    }

    /// Nested loops over `shape`, outermost first; returns the contexts and indices.
    fn nest_begin(&mut self, shape: &[u64]) -> (Vec<LoopCtx>, Vec<Value>) {
        let mut ctxs = Vec::new();
        let mut idx = Vec::new();
        for &d in shape {
            let l = self.loop_begin(d);
            idx.push(l.i);
            ctxs.push(l);
        }
        (ctxs, idx)
    }

    fn nest_end(&mut self, ctxs: Vec<LoopCtx>) {
        for l in ctxs.into_iter().rev() {
            self.loop_end(l);
        }
    }

    /// `Σ idx[d] * strides[d]` as an i64 value.
    fn linear(&mut self, idx: &[Value], strides: &[u64]) -> Value {
        let mut acc = self.b.ins().iconst(types::I64, 0);
        for (&i, &s) in idx.iter().zip(strides) {
            if s == 0 {
                continue;
            }
            let t = self.b.ins().imul_imm_s(i, s as i64);
            acc = self.b.ins().iadd(acc, t);
        }
        acc
    }

    // ----- values -----

    fn ty(&self, v: IrValue) -> &'a Type {
        &self.f.values[v].ty
    }

    fn scalar_type(&self, v: IrValue) -> Result<ScalarType> {
        self.ty(v).elem.scalar().ok_or_else(|| self.internal(format!("{v} is not scalar-typed")))
    }

    fn get(&self, v: IrValue) -> Result<Loc> {
        self.loc.get(&v).copied().ok_or_else(|| self.internal(format!("{v} has no location")))
    }

    fn scalar(&self, v: IrValue) -> Result<Value> {
        match self.get(v)? {
            Loc::Scalar(x) => Ok(x),
            _ => Err(self.internal(format!("{v} is not a scalar"))),
        }
    }

    /// The place of tile `v`. A splat or a fused value gets one here, filled or
    /// computed at this point (not remembered: the point may be conditional).
    fn tile(&mut self, v: IrValue) -> Result<u32> {
        let ty = self.ty(v);
        match self.get(v)? {
            Loc::Tile(o) => Ok(o),
            Loc::Scalar(x) if !ty.shape.is_empty() => {
                let t = self.scalar_type(v)?;
                let o = self.alloc(ty)?;
                self.fill_tile(o, t, numel(&shape_of(ty)), x);
                Ok(o)
            }
            Loc::Lazy(_) => {
                let t = self.scalar_type(v)?;
                let vt = vector_of(t).ok_or_else(|| self.internal("fused value type"))?;
                let o = self.alloc(ty)?;
                self.hoist_splats(v, vt)?;
                let l = self.loop_begin(numel(&shape_of(ty)) * u64::from(byte_size(t)) / 16);
                let at = self.b.ins().ishl_imm_u(l.i, 4);
                let x = self.vec_at(v, vt, at)?;
                let p = self.b.ins().iadd_imm_s(self.scratch, i64::from(o));
                let p = self.b.ins().iadd(p, at);
                self.b.ins().store(self.flags, x, p, 0);
                self.loop_end(l);
                self.drop_splats();
                Ok(o)
            }
            _ => Err(self.internal(format!("{v} is not a tile"))),
        }
    }

    /// Element `idx` of value `v` (a scalar is the same in every lane).
    fn elem(&mut self, v: IrValue, idx: Value) -> Result<Value> {
        match self.get(v)? {
            Loc::Scalar(x) => Ok(x),
            Loc::Tile(o) => {
                let t = self.scalar_type(v)?;
                Ok(self.load_elem(o, t, idx))
            }
            Loc::Lazy(inst) => {
                let f = self.f;
                let op = &f.insts[inst].op;
                let operands = op.operands();
                let mut xs = Vec::new();
                for &x in &operands {
                    xs.push(self.elem(x, idx)?);
                }
                let t = self.scalar_type(v)?;
                self.elementwise(op, t, &operands, &xs)
            }
            Loc::Mem(addr) => {
                let t = self.scalar_type(v)?;
                let off = self.b.ins().imul_imm_s(idx, i64::from(byte_size(t)));
                let p = self.b.ins().iadd(addr, off);
                Ok(self.b.ins().load(clif_type(t), MemFlagsData::new().with_notrap(), p, 0))
            }
            Loc::Ptr { .. } => Err(self.internal("a pointer used as data")),
        }
    }

    /// The 16 bytes of value `v` at byte offset `at` of its tile, as a `vt` vector:
    /// loaded from a place, splatted from a scalar, or computed for a fused value.
    fn vec_at(&mut self, v: IrValue, vt: types::Type, at: Value) -> Result<Value> {
        match self.get(v)? {
            Loc::Scalar(x) => match self.splats.get(&(x, vt)) {
                Some(&slot) => {
                    let p = self.b.ins().iadd_imm_s(self.scratch, i64::from(slot));
                    Ok(self.b.ins().load(vt, self.flags, p, 0))
                }
                None => Ok(self.b.ins().splat(vt, x)),
            },
            Loc::Tile(o) => {
                let p = self.b.ins().iadd_imm_s(self.scratch, i64::from(o));
                let p = self.b.ins().iadd(p, at);
                Ok(self.b.ins().load(vt, MemFlagsData::new().with_notrap(), p, 0))
            }
            Loc::Lazy(inst) => self.vec_op_at(inst, vt, at),
            Loc::Mem(addr) => {
                let p = self.b.ins().iadd(addr, at);
                Ok(self.b.ins().load(vt, MemFlagsData::new().with_notrap(), p, 0))
            }
            Loc::Ptr { .. } => Err(self.internal("a pointer used as data")),
        }
    }

    /// The 16 bytes at byte offset `at` of the elementwise result of `inst`, computed
    /// as a `vt` vector from its operands' vectors. A comparison gives its lane masks
    /// (as `vt`) and a select with such a mask is a `bitselect`.
    fn vec_op_at(&mut self, inst: Inst, vt: types::Type, at: Value) -> Result<Value> {
        let f = self.f;
        let op = &f.insts[inst].op;
        match *op {
            Op::Cmp { pred, lhs, rhs } => {
                let ot = self.scalar_type(lhs)?;
                let ovt = vector_of(ot).ok_or_else(|| self.internal("compared type"))?;
                let (x, y) = (self.vec_at(lhs, ovt, at)?, self.vec_at(rhs, ovt, at)?);
                let m = scalar::cmp(&mut self.b, pred, ot, x, y);
                let mt = self.b.func.dfg.value_type(m);
                Ok(if mt == vt { m } else { self.b.ins().bitcast(vt, MemFlagsData::new(), m) })
            }
            Op::Select { cond, on_true, on_false } => {
                let m = self.vec_at(cond, vt, at)?;
                let x = self.vec_at(on_true, vt, at)?;
                let y = self.vec_at(on_false, vt, at)?;
                Ok(self.b.ins().bitselect(m, x, y))
            }
            _ => {
                let mut xs = Vec::new();
                for x in op.operands() {
                    xs.push(self.vec_at(x, vt, at)?);
                }
                self.vector_op(op, &xs)
            }
        }
    }

    /// Splats, here (before a vector loop), every scalar that [`Lower::vec_at`] of `v`
    /// as `vt` will read, into a 16-byte scratch slot the loop loads (until
    /// [`Lower::drop_splats`]). Through memory on purpose: Cranelift's elaboration
    /// would otherwise place the splat, and the scalar arithmetic behind it (divides,
    /// square roots), at its use inside the loop.
    fn hoist_splats(&mut self, v: IrValue, vt: types::Type) -> Result<()> {
        match self.get(v)? {
            Loc::Scalar(x) => {
                if !self.splats.contains_key(&(x, vt)) {
                    let s = self.b.ins().splat(vt, x);
                    let slot = self.alloc_shape(&[16], ScalarType::U8)?;
                    let p = self.b.ins().iadd_imm_s(self.scratch, i64::from(slot));
                    self.b.ins().store(self.flags, s, p, 0);
                    self.splats.insert((x, vt), slot);
                }
                Ok(())
            }
            Loc::Lazy(inst) => self.hoist_op_splats(inst, vt),
            Loc::Tile(_) | Loc::Mem(_) | Loc::Ptr { .. } => Ok(()),
        }
    }

    /// [`Lower::hoist_splats`] for the operands of the elementwise `inst`.
    fn hoist_op_splats(&mut self, inst: Inst, vt: types::Type) -> Result<()> {
        let f = self.f;
        let op = &f.insts[inst].op;
        if let Op::Cmp { lhs, rhs, .. } = *op {
            let ot = self.scalar_type(lhs)?;
            let ovt = vector_of(ot).ok_or_else(|| self.internal("compared type"))?;
            self.hoist_splats(lhs, ovt)?;
            return self.hoist_splats(rhs, ovt);
        }
        for x in op.operands() {
            self.hoist_splats(x, vt)?;
        }
        Ok(())
    }

    /// Forgets the hoisted splats (they do not dominate code after their loop).
    fn drop_splats(&mut self) {
        self.splats.clear();
    }

    /// Whether load `inst` (result `v`, 1-D, contiguous) can be read where it is used:
    /// its value flows through single-use fused elementwise ops of the same block
    /// into a store of the same shape whose live lanes are exactly the load's (the
    /// same extents), so no lane outside the load's range is ever read and its
    /// `other` lanes are never needed.
    fn streams_to_store(&self, inst: Inst, v: IrValue) -> bool {
        let Some(plan) = self.demand.plans.get(&inst) else { return false };
        let AddrPlan::Strided(aff) = &plan.addr else { return false };
        let unit = aff.strides.last().and_then(|s| s.as_constant()) == Some(1);
        if !unit || aff.shape.len() != 1 || matches!(plan.mask, MaskPlan::Tile(_)) {
            return false;
        }
        let n = numel(&shape_of(self.ty(v)));
        let mut cur = v;
        loop {
            let Some(&(user, block)) = self.user.get(&cur) else { return false };
            if self.uses.get(&cur) != Some(&1) || self.inst_block.get(&inst) != Some(&block) {
                return false;
            }
            let op = &self.f.insts[user].op;
            match op {
                Op::Store { value, .. } if *value == cur => {
                    let Some(sp) = self.demand.plans.get(&user) else { return false };
                    let AddrPlan::Strided(sa) = &sp.addr else { return false };
                    let same_mask = match (&plan.mask, &sp.mask) {
                        (MaskPlan::None, MaskPlan::None) => true,
                        (MaskPlan::Extents(a), MaskPlan::Extents(b)) => a == b,
                        _ => false,
                    };
                    // Nothing may write memory between the load and the store (the
                    // store itself writes each chunk after reading it, and a
                    // different parameter's buffer: see `RawArg`'s aliasing rule).
                    let insts = &self.f.blocks[block].insts;
                    let at = |i: Inst| insts.iter().position(|&x| x == i);
                    let (Some(from), Some(to)) = (at(inst), at(user)) else { return false };
                    let quiet = insts[from + 1..to].iter().all(|&i| {
                        !matches!(
                            self.f.insts[i].op,
                            Op::Store { .. }
                                | Op::Atomic { .. }
                                | Op::For { .. }
                                | Op::While { .. }
                                | Op::If { .. }
                                | Op::Call { .. }
                        )
                    });
                    return same_mask
                        && sa.shape == aff.shape
                        && sa.buffer_param != aff.buffer_param
                        && quiet;
                }
                Op::Unary { .. } | Op::Binary { .. } | Op::Fma { .. } => {
                    let Some(&r) = self.f.insts[user].results.first() else { return false };
                    let Some(t) = self.ty(r).elem.scalar() else { return false };
                    if self.vector_type(op, t, &op.operands(), n).is_none() {
                        return false;
                    }
                    cur = r;
                }
                _ => return false,
            }
        }
    }

    /// The vector type for a `select` whose condition is a fused comparison (its
    /// lanes are then masks as wide as the selected values).
    fn select_vector_type(&self, op: &Op, t: ScalarType, n: u64) -> Option<types::Type> {
        let Op::Select { cond, .. } = op else { return None };
        let Some(Loc::Lazy(ci)) = self.loc.get(cond) else { return None };
        if !matches!(self.f.insts[*ci].op, Op::Cmp { .. }) {
            return None;
        }
        let vt = vector_of(t)?;
        (n * u64::from(byte_size(t))).is_multiple_of(16).then_some(vt)
    }

    /// Whether comparison `inst` (result `v`) fuses into its only user, a `select` in
    /// the same block of values as wide as the compared ones (4 or 8 bytes, not
    /// halves), which then runs as a vector `bitselect`.
    fn fusible_cmp(&self, inst: Inst, v: IrValue) -> bool {
        let Op::Cmp { lhs, .. } = self.f.insts[inst].op else { return false };
        let Some(&(user, _)) = self.user.get(&v) else { return false };
        let Op::Select { cond, .. } = self.f.insts[user].op else { return false };
        let Some(&sel) = self.f.insts[user].results.first() else { return false };
        let (Some(ot), Some(st)) = (self.ty(lhs).elem.scalar(), self.ty(sel).elem.scalar()) else {
            return false;
        };
        let wide = |t: ScalarType| byte_size(t) >= 4 && !matches!(t, ScalarType::Bool);
        let n = numel(&shape_of(self.ty(sel)));
        cond == v
            && self.fusible(inst, v)
            && wide(ot)
            && byte_size(ot) == byte_size(st)
            && (n * u64::from(byte_size(st))).is_multiple_of(16)
    }

    /// Whether the elementwise result `v` of `inst` can be fused into its user: it is
    /// computed 16 bytes at a time, and its only use is an elementwise op, a store or
    /// a reduction in the same block, each of which reads it where it needs it.
    fn fusible(&self, inst: Inst, v: IrValue) -> bool {
        let Some(&(user, block)) = self.user.get(&v) else { return false };
        if self.uses.get(&v) != Some(&1) || self.inst_block.get(&inst) != Some(&block) {
            return false;
        }
        matches!(
            self.f.insts[user].op,
            Op::Unary { .. }
                | Op::Binary { .. }
                | Op::Cmp { .. }
                | Op::Select { .. }
                | Op::Cast { .. }
                | Op::Fma { .. }
                | Op::Store { .. }
                | Op::Reduce { .. }
        )
    }

    /// Copies tile `from` into the place `to` (same type).
    fn copy_tile(&mut self, ty: &Type, from: u32, to: u32) -> Result<()> {
        if from == to {
            return Ok(());
        }
        let t = ty.elem.scalar().unwrap_or(ScalarType::I64);
        // Places are 16-byte aligned and padded to 16 bytes: copy whole vectors.
        let bytes = numel(&shape_of(ty)).max(1) * u64::from(byte_size(t));
        let l = self.loop_begin(bytes.div_ceil(16));
        let at = self.b.ins().ishl_imm_u(l.i, 4);
        let src = self.b.ins().iadd_imm_s(self.scratch, i64::from(from));
        let src = self.b.ins().iadd(src, at);
        let x = self.b.ins().load(types::I8X16, self.flags, src, 0);
        let dst = self.b.ins().iadd_imm_s(self.scratch, i64::from(to));
        let dst = self.b.ins().iadd(dst, at);
        self.b.ins().store(self.flags, x, dst, 0);
        self.loop_end(l);
        Ok(())
    }

    /// Fills the `n` elements of place `o` with the scalar `x`, 16 bytes at a time
    /// (places are padded to 16 bytes).
    fn fill_tile(&mut self, o: u32, t: ScalarType, n: u64, x: Value) {
        let size = u64::from(byte_size(t));
        let vt = clif_type(t).by((16 / size) as u32);
        let (Some(vt), true) = (vt, self.b.func.dfg.value_type(x) == clif_type(t)) else {
            let l = self.loop_begin(n);
            self.store_elem(o, t, l.i, x);
            self.loop_end(l);
            return;
        };
        let v = self.b.ins().splat(vt, x);
        let l = self.loop_begin((n.max(1) * size).div_ceil(16));
        let at = self.b.ins().ishl_imm_u(l.i, 4);
        let dst = self.b.ins().iadd_imm_s(self.scratch, i64::from(o));
        let dst = self.b.ins().iadd(dst, at);
        self.b.ins().store(self.flags, v, dst, 0);
        self.loop_end(l);
    }

    // ----- blocks -----

    /// Lowers the instructions of `block` (arguments already bound); returns the
    /// values of its terminator.
    fn block(&mut self, block: IrBlock, _: &[Value]) -> Result<Vec<IrValue>> {
        let f = self.f;
        let insts = f.blocks[block].insts.clone();
        for inst in insts {
            match &f.insts[inst].op {
                Op::Yield { values } | Op::Return { values } => return Ok(values.clone()),
                Op::Condition { cond } => return Ok(vec![*cond]),
                _ => self.inst(inst)?,
            }
        }
        Ok(Vec::new())
    }

    fn inst(&mut self, inst: Inst) -> Result<()> {
        let f = self.f;
        let data = &f.insts[inst];
        match &data.op {
            Op::For { lower, upper, step, inits, body } => {
                self.lower_for(inst, [*lower, *upper, *step], inits, *body)
            }
            Op::While { inits, cond, body } => self.lower_while(inst, inits, *cond, *body),
            Op::If { cond, then_block, else_block } => {
                self.lower_if(inst, *cond, *then_block, *else_block)
            }
            Op::Load { ptr, mask, .. } => {
                // A zero `other` is the default fill and is not materialized.
                let other = self.demand.plans.get(&inst).and_then(|p| p.other);
                if !self.strided(inst, None, other)? {
                    self.lower_load(inst, *ptr, *mask, other)?;
                }
                Ok(())
            }
            Op::Store { ptr, value, mask } => {
                if !self.strided(inst, Some(*value), None)? {
                    self.lower_store(inst, *ptr, *value, *mask)?;
                }
                Ok(())
            }
            Op::Atomic { op, ptr, value, mask } => {
                self.lower_atomic(inst, *op, *ptr, *value, *mask)
            }
            Op::Assert { cond, .. } => self.lower_assert(inst, *cond),
            Op::Call { callee, .. } => {
                Err(self.unsupported(Some(inst), format!("a call of `{callee}` (inline it first)")))
            }
            Op::Yield { .. } | Op::Condition { .. } | Op::Return { .. } => Ok(()),
            _ => {
                let &[result] = data.results.as_slice() else {
                    return Err(self.internal("a pure op without one result"));
                };
                if !self.demand.demanded.contains(&result) {
                    // Only strided accesses (computed from scalars) read it.
                    return Ok(());
                }
                let tile = !self.ty(result).shape.is_empty();
                if tile && !self.uses.contains_key(&result) {
                    // A tile no generated code reads (a mask strided accesses turned
                    // into extents); scalars stay, symbolic addresses may name them.
                    return Ok(());
                }
                if self.ty(result).elem.pointee().is_some() {
                    self.lower_ptr(inst, result)
                } else {
                    self.lower_pure(inst, result)
                }
            }
        }
    }

    /// Writes the failure record and returns `code` from the function if `bad`.
    fn fail_if(&mut self, bad: Value, code: Status, inst: Inst, buffer: u32, index: Value) {
        use std::mem::offset_of;
        let fail = self.b.create_block();
        let ok = self.b.create_block();
        self.b.ins().brif(bad, fail, &[], ok, &[]);
        self.b.switch_to_block(fail);
        let c = self.b.ins().iconst(types::I32, code as i64);
        self.b.ins().store(self.flags, c, self.err, offset_of!(InstanceRecord, code) as i32);
        let i = self.b.ins().iconst(types::I32, i64::from(inst.index_u32()));
        self.b.ins().store(self.flags, i, self.err, offset_of!(InstanceRecord, inst) as i32);
        let bu = self.b.ins().iconst(types::I32, i64::from(buffer));
        self.b.ins().store(self.flags, bu, self.err, offset_of!(InstanceRecord, buffer) as i32);
        self.b.ins().store(self.flags, index, self.err, offset_of!(InstanceRecord, index) as i32);
        self.b.ins().return_(&[c]);
        self.b.switch_to_block(ok);
    }

    // ----- pure ops -----

    fn lower_pure(&mut self, inst: Inst, result: IrValue) -> Result<()> {
        let f = self.f;
        let op = &f.insts[inst].op;
        let ty = self.ty(result);
        let t = self.scalar_type(result)?;
        let shape = shape_of(ty);
        let rank0 = shape.is_empty();
        let loc = match op {
            Op::Const { value } => {
                let s = constant_scalar(*value, t).map_err(|m| self.internal(m))?;
                Loc::Scalar(scalar::constant(&mut self.b, s))
            }
            Op::ProgramId { axis } => {
                let v = self.b.ins().load(types::I32, self.flags, self.pid, 4 * i32::from(*axis));
                Loc::Scalar(v)
            }
            Op::NumPrograms { axis } => {
                let v = self.b.ins().load(types::I32, self.flags, self.grid, 4 * i32::from(*axis));
                Loc::Scalar(v)
            }
            Op::Arange { start, .. } if t == ScalarType::I32 && numel(&shape).is_multiple_of(4) => {
                // Four lanes at a time: start + 4i + [0, 1, 2, 3].
                let o = self.alloc(ty)?;
                let lanes = [0u32, 1, 2, 3].map(|k| (*start as i32).wrapping_add(k as i32));
                let mut first = self.b.ins().iconst(types::I32, i64::from(lanes[0]));
                first = self.b.ins().splat(types::I32X4, first);
                for (k, &x) in lanes.iter().enumerate().skip(1) {
                    let x = self.b.ins().iconst(types::I32, i64::from(x));
                    first = self.b.ins().insertlane(first, x, k as u8);
                }
                let four = self.b.ins().iconst(types::I32, 4);
                let four = self.b.ins().splat(types::I32X4, four);
                let l = self.loop_begin(numel(&shape) / 4);
                let i = self.b.ins().ireduce(types::I32, l.i);
                let i = self.b.ins().splat(types::I32X4, i);
                let v = self.b.ins().imul(i, four);
                let v = self.b.ins().iadd(v, first);
                let p = self.b.ins().ishl_imm_u(l.i, 4);
                let p = self.b.ins().iadd(self.scratch, p);
                self.b.ins().store(self.flags, v, p, o as i32);
                self.loop_end(l);
                Loc::Tile(o)
            }
            Op::Arange { start, .. } => {
                let o = self.alloc(ty)?;
                let l = self.loop_begin(numel(&shape));
                let v = self.b.ins().iadd_imm_s(l.i, *start);
                let v = scalar::cast(&mut self.b, &self.h, ScalarType::I64, t, v);
                self.store_elem(o, t, l.i, v);
                self.loop_end(l);
                Loc::Tile(o)
            }
            Op::Splat { value } => Loc::Scalar(self.scalar(*value)?),
            Op::ExpandDims { arg, .. } | Op::Reshape { arg } => match self.get(*arg)? {
                Loc::Tile(o) => Loc::Tile(o),
                Loc::Scalar(x) => Loc::Scalar(x),
                Loc::Lazy(_) | Loc::Mem(_) => Loc::Tile(self.tile(*arg)?),
                Loc::Ptr { .. } => return Err(self.internal("pointer reshape")),
            },
            Op::Broadcast { arg } => {
                let o = self.alloc(ty)?;
                self.broadcast_into(*arg, &shape, t, o)?;
                Loc::Tile(o)
            }
            Op::Trans { arg, perm } => {
                let o = self.alloc(ty)?;
                let src = self.tile(*arg)?;
                let in_strides = strides(&shape_of(self.ty(*arg)));
                let perm_strides: Vec<u64> = perm.iter().map(|&p| in_strides[p as usize]).collect();
                let (ctxs, idx) = self.nest_begin(&shape);
                let si = self.linear(&idx, &perm_strides);
                let di = self.linear(&idx, &strides(&shape));
                let x = self.load_elem(src, t, si);
                self.store_elem(o, t, di, x);
                self.nest_end(ctxs);
                Loc::Tile(o)
            }
            Op::Unary { .. }
            | Op::Binary { .. }
            | Op::Cmp { .. }
            | Op::Select { .. }
            | Op::Cast { .. }
            | Op::Fma { .. } => {
                let operands = op.operands();
                if rank0 {
                    let xs: Vec<Value> =
                        operands.iter().map(|&v| self.scalar(v)).collect::<Result<_>>()?;
                    Loc::Scalar(self.elementwise(op, t, &operands, &xs)?)
                } else if matches!(op, Op::Cmp { .. }) && self.fusible_cmp(inst, result) {
                    Loc::Lazy(inst)
                } else if let Some(vt) = self
                    .vector_type(op, t, &operands, numel(&shape))
                    .or_else(|| self.select_vector_type(op, t, numel(&shape)))
                {
                    if self.fusible(inst, result) {
                        self.loc.insert(result, Loc::Lazy(inst));
                        return Ok(());
                    }
                    // 16 bytes at a time: exact, these ops are IEEE / wrapping per lane.
                    // A loop-carried operand used only here (an accumulator) is
                    // overwritten in place: each chunk is read before it is written.
                    let carried = operands.iter().find_map(|&v| {
                        if self.ty(v) == ty {
                            self.in_place(v)
                        } else {
                            None
                        }
                    });
                    let o = match carried {
                        Some(o) => o,
                        None => self.alloc(ty)?,
                    };
                    let chunks = numel(&shape) * u64::from(byte_size(t)) / 16;
                    self.hoist_op_splats(inst, vt)?;
                    let l = self.loop_begin(chunks);
                    let at = self.b.ins().ishl_imm_u(l.i, 4);
                    let r = self.vec_op_at(inst, vt, at)?;
                    let p = self.b.ins().iadd_imm_s(self.scratch, i64::from(o));
                    let p = self.b.ins().iadd(p, at);
                    self.b.ins().store(self.flags, r, p, 0);
                    self.loop_end(l);
                    self.drop_splats();
                    Loc::Tile(o)
                } else {
                    let o = self.alloc(ty)?;
                    let l = self.loop_begin(numel(&shape));
                    let mut xs = Vec::new();
                    for &v in &operands {
                        xs.push(self.elem(v, l.i)?);
                    }
                    let r = self.elementwise(op, t, &operands, &xs)?;
                    self.store_elem(o, t, l.i, r);
                    self.loop_end(l);
                    Loc::Tile(o)
                }
            }
            Op::Reduce { op: rop, arg, axis } => self.lower_reduce(*rop, *arg, *axis, ty)?,
            Op::Scan { op: sop, arg, axis } => self.lower_scan(*sop, *arg, *axis, ty)?,
            Op::Dot { a, b, acc } => self.lower_dot(inst, *a, *b, *acc, ty)?,
            other => return Err(self.unsupported(Some(inst), format!("{other:?}"))),
        };
        self.loc.insert(result, loc);
        Ok(())
    }

    /// The 128-bit vector type to compute `op` in, when every lane computes exactly
    /// what the scalar code does (same element type in and out, an op that is per-lane
    /// IEEE or wrapping on Cranelift vectors, or an f32 math function, whose scalar code
    /// is lane 0 of the same `crate::math` code) and `n` elements fill whole vectors.
    fn vector_type(
        &self,
        op: &Op,
        t: ScalarType,
        operands: &[IrValue],
        n: u64,
    ) -> Option<types::Type> {
        use tessera_ir::{BinaryOp as B, UnaryOp as U};
        let same = operands.iter().all(|&v| self.ty(v).elem.scalar() == Some(t));
        let ok = same
            && match (t, op) {
                (ScalarType::F32 | ScalarType::F64, Op::Binary { op, .. }) => {
                    matches!(op, B::Add | B::Sub | B::Mul | B::Div)
                }
                (ScalarType::F32, Op::Unary { op, .. }) if crate::math::handles(*op) => true,
                (ScalarType::F32 | ScalarType::F64, Op::Unary { op, .. }) => {
                    matches!(op, U::Neg | U::Abs | U::Sqrt)
                }
                (
                    ScalarType::I32 | ScalarType::U32 | ScalarType::I16 | ScalarType::U16,
                    Op::Binary { op, .. },
                ) => matches!(op, B::Add | B::Sub | B::Mul | B::And | B::Or | B::Xor),
                (ScalarType::I64 | ScalarType::U64, Op::Binary { op, .. }) => {
                    matches!(op, B::Add | B::Sub | B::And | B::Or | B::Xor)
                }
                (ScalarType::I8 | ScalarType::U8, Op::Binary { op, .. }) => {
                    matches!(op, B::Add | B::Sub | B::And | B::Or | B::Xor)
                }
                _ => false,
            };
        let size = u64::from(byte_size(t));
        if !ok || !(n * size).is_multiple_of(16) {
            return None;
        }
        let lanes = (16 / size) as u32;
        clif_type(t).by(lanes)
    }

    fn vector_op(&mut self, op: &Op, xs: &[Value]) -> Result<Value> {
        use tessera_ir::{BinaryOp as B, UnaryOp as U};
        let b = &mut self.b;
        Ok(match op {
            Op::Binary { op, .. } => {
                let (x, y) = (xs[0], xs[1]);
                let float = b.func.dfg.value_type(x).lane_type().is_float();
                match (op, float) {
                    (B::Add, true) => b.ins().fadd(x, y),
                    (B::Sub, true) => b.ins().fsub(x, y),
                    (B::Mul, true) => b.ins().fmul(x, y),
                    (B::Div, true) => b.ins().fdiv(x, y),
                    (B::Add, false) => b.ins().iadd(x, y),
                    (B::Sub, false) => b.ins().isub(x, y),
                    (B::Mul, false) => b.ins().imul(x, y),
                    (B::And, false) => b.ins().band(x, y),
                    (B::Or, false) => b.ins().bor(x, y),
                    (B::Xor, false) => b.ins().bxor(x, y),
                    _ => return Err(self.internal("not a vector op")),
                }
            }
            Op::Unary { op, .. } => match op {
                U::Neg => b.ins().fneg(xs[0]),
                U::Abs => b.ins().fabs(xs[0]),
                U::Sqrt => b.ins().sqrt(xs[0]),
                _ => match crate::math::emit_f32x4(b, &self.h, *op, xs[0]) {
                    Some(r) => r,
                    None => return Err(self.internal("not a vector op")),
                },
            },
            _ => return Err(self.internal("not a vector op")),
        })
    }

    fn elementwise(
        &mut self,
        op: &Op,
        t: ScalarType,
        operands: &[IrValue],
        xs: &[Value],
    ) -> Result<Value> {
        let h = &self.h;
        let b = &mut self.b;
        Ok(match op {
            Op::Unary { op, .. } => scalar::unary(b, h, *op, t, xs[0]),
            Op::Binary { op, .. } => scalar::binary(b, h, *op, t, xs[0], xs[1]),
            Op::Cmp { pred, .. } => {
                let ot = self.f.values[operands[0]].ty.elem.scalar().unwrap_or(t);
                scalar::cmp(b, *pred, ot, xs[0], xs[1])
            }
            Op::Select { .. } => scalar::select(b, xs[0], xs[1], xs[2]),
            Op::Cast { .. } => {
                let from = self.f.values[operands[0]].ty.elem.scalar().unwrap_or(t);
                scalar::cast(b, h, from, t, xs[0])
            }
            Op::Fma { .. } => scalar::fma(b, h, t, xs[0], xs[1], xs[2]),
            _ => return Err(self.internal("not elementwise")),
        })
    }

    /// Writes `arg` broadcast to `shape` into place `o`.
    fn broadcast_into(&mut self, arg: IrValue, shape: &[u64], t: ScalarType, o: u32) -> Result<()> {
        let in_shape = shape_of(self.ty(arg));
        let loc = match self.get(arg)? {
            Loc::Lazy(_) | Loc::Mem(_) => Loc::Tile(self.tile(arg)?),
            loc => loc,
        };
        match loc {
            Loc::Lazy(_) | Loc::Mem(_) => {
                return Err(self.internal("a fused value was not materialized"))
            }
            Loc::Scalar(x) => self.fill_tile(o, t, numel(shape), x),
            Loc::Tile(src) => {
                let mut st = strides(&in_shape);
                for (d, s) in st.iter_mut().enumerate() {
                    if in_shape.get(d).copied() != shape.get(d).copied() {
                        *s = 0;
                    }
                }
                let rank = shape.len();
                if rank == 0 {
                    let ty = self.ty(arg);
                    self.copy_tile(ty, src, o)?;
                    return Ok(());
                }
                // Rows along the last dimension: copied, or one element splatted.
                let (last, size) = (shape[rank - 1], u64::from(byte_size(t)));
                let (ctxs, idx) = self.nest_begin(&shape[..rank - 1]);
                let si = self.linear(&idx, &st[..rank - 1]);
                let di = self.linear(&idx, &strides(shape)[..rank - 1]);
                let whole = (last * size).is_multiple_of(16);
                let vt = clif_type(t).by((16 / size) as u32).filter(|_| whole);
                let dst = self.elem_addr(o, t, di);
                match (st[rank - 1] == 0, vt) {
                    (true, Some(vt)) => {
                        let x = self.load_elem(src, t, si);
                        let v = self.b.ins().splat(vt, x);
                        let l = self.loop_begin(last * size / 16);
                        let at = self.b.ins().ishl_imm_u(l.i, 4);
                        let p = self.b.ins().iadd(dst, at);
                        self.b.ins().store(self.flags, v, p, 0);
                        self.loop_end(l);
                    }
                    (false, Some(_)) => {
                        let from = self.elem_addr(src, t, si);
                        let l = self.loop_begin(last * size / 16);
                        let at = self.b.ins().ishl_imm_u(l.i, 4);
                        let p = self.b.ins().iadd(from, at);
                        let v = self.b.ins().load(types::I8X16, self.flags, p, 0);
                        let p = self.b.ins().iadd(dst, at);
                        self.b.ins().store(self.flags, v, p, 0);
                        self.loop_end(l);
                    }
                    (_, None) => {
                        let l = self.loop_begin(last);
                        let k = self.b.ins().imul_imm_s(l.i, st[rank - 1] as i64);
                        let k = self.b.ins().iadd(si, k);
                        let x = self.load_elem(src, t, k);
                        let d = self.b.ins().iadd(di, l.i);
                        self.store_elem(o, t, d, x);
                        self.loop_end(l);
                    }
                }
                self.nest_end(ctxs);
            }
            Loc::Ptr { .. } => return Err(self.internal("pointer broadcast")),
        }
        Ok(())
    }

    /// A reduction result: a scalar for rank 0, else a tile.
    fn lower_reduce(&mut self, op: ReduceOp, arg: IrValue, axis: u32, ty: &Type) -> Result<Loc> {
        let in_shape = shape_of(self.ty(arg));
        let it = self.scalar_type(arg)?;
        let rt = ty.elem.scalar().unwrap_or(it);
        let ax = axis as usize;
        let outer: u64 = in_shape[..ax].iter().product();
        let len = in_shape[ax];
        let inner: u64 = in_shape[ax + 1..].iter().product();
        let out_shape = vec![outer * inner];
        let o = self.alloc_shape(&out_shape, rt)?;
        let float = it.is_float();
        if op == ReduceOp::Sum && float && len > 0 {
            self.float_sum(arg, it, o, [outer, len, inner])?;
            return self.reduce_result(o, rt, ty);
        }
        let vector_extreme = matches!(op, ReduceOp::Max | ReduceOp::Min)
            && matches!(it, ScalarType::F32 | ScalarType::F64)
            && inner == 1
            && (len * u64::from(byte_size(it))).is_multiple_of(16)
            && len > 0;
        if vector_extreme {
            self.vector_extreme(op, arg, it, o, [outer, len])?;
            return self.reduce_result(o, rt, ty);
        }
        let src = self.tile(arg)?;
        let acc_t = match op {
            ReduceOp::Sum => scalar::sum_acc_type(it),
            _ => it,
        };
        let acc_slot = self.alloc_shape(&[1], acc_t)?;
        let idx_slot = self.alloc_shape(&[1], ScalarType::I32)?;
        let zero = self.b.ins().iconst(types::I64, 0);
        let lo = self.loop_begin(outer);
        let li = self.loop_begin(inner);
        // Element k of this lane: (o * len + k) * inner + i.
        let base = self.b.ins().imul_imm_s(lo.i, (len * inner) as i64);
        let base = self.b.ins().iadd(base, li.i);
        match op {
            ReduceOp::Sum => {
                // -0.0 for floats: the interpreter folds from the first element, so an
                // all -0.0 lane sums to -0.0.
                let z = if len == 0 {
                    scalar::constant(&mut self.b, zero_of(acc_t))
                } else {
                    scalar::sum_identity(&mut self.b, acc_t)
                };
                self.store_elem(acc_slot, acc_t, zero, z);
            }
            _ => {
                let first = if len == 0 {
                    scalar::constant(&mut self.b, zero_of(it))
                } else {
                    self.load_elem(src, it, base)
                };
                self.store_elem(acc_slot, acc_t, zero, first);
                let z32 = self.b.ins().iconst(types::I32, 0);
                self.store_elem(idx_slot, ScalarType::I32, zero, z32);
            }
        }
        let lk = self.loop_begin(len);
        let off = self.b.ins().imul_imm_s(lk.i, inner as i64);
        let at = self.b.ins().iadd(base, off);
        let x = self.load_elem(src, it, at);
        let acc = self.load_elem(acc_slot, acc_t, zero);
        match op {
            ReduceOp::Sum => {
                let xa = scalar::to_acc(&mut self.b, &self.h, it, x);
                let s = scalar::sum_step(&mut self.b, &self.h, acc_t, acc, xa);
                self.store_elem(acc_slot, acc_t, zero, s);
            }
            ReduceOp::Max => {
                let s = scalar::max_step(&mut self.b, it, acc, x);
                self.store_elem(acc_slot, acc_t, zero, s);
            }
            ReduceOp::Min => {
                let s = scalar::min_step(&mut self.b, it, acc, x);
                self.store_elem(acc_slot, acc_t, zero, s);
            }
            ReduceOp::ArgMax | ReduceOp::ArgMin => {
                let better = scalar::arg_better(&mut self.b, op, it, x, acc);
                let best = self.b.ins().select(better, x, acc);
                self.store_elem(acc_slot, acc_t, zero, best);
                let k32 = self.b.ins().ireduce(types::I32, lk.i);
                let cur = self.load_elem(idx_slot, ScalarType::I32, zero);
                let k = self.b.ins().select(better, k32, cur);
                self.store_elem(idx_slot, ScalarType::I32, zero, k);
            }
        }
        self.loop_end(lk);
        let out_i = self.b.ins().imul_imm_s(lo.i, inner as i64);
        let out_i = self.b.ins().iadd(out_i, li.i);
        let r = match op {
            ReduceOp::Sum => {
                let acc = self.load_elem(acc_slot, acc_t, zero);
                scalar::from_acc(&mut self.b, &self.h, it, acc)
            }
            ReduceOp::Max | ReduceOp::Min => self.load_elem(acc_slot, acc_t, zero),
            ReduceOp::ArgMax | ReduceOp::ArgMin => self.load_elem(idx_slot, ScalarType::I32, zero),
        };
        self.store_elem(o, rt, out_i, r);
        self.loop_end(li);
        self.loop_end(lo);
        self.reduce_result(o, rt, ty)
    }

    /// A reduction's result in place `o`: a scalar for rank 0, else the tile.
    fn reduce_result(&mut self, o: u32, rt: ScalarType, ty: &Type) -> Result<Loc> {
        if ty.shape.is_empty() {
            let zero = self.b.ins().iconst(types::I64, 0);
            Ok(Loc::Scalar(self.load_elem(o, rt, zero)))
        } else {
            Ok(Loc::Tile(o))
        }
    }

    /// A float `sum` in the language's order (docs/language.md): element `k` of a lane
    /// goes into partial sum `k % 16`, the partials combine by halving. The partials
    /// live in scratch, `[16][inner]`; for a contiguous lane (`inner == 1`) of f32 or
    /// f64 they are 64 bytes of registers (four f32x4 or eight f64x2 accumulators)
    /// over the lane's whole 16-element chunks, so each step adds 16 elements.
    fn float_sum(&mut self, src: IrValue, it: ScalarType, o: u32, dims: [u64; 3]) -> Result<()> {
        let [outer, len, inner] = dims;
        let acc_t = scalar::sum_acc_type(it);
        let parts = SUM_PARTIALS as u64;
        let p = self.alloc_shape(&[parts * inner], acc_t)?;
        let identity = scalar::sum_identity(&mut self.b, acc_t);
        let lo = self.loop_begin(outer);
        let lane_base = self.b.ins().imul_imm_s(lo.i, (len * inner) as i64);
        let vector = inner == 1 && matches!(it, ScalarType::F32 | ScalarType::F64);
        let chunks = if vector { len / parts } else { 0 };
        if chunks == 0 {
            // (Else the vector loop below writes every partial.)
            self.fill_tile(p, acc_t, parts * inner, identity);
        }
        if chunks > 0 {
            let size = u64::from(byte_size(it));
            let vt = clif_type(it).by((16 / size) as u32).ok_or_else(|| self.internal("vt"))?;
            let nv = (parts * size / 16) as usize;
            let id = self.b.ins().splat(vt, identity);
            let body = self.b.create_block();
            let exit = self.b.create_block();
            let c = self.b.append_block_param(body, types::I64);
            let accs: Vec<Value> = (0..nv).map(|_| self.b.append_block_param(body, vt)).collect();
            let outs: Vec<Value> = (0..nv).map(|_| self.b.append_block_param(exit, vt)).collect();
            let zero = self.b.ins().iconst(types::I64, 0);
            self.hoist_splats(src, vt)?;
            let mut first = vec![zero];
            first.extend(std::iter::repeat_n(id, nv));
            self.b.ins().jump(body, &args(&first));
            self.b.switch_to_block(body);
            let k = self.b.ins().imul_imm_s(c, parts as i64);
            let k = self.b.ins().iadd(lane_base, k);
            let at = self.b.ins().imul_imm_s(k, size as i64);
            let mut next = vec![];
            for (q, &acc) in accs.iter().enumerate() {
                let at = self.b.ins().iadd_imm_s(at, (16 * q) as i64);
                let x = self.vec_at(src, vt, at)?;
                next.push(self.b.ins().fadd(acc, x));
            }
            let c1 = self.b.ins().iadd_imm_s(c, 1);
            let more = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, c1, chunks as i64);
            let mut back = vec![c1];
            back.extend(&next);
            self.b.ins().brif(more, body, &args(&back), exit, &args(&next));
            self.b.switch_to_block(exit);
            self.drop_splats();
            let pp = self.b.ins().iadd_imm_s(self.scratch, i64::from(p));
            for (q, &v) in outs.iter().enumerate() {
                self.b.ins().store(self.flags, v, pp, (16 * q) as i32);
            }
        }
        // The remaining elements, one at a time, into partial k % 16.
        if chunks * parts < len {
            self.float_sum_tail(src, it, p, lane_base, [chunks * parts, len, inner])?;
        }
        self.float_sum_combine(it, o, p, lo.i, inner);
        self.loop_end(lo);
        Ok(())
    }

    /// Adds elements `from..len` of a lane (at `lane_base`) into the partials `p`.
    fn float_sum_tail(
        &mut self,
        src: IrValue,
        it: ScalarType,
        p: u32,
        lane_base: Value,
        [from, len, inner]: [u64; 3],
    ) -> Result<()> {
        let (acc_t, parts) = (scalar::sum_acc_type(it), SUM_PARTIALS as u64);
        let lk = self.dyn_loop_range_const(from, len);
        let j = self.b.ins().band_imm_s(lk.i, (parts - 1) as i64);
        let row = self.b.ins().imul_imm_s(lk.i, inner as i64);
        let row = self.b.ins().iadd(lane_base, row);
        let pj = self.b.ins().imul_imm_s(j, inner as i64);
        let li = self.loop_begin(inner);
        let at = self.b.ins().iadd(row, li.i);
        let x = self.elem(src, at)?;
        let x = scalar::to_acc(&mut self.b, &self.h, it, x);
        let pi = self.b.ins().iadd(pj, li.i);
        let acc = self.load_elem(p, acc_t, pi);
        let sum = scalar::sum_step(&mut self.b, &self.h, acc_t, acc, x);
        self.store_elem(p, acc_t, pi, sum);
        self.loop_end(li);
        self.loop_end(lk);
        Ok(())
    }

    /// Combines the partials `p` of output lane group `lane` (`p[j] += p[j + w]` for
    /// w = 8, 4, 2, 1) and stores the rounded sums into `o`.
    fn float_sum_combine(&mut self, it: ScalarType, o: u32, p: u32, lane: Value, inner: u64) {
        let (acc_t, parts) = (scalar::sum_acc_type(it), SUM_PARTIALS as u64);
        let li = self.loop_begin(inner);
        let mut w = parts / 2;
        while w > 0 {
            for jj in 0..w {
                let a = self.b.ins().iadd_imm_s(li.i, (jj * inner) as i64);
                let c = self.b.ins().iadd_imm_s(li.i, ((jj + w) * inner) as i64);
                let x = self.load_elem(p, acc_t, a);
                let y = self.load_elem(p, acc_t, c);
                let sum = scalar::sum_step(&mut self.b, &self.h, acc_t, x, y);
                self.store_elem(p, acc_t, a, sum);
            }
            w /= 2;
        }
        let total = self.load_elem(p, acc_t, li.i);
        let r = scalar::from_acc(&mut self.b, &self.h, it, total);
        let oi = self.b.ins().imul_imm_s(lane, inner as i64);
        let oi = self.b.ins().iadd(oi, li.i);
        self.store_elem(o, it, oi, r);
        self.loop_end(li);
    }

    /// `max`/`min` of contiguous f32/f64 lanes a vector at a time: `maximum` and
    /// `minimum` are associative and commutative (NaN wins, `-0.0 < +0.0`), so any
    /// order gives the interpreter's value.
    fn vector_extreme(
        &mut self,
        op: ReduceOp,
        src: IrValue,
        it: ScalarType,
        o: u32,
        [outer, len]: [u64; 2],
    ) -> Result<()> {
        let size = u64::from(byte_size(it));
        let lanes = 16 / size;
        let vt = clif_type(it).by(lanes as u32).ok_or_else(|| self.internal("vt"))?;
        let lo = self.loop_begin(outer);
        let at = self.b.ins().imul_imm_s(lo.i, (len * size) as i64);
        self.hoist_splats(src, vt)?;
        let first = self.vec_at(src, vt, at)?;
        let vectors = len / lanes;
        // Four independent accumulators when the lane splits into groups of four
        // vectors (the extreme's latency, not its throughput, bounds one chain).
        let chains: u64 = if vectors.is_multiple_of(4) && vectors >= 8 { 4 } else { 1 };
        let mut init = vec![first];
        for k in 1..chains {
            let pk = self.b.ins().iadd_imm_s(at, (16 * k) as i64);
            init.push(self.vec_at(src, vt, pk)?);
        }
        let body = self.b.create_block();
        let exit = self.b.create_block();
        let c = self.b.append_block_param(body, types::I64);
        let accs: Vec<Value> = init.iter().map(|_| self.b.append_block_param(body, vt)).collect();
        let outs: Vec<Value> = init.iter().map(|_| self.b.append_block_param(exit, vt)).collect();
        let start = self.b.ins().iconst(types::I64, chains as i64);
        let go = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, start, vectors as i64);
        let mut first_args = vec![start];
        first_args.extend(&init);
        self.b.ins().brif(go, body, &args(&first_args), exit, &args(&init));
        self.b.switch_to_block(body);
        let mut next = Vec::new();
        for (k, &acc) in accs.iter().enumerate() {
            let ck = self.b.ins().iadd_imm_s(c, k as i64);
            let off = self.b.ins().ishl_imm_u(ck, 4);
            let pa = self.b.ins().iadd(at, off);
            let x = self.vec_at(src, vt, pa)?;
            next.push(match op {
                ReduceOp::Max => self.b.ins().fmax(acc, x),
                _ => self.b.ins().fmin(acc, x),
            });
        }
        let c1 = self.b.ins().iadd_imm_s(c, chains as i64);
        let more = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, c1, vectors as i64);
        let mut back = vec![c1];
        back.extend(&next);
        self.b.ins().brif(more, body, &args(&back), exit, &args(&next));
        self.b.switch_to_block(exit);
        self.drop_splats();
        let mut out = outs[0];
        for &o in &outs[1..] {
            out = match op {
                ReduceOp::Max => self.b.ins().fmax(out, o),
                _ => self.b.ins().fmin(out, o),
            };
        }
        let mut r = self.b.ins().extractlane(out, 0);
        for lane in 1..lanes {
            let x = self.b.ins().extractlane(out, lane as u8);
            r = match op {
                ReduceOp::Max => scalar::max_step(&mut self.b, it, r, x),
                _ => scalar::min_step(&mut self.b, it, r, x),
            };
        }
        self.store_elem(o, it, lo.i, r);
        self.loop_end(lo);
        Ok(())
    }

    /// A counted loop over the compile-time range `from..to`.
    fn dyn_loop_range_const(&mut self, from: u64, to: u64) -> LoopCtx {
        let from = self.b.ins().iconst(types::I64, from as i64);
        let to = self.b.ins().iconst(types::I64, to as i64);
        self.dyn_loop_range(from, to)
    }

    fn lower_scan(&mut self, _op: ScanOp, arg: IrValue, axis: u32, ty: &Type) -> Result<Loc> {
        let shape = shape_of(ty);
        let t = self.scalar_type(arg)?;
        let src = self.tile(arg)?;
        let ax = axis as usize;
        let outer: u64 = shape[..ax].iter().product();
        let len = shape[ax];
        let inner: u64 = shape[ax + 1..].iter().product();
        let o = self.alloc(ty)?;
        let acc_t = scalar::sum_acc_type(t);
        let acc_slot = self.alloc_shape(&[1], acc_t)?;
        let zero = self.b.ins().iconst(types::I64, 0);
        let lo = self.loop_begin(outer);
        let li = self.loop_begin(inner);
        let base = self.b.ins().imul_imm_s(lo.i, (len * inner) as i64);
        let base = self.b.ins().iadd(base, li.i);
        let z = scalar::sum_identity(&mut self.b, acc_t);
        self.store_elem(acc_slot, acc_t, zero, z);
        let lk = self.loop_begin(len);
        let off = self.b.ins().imul_imm_s(lk.i, inner as i64);
        let at = self.b.ins().iadd(base, off);
        let x = self.load_elem(src, t, at);
        let xa = scalar::to_acc(&mut self.b, &self.h, t, x);
        let acc = self.load_elem(acc_slot, acc_t, zero);
        let s = scalar::sum_step(&mut self.b, &self.h, acc_t, acc, xa);
        self.store_elem(acc_slot, acc_t, zero, s);
        let r = scalar::from_acc(&mut self.b, &self.h, t, s);
        self.store_elem(o, t, at, r);
        self.loop_end(lk);
        self.loop_end(li);
        self.loop_end(lo);
        Ok(Loc::Tile(o))
    }

    /// The place of tile `v` when an op may overwrite it with its result: `v` is a
    /// tile carried by a `for` loop (a place no other value shares, except values
    /// derived from `v`) and this op is its only use.
    fn in_place(&self, v: IrValue) -> Option<u32> {
        let ValueDef::BlockArg(block, _) = self.f.values[v].def else { return None };
        let carried = self.for_bodies.contains(&block) && block != self.f.body;
        match (carried, self.uses.get(&v), self.loc.get(&v)) {
            (true, Some(1), Some(Loc::Tile(o))) => Some(*o),
            _ => None,
        }
    }

    fn lower_dot(
        &mut self,
        inst: Inst,
        a: IrValue,
        bv: IrValue,
        acc: IrValue,
        ty: &Type,
    ) -> Result<Loc> {
        let ash = shape_of(self.ty(a));
        let bsh = shape_of(self.ty(bv));
        let (&[m, k], &[_, n]) = (ash.as_slice(), bsh.as_slice()) else {
            return Err(self.unsupported(Some(inst), "a `dot` of rank other than 2"));
        };
        let it = self.scalar_type(a)?;
        let at = ty.elem.scalar().unwrap_or(ScalarType::F32);
        let (ao, bo) = (self.tile(a)?, self.tile(bv)?);
        let o = match self.in_place(acc) {
            Some(o) => o,
            None => {
                let o = self.alloc(ty)?;
                self.broadcast_into(acc, &[m, n], at, o)?;
                o
            }
        };
        if it == ScalarType::F32 && at == ScalarType::F32 && n.is_multiple_of(4) && k > 0 {
            self.dot_microkernel(ao, bo, o, [m, n, k])?;
            return Ok(Loc::Tile(o));
        }
        let li = self.loop_begin(m);
        let lj = self.loop_begin(n);
        let oi = self.b.ins().imul_imm_s(li.i, n as i64);
        let oi = self.b.ins().iadd(oi, lj.i);
        // The accumulator stays in a register over the k loop (k ascending, as the
        // interpreter sums).
        let init = self.load_elem(o, at, oi);
        let header = self.b.create_block();
        let body = self.b.create_block();
        let exit = self.b.create_block();
        let kv = self.b.append_block_param(header, types::I64);
        let accv = self.b.append_block_param(header, clif_type(at));
        let done = self.b.append_block_param(exit, clif_type(at));
        let zero = self.b.ins().iconst(types::I64, 0);
        self.b.ins().jump(header, &args(&[zero, init]));
        self.b.switch_to_block(header);
        let c = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, kv, k as i64);
        self.b.ins().brif(c, body, &[], exit, &args(&[accv]));
        self.b.switch_to_block(body);
        let ai = self.b.ins().imul_imm_s(li.i, k as i64);
        let ai = self.b.ins().iadd(ai, kv);
        let bi = self.b.ins().imul_imm_s(kv, n as i64);
        let bi = self.b.ins().iadd(bi, lj.i);
        let x = self.load_elem(ao, it, ai);
        let y = self.load_elem(bo, it, bi);
        let s2 = scalar::dot_step(&mut self.b, &self.h, it, at, accv, x, y);
        let k1 = self.b.ins().iadd_imm_s(kv, 1);
        self.b.ins().jump(header, &args(&[k1, s2]));
        self.b.switch_to_block(exit);
        self.store_elem(o, at, oi, done);
        self.loop_end(lj);
        self.loop_end(li);
        Ok(Loc::Tile(o))
    }

    /// f32 `dot` as register-blocked micro-kernels: rows in panels of [`MR`] (the last
    /// panel shorter), columns in blocks of [`NR`] (or 4 when `n` is not a multiple of
    /// 8). Each row panel of A is first packed with every element already splatted to
    /// an f32x4, k-major, so the inner loop reads it with plain vector loads; then for
    /// each column block the `mr`·`nr`/4 f32x4 accumulators live in registers over the
    /// whole k loop, which walks the packed panel and B's rows by pointer increments.
    /// Each step is `fmul` then `fadd`, never `fma`: the language rounds every product.
    /// Every output element sums its products in ascending k, each rounded to f32, so
    /// the result is bit-identical to the interpreter's.
    fn dot_microkernel(&mut self, ao: u32, bo: u32, o: u32, [m, n, k]: [u64; 3]) -> Result<()> {
        let nr = if n.is_multiple_of(NR) { NR } else { 4 };
        let pack = self.alloc_shape(&[MR * k * 4], ScalarType::F32)?;
        let dims = [m, n, k];
        if m / MR > 0 {
            self.dot_panels([ao, bo, o, pack], dims, (0, m / MR, MR), nr);
        }
        if !m.is_multiple_of(MR) {
            self.dot_panels([ao, bo, o, pack], dims, (m / MR * MR, 1, m % MR), nr);
        }
        Ok(())
    }

    /// `panels` row panels of `mr` rows from row `row_start` (see
    /// [`Lower::dot_microkernel`]), with the A, B and output tiles and the pack buffer.
    fn dot_panels(
        &mut self,
        [ao, bo, o, pack]: [u32; 4],
        [_, n, k]: [u64; 3],
        (row_start, panels, mr): (u64, u64, u64),
        nr: u64,
    ) {
        let f = ScalarType::F32;
        let v4 = types::F32X4;
        let lp = self.loop_begin(panels);
        let row0 = self.b.ins().imul_imm_s(lp.i, mr as i64);
        let row0 = self.b.ins().iadd_imm_s(row0, row_start as i64);
        // Pack the panel: pack[kk][r] = splat(A[row0 + r][kk]).
        let pack_ptr = self.b.ins().iadd_imm_s(self.scratch, i64::from(pack));
        let lk = self.loop_begin(k);
        let dst = self.b.ins().imul_imm_s(lk.i, (16 * mr) as i64);
        let dst = self.b.ins().iadd(pack_ptr, dst);
        for r in 0..mr {
            let row = self.b.ins().iadd_imm_s(row0, r as i64);
            let ai = self.b.ins().imul_imm_s(row, k as i64);
            let ai = self.b.ins().iadd(ai, lk.i);
            let x = self.load_elem(ao, f, ai);
            let v = self.b.ins().splat(v4, x);
            self.b.ins().store(self.flags, v, dst, (16 * r) as i32);
        }
        self.loop_end(lk);
        let pack_end = self.b.ins().iadd_imm_s(pack_ptr, (16 * mr * k) as i64);
        let lj = self.loop_begin(n / nr);
        let col0 = self.b.ins().imul_imm_s(lj.i, nr as i64);
        // Addresses of the output block's rows.
        let mut out_rows = Vec::new();
        for r in 0..mr {
            let row = self.b.ins().iadd_imm_s(row0, r as i64);
            let idx = self.b.ins().imul_imm_s(row, n as i64);
            let idx = self.b.ins().iadd(idx, col0);
            out_rows.push(self.elem_addr(o, f, idx));
        }
        let vecs = (nr / 4) as usize;
        let mut init = Vec::new();
        for &p in &out_rows {
            for c in 0..vecs {
                init.push(self.b.ins().load(v4, self.flags, p, (16 * c) as i32));
            }
        }
        let b_ptr = self.elem_addr(bo, f, col0);
        let body = self.b.create_block();
        let exit = self.b.create_block();
        let ap = self.b.append_block_param(body, types::I64);
        let bp = self.b.append_block_param(body, types::I64);
        let accs: Vec<Value> = init.iter().map(|_| self.b.append_block_param(body, v4)).collect();
        let outs: Vec<Value> = init.iter().map(|_| self.b.append_block_param(exit, v4)).collect();
        let mut first = vec![pack_ptr, b_ptr];
        first.extend(&init);
        self.b.ins().jump(body, &args(&first));
        // k > 0: the loop body runs at least once and tests at its end.
        self.b.switch_to_block(body);
        // Cranelift keeps these loads (scratch is written elsewhere in the function, so
        // they are not `readonly`) in order at the top of the body and places the
        // arithmetic after them: all `MR` A vectors, the B vectors and the
        // accumulators are live at once, which is why `MR` is 4 (14 of 16 registers;
        // 6 rows spill). Measured: 4×8 here is as fast as 6×8 with `readonly` loads.
        let panel = MemFlagsData::trusted();
        let bvecs: Vec<Value> =
            (0..vecs).map(|c| self.b.ins().load(v4, panel, bp, (16 * c) as i32)).collect();
        let mut next = vec![];
        for r in 0..mr as usize {
            let a = self.b.ins().load(v4, panel, ap, (16 * r) as i32);
            for (c, &bvec) in bvecs.iter().enumerate() {
                let prod = self.b.ins().fmul(a, bvec);
                next.push(self.b.ins().fadd(accs[r * vecs + c], prod));
            }
        }
        let ap1 = self.b.ins().iadd_imm_s(ap, (16 * mr) as i64);
        let bp1 = self.b.ins().iadd_imm_s(bp, (4 * n) as i64);
        let more = self.b.ins().icmp(IntCC::UnsignedLessThan, ap1, pack_end);
        let mut back = vec![ap1, bp1];
        back.extend(&next);
        self.b.ins().brif(more, body, &args(&back), exit, &args(&next));
        self.b.switch_to_block(exit);
        for (r, &p) in out_rows.iter().enumerate() {
            for c in 0..vecs {
                self.b.ins().store(self.flags, outs[r * vecs + c], p, (16 * c) as i32);
            }
        }
        self.loop_end(lj);
        self.loop_end(lp);
    }

    // ----- pointers and memory -----

    fn ptr(&self, v: IrValue) -> Result<(u32, PtrOff)> {
        match self.get(v)? {
            Loc::Ptr { buffer, off } => Ok((buffer, off)),
            _ => Err(self.internal(format!("{v} is not a pointer"))),
        }
    }

    fn off_elem(&mut self, off: PtrOff, idx: Value) -> Value {
        match off {
            PtrOff::Scalar(x) => x,
            PtrOff::Tile(o) => self.load_elem(o, ScalarType::I64, idx),
        }
    }

    fn lower_ptr(&mut self, inst: Inst, result: IrValue) -> Result<()> {
        let f = self.f;
        let op = &f.insts[inst].op;
        let ty = self.ty(result);
        let shape = shape_of(ty);
        let n = numel(&shape);
        let i64t = ScalarType::I64;
        let (buffer, off) = match op {
            Op::PtrAdd { ptr, offset } => {
                let (buffer, base) = self.ptr(*ptr)?;
                let ot = self.scalar_type(*offset)?;
                if shape.is_empty() {
                    let PtrOff::Scalar(bx) = base else { return Err(self.internal("ptr rank")) };
                    let x = self.scalar(*offset)?;
                    let x = scalar::cast(&mut self.b, &self.h, ot, i64t, x);
                    (buffer, PtrOff::Scalar(self.b.ins().iadd(bx, x)))
                } else {
                    let o = self.alloc_shape(&shape, i64t)?;
                    let l = self.loop_begin(n);
                    let bx = self.off_elem(base, l.i);
                    let x = self.elem(*offset, l.i)?;
                    let x = scalar::cast(&mut self.b, &self.h, ot, i64t, x);
                    let s = self.b.ins().iadd(bx, x);
                    self.store_elem(o, i64t, l.i, s);
                    self.loop_end(l);
                    (buffer, PtrOff::Tile(o))
                }
            }
            Op::Splat { value } => {
                let (buffer, base) = self.ptr(*value)?;
                (buffer, base)
            }
            Op::ExpandDims { arg, .. } | Op::Reshape { arg } => self.ptr(*arg)?,
            Op::Broadcast { arg } => {
                let (buffer, base) = self.ptr(*arg)?;
                match base {
                    PtrOff::Scalar(x) => (buffer, PtrOff::Scalar(x)),
                    PtrOff::Tile(src) => {
                        let in_shape = shape_of(self.ty(*arg));
                        let mut st = strides(&in_shape);
                        for (d, s) in st.iter_mut().enumerate() {
                            if in_shape.get(d).copied() != shape.get(d).copied() {
                                *s = 0;
                            }
                        }
                        let o = self.alloc_shape(&shape, i64t)?;
                        let (ctxs, idx) = self.nest_begin(&shape);
                        let si = self.linear(&idx, &st);
                        let di = self.linear(&idx, &strides(&shape));
                        let x = self.load_elem(src, i64t, si);
                        self.store_elem(o, i64t, di, x);
                        self.nest_end(ctxs);
                        (buffer, PtrOff::Tile(o))
                    }
                }
            }
            Op::Trans { arg, perm } => {
                let (buffer, base) = self.ptr(*arg)?;
                match base {
                    PtrOff::Scalar(x) => (buffer, PtrOff::Scalar(x)),
                    PtrOff::Tile(src) => {
                        let in_strides = strides(&shape_of(self.ty(*arg)));
                        let ps: Vec<u64> = perm.iter().map(|&p| in_strides[p as usize]).collect();
                        let o = self.alloc_shape(&shape, i64t)?;
                        let (ctxs, idx) = self.nest_begin(&shape);
                        let si = self.linear(&idx, &ps);
                        let di = self.linear(&idx, &strides(&shape));
                        let x = self.load_elem(src, i64t, si);
                        self.store_elem(o, i64t, di, x);
                        self.nest_end(ctxs);
                        (buffer, PtrOff::Tile(o))
                    }
                }
            }
            Op::Select { cond, on_true, on_false } => {
                let (b1, o1) = self.ptr(*on_true)?;
                let (b2, o2) = self.ptr(*on_false)?;
                if b1 != b2 {
                    return Err(self.unsupported(
                        Some(inst),
                        "a select between pointers into different buffers",
                    ));
                }
                if shape.is_empty() {
                    let c = self.scalar(*cond)?;
                    let (PtrOff::Scalar(x), PtrOff::Scalar(y)) = (o1, o2) else {
                        return Err(self.internal("ptr rank"));
                    };
                    (b1, PtrOff::Scalar(scalar::select(&mut self.b, c, x, y)))
                } else {
                    let o = self.alloc_shape(&shape, i64t)?;
                    let l = self.loop_begin(n);
                    let c = self.elem(*cond, l.i)?;
                    let x = self.off_elem(o1, l.i);
                    let y = self.off_elem(o2, l.i);
                    let s = scalar::select(&mut self.b, c, x, y);
                    self.store_elem(o, i64t, l.i, s);
                    self.loop_end(l);
                    (b1, PtrOff::Tile(o))
                }
            }
            other => return Err(self.unsupported(Some(inst), format!("pointer op {other:?}"))),
        };
        self.loc.insert(result, Loc::Ptr { buffer, off });
        Ok(())
    }

    /// Branches on lane `i` of `mask` (always live without one) and continues in the
    /// live lane's block; returns the masked-off lane's block and the block both rejoin.
    fn lane_branch(&mut self, mask: Option<IrValue>, i: Value) -> Result<(Block, Block)> {
        let live = self.b.create_block();
        let dead = self.b.create_block();
        let next = self.b.create_block();
        match mask {
            Some(m) => {
                let c = self.elem(m, i)?;
                self.b.ins().brif(c, live, &[], dead, &[]);
            }
            None => {
                self.b.ins().jump(live, &[]);
            }
        }
        self.b.switch_to_block(live);
        Ok((dead, next))
    }

    /// The checked address of element `off` of buffer parameter `buffer`.
    fn buffer_addr(
        &mut self,
        inst: Inst,
        buffer: u32,
        t: ScalarType,
        off: Value,
        code: Status,
    ) -> Value {
        let slot = 16 * buffer as i32;
        let base = self.b.ins().load(types::I64, self.flags, self.argv, slot);
        if self.checked {
            let len = self.b.ins().load(types::I64, self.flags, self.argv, slot + 8);
            let bad = self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, off, len);
            self.fail_if(bad, code, inst, buffer, off);
        }
        let scaled = self.b.ins().imul_imm_s(off, i64::from(byte_size(t)));
        self.b.ins().iadd(base, scaled)
    }

    /// An `i64` value of symbolic expression `e` (see `tessera_passes::analysis::symexpr`).
    fn expr(&mut self, e: &ScalarExpr) -> Result<Value> {
        let mut acc = self.b.ins().iconst(types::I64, 0);
        let terms: Vec<(Vec<Atom>, i64)> = e.terms().map(|(f, c)| (f.to_vec(), c)).collect();
        for (factors, coeff) in terms {
            let mut term = self.b.ins().iconst(types::I64, coeff);
            for a in factors {
                let x = self.atom(a)?;
                term = self.b.ins().imul(term, x);
            }
            acc = self.b.ins().iadd(acc, term);
        }
        Ok(acc)
    }

    fn atom(&mut self, a: Atom) -> Result<Value> {
        let widen = |s: &mut Self, v: Value, t: ScalarType| {
            scalar::cast(&mut s.b, &s.h, t, ScalarType::I64, v)
        };
        Ok(match a {
            Atom::Param(i) => {
                let p = self.f.params()[i];
                let t = self.scalar_type(p)?;
                let v = self.scalar(p)?;
                widen(self, v, t)
            }
            Atom::ProgramId(axis) => {
                let v = self.b.ins().load(types::I32, self.flags, self.pid, 4 * i32::from(axis));
                self.b.ins().uextend(types::I64, v)
            }
            Atom::NumPrograms(axis) => {
                let v = self.b.ins().load(types::I32, self.flags, self.grid, 4 * i32::from(axis));
                self.b.ins().uextend(types::I64, v)
            }
            Atom::LoopVar(v) | Atom::Opaque(v) => {
                let t = self.scalar_type(v)?;
                let x = self.scalar(v)?;
                widen(self, x, t)
            }
        })
    }

    /// Per-dimension live extents of a strided access, clamped to `0..=shape[d]`.
    fn extents(&mut self, edges: &[EdgeBound], shape: &[u64]) -> Result<Vec<Value>> {
        let mut out: Vec<Value> =
            shape.iter().map(|&d| self.b.ins().iconst(types::I64, d as i64)).collect();
        for e in edges {
            let step = e.step.as_constant().ok_or_else(|| self.internal("symbolic edge step"))?;
            let span = e.bound.sub(&e.start).add(&ScalarExpr::constant(step - 1));
            let x = self.expr(&span)?;
            let x = if step == 1 { x } else { self.b.ins().sdiv_imm_s(x, step) };
            let zero = self.b.ins().iconst(types::I64, 0);
            let x = self.b.ins().smax(x, zero);
            let Some(slot) = out.get_mut(e.dim) else { return Err(self.internal("edge dim")) };
            *slot = self.b.ins().smin(*slot, x);
        }
        Ok(out)
    }

    /// Lowers a load (`value == None`) or store planned as strided by the address
    /// analysis: one range check per row and a 16-byte copy loop along the last
    /// dimension when it is contiguous. Returns false when the access is not strided.
    fn strided(
        &mut self,
        inst: Inst,
        value: Option<IrValue>,
        other: Option<IrValue>,
    ) -> Result<bool> {
        let Some(plan) = self.demand.plans.get(&inst).cloned() else { return Ok(false) };
        let AddrPlan::Strided(aff) = &plan.addr else { return Ok(false) };
        let (edges, lane_mask) = match &plan.mask {
            MaskPlan::None => (Vec::new(), None),
            MaskPlan::Extents(e) => (e.clone(), None),
            MaskPlan::Tile(m) => (Vec::new(), Some(*m)),
        };
        let f = self.f;
        let data_v = match value {
            Some(v) => v,
            None => *f.insts[inst].results.first().ok_or_else(|| self.internal("load result"))?,
        };
        let t = self.scalar_type(data_v)?;
        let rank0 = aff.shape.is_empty();
        // A scalar access is a one-element row.
        let shape: Vec<u64> =
            if rank0 { vec![1] } else { aff.shape.iter().map(|&d| u64::from(d)).collect() };
        let buffer = aff.buffer_param as u32;
        let base = self.expr(&aff.base)?;
        let mut strd = Vec::new();
        for s in &aff.strides {
            strd.push(self.expr(s)?);
        }
        if rank0 {
            strd.push(self.b.ins().iconst(types::I64, 0));
        }
        let ext = self.extents(&edges, &shape)?;
        if value.is_none() && shape.len() == 1 && self.streams_to_store(inst, data_v) {
            // Read where used: check the range once, remember the address.
            let slot = 16 * buffer as i32;
            let buf_base = self.b.ins().load(types::I64, self.flags, self.argv, slot);
            let buf_len = self.b.ins().load(types::I64, self.flags, self.argv, slot + 8);
            if self.checked {
                let code = Status::LoadOutOfBounds;
                self.check_range(base, ext[0], buf_len, code, inst, buffer);
            }
            let off = self.b.ins().imul_imm_s(base, i64::from(byte_size(t)));
            let addr = self.b.ins().iadd(buf_base, off);
            self.loc.insert(data_v, Loc::Mem(addr));
            return Ok(true);
        }
        let contiguous =
            lane_mask.is_none() && aff.strides.last().and_then(|s| s.as_constant()) == Some(1);
        let out = if value.is_none() { Some(self.alloc_shape(&shape, t)?) } else { None };
        let src_tile = match value {
            Some(v) => Some(self.get(v)?),
            None => None,
        };
        let slot = 16 * buffer as i32;
        let buf_base = self.b.ins().load(types::I64, self.flags, self.argv, slot);
        let buf_len = self.b.ins().load(types::I64, self.flags, self.argv, slot + 8);
        let rank = shape.len();
        let (ctxs, idx) = self.nest_begin(&shape[..rank - 1]);
        // Row live iff every outer index is inside its extent.
        let mut row_ok = self.b.ins().iconst(types::I8, 1);
        for (d, &i) in idx.iter().enumerate() {
            let c = self.b.ins().icmp(IntCC::SignedLessThan, i, ext[d]);
            row_ok = self.b.ins().band(row_ok, c);
        }
        let zero = self.b.ins().iconst(types::I64, 0);
        let e_last = self.b.ins().select(row_ok, ext[rank - 1], zero);
        let mut row_base = base;
        for (d, &i) in idx.iter().enumerate() {
            let t2 = self.b.ins().imul(i, strd[d]);
            row_base = self.b.ins().iadd(row_base, t2);
        }
        let row_strides = strides(&shape);
        let row_off = self.linear(&idx, &row_strides[..rank - 1]);
        let code = if value.is_some() { Status::StoreOutOfBounds } else { Status::LoadOutOfBounds };
        let row = Row {
            inst,
            value,
            t,
            buffer,
            buf_base,
            buf_len,
            row_base,
            row_off,
            e_last,
            out,
            tile: match (out, src_tile) {
                (Some(o), _) | (None, Some(Loc::Tile(o))) => Some(o),
                _ => None,
            },
            code,
            stride: strd[rank - 1],
            lane_mask,
            width: shape[rank - 1],
        };
        let symbolic_stride = aff.strides.last().is_some_and(|s| s.as_constant().is_none());
        if contiguous {
            self.contiguous_row(&row)?;
        } else if lane_mask.is_none() && symbolic_stride {
            // Versioned on the run-time stride: rows with stride 1 are copied 16 bytes
            // at a time, as when the stride is known.
            let one = self.b.ins().icmp_imm_s(IntCC::Equal, row.stride, 1);
            let (unit, general, merge) =
                (self.b.create_block(), self.b.create_block(), self.b.create_block());
            self.b.ins().brif(one, unit, &[], general, &[]);
            self.b.switch_to_block(unit);
            self.contiguous_row(&row)?;
            self.b.ins().jump(merge, &[]);
            self.b.switch_to_block(general);
            self.element_row(&row)?;
            self.b.ins().jump(merge, &[]);
            self.b.switch_to_block(merge);
        } else {
            self.element_row(&row)?;
        }
        // A load's dead lanes: `other`, or zero (all lanes from `e_last` on; with a lane
        // mask, also the masked-off lanes before it).
        if let (Some(o), Some(m)) = (out, lane_mask) {
            let l = self.dyn_loop_begin(e_last);
            let ti = self.b.ins().iadd(row_off, l.i);
            let c = self.elem(m, ti)?;
            let dead = self.b.create_block();
            let next = self.b.create_block();
            self.b.ins().brif(c, next, &[], dead, &[]);
            self.b.switch_to_block(dead);
            let fill = match other {
                Some(v) => self.elem(v, ti)?,
                None => scalar::constant(&mut self.b, zero_of(t)),
            };
            self.store_elem(o, t, ti, fill);
            self.b.ins().jump(next, &[]);
            self.b.switch_to_block(next);
            self.loop_end(l);
        }
        if let Some(o) = out {
            let w = self.b.ins().iconst(types::I64, shape[rank - 1] as i64);
            let l = self.dyn_loop_range(e_last, w);
            let ti = self.b.ins().iadd(row_off, l.i);
            let fill = match other {
                Some(v) => self.elem(v, ti)?,
                None => scalar::constant(&mut self.b, zero_of(t)),
            };
            self.store_elem(o, t, ti, fill);
            self.loop_end(l);
        }
        self.nest_end(ctxs);
        if let (Some(o), None) = (out, value) {
            let loc = if rank0 {
                let zero = self.b.ins().iconst(types::I64, 0);
                Loc::Scalar(self.load_elem(o, t, zero))
            } else {
                Loc::Tile(o)
            };
            self.loc.insert(data_v, loc);
        }
        Ok(true)
    }

    /// Fails with `code` unless elements `start .. start + count` (none if `count` is 0)
    /// lie in `0..len`, naming the first element outside.
    fn check_range(
        &mut self,
        start: Value,
        count: Value,
        len: Value,
        code: Status,
        inst: Inst,
        buffer: u32,
    ) {
        let any = self.b.ins().icmp_imm_s(IntCC::SignedGreaterThan, count, 0);
        let neg = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, start, 0);
        let end = self.b.ins().iadd(start, count);
        let over = self.b.ins().icmp(IntCC::SignedGreaterThan, end, len);
        let out_of = self.b.ins().bor(neg, over);
        let bad = self.b.ins().band(any, out_of);
        let first_bad = self.b.ins().smax(start, len);
        let first_bad = self.b.ins().select(neg, start, first_bad);
        self.fail_if(bad, code, inst, buffer, first_bad);
    }

    /// The live lanes `0..e_last` of one row of a strided access whose elements are
    /// adjacent in memory: one range check, then 16-byte copies and an element tail.
    fn contiguous_row(&mut self, row: &Row) -> Result<()> {
        let size = i64::from(byte_size(row.t));
        let (row_base, e_last) = (row.row_base, row.e_last);
        if self.checked {
            self.check_range(row_base, e_last, row.buf_len, row.code, row.inst, row.buffer);
        }
        let mem = self.b.ins().imul_imm_s(row_base, size);
        let mem = self.b.ins().iadd(row.buf_base, mem);
        let tile_base = self.b.ins().imul_imm_s(row.row_off, size);
        let bytes = self.b.ins().imul_imm_s(e_last, size);
        // A stored value of any kind (tile, splat, fused) is written 16 bytes at a time.
        let stored = row.value.zip(vector_of(row.t));
        let chunks = if row.tile.is_some() || stored.is_some() {
            self.b.ins().ushr_imm_u(bytes, 4)
        } else {
            self.b.ins().iconst(types::I64, 0)
        };
        // Buffer memory has no alignment guarantee.
        let unaligned = MemFlagsData::new().with_notrap();
        if let Some((v, vt)) = stored {
            self.hoist_splats(v, vt)?;
            let l = self.dyn_loop_begin(chunks);
            let off = self.b.ins().ishl_imm_u(l.i, 4);
            let m = self.b.ins().iadd(mem, off);
            let at = self.b.ins().iadd(tile_base, off);
            let x = self.vec_at(v, vt, at)?;
            self.b.ins().store(unaligned, x, m, 0);
            self.loop_end(l);
            self.drop_splats();
        } else if let Some(o) = row.tile {
            let tile_ptr = self.b.ins().iadd_imm_s(self.scratch, i64::from(o));
            let tile_ptr = self.b.ins().iadd(tile_ptr, tile_base);
            // 16-byte chunks.
            let l = self.dyn_loop_begin(chunks);
            let off = self.b.ins().ishl_imm_u(l.i, 4);
            let m = self.b.ins().iadd(mem, off);
            let tp = self.b.ins().iadd(tile_ptr, off);
            let v = self.b.ins().load(types::I8X16, unaligned, m, 0);
            self.b.ins().store(unaligned, v, tp, 0);
            self.loop_end(l);
        }
        // The tail of the live lanes, element by element.
        let done = self.b.ins().ishl_imm_u(chunks, 4);
        let first = self.b.ins().udiv_imm_s(done, size);
        let l = self.dyn_loop_range(first, e_last);
        let m = self.b.ins().imul_imm_s(l.i, size);
        let m = self.b.ins().iadd(mem, m);
        let ti = self.b.ins().iadd(row.row_off, l.i);
        self.move_element(row, m, ti)?;
        self.loop_end(l);
        Ok(())
    }

    /// One row of a strided access element by element (a run-time stride, or a lane
    /// mask). Without a lane mask the row's first and last live elements bound all of
    /// them, so one range check covers the row and the loop runs unchecked; if that
    /// check fails, a checked loop finds and reports the first bad element.
    fn element_row(&mut self, row: &Row) -> Result<()> {
        if row.lane_mask.is_some() || !self.checked {
            return self.element_loop(row, self.checked);
        }
        let (row_base, e_last) = (row.row_base, row.e_last);
        let any = self.b.ins().icmp_imm_s(IntCC::SignedGreaterThan, e_last, 0);
        let span = self.b.ins().iadd_imm_s(e_last, -1);
        let span = self.b.ins().imul(span, row.stride);
        let last = self.b.ins().iadd(row_base, span);
        let lo = self.b.ins().smin(row_base, last);
        let hi = self.b.ins().smax(row_base, last);
        let neg = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, lo, 0);
        let over = self.b.ins().icmp(IntCC::SignedGreaterThanOrEqual, hi, row.buf_len);
        let out_of = self.b.ins().bor(neg, over);
        let bad = self.b.ins().band(any, out_of);
        let (slow, fast, merge) =
            (self.b.create_block(), self.b.create_block(), self.b.create_block());
        self.b.ins().brif(bad, slow, &[], fast, &[]);
        self.b.switch_to_block(slow);
        self.element_loop(row, true)?;
        self.b.ins().jump(merge, &[]);
        self.b.switch_to_block(fast);
        self.element_loop(row, false)?;
        self.b.ins().jump(merge, &[]);
        self.b.switch_to_block(merge);
        Ok(())
    }

    /// The live lanes of one row, element by element, each range-checked if `check`.
    fn element_loop(&mut self, row: &Row, check: bool) -> Result<()> {
        let l = match row.lane_mask {
            None => self.dyn_loop_begin(row.e_last),
            Some(_) => self.loop_begin(row.width),
        };
        let ti = self.b.ins().iadd(row.row_off, l.i);
        let next = self.b.create_block();
        if let Some(m) = row.lane_mask {
            let live = self.b.ins().icmp(IntCC::SignedLessThan, l.i, row.e_last);
            let c = self.elem(m, ti)?;
            let live = self.b.ins().band(live, c);
            let yes = self.b.create_block();
            self.b.ins().brif(live, yes, &[], next, &[]);
            self.b.switch_to_block(yes);
        }
        let k = self.b.ins().imul(l.i, row.stride);
        let e = self.b.ins().iadd(row.row_base, k);
        if check {
            let bad = self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, e, row.buf_len);
            self.fail_if(bad, row.code, row.inst, row.buffer, e);
        }
        let scaled = self.b.ins().imul_imm_s(e, i64::from(byte_size(row.t)));
        let addr = self.b.ins().iadd(row.buf_base, scaled);
        self.move_element(row, addr, ti)?;
        self.b.ins().jump(next, &[]);
        self.b.switch_to_block(next);
        self.loop_end(l);
        Ok(())
    }

    /// Moves one element between buffer address `addr` and tile index `ti`: a load
    /// into the output tile, or a store of the stored value.
    fn move_element(&mut self, row: &Row, addr: Value, ti: Value) -> Result<()> {
        let unaligned = MemFlagsData::new().with_notrap();
        match row.value {
            None => {
                let x = self.b.ins().load(clif_type(row.t), unaligned, addr, 0);
                if let Some(o) = row.out {
                    self.store_elem(o, row.t, ti, x);
                }
            }
            Some(v) => {
                let x = self.elem(v, ti)?;
                self.b.ins().store(unaligned, x, addr, 0);
            }
        }
        Ok(())
    }

    /// A counted loop from 0 to the run-time `n`.
    fn dyn_loop_begin(&mut self, n: Value) -> LoopCtx {
        let zero = self.b.ins().iconst(types::I64, 0);
        self.dyn_loop_range(zero, n)
    }

    /// A counted loop from `from` to `to` (run-time values).
    fn dyn_loop_range(&mut self, from: Value, to: Value) -> LoopCtx {
        let header = self.b.create_block();
        let body = self.b.create_block();
        let exit = self.b.create_block();
        let i = self.b.append_block_param(header, types::I64);
        self.b.ins().jump(header, &args(&[from]));
        self.b.switch_to_block(header);
        let c = self.b.ins().icmp(IntCC::SignedLessThan, i, to);
        self.b.ins().brif(c, body, &[], exit, &[]);
        self.b.switch_to_block(body);
        LoopCtx { header, exit, i }
    }

    /// Runs `body` for lane `i` only where `mask` (if any) is true; returns the value
    /// computed there, or `dead` for a masked-off lane.
    fn lower_load(
        &mut self,
        inst: Inst,
        ptr: IrValue,
        mask: Option<IrValue>,
        other: Option<IrValue>,
    ) -> Result<()> {
        let f = self.f;
        let &[result] = f.insts[inst].results.as_slice() else { return Err(self.internal("load")) };
        let ty = self.ty(result);
        let t = self.scalar_type(result)?;
        let shape = shape_of(ty);
        let (buffer, off) = self.ptr(ptr)?;
        let rank0 = shape.is_empty();
        let o = if rank0 { self.alloc_shape(&[1], t)? } else { self.alloc(ty)? };
        let l = self.loop_begin(numel(&shape).max(1));
        let (dead, next) = self.lane_branch(mask, l.i)?;
        let e = self.off_elem(off, l.i);
        let addr = self.buffer_addr(inst, buffer, t, e, Status::LoadOutOfBounds);
        let x = self.b.ins().load(clif_type(t), self.flags, addr, 0);
        self.store_elem(o, t, l.i, x);
        self.b.ins().jump(next, &[]);
        self.b.switch_to_block(dead);
        let fill = match other {
            Some(v) => self.elem(v, l.i)?,
            None => scalar::constant(&mut self.b, zero_of(t)),
        };
        self.store_elem(o, t, l.i, fill);
        self.b.ins().jump(next, &[]);
        self.b.switch_to_block(next);
        self.loop_end(l);
        let loc = if rank0 {
            let zero = self.b.ins().iconst(types::I64, 0);
            Loc::Scalar(self.load_elem(o, t, zero))
        } else {
            Loc::Tile(o)
        };
        self.loc.insert(result, loc);
        Ok(())
    }

    fn lower_store(
        &mut self,
        inst: Inst,
        ptr: IrValue,
        value: IrValue,
        mask: Option<IrValue>,
    ) -> Result<()> {
        let t = self.scalar_type(value)?;
        let shape = shape_of(self.ty(value));
        let (buffer, off) = self.ptr(ptr)?;
        let l = self.loop_begin(numel(&shape).max(1));
        let (dead, next) = self.lane_branch(mask, l.i)?;
        let e = self.off_elem(off, l.i);
        let x = self.elem(value, l.i)?;
        let addr = self.buffer_addr(inst, buffer, t, e, Status::StoreOutOfBounds);
        self.b.ins().store(self.flags, x, addr, 0);
        self.b.ins().jump(next, &[]);
        // A masked-off lane of a store does nothing.
        self.b.switch_to_block(dead);
        self.b.ins().jump(next, &[]);
        self.b.switch_to_block(next);
        self.loop_end(l);
        Ok(())
    }

    fn lower_atomic(
        &mut self,
        inst: Inst,
        op: tessera_ir::AtomicOp,
        ptr: IrValue,
        value: IrValue,
        mask: Option<IrValue>,
    ) -> Result<()> {
        let f = self.f;
        let t = self.scalar_type(value)?;
        let shape = shape_of(self.ty(value));
        let rank0 = shape.is_empty();
        let (buffer, off) = self.ptr(ptr)?;
        let o = self.alloc_shape(&[numel(&shape).max(1)], t)?;
        let l = self.loop_begin(numel(&shape).max(1));
        let (dead, next) = self.lane_branch(mask, l.i)?;
        let e = self.off_elem(off, l.i);
        let x = self.elem(value, l.i)?;
        let addr = self.buffer_addr(inst, buffer, t, e, Status::AtomicOutOfBounds);
        // Compare-and-swap loop with the interpreter's update rule.
        let retry = self.b.create_block();
        let done = self.b.create_block();
        let ct = clif_type(t);
        let first = self.b.ins().load(ct, MemFlagsData::trusted(), addr, 0);
        self.b.ins().jump(retry, &args(&[first]));
        self.b.switch_to_block(retry);
        let old = self.b.append_block_param(retry, ct);
        let new = scalar::atomic_combine(&mut self.b, &self.h, op, t, old, x);
        let (old_bits, new_bits) = if ct.is_float() {
            let it = types::Type::int(ct.bits() as u16).unwrap_or(types::I32);
            (
                self.b.ins().bitcast(it, MemFlagsData::new(), old),
                self.b.ins().bitcast(it, MemFlagsData::new(), new),
            )
        } else {
            (old, new)
        };
        let seen = self.b.ins().atomic_cas(MemFlagsData::trusted(), addr, old_bits, new_bits);
        let same = self.b.ins().icmp(IntCC::Equal, seen, old_bits);
        let seen_v =
            if ct.is_float() { self.b.ins().bitcast(ct, MemFlagsData::new(), seen) } else { seen };
        self.b.ins().brif(same, done, &[], retry, &args(&[seen_v]));
        self.b.switch_to_block(done);
        self.store_elem(o, t, l.i, old);
        self.b.ins().jump(next, &[]);
        self.b.switch_to_block(dead);
        let z = scalar::constant(&mut self.b, zero_of(t));
        self.store_elem(o, t, l.i, z);
        self.b.ins().jump(next, &[]);
        self.b.switch_to_block(next);
        self.loop_end(l);
        if let Some(&r) = f.insts[inst].results.first() {
            let loc = if rank0 {
                let zero = self.b.ins().iconst(types::I64, 0);
                Loc::Scalar(self.load_elem(o, t, zero))
            } else {
                Loc::Tile(o)
            };
            self.loc.insert(r, loc);
        }
        Ok(())
    }

    fn lower_assert(&mut self, inst: Inst, cond: IrValue) -> Result<()> {
        let at = std::mem::offset_of!(InstanceRecord, flags) as i32;
        let flags = self.b.ins().load(types::I32, self.flags, self.err, at);
        let on = self.b.ins().band_imm_s(flags, 1);
        let check = self.b.create_block();
        let after = self.b.create_block();
        self.b.ins().brif(on, check, &[], after, &[]);
        self.b.switch_to_block(check);
        let n = numel(&shape_of(self.ty(cond))).max(1);
        let l = self.loop_begin(n);
        let c = self.elem(cond, l.i)?;
        let bad = self.b.ins().icmp_imm_s(IntCC::Equal, c, 0);
        self.fail_if(bad, Status::AssertFailed, inst, 0, l.i);
        self.loop_end(l);
        self.b.ins().jump(after, &[]);
        self.b.switch_to_block(after);
        Ok(())
    }

    // ----- control flow -----

    /// Binds the arguments `block_args` of a region to carried state: scalars to the
    /// Cranelift block parameters `params` (in order of the scalar positions), tiles to
    /// their places.
    fn bind(&mut self, block_args: &[IrValue], scalars: &[Value], places: &[Option<u32>]) {
        let mut s = scalars.iter();
        for (j, &a) in block_args.iter().enumerate() {
            match places.get(j).copied().flatten() {
                Some(o) => {
                    self.loc.insert(a, Loc::Tile(o));
                }
                None => {
                    if let Some(&v) = s.next() {
                        self.loc.insert(a, Loc::Scalar(v));
                    }
                }
            }
        }
    }

    /// The places of carried tiles (None for scalars).
    fn carried_places(&mut self, inst: Inst, values: &[IrValue]) -> Result<Vec<Option<u32>>> {
        let mut out = Vec::new();
        for &v in values {
            let ty = self.ty(v);
            if ty.elem.pointee().is_some() {
                return Err(
                    self.unsupported(Some(inst), "a pointer carried through a loop or `if`")
                );
            }
            out.push(if ty.shape.is_empty() { None } else { Some(self.alloc(ty)?) });
        }
        Ok(out)
    }

    /// Copies the tile values of `values` into `places`; returns the scalar values.
    fn deliver(&mut self, values: &[IrValue], places: &[Option<u32>]) -> Result<Vec<Value>> {
        let mut scalars = Vec::new();
        // Tiles first through temporaries when a place is also a source.
        let mut pending = Vec::new();
        for (&v, p) in values.iter().zip(places) {
            match p {
                Some(o) => {
                    let src = self.tile(v)?;
                    pending.push((self.ty(v), src, *o));
                }
                None => scalars.push(self.scalar(v)?),
            }
        }
        let sources: Vec<u32> = pending.iter().map(|&(_, s, _)| s).collect();
        let conflict = pending.iter().any(|&(_, s, d)| s != d && sources.contains(&d));
        if conflict {
            let mut temps = Vec::new();
            for &(ty, s, _) in &pending {
                let t = self.alloc(ty)?;
                self.copy_tile(ty, s, t)?;
                temps.push(t);
            }
            for (&(ty, _, d), &t) in pending.iter().zip(&temps) {
                self.copy_tile(ty, t, d)?;
            }
        } else {
            for &(ty, s, d) in &pending {
                self.copy_tile(ty, s, d)?;
            }
        }
        Ok(scalars)
    }

    fn scalar_types(&self, values: &[IrValue], places: &[Option<u32>]) -> Vec<types::Type> {
        values
            .iter()
            .zip(places)
            .filter(|(_, p)| p.is_none())
            .map(|(&v, _)| clif_type(self.ty(v).elem.scalar().unwrap_or(ScalarType::I64)))
            .collect()
    }

    fn lower_for(
        &mut self,
        inst: Inst,
        [lower, upper, step]: [IrValue; 3],
        inits: &[IrValue],
        body: IrBlock,
    ) -> Result<()> {
        let f = self.f;
        let ivt = self.scalar_type(lower)?;
        let (lo, hi, st) = (self.scalar(lower)?, self.scalar(upper)?, self.scalar(step)?);
        let st64 = scalar::cast(&mut self.b, &self.h, ivt, ScalarType::I64, st);
        let bad = self.b.ins().icmp_imm_s(IntCC::SignedLessThanOrEqual, st64, 0);
        self.fail_if(bad, Status::BadStep, inst, 0, st64);
        let places = self.carried_places(inst, inits)?;
        let init_scalars = self.deliver(inits, &places)?;
        let stypes = self.scalar_types(inits, &places);
        let header = self.b.create_block();
        let body_b = self.b.create_block();
        let exit = self.b.create_block();
        let iv = self.b.append_block_param(header, clif_type(ivt));
        let mut hparams = Vec::new();
        for &t in &stypes {
            hparams.push(self.b.append_block_param(header, t));
        }
        let mut eparams = Vec::new();
        for &t in &stypes {
            eparams.push(self.b.append_block_param(exit, t));
        }
        let mut first = vec![lo];
        first.extend(&init_scalars);
        self.b.ins().jump(header, &args(&first));
        self.b.switch_to_block(header);
        let cc =
            if ivt.is_unsigned_int() { IntCC::UnsignedLessThan } else { IntCC::SignedLessThan };
        let c = self.b.ins().icmp(cc, iv, hi);
        self.b.ins().brif(c, body_b, &[], exit, &args(&hparams));
        self.b.switch_to_block(body_b);
        let bargs = f.blocks[body].args.clone();
        self.loc.insert(bargs[0], Loc::Scalar(iv));
        self.bind(&bargs[1..], &hparams, &places);
        let yields = self.block(body, &[])?;
        let next_scalars = self.deliver(&yields, &places)?;
        let next_iv = self.b.ins().iadd(iv, st);
        let mut back = vec![next_iv];
        back.extend(next_scalars);
        self.b.ins().jump(header, &args(&back));
        self.b.switch_to_block(exit);
        let results = f.insts[inst].results.clone();
        self.bind(&results, &eparams, &places);
        Ok(())
    }

    fn lower_while(
        &mut self,
        inst: Inst,
        inits: &[IrValue],
        cond: IrBlock,
        body: IrBlock,
    ) -> Result<()> {
        let f = self.f;
        let places = self.carried_places(inst, inits)?;
        let init_scalars = self.deliver(inits, &places)?;
        let stypes = self.scalar_types(inits, &places);
        let header = self.b.create_block();
        let body_b = self.b.create_block();
        let exit = self.b.create_block();
        let mut hparams = Vec::new();
        let mut bparams = Vec::new();
        let mut eparams = Vec::new();
        for &t in &stypes {
            hparams.push(self.b.append_block_param(header, t));
            bparams.push(self.b.append_block_param(body_b, t));
            eparams.push(self.b.append_block_param(exit, t));
        }
        self.b.ins().jump(header, &args(&init_scalars));
        self.b.switch_to_block(header);
        let cargs = f.blocks[cond].args.clone();
        self.bind(&cargs, &hparams, &places);
        let c = self.block(cond, &[])?;
        let c = self.scalar(*c.first().ok_or_else(|| self.internal("while without condition"))?)?;
        self.b.ins().brif(c, body_b, &args(&hparams), exit, &args(&hparams));
        self.b.switch_to_block(body_b);
        let bargs = f.blocks[body].args.clone();
        self.bind(&bargs, &bparams, &places);
        let yields = self.block(body, &[])?;
        let next = self.deliver(&yields, &places)?;
        self.b.ins().jump(header, &args(&next));
        self.b.switch_to_block(exit);
        let results = f.insts[inst].results.clone();
        self.bind(&results, &eparams, &places);
        Ok(())
    }

    fn lower_if(
        &mut self,
        inst: Inst,
        cond: IrValue,
        then_b: IrBlock,
        else_b: IrBlock,
    ) -> Result<()> {
        let f = self.f;
        let results = f.insts[inst].results.clone();
        let places = self.carried_places(inst, &results)?;
        let stypes = self.scalar_types(&results, &places);
        let c = self.scalar(cond)?;
        let tb = self.b.create_block();
        let eb = self.b.create_block();
        let merge = self.b.create_block();
        let mut mparams = Vec::new();
        for &t in &stypes {
            mparams.push(self.b.append_block_param(merge, t));
        }
        self.b.ins().brif(c, tb, &[], eb, &[]);
        for (blk, irb) in [(tb, then_b), (eb, else_b)] {
            self.b.switch_to_block(blk);
            let ys = self.block(irb, &[])?;
            let sv = self.deliver(&ys, &places)?;
            self.b.ins().jump(merge, &args(&sv));
        }
        self.b.switch_to_block(merge);
        self.bind(&results, &mparams, &places);
        Ok(())
    }
}

/// The zero of `t`.
fn zero_of(t: ScalarType) -> Scalar {
    constant_scalar(tessera_ir::Constant::Int(0), t)
        .or_else(|_| constant_scalar(tessera_ir::Constant::Bool(false), t))
        .unwrap_or(Scalar::I64(0))
}

trait IndexU32 {
    fn index_u32(self) -> u32;
}

impl IndexU32 for Inst {
    fn index_u32(self) -> u32 {
        use tessera_ir::entity::EntityRef;
        self.index() as u32
    }
}

/// The instructions (and their blocks) whose generated code reads each value: every
/// operand of a side-effecting or demanded instruction, except a mask that a strided
/// access turns into extents (never read as data). Pure instructions that no target
/// code needs (addresses only strided accesses use) read nothing.
fn data_users(f: &Function, demand: &Demand) -> HashMap<IrValue, Vec<(Inst, IrBlock)>> {
    // Tiles nobody reads are not computed, so their own operands are not read either:
    // drop such instructions until none is left.
    let mut dead: HashSet<Inst> = HashSet::new();
    loop {
        let out = data_users_except(f, demand, &dead);
        let before = dead.len();
        for (_, data) in f.blocks.iter() {
            for &i in &data.insts {
                let inst = &f.insts[i];
                let unread_tile = inst.op.is_pure()
                    && !inst.results.is_empty()
                    && inst
                        .results
                        .iter()
                        .all(|r| !f.values[*r].ty.shape.is_empty() && !out.contains_key(r));
                if unread_tile {
                    dead.insert(i);
                }
            }
        }
        if dead.len() == before {
            return out;
        }
    }
}

/// [`data_users`] with the instructions in `dead` reading nothing.
fn data_users_except(
    f: &Function,
    demand: &Demand,
    dead: &HashSet<Inst>,
) -> HashMap<IrValue, Vec<(Inst, IrBlock)>> {
    let mut out: HashMap<IrValue, Vec<(Inst, IrBlock)>> = HashMap::new();
    for (b, data) in f.blocks.iter() {
        for &i in &data.insts {
            let inst = &f.insts[i];
            let pure_unused = !inst.results.is_empty()
                && inst.op.is_pure()
                && inst.results.iter().all(|r| !demand.demanded.contains(r));
            if pure_unused || dead.contains(&i) {
                continue;
            }
            // Only strided loads and stores turn a mask into extents (`strided`); the
            // mask operand alone is skipped (once: a store may also store the mask).
            let strided_access = matches!(inst.op, Op::Load { .. } | Op::Store { .. });
            let mut skipped = demand
                .plans
                .get(&i)
                .filter(|p| strided_access && matches!(p.addr, AddrPlan::Strided(_)))
                .filter(|p| !matches!(p.mask, MaskPlan::Tile(_)))
                .and_then(|p| p.mask_value);
            inst.op.for_each_operand(|v| {
                if skipped == Some(v) {
                    skipped = None;
                } else {
                    out.entry(v).or_default().push((i, b));
                }
            });
        }
    }
    out
}

/// The 16-byte vector type of elements of type `t`.
fn vector_of(t: ScalarType) -> Option<types::Type> {
    clif_type(t).by(16 / byte_size(t))
}
