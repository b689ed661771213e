//! The simulator of PE programs: [`run`] executes one SPMD
//! [`Program`] on every PE of a launch's sub-grid, over host buffers given as
//! [`KernelArg`]s, and returns [`SimStats`] or a typed [`SimError`]. It never
//! panics, whatever the program, the launch or the arguments, and it is
//! deterministic: the same inputs give the same result, statistics and buffers.
//!
//! # Before the run
//!
//! In this order: [`Program::validate`] ([`SimError::Invalid`]); the launch:
//! `1 ≤ rows ≤ machine.grid.rows`, `1 ≤ cols ≤ machine.grid.cols`, at most
//! [`MAX_PES`] PEs ([`SimError::SubGrid`]) and every `grid` entry in `1..=i32::MAX`
//! ([`SimError::BadGrid`]); [`Program::local_mem_bytes`] `≤ machine.local_mem.bytes`
//! ([`SimError::LocalMemOverflow`]); the arguments, bound to `program.params` in
//! order: a [`KernelArg::Buffer`] of exactly the dtype of a [`ParamKind::Buffer`], a
//! [`KernelArg::Scalar`] of exactly the type of a [`ParamKind::Scalar`]
//! ([`SimError::ArgCount`], [`SimError::ArgMismatch`]). Buffers are updated in place;
//! after an error their contents are unspecified (transfers before the failing
//! command have happened; the failing command itself writes nothing).
//!
//! # Execution
//!
//! Every PE runs `program.code` from index 0 with its own program counter, registers
//! (all unset at the start: reading one before writing it is
//! [`SimError::UnsetRegister`]), CBs (every declared CB, empty), tokens and incoming
//! links; it finishes when its program counter reaches `code.len()`. Scheduling is
//! round-robin over the PEs in row-major order: a PE runs until it blocks, finishes
//! or has executed 64 commands, then the next PE runs. A command that cannot proceed
//! **blocks** with no effect at all and is retried on the PE's next turn. When a
//! whole pass over the unfinished PEs executes nothing, the run fails with
//! [`SimError::Deadlock`], listing every unfinished PE, its command and what it waits
//! for. Every executed command costs one unit of `launch.fuel`; executing more than
//! `fuel` commands over all PEs is [`SimError::FuelExhausted`]. A command completes
//! when it executes (there is no timing), producing its token, if any.
//!
//! # Operands
//!
//! A scalar operand is a register, an immediate ([`crate::program::Imm::to_scalar`]),
//! the scalar argument of a parameter, or a PE-id register (an `i32`: the PE's row and
//! column inside the sub-grid, the sub-grid's rows and columns, `launch.grid[axis]`).
//! A CB operand reads the front slot of the CB without removing it and blocks while
//! the CB is empty; where a scalar is needed (the inputs of `s_op`, a branch
//! condition), the slot must hold exactly one element ([`SimError::Fault`]).
//!
//! # Circular buffers
//!
//! A CB is a FIFO of at most `depth` slots; a slot holds a typed tile (elements and a
//! shape). Commands that push (`dma_in`, `bcast_load`, `gather`, `recv`, the `old`
//! values of `atomic`, compute with [`crate::program::Dst::Push`]) block while the CB
//! is full; `pop` and every read of the front slot block while it is empty;
//! [`crate::program::Dst::Update`] replaces the front slot (blocking while there is
//! none) after reading the inputs, so the CB may also be an input. A tile of more
//! than `slot_bytes` bytes is [`SimError::SlotOverflow`]; a tile whose nonzero
//! dimensions multiply to more than [`MAX_TILE_ELEMENTS`] is a fault.
//!
//! # Compute
//!
//! `op_tile` and `s_op` evaluate the tile IR op of the same name with the reference
//! interpreter ([`tessera_ir::interp::eval_pure_op`]), so results are bit-exact with
//! it, including every rounding, wrapping and NaN rule. A tile input is a CB slot
//! with its shape and dtype; a scalar input is a rank-0 value, except that a scalar
//! input of an elementwise op (unary, binary, cmp, select, cast, fma) with a tile result
//! stands for that scalar in every lane (as a vector-scalar instruction); the result type is the
//! command's `shape` and `dtype` (rank 0 for `s_op`, whose CB inputs are scalars).
//! `copy` returns its input, which must have the result type. Anything the
//! interpreter rejects (mismatched types or shapes, an op undefined on a dtype) is
//! [`SimError::Eval`].
//!
//! # Control and asserts
//!
//! `jmp` continues at its target; `br`/`brz` when the `bool` scalar condition is
//! true/false. `assert` with `launch.check_asserts` reads its condition, a `bool`
//! scalar or a CB tile of `bool`s (any shape), and fails with
//! [`SimError::AssertFailed`] at the first false lane in row-major order; with asserts
//! off it is a no-op that reads nothing (as if compiled out).
//!
//! # Memory
//!
//! A strided transfer (`dma_in`, `dma_out`, `bcast_load`, which is functionally a
//! `dma_in` of the issuing PE) moves element `i` (a row-major multi-index over
//! `shape`) at `base + Σ_d i[d]·strides[d]`, in elements of the buffer; `base` and the
//! strides are integer scalars of any type, converted to `i64` (a `u64` wraps), and
//! the arithmetic wraps. The mask selects the live lanes: all; those with
//! `i[d] < extent[d]` for every `d` (integer extents, negative ones count as 0); or
//! those true in the front slot of a CB (a `bool` tile with as many elements as the
//! transfer, any shape). A live lane whose address is outside the buffer is
//! [`SimError::DmaOutOfBounds`], checked for every lane before anything moves. A load
//! fills dead lanes with zero and pushes a tile of the descriptor's shape and the
//! buffer's dtype; a store writes only live lanes, from a front slot (not popped)
//! that must have the buffer's dtype and as many elements as the descriptor.
//!
//! An indexed transfer takes lane addresses from the front slot of its `index` CB
//! (any integer dtype, converted to `i64`), and its optional mask from a `bool` tile
//! with as many elements. `gather` pushes a tile of the index tile's shape;
//! `scatter` stores the front slot of its CB in row-major lane order, so the last of
//! several aliasing lanes wins; `atomic` updates each live lane in row-major order
//! with [`tessera_ir::interp::atomic_update`] and, if `old` is given, pushes the values
//! read (0 for dead lanes) as a tile of the index tile's shape. `prefetch`
//! bounds-checks `base..base + len` (empty when `len ≤ 0`) and does nothing else.
//! `pop` removes the front slot.
//!
//! # Neighbours and synchronization
//!
//! Between every ordered pair of neighbours there are two unbounded FIFO links, one
//! for data (`send`/`recv`) and one for the reduction network
//! (`re_send`/`re_recv`). `send`/`re_send` append a copy of the front slot (not
//! popped); `recv` blocks until a message arrives and pushes it (blocking while the CB
//! is full); `re_recv` blocks until a message arrives and the CB has a front slot,
//! then adds the message into it elementwise with the interpreter's `add` (shapes and
//! dtypes must match). A neighbour outside the sub-grid is [`SimError::NoNeighbour`],
//! whether or not the command would block. A send that would leave more than
//! [`MAX_IN_FLIGHT_BYTES`] in flight over all links is [`SimError::LinkOverflow`].
//!
//! `wait t` blocks until this PE has executed the command producing `t`; `fence` is a
//! no-op. A PE's `n`-th `barrier` completes once every other PE of its set (the
//! sub-grid, the issuer's row or column, or a rectangle, which must lie in the
//! sub-grid and contain the issuer) has passed its own `n`-th barrier or is blocked at
//! a barrier command after passing `n - 1` (whatever that command's set). A finished
//! PE never arrives, so waiting for one is a deadlock.
//!
//! # Statistics
//!
//! [`SimStats`] counts executed commands (in total, per PE, per mnemonic) and the
//! bytes of live lanes loaded (`dma_in`, `bcast_load`, `gather`) and stored
//! (`dma_out`, `scatter`, `atomic`).
//!
//! # Time
//!
//! [`Launch::mode`] selects [`Mode::Functional`] (the above only), [`Mode::Timed`]
//! (also the timing model of `timing.rs`: per-engine in-order queues, issue cost,
//! CB dependencies, shared DRAM/SRAM bandwidth, broadcasts, barriers; see its module
//! docs) or [`Mode::TimingOnly`] (the timing model without arithmetic or data
//! movement, for fast what-if runs; the same cycle counts as `Timed` unless control
//! flow reads data, which is then an error). In timed modes the scheduler always steps
//! the PE whose control core is earliest, and [`SimStats::timing`] holds the cycle
//! counts; [`Report`] derives rates and the binding roofline ceiling, and
//! [`chrome_trace`] writes the timeline.

mod cost;
mod data;
mod dma;
mod error;
mod exec;
mod report;
mod state;
mod timing;

use std::collections::BTreeMap;

use tessera_ir::interp::KernelArg;

use crate::machine::Machine;
use crate::program::{ParamKind, Program};

pub use error::{BlockedPe, SimError};
pub use report::{chrome_trace, Ceiling, Report, UnitLine};
pub use timing::{Mode, Timing, TraceEvent, Unit, UnitStats};

/// A PE as `(row, col)` inside the sub-grid.
pub type PeCoord = (u32, u32);

/// The largest sub-grid the simulator accepts, in PEs.
pub const MAX_PES: u64 = 1 << 12;

/// The largest tile, in elements (as in the reference interpreter).
pub const MAX_TILE_ELEMENTS: u64 = 1 << 28;

/// The most bytes of messages that may be in flight (sent and not yet received) over
/// all neighbour links at once: the links are unbounded FIFOs, but a program that
/// sends without receiving must fail rather than exhaust the host's memory.
pub const MAX_IN_FLIGHT_BYTES: u64 = 1 << 26;

/// How a program is launched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Launch {
    /// Program instances along each axis (read through [`crate::program::Special::Grid`]);
    /// every entry in `1..=i32::MAX`.
    pub grid: [u32; 3],
    /// Rows of the sub-grid of PEs that run the program.
    pub rows: u32,
    /// Columns of the sub-grid.
    pub cols: u32,
    /// Maximum number of commands executed, over all PEs.
    pub fuel: u64,
    /// Whether `assert` is checked.
    pub check_asserts: bool,
    /// Functional, timed, or timing-only (see [`Mode`]).
    pub mode: Mode,
    /// In timed modes, record every command on the timeline ([`Timing::trace`]).
    pub trace: bool,
    /// Buffer parameters (indices into `program.params`) the host placed in on-chip
    /// SRAM: the timing model serves their transfers from SRAM whatever level a
    /// descriptor names (a DMA address decides the level, not the instruction).
    pub sram_buffers: Vec<u32>,
}

impl Default for Launch {
    /// One PE, a `[1, 1, 1]` grid, 200 million commands of fuel, asserts checked.
    fn default() -> Self {
        Launch {
            grid: [1, 1, 1],
            rows: 1,
            cols: 1,
            fuel: 200_000_000,
            check_asserts: true,
            mode: Mode::Functional,
            trace: false,
            sram_buffers: Vec::new(),
        }
    }
}

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SimStats {
    /// Commands executed over all PEs.
    pub commands: u64,
    /// Commands executed by each PE of the sub-grid (every PE has an entry).
    pub commands_per_pe: BTreeMap<PeCoord, u64>,
    /// Commands executed per mnemonic ([`crate::program::Op::mnemonic`]); only
    /// mnemonics that ran.
    pub commands_per_op: BTreeMap<&'static str, u64>,
    /// Bytes of live lanes read by `dma_in`, `bcast_load` and `gather`.
    pub bytes_loaded: u64,
    /// Bytes of live lanes written by `dma_out`, `scatter` and `atomic`.
    pub bytes_stored: u64,
    /// Cycle counts, in timed modes.
    pub timing: Option<Timing>,
}

/// Runs `program` on `machine` over the sub-grid and grid of `launch`, with `args`
/// bound to `program.params` in order (see the module docs for the semantics).
pub fn run(
    program: &Program,
    machine: &Machine,
    launch: &Launch,
    args: &mut [KernelArg],
) -> Result<SimStats, SimError> {
    program.validate()?;
    check_launch(machine, launch)?;
    let needed = program.local_mem_bytes();
    let capacity = machine.local_mem.bytes;
    if needed > capacity {
        return Err(SimError::LocalMemOverflow { needed, capacity });
    }
    check_args(program, args)?;
    let mut sim = state::Sim::new(program, machine, launch, args);
    sim.run()?;
    Ok(sim.stats())
}

fn check_launch(machine: &Machine, launch: &Launch) -> Result<(), SimError> {
    let (rows, cols) = (launch.rows, launch.cols);
    let pes = u64::from(rows) * u64::from(cols);
    if rows == 0
        || cols == 0
        || rows > machine.grid.rows
        || cols > machine.grid.cols
        || pes > MAX_PES
    {
        return Err(SimError::SubGrid {
            rows,
            cols,
            machine_rows: machine.grid.rows,
            machine_cols: machine.grid.cols,
        });
    }
    if launch.grid.iter().any(|&g| g == 0 || g > i32::MAX as u32) {
        return Err(SimError::BadGrid { grid: launch.grid });
    }
    Ok(())
}

fn check_args(program: &Program, args: &[KernelArg]) -> Result<(), SimError> {
    if args.len() != program.params.len() {
        return Err(SimError::ArgCount {
            kernel: program.kernel.clone(),
            expected: program.params.len(),
            got: args.len(),
        });
    }
    for (index, (param, arg)) in program.params.iter().zip(args).enumerate() {
        let got = match arg {
            KernelArg::Buffer(buffer) => ParamKind::Buffer(buffer.dtype()),
            KernelArg::Scalar(value) => ParamKind::Scalar(value.dtype()),
        };
        if got != param.kind {
            return Err(SimError::ArgMismatch {
                index,
                param: param.name.clone(),
                expected: param.kind,
                got,
            });
        }
    }
    Ok(())
}
