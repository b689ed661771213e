//! STUB (being written): e-graph rewriting with egg.
