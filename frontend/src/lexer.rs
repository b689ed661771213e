//! STUB (being written): logos lexer.
