//! Tests of good kernels: the corpus under `tests/kernels/ok/` and the examples of
//! docs/language.md and the design notes check without diagnostics, compile, and the
//! IR verifies.

use super::{check, compile, kernel_signatures, CompileOptions};
use crate::diag::render;
use std::path::PathBuf;

fn corpus_dir(kind: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/kernels").join(kind)
}

/// Every `.tsr` file of `tests/kernels/<kind>`, sorted, as (name, text).
pub fn corpus(kind: &str) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(corpus_dir(kind))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "tsr"))
                .filter_map(|p| {
                    let name = p.file_name()?.to_string_lossy().into_owned();
                    Some((name, std::fs::read_to_string(&p).ok()?))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Compiles `text` with default options, rendering diagnostics on failure.
pub fn compile_ok(name: &str, text: &str) -> tessera_ir::Module {
    match compile(text, &CompileOptions::default()) {
        Ok(module) => {
            if let Err(e) = tessera_ir::verify_module(&module) {
                panic!("{name}: verifier: {e}\n{}", tessera_ir::print_module(&module));
            }
            module
        }
        Err(diags) => panic!("{}", render(&diags, name, text, false)),
    }
}

/// The corpus files that parse (a file being edited by its author may not).
fn parsed_corpus() -> Vec<(String, String)> {
    corpus("ok").into_iter().filter(|(_, text)| crate::parse(text).1.is_empty()).collect()
}

#[test]
fn corpus_kernels_check_without_diagnostics() {
    for (name, text) in parsed_corpus() {
        let diags = check(&text, &CompileOptions::default());
        assert!(diags.is_empty(), "{}", render(&diags, &name, &text, false));
    }
}

#[test]
fn corpus_kernels_compile_and_verify() {
    for (name, text) in parsed_corpus() {
        let module = compile_ok(&name, &text);
        assert!(module.kernels().count() >= 1, "{name}");
    }
}

const DOCS_SOFTMAX: &str = r#"
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

const DESIGN_MATMUL: &str = r#"
#[autotune(BLOCK_M = [32, 64, 128], BLOCK_N = [32, 64, 128], BLOCK_K = [16, 32, 64], key = [M, N, K])]
kernel matmul(a: *f32, b: *f32, c: *f32, M: i32, N: i32, K: i32,
              sam: i32, sak: i32, sbk: i32, sbn: i32, scm: i32, scn: i32,
              const BLOCK_M: i32, const BLOCK_N: i32, const BLOCK_K: i32) {
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
"#;

#[test]
fn docs_softmax_compiles() {
    assert!(check(DOCS_SOFTMAX, &CompileOptions::default()).is_empty());
    let module = compile_ok("softmax", DOCS_SOFTMAX);
    let kernel = module.function("softmax").expect("kernel");
    assert_eq!(kernel.param_names, ["x", "y", "n_cols", "stride"]);
    assert_eq!(kernel.specialization, [("BLOCK".to_string(), 1024)]);
}

#[test]
fn design_matmul_checks_with_autotune_values_and_compiles_with_defines() {
    assert!(check(DESIGN_MATMUL, &CompileOptions::default()).is_empty());
    let missing = compile(DESIGN_MATMUL, &CompileOptions::default()).expect_err("no values");
    assert!(missing.iter().all(|d| d.code == "E0400"), "{missing:?}");
    assert_eq!(missing.len(), 3);
    assert!(missing[0].help.as_deref().unwrap_or("").contains("-D BLOCK_M=VALUE"));
    let mut options = CompileOptions::default();
    for (name, value) in [("BLOCK_M", 32), ("BLOCK_N", 64), ("BLOCK_K", 16)] {
        options.consts.insert(name.to_string(), value);
    }
    let module = compile(DESIGN_MATMUL, &options).expect("compiles");
    tessera_ir::verify_module(&module).expect("verifies");
}

#[test]
fn signatures_describe_params_and_autotune() {
    let signatures = kernel_signatures(DESIGN_MATMUL).expect("valid declarations");
    assert_eq!(signatures.len(), 1);
    let matmul = &signatures[0];
    assert_eq!(matmul.params.len(), 15);
    assert!(matmul.params[14].is_const);
    assert_eq!(matmul.params[0].ty, tessera_ir::Type::ptr(tessera_ir::ScalarType::F32));
    let autotune = matmul.autotune.as_ref().expect("autotune");
    assert_eq!(autotune.key, ["M", "N", "K"]);
    assert_eq!(autotune.params[0], ("BLOCK_M".to_string(), vec![32, 64, 128]));
    let softmax = kernel_signatures(DOCS_SOFTMAX).expect("valid");
    assert_eq!(softmax[0].params[4].default, Some(1024));
}

#[test]
fn a_const_without_any_value_is_checked_as_unknown() {
    let text = "kernel k(x: *f32, const B: i32) {\n    let v = load(x + arange(0, B));\n    store(x + arange(0, B), v * 2.0);\n}\n";
    assert!(check(text, &CompileOptions::default()).is_empty());
    let bad = "kernel k(x: *f32, const B: i32) {\n    let v = load(x + arange(0, B));\n    store(x, v * undefined_name);\n}\n";
    let diags = check(bad, &CompileOptions::default());
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0].code, "E0102");
}

#[test]
fn compiling_one_kernel_keeps_only_its_helpers() {
    let text = "fn twice(v) { return v + v; }\nfn neg(v) { return -v; }\n\
kernel a(x: *f32) { store(x, twice(load(x))); }\n\
kernel b(x: *f32, const BAD: i32) { store(x, neg(load(x))); }\n";
    let options = CompileOptions { kernel: Some("a".into()), ..CompileOptions::default() };
    let module = compile(text, &options).expect("`b` lacks a const value but is not compiled");
    let names: Vec<&str> = module.functions.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["a", "twice"]);
    assert!(compile(text, &CompileOptions::default()).is_err(), "`b` needs -D BAD");
}

#[test]
fn signatures_fail_on_invalid_declarations() {
    let errors = kernel_signatures("kernel k(x: tile<[4], f32>) { }").expect_err("tile param");
    assert_eq!(errors[0].code, "E0214");
    let errors = kernel_signatures("kernel k(x: *f32) { let").expect_err("syntax error");
    assert!(errors[0].code.starts_with("E00"));
}
