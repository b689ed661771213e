//! STUB (being written): the IR verifier.
use crate::{Function, Module};
/// A verifier failure (a compiler bug).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct VerifierError(pub String);
/// Verifies a module.
pub fn verify_module(_module: &Module) -> Result<(), VerifierError> {
    Ok(())
}
/// Verifies one function.
pub fn verify_function(_func: &Function, _module: Option<&Module>) -> Result<(), VerifierError> {
    Ok(())
}
