//! The IR text parser: reads back what [`crate::printer`] writes.
//!
//! The text form is whitespace-insensitive; `//` comments run to the end of a line.
//!
//! ```text
//! module   := function*
//! function := ("kernel" | "fn") SYMBOL "(" [param ("," param)*] ")"
//!             ["->" "(" [type ("," type)*] ")"] ["[" [spec ("," spec)*] "]"] block
//! param    := VALUE STRING ":" type              // %0 "x": ptr<f32>
//! spec     := (IDENT | STRING) "=" INT           // BLOCK = 1024
//! block    := "{" inst* "}"
//! inst     := [VALUE ("," VALUE)* "="] op [":" type ("," type)*] ["@" INT ":" INT]
//! type     := scalar | "ptr" "<" scalar ">" | "tile" "<" "[" INT ("," INT)* "]" "," elem ">"
//! op       := "const" LITERAL                    | "program_id" INT | "num_programs" INT
//!           | "arange" INT "," INT               | "splat" v | "broadcast" v | "reshape" v
//!           | "cast" v | "expand_dims" v "," "axis" INT | "trans" v "," "[" INT,* "]"
//!           | UNARY v                            | BINARY v "," v      // exp %1, add %1, %2
//!           | "cmp" PRED v "," v                 | "select" v "," v "," v
//!           | "ptr_add" v "," v                  | "dot" v "," v "," v
//!           | "fma" v "," v "," v
//!           | "reduce" REDUCE v "," "axis" INT   | "scan" SCAN v "," "axis" INT
//!           | "load" v ["," "mask" v] ["," "other" v]
//!           | "store" v "," v ["," "mask" v]     | "atomic" ATOMIC v "," v ["," "mask" v]
//!           | "call" SYMBOL "(" [v ("," v)*] ")" | "assert" v "," STRING
//!           | "for" VALUE "=" v "to" v "step" v [iter] block
//!           | "while" [iter] block "do" ["(" VALUE ("," VALUE)* ")"] block
//!           | "if" v block "else" block
//!           | "yield" [v ("," v)*] | "condition" v | "return" [v ("," v)*]
//! iter     := "iter" "(" [VALUE "=" v ("," VALUE "=" v)*] ")"
//! ```
//!
//! - Values are `%name` (`[A-Za-z0-9_]+`); function names `@name` or `@"any text"`.
//!   Every name is defined once per function, and a use must name a value visible at
//!   that point: defined earlier in the same block, an argument of the block, or
//!   visible before the owning op in an enclosing block.
//! - Result types follow the op (for `for`/`while`/`if`, the closing `}`), one per
//!   result name. The arguments of loop blocks are typed by their initial values
//!   (the induction variable by the lower bound).
//! - `LITERAL` takes its meaning from the result type: `true`/`false` for `bool`;
//!   decimal integers in the type's range (unsigned types unsigned); for floats,
//!   decimal text rounded once to the type, `inf`, `-inf`, `nan` (the canonical NaN)
//!   or `0x` + the 16 hex digits of the stored f64 (any NaN payload).
//! - `@LINE:COL` is accepted only on ops that can fail at run time
//!   ([`crate::printer::op_has_loc`]); all other instructions get `Loc::default()`.
//!
//! The parser checks syntax, names, scoping, result counts and literal ranges; types
//! are the verifier's business. It never panics: every malformed text is a
//! [`TextError`] with a line and column.

mod cursor;
mod function;
mod inst;
mod lexer;
mod literal;

use crate::function::{Function, Module};

/// A malformed IR text: where (1-based line and column) and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct TextError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Parses a module (any number of functions, names unique).
pub fn parse_module(text: &str) -> Result<Module, TextError> {
    let mut cursor = cursor::Cursor::new(lexer::lex(text)?);
    let mut module = Module::default();
    while !cursor.at_eof() {
        let start = cursor.peek_token().clone();
        let func = function::parse_function(&mut cursor)?;
        if module.function(&func.name).is_some() {
            let message = format!("function `@{}` is defined twice", func.name);
            return Err(cursor::Cursor::error_at(&start, message));
        }
        module.functions.push(func);
    }
    Ok(module)
}

/// Parses a text holding exactly one function.
pub fn parse_function(text: &str) -> Result<Function, TextError> {
    let mut cursor = cursor::Cursor::new(lexer::lex(text)?);
    let func = function::parse_function(&mut cursor)?;
    if !cursor.at_eof() {
        return Err(cursor.expected("end of input after the function"));
    }
    Ok(func)
}
