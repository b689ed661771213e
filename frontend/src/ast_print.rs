//! STUB (being written): AST printer for `emit --stage ast`.
use crate::ast::Ast;
/// Prints the AST as an indented tree.
pub fn print_ast(_ast: &Ast) -> String {
    String::new()
}
