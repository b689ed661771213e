//! IR analyses that targets share: which memory accesses are strided in the tile
//! indices ([`affine`], over the symbolic scalar expressions of [`symexpr`]) and which
//! IR values a target must materialize once those accesses become strided transfers
//! ([`demand`]).

pub mod affine;
pub mod demand;
pub mod symexpr;
