//! STUB (being written): the IR text parser.
use crate::Module;
/// A text-form parse error.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct TextError {
    pub line: usize,
    pub message: String,
}
/// Parses a module from its text form.
pub fn parse_module(_text: &str) -> Result<Module, TextError> {
    Ok(Module::default())
}
