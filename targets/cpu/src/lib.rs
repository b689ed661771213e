//! The CPU target (issue 4, in progress): tile IR → Cranelift → machine code for the
//! host, JIT-compiled into the process ([`CpuKernel`]) and launched over the grid on a
//! thread pool with bounds-checked accesses.
//!
//! Layers: [`types`] (how IR scalars live in Cranelift), `scalar` (each element's
//! arithmetic, exactly the interpreter's), `runtime` (the `extern "C"` helpers the
//! generated code calls), [`lower`] (tiles, memory and control flow) and [`kernel`]
//! (JIT and launch). Not yet: SIMD vectorization, the `dot` micro-kernel, vectorized
//! math functions, objects with C headers, the JIT cache and the `tessera` API.

pub mod kernel;
pub mod lower;
pub mod math;
pub mod runtime;
pub mod scalar;
pub mod types;

pub use kernel::{listing, CompileError, CpuKernel, LaunchError, LaunchOptions, Listing, RawArg};
