//! A functional simulator of PE-grid programs (no timing): [`run`] executes a
//! [`GridProgram`] on host [`Buffer`]s and returns [`SimStats`], or a typed
//! [`SimError`]; it never panics, whatever the program or the buffers.
//!
//! # Execution
//!
//! Every PE with a program is an in-order command stream. PEs run round-robin, one
//! command per PE per round. A command either completes at once (its token, if any,
//! is produced) or **blocks** without any effect; a blocked PE retries next round. When
//! a whole round makes no progress while commands remain, the result is
//! [`SimError::Deadlock`] with the step count and every blocked PE's command and reason.
//!
//! # Circular buffers
//!
//! A CB is a FIFO of `depth` slots of at most `slot_bytes` each; a slot holds a typed
//! tile (a [`Buffer`] plus its shape). All `cb_alloc`s of a PE are allocated before the
//! run (static allocation: the `cb_alloc` command itself is a no-op when it executes);
//! their total `slot_bytes * depth` must fit `machine.local_mem.bytes`. A tile larger
//! than its CB's `slot_bytes` is [`SimError::SlotOverflow`].
//!
//! - **Push** (blocks while the CB is full): `dma_in`, `bcast_load` (into the same CB of
//!   every PE of the issuer's row/column that has a program, itself included; blocks
//!   until all have room), `recv`, the outputs of `se_op`, `se_lut`, `vec_op`, `mlu`,
//!   `re_drain`, and `dpe_mm` with `=` (a new `[m, n]` accumulator slot).
//! - **Pop** (blocks while empty): `dma_out`, `send`, `re_send`, the inputs of
//!   `se_op`, `se_lut`, `vec_op`, `mlu`, `dpe_mm` (`a` and `b`), `re_acc` (input),
//!   `re_drain` (acc). Each listed input pops one slot, in order: `add cb0, cb0` pops
//!   two slots. Inputs are popped before the output is pushed, so `out` may be an input.
//! - **Peek, read-modify-write in place** (blocks while empty): the accumulator of
//!   `dpe_mm` with `+=`, of `re_acc`, and of `re_recv`.
//!
//! `send`/`re_send` move the popped slot onto an unbounded FIFO link to the neighbour
//! (a separate link per direction and per kind: data vs. reduction); `recv`/`re_recv`
//! block until a message from that neighbour is there. A neighbour outside the sub-grid
//! is [`SimError::NoNeighbour`].
//!
//! # Other commands
//!
//! - DMA: `buffer[base + Σ i_d·stride_d]` for `i < shape` in row-major order, dtype equal
//!   to the buffer's; `mem_level` only selects the path (DRAM and SRAM views are the same
//!   host buffer). Masked-off elements (`i_d >= mask[d]`) load 0 and are not stored; any
//!   unmasked element outside the buffer is [`SimError::DmaOutOfBounds`].
//! - `prefetch` checks bounds and dtype and does nothing else.
//! - `wait tN` blocks until this PE has completed the command producing `tN` (tokens are
//!   per PE); `fence` is a no-op (commands complete when they execute).
//! - `barrier SET` completes when every PE of the set that has a program has reached
//!   the same barrier (counted per PE: the n-th barrier a PE passes meets the n-th
//!   barrier of the others); idle PEs do not take part.
//!
//! # Arithmetic (exact to the reference interpreter)
//!
//! - `dpe_mm`: `acc[m,n] (+)= Σ_k a[m,k]·b[k,n]`, k ascending, f16/bf16/f32 → f32,
//!   f64 → f64, i8 → i32 (wrapping); each product and add rounded in the accumulator
//!   type (no fma), the interpreter's `dot`.
//! - `se_op`/`vec_op` elementwise on floats: f16/bf16 computed in f32 and rounded once,
//!   f32/f64 native; math functions and LUTs computed in f64 and rounded once (erf uses
//!   the interpreter's algorithm). `max`/`min` propagate NaN and order `-0 < +0`.
//!   Operands must have equal shapes and the command's dtype (no broadcasting).
//! - `re_acc`/`re_recv`: elementwise add in the slot's dtype (floats as above, integers of
//!   at most 32 bits wrap).
//! - `vec_op reduce_sum/max/min` on floats: sequential along the axis, sums accumulated in
//!   f32 (f64 for f64) and rounded once; the axis is removed (rank 1 → shape `[1]`).
//!
//! Not implemented ([`SimError::Unsupported`]): integer/bool elementwise ops and
//! reductions, `reduce_argmax`/`reduce_argmin`, 64-bit-integer and bool `re_*` adds.

mod data;

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use tessera_ir::interp::Buffer;
use tessera_ir::{BinaryOp, ScalarType};
use thiserror::Error;

use crate::machine::Machine;
use crate::program::{
    CbId, Command, Dir, DmaDesc, EltFn, GridProgram, Group, MluOp, Op, PeSet, ProgramError, VecFn,
};
use tessera_ir::ReduceOp;

/// A PE as `(row, col)` inside the sub-grid.
pub type PeCoord = (u32, u32);

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SimStats {
    /// Commands executed per PE.
    pub commands_per_pe: BTreeMap<PeCoord, u64>,
    /// Commands executed per operation mnemonic (`dma_in`, `dpe_mm`, …).
    pub commands_per_op: BTreeMap<&'static str, u64>,
    /// Bytes loaded by `dma_in` and `bcast_load` (one read per broadcast), unmasked only.
    pub dma_bytes_in: u64,
    /// Bytes stored by `dma_out`, unmasked only.
    pub dma_bytes_out: u64,
    /// Scheduler rounds.
    pub rounds: u64,
}

/// Why a run failed.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum SimError {
    #[error("invalid program: {0}")]
    Invalid(#[from] ProgramError),
    #[error("program grid {rows}x{cols} does not fit the machine's {machine_rows}x{machine_cols}")]
    GridTooLarge { rows: u32, cols: u32, machine_rows: u32, machine_cols: u32 },
    #[error("{got} buffers given, the program declares {expected}")]
    BufferCount { expected: usize, got: usize },
    #[error("buffer {index} `{name}` is {got}, declared {expected}")]
    BufferDtype { index: usize, name: String, expected: ScalarType, got: ScalarType },
    #[error("buffer {index} `{name}` has {got} elements, declared {expected}")]
    BufferLen { index: usize, name: String, expected: u64, got: u64 },
    #[error("PE {pe:?}: circular buffers need {needed} bytes, local memory holds {capacity}")]
    LocalMemOverflow { pe: PeCoord, needed: u64, capacity: u64 },
    #[error("PE {pe:?}: cb{cb} allocated twice")]
    DuplicateCb { pe: PeCoord, cb: u32 },
    #[error("PE {pe:?} command {index}: cb{cb} is not allocated on PE {target:?}")]
    UnknownCb { pe: PeCoord, index: usize, cb: u32, target: PeCoord },
    #[error(
        "PE {pe:?} command {index}: element {element} of `{buffer}` is out of bounds (len {len})"
    )]
    DmaOutOfBounds { pe: PeCoord, index: usize, buffer: String, element: i128, len: u64 },
    #[error("PE {pe:?} command {index}: access of `{buffer}` ({got}) as {expected}")]
    DmaDtype { pe: PeCoord, index: usize, buffer: String, expected: ScalarType, got: ScalarType },
    #[error("PE {pe:?} command {index}: a {bytes}-byte tile does not fit cb{cb}'s {slot_bytes}-byte slots")]
    SlotOverflow { pe: PeCoord, index: usize, cb: u32, bytes: u128, slot_bytes: u64 },
    #[error("PE {pe:?} command {index}: {msg}")]
    Operand { pe: PeCoord, index: usize, msg: String },
    #[error("PE {pe:?} command {index}: {what} is not supported by the simulator")]
    Unsupported { pe: PeCoord, index: usize, what: String },
    #[error("PE {pe:?} command {index}: no neighbour to the {dir:?} in the sub-grid")]
    NoNeighbour { pe: PeCoord, index: usize, dir: Dir },
    #[error("deadlock at step {cycle_or_step}: {blocked:?}")]
    Deadlock { cycle_or_step: u64, blocked: Vec<(PeCoord, usize, String)> },
}

/// A tile in a CB slot or on a link.
#[derive(Clone, Debug)]
struct Slot {
    shape: Vec<u64>,
    data: Buffer,
}

struct Cb {
    slot_bytes: u64,
    depth: u32,
    slots: VecDeque<Slot>,
}

struct PeState {
    coord: PeCoord,
    pc: usize,
    cbs: HashMap<u32, Cb>,
    tokens: HashSet<u32>,
    barriers_passed: u64,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Link {
    Data,
    Reduce,
}

enum Outcome {
    Done,
    Blocked(String),
}

struct Sim<'a> {
    program: &'a GridProgram,
    buffers: &'a mut [Buffer],
    pes: Vec<PeState>,
    links: HashMap<(PeCoord, PeCoord, Link), VecDeque<Slot>>,
    stats: SimStats,
}

/// Runs `program` on `machine` over `buffers` (indexed like `program.buffers`).
pub fn run(
    program: &GridProgram,
    machine: &Machine,
    buffers: &mut [Buffer],
) -> Result<SimStats, SimError> {
    program.validate()?;
    if program.rows > machine.grid.rows || program.cols > machine.grid.cols {
        return Err(SimError::GridTooLarge {
            rows: program.rows,
            cols: program.cols,
            machine_rows: machine.grid.rows,
            machine_cols: machine.grid.cols,
        });
    }
    if buffers.len() != program.buffers.len() {
        return Err(SimError::BufferCount { expected: program.buffers.len(), got: buffers.len() });
    }
    for (index, (decl, buf)) in program.buffers.iter().zip(buffers.iter()).enumerate() {
        if buf.dtype() != decl.dtype {
            return Err(SimError::BufferDtype {
                index,
                name: decl.name.clone(),
                expected: decl.dtype,
                got: buf.dtype(),
            });
        }
        if buf.len() as u64 != decl.len {
            return Err(SimError::BufferLen {
                index,
                name: decl.name.clone(),
                expected: decl.len,
                got: buf.len() as u64,
            });
        }
    }
    let capacity = machine.local_mem.bytes;
    let mut pes = Vec::new();
    for pe in &program.pes {
        let coord = (pe.row, pe.col);
        let mut cbs = HashMap::new();
        let mut needed: u64 = 0;
        for c in &pe.commands {
            if let Op::CbAlloc { cb, slot_bytes, depth } = c.op {
                needed = needed.saturating_add(slot_bytes.saturating_mul(u64::from(depth)));
                let new = Cb { slot_bytes, depth, slots: VecDeque::new() };
                if cbs.insert(cb.0, new).is_some() {
                    return Err(SimError::DuplicateCb { pe: coord, cb: cb.0 });
                }
            }
        }
        if needed > capacity {
            return Err(SimError::LocalMemOverflow { pe: coord, needed, capacity });
        }
        pes.push(PeState { coord, pc: 0, cbs, tokens: HashSet::new(), barriers_passed: 0 });
    }
    let mut sim = Sim { program, buffers, pes, links: HashMap::new(), stats: SimStats::default() };
    sim.run()?;
    Ok(sim.stats)
}

fn op_name(op: &Op) -> &'static str {
    match op {
        Op::CbAlloc { .. } => "cb_alloc",
        Op::DmaIn { .. } => "dma_in",
        Op::DmaOut { .. } => "dma_out",
        Op::Prefetch { .. } => "prefetch",
        Op::BcastLoad { .. } => "bcast_load",
        Op::DpeMm { .. } => "dpe_mm",
        Op::ReAcc { .. } => "re_acc",
        Op::ReSend { .. } => "re_send",
        Op::ReRecv { .. } => "re_recv",
        Op::ReDrain { .. } => "re_drain",
        Op::SeOp { .. } => "se_op",
        Op::SeLut { .. } => "se_lut",
        Op::Mlu(_) => "mlu",
        Op::VecOp { .. } => "vec_op",
        Op::Send { .. } => "send",
        Op::Recv { .. } => "recv",
        Op::Wait { .. } => "wait",
        Op::Fence => "fence",
        Op::Barrier { .. } => "barrier",
    }
}

/// Number of elements of `shape`, if it fits.
fn numel(shape: &[u64]) -> Option<u64> {
    shape.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d))
}

/// Row-major multi-indices of `shape`, calling `f` with each.
fn for_each_index(
    shape: &[u64],
    mut f: impl FnMut(&[u64]) -> Result<(), SimError>,
) -> Result<(), SimError> {
    if shape.contains(&0) {
        return Ok(());
    }
    let mut idx = vec![0u64; shape.len()];
    loop {
        f(&idx)?;
        let mut d = shape.len();
        loop {
            if d == 0 {
                return Ok(());
            }
            d -= 1;
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
}

fn row_major_strides(shape: &[u64]) -> Vec<u64> {
    let mut s = vec![1u64; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        s[d] = s[d + 1].saturating_mul(shape[d + 1]);
    }
    s
}

fn flat(idx: &[u64], strides: &[u64]) -> usize {
    idx.iter().zip(strides).map(|(&i, &s)| (i * s) as usize).sum()
}

/// The accumulator dtype of `dpe_mm` on `dtype` inputs.
fn acc_dtype(dtype: ScalarType) -> Option<ScalarType> {
    match dtype {
        ScalarType::F16 | ScalarType::BF16 | ScalarType::F32 => Some(ScalarType::F32),
        ScalarType::F64 => Some(ScalarType::F64),
        ScalarType::I8 => Some(ScalarType::I32),
        _ => None,
    }
}

impl Sim<'_> {
    fn run(&mut self) -> Result<(), SimError> {
        let program = self.program;
        loop {
            let mut progress = false;
            let mut remaining = false;
            let mut blocked = Vec::new();
            for p in 0..self.pes.len() {
                let commands = &program.pes[p].commands;
                let pc = self.pes[p].pc;
                let Some(cmd) = commands.get(pc) else { continue };
                remaining = true;
                match self.exec(p, pc, cmd)? {
                    Outcome::Done => {
                        progress = true;
                        let pe = &mut self.pes[p];
                        pe.pc += 1;
                        if let Some(t) = cmd.token {
                            pe.tokens.insert(t.0);
                        }
                        *self.stats.commands_per_pe.entry(pe.coord).or_default() += 1;
                        *self.stats.commands_per_op.entry(op_name(&cmd.op)).or_default() += 1;
                    }
                    Outcome::Blocked(reason) => blocked.push((self.pes[p].coord, pc, reason)),
                }
            }
            if !remaining {
                return Ok(());
            }
            self.stats.rounds += 1;
            if !progress {
                let step = self.stats.commands_per_pe.values().sum();
                return Err(SimError::Deadlock { cycle_or_step: step, blocked });
            }
        }
    }

    fn cb(&self, p: usize, index: usize, cb: CbId) -> Result<&Cb, SimError> {
        let pe = &self.pes[p];
        pe.cbs.get(&cb.0).ok_or(SimError::UnknownCb {
            pe: pe.coord,
            index,
            cb: cb.0,
            target: pe.coord,
        })
    }

    fn cb_mut(&mut self, p: usize, index: usize, cb: CbId) -> Result<&mut Cb, SimError> {
        let pe = &mut self.pes[p];
        let coord = pe.coord;
        pe.cbs.get_mut(&cb.0).ok_or(SimError::UnknownCb {
            pe: coord,
            index,
            cb: cb.0,
            target: coord,
        })
    }

    /// Why popping `pops` (with repeats) and pushing into `pushes` cannot proceed now.
    fn blocked_on(
        &self,
        p: usize,
        index: usize,
        pops: &[CbId],
        peeks: &[CbId],
        pushes: &[CbId],
    ) -> Result<Option<String>, SimError> {
        let mut popped: HashMap<u32, usize> = HashMap::new();
        for &c in pops {
            *popped.entry(c.0).or_default() += 1;
        }
        for (&c, &n) in &popped {
            if self.cb(p, index, CbId(c))?.slots.len() < n {
                return Ok(Some(format!("cb{c} is empty")));
            }
        }
        for &c in peeks {
            if self.cb(p, index, c)?.slots.len() <= popped.get(&c.0).copied().unwrap_or(0) {
                return Ok(Some(format!("cb{} is empty", c.0)));
            }
        }
        for &c in pushes {
            let cb = self.cb(p, index, c)?;
            let free = cb.depth as usize + popped.get(&c.0).copied().unwrap_or(0);
            if cb.slots.len() >= free {
                return Ok(Some(format!("cb{} is full", c.0)));
            }
        }
        Ok(None)
    }

    fn pop(&mut self, p: usize, index: usize, cb: CbId) -> Result<Slot, SimError> {
        let coord = self.pes[p].coord;
        self.cb_mut(p, index, cb)?.slots.pop_front().ok_or(SimError::Operand {
            pe: coord,
            index,
            msg: format!("cb{} is empty", cb.0),
        })
    }

    fn check_fits(
        &self,
        p: usize,
        target: usize,
        index: usize,
        cb: CbId,
        elems: u64,
        dtype: ScalarType,
    ) -> Result<(), SimError> {
        let t = &self.pes[target];
        let c = t.cbs.get(&cb.0).ok_or(SimError::UnknownCb {
            pe: self.pes[p].coord,
            index,
            cb: cb.0,
            target: t.coord,
        })?;
        let bytes = u128::from(elems) * dtype.byte_size() as u128;
        if bytes > u128::from(c.slot_bytes) {
            return Err(SimError::SlotOverflow {
                pe: self.pes[p].coord,
                index,
                cb: cb.0,
                bytes,
                slot_bytes: c.slot_bytes,
            });
        }
        Ok(())
    }

    fn push(&mut self, p: usize, index: usize, cb: CbId, slot: Slot) -> Result<(), SimError> {
        let elems = slot.data.len() as u64;
        self.check_fits(p, p, index, cb, elems, slot.data.dtype())?;
        self.cb_mut(p, index, cb)?.slots.push_back(slot);
        Ok(())
    }

    fn err(&self, p: usize, index: usize, msg: impl Into<String>) -> SimError {
        SimError::Operand { pe: self.pes[p].coord, index, msg: msg.into() }
    }

    fn unsupported(&self, p: usize, index: usize, what: impl Into<String>) -> SimError {
        SimError::Unsupported { pe: self.pes[p].coord, index, what: what.into() }
    }

    fn neighbour(&self, p: usize, index: usize, dir: Dir) -> Result<PeCoord, SimError> {
        let (r, c) = self.pes[p].coord;
        let (r, c) = (i64::from(r), i64::from(c));
        let (nr, nc) = match dir {
            Dir::North => (r - 1, c),
            Dir::South => (r + 1, c),
            Dir::West => (r, c - 1),
            Dir::East => (r, c + 1),
        };
        if nr < 0
            || nc < 0
            || nr >= i64::from(self.program.rows)
            || nc >= i64::from(self.program.cols)
        {
            return Err(SimError::NoNeighbour { pe: self.pes[p].coord, index, dir });
        }
        Ok((nr as u32, nc as u32))
    }

    /// Checks a DMA descriptor's dtype and returns the buffer's name and length.
    fn dma_check(&self, p: usize, index: usize, d: &DmaDesc) -> Result<(), SimError> {
        let decl = &self.program.buffers[d.buffer as usize];
        if decl.dtype != d.dtype {
            return Err(SimError::DmaDtype {
                pe: self.pes[p].coord,
                index,
                buffer: decl.name.clone(),
                expected: d.dtype,
                got: decl.dtype,
            });
        }
        Ok(())
    }

    /// Visits every unmasked element of `d` as (slot index, buffer index), bounds-checked.
    fn dma_walk(
        &self,
        p: usize,
        index: usize,
        d: &DmaDesc,
        mut f: impl FnMut(usize, usize),
    ) -> Result<u64, SimError> {
        let decl = &self.program.buffers[d.buffer as usize];
        let mut count = 0u64;
        let mut slot_index = 0usize;
        let coord = self.pes[p].coord;
        for_each_index(&d.shape, |idx| {
            let here = slot_index;
            slot_index += 1;
            if let Some(mask) = &d.mask {
                if idx.iter().zip(mask).any(|(&i, &m)| i >= m) {
                    return Ok(());
                }
            }
            let mut e = i128::from(d.base);
            for (&i, &s) in idx.iter().zip(&d.strides) {
                e += i128::from(i) * i128::from(s);
            }
            if e < 0 || e >= i128::from(decl.len) {
                return Err(SimError::DmaOutOfBounds {
                    pe: coord,
                    index,
                    buffer: decl.name.clone(),
                    element: e,
                    len: decl.len,
                });
            }
            count += 1;
            f(here, e as usize);
            Ok(())
        })?;
        Ok(count)
    }

    /// Loads a tile described by `d` (cb is the destination, for the size check).
    fn dma_load(
        &mut self,
        p: usize,
        index: usize,
        cb: CbId,
        d: &DmaDesc,
        targets: &[usize],
    ) -> Result<Slot, SimError> {
        self.dma_check(p, index, d)?;
        let elems = numel(&d.shape).ok_or_else(|| self.err(p, index, "DMA shape overflows"))?;
        for &t in targets {
            self.check_fits(p, t, index, cb, elems, d.dtype)?;
        }
        let mut data = Buffer::zeros(d.dtype, elems as usize);
        let src = &self.buffers[d.buffer as usize];
        let count = self.dma_walk(p, index, d, |si, bi| {
            data::copy_elem(&mut data, si, src, bi);
        })?;
        self.stats.dma_bytes_in += count * d.dtype.byte_size() as u64;
        Ok(Slot { shape: d.shape.clone(), data })
    }

    fn exec(&mut self, p: usize, index: usize, cmd: &Command) -> Result<Outcome, SimError> {
        macro_rules! block_unless_ready {
            ($pops:expr, $peeks:expr, $pushes:expr) => {
                if let Some(reason) = self.blocked_on(p, index, $pops, $peeks, $pushes)? {
                    return Ok(Outcome::Blocked(reason));
                }
            };
        }
        match &cmd.op {
            Op::CbAlloc { .. } | Op::Fence => {}
            Op::DmaIn { cb, src } => {
                block_unless_ready!(&[], &[], &[*cb]);
                let slot = self.dma_load(p, index, *cb, src, &[p])?;
                self.push(p, index, *cb, slot)?;
            }
            Op::BcastLoad { cb, src, group } => {
                let (row, col) = self.pes[p].coord;
                let targets: Vec<usize> = self
                    .pes
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| match group {
                        Group::Row => t.coord.0 == row,
                        Group::Col => t.coord.1 == col,
                    })
                    .map(|(i, _)| i)
                    .collect();
                for &t in &targets {
                    let tc = &self.pes[t];
                    let c = tc.cbs.get(&cb.0).ok_or(SimError::UnknownCb {
                        pe: (row, col),
                        index,
                        cb: cb.0,
                        target: tc.coord,
                    })?;
                    if c.slots.len() >= c.depth as usize {
                        return Ok(Outcome::Blocked(format!(
                            "cb{} of PE {:?} is full",
                            cb.0, tc.coord
                        )));
                    }
                }
                let slot = self.dma_load(p, index, *cb, src, &targets)?;
                for &t in &targets {
                    if let Some(c) = self.pes[t].cbs.get_mut(&cb.0) {
                        c.slots.push_back(slot.clone());
                    }
                }
            }
            Op::DmaOut { cb, dst } => {
                block_unless_ready!(&[*cb], &[], &[]);
                self.dma_check(p, index, dst)?;
                let slot = self.pop(p, index, *cb)?;
                if slot.data.dtype() != dst.dtype
                    || numel(&dst.shape) != Some(slot.data.len() as u64)
                {
                    return Err(self.err(
                        p,
                        index,
                        format!(
                            "dma_out of a {:?} {} tile as {:?} {}",
                            slot.shape,
                            slot.data.dtype(),
                            dst.shape,
                            dst.dtype
                        ),
                    ));
                }
                let mut target = std::mem::replace(
                    &mut self.buffers[dst.buffer as usize],
                    Buffer::zeros(ScalarType::Bool, 0),
                );
                let walked = self.dma_walk(p, index, dst, |si, bi| {
                    data::copy_elem(&mut target, bi, &slot.data, si);
                });
                self.buffers[dst.buffer as usize] = target;
                self.stats.dma_bytes_out += walked? * dst.dtype.byte_size() as u64;
            }
            Op::Prefetch { buffer, base, len, dtype } => {
                let decl = &self.program.buffers[*buffer as usize];
                if decl.dtype != *dtype {
                    return Err(SimError::DmaDtype {
                        pe: self.pes[p].coord,
                        index,
                        buffer: decl.name.clone(),
                        expected: *dtype,
                        got: decl.dtype,
                    });
                }
                let end = u128::from(*base) + u128::from(*len);
                if *len > 0 && end > u128::from(decl.len) {
                    return Err(SimError::DmaOutOfBounds {
                        pe: self.pes[p].coord,
                        index,
                        buffer: decl.name.clone(),
                        element: (end - 1) as i128,
                        len: decl.len,
                    });
                }
            }
            Op::DpeMm { acc, a, b, m, n, k, dtype, accumulate } => {
                let (pops, peeks, pushes): (&[CbId], &[CbId], &[CbId]) =
                    if *accumulate { (&[*a, *b], &[*acc], &[]) } else { (&[*a, *b], &[], &[*acc]) };
                block_unless_ready!(pops, peeks, pushes);
                let adt = acc_dtype(*dtype)
                    .ok_or_else(|| self.unsupported(p, index, format!("dpe_mm on {dtype}")))?;
                let (m, n, k) = (u64::from(*m), u64::from(*n), u64::from(*k));
                let mn = m * n;
                self.check_fits(p, p, index, *acc, mn, adt)?;
                let sa = self.pop(p, index, *a)?;
                let sb = self.pop(p, index, *b)?;
                for (name, s, want) in [("a", &sa, m * k), ("b", &sb, k * n)] {
                    if s.data.dtype() != *dtype || s.data.len() as u64 != want {
                        return Err(self.err(p, index, format!("dpe_mm operand {name} is a {:?} {} tile, expected {want} {dtype} elements", s.shape, s.data.dtype())));
                    }
                }
                let init = if *accumulate {
                    let front = self.cb(p, index, *acc)?.slots.front().map(|s| s.data.clone());
                    let front = front.ok_or_else(|| self.err(p, index, "accumulator is empty"))?;
                    if front.dtype() != adt || front.len() as u64 != mn {
                        return Err(self.err(
                            p,
                            index,
                            format!(
                                "accumulator is {} x {}, expected {adt} x {mn}",
                                front.dtype(),
                                front.len()
                            ),
                        ));
                    }
                    front.to_f64_vec()
                } else {
                    vec![0.0; mn as usize]
                };
                let (av, bv) = (sa.data.to_f64_vec(), sb.data.to_f64_vec());
                let (m, n, k) = (m as usize, n as usize, k as usize);
                let mut out = init;
                let (rows, depth) = if n == 0 || k == 0 { (0, 0) } else { (m, k) };
                for i in 0..rows {
                    for kk in 0..depth {
                        let x = av[i * k + kk];
                        for j in 0..n {
                            let y = bv[kk * n + j];
                            let o = &mut out[i * n + j];
                            *o = match adt {
                                ScalarType::F32 => f64::from(*o as f32 + (x as f32) * (y as f32)),
                                ScalarType::F64 => *o + x * y,
                                _ => {
                                    let s =
                                        (*o as i32).wrapping_add((x as i32).wrapping_mul(y as i32));
                                    f64::from(s)
                                }
                            };
                        }
                    }
                }
                let slot =
                    Slot { shape: vec![m as u64, n as u64], data: Buffer::from_f64(adt, &out) };
                if *accumulate {
                    if let Some(front) = self.cb_mut(p, index, *acc)?.slots.front_mut() {
                        *front = slot;
                    }
                } else {
                    self.push(p, index, *acc, slot)?;
                }
            }
            Op::ReAcc { acc, input } => {
                if acc == input {
                    return Err(self.err(
                        p,
                        index,
                        "re_acc needs distinct accumulator and input CBs",
                    ));
                }
                block_unless_ready!(&[*input], &[*acc], &[]);
                let x = self.pop(p, index, *input)?;
                self.add_into_front(p, index, *acc, &x)?;
            }
            Op::ReSend { dir, cb } | Op::Send { dir, cb } => {
                let to = self.neighbour(p, index, *dir)?;
                block_unless_ready!(&[*cb], &[], &[]);
                let slot = self.pop(p, index, *cb)?;
                let kind =
                    if matches!(cmd.op, Op::Send { .. }) { Link::Data } else { Link::Reduce };
                self.links.entry((self.pes[p].coord, to, kind)).or_default().push_back(slot);
            }
            Op::Recv { dir, cb } | Op::ReRecv { dir, cb } => {
                let from = self.neighbour(p, index, *dir)?;
                let is_data = matches!(cmd.op, Op::Recv { .. });
                let kind = if is_data { Link::Data } else { Link::Reduce };
                let key = (from, self.pes[p].coord, kind);
                if self.links.get(&key).is_none_or(|q| q.is_empty()) {
                    return Ok(Outcome::Blocked(format!("no message from {dir:?} PE {from:?}")));
                }
                if is_data {
                    block_unless_ready!(&[], &[], &[*cb]);
                } else {
                    block_unless_ready!(&[], &[*cb], &[]);
                }
                let msg = self.links.get_mut(&key).and_then(|q| q.pop_front());
                let msg = msg.ok_or_else(|| self.err(p, index, "link is empty"))?;
                if is_data {
                    self.push(p, index, *cb, msg)?;
                } else {
                    self.add_into_front(p, index, *cb, &msg)?;
                }
            }
            Op::ReDrain { out, acc } => {
                block_unless_ready!(&[*acc], &[], &[*out]);
                let slot = self.pop(p, index, *acc)?;
                self.push(p, index, *out, slot)?;
            }
            Op::SeOp { func, dtype, out, inputs } => {
                block_unless_ready!(inputs, &[], &[*out]);
                let slot = self.elementwise(p, index, *func, *dtype, inputs)?;
                self.push(p, index, *out, slot)?;
            }
            Op::SeLut { func, dtype, out, input } => {
                block_unless_ready!(&[*input], &[], &[*out]);
                let x = self.pop(p, index, *input)?;
                if x.data.dtype() != *dtype || !dtype.is_float() {
                    return Err(self.err(
                        p,
                        index,
                        format!("se_lut {dtype} on a {} tile", x.data.dtype()),
                    ));
                }
                let data = data::lut(*func, &x.data);
                self.push(p, index, *out, Slot { shape: x.shape, data })?;
            }
            Op::VecOp { func, dtype, out, inputs } => {
                block_unless_ready!(inputs, &[], &[*out]);
                let slot = match func {
                    VecFn::Elt(f) => self.elementwise(p, index, *f, *dtype, inputs)?,
                    VecFn::Copy => {
                        let x = self.pop(p, index, inputs[0])?;
                        if x.data.dtype() != *dtype {
                            return Err(self.err(
                                p,
                                index,
                                format!("copy {dtype} of a {} tile", x.data.dtype()),
                            ));
                        }
                        x
                    }
                    VecFn::Reduce { op, axis } => {
                        let x = self.pop(p, index, inputs[0])?;
                        self.reduce(p, index, (*op, *axis), *dtype, x, *out)?
                    }
                };
                self.push(p, index, *out, slot)?;
            }
            Op::Mlu(m) => {
                let (out, ins): (CbId, Vec<CbId>) = match m {
                    MluOp::Transpose { out, input, .. }
                    | MluOp::Reshape { out, input, .. }
                    | MluOp::Slice { out, input, .. } => (*out, vec![*input]),
                    MluOp::Concat { out, inputs, .. } => (*out, inputs.clone()),
                };
                block_unless_ready!(&ins, &[], &[out]);
                let mut slots = Vec::new();
                for &c in &ins {
                    slots.push(self.pop(p, index, c)?);
                }
                let slot = self.mlu(p, index, m, slots)?;
                self.push(p, index, out, slot)?;
            }
            Op::Wait { token } => {
                if !self.pes[p].tokens.contains(&token.0) {
                    return Ok(Outcome::Blocked(format!("token t{} not produced", token.0)));
                }
            }
            Op::Barrier { set } => {
                let (row, col) = self.pes[p].coord;
                let g = self.pes[p].barriers_passed;
                let program = self.program;
                for (q, other) in self.pes.iter().enumerate() {
                    let (r, c) = other.coord;
                    let member = match *set {
                        PeSet::All => true,
                        PeSet::Row => r == row,
                        PeSet::Col => c == col,
                        PeSet::Rect { row: r0, col: c0, rows, cols } => {
                            r >= r0
                                && c >= c0
                                && u64::from(r) < u64::from(r0) + u64::from(rows)
                                && u64::from(c) < u64::from(c0) + u64::from(cols)
                        }
                    };
                    if q == p || !member {
                        continue;
                    }
                    let at_barrier = matches!(
                        program.pes[q].commands.get(other.pc).map(|c| &c.op),
                        Some(Op::Barrier { .. })
                    );
                    if !(other.barriers_passed > g || (other.barriers_passed == g && at_barrier)) {
                        return Ok(Outcome::Blocked(format!(
                            "PE {:?} has not reached the barrier",
                            other.coord
                        )));
                    }
                }
                self.pes[p].barriers_passed += 1;
            }
        }
        Ok(Outcome::Done)
    }

    /// Adds `x` elementwise into the front slot of `cb`, in place.
    fn add_into_front(
        &mut self,
        p: usize,
        index: usize,
        cb: CbId,
        x: &Slot,
    ) -> Result<(), SimError> {
        let front = self.cb(p, index, cb)?.slots.front();
        let front = front.ok_or_else(|| self.err(p, index, format!("cb{} is empty", cb.0)))?;
        let dtype = front.data.dtype();
        if x.data.dtype() != dtype || x.data.len() != front.data.len() {
            return Err(self.err(
                p,
                index,
                format!(
                    "adding a {} x {} tile into a {dtype} x {} accumulator",
                    x.data.dtype(),
                    x.data.len(),
                    front.data.len()
                ),
            ));
        }
        if !(dtype.is_float() || (dtype.is_int() && dtype.bits() <= 32)) {
            return Err(self.unsupported(p, index, format!("reduction adds on {dtype}")));
        }
        let sum: Vec<f64> = front
            .data
            .to_f64_vec()
            .iter()
            .zip(x.data.to_f64_vec())
            .map(|(&a, b)| data::add(dtype, a, b))
            .collect();
        let data = Buffer::from_f64(dtype, &sum);
        if let Some(front) = self.cb_mut(p, index, cb)?.slots.front_mut() {
            front.data = data;
        }
        Ok(())
    }

    fn elementwise(
        &mut self,
        p: usize,
        index: usize,
        func: EltFn,
        dtype: ScalarType,
        inputs: &[CbId],
    ) -> Result<Slot, SimError> {
        let mut xs = Vec::new();
        for &c in inputs {
            xs.push(self.pop(p, index, c)?);
        }
        for x in &xs {
            if x.data.dtype() != dtype || x.shape != xs[0].shape || x.data.len() != xs[0].data.len()
            {
                return Err(self.err(
                    p,
                    index,
                    format!("elementwise {dtype} op on a {:?} {} tile", x.shape, x.data.dtype()),
                ));
            }
        }
        // The interpreter's own elementwise code: bit-identical semantics by construction.
        let result = match (func, xs.as_slice()) {
            (EltFn::Unary(u), [x]) => tessera_ir::interp::unary_buffer(u, &x.data),
            (EltFn::Binary(b), [x, y]) => tessera_ir::interp::binary_buffer(b, &x.data, &y.data),
            _ => Err(format!("{func:?} takes {} inputs", xs.len())),
        };
        let out = result.map_err(|message| self.unsupported(p, index, message))?;
        let shape = xs.first().map(|x| x.shape.clone()).unwrap_or_default();
        Ok(Slot { shape, data: out })
    }

    fn reduce(
        &self,
        p: usize,
        index: usize,
        (op, axis): (ReduceOp, u32),
        dtype: ScalarType,
        x: Slot,
        out_cb: CbId,
    ) -> Result<Slot, SimError> {
        if x.data.dtype() != dtype {
            return Err(self.err(p, index, format!("reduce {dtype} of a {} tile", x.data.dtype())));
        }
        if !dtype.is_float() || matches!(op, ReduceOp::ArgMax | ReduceOp::ArgMin) {
            return Err(self.unsupported(p, index, format!("reduce_{} on {dtype}", op.name())));
        }
        let axis = axis as usize;
        if axis >= x.shape.len() || numel(&x.shape) != Some(x.data.len() as u64) {
            return Err(self.err(p, index, format!("reduce axis {axis} of a {:?} tile", x.shape)));
        }
        let len = x.shape[axis] as usize;
        if len == 0 && op != ReduceOp::Sum {
            return Err(self.err(p, index, "reduce over an empty axis"));
        }
        let mut shape = x.shape.clone();
        shape.remove(axis);
        if shape.is_empty() {
            shape.push(1);
        }
        // The result must fit its slot before anything is allocated.
        let out_len = numel(&shape).unwrap_or(u64::MAX);
        self.check_fits(p, p, index, out_cb, out_len, dtype)?;
        let inner: usize = x.shape[axis + 1..].iter().map(|&d| d as usize).product();
        let outer: usize = x.shape[..axis].iter().map(|&d| d as usize).product();
        let acc_t = if dtype == ScalarType::F64 { ScalarType::F64 } else { ScalarType::F32 };
        let v = x.data.to_f64_vec();
        let mut out = Vec::with_capacity(outer * inner);
        for o in 0..outer {
            for i in 0..inner {
                let mut lane = (0..len).map(|l| v[(o * len + l) * inner + i]);
                let r = match (op, lane.next()) {
                    (_, None) => 0.0,
                    (ReduceOp::Sum, Some(first)) => lane.fold(first, |s, e| data::add(acc_t, s, e)),
                    (ReduceOp::Max, Some(first)) => {
                        lane.fold(first, |a, b| data::combine(BinaryOp::Max, dtype, a, b))
                    }
                    (_, Some(first)) => {
                        lane.fold(first, |a, b| data::combine(BinaryOp::Min, dtype, a, b))
                    }
                };
                out.push(r);
            }
        }
        Ok(Slot { shape, data: Buffer::from_f64(dtype, &out) })
    }

    fn mlu(&self, p: usize, index: usize, m: &MluOp, slots: Vec<Slot>) -> Result<Slot, SimError> {
        for s in &slots {
            if numel(&s.shape) != Some(s.data.len() as u64) {
                return Err(self.err(p, index, "tile shape does not match its data"));
            }
        }
        let bad = |msg: String| self.err(p, index, msg);
        let first = slots.first().ok_or_else(|| bad("no input".into()))?;
        let (shape, indices, source): (Vec<u64>, Vec<usize>, Buffer) = match m {
            MluOp::Reshape { shape, .. } => {
                if numel(shape) != Some(first.data.len() as u64) {
                    return Err(bad(format!("reshape of {:?} to {shape:?}", first.shape)));
                }
                return Ok(Slot { shape: shape.clone(), data: first.data.clone() });
            }
            MluOp::Transpose { perm, .. } => {
                let rank = first.shape.len();
                let mut seen = vec![false; rank];
                for &d in perm {
                    match seen.get_mut(d as usize) {
                        Some(s) if !*s => *s = true,
                        _ => return Err(bad(format!("perm {perm:?} for rank {rank}"))),
                    }
                }
                if perm.len() != rank {
                    return Err(bad(format!("perm {perm:?} for rank {rank}")));
                }
                let out_shape: Vec<u64> = perm.iter().map(|&d| first.shape[d as usize]).collect();
                let in_strides = row_major_strides(&first.shape);
                let mut idx = Vec::new();
                for_each_index(&out_shape, |o| {
                    let mut i = 0usize;
                    for (d, &od) in o.iter().enumerate() {
                        i += (od * in_strides[perm[d] as usize]) as usize;
                    }
                    idx.push(i);
                    Ok(())
                })?;
                (out_shape, idx, first.data.clone())
            }
            MluOp::Slice { offsets, sizes, .. } => {
                let ok = offsets.len() == first.shape.len()
                    && offsets
                        .iter()
                        .zip(sizes)
                        .zip(&first.shape)
                        .all(|((&o, &s), &d)| o.checked_add(s).is_some_and(|e| e <= d));
                if !ok {
                    return Err(bad(format!("slice {offsets:?}+{sizes:?} of {:?}", first.shape)));
                }
                let in_strides = row_major_strides(&first.shape);
                let mut idx = Vec::new();
                for_each_index(sizes, |o| {
                    let shifted: Vec<u64> = o.iter().zip(offsets).map(|(a, b)| a + b).collect();
                    idx.push(flat(&shifted, &in_strides));
                    Ok(())
                })?;
                (sizes.clone(), idx, first.data.clone())
            }
            MluOp::Concat { axis, .. } => {
                let axis = *axis as usize;
                let rank = first.shape.len();
                let mut data = first.data.clone();
                let mut total = 0u64;
                let mut offsets = Vec::new();
                for s in &slots {
                    let same = s.shape.len() == rank
                        && axis < rank
                        && s.shape
                            .iter()
                            .zip(&first.shape)
                            .enumerate()
                            .all(|(d, (a, b))| d == axis || a == b);
                    if !same || s.data.dtype() != first.data.dtype() {
                        return Err(bad(format!(
                            "concat of {:?} and {:?} on axis {axis}",
                            first.shape, s.shape
                        )));
                    }
                    offsets.push(total);
                    total += s.shape[axis];
                }
                for s in &slots[1..] {
                    data = data::append(&data, &s.data)
                        .ok_or_else(|| bad("concat of mixed dtypes".into()))?;
                }
                let mut out_shape = first.shape.clone();
                out_shape[axis] = total;
                // Source index of every output element inside the appended inputs.
                let mut bases = Vec::new();
                let mut b = 0usize;
                for s in &slots {
                    bases.push(b);
                    b += s.data.len();
                }
                let mut idx = Vec::new();
                for_each_index(&out_shape, |o| {
                    let which = (0..slots.len())
                        .find(|&w| {
                            o[axis] >= offsets[w] && o[axis] < offsets[w] + slots[w].shape[axis]
                        })
                        .unwrap_or(0);
                    let s = &slots[which];
                    let mut local = o.to_vec();
                    local[axis] -= offsets[which];
                    idx.push(bases[which] + flat(&local, &row_major_strides(&s.shape)));
                    Ok(())
                })?;
                (out_shape, idx, data)
            }
        };
        let data = data::gather(&source, &indices)
            .ok_or_else(|| bad("layout index out of range".into()))?;
        Ok(Slot { shape, data })
    }
}
