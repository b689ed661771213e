//! PE programs as data: the operation set of PEGRID.md §3 as Rust enums, with a
//! readable assembly form ([`asm`]) and a binary `.peo` container ([`binary`]).
//!
//! # Design
//!
//! A [`GridProgram`] is one kernel placed on a rectangular sub-grid of PEs. It holds
//! **one explicit [`PeProgram`] per PE that does work**, each tagged with its
//! `(row, col)` inside the sub-grid; PEs with no listed program are idle. We chose
//! explicit per-PE programs over one shared program parameterised by PE coordinates
//! because every operand (buffer offsets, neighbour directions, barrier sets) is then a
//! plain number the simulator and the binary format can check, with no expression
//! language; the cost is size, which is linear in the number of PEs.
//!
//! Every command may produce a [`Token`] (`-> t3` in assembly); later commands wait on
//! it with [`Op::Wait`]. Circular buffers are named by [`CbId`], host buffers by their
//! index into [`GridProgram::buffers`].
//!
//! [`GridProgram::validate`] checks structural well-formedness (ranks, list lengths,
//! arities, names, PE coordinates); both the assembler and the loader run it, so every
//! program they return prints and encodes losslessly. Resource checks against a machine
//! (local-memory capacity, bounds of DMA) belong to the compiler and the simulator.

pub mod asm;
pub mod binary;

pub use tessera_ir::{BinaryOp, ReduceOp, ScalarType, UnaryOp};

use thiserror::Error;

/// Maximum rank of a DMA descriptor / MLU shape.
pub const MAX_RANK: usize = 4;

/// A circular buffer in PE local memory (`cb3`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CbId(pub u32);

/// A completion token produced by a command (`t3`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Token(pub u32);

/// Memory level of a host buffer access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MemLevel {
    Dram,
    Sram,
}

/// A strided DMA descriptor: `buffer[base + sum(i_d * strides[d])]` for `i < shape`,
/// all in elements of `dtype`. The optional mask gives, per dimension, the valid
/// extent (`i_d < mask[d]`); masked-off elements are not transferred (loads fill zero).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DmaDesc {
    pub level: MemLevel,
    /// Index into [`GridProgram::buffers`].
    pub buffer: u32,
    /// Base offset, in elements.
    pub base: u64,
    /// 1 to [`MAX_RANK`] dimensions.
    pub shape: Vec<u64>,
    /// One stride per dimension, in elements (may be negative or zero).
    pub strides: Vec<i64>,
    pub dtype: ScalarType,
    /// Per-dimension valid extents, same rank as `shape`.
    pub mask: Option<Vec<u64>>,
}

/// A PE group for broadcast loads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Group {
    Row,
    Col,
}

/// A neighbour direction on the mesh (north = row - 1, west = col - 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dir {
    North,
    South,
    East,
    West,
}

/// The PEs taking part in a barrier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PeSet {
    /// Every PE of the sub-grid.
    All,
    /// Every PE in the issuing PE's row.
    Row,
    /// Every PE in the issuing PE's column.
    Col,
    /// The rectangle of `rows x cols` PEs whose top-left PE is `(row, col)`.
    Rect { row: u32, col: u32, rows: u32, cols: u32 },
}

/// An elementwise function of the SIMD engine (and of the vector fallback).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EltFn {
    Unary(UnaryOp),
    Binary(BinaryOp),
}

impl EltFn {
    /// Number of input operands.
    pub fn arity(self) -> usize {
        match self {
            EltFn::Unary(_) => 1,
            EltFn::Binary(_) => 2,
        }
    }
}

/// Functions of the lookup-table unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LutFn {
    Exp,
    Log,
    Tanh,
    Sigmoid,
    Erf,
    Rsqrt,
    Recip,
    Gelu,
    Silu,
}

impl LutFn {
    /// Every LUT function, in declaration order (the binary tag is the index).
    pub const ALL: [LutFn; 9] = [
        LutFn::Exp,
        LutFn::Log,
        LutFn::Tanh,
        LutFn::Sigmoid,
        LutFn::Erf,
        LutFn::Rsqrt,
        LutFn::Recip,
        LutFn::Gelu,
        LutFn::Silu,
    ];

    /// Mnemonic in assembly.
    pub fn name(self) -> &'static str {
        match self {
            LutFn::Exp => "exp",
            LutFn::Log => "log",
            LutFn::Tanh => "tanh",
            LutFn::Sigmoid => "sigmoid",
            LutFn::Erf => "erf",
            LutFn::Rsqrt => "rsqrt",
            LutFn::Recip => "recip",
            LutFn::Gelu => "gelu",
            LutFn::Silu => "silu",
        }
    }

    /// Parses a mnemonic.
    pub fn from_name(name: &str) -> Option<LutFn> {
        LutFn::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// Layout operations of the memory-layout unit.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MluOp {
    /// `out = permute(input, perm)`.
    Transpose { out: CbId, input: CbId, perm: Vec<u32> },
    /// `out = reshape(input, shape)`.
    Reshape { out: CbId, input: CbId, shape: Vec<u64> },
    /// `out = concat(inputs, axis)`; at least one input.
    Concat { out: CbId, inputs: Vec<CbId>, axis: u32 },
    /// `out = input[offsets .. offsets + sizes]`; `offsets` and `sizes` have equal rank.
    Slice { out: CbId, input: CbId, offsets: Vec<u64>, sizes: Vec<u64> },
}

/// What a RISC-V vector fallback command computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VecFn {
    /// An elementwise function.
    Elt(EltFn),
    /// A reduction along one axis.
    Reduce { op: ReduceOp, axis: u32 },
    /// A plain copy.
    Copy,
}

impl VecFn {
    /// Number of input operands.
    pub fn arity(self) -> usize {
        match self {
            VecFn::Elt(f) => f.arity(),
            VecFn::Reduce { .. } | VecFn::Copy => 1,
        }
    }
}

/// One PE operation (PEGRID.md §3).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// Static local-memory allocation of `depth` slots of `slot_bytes` each.
    CbAlloc { cb: CbId, slot_bytes: u64, depth: u32 },
    /// Strided load into the next slot of `cb`.
    DmaIn { cb: CbId, src: DmaDesc },
    /// Strided store from the front slot of `cb`.
    DmaOut { cb: CbId, dst: DmaDesc },
    /// Warm SRAM with `len` elements of `buffer` from `base` (in DRAM).
    Prefetch { buffer: u32, base: u64, len: u64, dtype: ScalarType },
    /// One read delivered to every PE of `group`.
    BcastLoad { cb: CbId, src: DmaDesc, group: Group },
    /// `acc (+)= a[m,k] * b[k,n]` on the DPE.
    DpeMm {
        acc: CbId,
        a: CbId,
        b: CbId,
        m: u32,
        n: u32,
        k: u32,
        dtype: ScalarType,
        accumulate: bool,
    },
    /// Reduction engine: `acc += input`.
    ReAcc { acc: CbId, input: CbId },
    /// Reduction engine: send the partial in `cb` to the neighbour in `dir`.
    ReSend { dir: Dir, cb: CbId },
    /// Reduction engine: receive a partial from `dir` and add it into `cb`.
    ReRecv { dir: Dir, cb: CbId },
    /// Reduction engine: move the finished accumulator `acc` into `out`.
    ReDrain { out: CbId, acc: CbId },
    /// SIMD engine elementwise op; `inputs.len() == func.arity()`.
    SeOp { func: EltFn, dtype: ScalarType, out: CbId, inputs: Vec<CbId> },
    /// SIMD engine lookup-table function.
    SeLut { func: LutFn, dtype: ScalarType, out: CbId, input: CbId },
    /// Memory-layout unit.
    Mlu(MluOp),
    /// RISC-V vector fallback; `inputs.len() == func.arity()`.
    VecOp { func: VecFn, dtype: ScalarType, out: CbId, inputs: Vec<CbId> },
    /// Hand the front slot of `cb` to the neighbour in `dir`.
    Send { dir: Dir, cb: CbId },
    /// Receive a slot from the neighbour in `dir` into `cb`.
    Recv { dir: Dir, cb: CbId },
    /// Block until `token` has completed.
    Wait { token: Token },
    /// Block until every earlier command of this PE has completed.
    Fence,
    /// Block until every PE of the set reaches a barrier.
    Barrier { set: PeSet },
}

/// A command: an operation and the token it produces, if any.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Command {
    pub op: Op,
    pub token: Option<Token>,
}

/// The commands of one PE, in issue order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PeProgram {
    /// Row inside the sub-grid.
    pub row: u32,
    /// Column inside the sub-grid.
    pub col: u32,
    pub commands: Vec<Command>,
}

/// A host buffer argument of the kernel.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Buffer {
    /// An identifier (`[A-Za-z_][A-Za-z0-9_.]*`).
    pub name: String,
    pub dtype: ScalarType,
    /// Length in elements.
    pub len: u64,
}

/// A kernel placed on a `rows x cols` sub-grid.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GridProgram {
    /// An identifier (`[A-Za-z_][A-Za-z0-9_.]*`).
    pub kernel: String,
    pub rows: u32,
    pub cols: u32,
    pub buffers: Vec<Buffer>,
    /// At most one program per PE; unlisted PEs are idle.
    pub pes: Vec<PeProgram>,
}

/// A structural error in a program.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ProgramError {
    #[error("sub-grid {rows}x{cols} is empty")]
    EmptyGrid { rows: u32, cols: u32 },
    #[error("`{0}` is not an identifier ([A-Za-z_][A-Za-z0-9_.]*)")]
    BadName(String),
    #[error("PE ({row}, {col}) is outside the {rows}x{cols} sub-grid")]
    PeOutOfGrid { row: u32, col: u32, rows: u32, cols: u32 },
    #[error("PE ({row}, {col}) has two programs")]
    DuplicatePe { row: u32, col: u32 },
    #[error("PE ({row}, {col}) command {index}: {msg}")]
    BadCommand { row: u32, col: u32, index: usize, msg: String },
}

/// Whether `s` is an identifier as the assembly accepts it.
pub fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

fn check_desc(d: &DmaDesc, nbuf: usize) -> Result<(), String> {
    if d.shape.is_empty() || d.shape.len() > MAX_RANK {
        return Err(format!("DMA rank {} is not in 1..={MAX_RANK}", d.shape.len()));
    }
    if d.strides.len() != d.shape.len() {
        return Err(format!("{} strides for rank {}", d.strides.len(), d.shape.len()));
    }
    if let Some(m) = &d.mask {
        if m.len() != d.shape.len() {
            return Err(format!("mask of rank {} for rank {}", m.len(), d.shape.len()));
        }
    }
    if d.buffer as usize >= nbuf {
        return Err(format!("buffer buf{} does not exist ({nbuf} buffers)", d.buffer));
    }
    Ok(())
}

pub(crate) fn check_op(op: &Op, nbuf: usize) -> Result<(), String> {
    match op {
        Op::DmaIn { src: d, .. } | Op::DmaOut { dst: d, .. } | Op::BcastLoad { src: d, .. } => {
            check_desc(d, nbuf)
        }
        Op::Prefetch { buffer, .. } => {
            if *buffer as usize >= nbuf {
                Err(format!("buffer buf{buffer} does not exist ({nbuf} buffers)"))
            } else {
                Ok(())
            }
        }
        Op::SeOp { func, inputs, .. } => check_arity(func.arity(), inputs.len()),
        Op::VecOp { func, inputs, .. } => check_arity(func.arity(), inputs.len()),
        Op::Mlu(m) => match m {
            MluOp::Transpose { perm, .. } => check_rank(perm.len()),
            MluOp::Reshape { shape, .. } => check_rank(shape.len()),
            MluOp::Concat { inputs, .. } => {
                if inputs.is_empty() {
                    Err("concat needs at least one input".into())
                } else {
                    Ok(())
                }
            }
            MluOp::Slice { offsets, sizes, .. } => {
                check_rank(sizes.len())?;
                if offsets.len() != sizes.len() {
                    Err(format!("slice with {} offsets and {} sizes", offsets.len(), sizes.len()))
                } else {
                    Ok(())
                }
            }
        },
        Op::CbAlloc { .. }
        | Op::DpeMm { .. }
        | Op::ReAcc { .. }
        | Op::ReSend { .. }
        | Op::ReRecv { .. }
        | Op::ReDrain { .. }
        | Op::SeLut { .. }
        | Op::Send { .. }
        | Op::Recv { .. }
        | Op::Wait { .. }
        | Op::Fence
        | Op::Barrier { .. } => Ok(()),
    }
}

fn check_arity(want: usize, got: usize) -> Result<(), String> {
    if want == got {
        Ok(())
    } else {
        Err(format!("expects {want} inputs, has {got}"))
    }
}

fn check_rank(r: usize) -> Result<(), String> {
    if r == 0 || r > MAX_RANK {
        Err(format!("rank {r} is not in 1..={MAX_RANK}"))
    } else {
        Ok(())
    }
}

impl GridProgram {
    /// Checks structural well-formedness (see the module docs).
    pub fn validate(&self) -> Result<(), ProgramError> {
        if self.rows == 0 || self.cols == 0 {
            return Err(ProgramError::EmptyGrid { rows: self.rows, cols: self.cols });
        }
        if !is_ident(&self.kernel) {
            return Err(ProgramError::BadName(self.kernel.clone()));
        }
        for b in &self.buffers {
            if !is_ident(&b.name) {
                return Err(ProgramError::BadName(b.name.clone()));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for pe in &self.pes {
            let (row, col) = (pe.row, pe.col);
            if row >= self.rows || col >= self.cols {
                return Err(ProgramError::PeOutOfGrid {
                    row,
                    col,
                    rows: self.rows,
                    cols: self.cols,
                });
            }
            if !seen.insert((row, col)) {
                return Err(ProgramError::DuplicatePe { row, col });
            }
            for (index, c) in pe.commands.iter().enumerate() {
                check_op(&c.op, self.buffers.len()).map_err(|msg| ProgramError::BadCommand {
                    row,
                    col,
                    index,
                    msg,
                })?;
            }
        }
        Ok(())
    }

    /// The program of PE `(row, col)`, if it has one.
    pub fn pe(&self, row: u32, col: u32) -> Option<&PeProgram> {
        self.pes.iter().find(|p| p.row == row && p.col == col)
    }
}
