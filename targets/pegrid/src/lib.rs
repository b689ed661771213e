//! The PE-grid target (issue 5, in progress): a parametric machine description of an
//! MTIA-like accelerator ([`machine`]) and the PE program operation set with its
//! assembly and binary forms ([`program`]). The compiler from tile IR and the simulator
//! are not written yet.

pub mod machine;
pub mod program;
