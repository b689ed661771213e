//! The parser: `.tsr` text → [`Ast`] and every syntax error (E0001–E0099).
//!
//! Steps: [`lexer::lex`] → split the tokens into items (`prescan`) → for each item,
//! check delimiters and nesting depth (`prescan`), insert virtual `;`s, and run the
//! lalrpop parser generated from `grammar.lalrpop`, whose actions build into
//! `state::ParseState` → word the errors (`errors`).
//!
//! Recovery: items are parsed independently; inside an item a broken statement is
//! skipped up to its `;` (or over the next block) and parsing continues, so one run
//! reports many independent errors. The returned AST holds every item that parsed,
//! including items that lost statements to recovery; an item with unbalanced delimiters,
//! a parse error outside statements, or nesting deeper than [`MAX_NESTING`] is dropped.
//! The arenas may also hold nodes no item reaches (left over from recovered or dropped
//! code).
//!
//! **Guarantee:** every tree reachable from `Ast::items` is at most [`MAX_NESTING`]
//! statements-plus-expressions deep, so recursive walkers cannot overflow the stack, and
//! `parse` never panics, on any input.

mod errors;
mod prescan;
mod state;
#[cfg(test)]
mod tests;

use crate::ast::{Ast, Span};
use crate::diag::Diagnostic;
use crate::lexer::{self, Spanned};
use errors::{ErrorContext, SpanIndex};
use prescan::CheckOptions;
use state::ParseState;

lalrpop_util::lalrpop_mod!(
    /// The LR(1) parser lalrpop generates from `grammar.lalrpop` (see `build.rs`).
    grammar
);

/// The deepest nesting of statements and expressions the parser accepts (E0013).
pub const MAX_NESTING: u32 = 256;

/// Parses a file, recovering from errors; returns the AST and every syntax error, in
/// source order.
pub fn parse(text: &str) -> (Ast, Vec<Diagnostic>) {
    let (tokens, mut diagnostics) = lexer::lex(text);
    let lex_errors = SpanIndex::new(diagnostics.iter().map(|d| d.primary.span).collect());
    let unterminated = SpanIndex::new(
        diagnostics
            .iter()
            .filter(|d| matches!(d.code, "E0002" | "E0003"))
            .map(|d| d.primary.span)
            .collect(),
    );
    let mut state = ParseState::new(text);
    let parser = grammar::ItemParser::new();
    for range in prescan::split_items(text, &tokens) {
        let item = ItemInput {
            tokens: &tokens[range.clone()],
            next_item: tokens.get(range.end),
            lex_errors: &lex_errors,
            unterminated: &unterminated,
        };
        parse_item(&parser, &mut state, &item, &mut diagnostics);
    }
    diagnostics.sort_by_key(|d| (d.primary.span.start, d.primary.span.end));
    diagnostics.dedup_by(|a, b| a.code == b.code && a.primary.span == b.primary.span);
    (state.ast, diagnostics)
}

/// One item's tokens and what its errors are judged against.
struct ItemInput<'a, 's> {
    tokens: &'a [Spanned<'s>],
    next_item: Option<&'a Spanned<'s>>,
    lex_errors: &'a SpanIndex,
    /// Unterminated strings and comments anywhere in the file.
    unterminated: &'a SpanIndex,
}

/// Parses one item into `state.ast` (unless it is dropped) and reports its errors.
fn parse_item<'s>(
    parser: &grammar::ItemParser,
    state: &mut ParseState<'s>,
    item: &ItemInput<'_, 's>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let Some(fed) = prepare_item(state.source, item, diagnostics) else { return };
    let mut context = ErrorContext {
        source: state.source,
        tokens: &fed,
        next_item: item.next_item,
        lex_errors: item.lex_errors,
        misused_keywords: Vec::new(),
    };
    state.begin_item();
    let result = parser.parse(state, fed.iter().cloned());
    // In source order: recovered errors and missing `;`s come before a final failure.
    diagnostics.extend(state.missing_semis.iter().filter_map(|at| context.missing_semicolon(*at)));
    for recovered in &state.recovered {
        diagnostics.extend(context.parse_error(&recovered.error));
    }
    diagnostics.append(&mut state.diags);
    match result {
        Ok(parsed) if !state.too_deep => state.ast.items.push(parsed),
        Ok(_) => {}
        Err(error) => diagnostics.extend(context.parse_error(&error)),
    }
}

/// Checks an item's delimiters and depth; returns the tokens to feed the parser, or
/// `None` (after reporting why) when the item must not be parsed.
fn prepare_item<'s>(
    source: &str,
    item: &ItemInput<'_, 's>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Vec<Spanned<'s>>> {
    let (first, last) = (item.tokens.first()?, item.tokens.last()?);
    let end = item.next_item.map_or(source.len(), |t| t.0).max(last.2);
    let options = CheckOptions {
        source,
        next_item: item.next_item.map(|t| Span::new(t.0, t.2)),
        has_unterminated_literal: item.unterminated.overlaps(first.0, end),
    };
    match prescan::check_item(item.tokens, &options) {
        Ok(()) => Some(prescan::insert_virtual_semis(item.tokens)),
        Err(diag) => {
            diagnostics.extend(diag);
            None
        }
    }
}
