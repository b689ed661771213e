//! The Rust JIT API: compile Tessera source in-process, specialize a kernel, and launch
//! it on the host CPU with typed arguments — in the manner of wasmtime and
//! cranelift-jit.
//!
//! - An [`Engine`] owns the cache of compiled kernels (clone it freely; clones share it).
//! - [`Engine::compile_str`] / [`Engine::compile_file`] parse and check a source text
//!   into a [`Program`]; bad source is [`CompileError::Diagnostics`], rendered with
//!   carets as `tessera check` shows it.
//! - [`Program::kernel`] starts a [`KernelBuilder`]: `.constant(NAME, VALUE)` for const
//!   parameters, `.opt_level(..)`, `.checked(..)`, then `.build()` gives a [`Kernel`],
//!   compiled once per specialization (see the cache below).
//! - [`Kernel::launch`] runs a grid with arguments given as a tuple (up to 12), an array
//!   or a `Vec` of anything convertible into an [`Arg`]: `&[T]` (a read-only buffer),
//!   `&mut [T]`, `&mut Vec<T>`, or a scalar (`bool`, `i8`…`u64`, `f16`, `bf16`, `f32`,
//!   `f64`). Scalars must have exactly the parameter's type (`100i32` for an `i32`).
//!
//! ```
//! use tessera::jit::{Engine, OptLevel};
//!
//! const SOURCE: &str = "
//! kernel softmax(x: *f32, y: *f32, n_cols: i32, stride: i32, const BLOCK: i32 = 1024) {
//!     let row = program_id(0);
//!     let cols = arange(0, BLOCK);
//!     let mask = cols < n_cols;
//!     let v = load(x + row * stride + cols, mask: mask, other: -inf);
//!     let e = exp(v - max(v, axis: 0));
//!     store(y + row * stride + cols, e / sum(e, axis: 0), mask: mask);
//! }";
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let engine = Engine::new();
//!     let program = engine.compile_str(SOURCE)?;
//!     let kernel = program.kernel("softmax")?
//!         .constant("BLOCK", 128)
//!         .opt_level(OptLevel::O2)
//!         .build()?;
//!
//!     let (rows, cols) = (3, 100);
//!     let x: Vec<f32> = (0..rows * cols).map(|i| (i % 7) as f32).collect();
//!     let mut y = vec![0.0f32; rows * cols];
//!     kernel.launch([rows as u32, 1, 1], (&x[..], &mut y[..], cols as i32, cols as i32))?;
//!
//!     let row_sum: f32 = y[..cols].iter().sum();
//!     assert!((row_sum - 1.0).abs() < 1e-5);
//!     Ok(())
//! }
//! ```
//!
//! # Safety of launches
//! Checked launches ([`Kernel::launch`], the default) are safe: argument count, kinds
//! and element types are verified before any code runs ([`LaunchError`] names the
//! parameter), every buffer access of the generated code is bounds-checked (an
//! out-of-bounds index is [`LaunchError::Target`], naming kernel, source line and
//! index), and buffers stay borrowed for the launch. A buffer passed as `&[T]` is
//! passed as a pointer, not copied, so a kernel must not write through it: each kernel's
//! IR is scanned for stores and atomics whose pointer derives from a parameter
//! ([`Param::writes`]), and a `&[T]` for such a parameter is [`LaunchError::ReadOnly`],
//! reported before launch. Kernels built with `.checked(false)` have no bounds checks;
//! they launch only through the `unsafe` [`Kernel::launch_unchecked`].
//!
//! # The cache
//! Building a kernel looks up its specialization — source text (by hash), kernel name,
//! const values (defaults filled in), optimization level, checked or not, and the code
//! generator's ISA flags with the host architecture — in the engine's cache. Each
//! specialization is compiled once, even when several threads build it at the same
//! time (they wait for the one compilation); failures are cached as well.
//! [`Engine::cache_stats`] counts hits and misses.

mod args;
mod cache;
mod engine;
mod error;
mod kernel;
mod writes;

pub use args::{Arg, Element, IntoArgs};
pub use engine::{Engine, Program};
pub use error::{CompileError, LaunchError};
pub use kernel::{Kernel, KernelBuilder, LaunchOptions, Param};
pub use tessera_frontend::{KernelSignature, ParamSignature};
pub use tessera_passes::pipeline::OptLevel;
