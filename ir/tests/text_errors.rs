//! Malformed IR texts give a positioned `TextError`, never a panic; random strings
//! and mutations of a valid text never panic the parser, the verifier or the printer,
//! and whatever parses and verifies prints back stably.

mod text_fixtures;

use proptest::prelude::*;
use tessera_ir::{parse_module, print_module, verify_module, TextError};

/// A kernel with parameters `%0: f32`, `%1: i32`, `%2: bool`, `%3: ptr<f32>` around
/// `body`, whose first line is line 2 of the text.
fn kernel(body: &str) -> String {
    format!("kernel @k(%0 \"a\": f32, %1 \"b\": i32, %2 \"c\": bool, %3 \"p\": ptr<f32>) {{\n{body}\n  return\n}}\n")
}

fn parse_error(text: &str) -> TextError {
    match parse_module(text) {
        Ok(module) => {
            panic!("parsed, expected an error:\n{text}\nprinted:\n{}", print_module(&module))
        }
        Err(error) => error,
    }
}

/// `text` fails to parse on `line` with a message containing `fragment`.
fn assert_error(text: &str, line: usize, fragment: &str) {
    let error = parse_error(text);
    assert!(error.message.contains(fragment), "`{fragment}` not in `{error}` for\n{text}");
    assert_eq!(error.line, line, "wrong line in `{error}` for\n{text}");
}

#[test]
fn truncated_texts_are_errors() {
    let text = print_module(&text_fixtures::module());
    let first_function_end = text.find("\n}\n").unwrap() + 2;
    for (cut, _) in text.char_indices().step_by(7) {
        let result = parse_module(&text[..cut]);
        if cut > 0 && cut < first_function_end {
            assert!(result.is_err(), "prefix of {cut} bytes parsed");
        }
    }
    assert!(parse_module("").unwrap().functions.is_empty());
}

#[test]
fn unknown_ops_and_keywords_are_errors() {
    assert_error(&kernel("  %4 = frobnicate %0 : f32"), 2, "unknown op `frobnicate`");
    assert_error(&kernel("  %4 = cmp less %0, %0 : bool"), 2, "`less` is not a predicate");
    assert_error(&kernel("  %4 = reduce mean %0, axis 0 : f32"), 2, "is not a reduction");
    assert_error(&kernel("  %4 = atomic xor %3, %0 : f32"), 2, "is not an atomic op");
    assert_error("kernel @k() { return } garbage", 1, "expected `kernel` or `fn`");
    assert_error("module @k() { return }", 1, "expected `kernel` or `fn`");
}

#[test]
fn bad_types_are_errors() {
    assert_error(&kernel("  %4 = neg %0 : f33"), 2, "expected a type");
    assert_error(&kernel("  %4 = splat %0 : tile<[], f32>"), 2, "expected a dimension");
    assert_error(&kernel("  %4 = splat %0 : tile<[4], tile<[2], f32>>"), 2, "expected a type");
    assert_error(&kernel("  %4 = splat %0 : ptr<ptr<f32>>"), 2, "expected a type");
    assert_error(&kernel("  %4 = splat %0 : tile<[4] f32>"), 2, "expected `,`");
    assert_error("kernel @k(%0 \"x\": vec4) { return }", 1, "expected a type");
}

#[test]
fn undefined_and_invisible_values_are_errors() {
    assert_error(&kernel("  %4 = neg %9 : f32"), 2, "undefined value `%9`");
    assert_error(&kernel("  %4 = add %0, %5 : f32\n  %5 = neg %0 : f32"), 2, "undefined value");
    let sibling = "  if %2 {\n    %4 = neg %0 : f32\n    yield\n  } else {\n    yield\n  }\n  %5 = neg %4 : f32";
    assert_error(&kernel(sibling), 8, "`%4` is not visible here");
    let own_result = "  %4 = if %2 {\n    yield %4\n  } else {\n    yield %0\n  } : f32";
    assert_error(&kernel(own_result), 3, "not visible here");
    let iter_init =
        "  %4 = for %5 = %1 to %1 step %1 iter(%6 = %0, %7 = %6) {\n    yield %6\n  } : f32";
    assert_error(&kernel(iter_init), 2, "not visible here");
}

#[test]
fn duplicate_definitions_are_errors() {
    assert_error(&kernel("  %4 = neg %0 : f32\n  %4 = neg %0 : f32"), 3, "`%4` is defined twice");
    assert_error(&kernel("  %0 = neg %0 : f32"), 2, "`%0` is defined twice");
    assert_error("kernel @k(%0 \"x\": f32, %0 \"y\": f32) { return }", 1, "defined twice");
    let shadow = "  for %4 = %1 to %1 step %1 {\n    %4 = neg %0 : f32\n    yield\n  }";
    assert_error(&kernel(shadow), 3, "defined twice");
    let twice = "kernel @k() {\n  return\n}\nfn @k() -> () {\n  return\n}\n";
    assert_error(twice, 4, "function `@k` is defined twice");
}

#[test]
fn wrong_result_counts_are_errors() {
    assert_error(&kernel("  %4, %5 = neg %0 : f32, f32"), 2, "`neg` has 1 results, not 2");
    assert_error(&kernel("  %4 = neg %0 : f32, f32"), 2, "names 1 results but lists 2 types");
    assert_error(&kernel("  %4 = neg %0"), 3, "expected `:` and the result types");
    assert_error(&kernel("  neg %0 : f32"), 2, "names 0 results but lists 1 types");
    assert_error(&kernel("  %4 = store %3, %0 : f32"), 2, "`store` has 0 results, not 1");
    let for_results =
        "  %4, %5 = for %6 = %1 to %1 step %1 iter(%7 = %0) {\n    yield %7\n  } : f32, f32";
    assert_error(&kernel(for_results), 2, "`for` has 1 results, not 2");
    let while_args = "  %4 = while iter(%5 = %1) {\n    condition %2\n  } do (%6, %7) {\n    yield %6\n  } : i32";
    assert_error(&kernel(while_args), 4, "body takes 2 values but the loop carries 1");
}

#[test]
fn out_of_range_numbers_are_errors() {
    let huge = "9".repeat(40);
    assert_error(&kernel(&format!("  %4 = const {huge} : i64")), 2, "out of range for i64");
    assert_error(&kernel("  %4 = const 300 : u8"), 2, "out of range for u8");
    assert_error(&kernel("  %4 = const -1 : u32"), 2, "out of range for u32");
    assert_error(&kernel("  %4 = const 128 : i8"), 2, "out of range for i8");
    assert_error(&kernel("  %4 = const 1e999 : f64"), 2, "out of range for f64");
    assert_error(&kernel("  %4 = const 1e39 : f32"), 2, "out of range for f32");
    assert_error(&kernel("  %4 = const 0x1ffffffffffffffff : f64"), 2, "64 bits");
    assert_error(&kernel(&format!("  %4 = arange 0, {huge} : tile<[4], i32>")), 2, "i64 bound");
    assert_error(&kernel("  %4 = splat %0 : tile<[4294967296], f32>"), 2, "a dimension");
    assert_error(&kernel("  %4 = program_id 256 : i32"), 2, "an axis");
    assert_error(&kernel("  %4 = load %3 : f32 @99999999999:1"), 2, "a line number");
    let spec = "kernel @k() [N = 9223372036854775808] {\n  return\n}";
    assert_error(spec, 1, "out of range for an i64 value");
}

#[test]
fn literal_kinds_must_match_the_type() {
    assert_error(&kernel("  %4 = const 1.5 : i32"), 2, "float literal `1.5` for integer type");
    assert_error(&kernel("  %4 = const true : i32"), 2, "not a i32 constant");
    assert_error(&kernel("  %4 = const 1 : bool"), 2, "`true` or `false`");
    assert_error(&kernel("  %4 = const 1.0 : tile<[4], f32>"), 2, "scalar type");
    assert_error(&kernel("  %4 = const 1.0 : ptr<f32>"), 2, "scalar type");
    assert_error(&kernel("  %4 = const %0 : f32"), 2, "expected a constant");
}

#[test]
fn misplaced_locations_and_structure_are_errors() {
    assert_error(&kernel("  %4 = neg %0 : f32 @1:2"), 2, "`neg` does not carry a source location");
    let no_else = "  if %2 {\n    yield\n  }";
    assert_error(&kernel(no_else), 5, "expected `else`");
    let no_do = "  while {\n    condition %2\n  } {\n    yield\n  }";
    assert_error(&kernel(no_do), 4, "expected `do`");
    assert_error(&kernel("  %4 = load %3, other %0, mask %2 : f32"), 2, "expected `:`");
    assert_error("kernel @k() {\n  return\n", 3, "expected `}`");
}

#[test]
fn malformed_tokens_are_errors() {
    assert_error(&kernel("  assert %2, \"open"), 2, "unterminated string");
    assert_error(&kernel("  assert %2, \"bad \\q\""), 2, "unknown escape");
    assert_error(&kernel("  %4 = const 12ab : i32"), 2, "malformed number");
    assert_error(&kernel("  %4 = neg % : f32"), 2, "value name after `%`");
    assert_error(&kernel("  %4 = neg %0 : f32 $"), 2, "unexpected character");
    assert_error(&kernel("  %4 = call @(%0)"), 2, "after `@`");
    assert_error(&kernel("  %4 = const - 1 : i32"), 2, "after `-`");
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let depth = tessera_ir::verifier::MAX_NESTING + 1;
    let mut body = String::new();
    for _ in 0..depth {
        body.push_str("if %2 {\n");
    }
    body.push_str("yield\n");
    for _ in 0..depth {
        body.push_str("} else {\nyield\n}\nyield\n");
    }
    let error = parse_error(&kernel(&body));
    assert!(error.message.contains("nest deeper than"), "{error}");
}

/// Pieces of the text form, for token soups and insertions.
const TOKENS: &[&str] = &[
    "kernel",
    "fn",
    "@k",
    "@\"q\"",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    "<",
    ">",
    ",",
    ":",
    "=",
    "->",
    "%0",
    "%1",
    "%2",
    "%7",
    "\"s\"",
    "f32",
    "i32",
    "bool",
    "u8",
    "tile",
    "ptr",
    "const",
    "1",
    "-1",
    "0x7ff8000000000001",
    "1.5e3",
    "inf",
    "-inf",
    "nan",
    "true",
    "add",
    "neg",
    "for",
    "to",
    "step",
    "iter",
    "while",
    "do",
    "if",
    "else",
    "yield",
    "condition",
    "return",
    "load",
    "mask",
    "other",
    "store",
    "@3:4",
    "call",
    "axis",
    "reduce",
    "sum",
    "dot",
    "trans",
    "\n",
    "//",
    "\"",
];

/// Parses `text`; whatever parses must print and verify without panicking, and
/// whatever verifies must print back stably.
fn check_no_panic(text: &str) {
    let Ok(module) = parse_module(text) else { return };
    let printed = print_module(&module);
    let reparsed = parse_module(&printed);
    if verify_module(&module).is_ok() {
        let reparsed = reparsed.unwrap_or_else(|e| panic!("{e}\n{printed}"));
        assert_eq!(print_module(&reparsed), printed);
    }
}

/// Applies one edit to `text`: delete, insert, duplicate or replace around `at`.
fn mutate(text: &str, at: prop::sample::Index, kind: u8, token: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let at = at.index(chars.len() + 1);
    let end = (at + 1 + usize::from(kind) * 3).min(chars.len());
    let (head, tail): (String, String) =
        (chars[..at].iter().collect(), chars[at..].iter().collect());
    let span: String = chars[at..end].iter().collect();
    let after: String = chars[end..].iter().collect();
    match kind {
        0 => format!("{head}{after}"),
        1 => format!("{head}{token}{tail}"),
        2 => format!("{head}{span}{span}{after}"),
        _ => format!("{head} {token} {after}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_strings_never_panic(text in "\\PC{0,300}") {
        check_no_panic(&text);
    }

    #[test]
    fn token_soups_never_panic(tokens in prop::collection::vec(prop::sample::select(TOKENS), 0..120)) {
        check_no_panic(&tokens.join(" "));
    }

    #[test]
    fn mutated_valid_texts_never_panic(
        edits in prop::collection::vec(
            (any::<prop::sample::Index>(), 0u8..4, prop::sample::select(TOKENS)),
            1..5,
        )
    ) {
        let mut text = print_module(&text_fixtures::module());
        for (at, kind, token) in edits {
            text = mutate(&text, at, kind, token);
        }
        check_no_panic(&text);
    }
}
