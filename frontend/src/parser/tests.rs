//! Parser tests: the examples of `docs/language.md` and a matmul parse cleanly and print
//! as expected, precedence, recovery, depth limits, the syntax error kernels under
//! `tests/kernels/err/`, and proptests that `parse` never panics.

use super::*;
use crate::ast::{Expr, Item, Stmt};
use crate::print_ast;
use proptest::prelude::*;

const SOFTMAX: &str = r#"
// y[row, :] = softmax(x[row, :])
kernel softmax(x: *f32, y: *f32, n_cols: i32, stride: i32, const BLOCK: i32 = 1024) {
    let row = program_id(0);
    let cols = arange(0, BLOCK);
    let mask = cols < n_cols;
    let v = load(x + row * stride + cols, mask: mask, other: -inf);
    let e = exp(v - max(v, axis: 0));
    store(y + row * stride + cols, e / sum(e, axis: 0), mask: mask);
}
"#;

const ITEMS: &str = r#"
#[autotune(BLOCK = [128, 256, 512], key = [n])]
kernel name(p: *f32, n: i32, const BLOCK: i32 = 256) { }

fn helper(x, scale: f32) -> f32 { return x * scale; }
"#;

const MATMUL: &str = r#"
#[autotune(BLOCK_M = [32, 64, 128], BLOCK_N = [32, 64], key = [M, N, K])]
kernel matmul(a: *f32, b: *f32, c: *f32, M: i32, N: i32, K: i32,
              sam: i32, sak: i32, sbk: i32, sbn: i32, scm: i32, scn: i32,
              const BLOCK_M: i32, const BLOCK_N: i32, const BLOCK_K: i32 = 32) {
    let rm = program_id(0) * BLOCK_M + arange(0, BLOCK_M);
    let rn = program_id(1) * BLOCK_N + arange(0, BLOCK_N);
    let rk = arange(0, BLOCK_K);
    let mut acc = zeros([BLOCK_M, BLOCK_N], f32);
    for k in range(0, K, BLOCK_K) {
        let ka = k + rk;
        let at = load(a + rm[:, None] * sam + ka[None, :] * sak,
                      mask: rm[:, None] < M && ka[None, :] < K, other: 0.0);
        let bt = load(b + ka[:, None] * sbk + rn[None, :] * sbn,
                      mask: ka[:, None] < K && rn[None, :] < N, other: 0.0);
        acc = dot(at, bt, acc);
    }
    store(c + rm[:, None] * scm + rn[None, :] * scn, acc,
          mask: rm[:, None] < M && rn[None, :] < N);
}
fn gelu(x: f32) -> f32 { return 0.5 * x * (1.0 + erf(x * 0.7071067811865476)); }
fn twice(x) { return x + x; }
"#;

/// Every statement form, types, operators and literals.
const EVERYTHING: &str = r#"
#[autotune(B = [1, 2], key = [n],)]
kernel all(p: *f32, q: *bf16, n: i32, const B: i32 = 4, const F: bool = true,) {
    let mut t: tile<[4, B], f32> = zeros([4, B], f32);
    let u: *f32 = p + 1;
    t += 1.0; t -= 2.0; t *= 3.0; t /= 4.0;
    let mut i = 0; i %= 3; i &= 0xF; i |= 0b1; i ^= 0o7; i <<= 1; i >>= 1_0;
    i = -i as i32;
    while i < n && !F || false { i = i + 1; }
    if i == 0 { return; } else if i != 1 { i = 2; } else { i = 3; }
    if i >= 2 { }
    for k in range(0, n, 2) { device_assert(k <= n, "k \"out\"\n"); }
    let w = where(t > 0.0, t, nan) % 2.5E+4 / 1e-3;
    let s = (i << 2) >> 1 | 3 ^ 5 & 6;
    static_assert(B > 0, "B");
    let c = t[:, None, :] as f16;
    let d: tile<[2], i32>= arange(0, 2);
}
fn h(x, y: tile<[2], *f32>) -> *f32 { return y; }
"#;

fn parse_ok(text: &str) -> Ast {
    let (ast, diags) = parse(text);
    assert!(diags.is_empty(), "unexpected diagnostics: {diags:#?}");
    ast
}

fn codes(text: &str) -> Vec<&'static str> {
    parse(text).1.iter().map(|d| d.code).collect()
}

/// The printed tree of the first statement's expression in `kernel k() { <stmt> }`.
fn expr_tree(expr: &str) -> String {
    let text = format!("kernel k() {{ {expr}; }}");
    let ast = parse_ok(&text);
    let printed = print_ast(&ast, &text);
    printed.lines().skip(3).map(|l| format!("{}\n", &l[6..])).collect()
}

#[test]
fn language_examples_parse() {
    let ast = parse_ok(SOFTMAX);
    assert_eq!(ast.items.len(), 1);
    let ast = parse_ok(ITEMS);
    assert_eq!(ast.items.len(), 2);
    let Item::Helper(helper) = &ast.items[1] else { panic!("expected a helper") };
    assert!(helper.params[0].ty.is_none());
    assert!(helper.ret.is_some());
}

#[test]
fn matmul_parses_and_prints() {
    let ast = parse_ok(MATMUL);
    assert_eq!(ast.items.len(), 3);
    let Item::Kernel(kernel) = &ast.items[0] else { panic!("expected a kernel") };
    assert_eq!(kernel.params.len(), 15);
    assert_eq!(kernel.attrs[0].args.len(), 3);
    assert!(kernel.params[14].is_const && kernel.params[14].default.is_some());
    let printed = print_ast(&ast, MATMUL);
    let expected_start = "\
kernel matmul @3:1-20:2
  attr autotune @2:1-2:74
    arg BLOCK_M @2:12-2:35
      List
        Int 32
        Int 64
        Int 128
";
    assert!(printed.starts_with(expected_start), "{printed}");
    assert!(printed.contains("  param const BLOCK_K: i32 @5:55-5:78\n    default\n      Int 32\n"));
    assert!(printed.contains("    let mut acc @9:5-9:50\n      Call zeros\n        List\n"));
    assert!(printed.contains("        DType f32\n"));
    assert!(printed.contains("            mask:\n              Binary &&\n                Binary <\n                  Index [:, None]\n"));
    assert!(printed.contains("fn twice @22:1-22:30\n  param x @22:10-22:11\n"));
}

#[test]
fn every_form_parses() {
    let ast = parse_ok(EVERYTHING);
    let printed = print_ast(&ast, EVERYTHING);
    for needle in [
        "let mut t: tile<[_, _], f32>",
        "assign t += ",
        "assign i <<= ",
        "assign i >>= ",
        "Int 15",
        "Int 10",
        "Cast i32",
        "Float NaN",
        "Float 25000.0",
        "Float 0.001",
        "Str \"k \\\"out\\\"\\n\"",
        "Index [:, None, :]",
        "Cast f16",
        "param y: tile<[_], *f32>",
        "let d: tile<[_], i32> @",
        "ret *f32",
        "param const F: bool",
        "return @",
    ] {
        assert!(printed.contains(needle), "missing {needle:?} in\n{printed}");
    }
}

#[test]
fn precedence() {
    assert_eq!(expr_tree("a + b * c"), "Binary +\n  Name a\n  Binary *\n    Name b\n    Name c\n");
    assert_eq!(expr_tree("-x as f32"), "Cast f32\n  Unary -\n    Name x\n");
    assert_eq!(
        expr_tree("a & b == c"),
        "Binary ==\n  Binary &\n    Name a\n    Name b\n  Name c\n"
    );
    assert_eq!(
        expr_tree("a || b && c"),
        "Binary ||\n  Name a\n  Binary &&\n    Name b\n    Name c\n"
    );
    assert_eq!(expr_tree("a - b - c"), "Binary -\n  Binary -\n    Name a\n    Name b\n  Name c\n");
    assert_eq!(
        expr_tree("a << b + c"),
        "Binary <<\n  Name a\n  Binary +\n    Name b\n    Name c\n"
    );
    assert_eq!(
        expr_tree("a | b ^ c & d"),
        "Binary |\n  Name a\n  Binary ^\n    Name b\n    Binary &\n      Name c\n      Name d\n"
    );
    assert_eq!(expr_tree("!f(x)[:]"), "Unary !\n  Index [:]\n    Call f\n      Name x\n");
    assert_eq!(expr_tree("a * b as i64"), "Binary *\n  Name a\n  Cast i64\n    Name b\n");
    assert_eq!(
        expr_tree("(a < b) == c"),
        "Binary ==\n  Paren\n    Binary <\n      Name a\n      Name b\n  Name c\n"
    );
}

#[test]
fn spans_of_expressions_and_statements() {
    let text = "kernel k() { let x = a + b; }";
    let ast = parse_ok(text);
    let Item::Kernel(kernel) = &ast.items[0] else { panic!("expected a kernel") };
    let stmt = kernel.body.stmts[0];
    assert_eq!(&text[ast.stmt_span(stmt).range()], "let x = a + b;");
    let Stmt::Let { init, .. } = &ast.stmts[stmt] else { panic!("expected let") };
    assert_eq!(&text[ast.expr_span(*init).range()], "a + b");
    assert!(matches!(ast.exprs[*init], Expr::Binary { .. }));
}

#[test]
fn empty_and_comment_only_files_are_valid() {
    assert!(parse_ok("").items.is_empty());
    assert!(parse_ok("// nothing\n/* at /* all */ */\n").items.is_empty());
}

#[test]
fn chained_comparison_is_reported_once() {
    assert_eq!(codes("kernel k() { let x = 0 <= i < n; }"), ["E0012"]);
    assert_eq!(codes("kernel k() { let x = a < b < c < d; }"), ["E0012"]);
    assert!(codes("kernel k() { let x = (a < b) < c; }").is_empty());
    let (_, diags) = parse("kernel k() { let x = 0 <= i < n; }");
    assert_eq!(diags[0].help.as_deref(), Some("combine the comparisons with `&&`: `0 <= i && i < n`; parenthesize to compare a comparison's result"));
}

#[test]
fn recovery_reports_independent_errors() {
    let text = "kernel k(x: *f32) {\n    let a = 1 + ;\n    let b = load(x);\n    store(x, b b);\n    let c = ;\n}\nfn f() { return 1 }\n";
    let (ast, diags) = parse(text);
    let codes: Vec<_> = diags.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["E0010", "E0010", "E0010", "E0015"], "{diags:#?}");
    assert_eq!(ast.items.len(), 2);
    let Item::Kernel(kernel) = &ast.items[0] else { panic!("expected a kernel") };
    assert_eq!(kernel.body.stmts.len(), 1, "only `let b` survives");
}

#[test]
fn missing_semicolons_are_inserted() {
    let text = "kernel k() {\n    let a = 1\n    let b = 2;\n    if a { store(a) }\n}\n";
    let (ast, diags) = parse(text);
    let codes: Vec<_> = diags.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["E0015", "E0015"]);
    assert_eq!(diags[0].primary.span, Span::new(26, 26));
    let Item::Kernel(kernel) = &ast.items[0] else { panic!("expected a kernel") };
    assert_eq!(kernel.body.stmts.len(), 3);
    // A missing `;` on a line followed by a name is found by the error path instead.
    assert_eq!(codes_of("kernel k() {\n    let a = 1\n    a = 2;\n}"), ["E0015"]);
}

fn codes_of(text: &str) -> Vec<&'static str> {
    codes(text)
}

#[test]
fn specific_error_codes() {
    assert_eq!(codes("kernel k() { let for = 1; }"), ["E0014"]);
    assert_eq!(codes("kernel f32() { }"), ["E0014"]);
    assert_eq!(codes("let x = 1;"), ["E0017"]);
    assert_eq!(codes("kernel k() { } }"), ["E0016"]);
    assert_eq!(codes("kernel k() { let v = f(1]; }"), ["E0016"]);
    assert_eq!(codes("kernel k() { let v = x[0]; }"), ["E0018"]);
    assert_eq!(codes("kernel k()"), ["E0011"]);
    assert_eq!(codes("kernel k() fn f() {}"), ["E0010"]);
    assert_eq!(codes("kernel k() { let x; }"), ["E0010"]);
    assert_eq!(codes("kernel k(x *f32) { }"), ["E0010"]);
    assert_eq!(codes("kernel k() { if x = 1 { } }"), ["E0010"]);
    assert_eq!(codes("kernel k() { } else { }"), ["E0017"]);
    assert_eq!(codes("kernel k() { let x = 1; } else { }"), ["E0017"]);
}

#[test]
fn lexical_errors_do_not_cascade() {
    assert_eq!(codes("kernel k() { let x = a $ b; }"), ["E0001"]);
    assert_eq!(codes("kernel k() { let x = .5; }"), ["E0007"]);
    assert_eq!(codes("kernel k() { device_assert(x, \"oops); }\nfn f() { }"), ["E0002"]);
    assert_eq!(codes("kernel k() { } /* never closed"), ["E0003"]);
    assert_eq!(codes("kernel k() { /* never closed }"), ["E0003"]);
}

#[test]
fn an_item_error_does_not_swallow_the_next_item() {
    let text =
        "kernel a(x: *f32) {\n    store(x, 1.0);\n\nkernel b(y: *f32) {\n    store(y, 2.0);\n}\n";
    let (ast, diags) = parse(text);
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].code, "E0016");
    assert_eq!(ast.items.len(), 1);
    assert_eq!(ast.items[0].decl().name.name, "b");
}

#[test]
fn deep_nesting_is_reported_not_fatal() {
    let parens =
        format!("kernel k() {{ let x = {}1{}; }}", "(".repeat(100_000), ")".repeat(100_000));
    let (ast, diags) = parse(&parens);
    assert_eq!(diags.iter().map(|d| d.code).collect::<Vec<_>>(), ["E0013"]);
    assert!(ast.items.is_empty());

    let minus = format!("kernel k() {{ let x = {}1; }}\nfn ok() {{ }}", "-".repeat(100_000));
    let (ast, diags) = parse(&minus);
    assert_eq!(diags.iter().map(|d| d.code).collect::<Vec<_>>(), ["E0013"]);
    assert_eq!(ast.items.len(), 1);

    let sum = format!("kernel k() {{ let x = 1{}; }}", " + 1".repeat(100_000));
    let (ast, diags) = parse(&sum);
    assert_eq!(diags.iter().map(|d| d.code).collect::<Vec<_>>(), ["E0013"]);
    assert!(ast.items.is_empty());

    let chain = format!("kernel k() {{ if a {{ }}{} }}", " else if a { }".repeat(1_000));
    assert_eq!(codes(&chain), ["E0013"]);

    let blocks = format!("kernel k() {{ {}{} }}", "while a { ".repeat(10_000), "} ".repeat(10_000));
    assert_eq!(codes(&blocks), ["E0013"]);

    let unbalanced = format!("kernel k() {{ {}", "(".repeat(100_000));
    assert_eq!(codes(&unbalanced), ["E0013"]);
    let garbage = format!("kernel k() {{ {} {} }}", "(".repeat(250), "] ".repeat(100_000));
    assert_eq!(codes(&garbage), ["E0016"]);
}

#[test]
fn nesting_up_to_the_limit_is_fine() {
    let parens = format!("kernel k() {{ let x = {}1{}; }}", "(".repeat(200), ")".repeat(200));
    let ast = parse_ok(&parens);
    assert!(!print_ast(&ast, &parens).is_empty());
}

#[test]
fn syntax_error_kernels_report_errors() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/kernels/err");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("tests/kernels/err exists") {
        let path = entry.expect("readable dir entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        if !name.starts_with("syntax_") || !name.ends_with(".tsr") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable kernel");
        let (_, diags) = parse(&text);
        let expected = if name.contains("two_errors") { 2 } else { 1 };
        assert_eq!(diags.len(), expected, "{name}: {diags:#?}");
        for diag in &diags {
            assert!(crate::diag::codes::explain(diag.code).is_some(), "{name}: {}", diag.code);
        }
        count += 1;
    }
    assert!(count >= 15, "only {count} syntax error kernels");
}

const SOUP: &[&str] = &[
    "kernel", "fn", "const", "let", "mut", "for", "in", "while", "if", "else", "return", "as",
    "true", "None", "inf", "tile", "f32", "*", "x", "y", "0", "1.5", "0x1F", "\"s\"", "(", ")",
    "[", "]", "{", "}", ",", ":", ";", "->", "#", "=", "+=", "<<=", "||", "&&", "==", "<", ">",
    "|", "^", "&", "<<", "+", "-", "/", "%", "!", ".5", "$", "/*", "*/", "\n",
];

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes);
        let (ast, _) = parse(&text);
        let _ = print_ast(&ast, &text);
    }

    #[test]
    fn token_soup_never_panics(picks in proptest::collection::vec(0..SOUP.len(), 0..200)) {
        let text: Vec<&str> = picks.iter().map(|i| SOUP[*i]).collect();
        let text = text.join(" ");
        let (ast, _) = parse(&text);
        let _ = print_ast(&ast, &text);
    }

    #[test]
    fn mutated_kernels_never_panic(
        which in 0..3usize,
        cut in 0..2000usize,
        delete in 0..30usize,
        insert in 0..SOUP.len(),
    ) {
        let source = [MATMUL, EVERYTHING, SOFTMAX][which];
        let mut text = source.as_bytes().to_vec();
        let at = cut % text.len();
        let end = (at + delete).min(text.len());
        text.splice(at..end, SOUP[insert].bytes());
        let text = String::from_utf8_lossy(&text);
        let (ast, _) = parse(&text);
        let _ = print_ast(&ast, &text);
    }
}
