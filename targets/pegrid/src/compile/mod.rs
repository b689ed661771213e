//! The PE-grid compiler (issue 5, item 3), tile IR → PE programs. Written in pieces;
//! so far only the address analysis that decides strided versus gather/scatter DMA
//! ([`affine`]) and the symbolic scalar expressions it produces ([`symexpr`]).

pub mod affine;
pub mod symexpr;
