//! The CPU target: tile IR → Cranelift → machine code for the
//! host, either JIT-compiled into the process ([`CpuKernel`]) and launched over the grid
//! on OS threads with bounds-checked accesses, or compiled ahead of time into an object
//! file with a C header ([`compile_object`]) for C programs that link `libtessera_rt.a`.
//!
//! Layers: [`types`] (how IR scalars live in Cranelift), `scalar` (each element's
//! arithmetic, exactly the interpreter's except f32 math functions), [`math`] (those:
//! vectorized `f32x4` range reductions and polynomials within 2 ulp, shared by scalar
//! and vector code), `runtime` (declarations of the `extern "C"` helpers, defined in
//! the `tessera-rt` crate, that generated code calls), [`lower`] (tiles, memory and
//! control flow: 16-byte vector loops, fused elementwise chains, the `dot`
//! micro-kernel), `codegen` (the host ISA and the one lowering entry the JIT and
//! objects share), [`kernel`] (JIT and launch through `tessera_rt::launch`), and for
//! objects [`cabi`] (each kernel's C signature), [`object`] (instance functions,
//! location tables and the exported C functions) and `header` (the C header).

pub mod cabi;
mod codegen;
mod header;
pub mod kernel;
pub mod lower;
pub mod math;
pub mod object;
pub mod runtime;
pub mod scalar;
pub mod types;

pub use kernel::{listing, CompileError, CpuKernel, LaunchError, LaunchOptions, Listing, RawArg};
pub use object::{compile_object, ObjectArtifact, ObjectKernel, ObjectOptions};
