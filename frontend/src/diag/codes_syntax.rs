//! Lexing and parsing error codes, E0001–E0099, with their long explanations.
//!
//! E0001–E0009 come from the lexer (`lexer.rs`), E0010–E0099 from the parser
//! (`parser/`). Every code a syntax diagnostic uses is listed here.

use super::ErrorCode;

/// The syntax error codes, in numeric order.
pub static CODES: &[ErrorCode] = &[
    ErrorCode {
        code: "E0001",
        title: "unknown character",
        explanation: "\
A character that is not part of any Tessera token appeared outside a comment or string.
Identifiers and operators are ASCII; characters such as `$`, `@`, `~`, `'`, `?` and `.`
have no meaning in the language (there are no fields, methods, character literals or
matrix-product operator).

Erroneous code example:

    let y = x @ w;

Fix: remove the character or use the construct the language offers:

    let y = dot(x, w);
",
    },
    ErrorCode {
        code: "E0002",
        title: "unterminated string literal",
        explanation: "\
A string literal was opened with `\"` but not closed on the same line. Strings only
appear as assert messages and cannot span lines.

Erroneous code example:

    device_assert(n > 0, \"n must be positive);

Fix: close the string before the end of the line:

    device_assert(n > 0, \"n must be positive\");
",
    },
    ErrorCode {
        code: "E0003",
        title: "unterminated block comment",
        explanation: "\
A block comment `/* … */` was not closed before the end of the file. Block comments
nest, so a `/*` inside a comment needs its own `*/`.

Erroneous code example:

    /* disabled:
       /* old version */
    kernel k(x: *f32) { }

Fix: close every `/*`:

    /* disabled:
       /* old version */
    */
    kernel k(x: *f32) { }
",
    },
    ErrorCode {
        code: "E0004",
        title: "unknown escape sequence",
        explanation: "\
A backslash in a string literal was followed by a character that is not a known escape.
The escapes are `\\n` (newline), `\\t` (tab), `\\\\` (backslash) and `\\\"` (quote).

Erroneous code example:

    device_assert(ok, \"bad value\\q\");

Fix: use one of the known escapes, or double the backslash to get a literal one:

    device_assert(ok, \"bad value\\\\q\");
",
    },
    ErrorCode {
        code: "E0005",
        title: "malformed number literal",
        explanation: "\
A number literal has a base prefix without digits (`0x`), a digit its base does not
allow (`0xFG`, `0b102`, `0o9`), or a suffix (`1f32`, `2u8`). Literals never carry a
type suffix: they take the type their context needs, and `as` converts explicitly.

Erroneous code example:

    let mask = 0xFG;
    let one = 1f32;

Fix:

    let mask = 0xFF;
    let one = 1.0 as f32;
",
    },
    ErrorCode {
        code: "E0006",
        title: "number literal out of range",
        explanation: "\
An integer literal does not fit in 64 bits, or a float literal overflows `f64`. (Whether
a literal fits the type its context gives it is checked later, with its own code.)

Erroneous code example:

    let big = 18446744073709551616;
    let huge = 1e999;

Fix: use a value in range; write `inf` for infinity:

    let big = 18446744073709551615;
    let huge = inf;
",
    },
    ErrorCode {
        code: "E0007",
        title: "malformed float literal",
        explanation: "\
A float literal is missing digits: Tessera has no `.5` or `3.` forms, and an exponent
needs at least one digit. Write a digit on both sides of the `.`.

Erroneous code example:

    let half = .5;
    let three = 3.;
    let tiny = 1e;

Fix:

    let half = 0.5;
    let three = 3.0;
    let tiny = 1e-3;
",
    },
    ErrorCode {
        code: "E0010",
        title: "unexpected token",
        explanation: "\
The parser found a token that cannot appear at this point. The message lists what could
appear instead. The parser then skips to the end of the statement (the next `;`, or the
next block) and continues, so later errors are still reported.

Erroneous code example:

    let y = x + * 2;

Fix: write a complete expression:

    let y = x + x * 2;
",
    },
    ErrorCode {
        code: "E0011",
        title: "unexpected end of file",
        explanation: "\
The file ended in the middle of an item, for example after a kernel's parameter list
with no body.

Erroneous code example:

    kernel copy(x: *f32, y: *f32)

Fix: finish the item:

    kernel copy(x: *f32, y: *f32) {
        store(y, load(x));
    }
",
    },
    ErrorCode {
        code: "E0012",
        title: "chained comparison",
        explanation: "\
Comparison operators (`== != < <= > >=`) are non-associative: `a < b < c` does not mean
\"b is between a and c\" (in many languages it would compare a bool with `c`), so it is
rejected.

Erroneous code example:

    let inside = 0 <= i < n;

Fix: combine two comparisons with `&&`, or parenthesize if you really mean to compare
the result of a comparison:

    let inside = 0 <= i && i < n;
",
    },
    ErrorCode {
        code: "E0013",
        title: "nesting too deep",
        explanation: "\
Expressions and blocks may nest at most 256 levels deep (parentheses, brackets, blocks,
unary operators, operator chains and `else if` chains all count). Deeper code is almost
always generated by mistake, and later stages walk the tree recursively. The whole item
is dropped.

Erroneous code example:

    let x = ((((((((((((((((((( … 300 levels … y )))))))))))))))))));

Fix: use intermediate `let` bindings:

    let a = y * 2;
    let b = a + 1;
",
    },
    ErrorCode {
        code: "E0014",
        title: "keyword used as a name",
        explanation: "\
A keyword or type name appeared where a name (of a variable, parameter, kernel or
helper) was expected. Keywords are `kernel fn const let mut for in while if else return
as true false None inf nan`; the type names `bool i8 … f64 tile` are reserved too.

Erroneous code example:

    let in = load(x);
    kernel scale(f32: f32) { }

Fix: pick another name:

    let input = load(x);
    kernel scale(factor: f32) { }
",
    },
    ErrorCode {
        code: "E0015",
        title: "missing semicolon",
        explanation: "\
`let` bindings, assignments, expression statements and `return` end with `;`. The
parser reports where the `;` is missing and continues as if it were there.

Erroneous code example:

    let a = load(x)
    store(y, a);

Fix:

    let a = load(x);
    store(y, a);
",
    },
    ErrorCode {
        code: "E0016",
        title: "unbalanced delimiters",
        explanation: "\
A `(`, `[` or `{` is never closed, is closed by the wrong kind of delimiter, or a
closing delimiter has no opening one. The item is not parsed further, because an
unbalanced delimiter makes the rest of it unreadable.

Erroneous code example:

    kernel k(x: *f32) {
        let v = load(x + arange(0, 16];
    }

Fix: close each delimiter with its partner:

    kernel k(x: *f32) {
        let v = load(x + arange(0, 16));
    }
",
    },
    ErrorCode {
        code: "E0017",
        title: "expected an item",
        explanation: "\
A file holds only items: `kernel`s and `fn` helpers, optionally preceded by attributes
such as `#[autotune(...)]`. Statements and expressions belong inside a body.

Erroneous code example:

    let BLOCK = 128;
    kernel k(x: *f32) { }

Fix: make the value a const parameter (or a literal inside the body):

    kernel k(x: *f32, const BLOCK: i32 = 128) { }
",
    },
    ErrorCode {
        code: "E0018",
        title: "unsupported index",
        explanation: "\
Inside `x[…]` each subscript is `:` (keep a dimension) or `None` (insert a dimension of
size 1). Tiles are not indexed element by element: compute pointers and `load` instead,
or use reductions and `where`.

Erroneous code example:

    let first = v[0];

Fix: load the element through its pointer, or reshape with `:`/`None`:

    let first = load(x + 0);
    let column = v[:, None];
",
    },
];

#[cfg(test)]
mod tests {
    use super::CODES;

    /// Every `"E00xx"` literal in the lexer and parser sources is registered here.
    #[test]
    fn every_code_used_is_registered() {
        let sources = [
            include_str!("../lexer.rs"),
            include_str!("../parser/mod.rs"),
            include_str!("../parser/errors.rs"),
            include_str!("../parser/prescan.rs"),
            include_str!("../parser/state.rs"),
        ];
        let mut used = 0;
        for source in sources {
            for (at, _) in source.match_indices("\"E00") {
                let code = &source[at + 1..at + 6];
                assert!(CODES.iter().any(|c| c.code == code), "{code} is not registered");
                used += 1;
            }
        }
        assert!(used >= CODES.len());
    }

    #[test]
    fn codes_are_sorted_unique_in_range_and_explained() {
        for pair in CODES.windows(2) {
            assert!(pair[0].code < pair[1].code, "{} before {}", pair[0].code, pair[1].code);
        }
        for code in CODES {
            let number: u32 = code.code[1..].parse().unwrap_or(0);
            assert!((1..=99).contains(&number), "{} out of range", code.code);
            assert!(code.explanation.contains("Erroneous code example"), "{}", code.code);
            assert!(code.explanation.contains("Fix"), "{}", code.code);
        }
    }
}
