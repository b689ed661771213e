//! Tests of semantic errors: each error class gives its code, with useful labels and
//! help; independent mistakes are all reported; no input makes checking panic; every
//! code is registered; the error kernels under `tests/kernels/err/` all fail.

use super::{check, compile, CompileOptions};
use crate::ast::{
    Ast, BinOp, Block, CallArg, Expr, FnDecl, Ident, Item, Param, Span, Stmt, TypeExpr,
    TypeExprKind,
};
use crate::diag::{codes, Diagnostic};
use tessera_ir::ScalarType;

fn diags(text: &str) -> Vec<Diagnostic> {
    check(text, &CompileOptions::default())
}

fn codes_of(text: &str) -> Vec<&'static str> {
    diags(text).iter().map(|d| d.code).collect()
}

/// Wraps statements in a kernel with a few typed parameters.
fn in_kernel(body: &str) -> String {
    format!(
        "kernel k(x: *f32, y: *f32, h: *f16, ix: *i32, n: i32, m: i64, s: f32, const B: i32 = 16) {{\n{body}\n}}\n"
    )
}

#[track_caller]
fn assert_code(body: &str, code: &str) {
    let text = in_kernel(body);
    let found = codes_of(&text);
    assert!(found.contains(&code), "expected {code} for:\n{text}\nfound {:?}", diags(&text));
}

#[test]
fn name_errors() {
    assert_code("let v = load(x + nn);", "E0102");
    assert_code("let v = expp(s);", "E0103");
    assert_code("let a = 1;\na = 2;", "E0105");
    assert_code("n = 3;", "E0106");
    assert_code("B = 3;", "E0106");
    assert_code("for i in range(0, n) { i = 2; }", "E0105");
    assert_code("let r = range(0, 4);", "E0109");
    assert_code("for i in arange(0, 4) { }", "E0109");
    let d = diags(&in_kernel("let total = 1;\nlet v = totl + 1;"));
    assert_eq!(d[0].help.as_deref(), Some("did you mean `total`?"));
    let d = diags(&in_kernel("let a = 1;\na = 2;"));
    assert_eq!(d[0].help.as_deref(), Some("declare it with `let mut a`"));
}

#[test]
fn item_errors() {
    let dup = "kernel k(x: *f32) { }\nfn k(x) { return x; }\n";
    let d = diags(dup);
    assert_eq!(d[0].code, "E0100");
    assert_eq!(d[0].secondary.len(), 1, "both spans are shown");
    assert_eq!(codes_of("kernel k(x: *f32, x: *f32) { }"), ["E0101"]);
    assert_eq!(codes_of("fn sum(x) { return x; }"), ["E0104"]);
    let rec = "fn f(x) { return g(x); }\nfn g(x) { return f(x); }\nkernel k(p: *f32) { store(p, f(1.0)); }\n";
    let d = diags(rec);
    assert_eq!(d.iter().filter(|d| d.code == "E0107").count(), 1, "{d:?}");
    assert!(d[0].message.contains("f → g → f"), "{}", d[0].message);
    assert_eq!(codes_of("fn f(x) { return f(x); }"), ["E0107"]);
    assert_eq!(codes_of("kernel a(x: *f32) { }\nkernel b(x: *f32) { a(x); }"), ["E0108"]);
}

#[test]
fn argument_binding_errors() {
    assert_code("let v = load(x, x > x, 0.0, 1);", "E0120");
    assert_code("let v = sum(load(x + arange(0, 4)), dim: 0);", "E0121");
    assert_code("let v = load(x, mask: true, mask: true);", "E0122");
    assert_code("store(x, mask: true, 1.0);", "E0123");
    assert_code("let z = zeros([4]);", "E0124");
    let d = diags(&in_kernel("let z = zeros([4]);"));
    assert!(d[0].help.as_deref().unwrap_or("").contains("zeros([d0, …], dtype)"));
}

#[test]
fn type_errors() {
    assert_code("let a = n + m;", "E0200");
    assert_code("let a = s + n;", "E0200");
    let d = diags(&in_kernel("let a = n + m;"));
    assert_eq!(d[0].primary.message, "this is `i64`", "the right operand is the primary");
    assert_eq!(d[0].secondary[0].message, "this is `i32`", "the left operand is labelled");
    assert!(d[0].help.as_deref().unwrap_or("").contains("as i64"));
    assert_code("let a = (n > 0) + (n > 1);", "E0201");
    assert_code("let a = s & s;", "E0201");
    assert_code("let a = n && n;", "E0201");
    assert_code("let a = x + x;", "E0201");
    assert_code("let a = x * 2;", "E0201");
    assert_code("let a = x + 1.5;", "E0201");
    assert_code("let a: u8 = 300;", "E0202");
    assert_code("let a = n + 1.5;", "E0203");
    assert_code("if n { }", "E0204");
    assert_code("if arange(0, 4) < n { }", "E0204");
    assert_code("while s { }", "E0204");
    assert_code("let mut a = 0;\na = s;", "E0205");
    assert_code("let mut a = 0.0;\na = load(x + arange(0, 4));", "E0205");
    assert_code("let a: f16 = s;", "E0206");
    assert_code("let v = load(n);", "E0208");
    assert_code("let v = sqrt(n);", "E0209");
    assert_code("store(h, s);", "E0210");
    assert_code("let v = load(x, other: n);", "E0210");
    assert_code("let v = load(x, mask: n);", "E0211");
    assert_code("let p = x as i64;", "E0212");
    assert_code("let p = s as *f32;", "E0212");
    assert_code("for i in range(n, m) { }", "E0215");
    assert_code("for i in range(0.0, 4) { }", "E0215");
    assert_code("for i in range(0, 4, 0) { }", "E0215");
    assert_code("let a = store(x, s);", "E0216");
    assert_code("load(x);", "E0217");
    assert_code("n + 1;", "E0217");
    assert_code("let a = f32;", "E0221");
    assert_code("let a = \"text\";", "E0221");
    assert_code("let a = atomic_add(x > x, 1.0);", "E0201");
    assert_code("let b = load(x > x);", "E0201");
}

#[test]
fn helper_errors() {
    let text = "fn twice(v: f32) -> f32 { return v * 2.0; }\nkernel k(x: *i32) { store(x, twice(load(x))); }\n";
    let d = diags(text);
    assert_eq!(d[0].code, "E0207");
    assert!(d[0].help.as_deref().unwrap_or("").contains("as f32"));
    let ret = "fn f(v) -> f32 { return v > 0.0; }\nkernel k(x: *f32) { store(x, f(1.0)); }\n";
    assert_eq!(codes_of(ret), ["E0218"]);
    let mixed = "fn f(v, c: bool) { if c { return 1.0; } return v; }\nkernel k(x: *f32) { store(x + arange(0, 4), f(load(x + arange(0, 4)), true)); }\n";
    assert_eq!(codes_of(mixed), ["E0218"]);
    let body_error = "fn f(v) { return v + nope; }\nkernel k(x: *f32) { store(x, f(1.0)); }\n";
    let d = diags(body_error);
    assert_eq!(d.len(), 1);
    assert!(d[0].secondary.iter().any(|l| l.message.contains("instantiated here")));
    // Errors of an uncalled helper are reported too.
    assert_eq!(codes_of("fn f(v) { let a = 1; a = 2; return v; }"), ["E0105"]);
}

#[test]
fn shape_errors() {
    assert_code("let a = arange(0, 4) + arange(0, 8);", "E0300");
    let d = diags(&in_kernel("let a = arange(0, 4) + arange(0, 8);"));
    assert!(d[0].message.contains("[4] and [8]"), "{}", d[0].message);
    assert_code("let a = arange(0, 4)[None];", "E0301");
    assert_code("let a = sum(arange(0, 4), axis: 1);", "E0302");
    assert_code("let a = cumsum(zeros([2, 2], f32));", "E0302");
    assert_code("let a = dot(zeros([2, 3], f32), zeros([2, 3], f32));", "E0303");
    assert_code("let a = dot(arange(0, 4), arange(0, 4));", "E0303");
    assert_code("let a = reshape(arange(0, 6), [4]);", "E0304");
    assert_code("let a = trans(arange(0, 4));", "E0305");
    assert_code("let a = trans(zeros([2, 3], f32), [0, 0]);", "E0305");
    assert_code("let a = broadcast_to(arange(0, 4), [4, 8]);", "E0306");
    assert_code("let a = arange(4, 4);", "E0307");
    assert_code("let a = arange(0, 1 << 21);", "E0307");
    assert_code("let a = zeros([0, 4], f32);", "E0308");
    assert_code("let a = zeros([4096, 4096, 2], f32);", "E0309");
    assert_code("let a = sum(s);", "E0310");
    assert_code("let a = dot(zeros([2, 2], f32), zeros([2, 2], f16));", "E0213");
    assert_code("let a = dot(zeros([2, 2], i32), zeros([2, 2], i32));", "E0213");
    assert_code(
        "let a = dot(zeros([2, 2], f16), zeros([2, 2], f16), zeros([2, 2], f16));",
        "E0213",
    );
}

#[test]
fn const_errors() {
    assert_code("let a = arange(0, n);", "E0401");
    let d = diags(&in_kernel("let a = zeros([n], f32);"));
    assert_eq!(d[0].code, "E0401");
    assert!(d[0].primary.message.contains("`n` is computed at run time"));
    assert_code("let a = B / (B - B);", "E0403");
    assert_code("let a = B * 1000000000;", "E0404");
    assert_code("let a = 1 << 40;", "E0202");
    assert_code("let a = B << 40;", "E0404");
    assert_code("static_assert(B > 100, \"B too small\");", "E0405");
    let d = diags(&in_kernel("static_assert(B > 100, \"B too small\");"));
    assert!(d[0].message.contains("B too small"));
    assert!(d[0].help.as_deref().unwrap_or("").contains("B = 16"));
    assert_code("static_assert(n > 1);", "E0401");
    assert_code("let p = program_id(3);", "E0406");
    assert_eq!(codes_of("kernel k(x: *f32, const A: i32 = 4, const C: i32 = A) { }"), ["E0407"]);
    assert_eq!(codes_of("kernel k(x: *f32, const A: i8 = 300) { }"), ["E0402"]);
    assert_eq!(codes_of("kernel k(x: *f32, const A: f32 = 1.0) { }"), ["E0214"]);
    let mut options = CompileOptions::default();
    options.consts.insert("A".into(), 1 << 40);
    let d = check("kernel k(x: *f32, const A: i32 = 4) { }", &options);
    assert_eq!(d[0].code, "E0402");
    let missing = compile("kernel k(x: *f32, const A: i32) { }", &CompileOptions::default());
    let d = missing.expect_err("no value for A");
    assert_eq!(d[0].code, "E0400");
    assert!(d[0].help.as_deref().unwrap_or("").contains("-D A=VALUE"));
    let wrong_kernel = CompileOptions { kernel: Some("kk".into()), ..CompileOptions::default() };
    let d = compile("kernel k(x: *f32) { }", &wrong_kernel).expect_err("no such kernel");
    assert_eq!(d[0].code, "E0110");
}

#[test]
fn attribute_errors() {
    let k = |attr: &str| {
        format!(
            "{attr}\nkernel k(x: *f32, n: i32, const B: i32 = 16, const F: bool = false) {{ }}\n"
        )
    };
    assert_eq!(codes_of(&k("#[autotun(B = [16])]")), ["E0450"]);
    assert_eq!(codes_of("#[autotune(B = [16])]\nfn f(x) { return x; }"), ["E0451"]);
    assert_eq!(codes_of(&k("#[autotune(n = [16])]")), ["E0452"]);
    assert_eq!(codes_of(&k("#[autotune(C = [16])]")), ["E0452"]);
    assert_eq!(codes_of(&k("#[autotune(B = [])]")), ["E0453"]);
    assert_eq!(codes_of(&k("#[autotune(B = [1.5])]")), ["E0453"]);
    assert_eq!(codes_of(&k("#[autotune(B = [1 << 40])]")), ["E0453"]);
    assert_eq!(codes_of(&k("#[autotune(B = [16], key = [x])]")), ["E0454"]);
    assert_eq!(codes_of(&k("#[autotune(B = [16], key = [B])]")), ["E0454"]);
    assert_eq!(codes_of(&k("#[autotune(B = [16], B = [32])]")), ["E0455"]);
    assert_eq!(codes_of(&k("#[autotune(B = [16])]\n#[autotune(F = [true])]")), ["E0456"]);
    assert!(codes_of(&k("#[autotune(B = [16, 32], F = [true, false], key = [n])]")).is_empty());
}

#[test]
fn return_errors() {
    assert_code("return 1;", "E0470");
    assert_code("for i in range(0, n) { return; }", "E0473");
    assert_code("return;\nstore(x, 1.0);", "E0472");
    assert_code("if n > 0 { return; } else { return; }\nstore(x, 1.0);", "E0474");
    assert_eq!(codes_of("fn f(v: f32) -> f32 { if v > 0.0 { return v; } }"), ["E0471"]);
    assert_eq!(codes_of("fn f(v: f32) -> f32 { if v > 0.0 { return; } return v; }"), ["E0475"]);
    assert!(
        codes_of("fn f(v: f32) -> f32 { if v > 0.0 { return v; } else { return -v; } }").is_empty()
    );
}

#[test]
fn independent_errors_are_all_reported_without_cascades() {
    let body = "let a = undefined_one + 1;\nlet b = a * 2.0;\nlet c = n + m;\nlet d = zeros([n], f32);\nstore(h, c);";
    let found = codes_of(&in_kernel(body));
    assert_eq!(found, ["E0102", "E0200", "E0401"], "the store of the erroneous `c` is silent");
}

#[test]
fn every_code_used_is_registered() {
    let sources = [
        include_str!("check/builtins_math.rs"),
        include_str!("check/builtins_mem.rs"),
        include_str!("check/builtins_shape.rs"),
        include_str!("check/call.rs"),
        include_str!("check/coerce.rs"),
        include_str!("check/constexpr.rs"),
        include_str!("check/expr.rs"),
        include_str!("check/mod.rs"),
        include_str!("check/ops.rs"),
        include_str!("check/stmt.rs"),
        include_str!("check/types.rs"),
        include_str!("attrs.rs"),
        include_str!("builtins.rs"),
        include_str!("items.rs"),
        include_str!("mod.rs"),
        include_str!("../lower/builder.rs"),
        include_str!("../lower/stmt.rs"),
    ];
    for source in sources {
        for (i, _) in source.match_indices("\"E0") {
            let code = &source[i + 1..i + 6];
            assert!(codes::explain(code).is_some(), "{code} is not registered");
        }
    }
    for code in codes::all().filter(|c| c.code.as_bytes()[2] != b'0') {
        assert!(code.explanation.contains("Erroneous code example"), "{}", code.code);
    }
}

/// A kernel `k(ix: *i32, n: i32) { let a = n + n + … + n; store(ix, a as i32…); }`
/// built directly (the parser caps nesting, so text cannot reach these lengths).
fn long_chain_kernel(terms: usize, casts: usize) -> Ast {
    let mut ast = Ast::default();
    let span = Span::default();
    let ident = |name: &str| Ident { name: name.to_string(), span };
    let scalar = |s| TypeExpr { kind: TypeExprKind::Scalar(s), span };
    let name = |ast: &mut Ast, n: &str| ast.add_expr(Expr::Name(ident(n)), span);
    let mut sum = name(&mut ast, "n");
    for _ in 1..terms {
        let rhs = name(&mut ast, "n");
        sum = ast.add_expr(Expr::Binary { op: BinOp::Add, lhs: sum, rhs }, span);
    }
    for _ in 0..casts {
        sum = ast.add_expr(Expr::Cast { arg: sum, ty: scalar(ScalarType::I32) }, span);
    }
    let let_a =
        ast.add_stmt(Stmt::Let { mutable: false, name: ident("a"), ty: None, init: sum }, span);
    let ptr = name(&mut ast, "ix");
    let value = name(&mut ast, "a");
    let args = vec![CallArg { name: None, value: ptr }, CallArg { name: None, value }];
    let call = ast.add_expr(Expr::Call { callee: ident("store"), args }, span);
    let store = ast.add_stmt(Stmt::Expr(call), span);
    let param = |n: &str, ty: TypeExpr| Param {
        is_const: false,
        name: ident(n),
        ty: Some(ty),
        default: None,
        span,
    };
    let ptr_ty = TypeExpr { kind: TypeExprKind::Ptr(Box::new(scalar(ScalarType::I32))), span };
    ast.items.push(Item::Kernel(FnDecl {
        attrs: Vec::new(),
        name: ident("k"),
        params: vec![param("ix", ptr_ty), param("n", scalar(ScalarType::I32))],
        ret: None,
        body: Block { stmts: vec![let_a, store], span },
        span,
    }));
    ast
}

#[test]
fn long_chains_are_checked_and_lowered_without_deep_recursion() {
    let ast = long_chain_kernel(100_000, 50_000);
    let (program, found) =
        super::analyze("", &ast, &CompileOptions::default(), super::check::Mode::Compile);
    assert!(found.is_empty(), "{found:?}");
    let module = crate::lower::lower_program("", &ast, &program).expect("lowers");
    let kernel = module.function("k").expect("kernel");
    assert!(kernel.insts.len() > 100_000);
}

#[test]
fn helper_chains_are_capped() {
    let mut helpers = String::new();
    for i in 0..100 {
        helpers.push_str(&format!("fn h{i}(v) {{ return h{}(v) + 1.0; }}\n", i + 1));
    }
    helpers.push_str("fn h100(v) { return v; }\nkernel k(x: *f32) { store(x, h0(1.0)); }\n");
    let found = codes_of(&helpers);
    assert!(found.contains(&"E0111"), "{found:?}");
}

#[test]
fn error_kernels_all_fail() {
    let files = super::tests::corpus("err");
    let ours: Vec<_> = files.iter().filter(|(name, _)| !name.starts_with("syntax_")).collect();
    assert!(ours.len() >= 30, "{} semantic error kernels", ours.len());
    for (name, text) in ours {
        let found = diags(text);
        assert!(!found.is_empty(), "{name} produced no error");
        assert!(found.iter().all(|d| !d.code.starts_with("E00")), "{name}: syntax error {found:?}");
    }
}
