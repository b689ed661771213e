//! Token-level work before the LR parser runs: splitting a file into items, checking
//! each item's delimiters and nesting depth, and inserting virtual `;` tokens.
//!
//! - Items: `kernel` and `fn` are keywords that only start items, and `#` only starts
//!   an attribute, so the token stream splits into items without parsing: before each
//!   of them at bracket depth 0, or at the start of a line inside an unclosed body (a
//!   missing `}`), and after the `}` that closes a body. Each item is parsed on its own
//!   and a broken item cannot swallow the next one.
//! - Delimiters (E0016): an item whose `( [ {` do not balance is reported once and not
//!   parsed; its parse errors would only be noise. The check also bounds how deep the LR
//!   parser's stack can grow (E0013), which keeps lalrpop's error recovery, which scans
//!   the stack for every skipped token, linear in the input.
//! - Virtual `;` (see `Token::VirtualSemi`): before `}` or a token that can only start a
//!   statement (`let for while if return`), when the token before can end an expression
//!   (a name, literal, `)`, `]`) or is `return`, the statement before certainly lacks
//!   its `;`. A zero-width `;` lets the parser
//!   report E0015 and carry on as if it were there.

use super::MAX_NESTING;
use crate::ast::Span;
use crate::diag::Diagnostic;
use crate::lexer::{Spanned, Token};
use std::ops::Range;

/// The token ranges of the items of a file, in order. Tokens before the first item (or
/// between items) that belong to no item form a range of their own, which fails to
/// parse with E0017.
pub fn split_items(source: &str, tokens: &[Spanned<'_>]) -> Vec<Range<usize>> {
    let mut items = Vec::new();
    let mut start = 0;
    let mut has_head = false;
    let mut starts_with_attr = false;
    let mut depth = 0usize;
    for (i, (_, token, _)) in tokens.iter().enumerate() {
        let is_hash = *token == Token::Hash;
        let is_head = matches!(token, Token::Kernel | Token::Fn);
        // Attributes before their `kernel`/`fn` stay with it.
        let waiting_for_head = starts_with_attr && !has_head;
        // Mid-line inside a body, `let fn = …` is a misused keyword, not a new item.
        let starts_line =
            i > 0 && source.get(tokens[i - 1].2..tokens[i].0).is_some_and(|s| s.contains('\n'));
        if (is_hash || is_head) && i > start && !waiting_for_head && (depth == 0 || starts_line) {
            items.push(start..i);
            start = i;
            has_head = false;
            depth = 0;
        }
        if i == start {
            starts_with_attr = is_hash;
        }
        has_head |= is_head;
        if opener_char(token).is_some() {
            depth += 1;
        } else if closer_char(token).is_some() {
            depth = depth.saturating_sub(1);
        }
        // The `}` closing the body ends the item: stray tokens after it are a range of
        // their own, and the item itself still parses.
        if has_head && *token == Token::RBrace && depth == 0 {
            items.push(start..i + 1);
            start = i + 1;
            has_head = false;
        }
    }
    if start < tokens.len() {
        items.push(start..tokens.len());
    }
    items
}

/// Options for [`check_item`].
pub struct CheckOptions<'a> {
    pub source: &'a str,
    /// The first token after the item, if any (for "the next item starts here").
    pub next_item: Option<Span>,
    /// The item contains an unterminated string or comment, which explains unbalanced
    /// delimiters: report nothing more about them.
    pub has_unterminated_literal: bool,
}

/// Checks delimiters and depth. `Err` means the item must not be parsed; the diagnostic
/// is `None` when the imbalance is already explained by a lexical error.
pub fn check_item(
    tokens: &[Spanned<'_>],
    options: &CheckOptions<'_>,
) -> Result<(), Option<Diagnostic>> {
    let mut open: Vec<(char, Span)> = Vec::new();
    let mut unary_run = 0usize;
    let mut misindented: Option<(Span, Span)> = None;
    for (l, token, r) in tokens {
        let span = Span::new(*l, *r);
        unary_run = if matches!(token, Token::Minus | Token::Bang) { unary_run + 1 } else { 0 };
        if let Some(opener) = opener_char(token) {
            open.push((opener, span));
        } else if let Some(closer) = closer_char(token) {
            let Some((opener, open_span)) = open.pop() else {
                return Err(Some(unexpected_closer(closer, span, misindented))
                    .filter(|_| !options.has_unterminated_literal));
            };
            if partner(opener) != closer {
                return Err(Some(mismatched(opener, open_span, closer, span))
                    .filter(|_| !options.has_unterminated_literal));
            }
            if opener == '{'
                && misindented.is_none()
                && misindented_pair(options.source, open_span, span)
            {
                misindented = Some((open_span, span));
            }
        }
        if open.len() + unary_run > MAX_NESTING as usize {
            return Err(Some(too_deep(span)));
        }
    }
    match open.pop() {
        None => Ok(()),
        Some(_) if options.has_unterminated_literal => Err(None),
        Some((opener, span)) => Err(Some(unclosed(opener, span, options.next_item, misindented))),
    }
}

/// Inserts a zero-width [`Token::VirtualSemi`] wherever a statement visibly lacks its `;`.
pub fn insert_virtual_semis<'s>(tokens: &[Spanned<'s>]) -> Vec<Spanned<'s>> {
    let mut out = Vec::with_capacity(tokens.len() + 1);
    let mut prev: Option<&Token<'s>> = None;
    let mut prev_end = 0;
    for token in tokens {
        if let Some(before) = prev {
            if ends_statement_silently(before, &token.1) {
                out.push((prev_end, Token::VirtualSemi, prev_end));
            }
        }
        out.push(token.clone());
        prev = Some(&token.1);
        prev_end = token.2;
    }
    out
}

fn ends_statement_silently(before: &Token<'_>, token: &Token<'_>) -> bool {
    let starts_statement = match token {
        Token::Let | Token::For | Token::While | Token::Return | Token::RBrace => true,
        Token::If => *before != Token::Else,
        _ => false,
    };
    starts_statement && can_end_statement(before)
}

/// Tokens an expression statement (or `return`) can end with. Only after these is a
/// missing `;` certain: after `let` or `(`, the next keyword is a misused name instead.
fn can_end_statement(token: &Token<'_>) -> bool {
    matches!(
        token,
        Token::Ident(_)
            | Token::Int(_)
            | Token::Float(_)
            | Token::Str(_)
            | Token::True
            | Token::False
            | Token::Inf
            | Token::Nan
            | Token::Scalar(_)
            | Token::RParen
            | Token::RBracket
            | Token::Return
    )
}

fn opener_char(token: &Token<'_>) -> Option<char> {
    match token {
        Token::LParen => Some('('),
        Token::LBracket => Some('['),
        Token::LBrace => Some('{'),
        _ => None,
    }
}

fn closer_char(token: &Token<'_>) -> Option<char> {
    match token {
        Token::RParen => Some(')'),
        Token::RBracket => Some(']'),
        Token::RBrace => Some('}'),
        _ => None,
    }
}

fn partner(opener: char) -> char {
    match opener {
        '(' => ')',
        '[' => ']',
        _ => '}',
    }
}

/// Whether a `}` that starts its line is indented differently from the line of its `{`,
/// which hints that some `}` in between is missing or extra.
fn misindented_pair(source: &str, open: Span, close: Span) -> bool {
    let bytes = source.as_bytes();
    let close_at = (close.start as usize).min(bytes.len());
    // Only blanks may come before the `}` on its line (scanning just those keeps this
    // linear on one-line files).
    let blanks = bytes[..close_at].iter().rev().take_while(|b| matches!(b, b' ' | b'\t')).count();
    if close_at > blanks && bytes[close_at - blanks - 1] != b'\n' {
        return false;
    }
    let open_at = (open.start as usize).min(bytes.len());
    let open_line_start = bytes[..open_at].iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let open_indent =
        bytes[open_line_start..].iter().take_while(|b| matches!(b, b' ' | b'\t')).count();
    open_indent != blanks
}

fn with_misindented(mut diag: Diagnostic, misindented: Option<(Span, Span)>) -> Diagnostic {
    if let Some((open, close)) = misindented {
        diag = diag
            .with_label(open, "this `{` might not be closed where you think…")
            .with_label(close, "…because it matches this `}`, which is indented differently");
    }
    diag
}

fn unexpected_closer(closer: char, span: Span, misindented: Option<(Span, Span)>) -> Diagnostic {
    let diag = Diagnostic::error(
        "E0016",
        format!("unexpected closing delimiter `{closer}`"),
        span,
        "nothing is open here",
    )
    .with_help("remove it, or add the opening delimiter it was meant to close");
    with_misindented(diag, misindented)
}

fn mismatched(opener: char, open_span: Span, closer: char, span: Span) -> Diagnostic {
    Diagnostic::error(
        "E0016",
        format!("mismatched closing delimiter `{closer}`"),
        span,
        format!("expected `{}`", partner(opener)),
    )
    .with_label(open_span, format!("this `{opener}` is still open"))
    .with_help(format!("close `{opener}` with `{}`", partner(opener)))
}

fn unclosed(
    opener: char,
    span: Span,
    next_item: Option<Span>,
    misindented: Option<(Span, Span)>,
) -> Diagnostic {
    let mut diag =
        Diagnostic::error("E0016", format!("unclosed delimiter `{opener}`"), span, "never closed")
            .with_help(format!("add the missing `{}`", partner(opener)));
    if let Some(next) = next_item {
        diag = diag.with_label(next, "the next item starts here");
    }
    with_misindented(diag, misindented)
}

fn too_deep(span: Span) -> Diagnostic {
    Diagnostic::error(
        "E0013",
        format!("code nested more than {MAX_NESTING} levels deep"),
        span,
        "nested too deeply",
    )
    .with_help("split it up with intermediate `let` bindings")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::lex;

    fn items(text: &str) -> Vec<Range<usize>> {
        split_items(text, &lex(text).0)
    }

    #[test]
    fn items_keep_their_attributes() {
        assert_eq!(items("#[a] #[b] kernel k() {} fn f() {}"), [0..14, 14..20]);
        assert_eq!(items("let x; #[a] kernel k() {}"), [0..3, 3..13]);
        assert_eq!(items("kernel k() { } x } fn"), [0..6, 6..8, 8..9]);
        assert_eq!(items("kernel k() { f(] } }"), [0..9, 9..10]);
        assert_eq!(items("kernel k() { let fn = 1; }"), vec![Range { start: 0, end: 11 }]);
        assert_eq!(items("kernel k() { let x = 1;\nfn f() { }"), [0..10, 10..16]);
        assert_eq!(items(""), Vec::<Range<usize>>::new());
    }

    fn check(text: &str) -> Option<&'static str> {
        let tokens = lex(text).0;
        let options =
            CheckOptions { source: text, next_item: None, has_unterminated_literal: false };
        check_item(&tokens, &options).err().map(|d| d.map_or("none", |d| d.code))
    }

    #[test]
    fn delimiters_and_depth() {
        assert_eq!(check("f((a), [b]) { }"), None);
        assert_eq!(check("f(a]"), Some("E0016"));
        assert_eq!(check("f(a"), Some("E0016"));
        assert_eq!(check("a)"), Some("E0016"));
        assert_eq!(check(&"(".repeat(300)), Some("E0013"));
        assert_eq!(check(&"-".repeat(300)), Some("E0013"));
    }

    #[test]
    fn virtual_semicolons() {
        let tokens = lex("{ a = 1 let b = 2; if c { d } else if e { } }").0;
        let fed = insert_virtual_semis(&tokens);
        let virtuals = fed.iter().filter(|t| t.1 == Token::VirtualSemi).count();
        assert_eq!(virtuals, 2);
    }
}
