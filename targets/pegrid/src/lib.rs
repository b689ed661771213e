//! The PE-grid target (issue 5, in progress): a parametric machine description of an
//! MTIA-like accelerator ([`machine`]) and the PE program operation set with its
//! assembly and binary forms ([`program`]). [`sim`] is a functional
//! (untimed) simulator of PE programs; the compiler from tile IR is in progress.

pub mod compile;
pub mod machine;
pub mod program;
pub mod sim;
