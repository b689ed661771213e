//! STUB (being written): the pass pipeline.
