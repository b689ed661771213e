//! A cursor over the token list: expectations with positioned errors, plus the
//! pieces of grammar that need no function context (types, integers, names).

use super::lexer::{Tok, Token};
use super::literal::parse_int_text;
use super::TextError;
use crate::types::{ElemType, ScalarType, Type};

/// The token list (always ending in [`Tok::Eof`]) and the read position.
pub(super) struct Cursor {
    tokens: Vec<Token>,
    pos: usize,
}

/// How a token is named in "expected …, found …" messages.
fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Ident(word) => format!("`{word}`"),
        Tok::Value(name) => format!("`%{name}`"),
        Tok::Symbol(name) => format!("`@{name}`"),
        Tok::At => "`@`".into(),
        Tok::Int(text) | Tok::Float(text) => format!("`{text}`"),
        Tok::Str(_) => "a string".into(),
        Tok::Punct(c) => format!("`{c}`"),
        Tok::Arrow => "`->`".into(),
        Tok::Eof => "end of input".into(),
    }
}

impl Cursor {
    pub(super) fn new(tokens: Vec<Token>) -> Cursor {
        Cursor { tokens, pos: 0 }
    }

    pub(super) fn peek_token(&self) -> &Token {
        // `lex` always ends the list with Eof and `next` never moves past it.
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    pub(super) fn peek(&self) -> &Tok {
        &self.peek_token().tok
    }

    /// The token `n` places ahead (Eof past the end).
    pub(super) fn peek_nth(&self, n: usize) -> &Tok {
        &self.tokens[(self.pos + n).min(self.tokens.len() - 1)].tok
    }

    pub(super) fn at_eof(&self) -> bool {
        *self.peek() == Tok::Eof
    }

    /// Returns the current token and advances (staying on Eof at the end).
    pub(super) fn next(&mut self) -> Token {
        let token = self.peek_token().clone();
        if token.tok != Tok::Eof {
            self.pos += 1;
        }
        token
    }

    /// An error positioned at `token`.
    pub(super) fn error_at(token: &Token, message: impl Into<String>) -> TextError {
        TextError { line: token.line, column: token.column, message: message.into() }
    }

    /// An error positioned at the current token.
    pub(super) fn error(&self, message: impl Into<String>) -> TextError {
        Cursor::error_at(self.peek_token(), message)
    }

    /// "expected {what}, found …" at the current token.
    pub(super) fn expected(&self, what: &str) -> TextError {
        self.error(format!("expected {what}, found {}", describe(self.peek())))
    }

    pub(super) fn eat_punct(&mut self, c: char) -> bool {
        let found = *self.peek() == Tok::Punct(c);
        if found {
            self.next();
        }
        found
    }

    pub(super) fn expect_punct(&mut self, c: char) -> Result<(), TextError> {
        if self.eat_punct(c) {
            Ok(())
        } else {
            Err(self.expected(&format!("`{c}`")))
        }
    }

    pub(super) fn eat_keyword(&mut self, keyword: &str) -> bool {
        let found = matches!(self.peek(), Tok::Ident(word) if word == keyword);
        if found {
            self.next();
        }
        found
    }

    pub(super) fn expect_keyword(&mut self, keyword: &str) -> Result<(), TextError> {
        if self.eat_keyword(keyword) {
            Ok(())
        } else {
            Err(self.expected(&format!("`{keyword}`")))
        }
    }

    /// An identifier and its token; `what` names it in the error.
    pub(super) fn expect_ident(&mut self, what: &str) -> Result<(String, Token), TextError> {
        match self.peek() {
            Tok::Ident(word) => {
                let word = word.clone();
                Ok((word, self.next()))
            }
            _ => Err(self.expected(what)),
        }
    }

    /// A `%name` and its token.
    pub(super) fn expect_value_name(&mut self) -> Result<(String, Token), TextError> {
        match self.peek() {
            Tok::Value(name) => {
                let name = name.clone();
                Ok((name, self.next()))
            }
            _ => Err(self.expected("a value (`%N`)")),
        }
    }

    pub(super) fn expect_string(&mut self) -> Result<String, TextError> {
        match self.peek() {
            Tok::Str(text) => {
                let text = text.clone();
                self.next();
                Ok(text)
            }
            _ => Err(self.expected("a string")),
        }
    }

    pub(super) fn expect_symbol(&mut self) -> Result<String, TextError> {
        match self.peek() {
            Tok::Symbol(name) => {
                let name = name.clone();
                self.next();
                Ok(name)
            }
            _ => Err(self.expected("a function name (`@name`)")),
        }
    }

    /// An integer literal that fits `T`; `what` names it in errors ("an axis").
    pub(super) fn expect_int<T: TryFrom<i128>>(&mut self, what: &str) -> Result<T, TextError> {
        let Tok::Int(text) = self.peek() else { return Err(self.expected(what)) };
        let value = parse_int_text(text).and_then(|v| T::try_from(v).ok());
        match value {
            Some(value) => {
                self.next();
                Ok(value)
            }
            None => Err(self.error(format!("`{text}` is out of range for {what}"))),
        }
    }

    /// `f32`, `ptr<f32>` or `tile<[4, 8], f32>`.
    pub(super) fn parse_type(&mut self) -> Result<Type, TextError> {
        if self.eat_keyword("tile") {
            self.expect_punct('<')?;
            self.expect_punct('[')?;
            let mut shape = vec![self.expect_int::<u32>("a dimension")?];
            while self.eat_punct(',') {
                shape.push(self.expect_int::<u32>("a dimension")?);
            }
            self.expect_punct(']')?;
            self.expect_punct(',')?;
            let elem = self.parse_elem()?;
            self.expect_punct('>')?;
            return Ok(Type { shape, elem });
        }
        Ok(Type { shape: Vec::new(), elem: self.parse_elem()? })
    }

    fn parse_elem(&mut self) -> Result<ElemType, TextError> {
        if self.eat_keyword("ptr") {
            self.expect_punct('<')?;
            let pointee = self.parse_scalar()?;
            self.expect_punct('>')?;
            return Ok(ElemType::Ptr(pointee));
        }
        Ok(ElemType::Scalar(self.parse_scalar()?))
    }

    fn parse_scalar(&mut self) -> Result<ScalarType, TextError> {
        let scalar = match self.peek() {
            Tok::Ident(word) => ScalarType::from_name(word),
            _ => None,
        };
        match scalar {
            Some(scalar) => {
                self.next();
                Ok(scalar)
            }
            None => Err(self.expected("a type")),
        }
    }

    /// `type (, type)*`.
    pub(super) fn parse_type_list(&mut self) -> Result<Vec<Type>, TextError> {
        let mut types = vec![self.parse_type()?];
        while self.eat_punct(',') {
            types.push(self.parse_type()?);
        }
        Ok(types)
    }
}
