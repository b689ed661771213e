//! Tessera: a tile-kernel compiler. This facade crate re-exports the pipeline crates and
//! owns what hosts need around them: launch arguments written as text ([`args`]) and
//! NumPy `.npy` I/O ([`npy`]). The `tessera` binary (src/main.rs, src/cli/) is the CLI.
//! [`jit`] is the Rust JIT API: compile source in-process, specialize, launch on the CPU.

pub mod args;
pub mod jit;
pub mod npy;

pub use tessera_frontend as frontend;
pub use tessera_ir as ir;
