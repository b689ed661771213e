//! The PE-grid target: a parametric machine description of an MTIA-like accelerator
//! ([`machine`]), launch-independent SPMD PE programs with their assembly and binary
//! forms ([`program`]), the compiler from tile IR ([`compile`]) and a functional
//! simulator whose results equal the reference interpreter's ([`sim`]). The timing
//! model comes next (issue 6).

pub mod compile;
pub mod machine;
pub mod program;
pub mod sim;
