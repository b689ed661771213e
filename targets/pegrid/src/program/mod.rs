//! PE programs as data: the operation set of PEGRID.md §3 as Rust enums, with a
//! readable assembly form ([`asm`]) and a binary `.peo` container ([`binary`]).
//!
//! # Design
//!
//! A [`Program`] is one compiled kernel, **independent of the launch**: every PE of the
//! sub-grid a launch occupies runs the same command stream (SPMD), as the two RISC-V
//! cores of an MTIA PE run the same control code and differ only in what they read
//! from their PE-id registers ([`Special`]). The sub-grid, the launch grid and the
//! arguments are given when the program runs (see [`crate::sim`]), so one `.peo` file
//! serves every shape, as a Triton cubin does.
//!
//! A PE has three kinds of state:
//! - **scalar registers** `r0..r{regs-1}` of its control core, each holding one typed
//!   scalar; [`Op::Scalar`] computes into them and [`Op::Jump`]/[`Op::Branch`] steer the
//!   program counter, so data-dependent control flow (`while` over loaded data) runs on
//!   the PE like on the real chip;
//! - **circular buffers** ([`CbDecl`]) in local memory, FIFOs of `depth` slots of at
//!   most `slot_bytes` each; a slot holds one typed tile;
//! - **tokens** produced by commands, which later commands may [`Op::Wait`] on.
//!
//! # Circular-buffer discipline
//!
//! Producers **push** a new slot at the back of a CB (the DMA engines, and every
//! compute command whose [`Dst`] is `Push`). Consumers **read the front slot without
//! removing it** (an [`Operand::Cb`]); the front is freed only by an explicit
//! [`Op::Pop`]. A [`Dst::Update`] overwrites the front slot in place (accumulators).
//! This is the producer/consumer protocol of MTIA's Command Processor: with `depth ≥ 2`
//! a DMA can fill the next slot while an engine still reads the current one (double
//! buffering).
//!
//! # Operands
//!
//! Scalars come from registers, immediates ([`Imm`], exact bits of a typed scalar),
//! the launch's scalar parameters and the PE-id registers; a CB operand reads the front
//! slot (a scalar context requires that slot to hold exactly one element). Compute
//! semantics are those of the tile IR op of the same name ([`TileOp`]): the simulator
//! evaluates them with the reference interpreter's arithmetic, so results are exact.
//!
//! [`Program::validate`] checks structural well-formedness (names, register, CB and
//! parameter numbers, ranks, arities, branch targets, which engine runs which op); the
//! assembler and the loader both run it, so every program they return prints and
//! encodes losslessly. Resource checks against a machine (local-memory capacity) and
//! everything that depends on run-time values (bounds of DMA, dtypes of operands)
//! belong to the compiler and the simulator.

pub mod asm;
pub mod binary;

use std::collections::HashSet;

pub use tessera_ir::interp::Scalar;
pub use tessera_ir::{AtomicOp, BinaryOp, CmpPred, ReduceOp, ScalarType, ScanOp, UnaryOp};

use thiserror::Error;

/// Maximum rank of a tile, a DMA descriptor or a CB slot.
pub const MAX_RANK: usize = 4;

/// A circular buffer in PE local memory (`cb3`): an index into [`Program::cbs`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CbId(pub u32);

/// A scalar register of the control core (`r3`): below [`Program::regs`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reg(pub u32);

/// A completion token produced by a command (`t3`); tokens are per PE.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Token(pub u32);

/// A typed immediate, stored as the exact bits of the value (`bits` holds the value
/// zero-extended: `f32` as `f32::to_bits`, `i8 -1` as `0xff`, `bool` as 0 or 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Imm {
    pub dtype: ScalarType,
    pub bits: u64,
}

impl Imm {
    /// The immediate holding `value`, bit for bit.
    pub fn from_scalar(value: Scalar) -> Imm {
        let (dtype, bits) = match value {
            Scalar::Bool(v) => (ScalarType::Bool, v as u64),
            Scalar::I8(v) => (ScalarType::I8, v as u8 as u64),
            Scalar::I16(v) => (ScalarType::I16, v as u16 as u64),
            Scalar::I32(v) => (ScalarType::I32, v as u32 as u64),
            Scalar::I64(v) => (ScalarType::I64, v as u64),
            Scalar::U8(v) => (ScalarType::U8, v as u64),
            Scalar::U16(v) => (ScalarType::U16, v as u64),
            Scalar::U32(v) => (ScalarType::U32, v as u64),
            Scalar::U64(v) => (ScalarType::U64, v),
            Scalar::F16(v) => (ScalarType::F16, v.to_bits() as u64),
            Scalar::BF16(v) => (ScalarType::BF16, v.to_bits() as u64),
            Scalar::F32(v) => (ScalarType::F32, v.to_bits() as u64),
            Scalar::F64(v) => (ScalarType::F64, v.to_bits()),
        };
        Imm { dtype, bits }
    }

    /// The value, or `None` when `bits` has bits set above the width of `dtype` (or a
    /// `bool` other than 0/1).
    pub fn to_scalar(self) -> Option<Scalar> {
        use half::{bf16, f16};
        let b = self.bits;
        let fits = |width: u32| width == 64 || b >> width == 0;
        Some(match self.dtype {
            ScalarType::Bool if b <= 1 => Scalar::Bool(b == 1),
            ScalarType::Bool => return None,
            ScalarType::I8 if fits(8) => Scalar::I8(b as u8 as i8),
            ScalarType::I16 if fits(16) => Scalar::I16(b as u16 as i16),
            ScalarType::I32 if fits(32) => Scalar::I32(b as u32 as i32),
            ScalarType::I64 => Scalar::I64(b as i64),
            ScalarType::U8 if fits(8) => Scalar::U8(b as u8),
            ScalarType::U16 if fits(16) => Scalar::U16(b as u16),
            ScalarType::U32 if fits(32) => Scalar::U32(b as u32),
            ScalarType::U64 => Scalar::U64(b),
            ScalarType::F16 if fits(16) => Scalar::F16(f16::from_bits(b as u16)),
            ScalarType::BF16 if fits(16) => Scalar::BF16(bf16::from_bits(b as u16)),
            ScalarType::F32 if fits(32) => Scalar::F32(f32::from_bits(b as u32)),
            ScalarType::F64 => Scalar::F64(f64::from_bits(b)),
            _ => return None,
        })
    }

    /// An `i64` immediate.
    pub fn i64(v: i64) -> Imm {
        Imm::from_scalar(Scalar::I64(v))
    }

    /// An `i32` immediate.
    pub fn i32(v: i32) -> Imm {
        Imm::from_scalar(Scalar::I32(v))
    }
}

/// A read-only PE-id or launch register; every one is an `i32`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Special {
    /// This PE's row inside the sub-grid (`pe.row`).
    PeRow,
    /// This PE's column inside the sub-grid (`pe.col`).
    PeCol,
    /// Rows of the sub-grid (`pe.rows`).
    PeRows,
    /// Columns of the sub-grid (`pe.cols`).
    PeCols,
    /// Program instances of the launch along an axis 0..=2 (`grid.0`).
    Grid(u8),
}

/// A source of a value. A scalar operand of an elementwise [`TileOp`] (unary, binary,
/// cmp, select, cast, fma) whose result is a tile stands for that scalar in every lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operand {
    /// The front slot of a CB (read, not removed).
    Cb(CbId),
    /// A scalar register.
    Reg(Reg),
    /// A typed immediate.
    Imm(Imm),
    /// A scalar parameter of the kernel, by index into [`Program::params`].
    Param(u32),
    /// A PE-id or launch register.
    Special(Special),
}

impl Operand {
    /// Whether the operand is a scalar source (anything but a CB).
    pub fn is_scalar(self) -> bool {
        !matches!(self, Operand::Cb(_))
    }
}

/// Memory level of a host buffer access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MemLevel {
    Dram,
    Sram,
}

/// Which elements of a DMA transfer are live. Dead elements are not transferred: a
/// load fills them with zero and a store leaves memory untouched.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum DmaMask {
    /// Every element.
    All,
    /// Per dimension, the live extent: element `i` is live iff `i[d] < extent[d]` for
    /// every `d` (an extent is clamped to `0..=shape[d]`). Edges of ragged tiles.
    Extents(Vec<Operand>),
    /// A `bool` tile with one element per transferred element (row-major), the front
    /// slot of the CB.
    Tile(CbId),
}

/// A strided DMA descriptor over kernel buffer parameter `buffer`: element `i` (a
/// multi-index over `shape`, row-major) is `buffer[base + Σ_d i[d] * strides[d]]`,
/// counted in elements of the buffer's dtype. Rank 0 moves one element.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DmaDesc {
    pub level: MemLevel,
    /// Index into [`Program::params`]; must be a buffer parameter.
    pub buffer: u32,
    /// Offset of element 0 (an integer scalar operand).
    pub base: Operand,
    /// 0 to [`MAX_RANK`] dimensions.
    pub shape: Vec<u64>,
    /// One stride per dimension (integer scalar operands; may be negative or zero).
    pub strides: Vec<Operand>,
    pub mask: DmaMask,
}

/// An indexed (gather/scatter) DMA over buffer parameter `buffer`: element `i` is
/// `buffer[index[i]]`, `index` an integer tile in the front slot of a CB; `mask`, a
/// `bool` tile with as many elements (row-major), selects the live elements.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IndexDesc {
    pub level: MemLevel,
    /// Index into [`Program::params`]; must be a buffer parameter.
    pub buffer: u32,
    pub index: CbId,
    pub mask: Option<CbId>,
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

/// A fixed-function unit of a PE that runs [`Op::Tile`] commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Engine {
    /// Dot-product engine: `dot` with `f16`, `bf16` or `i8` inputs.
    Dpe,
    /// Reduction engine: reductions, scans, and elementwise `add` (accumulation).
    Re,
    /// SIMD engine: elementwise ops, math functions (its LUTs), `arange`, `splat`.
    Se,
    /// Memory-layout unit: `trans`, `reshape`, `expand_dims`, `broadcast`, `copy`.
    Mlu,
    /// The RISC-V vector core: anything (the fallback).
    Vec,
}

impl Engine {
    /// Every engine, in declaration order (the binary tag is the index).
    pub const ALL: [Engine; 5] = [Engine::Dpe, Engine::Re, Engine::Se, Engine::Mlu, Engine::Vec];

    /// Lower-case name (`dpe`, `re`, `se`, `mlu`, `vec`).
    pub fn name(self) -> &'static str {
        match self {
            Engine::Dpe => "dpe",
            Engine::Re => "re",
            Engine::Se => "se",
            Engine::Mlu => "mlu",
            Engine::Vec => "vec",
        }
    }

    /// Whether this engine can run `op` (the vector core runs everything).
    pub fn runs(self, op: &TileOp) -> bool {
        match self {
            Engine::Vec => true,
            Engine::Dpe => matches!(op, TileOp::Dot),
            Engine::Re => matches!(
                op,
                TileOp::Reduce { .. } | TileOp::Scan { .. } | TileOp::Binary(BinaryOp::Add)
            ),
            Engine::Se => matches!(
                op,
                TileOp::Arange { .. }
                    | TileOp::Splat
                    | TileOp::Unary(_)
                    | TileOp::Binary(_)
                    | TileOp::Cmp(_)
                    | TileOp::Select
                    | TileOp::Cast
                    | TileOp::Fma
                    | TileOp::Copy
            ),
            Engine::Mlu => matches!(
                op,
                TileOp::ExpandDims { .. }
                    | TileOp::Broadcast
                    | TileOp::Reshape
                    | TileOp::Trans { .. }
                    | TileOp::Copy
            ),
        }
    }
}

/// A compute operation: the tile IR op of the same name with its attributes and
/// without its operands (which a command lists as [`Operand`]s, in the IR's order).
/// The result type is given by the command.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TileOp {
    /// `arange(start, end)`; no inputs.
    Arange {
        start: i64,
        end: i64,
    },
    /// Fill the result with one scalar input.
    Splat,
    ExpandDims {
        axis: u32,
    },
    Broadcast,
    Reshape,
    Trans {
        perm: Vec<u32>,
    },
    Unary(UnaryOp),
    Binary(BinaryOp),
    Cmp(CmpPred),
    /// `select(cond, on_true, on_false)`.
    Select,
    /// Convert to the result dtype.
    Cast,
    /// `a * b + c`.
    Fma,
    Reduce {
        op: ReduceOp,
        axis: u32,
    },
    Scan {
        op: ScanOp,
        axis: u32,
    },
    /// `a @ b + acc`.
    Dot,
    /// The input, unchanged (a move between CBs or registers).
    Copy,
}

impl TileOp {
    /// Number of inputs.
    pub fn arity(&self) -> usize {
        match self {
            TileOp::Arange { .. } => 0,
            TileOp::Splat
            | TileOp::ExpandDims { .. }
            | TileOp::Broadcast
            | TileOp::Reshape
            | TileOp::Trans { .. }
            | TileOp::Unary(_)
            | TileOp::Cast
            | TileOp::Reduce { .. }
            | TileOp::Scan { .. }
            | TileOp::Copy => 1,
            TileOp::Binary(_) | TileOp::Cmp(_) => 2,
            TileOp::Select | TileOp::Fma | TileOp::Dot => 3,
        }
    }
}

/// Where a compute command puts its result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dst {
    /// A new slot at the back of the CB (blocks while the CB is full).
    Push(CbId),
    /// Overwrite the front slot in place (blocks while the CB is empty). The inputs
    /// are read before the slot is written, so the CB may also be an input.
    Update(CbId),
}

impl Dst {
    /// The CB written.
    pub fn cb(self) -> CbId {
        match self {
            Dst::Push(cb) | Dst::Update(cb) => cb,
        }
    }
}

/// One PE operation (PEGRID.md §3, plus the control core's scalar instructions).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    // ----- control core -----
    /// `dst = op(inputs)` on scalars, result of `dtype` (`s_op`).
    Scalar { op: TileOp, dtype: ScalarType, dst: Reg, inputs: Vec<Operand> },
    /// Continue at command index `target` (`jmp`).
    Jump { target: u32 },
    /// If the `bool` scalar `cond` equals `when`, continue at `target` (`br`/`brz`).
    Branch { cond: Operand, when: bool, target: u32 },
    /// `device_assert`: fails the run with `message` unless every element of `cond`
    /// (a `bool` scalar or tile) is true.
    Assert { cond: Operand, message: String },
    // ----- local memory -----
    /// Free the front slot of `cb`.
    Pop { cb: CbId },
    // ----- DMA engine -----
    /// Strided load into a new slot of `cb`.
    DmaIn { cb: CbId, src: DmaDesc },
    /// Strided store of the front slot of `cb` (not popped).
    DmaOut { cb: CbId, dst: DmaDesc },
    /// Gather into a new slot of `cb` (shape of the index tile).
    Gather { cb: CbId, src: IndexDesc },
    /// Scatter the front slot of `cb`; lanes in row-major order, later lanes win.
    Scatter { cb: CbId, dst: IndexDesc },
    /// Atomic read-modify-write of `op` with the values of the front slot of `cb`,
    /// lanes in row-major order; the old values go to a new slot of `old`, if given.
    AtomicRmw { op: AtomicOp, cb: CbId, dst: IndexDesc, old: Option<CbId> },
    /// Warm SRAM with `len` elements of `buffer` from `base` (both integer operands).
    Prefetch { buffer: u32, base: Operand, len: Operand },
    /// Strided load delivered to every PE of the issuer's `group` that issues the same
    /// load; functionally a `dma_in`.
    BcastLoad { cb: CbId, src: DmaDesc, group: Group },
    // ----- compute engines -----
    /// `out = op(inputs)` on `engine`, result of shape `shape` and dtype `dtype`.
    Tile {
        engine: Engine,
        op: TileOp,
        out: Dst,
        shape: Vec<u64>,
        dtype: ScalarType,
        inputs: Vec<Operand>,
    },
    // ----- neighbours and synchronization -----
    /// Reduction network: send a copy of the front slot of `cb` to the neighbour in `dir`.
    ReSend { dir: Dir, cb: CbId },
    /// Reduction network: receive a partial from `dir` and add it into the front slot
    /// of `cb`.
    ReRecv { dir: Dir, cb: CbId },
    /// Send a copy of the front slot of `cb` to the neighbour in `dir`.
    Send { dir: Dir, cb: CbId },
    /// Receive a slot from the neighbour in `dir` into a new slot of `cb`.
    Recv { dir: Dir, cb: CbId },
    /// Block until `token` has completed.
    Wait { token: Token },
    /// Block until every earlier command of this PE has completed.
    Fence,
    /// Block until every PE of the set reaches a barrier.
    Barrier { set: PeSet },
}

impl Op {
    /// The assembly mnemonic.
    pub fn mnemonic(&self) -> &'static str {
        match self {
            Op::Scalar { .. } => "s_op",
            Op::Jump { .. } => "jmp",
            Op::Branch { when: true, .. } => "br",
            Op::Branch { when: false, .. } => "brz",
            Op::Assert { .. } => "assert",
            Op::Pop { .. } => "pop",
            Op::DmaIn { .. } => "dma_in",
            Op::DmaOut { .. } => "dma_out",
            Op::Gather { .. } => "gather",
            Op::Scatter { .. } => "scatter",
            Op::AtomicRmw { .. } => "atomic",
            Op::Prefetch { .. } => "prefetch",
            Op::BcastLoad { .. } => "bcast_load",
            Op::Tile { engine, op, .. } => match engine {
                Engine::Dpe => "dpe_mm",
                Engine::Re => "re_op",
                Engine::Se if matches!(op, TileOp::Unary(u) if is_lut(*u)) => "se_lut",
                Engine::Se => "se_op",
                Engine::Mlu => "mlu",
                Engine::Vec => "vec_op",
            },
            Op::ReSend { .. } => "re_send",
            Op::ReRecv { .. } => "re_recv",
            Op::Send { .. } => "send",
            Op::Recv { .. } => "recv",
            Op::Wait { .. } => "wait",
            Op::Fence => "fence",
            Op::Barrier { .. } => "barrier",
        }
    }
}

/// Whether the SIMD engine computes `op` with its lookup tables (transcendental
/// functions) rather than its ALUs; printed as `se_lut`.
pub fn is_lut(op: UnaryOp) -> bool {
    !matches!(op, UnaryOp::Neg | UnaryOp::Abs | UnaryOp::Not | UnaryOp::Floor | UnaryOp::Ceil)
}

/// A command: an operation and the token it produces, if any.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Command {
    pub op: Op,
    pub token: Option<Token>,
}

impl Command {
    /// A command without a token.
    pub fn new(op: Op) -> Command {
        Command { op, token: None }
    }
}

/// What a kernel parameter is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParamKind {
    /// A pointer parameter: a host buffer of this element type.
    Buffer(ScalarType),
    /// A scalar parameter of this type.
    Scalar(ScalarType),
}

/// A kernel parameter.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Param {
    /// An identifier (`[A-Za-z_][A-Za-z0-9_.]*`).
    pub name: String,
    pub kind: ParamKind,
}

/// A static circular-buffer allocation (`cb_alloc`): `depth` slots of `slot_bytes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CbDecl {
    pub slot_bytes: u64,
    pub depth: u32,
}

/// A compiled kernel: what every PE of a launch runs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Program {
    /// An identifier (`[A-Za-z_][A-Za-z0-9_.]*`).
    pub kernel: String,
    pub params: Vec<Param>,
    /// CB `i` is `cbs[i]`; all are allocated in every PE's local memory.
    pub cbs: Vec<CbDecl>,
    /// Number of scalar registers.
    pub regs: u32,
    /// The command stream; execution starts at index 0 and ends past the last command.
    pub code: Vec<Command>,
}

/// A structural error in a program.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ProgramError {
    #[error("`{0}` is not an identifier ([A-Za-z_][A-Za-z0-9_.]*)")]
    BadName(String),
    #[error("parameter `{0}` is declared twice")]
    DuplicateParam(String),
    #[error("cb{index} has {what}")]
    BadCb { index: usize, what: String },
    #[error("command {index} (`{mnemonic}`): {msg}")]
    BadCommand { index: usize, mnemonic: &'static str, msg: String },
}

impl Program {
    /// Bytes of local memory the CBs occupy on every PE (`Σ slot_bytes · depth`),
    /// saturating.
    pub fn local_mem_bytes(&self) -> u64 {
        self.cbs.iter().fold(0u64, |acc, cb| {
            acc.saturating_add(cb.slot_bytes.saturating_mul(u64::from(cb.depth)))
        })
    }

    /// Checks structural well-formedness (see the module docs).
    pub fn validate(&self) -> Result<(), ProgramError> {
        if !is_ident(&self.kernel) {
            return Err(ProgramError::BadName(self.kernel.clone()));
        }
        let mut names = HashSet::new();
        for p in &self.params {
            if !is_ident(&p.name) {
                return Err(ProgramError::BadName(p.name.clone()));
            }
            if !names.insert(p.name.as_str()) {
                return Err(ProgramError::DuplicateParam(p.name.clone()));
            }
        }
        for (index, cb) in self.cbs.iter().enumerate() {
            if cb.depth == 0 {
                return Err(ProgramError::BadCb { index, what: "depth 0".into() });
            }
            if cb.slot_bytes == 0 {
                return Err(ProgramError::BadCb { index, what: "0-byte slots".into() });
            }
        }
        for (index, c) in self.code.iter().enumerate() {
            self.check_op(&c.op).map_err(|msg| ProgramError::BadCommand {
                index,
                mnemonic: c.op.mnemonic(),
                msg,
            })?;
        }
        Ok(())
    }

    fn check_cb(&self, cb: CbId) -> Result<(), String> {
        if (cb.0 as usize) < self.cbs.len() {
            Ok(())
        } else {
            Err(format!("cb{} does not exist ({} CBs)", cb.0, self.cbs.len()))
        }
    }

    fn check_reg(&self, reg: Reg) -> Result<(), String> {
        if reg.0 < self.regs {
            Ok(())
        } else {
            Err(format!("r{} does not exist ({} registers)", reg.0, self.regs))
        }
    }

    fn check_buffer(&self, buffer: u32) -> Result<(), String> {
        match self.params.get(buffer as usize) {
            Some(Param { kind: ParamKind::Buffer(_), .. }) => Ok(()),
            Some(p) => Err(format!("parameter `{}` is not a buffer", p.name)),
            None => Err(format!("parameter {buffer} does not exist")),
        }
    }

    fn check_operand(&self, operand: Operand) -> Result<(), String> {
        match operand {
            Operand::Cb(cb) => self.check_cb(cb),
            Operand::Reg(r) => self.check_reg(r),
            Operand::Imm(imm) => match imm.to_scalar() {
                Some(_) => Ok(()),
                None => Err(format!("immediate bits {:#x} do not fit {}", imm.bits, imm.dtype)),
            },
            Operand::Param(i) => match self.params.get(i as usize) {
                Some(Param { kind: ParamKind::Scalar(_), .. }) => Ok(()),
                Some(p) => Err(format!("parameter `{}` is not a scalar", p.name)),
                None => Err(format!("parameter {i} does not exist")),
            },
            Operand::Special(Special::Grid(axis)) if axis > 2 => {
                Err(format!("grid axis {axis} is not 0, 1 or 2"))
            }
            Operand::Special(_) => Ok(()),
        }
    }

    fn check_scalar_operand(&self, operand: Operand) -> Result<(), String> {
        if let Operand::Cb(cb) = operand {
            return Err(format!("cb{} where a scalar operand is required", cb.0));
        }
        self.check_operand(operand)
    }

    fn check_desc(&self, d: &DmaDesc) -> Result<(), String> {
        self.check_buffer(d.buffer)?;
        check_rank(d.shape.len())?;
        if d.strides.len() != d.shape.len() {
            return Err(format!("{} strides for rank {}", d.strides.len(), d.shape.len()));
        }
        self.check_scalar_operand(d.base)?;
        for &s in &d.strides {
            self.check_scalar_operand(s)?;
        }
        match &d.mask {
            DmaMask::All => Ok(()),
            DmaMask::Extents(e) => {
                if e.len() != d.shape.len() {
                    return Err(format!("{} mask extents for rank {}", e.len(), d.shape.len()));
                }
                e.iter().try_for_each(|&x| self.check_scalar_operand(x))
            }
            DmaMask::Tile(cb) => self.check_cb(*cb),
        }
    }

    fn check_index(&self, d: &IndexDesc) -> Result<(), String> {
        self.check_buffer(d.buffer)?;
        self.check_cb(d.index)?;
        d.mask.map_or(Ok(()), |m| self.check_cb(m))
    }

    fn check_target(&self, target: u32) -> Result<(), String> {
        if target as usize <= self.code.len() {
            Ok(())
        } else {
            Err(format!("branch target {target} is past the end ({} commands)", self.code.len()))
        }
    }

    fn check_op(&self, op: &Op) -> Result<(), String> {
        match op {
            Op::Scalar { op, dst, inputs, .. } => {
                self.check_reg(*dst)?;
                check_tile_op(op, inputs.len(), 0)?;
                inputs.iter().try_for_each(|&x| self.check_operand(x))
            }
            Op::Jump { target } => self.check_target(*target),
            Op::Branch { cond, target, .. } => {
                self.check_operand(*cond)?;
                self.check_target(*target)
            }
            Op::Assert { cond, .. } => self.check_operand(*cond),
            Op::Pop { cb } => self.check_cb(*cb),
            Op::DmaIn { cb, src: d }
            | Op::DmaOut { cb, dst: d }
            | Op::BcastLoad { cb, src: d, .. } => {
                self.check_cb(*cb)?;
                self.check_desc(d)
            }
            Op::Gather { cb, src: d } | Op::Scatter { cb, dst: d } => {
                self.check_cb(*cb)?;
                self.check_index(d)
            }
            Op::AtomicRmw { cb, dst, old, .. } => {
                self.check_cb(*cb)?;
                self.check_index(dst)?;
                old.map_or(Ok(()), |o| self.check_cb(o))
            }
            Op::Prefetch { buffer, base, len } => {
                self.check_buffer(*buffer)?;
                self.check_scalar_operand(*base)?;
                self.check_scalar_operand(*len)
            }
            Op::Tile { engine, op, out, shape, inputs, .. } => {
                if !engine.runs(op) {
                    return Err(format!("the {} engine does not run {op:?}", engine.name()));
                }
                check_rank(shape.len())?;
                check_tile_op(op, inputs.len(), shape.len())?;
                self.check_cb(out.cb())?;
                inputs.iter().try_for_each(|&x| self.check_operand(x))
            }
            Op::ReSend { cb, .. }
            | Op::ReRecv { cb, .. }
            | Op::Send { cb, .. }
            | Op::Recv { cb, .. } => self.check_cb(*cb),
            Op::Wait { .. } | Op::Fence | Op::Barrier { .. } => Ok(()),
        }
    }
}

/// Arity and attribute checks of a compute op whose result has rank `rank`.
fn check_tile_op(op: &TileOp, inputs: usize, rank: usize) -> Result<(), String> {
    if op.arity() != inputs {
        return Err(format!("expects {} inputs, has {inputs}", op.arity()));
    }
    match op {
        TileOp::Trans { perm } => {
            let mut seen = perm.clone();
            seen.sort_unstable();
            if perm.len() != rank || seen.iter().enumerate().any(|(i, &p)| p as usize != i) {
                return Err(format!("{perm:?} is not a permutation of rank {rank}"));
            }
            Ok(())
        }
        TileOp::Arange { start, end } if end <= start => {
            Err(format!("arange({start}, {end}) is empty"))
        }
        _ => Ok(()),
    }
}

fn check_rank(r: usize) -> Result<(), String> {
    if r > MAX_RANK {
        Err(format!("rank {r} is above {MAX_RANK}"))
    } else {
        Ok(())
    }
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
