//! STUB (being written): the IR text printer.
use crate::{Function, Module};
/// Prints a module.
pub fn print_module(_module: &Module) -> String {
    String::new()
}
/// Prints a function.
pub fn print_function(_func: &Function) -> String {
    String::new()
}
