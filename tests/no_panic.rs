//! Property tests: `check` never panics, whatever it is fed — random bytes, random
//! token soups, and corpus kernels with bytes deleted, duplicated or replaced. The
//! case counts are bounded so CI stays fast; `fuzz/` runs the same target for longer.

use proptest::prelude::*;
use tessera::frontend::{self, CompileOptions};

fn corpus() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/kernels/ok");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("corpus dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "tsr"))
        .collect();
    files.sort();
    files.iter().map(|p| std::fs::read_to_string(p).expect("utf-8 kernel")).collect()
}

/// Runs the whole front end (check, then compile and render) on `text`.
fn exercise(text: &str) {
    let options = CompileOptions::default();
    let diagnostics = frontend::check(text, &options);
    let _ = frontend::render(&diagnostics, "fuzz.tsr", text, false);
    if let Err(diagnostics) = frontend::compile(text, &options) {
        let _ = frontend::render(&diagnostics, "fuzz.tsr", text, false);
    }
}

const TOKENS: &[&str] = &[
    "kernel",
    "fn",
    "let",
    "mut",
    "const",
    "for",
    "in",
    "range",
    "while",
    "if",
    "else",
    "return",
    "load",
    "store",
    "dot",
    "sum",
    "max",
    "arange",
    "zeros",
    "program_id",
    "as",
    "f32",
    "f16",
    "i32",
    "*",
    "+",
    "-",
    "/",
    "%",
    "<",
    "<=",
    "==",
    "&&",
    "||",
    "!",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ";",
    ":",
    "=",
    "None",
    "x",
    "y",
    "BLOCK",
    "0",
    "1",
    "1.5",
    "0xFF",
    "inf",
    "nan",
    "#[autotune(",
    "mask:",
    "other:",
    "axis:",
    "\"s\"",
    "->",
    "/*",
    "*/",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_do_not_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        exercise(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn token_soup_does_not_panic(picks in proptest::collection::vec(0..TOKENS.len(), 0..120)) {
        let text: Vec<&str> = picks.iter().map(|&i| TOKENS[i]).collect();
        exercise(&text.join(" "));
    }

    #[test]
    fn mutated_corpus_does_not_panic(
        file in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..3, 0..TOKENS.len()), 1..6),
    ) {
        let corpus = corpus();
        let mut text = corpus[file.index(corpus.len())].clone().into_bytes();
        for (at, kind, token) in edits {
            if text.is_empty() {
                break;
            }
            let at = at.index(text.len());
            match kind {
                0 => { text.remove(at); }
                1 => { let b = text[at]; text.insert(at, b); }
                _ => { text.splice(at..at, TOKENS[token].bytes()); }
            }
        }
        exercise(&String::from_utf8_lossy(&text));
    }
}

#[test]
fn deep_nesting_and_long_chains_do_not_panic() {
    let deep_parens =
        format!("kernel k() {{ let x = {}1{}; }}", "(".repeat(100_000), ")".repeat(100_000));
    let deep_neg = format!("kernel k() {{ let x = {}1; }}", "-".repeat(100_000));
    let deep_blocks = format!("kernel k() {{ {} }}", "if true { ".repeat(20_000));
    let long_sum = format!("kernel k() {{ let x = 1{}; }}", " + 1".repeat(100_000));
    for text in [deep_parens, deep_neg, deep_blocks, long_sum] {
        let diagnostics = frontend::check(&text, &CompileOptions::default());
        // Every one of these is either rejected with a diagnostic or accepted; the
        // point is reaching this line. The nesting cases must be rejected.
        if text.contains("((((") || text.contains("----") || text.contains("if true { if") {
            assert!(!diagnostics.is_empty(), "deep nesting must be reported");
        }
    }
}
