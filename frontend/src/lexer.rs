//! The lexer: `.tsr` source text → a vector of spanned [`Token`]s plus lexical
//! diagnostics (codes E0001–E0007).
//!
//! The token enum is a logos lexer; the irregular parts (numbers, strings, nested block
//! comments) are hand-written callbacks that push diagnostics into the lexer's extras
//! and still return a usable token, so one bad literal never stops lexing and rarely
//! causes a follow-up parse error. Unknown characters are dropped after a diagnostic
//! (adjacent ones are reported together).
//!
//! The parser adds one token the lexer never produces: [`Token::VirtualSemi`], a
//! zero-width `;` it inserts where a statement obviously ended without one.

use crate::ast::Span;
use crate::diag::Diagnostic;
use logos::{Lexer, Logos, Skip};
use tessera_ir::ScalarType;

/// A token with its byte offsets, in the shape lalrpop's external lexers use.
pub type Spanned<'s> = (usize, Token<'s>, usize);

/// Every token of the language.
#[derive(Logos, Clone, Debug, PartialEq)]
#[logos(extras = Vec<Diagnostic>)]
#[logos(skip r"[ \t\r\n\f]+")]
#[logos(skip(r"//[^\n]*", allow_greedy = true))]
pub enum Token<'s> {
    /// `/* … */`; the callback skips the (nested) comment, so this is never produced.
    #[token("/*", block_comment)]
    BlockComment,

    #[token("kernel")]
    Kernel,
    #[token("fn")]
    Fn,
    #[token("const")]
    Const,
    #[token("let")]
    Let,
    #[token("mut")]
    Mut,
    #[token("for")]
    For,
    #[token("in")]
    In,
    #[token("while")]
    While,
    #[token("if")]
    If,
    #[token("else")]
    Else,
    #[token("return")]
    Return,
    #[token("as")]
    As,
    #[token("true")]
    True,
    #[token("false")]
    False,
    #[token("None")]
    NoneKw,
    #[token("inf")]
    Inf,
    #[token("nan")]
    Nan,
    #[token("tile")]
    Tile,
    /// A scalar type name: `bool`, `i8` … `f64`.
    #[token("bool", |_| ScalarType::Bool)]
    #[token("i8", |_| ScalarType::I8)]
    #[token("i16", |_| ScalarType::I16)]
    #[token("i32", |_| ScalarType::I32)]
    #[token("i64", |_| ScalarType::I64)]
    #[token("u8", |_| ScalarType::U8)]
    #[token("u16", |_| ScalarType::U16)]
    #[token("u32", |_| ScalarType::U32)]
    #[token("u64", |_| ScalarType::U64)]
    #[token("f16", |_| ScalarType::F16)]
    #[token("bf16", |_| ScalarType::BF16)]
    #[token("f32", |_| ScalarType::F32)]
    #[token("f64", |_| ScalarType::F64)]
    Scalar(ScalarType),

    #[regex("[A-Za-z_][A-Za-z0-9_]*", |lex| lex.slice())]
    Ident(&'s str),
    /// Matches the first digit; the callback scans the literal and returns
    /// [`Token::Int`] or [`Token::Float`], so this is never produced.
    #[regex("[0-9]", number)]
    Number,
    /// `.5`: reported, then lexed as the float it was meant to be.
    #[regex(r"\.[0-9]", leading_dot)]
    LeadingDot,
    Int(u64),
    Float(f64),
    /// A string literal, escapes already resolved.
    #[token("\"", string)]
    Str(String),

    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token(",")]
    Comma,
    #[token(":")]
    Colon,
    #[token(";")]
    Semi,
    #[token("->")]
    Arrow,
    #[token("#")]
    Hash,
    #[token("=")]
    Assign,
    #[token("+=")]
    AddAssign,
    #[token("-=")]
    SubAssign,
    #[token("*=")]
    MulAssign,
    #[token("/=")]
    DivAssign,
    #[token("%=")]
    RemAssign,
    #[token("&=")]
    AndAssign,
    #[token("|=")]
    OrAssign,
    #[token("^=")]
    XorAssign,
    #[token("<<=")]
    ShlAssign,
    #[token(">>=")]
    ShrAssign,
    #[token("||")]
    OrOr,
    #[token("&&")]
    AndAnd,
    #[token("==")]
    EqEq,
    #[token("!=")]
    NotEq,
    #[token("<")]
    Lt,
    #[token("<=")]
    Le,
    #[token(">")]
    Gt,
    #[token(">=")]
    Ge,
    #[token("|")]
    Pipe,
    #[token("^")]
    Caret,
    #[token("&")]
    Amp,
    #[token("<<")]
    Shl,
    #[token(">>")]
    Shr,
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("%")]
    Percent,
    #[token("!")]
    Bang,

    /// A `;` the parser inserted where one was missing (never lexed).
    VirtualSemi,
}

impl Token<'_> {
    /// Whether this token is a keyword or type name (which cannot be used as a name).
    pub fn is_keyword(&self) -> bool {
        matches!(
            self,
            Token::Kernel
                | Token::Fn
                | Token::Const
                | Token::Let
                | Token::Mut
                | Token::For
                | Token::In
                | Token::While
                | Token::If
                | Token::Else
                | Token::Return
                | Token::As
                | Token::True
                | Token::False
                | Token::NoneKw
                | Token::Inf
                | Token::Nan
                | Token::Tile
                | Token::Scalar(_)
        )
    }

    /// How a diagnostic names this token, given its source text: "keyword `for`",
    /// "identifier `x`", "`;`".
    pub fn describe(&self, text: &str) -> String {
        let text = if text.chars().count() > 24 {
            format!("{}…", text.chars().take(24).collect::<String>())
        } else {
            text.to_string()
        };
        match self {
            Token::Ident(name) => format!("identifier `{name}`"),
            Token::Int(_) => format!("integer literal `{text}`"),
            Token::Float(_) | Token::LeadingDot | Token::Number => {
                format!("float literal `{text}`")
            }
            Token::Str(_) => "string literal".to_string(),
            Token::Scalar(ty) => format!("type name `{}`", ty.name()),
            Token::VirtualSemi => "end of statement".to_string(),
            t if t.is_keyword() => format!("keyword `{text}`"),
            _ => format!("`{text}`"),
        }
    }
}

/// Lexes a whole file. Never fails: errors become diagnostics and lexing continues.
pub fn lex(text: &str) -> (Vec<Spanned<'_>>, Vec<Diagnostic>) {
    let mut lexer = Token::lexer(text);
    let mut tokens = Vec::new();
    let mut unknown: Option<std::ops::Range<usize>> = None;
    let mut unknown_diags = Vec::new();
    while let Some(result) = lexer.next() {
        let span = lexer.span();
        match result {
            Ok(token) => {
                flush_unknown(text, &mut unknown, &mut unknown_diags);
                tokens.push((span.start, token, span.end));
            }
            Err(()) => match &mut unknown {
                Some(run) if run.end == span.start => run.end = span.end,
                _ => {
                    flush_unknown(text, &mut unknown, &mut unknown_diags);
                    unknown = Some(span);
                }
            },
        }
    }
    flush_unknown(text, &mut unknown, &mut unknown_diags);
    let mut diags = std::mem::take(&mut lexer.extras);
    diags.extend(unknown_diags);
    diags.sort_by_key(|d| d.primary.span.start);
    (tokens, diags)
}

/// Reports a run of unknown characters as one E0001.
fn flush_unknown(
    text: &str,
    run: &mut Option<std::ops::Range<usize>>,
    diags: &mut Vec<Diagnostic>,
) {
    let Some(run) = run.take() else { return };
    let chars = text.get(run.clone()).unwrap_or("");
    let message = match chars.chars().count() {
        1 => format!("unknown character `{chars}`"),
        n if n <= 8 => format!("unknown characters `{chars}`"),
        n => format!("{n} unknown characters `{}…`", chars.chars().take(8).collect::<String>()),
    };
    let span = Span::new(run.start, run.end);
    let mut diag = Diagnostic::error("E0001", message, span, "not part of the language");
    if let Some(help) = unknown_char_help(chars) {
        diag = diag.with_help(help);
    }
    diags.push(diag);
}

fn unknown_char_help(chars: &str) -> Option<&'static str> {
    Some(match chars.chars().next()? {
        '\'' => "Tessera has no character literals; strings are written with `\"`",
        '.' => "Tessera has no fields or methods; float literals are written `0.5`, `1.0`",
        '@' => "write a matrix product as `dot(a, b)`",
        '~' => "bitwise not is written `!`",
        '?' => "Tessera has no `?` operator; use `where(cond, a, b)` to select",
        c if !c.is_ascii() => "identifiers and operators are ASCII only",
        _ => return None,
    })
}

/// Skips a (nested) block comment; an unterminated one runs to the end of the file.
fn block_comment<'s>(lex: &mut Lexer<'s, Token<'s>>) -> Skip {
    let rest = lex.remainder().as_bytes();
    let mut depth = 1usize;
    let mut i = 0;
    while i < rest.len() {
        match (rest[i], rest.get(i + 1)) {
            (b'/', Some(b'*')) => {
                depth += 1;
                i += 2;
            }
            (b'*', Some(b'/')) => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    lex.bump(i);
                    return Skip;
                }
            }
            _ => i += 1,
        }
    }
    let start = lex.span().start;
    lex.extras.push(
        Diagnostic::error(
            "E0003",
            "unterminated block comment",
            Span::new(start, start + 2),
            "this comment is never closed",
        )
        .with_help("close it with `*/`; block comments nest, so every `/*` needs its own `*/`"),
    );
    lex.bump(rest.len());
    Skip
}

/// Scans a string literal after its opening quote. Strings end at the end of their line.
fn string<'s>(lex: &mut Lexer<'s, Token<'s>>) -> String {
    let start = lex.span().start;
    let rest = lex.remainder();
    let mut value = String::new();
    let mut chars = rest.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                lex.bump(i + 1);
                return value;
            }
            '\n' => break,
            '\\' => match chars.next() {
                Some((_, 'n')) => value.push('\n'),
                Some((_, 't')) => value.push('\t'),
                Some((_, '\\')) => value.push('\\'),
                Some((_, '"')) => value.push('"'),
                // A backslash ending the line: the string is unterminated.
                Some((_, '\n' | '\r')) => break,
                Some((j, other)) => {
                    let at = start + 1 + i;
                    let end = start + 1 + j + other.len_utf8();
                    lex.extras.push(
                        Diagnostic::error(
                            "E0004",
                            format!("unknown escape sequence `\\{other}`"),
                            Span::new(at, end),
                            "unknown escape",
                        )
                        .with_help("the escapes are `\\n`, `\\t`, `\\\\` and `\\\"`"),
                    );
                    value.push(other);
                }
                None => break,
            },
            c => value.push(c),
        }
    }
    // Unterminated: the literal runs to the end of the line.
    let line_len = rest.find('\n').unwrap_or(rest.len());
    let line_len = rest[..line_len].trim_end_matches('\r').len();
    lex.bump(line_len);
    lex.extras.push(
        Diagnostic::error(
            "E0002",
            "unterminated string literal",
            Span::new(start, start + 1 + line_len),
            "this string has no closing `\"`",
        )
        .with_help("add the closing `\"`; a string cannot span lines"),
    );
    value.truncate(value.trim_end_matches(['\n', '\r']).len());
    value
}

/// `.5`: reports it and returns the float `0.5`.
fn leading_dot<'s>(lex: &mut Lexer<'s, Token<'s>>) -> Token<'s> {
    let start = lex.span().start;
    let rest = lex.remainder().as_bytes();
    let digits = rest.iter().take_while(|b| b.is_ascii_digit() || **b == b'_').count();
    let exp = scan_exponent(&rest[digits..]);
    lex.bump(digits + exp.len);
    let text = lex.slice().replace('_', "");
    let value = format!("0{text}").parse::<f64>().unwrap_or(0.0);
    lex.extras.push(
        Diagnostic::error(
            "E0007",
            "float literals need a digit before the `.`",
            Span::new(start, lex.span().end),
            "missing leading `0`",
        )
        .with_help(format!(
            "Tessera has no `{}` literals; write `0{}`",
            lex.slice(),
            lex.slice()
        )),
    );
    Token::Float(value)
}

/// An exponent after the mantissa: `e`, optional sign, digits.
struct Exponent {
    /// Bytes the exponent spans (0 when there is none).
    len: usize,
    /// Whether it has at least one digit.
    has_digits: bool,
}

fn scan_exponent(rest: &[u8]) -> Exponent {
    if !matches!(rest.first(), Some(b'e' | b'E')) {
        return Exponent { len: 0, has_digits: false };
    }
    let mut len = 1;
    if matches!(rest.get(1), Some(b'+' | b'-')) {
        len = 2;
    }
    let digits = rest[len..].iter().take_while(|b| b.is_ascii_digit() || **b == b'_').count();
    let has_digits = rest[len..len + digits].iter().any(u8::is_ascii_digit);
    Exponent { len: len + digits, has_digits }
}

/// Scans a number starting at the matched digit: `42`, `1_000`, `0xFF`, `0b1010`,
/// `0o17`, `1.0`, `1e-3`, `2.5E+4`; reports malformed ones and returns a best guess.
fn number<'s>(lex: &mut Lexer<'s, Token<'s>>) -> Token<'s> {
    let first = lex.slice().as_bytes()[0];
    let rest = lex.remainder().as_bytes();
    let radix = match (first, rest.first()) {
        (b'0', Some(b'x' | b'X')) => Some((16, "hexadecimal")),
        (b'0', Some(b'b' | b'B')) => Some((2, "binary")),
        (b'0', Some(b'o' | b'O')) => Some((8, "octal")),
        _ => None,
    };
    match radix {
        Some((radix, name)) => radix_number(lex, radix, name),
        None => decimal_number(lex),
    }
}

fn is_word_byte(b: &u8) -> bool {
    b.is_ascii_alphanumeric() || *b == b'_'
}

fn radix_number<'s>(lex: &mut Lexer<'s, Token<'s>>, radix: u32, name: &str) -> Token<'s> {
    let start = lex.span().start;
    let rest = lex.remainder().as_bytes();
    let word = rest[1..].iter().take_while(|b| is_word_byte(b)).count();
    lex.bump(1 + word);
    let body = &lex.slice()[2..];
    let prefix = &lex.slice()[..2];
    let span = Span::new(start, lex.span().end);
    if let Some(bad) = body.chars().find(|c| *c != '_' && !c.is_digit(radix)) {
        lex.extras.push(
            Diagnostic::error(
                "E0005",
                format!("invalid digit `{bad}` in {name} literal"),
                span,
                format!("not a {name} digit"),
            )
            .with_help(radix_help(radix)),
        );
        return Token::Int(0);
    }
    if !body.chars().any(|c| c.is_digit(radix)) {
        lex.extras.push(
            Diagnostic::error(
                "E0005",
                format!("missing digits after `{prefix}`"),
                span,
                format!("this {name} literal has no digits"),
            )
            .with_help(radix_help(radix)),
        );
        return Token::Int(0);
    }
    Token::Int(parse_int(lex, body, radix, span))
}

fn radix_help(radix: u32) -> &'static str {
    match radix {
        16 => "hexadecimal literals are `0x` followed by digits `0-9`, `a-f`, `A-F`: `0xFF`",
        8 => "octal literals are `0o` followed by digits `0-7`: `0o17`",
        _ => "binary literals are `0b` followed by digits `0` and `1`: `0b1010`",
    }
}

/// Parses digits (with `_` separators) into a u64, reporting overflow as E0006.
fn parse_int<'s>(lex: &mut Lexer<'s, Token<'s>>, digits: &str, radix: u32, span: Span) -> u64 {
    let mut value: u64 = 0;
    for c in digits.chars().filter(|c| *c != '_') {
        let digit = u64::from(c.to_digit(radix).unwrap_or(0));
        match value.checked_mul(u64::from(radix)).and_then(|v| v.checked_add(digit)) {
            Some(v) => value = v,
            None => {
                lex.extras.push(
                    Diagnostic::error(
                        "E0006",
                        "integer literal is too large",
                        span,
                        "does not fit in 64 bits",
                    )
                    .with_help(format!("the largest integer literal is {}", u64::MAX)),
                );
                return u64::MAX;
            }
        }
    }
    value
}

fn decimal_number<'s>(lex: &mut Lexer<'s, Token<'s>>) -> Token<'s> {
    let start = lex.span().start;
    let rest = lex.remainder().as_bytes();
    let mut len = rest.iter().take_while(|b| b.is_ascii_digit() || **b == b'_').count();
    let mut is_float = false;
    let mut problem: Option<(&str, String)> = None;
    if rest.get(len) == Some(&b'.') {
        is_float = true;
        let frac = rest[len + 1..].iter().take_while(|b| b.is_ascii_digit() || **b == b'_').count();
        if frac == 0 {
            problem = Some(("a float literal needs digits after the `.`", String::new()));
        }
        len += 1 + frac;
    }
    let exp = scan_exponent(&rest[len..]);
    if exp.len > 0 {
        is_float = true;
        if !exp.has_digits && problem.is_none() {
            problem = Some(("the exponent of this float literal has no digits", String::new()));
        }
        len += exp.len;
    }
    let suffix = rest[len..].iter().take_while(|b| is_word_byte(b)).count();
    lex.bump(len + suffix);
    let span = Span::new(start, lex.span().end);
    let text = lex.slice();
    let (number_text, suffix_text) = text.split_at(text.len() - suffix);
    if suffix > 0 {
        let help = match ScalarType::from_name(suffix_text) {
            Some(ty) => format!(
                "literals take their type from context: write `{number_text}`, or `{number_text} as {}` to force it",
                ty.name()
            ),
            None => format!("remove `{suffix_text}`; literals take their type from context"),
        };
        lex.extras.push(
            Diagnostic::error(
                "E0005",
                format!("invalid suffix `{suffix_text}` on number literal"),
                span,
                "literals take no suffix",
            )
            .with_help(help),
        );
    } else if let Some((message, _)) = problem {
        let help = if number_text.ends_with('.') {
            format!("write `{number_text}0`")
        } else {
            format!("write the exponent's digits, e.g. `{number_text}3`")
        };
        lex.extras
            .push(Diagnostic::error("E0007", message, span, "malformed float").with_help(help));
    }
    let clean = number_text.replace('_', "");
    if is_float {
        float_value(lex, &clean, span)
    } else {
        Token::Int(parse_int(lex, &clean, 10, span))
    }
}

fn float_value<'s>(lex: &mut Lexer<'s, Token<'s>>, clean: &str, span: Span) -> Token<'s> {
    // Malformed forms (`3.`, `1e`) were reported; parse what is usable.
    let usable = clean.trim_end_matches(['e', 'E', '+', '-']);
    let usable = usable.strip_suffix('.').unwrap_or(usable);
    let value = usable.parse::<f64>().unwrap_or(0.0);
    if value.is_infinite() {
        lex.extras.push(
            Diagnostic::error("E0006", "float literal is too large", span, "overflows f64")
                .with_help("write `inf` for infinity"),
        );
    }
    Token::Float(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<Token<'_>> {
        let (tokens, diags) = lex(text);
        assert!(diags.is_empty(), "unexpected diagnostics for {text:?}: {diags:?}");
        tokens.into_iter().map(|(_, t, _)| t).collect()
    }

    fn codes(text: &str) -> Vec<&'static str> {
        lex(text).1.iter().map(|d| d.code).collect()
    }

    #[test]
    fn integer_literals() {
        assert_eq!(tokens("42"), [Token::Int(42)]);
        assert_eq!(tokens("1_000"), [Token::Int(1000)]);
        assert_eq!(tokens("0xFF 0Xff"), [Token::Int(255), Token::Int(255)]);
        assert_eq!(tokens("0b1010"), [Token::Int(10)]);
        assert_eq!(tokens("0o17"), [Token::Int(15)]);
        assert_eq!(tokens("007"), [Token::Int(7)]);
        assert_eq!(tokens("18446744073709551615"), [Token::Int(u64::MAX)]);
        assert_eq!(tokens("0xFFFF_FFFF_FFFF_FFFF"), [Token::Int(u64::MAX)]);
    }

    #[test]
    fn float_literals() {
        assert_eq!(tokens("1.0"), [Token::Float(1.0)]);
        assert_eq!(tokens("1e-3"), [Token::Float(1e-3)]);
        assert_eq!(tokens("2.5E+4"), [Token::Float(2.5e4)]);
        assert_eq!(tokens("1_0.2_5"), [Token::Float(10.25)]);
        assert_eq!(tokens("0.7071067811865476"), [Token::Float(std::f64::consts::FRAC_1_SQRT_2)]);
        assert_eq!(tokens("inf nan"), [Token::Inf, Token::Nan]);
    }

    #[test]
    fn strings_and_escapes() {
        assert_eq!(tokens(r#""a\n\t\\\"b""#), [Token::Str("a\n\t\\\"b".to_string())]);
        assert_eq!(tokens(r#""""#), [Token::Str(String::new())]);
    }

    #[test]
    fn keywords_types_and_identifiers() {
        let toks = tokens("kernel fn const let mut for in while if else return as true false None inf nan tile f32 bf16 bool x_1 _ kernels");
        assert_eq!(toks.len(), 24);
        assert_eq!(toks[18], Token::Scalar(ScalarType::F32));
        assert_eq!(toks[19], Token::Scalar(ScalarType::BF16));
        assert_eq!(toks[21], Token::Ident("x_1"));
        assert_eq!(toks[23], Token::Ident("kernels"));
    }

    #[test]
    fn punctuation_longest_match() {
        let toks = tokens("<<= >>= << >> <= >= && || -> += != == ! - *");
        assert_eq!(
            toks,
            [
                Token::ShlAssign,
                Token::ShrAssign,
                Token::Shl,
                Token::Shr,
                Token::Le,
                Token::Ge,
                Token::AndAnd,
                Token::OrOr,
                Token::Arrow,
                Token::AddAssign,
                Token::NotEq,
                Token::EqEq,
                Token::Bang,
                Token::Minus,
                Token::Star,
            ]
        );
    }

    #[test]
    fn comments_nest() {
        assert_eq!(
            tokens("a /* x /* y */ z */ b // c\nd"),
            [Token::Ident("a"), Token::Ident("b"), Token::Ident("d")]
        );
    }

    #[test]
    fn spans_are_byte_offsets() {
        let (toks, _) = lex("let  x");
        assert_eq!((toks[1].0, toks[1].2), (5, 6));
    }

    #[test]
    fn lexical_errors_have_codes_and_lexing_continues() {
        assert_eq!(codes("a $ b"), ["E0001"]);
        assert_eq!(codes("a $$ b € c"), ["E0001", "E0001"]);
        assert_eq!(codes("\"abc\nx"), ["E0002"]);
        assert_eq!(codes("/* /* */"), ["E0003"]);
        assert_eq!(codes(r#""\q""#), ["E0004"]);
        assert_eq!(codes("0x"), ["E0005"]);
        assert_eq!(codes("0xFG"), ["E0005"]);
        assert_eq!(codes("0b102"), ["E0005"]);
        assert_eq!(codes("1f32"), ["E0005"]);
        assert_eq!(codes("18446744073709551616"), ["E0006"]);
        assert_eq!(codes("1e999"), ["E0006"]);
        assert_eq!(codes(".5"), ["E0007"]);
        assert_eq!(codes("3."), ["E0007"]);
        assert_eq!(codes("1e"), ["E0007"]);
        assert_eq!(codes("1e+"), ["E0007"]);
        let (toks, _) = lex("x = .5 + 0x;");
        let kinds: Vec<_> = toks.into_iter().map(|(_, t, _)| t).collect();
        assert_eq!(
            kinds,
            [
                Token::Ident("x"),
                Token::Assign,
                Token::Float(0.5),
                Token::Plus,
                Token::Int(0),
                Token::Semi
            ]
        );
    }

    #[test]
    fn unterminated_string_stops_at_line_end() {
        let (toks, diags) = lex("f(\"oops);\ng();");
        assert_eq!(diags.len(), 1);
        assert_eq!(toks[2].1, Token::Str("oops);".to_string()));
        assert_eq!(toks[3].1, Token::Ident("g"));
    }

    #[test]
    fn describe_names_tokens() {
        assert_eq!(Token::For.describe("for"), "keyword `for`");
        assert_eq!(Token::Ident("x").describe("x"), "identifier `x`");
        assert_eq!(Token::Semi.describe(";"), "`;`");
        assert_eq!(Token::Scalar(ScalarType::F32).describe("f32"), "type name `f32`");
    }
}
