//! The classic passes, one per file, each a verb-named function over one function of
//! the IR that documents its contract in its module docs and preserves every result
//! bit for bit (the reference interpreter is the oracle):
//!
//! - [`inline_helpers`] (`inline.rs`): helper calls replaced by the helpers' bodies.
//! - [`canonicalize`] (`canonicalize.rs`): one spelling per meaning; constant `if`s
//!   and zero-trip `for`s resolved.
//! - [`fold_constants`] (`const_fold.rs`, evaluating on the interpreter through
//!   `const_eval.rs`): constant expressions computed, exact identities applied.
//! - [`eliminate_dead_code`] (`dce.rs`): unused pure code, effect-free terminating
//!   control flow and dead loop-carried values removed; loads are kept.
//! - [`eliminate_common_subexpressions`] (`cse.rs`): equal pure computations merged,
//!   scoped by dominance.
//! - [`hoist_loop_invariants`] (`licm.rs`): pure loop-invariant code moved out of
//!   `for`/`while` loops.
//! - [`simplify_masks`] (`mask_simplify.rs`, with the value-range analysis of
//!   `range.rs`): masks, comparisons and asserts proven uniform dropped or narrowed.
//!
//! Shared IR surgery (use counts, substitution, placement edits, compaction) is in
//! [`util`].

pub mod canonicalize;
pub mod const_eval;
pub mod const_fold;
pub mod cse;
pub mod dce;
pub mod inline;
pub mod licm;
pub mod mask_simplify;
pub mod range;
pub mod util;

#[cfg(test)]
pub(crate) mod random_program;
#[cfg(test)]
pub(crate) mod testing;

pub use canonicalize::canonicalize;
pub use const_fold::fold_constants;
pub use cse::eliminate_common_subexpressions;
pub use dce::eliminate_dead_code;
pub use inline::{drop_unused_helpers, inline_helpers};
pub use licm::hoist_loop_invariants;
pub use mask_simplify::simplify_masks;
