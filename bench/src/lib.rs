//! Support for Tessera's benchmarks (the `compare` report and the `kernels` divan bench):
//! the workloads — corpus kernels built through the public [`tessera::jit`] API, with
//! their inputs, outputs and plain-Rust references ([`workload`]) — the plain-Rust loops
//! they are measured against ([`reference`]), deterministic inputs ([`data`]), worker
//! thread pools ([`workers`]), result checks ([`verify`]) and timing ([`timing`]).
//!
//! The peer crates (`matrixmultiply`, `gemm`) are not used here: only the bench
//! targets depend on them, so that nothing a test build compiles pulls them in.

pub mod corpus;
pub mod data;
pub mod error;
pub mod reference;
pub mod timing;
pub mod verify;
pub mod workers;
pub mod workload;

pub use error::BenchError;
