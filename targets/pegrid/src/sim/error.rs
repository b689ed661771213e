//! Why a simulated launch failed: [`SimError`]. Errors found before the run (program,
//! launch, arguments, local memory) name what was wrong; errors during the run name
//! the PE (`(row, col)` in the sub-grid), the command index and its mnemonic, and
//! render as one line such as
//! ``PE (0, 1) command 12 `dma_in`: element 1031 of `x` is out of bounds (len 1024)``.

use std::fmt;

use thiserror::Error;

use super::PeCoord;
use crate::program::{Dir, ParamKind, ProgramError};

/// Why a run failed.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum SimError {
    /// [`crate::program::Program::validate`] rejected the program.
    #[error("invalid program: {0}")]
    Invalid(#[from] ProgramError),

    #[error("kernel `{kernel}` takes {expected} argument(s), got {got}")]
    ArgCount { kernel: String, expected: usize, got: usize },

    #[error("argument {index} (`{param}`) must be {}, got {}", Kind(*.expected), Kind(*.got))]
    ArgMismatch { index: usize, param: String, expected: ParamKind, got: ParamKind },

    /// The sub-grid is empty, larger than the machine's grid, or has more than
    /// [`super::MAX_PES`] PEs.
    #[error(
        "a {rows}x{cols} sub-grid does not fit the machine's {machine_rows}x{machine_cols} grid \
         (at least 1x1, at most {} PEs)",
        super::MAX_PES
    )]
    SubGrid { rows: u32, cols: u32, machine_rows: u32, machine_cols: u32 },

    #[error("bad launch grid {grid:?}: every dimension must be between 1 and {}", i32::MAX)]
    BadGrid { grid: [u32; 3] },

    #[error("the CBs need {needed} bytes of local memory per PE, the machine has {capacity}")]
    LocalMemOverflow { needed: u64, capacity: u64 },

    /// A live element of a DMA, gather, scatter, atomic or prefetch lies outside its
    /// buffer; `element` is the address in elements, `op` the command's mnemonic.
    #[error(
        "PE {pe:?} command {index} `{op}`: element {element} of `{buffer}` is out of bounds \
         (len {len})"
    )]
    DmaOutOfBounds {
        pe: PeCoord,
        index: usize,
        op: &'static str,
        buffer: String,
        element: i64,
        len: u64,
    },

    #[error(
        "PE {pe:?} command {index} `{mnemonic}`: a {bytes}-byte tile does not fit the \
         {slot_bytes}-byte slots of cb{cb}"
    )]
    SlotOverflow {
        pe: PeCoord,
        index: usize,
        mnemonic: &'static str,
        cb: u32,
        /// Saturating at `u64::MAX`.
        bytes: u64,
        slot_bytes: u64,
    },

    #[error("PE {pe:?} command {index} `{mnemonic}`: r{reg} is read before it is written")]
    UnsetRegister { pe: PeCoord, index: usize, mnemonic: &'static str, reg: u32 },

    #[error(
        "PE {pe:?} command {index} `{mnemonic}`: no neighbour to the {} inside the sub-grid",
        dir_name(*.dir)
    )]
    NoNeighbour { pe: PeCoord, index: usize, mnemonic: &'static str, dir: Dir },

    /// A `send`/`re_send` would leave more than [`super::MAX_IN_FLIGHT_BYTES`] of
    /// messages sent and not yet received, over all links.
    #[error(
        "PE {pe:?} command {index} `{mnemonic}`: {in_flight} bytes would be in flight on the \
         neighbour links, more than the simulator's limit of {limit}"
    )]
    LinkOverflow { pe: PeCoord, index: usize, mnemonic: &'static str, in_flight: u64, limit: u64 },

    /// A checked `assert` found a false element; `lane` is its row-major index.
    #[error("PE {pe:?} command {index} `assert`: lane {lane} is false: {message}")]
    AssertFailed { pe: PeCoord, index: usize, message: String, lane: u64 },

    /// The reference interpreter rejected a compute op or an atomic/reduction update
    /// (mismatched types or shapes, an op undefined on the dtype).
    #[error("PE {pe:?} command {index} `{mnemonic}`: {message}")]
    Eval { pe: PeCoord, index: usize, mnemonic: &'static str, message: String },

    /// A run-time value does not suit the command: a dtype, shape or element count
    /// that the program's structure cannot rule out (a float DMA base, a store of an
    /// `f16` tile to an `f32` buffer, a barrier rectangle without the issuer, …).
    #[error("PE {pe:?} command {index} `{mnemonic}`: {message}")]
    Fault { pe: PeCoord, index: usize, mnemonic: &'static str, message: String },

    /// A whole scheduling pass made no progress; every unfinished PE is blocked.
    #[error("deadlock: {}", Blocked(.blocked))]
    Deadlock { blocked: Vec<BlockedPe> },

    #[error("fuel exhausted after {fuel} executed commands (does a loop not terminate?)")]
    FuelExhausted { fuel: u64 },
}

/// A PE that cannot proceed, as a [`SimError::Deadlock`] reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockedPe {
    pub pe: PeCoord,
    /// Index of the blocked command.
    pub index: usize,
    pub mnemonic: &'static str,
    /// What it waits for (`cb2 is empty`, `no data message from the east`, …).
    pub reason: String,
}

impl fmt::Display for BlockedPe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let BlockedPe { pe, index, mnemonic, reason } = self;
        write!(f, "PE {pe:?} at command {index} `{mnemonic}` ({reason})")
    }
}

/// `north`, `south`, `east` or `west`.
pub(crate) fn dir_name(dir: Dir) -> &'static str {
    match dir {
        Dir::North => "north",
        Dir::South => "south",
        Dir::East => "east",
        Dir::West => "west",
    }
}

/// Renders a parameter kind as `a buffer of f32` or `a scalar of type i32`.
struct Kind(ParamKind);

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            ParamKind::Buffer(dtype) => write!(f, "a buffer of {dtype}"),
            ParamKind::Scalar(dtype) => write!(f, "a scalar of type {dtype}"),
        }
    }
}

/// Renders blocked PEs separated by `; `.
struct Blocked<'a>(&'a [BlockedPe]);

impl fmt::Display for Blocked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, blocked) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{blocked}")?;
        }
        Ok(())
    }
}
