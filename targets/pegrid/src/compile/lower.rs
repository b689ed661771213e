//! Tile IR → PE program: one forward walk over the kernel's structured IR.
//!
//! # Where values live
//! - Scalars computed from scalars (loop bounds, addresses, `program_id`, scalar
//!   parameters) live in registers of the control core (`s_op`), constants are
//!   immediates.
//! - Tiles, and scalars produced by an engine (a reduction, a scalar load), live in a
//!   CB of their own, pushed by the command that computes them and popped right after
//!   their last use in the block that defines them ([`Demand::uses`] decides what a use
//!   is). A control-core read of an engine scalar is an `s_op copy rN <- cbK`.
//! - Pointers are a buffer parameter plus, only when a gather/scatter needs them, a
//!   tile (or scalar) of `i64` element offsets.
//!
//! # Control flow
//! `for`, `while` and `if` become compare-and-branch code on the control core. Values
//! carried by a loop live in one slot per position (a register, or a CB of the tile's
//! size); a loop's results are those slots after the exit. Copies are avoided where
//! the IR allows: an init whose last use is the loop hands its CB over; a yielded
//! tile computed at the top level of the body is written straight into its slot —
//! pushed when the carried value is already dead, or updated in place (`Dst::Update`)
//! when the op computing it is the carried value's last use (`acc = dot(a, b, acc)`).
//!
//! # Program instances
//! Every PE runs a loop over the instances assigned to it: with a 1-D mapping PE `p`
//! (row-major in the sub-grid) runs instances `p, p + P, p + 2P, …` (waves); a kernel
//! that reads `program_id(1)` gets the 2-D mapping, where PE `(r, c)` runs the
//! instances `(r + i·rows, c + j·cols)`, so a PE row shares `program_id(0)` in every
//! wave and loads that do not depend on `program_id(1)` become row broadcasts (column
//! broadcasts symmetrically).

use std::collections::{HashMap, HashSet};

use tessera_ir::interp::constant_scalar;
use tessera_ir::{
    Block, ElemType, Function, Inst, Op as IrOp, ReduceOp, ScalarType, Type, Value, ValueDef,
};

use super::{CompileError, CompileOptions, Mapping, TileAlloc};
use crate::machine::Machine;
use crate::program::{
    BinaryOp, CbDecl, CbId, CmpPred, Command, DmaDesc, DmaMask, Dst, Engine, Group, Imm, IndexDesc,
    MemLevel, Op, Operand, Reg, Special, TileOp, MAX_RANK,
};
use tessera_passes::analysis::affine::EdgeBound;
use tessera_passes::analysis::demand::{AddrPlan, Demand, MaskPlan};
use tessera_passes::analysis::symexpr::{Atom, ScalarExpr};

type Result<T> = std::result::Result<T, CompileError>;

/// Where an IR value is in the program.
#[derive(Clone, Copy, Debug)]
enum VLoc {
    /// A scalar operand, or a CB holding the value in its front slot.
    Val(Operand),
    /// A pointer into buffer parameter `buffer`; `off` holds the element offsets when
    /// the program needs them.
    Ptr { buffer: u32, off: Option<Operand> },
}

/// Per-block bookkeeping for popping CBs.
struct BlockCtx {
    /// Values whose CB this block pops.
    owned: HashSet<Value>,
    /// Position of the last non-terminator use (nested uses count at the op owning them).
    last_use: HashMap<Value, usize>,
    /// Values the terminator reads.
    term_uses: HashSet<Value>,
    /// Owned values not to pop (their CB was handed over or updated in place).
    no_pop: HashSet<Value>,
    /// Registers copied from engine scalars in this block.
    sreg: HashMap<Value, Operand>,
    /// Address expressions already computed in this block, as `i64` operands.
    exprs: HashMap<ScalarExpr, Operand>,
}

pub(super) struct Lowerer<'a> {
    f: &'a Function,
    machine: &'a Machine,
    opts: &'a CompileOptions,
    demand: Demand,
    pub mapping: Mapping,
    pub code: Vec<Command>,
    pub cbs: Vec<CbDecl>,
    pub tiles: Vec<TileAlloc>,
    pub regs: u32,
    loc: HashMap<Value, VLoc>,
    ctx: Vec<BlockCtx>,
    /// Destination of a yielded value, decided before its block is lowered.
    home: HashMap<Value, Dst>,
    pid: [Operand; 3],
    /// The program ids as `i64`, when the instance loop computes them that way.
    pid64: [Option<Operand>; 3],
    loop_depth: u32,
    taint: HashMap<Value, u8>,
}

fn unsupported(f: &Function, inst: Option<Inst>, what: impl Into<String>) -> CompileError {
    let (line, col) = inst.map_or((0, 0), |i| {
        let l = f.loc(i);
        (l.line, l.col)
    });
    CompileError::Unsupported { kernel: f.name.clone(), line, col, what: what.into() }
}

fn internal(msg: impl Into<String>) -> CompileError {
    CompileError::Internal(msg.into())
}

fn shape64(ty: &Type) -> Vec<u64> {
    ty.shape.iter().map(|&d| u64::from(d)).collect()
}

fn is_64bit(t: ScalarType) -> bool {
    matches!(t, ScalarType::F64 | ScalarType::I64 | ScalarType::U64)
}

impl<'a> Lowerer<'a> {
    pub fn new(
        f: &'a Function,
        machine: &'a Machine,
        opts: &'a CompileOptions,
        demand: Demand,
    ) -> Lowerer<'a> {
        let uses_axis1 = f.insts.iter().any(|(_, d)| {
            matches!(d.op, IrOp::ProgramId { axis: 1 } | IrOp::NumPrograms { axis: 1 })
        });
        Lowerer {
            f,
            machine,
            opts,
            demand,
            mapping: if uses_axis1 { Mapping::Grid2d } else { Mapping::Linear },
            code: Vec::new(),
            cbs: Vec::new(),
            tiles: Vec::new(),
            regs: 0,
            loc: HashMap::new(),
            ctx: Vec::new(),
            home: HashMap::new(),
            pid: [Operand::Imm(Imm::i32(0)); 3],
            pid64: [None; 3],
            loop_depth: 0,
            taint: HashMap::new(),
        }
    }

    // ----- emission helpers -----

    fn emit(&mut self, op: Op) -> usize {
        self.code.push(Command::new(op));
        self.code.len() - 1
    }

    fn here(&self) -> u32 {
        self.code.len() as u32
    }

    fn patch(&mut self, at: usize, target: u32) {
        if let Some(Command { op: Op::Jump { target: t } | Op::Branch { target: t, .. }, .. }) =
            self.code.get_mut(at)
        {
            *t = target;
        }
    }

    fn new_reg(&mut self) -> Reg {
        self.regs += 1;
        Reg(self.regs - 1)
    }

    fn new_cb(&mut self, what: String, shape: &[u64], dtype: ScalarType, depth: u32) -> CbId {
        let elems: u64 = shape.iter().product();
        let slot_bytes = elems.saturating_mul(dtype.byte_size() as u64).max(1);
        self.cbs.push(CbDecl { slot_bytes, depth });
        let cb = CbId(self.cbs.len() as u32 - 1);
        self.tiles.push(TileAlloc { cb, what, shape: shape.to_vec(), dtype, slot_bytes, depth });
        cb
    }

    fn describe(&self, v: Value, inst: Option<Inst>) -> String {
        match inst {
            Some(i) => {
                let l = self.f.loc(i);
                let name = format!("{:?}", self.f.insts[i].op);
                let name = name.split([' ', '{', '(']).next().unwrap_or("op").to_lowercase();
                if l.line > 0 {
                    format!("{v} = {name} @{}:{}", l.line, l.col)
                } else {
                    format!("{v} = {name}")
                }
            }
            None => format!("{v}"),
        }
    }

    /// `dst = op(inputs)` on the control core.
    fn s_op(&mut self, op: TileOp, dtype: ScalarType, inputs: Vec<Operand>) -> Operand {
        let dst = self.new_reg();
        self.emit(Op::Scalar { op, dtype, dst, inputs });
        Operand::Reg(dst)
    }

    fn s_into(&mut self, dst: Reg, op: TileOp, dtype: ScalarType, inputs: Vec<Operand>) {
        self.emit(Op::Scalar { op, dtype, dst, inputs });
    }

    fn tile(
        &mut self,
        engine: Engine,
        op: TileOp,
        out: Dst,
        ty: (&[u64], ScalarType),
        inputs: Vec<Operand>,
    ) {
        self.emit(Op::Tile { engine, op, out, shape: ty.0.to_vec(), dtype: ty.1, inputs });
    }

    fn pop(&mut self, cb: CbId) {
        self.emit(Op::Pop { cb });
    }

    fn val(&self, v: Value) -> Result<Operand> {
        match self.loc.get(&v) {
            Some(VLoc::Val(o)) => Ok(*o),
            Some(VLoc::Ptr { .. }) => Err(internal(format!("{v} is a pointer"))),
            None => Err(internal(format!("{v} has no location"))),
        }
    }

    /// `v` as a scalar operand the control core can read (copying an engine scalar).
    fn scalar(&mut self, v: Value) -> Result<Operand> {
        let o = self.val(v)?;
        let Operand::Cb(_) = o else { return Ok(o) };
        for c in self.ctx.iter().rev() {
            if let Some(&r) = c.sreg.get(&v) {
                return Ok(r);
            }
        }
        let dtype = self.dtype(v)?;
        let r = self.s_op(TileOp::Copy, dtype, vec![o]);
        if let Some(c) = self.ctx.last_mut() {
            c.sreg.insert(v, r);
        }
        Ok(r)
    }

    fn ty(&self, v: Value) -> &'a Type {
        &self.f.values[v].ty
    }

    fn dtype(&self, v: Value) -> Result<ScalarType> {
        self.ty(v).elem.scalar().ok_or_else(|| internal(format!("{v} is not a scalar type")))
    }

    /// A scalar operand converted to `i64`.
    fn cast_i64(&mut self, o: Operand, from: ScalarType) -> Operand {
        if from == ScalarType::I64 {
            return o;
        }
        if let Operand::Imm(imm) = o {
            if let Some(v) = imm.to_scalar().and_then(scalar_to_i64) {
                return Operand::Imm(Imm::i64(v));
            }
        }
        self.s_op(TileOp::Cast, ScalarType::I64, vec![o])
    }

    /// An `i32` operand (the type of program ids and PE registers) as `i64`.
    fn i64_of_i32(&mut self, o: Operand) -> Operand {
        self.cast_i64(o, ScalarType::I32)
    }

    // ----- symbolic address expressions -----

    fn atom(&mut self, a: Atom) -> Result<Operand> {
        Ok(match a {
            Atom::Param(i) => {
                let dtype = self.dtype(self.f.params()[i])?;
                self.cast_i64(Operand::Param(i as u32), dtype)
            }
            Atom::ProgramId(axis) => match self.pid64[axis as usize] {
                Some(p) => p,
                None => self.i64_of_i32(self.pid[axis as usize]),
            },
            Atom::NumPrograms(axis) => self.i64_of_i32(Operand::Special(Special::Grid(axis))),
            Atom::LoopVar(v) | Atom::Opaque(v) => {
                let dtype = self.dtype(v)?;
                let o = self.scalar(v)?;
                self.cast_i64(o, dtype)
            }
        })
    }

    /// Materializes `e` as an `i64` operand, reusing a computation of the same
    /// expression earlier in this block or an enclosing one.
    fn expr(&mut self, e: &ScalarExpr) -> Result<Operand> {
        if let Some(c) = e.as_constant() {
            return Ok(Operand::Imm(Imm::i64(c)));
        }
        for c in self.ctx.iter().rev() {
            if let Some(&o) = c.exprs.get(e) {
                return Ok(o);
            }
        }
        let o = self.expr_uncached(e)?;
        if let Some(c) = self.ctx.last_mut() {
            c.exprs.insert(e.clone(), o);
        }
        Ok(o)
    }

    fn expr_uncached(&mut self, e: &ScalarExpr) -> Result<Operand> {
        if let Some(a) = e.as_atom() {
            return self.atom(a);
        }
        let terms: Vec<(Vec<Atom>, i64)> = e.terms().map(|(f, c)| (f.to_vec(), c)).collect();
        let mut acc: Option<Operand> = None;
        for (factors, coeff) in terms {
            let mut term: Option<Operand> = None;
            for a in factors {
                let x = self.expr(&ScalarExpr::atom(a))?;
                term = Some(match term {
                    None => x,
                    Some(t) => {
                        self.s_op(TileOp::Binary(BinaryOp::Mul), ScalarType::I64, vec![t, x])
                    }
                });
            }
            let c = Operand::Imm(Imm::i64(coeff));
            let term = match term {
                None => c,
                Some(t) if coeff == 1 => t,
                Some(t) => self.s_op(TileOp::Binary(BinaryOp::Mul), ScalarType::I64, vec![t, c]),
            };
            acc = Some(match acc {
                None => term,
                Some(a) => self.s_op(TileOp::Binary(BinaryOp::Add), ScalarType::I64, vec![a, term]),
            });
        }
        Ok(acc.unwrap_or(Operand::Imm(Imm::i64(0))))
    }

    /// Which program-id axes (bit per axis) `v` may depend on.
    fn pid_deps(&mut self, v: Value) -> u8 {
        if let Some(&t) = self.taint.get(&v) {
            return t;
        }
        self.taint.insert(v, 0b111); // conservative while recursing
        let t = match self.f.values[v].def {
            ValueDef::Result(inst, _) => match &self.f.insts[inst].op {
                IrOp::ProgramId { axis } => 1 << axis,
                op if op.is_pure() => {
                    op.operands().into_iter().fold(0, |acc, o| acc | self.pid_deps(o))
                }
                _ => 0b111,
            },
            ValueDef::BlockArg(block, index) => {
                if block == self.f.body {
                    0
                } else if index == 0 {
                    // A `for` induction variable depends on the loop's bounds.
                    self.for_of_body(block).map_or(0b111, |inst| match &self.f.insts[inst].op {
                        IrOp::For { lower, upper, step, .. } => {
                            let (l, u, s) = (*lower, *upper, *step);
                            self.pid_deps(l) | self.pid_deps(u) | self.pid_deps(s)
                        }
                        _ => 0b111,
                    })
                } else {
                    0b111
                }
            }
        };
        self.taint.insert(v, t);
        t
    }

    fn for_of_body(&self, block: Block) -> Option<Inst> {
        self.f.insts.iter().find_map(|(i, d)| match &d.op {
            IrOp::For { body, .. } if *body == block => Some(i),
            _ => None,
        })
    }

    fn expr_deps(&mut self, e: &ScalarExpr) -> u8 {
        let atoms: Vec<Atom> = e.terms().flat_map(|(f, _)| f.to_vec()).collect();
        atoms.into_iter().fold(0, |acc, a| {
            acc | match a {
                Atom::Param(_) | Atom::NumPrograms(_) => 0,
                Atom::ProgramId(axis) => 1 << axis,
                Atom::LoopVar(v) | Atom::Opaque(v) => self.pid_deps(v),
            }
        })
    }

    // ----- the kernel -----

    pub fn lower_kernel(&mut self) -> Result<()> {
        let f = self.f;
        for (i, &p) in f.params().iter().enumerate() {
            let loc = match f.values[p].ty.elem {
                ElemType::Ptr(_) => {
                    VLoc::Ptr { buffer: i as u32, off: Some(Operand::Imm(Imm::i64(0))) }
                }
                ElemType::Scalar(_) => VLoc::Val(Operand::Param(i as u32)),
            };
            self.loc.insert(p, loc);
        }
        match self.mapping {
            Mapping::Linear => self.linear_instances(),
            Mapping::Grid2d => self.grid2d_instances(),
        }
    }

    fn body(&mut self) -> Result<()> {
        let body = self.f.body;
        self.lower_block(body, false, None).map(|_| ())
    }

    /// PE `p` runs instances `p, p + P, …` of the flattened grid.
    fn linear_instances(&mut self) -> Result<()> {
        use Special::*;
        let (i64t, i32t) = (ScalarType::I64, ScalarType::I32);
        let [row, col, rows, cols] =
            [PeRow, PeCol, PeRows, PeCols].map(|s| self.i64_of_i32(Operand::Special(s)));
        let mul = TileOp::Binary(BinaryOp::Mul);
        let add = TileOp::Binary(BinaryOp::Add);
        let base = self.s_op(mul.clone(), i64t, vec![row, cols]);
        let inst = self.new_reg();
        self.s_into(inst, add.clone(), i64t, vec![base, col]);
        let npes = self.s_op(mul.clone(), i64t, vec![rows, cols]);
        let [g0, g1, g2] = [0, 1, 2].map(|a| self.i64_of_i32(Operand::Special(Grid(a))));
        let g01 = self.s_op(mul.clone(), i64t, vec![g0, g1]);
        let total = self.s_op(mul, i64t, vec![g01, g2]);
        let head = self.here();
        let c =
            self.s_op(TileOp::Cmp(CmpPred::Lt), ScalarType::Bool, vec![Operand::Reg(inst), total]);
        let exit = self.emit(Op::Branch { cond: c, when: false, target: 0 });
        let rem = TileOp::Binary(BinaryOp::Rem);
        let div = TileOp::Binary(BinaryOp::Div);
        let p0 = self.s_op(rem.clone(), i64t, vec![Operand::Reg(inst), g0]);
        let t = self.s_op(div.clone(), i64t, vec![Operand::Reg(inst), g0]);
        let p1 = self.s_op(rem, i64t, vec![t, g1]);
        let p2 = self.s_op(div, i64t, vec![t, g1]);
        self.pid = [p0, p1, p2].map(|p| self.s_op(TileOp::Cast, i32t, vec![p]));
        self.pid64 = [Some(p0), Some(p1), Some(p2)];
        self.body()?;
        self.s_into(inst, add, i64t, vec![Operand::Reg(inst), npes]);
        self.emit(Op::Jump { target: head });
        let end = self.here();
        self.patch(exit, end);
        Ok(())
    }

    /// PE `(r, c)` runs instances `(r + i·rows, c + j·cols, z)`.
    fn grid2d_instances(&mut self) -> Result<()> {
        use Special::*;
        let i32t = ScalarType::I32;
        let add = TileOp::Binary(BinaryOp::Add);
        let lt = TileOp::Cmp(CmpPred::Lt);
        let [p0, p1, p2] = [self.new_reg(), self.new_reg(), self.new_reg()];
        self.pid = [p0, p1, p2].map(Operand::Reg);
        self.s_into(p2, TileOp::Copy, i32t, vec![Operand::Imm(Imm::i32(0))]);
        let head2 = self.here();
        let c2 = self.s_op(
            lt.clone(),
            ScalarType::Bool,
            vec![Operand::Reg(p2), Operand::Special(Grid(2))],
        );
        let exit2 = self.emit(Op::Branch { cond: c2, when: false, target: 0 });
        self.s_into(p0, TileOp::Copy, i32t, vec![Operand::Special(PeRow)]);
        let head0 = self.here();
        let c0 = self.s_op(
            lt.clone(),
            ScalarType::Bool,
            vec![Operand::Reg(p0), Operand::Special(Grid(0))],
        );
        let exit0 = self.emit(Op::Branch { cond: c0, when: false, target: 0 });
        self.s_into(p1, TileOp::Copy, i32t, vec![Operand::Special(PeCol)]);
        let head1 = self.here();
        let c1 = self.s_op(lt, ScalarType::Bool, vec![Operand::Reg(p1), Operand::Special(Grid(1))]);
        let exit1 = self.emit(Op::Branch { cond: c1, when: false, target: 0 });
        self.body()?;
        self.s_into(p1, add.clone(), i32t, vec![Operand::Reg(p1), Operand::Special(PeCols)]);
        self.emit(Op::Jump { target: head1 });
        let next0 = self.here();
        self.patch(exit1, next0);
        self.s_into(p0, add.clone(), i32t, vec![Operand::Reg(p0), Operand::Special(PeRows)]);
        self.emit(Op::Jump { target: head0 });
        let next2 = self.here();
        self.patch(exit0, next2);
        self.s_into(p2, add, i32t, vec![Operand::Reg(p2), Operand::Imm(Imm::i32(1))]);
        self.emit(Op::Jump { target: head2 });
        let end = self.here();
        self.patch(exit2, end);
        Ok(())
    }

    // ----- blocks -----

    /// Lowers `block`, whose arguments already have locations. `pop_args`: whether the
    /// block owns (pops) its arguments' CBs. `dests`: where a `yield` puts its values
    /// (with `args` the carried values when the block is a loop body). Returns the
    /// operand of a `condition` terminator.
    fn lower_block(
        &mut self,
        block: Block,
        pop_args: bool,
        dests: Option<(&[Operand], bool)>,
    ) -> Result<Option<Operand>> {
        let f = self.f;
        let data = &f.blocks[block];
        let Some((&term, body)) = data.insts.split_last() else {
            return Err(internal(format!("{block} has no terminator")));
        };
        let mut ctx = BlockCtx {
            owned: HashSet::new(),
            last_use: HashMap::new(),
            term_uses: self.demand.uses(f, term).into_iter().collect(),
            no_pop: HashSet::new(),
            sreg: HashMap::new(),
            exprs: HashMap::new(),
        };
        if pop_args {
            ctx.owned.extend(data.args.iter().copied());
        }
        for (pos, &inst) in body.iter().enumerate() {
            let mut used: HashSet<Value> = self.demand.uses(f, inst).into_iter().collect();
            for b in f.insts[inst].op.blocks() {
                self.demand.nested_uses(f, b, &mut used);
            }
            for v in used {
                ctx.last_use.insert(v, pos);
            }
            ctx.owned.extend(f.insts[inst].results.iter().copied());
        }
        // Homes for yielded tiles.
        let is_loop_body = matches!(dests, Some((_, true)));
        if let (Some((dests, _)), IrOp::Yield { values }) = (dests, &f.insts[term].op) {
            self.plan_homes(block, body, values, dests, is_loop_body, &mut ctx);
        }
        self.ctx.push(ctx);
        // Arguments nobody reads.
        if pop_args {
            for &a in &data.args {
                self.pop_if_dead(a, None);
            }
        }
        for (pos, &inst) in body.iter().enumerate() {
            self.lower_inst(inst)?;
            for &r in &f.insts[inst].results {
                self.pop_if_dead(r, None);
            }
            self.pop_dead_at(pos);
        }
        let out = match &f.insts[term].op {
            IrOp::Yield { values } => {
                let (dests, loop_body) = dests.ok_or_else(|| internal("a yield without slots"))?;
                let args: &[Value] = if loop_body { &data.args } else { &[] };
                self.yield_moves(values, dests, args)?;
                None
            }
            IrOp::Condition { cond } => {
                let c = self.scalar(*cond)?;
                self.pop_remaining(&[])?;
                Some(c)
            }
            IrOp::Return { values } if values.is_empty() && block == f.body => {
                self.pop_remaining(&[])?;
                None
            }
            _ => return Err(unsupported(f, Some(term), "an early `return`")),
        };
        self.ctx.pop();
        Ok(out)
    }

    /// Pops `v` now if it is owned here and never read.
    fn pop_if_dead(&mut self, v: Value, _at: Option<usize>) {
        let Some(c) = self.ctx.last() else { return };
        if c.owned.contains(&v)
            && !c.last_use.contains_key(&v)
            && !c.term_uses.contains(&v)
            && !c.no_pop.contains(&v)
        {
            self.pop_value(v);
        }
    }

    fn pop_value(&mut self, v: Value) {
        match self.loc.get(&v) {
            Some(VLoc::Val(Operand::Cb(cb)))
            | Some(VLoc::Ptr { off: Some(Operand::Cb(cb)), .. }) => {
                let cb = *cb;
                self.pop(cb);
            }
            _ => {}
        }
    }

    /// Pops the owned values whose last use is `pos`.
    fn pop_dead_at(&mut self, pos: usize) {
        let Some(c) = self.ctx.last() else { return };
        let mut dead: Vec<Value> = c
            .last_use
            .iter()
            .filter(|(v, &p)| {
                p == pos && c.owned.contains(v) && !c.term_uses.contains(v) && !c.no_pop.contains(v)
            })
            .map(|(v, _)| *v)
            .collect();
        dead.sort();
        for v in dead {
            self.pop_value(v);
        }
    }

    /// At the terminator: pops every owned value still holding a CB, except `keep`.
    fn pop_remaining(&mut self, keep: &[Value]) -> Result<()> {
        let Some(c) = self.ctx.last() else { return Ok(()) };
        let mut live: Vec<Value> = c
            .term_uses
            .iter()
            .filter(|v| c.owned.contains(v) && !c.no_pop.contains(v) && !keep.contains(v))
            .copied()
            .collect();
        live.sort();
        for v in live {
            self.pop_value(v);
        }
        Ok(())
    }

    /// Decides which yielded tiles are computed straight into their destination slot.
    fn plan_homes(
        &mut self,
        block: Block,
        body: &[Inst],
        values: &[Value],
        dests: &[Operand],
        loop_body: bool,
        ctx: &mut BlockCtx,
    ) {
        let f = self.f;
        let args = &f.blocks[block].args;
        // Loop bodies carry the induction variable first.
        let carried: &[Value] = if loop_body && args.len() == values.len() + 1 {
            &args[1..]
        } else if loop_body {
            args
        } else {
            &[]
        };
        let yielded_args = values.iter().any(|v| carried.contains(v));
        for (j, (&y, &dest)) in values.iter().zip(dests).enumerate() {
            let Operand::Cb(dcb) = dest else { continue };
            if values.iter().filter(|&&v| v == y).count() != 1 {
                continue;
            }
            let ValueDef::Result(def, _) = f.values[y].def else { continue };
            let Some(pos) = body.iter().position(|&i| i == def) else { continue };
            let op = &f.insts[def].op;
            let is_load = matches!(op, IrOp::Load { .. });
            if !(op.is_pure() || is_load)
                || self.ty(y).elem.scalar().is_none()
                || self.ty(y).shape.is_empty()
            {
                continue;
            }
            if !loop_body {
                self.home.insert(y, Dst::Push(dcb));
                continue;
            }
            if yielded_args {
                continue;
            }
            let Some(&arg) = carried.get(j) else { continue };
            if ctx.term_uses.contains(&arg) {
                continue;
            }
            match ctx.last_use.get(&arg) {
                None => {
                    self.home.insert(y, Dst::Push(dcb));
                }
                Some(&l) if l < pos => {
                    self.home.insert(y, Dst::Push(dcb));
                }
                Some(&l) if l == pos && op.is_pure() => {
                    self.home.insert(y, Dst::Update(dcb));
                    ctx.no_pop.insert(arg);
                }
                _ => {}
            }
        }
    }

    /// Moves yielded values into their slots (through temporaries when a carried value
    /// is yielded at another position), then frees what the block still owns.
    fn yield_moves(&mut self, values: &[Value], dests: &[Operand], args: &[Value]) -> Result<()> {
        let carried: &[Value] = if args.len() == values.len() + 1 { &args[1..] } else { args };
        let mut moves: Vec<(usize, Value)> = Vec::new();
        for (j, &y) in values.iter().enumerate() {
            if carried.get(j) == Some(&y) {
                continue;
            }
            if let Some(VLoc::Val(o)) = self.loc.get(&y) {
                if *o == dests[j] {
                    continue; // homed
                }
            }
            moves.push((j, y));
        }
        let conflict = moves.iter().any(|(_, y)| carried.contains(y));
        let mut keep: Vec<Value> = Vec::new();
        for (j, &y) in values.iter().enumerate() {
            if carried.get(j) == Some(&y)
                || matches!(self.loc.get(&y), Some(VLoc::Val(o)) if *o == dests[j])
            {
                keep.push(y);
            }
        }
        if !conflict {
            for &(j, y) in &moves {
                self.move_into(y, dests[j])?;
            }
            return self.pop_remaining(&keep);
        }
        // Parallel copy: sources to temporaries, free the block's values, then slots.
        let mut temps = Vec::new();
        for &(j, y) in &moves {
            let t = match dests[j] {
                Operand::Cb(_) => {
                    let ty = self.ty(y);
                    let (shape, dtype) = (shape64(ty), self.dtype(y)?);
                    let cb = self.new_cb(format!("yield temp of {y}"), &shape, dtype, 1);
                    let src = self.val(y)?;
                    self.fill(Dst::Push(cb), src, &shape, dtype);
                    Operand::Cb(cb)
                }
                _ => {
                    let src = self.scalar(y)?;
                    let dtype = self.dtype(y)?;
                    self.s_op(TileOp::Copy, dtype, vec![src])
                }
            };
            temps.push((j, y, t));
        }
        self.pop_remaining(&keep)?;
        for (j, y, t) in temps {
            match (t, dests[j]) {
                (Operand::Cb(tcb), Operand::Cb(dcb)) => {
                    let (shape, dtype) = (shape64(self.ty(y)), self.dtype(y)?);
                    self.tile(Engine::Mlu, TileOp::Copy, Dst::Push(dcb), (&shape, dtype), vec![t]);
                    self.pop(tcb);
                }
                (_, Operand::Reg(r)) => {
                    let dtype = self.dtype(y)?;
                    self.s_into(r, TileOp::Copy, dtype, vec![t]);
                }
                _ => return Err(internal("bad yield temporary")),
            }
        }
        Ok(())
    }

    /// Copies value `y` into the empty slot `dest` (a CB) or register `dest`.
    fn move_into(&mut self, y: Value, dest: Operand) -> Result<()> {
        match dest {
            Operand::Cb(cb) => {
                let (shape, dtype) = (shape64(self.ty(y)), self.dtype(y)?);
                let src = self.val(y)?;
                self.fill(Dst::Push(cb), src, &shape, dtype);
            }
            Operand::Reg(r) => {
                let src = self.scalar(y)?;
                let dtype = self.dtype(y)?;
                self.s_into(r, TileOp::Copy, dtype, vec![src]);
            }
            _ => return Err(internal("a slot is neither a CB nor a register")),
        }
        Ok(())
    }

    /// One slot per carried value: a register for scalars, a CB for tiles. An init in
    /// a CB whose last use is this loop hands its CB over.
    fn carried_slots(&mut self, inst: Inst, inits: &[Value]) -> Result<Vec<Operand>> {
        let f = self.f;
        let mut nested = HashSet::new();
        for b in f.insts[inst].op.blocks() {
            self.demand.nested_uses(f, b, &mut nested);
        }
        let mut slots = Vec::new();
        for (j, &init) in inits.iter().enumerate() {
            let ty = self.ty(init);
            if ty.elem.scalar().is_none() {
                return Err(unsupported(f, Some(inst), "a pointer carried through a loop"));
            }
            let dtype = self.dtype(init)?;
            if ty.shape.is_empty() {
                let src = self.scalar(init)?;
                let r = self.new_reg();
                self.s_into(r, TileOp::Copy, dtype, vec![src]);
                slots.push(Operand::Reg(r));
                continue;
            }
            let src = self.val(init)?;
            let ctx = self.ctx.last();
            let pos = f.blocks.iter().find_map(|(_, b)| b.insts.iter().position(|&i| i == inst));
            let can_take = matches!(src, Operand::Cb(_))
                && ctx.is_some_and(|c| {
                    c.owned.contains(&init)
                        && !c.no_pop.contains(&init)
                        && !c.term_uses.contains(&init)
                        && c.last_use.get(&init).copied() == pos
                })
                && inits.iter().filter(|&&v| v == init).count() == 1
                && !nested.contains(&init)
                && !inits[..j].contains(&init);
            if can_take {
                if let Some(c) = self.ctx.last_mut() {
                    c.no_pop.insert(init);
                }
                slots.push(src);
            } else {
                let shape = shape64(ty);
                let cb = self.new_cb(format!("loop-carried copy of {init}"), &shape, dtype, 1);
                self.fill(Dst::Push(cb), src, &shape, dtype);
                slots.push(Operand::Cb(cb));
            }
        }
        Ok(slots)
    }

    // ----- instructions -----

    fn lower_inst(&mut self, inst: Inst) -> Result<()> {
        let f = self.f;
        let data = &f.insts[inst];
        let op = &data.op;
        match op {
            IrOp::For { lower, upper, step, inits, body } => {
                self.lower_for(inst, [*lower, *upper, *step], inits, *body)
            }
            IrOp::While { inits, cond, body } => self.lower_while(inst, inits, *cond, *body),
            IrOp::If { cond, then_block, else_block } => {
                self.lower_if(inst, *cond, *then_block, *else_block)
            }
            IrOp::Load { .. } => self.lower_load(inst),
            IrOp::Store { ptr, value, .. } => self.lower_store(inst, *ptr, *value),
            IrOp::Atomic { op, ptr, value, .. } => self.lower_atomic(inst, *op, *ptr, *value),
            IrOp::Assert { cond, message } => {
                let c = self.val(*cond)?;
                let l = f.loc(inst);
                let message = format!("{}:{}:{}: {message}", f.name, l.line, l.col);
                self.emit(Op::Assert { cond: c, message });
                Ok(())
            }
            IrOp::Call { callee, .. } => {
                Err(unsupported(f, Some(inst), format!("a call of `{callee}` (inline it first)")))
            }
            IrOp::Yield { .. } | IrOp::Condition { .. } | IrOp::Return { .. } => {
                Err(internal("a terminator in the middle of a block"))
            }
            _ => {
                let &[result] = data.results.as_slice() else {
                    return Err(internal("a pure op without one result"));
                };
                if !self.demand.demanded.contains(&result) {
                    return Ok(());
                }
                if self.ty(result).shape.len() > MAX_RANK {
                    return Err(unsupported(
                        f,
                        Some(inst),
                        format!("a tile of rank above {MAX_RANK}"),
                    ));
                }
                if self.ty(result).elem.pointee().is_some() {
                    return self.lower_ptr_op(inst, result);
                }
                self.lower_pure(inst, result)
            }
        }
    }

    fn lower_pure(&mut self, inst: Inst, result: Value) -> Result<()> {
        let f = self.f;
        let op = &f.insts[inst].op;
        let ty = self.ty(result);
        let dtype = self.dtype(result)?;
        let shape = shape64(ty);
        // A tile whose lanes all hold one scalar stays that scalar ("uniform") until a
        // consumer needs it in local memory.
        let uniform = match op {
            IrOp::Const { value } => {
                let s = constant_scalar(*value, dtype).map_err(internal)?;
                Some(Operand::Imm(Imm::from_scalar(s)))
            }
            IrOp::ProgramId { axis } => Some(self.pid[*axis as usize]),
            IrOp::NumPrograms { axis } => Some(Operand::Special(Special::Grid(*axis))),
            IrOp::Splat { value: v }
            | IrOp::ExpandDims { arg: v, .. }
            | IrOp::Broadcast { arg: v }
            | IrOp::Reshape { arg: v }
            | IrOp::Trans { arg: v, .. } => Some(self.val(*v)?).filter(|o| o.is_scalar()),
            _ => None,
        };
        if let Some(o) = uniform {
            return self.bind_uniform(result, inst, o, &shape, dtype);
        }
        let (tile_op, engine) = self.tile_op(inst, op, dtype)?;
        let elementwise = matches!(
            tile_op,
            TileOp::Unary(_)
                | TileOp::Binary(_)
                | TileOp::Cmp(_)
                | TileOp::Select
                | TileOp::Cast
                | TileOp::Fma
        );
        let inputs: Vec<Operand> =
            op.operands().iter().map(|&v| self.val(v)).collect::<Result<_>>()?;
        if elementwise && inputs.iter().all(|o| o.is_scalar()) {
            let r = self.s_op(tile_op, dtype, inputs);
            return self.bind_uniform(result, inst, r, &shape, dtype);
        }
        // Non-elementwise engines read every input from local memory.
        let mut temps = Vec::new();
        let mut ins = Vec::with_capacity(inputs.len());
        for (&v, o) in op.operands().iter().zip(inputs) {
            ins.push(if elementwise || matches!(tile_op, TileOp::Splat) {
                o
            } else {
                self.tile_in(v, o, &mut temps)?
            });
        }
        let out = self.out_dst(result, inst, &shape, dtype);
        self.tile(engine, tile_op, out, (&shape, dtype), ins);
        for t in temps {
            self.pop(t);
        }
        self.loc.insert(result, VLoc::Val(Operand::Cb(out.cb())));
        Ok(())
    }

    /// Binds a value all of whose lanes are the scalar `o`; a value with a planned home
    /// CB is written there after all.
    fn bind_uniform(
        &mut self,
        result: Value,
        inst: Inst,
        o: Operand,
        shape: &[u64],
        dtype: ScalarType,
    ) -> Result<()> {
        if shape.is_empty() || !self.home.contains_key(&result) {
            self.loc.insert(result, VLoc::Val(o));
            return Ok(());
        }
        let out = self.out_dst(result, inst, shape, dtype);
        self.fill(out, o, shape, dtype);
        self.loc.insert(result, VLoc::Val(Operand::Cb(out.cb())));
        Ok(())
    }

    /// Writes `src` (a CB tile, or a scalar for every lane) to `out`.
    fn fill(&mut self, out: Dst, src: Operand, shape: &[u64], dtype: ScalarType) {
        if src.is_scalar() {
            let engine = if is_64bit(dtype) { Engine::Vec } else { Engine::Se };
            self.tile(engine, TileOp::Splat, out, (shape, dtype), vec![src]);
        } else {
            self.tile(Engine::Mlu, TileOp::Copy, out, (shape, dtype), vec![src]);
        }
    }

    /// [`Self::tile_in`], as the CB.
    fn cb_in(&mut self, v: Value, o: Operand, temps: &mut Vec<CbId>) -> Result<CbId> {
        match self.tile_in(v, o, temps)? {
            Operand::Cb(cb) => Ok(cb),
            _ => Err(internal("a value not placed in local memory")),
        }
    }

    /// The operand `o` of value `v` in local memory: a scalar, or a tile all of whose
    /// lanes are one scalar, is splatted into a temporary CB (pushed onto `temps` for
    /// the caller to pop).
    fn tile_in(&mut self, v: Value, o: Operand, temps: &mut Vec<CbId>) -> Result<Operand> {
        let ty = self.ty(v);
        if !o.is_scalar() {
            return Ok(o);
        }
        let (shape, dtype) = (shape64(ty), self.dtype(v)?);
        let what = if shape.is_empty() { "scalar" } else { "uniform tile" };
        let cb = self.new_cb(format!("{v} ({what}) in local memory"), &shape, dtype, 1);
        self.fill(Dst::Push(cb), o, &shape, dtype);
        temps.push(cb);
        Ok(Operand::Cb(cb))
    }

    /// The destination of a computed tile: its planned home, or a new CB.
    fn out_dst(&mut self, result: Value, inst: Inst, shape: &[u64], dtype: ScalarType) -> Dst {
        if let Some(d) = self.home.remove(&result) {
            return d;
        }
        let what = self.describe(result, Some(inst));
        Dst::Push(self.new_cb(what, shape, dtype, 1))
    }

    /// The PE op for a pure IR op, and the engine that runs it.
    fn tile_op(&self, inst: Inst, op: &IrOp, dtype: ScalarType) -> Result<(TileOp, Engine)> {
        let f = self.f;
        let operand_dtype = |i: usize| {
            op.operands().get(i).and_then(|&v| self.ty(v).elem.scalar()).unwrap_or(dtype)
        };
        let elementwise = |t: TileOp| {
            let wide = is_64bit(dtype) || is_64bit(operand_dtype(0)) || is_64bit(operand_dtype(1));
            (t, if wide { Engine::Vec } else { Engine::Se })
        };
        Ok(match op {
            IrOp::Arange { start, end } => {
                (TileOp::Arange { start: *start, end: *end }, Engine::Se)
            }
            IrOp::Splat { .. } => elementwise(TileOp::Splat),
            IrOp::ExpandDims { axis, .. } => (TileOp::ExpandDims { axis: *axis }, Engine::Mlu),
            IrOp::Broadcast { .. } => (TileOp::Broadcast, Engine::Mlu),
            IrOp::Reshape { .. } => (TileOp::Reshape, Engine::Mlu),
            IrOp::Trans { perm, .. } => (TileOp::Trans { perm: perm.clone() }, Engine::Mlu),
            IrOp::Unary { op, .. } => elementwise(TileOp::Unary(*op)),
            IrOp::Binary { op, .. } => elementwise(TileOp::Binary(*op)),
            IrOp::Cmp { pred, .. } => elementwise(TileOp::Cmp(*pred)),
            IrOp::Select { .. } => {
                let wide = is_64bit(dtype);
                (TileOp::Select, if wide { Engine::Vec } else { Engine::Se })
            }
            IrOp::Cast { .. } => elementwise(TileOp::Cast),
            IrOp::Fma { .. } => elementwise(TileOp::Fma),
            IrOp::Reduce { op, axis, .. } => {
                let engine = match op {
                    ReduceOp::Sum | ReduceOp::Max | ReduceOp::Min
                        if !is_64bit(operand_dtype(0)) =>
                    {
                        Engine::Re
                    }
                    _ => Engine::Vec,
                };
                (TileOp::Reduce { op: *op, axis: *axis }, engine)
            }
            IrOp::Scan { op, axis, .. } => (TileOp::Scan { op: *op, axis: *axis }, Engine::Vec),
            IrOp::Dot { .. } => {
                let dpe = &self.machine.dpe;
                let native = match operand_dtype(0) {
                    ScalarType::F16 => dpe.fp16_mac_per_cycle > 0,
                    ScalarType::BF16 => dpe.bf16_mac_per_cycle > 0,
                    ScalarType::I8 => dpe.int8_mac_per_cycle > 0,
                    _ => false,
                };
                (TileOp::Dot, if native { Engine::Dpe } else { Engine::Vec })
            }
            other => {
                return Err(unsupported(f, Some(inst), format!("the op {other:?}")));
            }
        })
    }

    /// Pointer-typed pure ops: track the buffer; build offsets only when demanded.
    fn lower_ptr_op(&mut self, inst: Inst, result: Value) -> Result<()> {
        let f = self.f;
        let op = &f.insts[inst].op;
        let ty = self.ty(result);
        let shape = shape64(ty);
        let i64t = ScalarType::I64;
        let ptr_of = |s: &Self, v: Value| -> Result<(u32, Option<Operand>)> {
            match s.loc.get(&v) {
                Some(VLoc::Ptr { buffer, off }) => Ok((*buffer, *off)),
                _ => Err(unsupported(
                    f,
                    Some(inst),
                    "a pointer that is not based on a kernel parameter",
                )),
            }
        };
        // A scalar `off` for a tile-shaped pointer means every lane has that offset;
        // it only becomes a tile when lanes start to differ.
        let (buffer, off) = match op {
            IrOp::PtrAdd { ptr, offset } => {
                let (buffer, base) = ptr_of(self, *ptr)?;
                let base = base.ok_or_else(|| internal("pointer offsets not materialized"))?;
                let odt = self.dtype(*offset)?;
                let o = self.val(*offset)?;
                let off = if base.is_scalar() && o.is_scalar() {
                    let o = self.cast_i64(o, odt);
                    if is_zero_imm(base) {
                        o
                    } else {
                        self.s_op(TileOp::Binary(BinaryOp::Add), i64t, vec![base, o])
                    }
                } else {
                    let out = self.out_dst(result, inst, &shape, i64t);
                    let mut temps = Vec::new();
                    let o = if odt == i64t || !matches!(o, Operand::Cb(_)) {
                        self.cast_i64(o, odt)
                    } else if is_zero_imm(base) {
                        // The offsets themselves, widened straight into the result.
                        self.tile(Engine::Vec, TileOp::Cast, out, (&shape, i64t), vec![o]);
                        self.loc
                            .insert(result, VLoc::Ptr { buffer, off: Some(Operand::Cb(out.cb())) });
                        return Ok(());
                    } else {
                        let cb = self.new_cb(format!("i64 offsets of {result}"), &shape, i64t, 1);
                        self.tile(
                            Engine::Vec,
                            TileOp::Cast,
                            Dst::Push(cb),
                            (&shape, i64t),
                            vec![o],
                        );
                        temps.push(cb);
                        Operand::Cb(cb)
                    };
                    let base = self.uniform_tile(base, &shape, &mut temps);
                    let o = self.uniform_tile(o, &shape, &mut temps);
                    self.tile(
                        Engine::Vec,
                        TileOp::Binary(BinaryOp::Add),
                        out,
                        (&shape, i64t),
                        vec![base, o],
                    );
                    for t in temps {
                        self.pop(t);
                    }
                    Operand::Cb(out.cb())
                };
                (buffer, off)
            }
            IrOp::Splat { value: v }
            | IrOp::ExpandDims { arg: v, .. }
            | IrOp::Broadcast { arg: v }
            | IrOp::Reshape { arg: v }
            | IrOp::Trans { arg: v, .. } => {
                let (buffer, base) = ptr_of(self, *v)?;
                let base = base.ok_or_else(|| internal("pointer offsets not materialized"))?;
                if base.is_scalar() {
                    (buffer, base)
                } else {
                    let (tile_op, _) = self.tile_op(inst, op, i64t)?;
                    let out = self.out_dst(result, inst, &shape, i64t);
                    self.tile(Engine::Mlu, tile_op, out, (&shape, i64t), vec![base]);
                    (buffer, Operand::Cb(out.cb()))
                }
            }
            IrOp::Select { cond, on_true, on_false } => {
                let (b1, o1) = ptr_of(self, *on_true)?;
                let (b2, o2) = ptr_of(self, *on_false)?;
                if b1 != b2 {
                    return Err(unsupported(
                        f,
                        Some(inst),
                        "a select between pointers into different buffers",
                    ));
                }
                let (o1, o2) = (
                    o1.ok_or_else(|| internal("offsets"))?,
                    o2.ok_or_else(|| internal("offsets"))?,
                );
                let c = self.val(*cond)?;
                if c.is_scalar() && o1.is_scalar() && o2.is_scalar() {
                    (b1, self.s_op(TileOp::Select, i64t, vec![c, o1, o2]))
                } else {
                    let mut temps = Vec::new();
                    let o1 = self.uniform_tile(o1, &shape, &mut temps);
                    let o2 = self.uniform_tile(o2, &shape, &mut temps);
                    let out = self.out_dst(result, inst, &shape, i64t);
                    self.tile(Engine::Vec, TileOp::Select, out, (&shape, i64t), vec![c, o1, o2]);
                    for t in temps {
                        self.pop(t);
                    }
                    (b1, Operand::Cb(out.cb()))
                }
            }
            other => return Err(unsupported(f, Some(inst), format!("pointer op {other:?}"))),
        };
        self.loc.insert(result, VLoc::Ptr { buffer, off: Some(off) });
        Ok(())
    }

    /// An `i64` operand as a tile of `shape`: a CB operand as is, a scalar splatted
    /// into a temporary CB (pushed onto `temps`, for the caller to pop).
    fn uniform_tile(&mut self, o: Operand, shape: &[u64], temps: &mut Vec<CbId>) -> Operand {
        if !o.is_scalar() || shape.is_empty() {
            return o;
        }
        let cb = self.new_cb("uniform offsets".to_string(), shape, ScalarType::I64, 1);
        self.tile(Engine::Vec, TileOp::Splat, Dst::Push(cb), (shape, ScalarType::I64), vec![o]);
        temps.push(cb);
        Operand::Cb(cb)
    }

    /// A `bool` mask or index operand as a CB (scalars are splatted to rank 0).
    fn as_cb(&mut self, o: Operand, dtype: ScalarType, what: &str) -> (CbId, bool) {
        if let Operand::Cb(cb) = o {
            return (cb, false);
        }
        let cb = self.new_cb(what.to_string(), &[], dtype, 1);
        let engine = if is_64bit(dtype) { Engine::Vec } else { Engine::Se };
        self.tile(engine, TileOp::Splat, Dst::Push(cb), (&[], dtype), vec![o]);
        (cb, true)
    }

    /// The strided descriptor of a memory op planned as strided, with the program-id
    /// axes it depends on and the temporary CBs to pop after the transfer.
    fn strided_desc(
        &mut self,
        inst: Inst,
        shape: &[u64],
    ) -> Result<Option<(DmaDesc, u8, Vec<CbId>)>> {
        let plan = self.demand.plans.get(&inst).cloned().ok_or_else(|| internal("no plan"))?;
        let AddrPlan::Strided(aff) = &plan.addr else { return Ok(None) };
        let mut temps = Vec::new();
        let mut deps = self.expr_deps(&aff.base);
        let base = self.expr(&aff.base)?;
        let mut strides = Vec::new();
        for s in &aff.strides {
            deps |= self.expr_deps(s);
            strides.push(self.expr(s)?);
        }
        let mask = match &plan.mask {
            MaskPlan::None => DmaMask::All,
            MaskPlan::Extents(edges) => {
                for e in edges {
                    deps |= self.expr_deps(&e.start) | self.expr_deps(&e.bound);
                }
                DmaMask::Extents(self.extents(edges, shape)?)
            }
            MaskPlan::Tile(m) => {
                deps = 0b111;
                let o = self.val(*m)?;
                DmaMask::Tile(self.cb_in(*m, o, &mut temps)?)
            }
        };
        let desc = DmaDesc {
            level: MemLevel::Dram,
            buffer: aff.buffer_param as u32,
            base,
            shape: shape.to_vec(),
            strides,
            mask,
        };
        Ok(Some((desc, deps, temps)))
    }

    /// Per-dimension live extents: `ceil((bound - start) / step)`, the minimum over the
    /// edges of a dimension (the simulator clamps to `0..=shape`).
    fn extents(&mut self, edges: &[EdgeBound], shape: &[u64]) -> Result<Vec<Operand>> {
        let i64t = ScalarType::I64;
        let mut out: Vec<Operand> =
            shape.iter().map(|&d| Operand::Imm(Imm::i64(d as i64))).collect();
        let mut seen = vec![false; shape.len()];
        for e in edges {
            let step = e.step.as_constant().ok_or_else(|| internal("symbolic edge step"))?;
            let span = e.bound.sub(&e.start);
            let span = if step == 1 { span } else { span.add(&ScalarExpr::constant(step - 1)) };
            let mut x = self.expr(&span)?;
            if step != 1 {
                x = match x {
                    Operand::Imm(imm) => {
                        let v = imm.to_scalar().and_then(scalar_to_i64).unwrap_or(0);
                        Operand::Imm(Imm::i64(v.wrapping_div(step)))
                    }
                    _ => self.s_op(
                        TileOp::Binary(BinaryOp::Div),
                        i64t,
                        vec![x, Operand::Imm(Imm::i64(step))],
                    ),
                };
            }
            let Some(slot) = out.get_mut(e.dim) else { return Err(internal("edge dim")) };
            if seen[e.dim] {
                let prev = *slot;
                *slot = self.s_op(TileOp::Binary(BinaryOp::Min), i64t, vec![prev, x]);
            } else {
                *slot = x;
                seen[e.dim] = true;
            }
        }
        Ok(out)
    }

    fn bcast_group(&self, deps: u8) -> Option<Group> {
        if self.mapping != Mapping::Grid2d {
            return None;
        }
        if deps & 0b110 == 0 {
            Some(Group::Row)
        } else if deps & 0b101 == 0 {
            Some(Group::Col)
        } else {
            None
        }
    }

    fn index_desc(
        &mut self,
        inst: Inst,
        ptr: Value,
        mask: Option<Value>,
    ) -> Result<(IndexDesc, Vec<CbId>)> {
        let f = self.f;
        let Some(VLoc::Ptr { buffer, off: Some(off) }) = self.loc.get(&ptr).copied() else {
            return Err(unsupported(
                f,
                Some(inst),
                "a gather through a pointer the compiler cannot follow",
            ));
        };
        let mut temps = Vec::new();
        let shape = shape64(self.ty(ptr));
        let off = self.uniform_tile(off, &shape, &mut temps);
        let (index, t) = self.as_cb(off, ScalarType::I64, "scalar offset");
        if t {
            temps.push(index);
        }
        let mask = match mask {
            Some(m) => {
                let o = self.val(m)?;
                Some(self.cb_in(m, o, &mut temps)?)
            }
            None => None,
        };
        Ok((IndexDesc { level: MemLevel::Dram, buffer, index, mask }, temps))
    }

    fn lower_load(&mut self, inst: Inst) -> Result<()> {
        let f = self.f;
        let IrOp::Load { ptr, mask, .. } = &f.insts[inst].op else { return Err(internal("load")) };
        let (ptr, mask) = (*ptr, *mask);
        let &[result] = f.insts[inst].results.as_slice() else {
            return Err(internal("load results"));
        };
        let shape = shape64(self.ty(result));
        let dtype = self.dtype(result)?;
        let plan = self.demand.plans.get(&inst).cloned().ok_or_else(|| internal("no plan"))?;
        let depth = if self.loop_depth > 0 { self.opts.loop_cb_depth.max(1) } else { 1 };
        let final_home = if plan.other.is_some() { None } else { self.home.remove(&result) };
        let dst = match final_home {
            Some(d) => d.cb(),
            None => {
                let what = self.describe(result, Some(inst));
                let what =
                    if plan.other.is_some() { format!("{what} (before `other`)") } else { what };
                self.new_cb(what, &shape, dtype, depth)
            }
        };
        let mut temps = Vec::new();
        if let Some((desc, deps, t)) = self.strided_desc(inst, &shape)? {
            temps.extend(t);
            match self.bcast_group(deps) {
                Some(group) => self.emit(Op::BcastLoad { cb: dst, src: desc, group }),
                None => self.emit(Op::DmaIn { cb: dst, src: desc }),
            };
        } else {
            let (src, t) = self.index_desc(inst, ptr, mask)?;
            temps.extend(t);
            self.emit(Op::Gather { cb: dst, src });
        }
        for t in temps {
            self.pop(t);
        }
        let loc = match plan.other {
            None => Operand::Cb(dst),
            Some(o) => {
                let m = mask.ok_or_else(|| internal("`other` without a mask"))?;
                let inputs = vec![self.val(m)?, Operand::Cb(dst), self.val(o)?];
                let out = self.out_dst(result, inst, &shape, dtype);
                let engine = if is_64bit(dtype) { Engine::Vec } else { Engine::Se };
                self.tile(engine, TileOp::Select, out, (&shape, dtype), inputs);
                self.pop(dst);
                Operand::Cb(out.cb())
            }
        };
        self.loc.insert(result, VLoc::Val(loc));
        Ok(())
    }

    fn lower_store(&mut self, inst: Inst, ptr: Value, value: Value) -> Result<()> {
        let f = self.f;
        let IrOp::Store { mask, .. } = &f.insts[inst].op else { return Err(internal("store")) };
        let mask = *mask;
        let shape = shape64(self.ty(value));
        let v = self.val(value)?;
        let mut temps = Vec::new();
        let src = self.cb_in(value, v, &mut temps)?;
        if let Some((desc, _, t)) = self.strided_desc(inst, &shape)? {
            temps.extend(t);
            self.emit(Op::DmaOut { cb: src, dst: desc });
        } else {
            let (dst, t) = self.index_desc(inst, ptr, mask)?;
            temps.extend(t);
            self.emit(Op::Scatter { cb: src, dst });
        }
        for t in temps {
            self.pop(t);
        }
        Ok(())
    }

    fn lower_atomic(
        &mut self,
        inst: Inst,
        op: tessera_ir::AtomicOp,
        ptr: Value,
        value: Value,
    ) -> Result<()> {
        let f = self.f;
        let IrOp::Atomic { mask, .. } = &f.insts[inst].op else { return Err(internal("atomic")) };
        let mask = *mask;
        let dtype = self.dtype(value)?;
        let v = self.val(value)?;
        let mut temps = Vec::new();
        let src = self.cb_in(value, v, &mut temps)?;
        let (dst, t) = self.index_desc(inst, ptr, mask)?;
        temps.extend(t);
        let results = &f.insts[inst].results;
        let old = match results.first() {
            Some(&r) if self.demand.demanded.contains(&r) => {
                let shape = shape64(self.ty(r));
                let cb = self.new_cb(self.describe(r, Some(inst)), &shape, dtype, 1);
                self.loc.insert(r, VLoc::Val(Operand::Cb(cb)));
                Some(cb)
            }
            _ => None,
        };
        self.emit(Op::AtomicRmw { op, cb: src, dst, old });
        for t in temps {
            self.pop(t);
        }
        Ok(())
    }

    fn lower_for(
        &mut self,
        inst: Inst,
        bounds: [Value; 3],
        inits: &[Value],
        body: Block,
    ) -> Result<()> {
        let f = self.f;
        let [lower, upper, step] = bounds;
        let ivt = self.dtype(lower)?;
        let lo = self.scalar(lower)?;
        let hi = self.scalar(upper)?;
        let st = self.scalar(step)?;
        let positive = match st {
            Operand::Imm(imm) => imm.to_scalar().and_then(scalar_to_i64).is_some_and(|s| s > 0),
            _ => false,
        };
        if !positive {
            let zero = Operand::Imm(Imm::from_scalar(
                constant_scalar(tessera_ir::Constant::Int(0), ivt).map_err(internal)?,
            ));
            let ok = self.s_op(TileOp::Cmp(CmpPred::Gt), ScalarType::Bool, vec![st, zero]);
            let l = f.loc(inst);
            let message = format!("{}:{}:{}: `for` step must be positive", f.name, l.line, l.col);
            self.emit(Op::Assert { cond: ok, message });
        }
        let slots = self.carried_slots(inst, inits)?;
        let iv = self.new_reg();
        self.s_into(iv, TileOp::Copy, ivt, vec![lo]);
        let args = f.blocks[body].args.clone();
        let (&iv_arg, carried) = args
            .split_first()
            .ok_or_else(|| internal("a for body without an induction variable"))?;
        self.loc.insert(iv_arg, VLoc::Val(Operand::Reg(iv)));
        for (&a, &s) in carried.iter().zip(&slots) {
            self.loc.insert(a, VLoc::Val(s));
        }
        let head = self.here();
        let c = self.s_op(TileOp::Cmp(CmpPred::Lt), ScalarType::Bool, vec![Operand::Reg(iv), hi]);
        let exit = self.emit(Op::Branch { cond: c, when: false, target: 0 });
        self.loop_depth += 1;
        self.lower_block(body, true, Some((&slots, true)))?;
        self.loop_depth -= 1;
        self.s_into(iv, TileOp::Binary(BinaryOp::Add), ivt, vec![Operand::Reg(iv), st]);
        self.emit(Op::Jump { target: head });
        let end = self.here();
        self.patch(exit, end);
        self.bind_results(inst, &slots);
        Ok(())
    }

    fn bind_results(&mut self, inst: Inst, slots: &[Operand]) {
        let results = self.f.insts[inst].results.clone();
        for (&r, &s) in results.iter().zip(slots) {
            self.loc.insert(r, VLoc::Val(s));
        }
    }

    fn lower_while(&mut self, inst: Inst, inits: &[Value], cond: Block, body: Block) -> Result<()> {
        let f = self.f;
        let slots = self.carried_slots(inst, inits)?;
        for block in [cond, body] {
            let args = f.blocks[block].args.clone();
            for (&a, &s) in args.iter().zip(&slots) {
                self.loc.insert(a, VLoc::Val(s));
            }
        }
        let head = self.here();
        self.loop_depth += 1;
        let c = self
            .lower_block(cond, false, None)?
            .ok_or_else(|| internal("while without condition"))?;
        let exit = self.emit(Op::Branch { cond: c, when: false, target: 0 });
        self.lower_block(body, true, Some((&slots, true)))?;
        self.loop_depth -= 1;
        self.emit(Op::Jump { target: head });
        let end = self.here();
        self.patch(exit, end);
        self.bind_results(inst, &slots);
        Ok(())
    }

    fn lower_if(
        &mut self,
        inst: Inst,
        cond: Value,
        then_block: Block,
        else_block: Block,
    ) -> Result<()> {
        let f = self.f;
        let c = self.scalar(cond)?;
        let mut slots = Vec::new();
        for &r in &f.insts[inst].results {
            let ty = self.ty(r);
            let dtype = ty
                .elem
                .scalar()
                .ok_or_else(|| unsupported(f, Some(inst), "an `if` yielding a pointer"))?;
            if ty.shape.is_empty() {
                slots.push(Operand::Reg(self.new_reg()));
            } else {
                let shape = shape64(ty);
                let what = self.describe(r, Some(inst));
                slots.push(Operand::Cb(self.new_cb(what, &shape, dtype, 1)));
            }
        }
        let to_else = self.emit(Op::Branch { cond: c, when: false, target: 0 });
        self.lower_block(then_block, true, Some((&slots, false)))?;
        let to_end = self.emit(Op::Jump { target: 0 });
        let else_at = self.here();
        self.patch(to_else, else_at);
        self.lower_block(else_block, true, Some((&slots, false)))?;
        let end = self.here();
        self.patch(to_end, end);
        self.bind_results(inst, &slots);
        Ok(())
    }
}

/// Whether `o` is an integer immediate 0.
fn is_zero_imm(o: Operand) -> bool {
    matches!(o, Operand::Imm(imm) if imm.to_scalar().and_then(scalar_to_i64) == Some(0))
}

/// An integer scalar as `i64` (`None` for floats and bools).
fn scalar_to_i64(s: tessera_ir::interp::Scalar) -> Option<i64> {
    use tessera_ir::interp::Scalar::*;
    Some(match s {
        I8(v) => v.into(),
        I16(v) => v.into(),
        I32(v) => v.into(),
        I64(v) => v,
        U8(v) => v.into(),
        U16(v) => v.into(),
        U32(v) => v.into(),
        U64(v) => v as i64,
        Bool(_) | F16(_) | BF16(_) | F32(_) | F64(_) => return None,
    })
}
