//! The optimizer: pass pipeline and e-graph rewriting. Empty until issue 3 starts its work; nothing here yet.
