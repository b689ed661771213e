//! The reference interpreter: the ground truth every target is measured against.
//!
//! [`run_kernel`] launches one kernel of a [`Module`] over a 1–3-D grid, reading and
//! writing the argument [`Buffer`]s in place. It implements docs/language.md
//! ("Semantics") exactly:
//!
//! - Integers wrap; `x / 0` is all ones, `x % 0` is `x`, `MIN / -1` is `MIN`,
//!   `MIN % -1` is 0; shift amounts are taken modulo the width; `>>` is arithmetic
//!   for signed and logical for unsigned types.
//! - f16/bf16 ops are computed in f32 and rounded once to nearest-even; f32/f64 ops
//!   are native IEEE; math functions are computed in f64 and rounded once to the
//!   element type (never through an intermediate type). `%` on floats is `fmod`.
//! - `maximum`/`minimum`, `max`/`min` and `atomic_max` on floats propagate NaN and
//!   order `-0.0 < +0.0`; `argmax`/`argmin` return the first extreme index in the same
//!   order, NaN being the extreme.
//! - `sum`, `cumsum` and `dot` use the orders and accumulators of `reduce.rs`.
//! - `fma` rounds `a * b + c` once: `mul_add` for f32/f64; for f16/bf16 the product is
//!   exact in f64 and the sum is rounded there to odd, so the final rounding is the only
//!   one (see `float::exact_product_sum_odd`).
//! - Casts: see `cast.rs` (truncating, saturating, NaN → 0 for float → int;
//!   nearest-even otherwise).
//! - Loads, stores and atomics check every active lane against its buffer; masked-off
//!   lanes never touch memory. Lanes run in row-major order, programs in row-major
//!   order of `(z, y, x)` with x fastest, one after another; stores are visible to
//!   every later load.
//! - Every executed instruction burns one unit of fuel; running out is an error.
//!
//! Malformed IR (which the verifier rejects) never panics: it is an
//! [`InterpError::Internal`]. A launch runs on its own thread with a large stack, and
//! blocks and calls may nest twice as deep as the verifier allows.
//!
//! # Decisions beyond docs/language.md
//!
//! - `argmax`/`argmin` order values like `max`/`min` (`-0.0 < +0.0`), so
//!   `x[argmax(x)]` is bitwise `max(x)`.
//! - `atomic_max` on floats is `maximum` (NaN sticks). Masked-off atomic lanes return
//!   0. Aliasing store or atomic lanes take effect in lane order (the last store wins).
//! - A `for` step is checked on entry, even for a loop that runs zero times; the
//!   induction variable wraps in its type (a wrapped loop runs until fuel runs out).
//! - `bool` supports `max`/`min` (as or/and, `false < true`), `argmax`/`argmin` and
//!   comparisons; arithmetic, shifts, `sum` and `cumsum` on `bool` are malformed IR.
//! - `sum` over an axis of length 0 is 0; the other reductions reject it.
//! - `return` inside an `if` (or loop) body ends the function at once.
//! - Fuel counts every executed instruction, terminators and structured ops included
//!   (a structured op counts once per execution, its blocks' instructions each time).
//! - After a failed launch, buffer contents are unspecified: accesses before the
//!   failing one have been performed.
//! - Which NaN a result holds (payload, sign) is unspecified; targets compare NaN as
//!   NaN. Math functions use the platform's f64 libm (plus our own `erf`, within 1 ulp).

mod arith;
mod cast;
mod control;
mod effects;
mod elem;
mod error;
mod exec;
mod float;
mod launch;
mod layout;
mod memory;
mod pure;
mod reduce;
mod tile;
mod value;

#[cfg(test)]
mod tests;

pub use arith::{binary_buffer, unary_buffer, unary_f64};
pub use error::{InterpError, MemAccess};
/// The interpreter's own rounding primitives, for targets and simulators that must
/// round exactly as it does: `erf` in f64 (≤ 1 ulp), correctly rounded narrowing of
/// f64 and integers to f16/bf16, and the round-to-odd sum behind half-precision `fma`.
pub use float::{erf, exact_product_sum_odd, f64_to_bf16, f64_to_f16, i128_to_bf16, i128_to_f16};
pub use pure::{atomic_update, constant_scalar, eval_pure_op};
pub use reduce::SUM_PARTIALS;
pub use value::{Buffer, Scalar};

use crate::function::Module;

/// One argument of a launch: a buffer for a pointer parameter, a scalar for a scalar
/// parameter (of exactly the parameter's type).
#[derive(Clone, Debug, PartialEq)]
pub enum KernelArg {
    Buffer(Buffer),
    Scalar(Scalar),
}

/// How to launch a kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaunchOptions {
    /// Number of program instances along each axis; every entry at least 1.
    pub grid: [u32; 3],
    /// Maximum number of instructions executed over the whole launch.
    pub fuel: u64,
    /// Whether `device_assert` is checked.
    pub check_asserts: bool,
}

impl Default for LaunchOptions {
    /// One program, 200 million instructions of fuel, asserts checked.
    fn default() -> Self {
        LaunchOptions { grid: [1, 1, 1], fuel: 200_000_000, check_asserts: true }
    }
}

/// Runs kernel `kernel` of `module` over `options.grid`, with `args` bound to its
/// parameters in order. Buffers are updated in place; after an error their contents
/// are unspecified (accesses before the failing one have happened).
pub fn run_kernel(
    module: &Module,
    kernel: &str,
    args: &mut [KernelArg],
    options: &LaunchOptions,
) -> Result<(), InterpError> {
    launch::run_kernel(module, kernel, args, options)
}
