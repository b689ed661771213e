//! STUB (being written): lowering AST → IR.
