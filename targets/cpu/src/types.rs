//! How tile IR scalar types live in Cranelift: the SSA type a scalar of each
//! [`ScalarType`] is computed in, and the bytes it occupies in memory (tiles in the
//! scratch arena, host buffers).
//!
//! | IR type | Cranelift value | in memory |
//! |---|---|---|
//! | `bool` | `i8` holding 0 or 1 | 1 byte |
//! | `i8`/`u8`, `i16`/`u16`, `i32`/`u32`, `i64`/`u64` | `i8`, `i16`, `i32`, `i64` | native |
//! | `f32`, `f64` | `f32`, `f64` | native |
//! | `f16`, `bf16` | `i16` holding the bits | 2 bytes |
//!
//! Signedness is not in the Cranelift type; operations pick signed or unsigned
//! instructions from the IR type.

use cranelift_codegen::ir::types;
use cranelift_codegen::ir::Type as ClifType;
use tessera_ir::ScalarType;

/// The Cranelift type a scalar of `t` is held in.
pub fn clif_type(t: ScalarType) -> ClifType {
    match t {
        ScalarType::Bool | ScalarType::I8 | ScalarType::U8 => types::I8,
        ScalarType::I16 | ScalarType::U16 | ScalarType::F16 | ScalarType::BF16 => types::I16,
        ScalarType::I32 | ScalarType::U32 => types::I32,
        ScalarType::I64 | ScalarType::U64 => types::I64,
        ScalarType::F32 => types::F32,
        ScalarType::F64 => types::F64,
    }
}

/// Bytes of one element of `t` in memory.
pub fn byte_size(t: ScalarType) -> u32 {
    t.byte_size() as u32
}

/// Whether `t` is a half-precision float stored as bits and computed in `f32`.
pub fn is_half(t: ScalarType) -> bool {
    matches!(t, ScalarType::F16 | ScalarType::BF16)
}
