//! The Tessera front end: `.tsr` source → checked, specialized tile IR.
//!
//! Pipeline: [`lexer`] (logos) → [`parser`] (lalrpop) → [`ast`] → [`sema`] (name
//! resolution, type and shape checking, const evaluation) → [`lower`] (AST → IR, one
//! specialization per set of const values). Every user error is a [`diag::Diagnostic`].

pub mod ast;
pub mod ast_print;
pub mod diag;
pub mod lexer;
pub mod lower;
pub mod parser;
pub mod sema;

pub use ast_print::print_ast;
pub use diag::{render, Diagnostic};
pub use parser::parse;
pub use sema::{
    check, compile, kernel_signatures, CompileOptions, KernelSignature, ParamSignature,
};
