//! Launch errors of the reference interpreter. Each renders as one line naming the
//! kernel, and where it applies the source position and the program instance.

use std::fmt;

use crate::types::{ElemType, Type};

/// Why a launch failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InterpError {
    #[error("no kernel named '{kernel}' in the module")]
    NoSuchKernel { kernel: String },

    #[error("'{kernel}' is a helper function, not a kernel; only kernels can be launched")]
    NotAKernel { kernel: String },

    #[error("kernel '{kernel}' takes {expected} argument(s), got {got}")]
    ArgCount { kernel: String, expected: usize, got: usize },

    #[error(
        "kernel '{kernel}': argument '{param}' must be {}, got {got}",
        describe_param(.expected)
    )]
    ArgType { kernel: String, param: String, expected: Type, got: String },

    #[error(
        "kernel '{kernel}': bad launch grid {}: every dimension must be between 1 and {}",
        Program(*.grid), i32::MAX
    )]
    BadGrid { kernel: String, grid: [u32; 3] },

    #[error(
        "kernel '{kernel}', {}: {access} out of bounds: {param}[{index}] (buffer has {len} \
         elements) in program {}",
        Position(*.line, *.col), Program(*.program)
    )]
    OutOfBounds {
        kernel: String,
        line: u32,
        col: u32,
        access: MemAccess,
        /// Name of the kernel parameter the buffer was passed as.
        param: String,
        index: i64,
        len: usize,
        program: [u32; 3],
    },

    #[error(
        "kernel '{kernel}': fuel exhausted after {fuel} executed instructions (does a loop \
         not terminate?)"
    )]
    FuelExhausted { kernel: String, fuel: u64 },

    #[error(
        "kernel '{kernel}', {}: device_assert failed: {message} in program {}",
        Position(*.line, *.col), Program(*.program)
    )]
    AssertFailed { kernel: String, line: u32, col: u32, message: String, program: [u32; 3] },

    #[error(
        "kernel '{kernel}', {}: for-loop step must be positive, got {step} in program {}",
        Position(*.line, *.col), Program(*.program)
    )]
    BadStep { kernel: String, line: u32, col: u32, step: i128, program: [u32; 3] },

    /// The IR broke an invariant the verifier should have caught: a compiler bug.
    #[error("kernel '{kernel}': internal error (malformed IR): {message}")]
    Internal { kernel: String, message: String },
}

/// The kind of memory access that faulted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MemAccess {
    Load,
    Store,
    Atomic,
}

impl MemAccess {
    /// `"load"`, `"store"` or `"atomic"`.
    pub fn name(self) -> &'static str {
        match self {
            MemAccess::Load => "load",
            MemAccess::Store => "store",
            MemAccess::Atomic => "atomic",
        }
    }
}

impl fmt::Display for MemAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Renders `line 7:13`, or `unknown line` for a default location.
struct Position(u32, u32);

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position(0, _) => f.write_str("unknown line"),
            Position(line, col) => write!(f, "line {line}:{col}"),
        }
    }
}

/// Renders a program id or grid as `(3, 0, 0)`.
struct Program([u32; 3]);

impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [x, y, z] = self.0;
        write!(f, "({x}, {y}, {z})")
    }
}

/// `a buffer of f32`, `a scalar of type i32`, or the type itself for tiles.
fn describe_param(ty: &Type) -> String {
    match (ty.is_scalar(), ty.elem) {
        (true, ElemType::Ptr(pointee)) => format!("a buffer of {pointee}"),
        (true, ElemType::Scalar(scalar)) => format!("a scalar of type {scalar}"),
        (false, ElemType::Ptr(_) | ElemType::Scalar(_)) => {
            format!("{ty} (tile parameters cannot be passed to a launch)")
        }
    }
}
