//! STUB (being written): the reference interpreter.
