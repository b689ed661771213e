//! The C ABI between generated code, this runtime and C programs: the type of a
//! kernel's program-instance function, the record a failing instance fills, the status
//! codes, and the error a launch reports (`tessera_error` in generated headers, whose C
//! text is [`C_DECLARATIONS`], next to the Rust types it must agree with).

use std::ffi::CStr;

/// A kernel's program-instance function, as tessera-cpu generates it:
/// `i32 instance(const u64 *args, const u32 *grid, const u32 *pid, u8 *scratch,
/// InstanceRecord *record)`. `args` holds two `u64` slots per kernel parameter (a
/// buffer's address and its length in elements, or a scalar's zero-extended bits and
/// 0); `scratch` is 16-byte aligned. It returns 0 or a [`Status`] code, with `record`
/// filled.
pub type InstanceFn =
    unsafe extern "C" fn(*const u64, *const u32, *const u32, *mut u8, *mut InstanceRecord) -> i32;

/// What a failing program instance writes. `flags` is an input ([`FLAG_CHECK_ASSERTS`]).
/// The layout is the generated code's: tessera-cpu asserts at compile time that its own
/// record type has the same one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct InstanceRecord {
    pub code: u32,
    /// Index of the failing IR instruction (for its source location).
    pub inst: u32,
    /// The parameter index of the buffer an out-of-bounds access used.
    pub buffer: u32,
    pub flags: u32,
    /// The offending element offset (or the `for` step).
    pub index: i64,
}

/// [`InstanceRecord::flags`] bit: `device_assert`s are checked.
pub const FLAG_CHECK_ASSERTS: u32 = 1;

/// What a launch returns: 0, a program instance's failure (1–5, the generated code's
/// codes) or a failure of the launch itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum Status {
    Ok = 0,
    LoadOutOfBounds = 1,
    StoreOutOfBounds = 2,
    AtomicOutOfBounds = 3,
    AssertFailed = 4,
    BadStep = 5,
    /// A grid dimension is 0.
    BadGrid = 6,
    /// A worker's scratch arena could not be allocated.
    OutOfMemory = 7,
    /// A bug in the runtime (a caught panic) or a missing instance function.
    Internal = 8,
}

impl Status {
    /// Every status, in code order.
    pub const ALL: [Status; 9] = [
        Status::Ok,
        Status::LoadOutOfBounds,
        Status::StoreOutOfBounds,
        Status::AtomicOutOfBounds,
        Status::AssertFailed,
        Status::BadStep,
        Status::BadGrid,
        Status::OutOfMemory,
        Status::Internal,
    ];

    /// The status with code `code`.
    pub fn from_code(code: i32) -> Option<Status> {
        Status::ALL.into_iter().find(|status| *status as i32 == code)
    }

    /// The C macro naming this status in generated headers.
    pub fn c_name(self) -> &'static str {
        match self {
            Status::Ok => "TESSERA_OK",
            Status::LoadOutOfBounds => "TESSERA_ERR_LOAD_OUT_OF_BOUNDS",
            Status::StoreOutOfBounds => "TESSERA_ERR_STORE_OUT_OF_BOUNDS",
            Status::AtomicOutOfBounds => "TESSERA_ERR_ATOMIC_OUT_OF_BOUNDS",
            Status::AssertFailed => "TESSERA_ERR_ASSERT_FAILED",
            Status::BadStep => "TESSERA_ERR_BAD_STEP",
            Status::BadGrid => "TESSERA_ERR_BAD_GRID",
            Status::OutOfMemory => "TESSERA_ERR_OUT_OF_MEMORY",
            Status::Internal => "TESSERA_ERR_INTERNAL",
        }
    }

    /// A short description (what `tessera_rt_strerror` returns).
    pub fn message(self) -> &'static CStr {
        match self {
            Status::Ok => c"ok",
            Status::LoadOutOfBounds => c"load out of bounds",
            Status::StoreOutOfBounds => c"store out of bounds",
            Status::AtomicOutOfBounds => c"atomic out of bounds",
            Status::AssertFailed => c"device_assert failed",
            Status::BadStep => c"`for` step is not positive",
            Status::BadGrid => c"a grid dimension is 0",
            Status::OutOfMemory => c"out of memory for the scratch arenas",
            Status::Internal => c"internal error in the tessera runtime",
        }
    }
}

/// Why a launch failed, as C sees it (`tessera_error`). All zero after a successful
/// launch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct TesseraError {
    /// A [`Status`] code.
    pub code: i32,
    /// Source line and column of the failing operation (0 when not an instance's failure).
    pub line: u32,
    pub col: u32,
    /// For the out-of-bounds codes: the index of the kernel parameter accessed.
    pub buffer: u32,
    /// For the out-of-bounds codes: the offending element offset; for a bad step, the step.
    pub index: i64,
    /// The program id of the failing instance (the lowest-numbered one when several fail).
    pub program: [u32; 3],
    /// The failing IR instruction (for tools).
    pub inst: u32,
}

/// The C declarations of this ABI that every generated header contains: the status
/// macros, `tessera_error` (layout of [`TesseraError`]) and `tessera_rt_strerror`.
/// Guarded, so several generated headers can be included together.
pub const C_DECLARATIONS: &str = "\
#ifndef TESSERA_RT_ABI_V1
#define TESSERA_RT_ABI_V1

/* Status codes: what a kernel function returns, and tessera_error.code. */
#define TESSERA_OK 0
#define TESSERA_ERR_LOAD_OUT_OF_BOUNDS 1
#define TESSERA_ERR_STORE_OUT_OF_BOUNDS 2
#define TESSERA_ERR_ATOMIC_OUT_OF_BOUNDS 3
#define TESSERA_ERR_ASSERT_FAILED 4
#define TESSERA_ERR_BAD_STEP 5
#define TESSERA_ERR_BAD_GRID 6
#define TESSERA_ERR_OUT_OF_MEMORY 7
#define TESSERA_ERR_INTERNAL 8

/* Why a launch failed; all zero after a successful launch. When several program
 * instances fail, the one with the lowest linear number
 * (x + grid_x * (y + grid_y * z)) is reported, whatever the thread count. */
typedef struct tessera_error {
    int32_t code;        /* a TESSERA_* status code */
    uint32_t line;       /* source line of the failing operation (1-based) */
    uint32_t col;        /* source column of the failing operation (1-based) */
    uint32_t buffer;     /* *_OUT_OF_BOUNDS: index of the kernel parameter accessed */
    int64_t index;       /* *_OUT_OF_BOUNDS: the element offset; BAD_STEP: the step */
    uint32_t program[3]; /* program id (x, y, z) of the failing instance */
    uint32_t inst;       /* the failing IR instruction, for tools */
} tessera_error;

/* A static, NUL-terminated description of a status code. */
const char *tessera_rt_strerror(int32_t code);

#endif /* TESSERA_RT_ABI_V1 */
";

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{align_of, offset_of, size_of};

    /// The offsets the C text implies on every 64-bit host (natural alignment).
    #[test]
    fn tessera_error_layout_matches_the_c_declaration() {
        assert_eq!(offset_of!(TesseraError, code), 0);
        assert_eq!(offset_of!(TesseraError, line), 4);
        assert_eq!(offset_of!(TesseraError, col), 8);
        assert_eq!(offset_of!(TesseraError, buffer), 12);
        assert_eq!(offset_of!(TesseraError, index), 16);
        assert_eq!(offset_of!(TesseraError, program), 24);
        assert_eq!(offset_of!(TesseraError, inst), 36);
        assert_eq!((size_of::<TesseraError>(), align_of::<TesseraError>()), (40, 8));
    }

    /// Every status appears in the C text with its code, in order.
    #[test]
    fn c_macros_match_the_status_codes() {
        for status in Status::ALL {
            let line = format!("#define {} {}\n", status.c_name(), status as i32);
            assert!(C_DECLARATIONS.contains(&line), "missing {line:?}");
            assert_eq!(Status::from_code(status as i32), Some(status));
        }
        assert_eq!(Status::from_code(9), None);
        assert_eq!(Status::from_code(-1), None);
    }
}
