//! The registry of error codes and their long explanations (`tessera explain E0xxx`).
//!
//! Ranges: E0001–E0099 lexing and parsing ([`codes_syntax`]); E0100–E0499 names, types,
//! shapes, const parameters and attributes ([`codes_sema`]).

#[path = "codes_sema.rs"]
mod codes_sema;
#[path = "codes_syntax.rs"]
mod codes_syntax;

/// One registered error code.
#[derive(Clone, Copy, Debug)]
pub struct ErrorCode {
    pub code: &'static str,
    /// One-line title.
    pub title: &'static str,
    /// Long explanation with an erroneous example and the fix.
    pub explanation: &'static str,
}

/// Every registered code, syntax codes first.
pub fn all() -> impl Iterator<Item = &'static ErrorCode> {
    codes_syntax::CODES.iter().chain(codes_sema::CODES.iter())
}

/// The explanation of `code` (`"E0001"` or `"e0001"`), if registered.
pub fn explain(code: &str) -> Option<&'static ErrorCode> {
    all().find(|c| c.code.eq_ignore_ascii_case(code))
}
