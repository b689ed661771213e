//! The CPU target (issue 4, in progress): tile IR → Cranelift → machine code for the
//! host, JIT-compiled into the process ([`CpuKernel`]) and launched over the grid on a
//! thread pool with bounds-checked accesses.
//!
//! Layers: [`types`] (how IR scalars live in Cranelift), `scalar` (each element's
//! arithmetic, exactly the interpreter's except f32 math functions), [`math`] (those:
//! vectorized `f32x4` polynomials within 2 ulp, shared by scalar and vector loops),
//! `runtime` (the `extern "C"` helpers the generated code calls), [`lower`] (tiles,
//! memory and control flow, 16-byte vector loops for elementwise ops) and [`kernel`]
//! (JIT and launch). Not yet: the `dot` micro-kernel, objects with C headers, the JIT
//! cache and the `tessera` API.

pub mod kernel;
pub mod lower;
pub mod math;
pub mod runtime;
pub mod scalar;
pub mod types;

pub use kernel::{listing, CompileError, CpuKernel, LaunchError, LaunchOptions, Listing, RawArg};
