//! Tokens of the IR text form, with 1-based line and column positions.
//!
//! The lexer is whitespace-insensitive, skips `//` comments, and turns every
//! character it does not expect into a [`TextError`] (never a panic).

use super::TextError;

/// One token's kind and text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Tok {
    /// Keywords, op mnemonics and type names: `[A-Za-z_][A-Za-z0-9_]*`.
    Ident(String),
    /// `%name`; holds `name`.
    Value(String),
    /// `@name` or `@"name"`; holds `name`.
    Symbol(String),
    /// `@` before a digit: the start of a source location.
    At,
    /// Decimal (optionally negative) or `0x` hexadecimal integer text.
    Int(String),
    /// Float text with a `.` or an exponent (optionally negative), or `-inf`.
    Float(String),
    /// A string literal, escapes resolved.
    Str(String),
    /// One of `( ) [ ] { } < > , : =`.
    Punct(char),
    /// `->`.
    Arrow,
    Eof,
}

/// A token and where it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Token {
    pub tok: Tok,
    pub line: usize,
    pub column: usize,
}

/// Splits `text` into tokens, ending with [`Tok::Eof`].
pub(super) fn lex(text: &str) -> Result<Vec<Token>, TextError> {
    let mut lexer = Lexer { chars: text.chars().collect(), pos: 0, line: 1, column: 1 };
    let mut tokens = Vec::new();
    loop {
        lexer.skip_trivia();
        let (line, column) = (lexer.line, lexer.column);
        let tok = lexer.token()?;
        let done = tok == Tok::Eof;
        tokens.push(Token { tok, line, column });
        if done {
            return Ok(tokens);
        }
    }
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

struct Lexer {
    chars: Vec<char>,
    pos: usize,
    line: usize,
    column: usize,
}

impl Lexer {
    fn peek(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek(0)?;
        self.pos += 1;
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    fn error<T>(&self, message: String) -> Result<T, TextError> {
        Err(TextError { line: self.line, column: self.column, message })
    }

    fn skip_trivia(&mut self) {
        loop {
            match (self.peek(0), self.peek(1)) {
                (Some(c), _) if c.is_whitespace() => {
                    self.bump();
                }
                (Some('/'), Some('/')) => {
                    while self.peek(0).is_some_and(|c| c != '\n') {
                        self.bump();
                    }
                }
                _ => return,
            }
        }
    }

    fn token(&mut self) -> Result<Tok, TextError> {
        let Some(c) = self.peek(0) else { return Ok(Tok::Eof) };
        match c {
            '(' | ')' | '[' | ']' | '{' | '}' | '<' | '>' | ',' | ':' | '=' => {
                self.bump();
                Ok(Tok::Punct(c))
            }
            '%' => {
                self.bump();
                let name = self.word();
                if name.is_empty() {
                    return self.error("expected a value name after `%`".into());
                }
                Ok(Tok::Value(name))
            }
            '@' => self.at(),
            '"' => Ok(Tok::Str(self.string()?)),
            '-' => self.minus(),
            c if c.is_ascii_digit() => self.number(),
            c if c.is_ascii_alphabetic() || c == '_' => Ok(Tok::Ident(self.word())),
            c => self.error(format!("unexpected character {c:?}")),
        }
    }

    fn word(&mut self) -> String {
        let mut word = String::new();
        while let Some(c) = self.peek(0).filter(|&c| is_word_char(c)) {
            word.push(c);
            self.bump();
        }
        word
    }

    /// `@` starts a location (`@7:13`) or a symbol (`@name`, `@"name"`).
    fn at(&mut self) -> Result<Tok, TextError> {
        self.bump();
        match self.peek(0) {
            Some(c) if c.is_ascii_digit() => Ok(Tok::At),
            Some('"') => Ok(Tok::Symbol(self.string()?)),
            Some(c) if c.is_ascii_alphabetic() || c == '_' => Ok(Tok::Symbol(self.word())),
            _ => self.error("expected a name or a location after `@`".into()),
        }
    }

    /// `->`, a negative number, or `-inf`.
    fn minus(&mut self) -> Result<Tok, TextError> {
        match self.peek(1) {
            Some('>') => {
                self.bump();
                self.bump();
                Ok(Tok::Arrow)
            }
            Some(c) if c.is_ascii_digit() => self.number(),
            Some('i') => {
                self.bump();
                match self.word().as_str() {
                    "inf" => Ok(Tok::Float("-inf".into())),
                    _ => self.error("expected a number or `inf` after `-`".into()),
                }
            }
            _ => self.error("expected a number or `inf` after `-`".into()),
        }
    }

    /// `-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?` or `0x[0-9a-fA-F]+`.
    fn number(&mut self) -> Result<Tok, TextError> {
        let mut text = String::new();
        if self.peek(0) == Some('-') {
            text.push('-');
            self.bump();
        }
        if text.is_empty() && self.peek(0) == Some('0') && self.peek(1) == Some('x') {
            self.bump();
            self.bump();
            let digits = self.take_while(|c| c.is_ascii_hexdigit());
            if digits.is_empty() {
                return self.error("expected hexadecimal digits after `0x`".into());
            }
            return self.finish_number(Tok::Int(format!("0x{digits}")));
        }
        text.push_str(&self.take_while(|c| c.is_ascii_digit()));
        let mut is_float = false;
        if self.peek(0) == Some('.') && self.peek(1).is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
            text.push('.');
            text.push_str(&self.take_while(|c| c.is_ascii_digit()));
            is_float = true;
        }
        if matches!(self.peek(0), Some('e' | 'E')) {
            let sign = usize::from(matches!(self.peek(1), Some('+' | '-')));
            if self.peek(1 + sign).is_some_and(|c| c.is_ascii_digit()) {
                for _ in 0..=sign {
                    text.extend(self.bump());
                }
                text.push_str(&self.take_while(|c| c.is_ascii_digit()));
                is_float = true;
            }
        }
        self.finish_number(if is_float { Tok::Float(text) } else { Tok::Int(text) })
    }

    /// Rejects a number running straight into a word or a dot (`12ab`, `1.`).
    fn finish_number(&self, tok: Tok) -> Result<Tok, TextError> {
        match self.peek(0) {
            Some(c) if is_word_char(c) || c == '.' => self.error("malformed number".into()),
            _ => Ok(tok),
        }
    }

    fn take_while(&mut self, accept: impl Fn(char) -> bool) -> String {
        let mut out = String::new();
        while let Some(c) = self.peek(0).filter(|&c| accept(c)) {
            out.push(c);
            self.bump();
        }
        out
    }

    /// A `"…"` string with `\" \\ \n \t \r \u{…}` escapes; raw newlines end it.
    fn string(&mut self) -> Result<String, TextError> {
        self.bump();
        let mut out = String::new();
        loop {
            match self.peek(0) {
                None | Some('\n') => return self.error("unterminated string".into()),
                Some('"') => {
                    self.bump();
                    return Ok(out);
                }
                Some('\\') => {
                    self.bump();
                    out.push(self.escape()?);
                }
                Some(c) => {
                    self.bump();
                    out.push(c);
                }
            }
        }
    }

    fn escape(&mut self) -> Result<char, TextError> {
        let c = match self.bump() {
            Some('"') => '"',
            Some('\\') => '\\',
            Some('n') => '\n',
            Some('t') => '\t',
            Some('r') => '\r',
            Some('u') if self.peek(0) == Some('{') => {
                self.bump();
                let digits = self.take_while(|c| c.is_ascii_hexdigit());
                if self.bump() != Some('}') || digits.is_empty() || digits.len() > 6 {
                    return self.error("malformed `\\u{…}` escape".into());
                }
                let code = u32::from_str_radix(&digits, 16).ok().and_then(char::from_u32);
                match code {
                    Some(c) => c,
                    None => return self.error(format!("`\\u{{{digits}}}` is not a character")),
                }
            }
            Some(c) => return self.error(format!("unknown escape `\\{c}`")),
            None => return self.error("unterminated string".into()),
        };
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<Tok> {
        lex(text).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn lexes_numbers_names_and_locations() {
        assert_eq!(
            kinds("%4 = const -1.5e-3 : f32 @7:13 // comment"),
            vec![
                Tok::Value("4".into()),
                Tok::Punct('='),
                Tok::Ident("const".into()),
                Tok::Float("-1.5e-3".into()),
                Tok::Punct(':'),
                Tok::Ident("f32".into()),
                Tok::At,
                Tok::Int("7".into()),
                Tok::Punct(':'),
                Tok::Int("13".into()),
                Tok::Eof,
            ]
        );
        assert_eq!(
            kinds("-inf 0x7fc0 1e300 ->")[..4],
            [
                Tok::Float("-inf".into()),
                Tok::Int("0x7fc0".into()),
                Tok::Float("1e300".into()),
                Tok::Arrow
            ]
        );
    }

    #[test]
    fn reports_positions_of_bad_input() {
        let error = lex("kernel\n  $").unwrap_err();
        assert_eq!((error.line, error.column), (2, 3));
        assert!(lex("\"abc").is_err());
        assert!(lex("\"\\q\"").is_err());
        assert!(lex("12ab").is_err());
        assert!(lex("1.").is_err());
        assert!(lex("\"\\u{110000}\"").is_err());
        assert_eq!(kinds("\"a\\\"\\u{41}\"")[0], Tok::Str("a\"A".into()));
    }
}
