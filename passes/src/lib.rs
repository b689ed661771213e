//! The Tessera optimizer: a pass pipeline over the tile IR (`-O0`…`-O3`), the classic
//! passes (inlining, canonicalization, constant folding, DCE, CSE, LICM, mask
//! simplification) and e-graph rewriting with egg ([`egraph`]), extracted through a
//! [`cost::CostModel`] that targets implement. Passes never name a target.

pub mod analysis;
pub mod cost;
pub mod egraph;
pub mod passes;
pub mod pipeline;
