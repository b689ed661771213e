//! Wording of parse errors: lalrpop's errors (a token plus the list of terminals that
//! could have come instead) become diagnostics with readable "expected …" text, a code
//! chosen by the situation, and a help line where one fits.
//!
//! Codes: E0010 unexpected token, E0011 unexpected end of file, E0014 keyword used as a
//! name, E0015 missing `;`, E0017 expected an item, E0018 unsupported index. Errors right
//! next to a lexical error are dropped: the lexer already explained them.

use crate::ast::Span;
use crate::diag::Diagnostic;
use crate::lexer::{Spanned, Token};
use lalrpop_util::ParseError;
use std::collections::BTreeSet;
use std::convert::Infallible;

/// A parse error as lalrpop reports it.
pub type LalrpopError<'s> = ParseError<usize, Token<'s>, Infallible>;

/// What an item's errors are worded against.
pub struct ErrorContext<'a, 's> {
    pub source: &'s str,
    /// The tokens the parser was fed (virtual `;` included).
    pub tokens: &'a [Spanned<'s>],
    /// The first token of the next item: where an item that "ends early" really ended.
    pub next_item: Option<&'a Spanned<'s>>,
    /// Where the file's lexical diagnostics are.
    pub lex_errors: &'a SpanIndex,
    /// Keywords reported as misused names (E0014) in this item; later "unexpected
    /// keyword" errors for the same word are the same mistake and are not reported.
    pub misused_keywords: Vec<&'s str>,
}

/// Spans sorted by start, answering "does any span overlap `lo..hi`" in O(log n).
pub struct SpanIndex {
    spans: Vec<Span>,
    /// `max_end[i]` is the largest end among `spans[..=i]`.
    max_end: Vec<u32>,
}

impl SpanIndex {
    /// Indexes `spans` (in any order).
    pub fn new(mut spans: Vec<Span>) -> SpanIndex {
        spans.sort();
        let max_end = spans
            .iter()
            .scan(0, |max, s| {
                *max = s.end.max(*max);
                Some(*max)
            })
            .collect();
        SpanIndex { spans, max_end }
    }

    /// Whether some span overlaps the byte range `lo..hi`.
    pub fn overlaps(&self, lo: usize, hi: usize) -> bool {
        let before_hi = self.spans.partition_point(|s| (s.start as usize) < hi);
        before_hi > 0 && self.max_end[before_hi - 1] as usize > lo
    }
}

/// The token an error is about.
struct Found<'a, 's> {
    /// `None` at the end of the file.
    token: Option<&'a Token<'s>>,
    span: Span,
    /// The real token before it, if any.
    prev: Option<Span>,
}

const EXPR_START: &[&str] = &[
    "identifier",
    "integer literal",
    "float literal",
    "string literal",
    "scalar type",
    "true",
    "false",
    "inf",
    "nan",
    "(",
    "[",
    "-",
    "!",
];
const STMT_START: &[&str] = &["let", "for", "while", "if", "return"];
const BINARY_OPS: &[&str] = &[
    "||", "&&", "==", "!=", "<", "<=", ">", ">=", "|", "^", "&", "<<", ">>", "+", "-", "*", "/",
    "%", "as", "(", "[",
];
const COMPOUND_ASSIGN: &[&str] = &["+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>="];
const TYPE_START: &[&str] = &["scalar type", "*", "tile"];
const ITEM_START: &[&str] = &["#", "kernel", "fn"];

impl<'a, 's> ErrorContext<'a, 's> {
    /// The diagnostic for a parse error, or `None` when a lexical error explains it.
    pub fn parse_error(&mut self, error: &LalrpopError<'s>) -> Option<Diagnostic> {
        match error {
            ParseError::UnrecognizedToken { token: (l, _, r), expected } => {
                self.unexpected(self.found_at(*l, *r), expected)
            }
            ParseError::UnrecognizedEof { location, expected } => {
                self.unexpected(self.found_at_end(*location), expected)
            }
            ParseError::ExtraToken { token: (l, _, r) } => {
                self.unexpected(self.found_at(*l, *r), &[])
            }
            ParseError::InvalidToken { location } => {
                let found = self.found_at_end(*location);
                self.unexpected(found, &[])
            }
            ParseError::User { error } => match *error {},
        }
    }

    /// E0015 for the virtual `;` at `at` that the parser accepted in place of a `;`.
    pub fn missing_semicolon(&self, at: usize) -> Option<Diagnostic> {
        let found = self.found_at(at, at);
        if self.near_lex_error(&found) {
            return None;
        }
        Some(self.missing_semicolon_at(&found))
    }

    fn index_of(&self, l: usize, r: usize) -> usize {
        let first = self.tokens.partition_point(|t| t.0 < l);
        (first..self.tokens.len())
            .take_while(|i| self.tokens[*i].0 == l)
            .find(|i| self.tokens[*i].2 == r)
            .unwrap_or(first)
    }

    fn found_at(&self, l: usize, r: usize) -> Found<'a, 's> {
        let mut index = self.index_of(l, r);
        if matches!(self.tokens.get(index), Some((_, Token::VirtualSemi, _))) {
            index += 1;
        }
        let prev = self.tokens[..index.min(self.tokens.len())]
            .iter()
            .rev()
            .find(|t| t.1 != Token::VirtualSemi)
            .map(|t| Span::new(t.0, t.2));
        match self.tokens.get(index) {
            Some((l, token, r)) => Found { token: Some(token), span: Span::new(*l, *r), prev },
            None => self.found_at_end(r),
        }
    }

    fn found_at_end(&self, location: usize) -> Found<'a, 's> {
        let prev = self.tokens.last().map(|t| Span::new(t.0, t.2));
        match self.next_item {
            Some((l, token, r)) => Found { token: Some(token), span: Span::new(*l, *r), prev },
            None => Found { token: None, span: Span::new(location, location), prev },
        }
    }

    fn near_lex_error(&self, found: &Found<'_, '_>) -> bool {
        let lo = found.prev.map_or(found.span.start, |p| p.start);
        let hi = found.span.end.max(found.span.start + 1);
        self.lex_errors.overlaps(lo as usize, hi as usize)
    }

    fn describe(&self, found: &Found<'_, '_>) -> String {
        match found.token {
            Some(token) => token.describe(self.source.get(found.span.range()).unwrap_or("")),
            None => "end of file".to_string(),
        }
    }

    fn unexpected(&mut self, found: Found<'a, 's>, expected: &[String]) -> Option<Diagnostic> {
        if self.near_lex_error(&found) {
            return None;
        }
        let text = self.source.get(found.span.range()).unwrap_or("");
        let is_keyword = found.token.is_some_and(Token::is_keyword);
        if is_keyword && self.misused_keywords.contains(&text) {
            return None;
        }
        let expected = ExpectedSet::new(expected);
        let desc = self.describe(&found);
        let span = found.span;
        Some(if expected.contains(";") && self.newline_before(&found) {
            self.missing_semicolon_at(&found)
        } else if is_keyword && expected.contains("identifier") && !expected.contains("(") {
            self.misused_keywords.push(text);
            keyword_as_name(&desc, span)
        } else if expected.is_empty() || expected.is_subset_of(ITEM_START) {
            expected_item(&desc, span)
        } else if expected.contains("None")
            && !matches!(found.token, Some(Token::RBracket | Token::Comma))
        {
            bad_index(&desc, span)
        } else if found.token.is_none() {
            let text = expected.describe();
            Diagnostic::error(
                "E0011",
                format!("unexpected end of file, expected {text}"),
                span,
                format!("expected {text}"),
            )
        } else {
            let text = expected.describe();
            let diag = Diagnostic::error(
                "E0010",
                format!("expected {text}, found {desc}"),
                span,
                format!("expected {text}"),
            );
            match context_help(&found, &expected) {
                Some(help) => diag.with_help(help),
                None => diag,
            }
        })
    }

    fn newline_before(&self, found: &Found<'_, '_>) -> bool {
        found.prev.is_some_and(|p| {
            let between = self.source.get(p.end as usize..found.span.start as usize);
            between.is_some_and(|s| s.contains('\n'))
        })
    }

    fn missing_semicolon_at(&self, found: &Found<'_, '_>) -> Diagnostic {
        let at = found.prev.map_or(found.span.start, |p| p.end);
        let desc = self.describe(found);
        let diag = Diagnostic::error(
            "E0015",
            format!("expected `;`, found {desc}"),
            Span { start: at, end: at },
            "expected `;`",
        );
        let same_line = self
            .source
            .get(at as usize..found.span.start as usize)
            .is_some_and(|s| !s.contains('\n'));
        if same_line || matches!(found.token, Some(Token::RBrace)) {
            diag
        } else {
            diag.with_label(found.span, format!("unexpected {desc}"))
        }
    }
}

fn keyword_as_name(desc: &str, span: Span) -> Diagnostic {
    Diagnostic::error("E0014", format!("expected a name, found {desc}"), span, "reserved word")
        .with_help("keywords and type names cannot be used as names; pick another name")
}

fn expected_item(desc: &str, span: Span) -> Diagnostic {
    Diagnostic::error("E0017", format!("expected `kernel` or `fn`, found {desc}"), span, "expected an item")
        .with_help("a file holds only `kernel` and `fn` items (optionally with `#[...]` attributes); statements belong inside a body")
}

fn bad_index(desc: &str, span: Span) -> Diagnostic {
    Diagnostic::error("E0018", format!("expected `:` or `None`, found {desc}"), span, "not `:` or `None`")
        .with_help("each subscript is `:` (keep a dimension) or `None` (insert one of size 1); tiles are not indexed element by element")
}

/// A help line for an unexpected token, where the situation is recognizable.
fn context_help(found: &Found<'_, '_>, expected: &ExpectedSet) -> Option<&'static str> {
    let token = found.token?;
    if *token == Token::Assign && expected.contains("==") && expected.contains(";") {
        return Some("only a variable can be assigned (`name = value;`); to compare, use `==`");
    }
    if *token == Token::Assign && expected.contains("==") {
        return Some("use `==` to compare; `=` only assigns, in a statement of its own");
    }
    if *token == Token::Semi && expected.contains("=") && expected.is_subset_of(&[":", "="]) {
        return Some("a `let` binding needs a value: `let name = value;`");
    }
    if *token == Token::Colon && expected.is_subset_of(&["="]) {
        return Some("attribute arguments are written `NAME = value`");
    }
    if expected.contains(":")
        && expected.contains(")")
        && matches!(token, Token::Star | Token::Scalar(_) | Token::Tile)
    {
        return Some("a parameter's type follows a colon: `name: type`");
    }
    if *token == Token::Else {
        return Some("`else` must directly follow the closing `}` of an `if` block");
    }
    None
}

/// The terminals lalrpop expected, as grammar names without their quotes.
struct ExpectedSet {
    names: BTreeSet<String>,
}

impl ExpectedSet {
    fn new(expected: &[String]) -> ExpectedSet {
        let names = expected
            .iter()
            .map(|name| name.trim_matches('"').to_string())
            .filter(|name| name != "virtual ;")
            .collect();
        ExpectedSet { names }
    }

    fn contains(&self, name: &str) -> bool {
        self.names.contains(name)
    }

    fn contains_all(&self, names: &[&str]) -> bool {
        names.iter().all(|n| self.contains(n))
    }

    fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    fn is_subset_of(&self, names: &[&str]) -> bool {
        self.names.iter().all(|n| names.contains(&n.as_str()))
    }

    /// "`;` or an operator", "a statement or `}`", "one of `(`, `[`, …".
    fn describe(&self) -> String {
        let mut names = self.names.clone();
        let mut groups = Vec::new();
        let remove = |names: &mut BTreeSet<String>, list: &[&str]| {
            for n in list {
                names.remove(*n);
            }
        };
        let expression = self.contains_all(&["identifier", "integer literal", "(", "-"]);
        if expression && self.contains_all(STMT_START) {
            groups.push("a statement");
            remove(&mut names, STMT_START);
            remove(&mut names, EXPR_START);
        } else if expression {
            groups.push("an expression");
            remove(&mut names, EXPR_START);
        }
        if self.contains_all(&["+", "*", "&&"]) {
            groups.push("an operator");
            remove(&mut names, BINARY_OPS);
        }
        if self.contains("+=") {
            remove(&mut names, COMPOUND_ASSIGN);
        }
        if self.contains_all(TYPE_START) {
            groups.push("a type");
            remove(&mut names, TYPE_START);
        }
        let mut parts: Vec<String> = names.iter().map(|n| terminal_text(n)).collect();
        parts.sort_by_key(|p| !p.starts_with('`'));
        parts.extend(groups.into_iter().map(String::from));
        join_alternatives(&parts)
    }
}

fn terminal_text(name: &str) -> String {
    match name {
        "identifier" => "a name".to_string(),
        "integer literal" => "an integer literal".to_string(),
        "float literal" => "a float literal".to_string(),
        "string literal" => "a string".to_string(),
        "scalar type" => "a type name".to_string(),
        other => format!("`{other}`"),
    }
}

fn join_alternatives(parts: &[String]) -> String {
    match parts {
        [] => "nothing more".to_string(),
        [one] => one.clone(),
        [a, b] => format!("{a} or {b}"),
        _ if parts.len() > 7 => format!("one of {}, …", parts[..6].join(", ")),
        [init @ .., last] => format!("{}, or {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn describe(names: &[&str]) -> String {
        let expected: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
        ExpectedSet::new(&expected).describe()
    }

    #[test]
    fn span_index_finds_overlaps() {
        let index = SpanIndex::new(vec![Span::new(10, 12), Span::new(0, 30), Span::new(40, 41)]);
        assert!(index.overlaps(20, 25));
        assert!(index.overlaps(40, 41));
        assert!(!index.overlaps(30, 40));
        assert!(!index.overlaps(41, 50));
        assert!(!SpanIndex::new(vec![]).overlaps(0, 10));
    }

    #[test]
    fn expected_lists_read_well() {
        assert_eq!(describe(&[";"]), "`;`");
        assert_eq!(describe(&[":", "="]), "`:` or `=`");
        let mut ops: Vec<&str> = BINARY_OPS.to_vec();
        ops.push(";");
        assert_eq!(describe(&ops), "`;` or an operator");
        let mut stmt: Vec<&str> = EXPR_START.to_vec();
        stmt.extend(STMT_START);
        stmt.push("}");
        assert_eq!(describe(&stmt), "`}` or a statement");
        assert_eq!(describe(TYPE_START), "a type");
        assert_eq!(describe(&["identifier", "const", ")"]), "`)`, `const`, or a name");
    }
}
