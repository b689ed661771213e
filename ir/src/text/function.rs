//! Parsing one function: its header, and the name scopes its blocks open.
//!
//! Value names are unique per function; a use must name a value visible at that
//! point (defined earlier in the same block, or in an enclosing block before the
//! owning op), which the scope stack tracks.

use std::collections::{HashMap, HashSet};

use super::cursor::Cursor;
use super::lexer::{Tok, Token};
use super::TextError;
use crate::function::{Block, Function, FunctionKind, Value};
use crate::types::Type;

/// Blocks may nest as deep as the verifier allows; deeper text is rejected instead of
/// overflowing the stack.
const MAX_NESTING: usize = crate::verifier::MAX_NESTING;

/// Parses `kernel @name(…) … { … }` or `fn @name(…) -> (…) { … }`.
pub(super) fn parse_function(cursor: &mut Cursor) -> Result<Function, TextError> {
    let kind = if cursor.eat_keyword("kernel") {
        FunctionKind::Kernel
    } else if cursor.eat_keyword("fn") {
        FunctionKind::Helper
    } else {
        return Err(cursor.expected("`kernel` or `fn`"));
    };
    let name = cursor.expect_symbol()?;
    let mut names = Names::default();
    let params = parse_params(cursor, &mut names)?;
    let mut result_types = Vec::new();
    if *cursor.peek() == Tok::Arrow {
        cursor.next();
        cursor.expect_punct('(')?;
        if !cursor.eat_punct(')') {
            result_types = cursor.parse_type_list()?;
            cursor.expect_punct(')')?;
        }
    }
    let specialization = parse_specialization(cursor)?;
    let typed: Vec<(String, Type)> = params.iter().map(|p| (p.1.clone(), p.2.clone())).collect();
    let mut func = Function::new(&name, kind, &typed);
    func.result_types = result_types;
    func.specialization = specialization;
    for ((value_name, _, _), &value) in params.into_iter().zip(func.params()) {
        names.bind(value_name, value);
    }
    let body = func.body;
    let mut parser = FnParser { cursor, func, names, depth: 0 };
    parser.block_body(body)?;
    Ok(parser.func)
}

/// `(%0 "x": ptr<f32>, …)`: value names (claimed), source names and types.
fn parse_params(
    cursor: &mut Cursor,
    names: &mut Names,
) -> Result<Vec<(String, String, Type)>, TextError> {
    cursor.expect_punct('(')?;
    let mut params = Vec::new();
    if cursor.eat_punct(')') {
        return Ok(params);
    }
    loop {
        let (value_name, token) = cursor.expect_value_name()?;
        names.claim(&value_name, &token)?;
        let source_name = cursor.expect_string()?;
        cursor.expect_punct(':')?;
        params.push((value_name, source_name, cursor.parse_type()?));
        if !cursor.eat_punct(',') {
            cursor.expect_punct(')')?;
            return Ok(params);
        }
    }
}

/// `[BLOCK = 1024, …]`, or nothing.
fn parse_specialization(cursor: &mut Cursor) -> Result<Vec<(String, i64)>, TextError> {
    let mut specialization = Vec::new();
    if !cursor.eat_punct('[') {
        return Ok(specialization);
    }
    if cursor.eat_punct(']') {
        return Ok(specialization);
    }
    loop {
        let name = match cursor.peek() {
            Tok::Str(text) => text.clone(),
            Tok::Ident(word) => word.clone(),
            _ => return Err(cursor.expected("a parameter name")),
        };
        cursor.next();
        cursor.expect_punct('=')?;
        specialization.push((name, cursor.expect_int::<i64>("an i64 value")?));
        if !cursor.eat_punct(',') {
            cursor.expect_punct(']')?;
            return Ok(specialization);
        }
    }
}

/// Value names of one function: all names ever defined, and those visible now.
#[derive(Default)]
pub(super) struct Names {
    defined: HashSet<String>,
    visible: HashMap<String, Value>,
    /// Names bound in each open block, innermost last.
    scopes: Vec<Vec<String>>,
}

impl Names {
    /// Reserves `name`, which must not have been defined before in this function.
    pub(super) fn claim(&mut self, name: &str, token: &Token) -> Result<(), TextError> {
        if self.defined.insert(name.to_string()) {
            Ok(())
        } else {
            Err(Cursor::error_at(token, format!("value `%{name}` is defined twice")))
        }
    }

    /// Makes a claimed name visible in the innermost open block.
    pub(super) fn bind(&mut self, name: String, value: Value) {
        if let Some(scope) = self.scopes.last_mut() {
            scope.push(name.clone());
        }
        self.visible.insert(name, value);
    }
}

/// Parses the blocks of one function.
pub(super) struct FnParser<'c> {
    pub(super) cursor: &'c mut Cursor,
    pub(super) func: Function,
    pub(super) names: Names,
    depth: usize,
}

impl FnParser<'_> {
    /// A use of a value: it must be visible here.
    pub(super) fn use_value(&mut self) -> Result<Value, TextError> {
        let (name, token) = self.cursor.expect_value_name()?;
        if let Some(&value) = self.names.visible.get(&name) {
            return Ok(value);
        }
        let message = if self.names.defined.contains(&name) {
            format!("value `%{name}` is not visible here (defined in another block, or by the op that owns this block)")
        } else {
            format!("undefined value `%{name}`")
        };
        Err(Cursor::error_at(&token, message))
    }

    /// The type of a value this parser created.
    pub(super) fn type_of(&self, value: Value) -> Type {
        self.func.value_type(value).clone()
    }

    /// Appends `args` to `block` as its arguments, then parses `{ inst* }` into it,
    /// with a scope of its own for the names the block defines.
    pub(super) fn nested_block(
        &mut self,
        block: Block,
        args: Vec<(String, Type)>,
    ) -> Result<(), TextError> {
        if self.depth >= MAX_NESTING {
            return Err(self.cursor.error(format!("blocks nest deeper than {MAX_NESTING} levels")));
        }
        self.depth += 1;
        self.names.scopes.push(Vec::new());
        for (name, ty) in args {
            let value = self.func.append_block_arg(block, ty);
            self.names.bind(name, value);
        }
        let parsed = self.block_body(block);
        for name in self.names.scopes.pop().unwrap_or_default() {
            self.names.visible.remove(&name);
        }
        self.depth -= 1;
        parsed
    }

    /// `{ inst* }` appended to `block`.
    fn block_body(&mut self, block: Block) -> Result<(), TextError> {
        self.cursor.expect_punct('{')?;
        while !self.cursor.eat_punct('}') {
            if self.cursor.at_eof() {
                return Err(self.cursor.expected("`}`"));
            }
            self.inst(block)?;
        }
        Ok(())
    }
}
