//! End-to-end tests of the `tessera` binary: exit codes, help text, one-line errors
//! for bad arguments, and `run` with `.npy` input and output checked against plain Rust.

mod common;

use common::{read_f32_npy, scratch_dir, stderr, stdout, tessera, write_f32_npy, VECTOR_ADD};

#[test]
fn every_subcommand_has_help_with_examples() {
    for sub in ["build", "check", "demo", "emit", "run", "sim", "explain", "explain-opt"] {
        let out = tessera(&[sub, "--help"]);
        assert!(out.status.success(), "{sub} --help failed");
        assert!(stdout(&out).contains("Examples:"), "{sub} --help has no examples");
    }
}

#[test]
fn check_exit_codes() {
    let ok = tessera(&["check", VECTOR_ADD]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    let dir = scratch_dir("check");
    let bad = dir.join("bad.tsr");
    std::fs::write(&bad, "kernel k(x: *f32) { let y = undefined_name + 1; }\n").unwrap();
    let out = tessera(&["check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("error[E"), "{err}");
    assert!(err.contains("undefined_name"), "{err}");
    let missing = tessera(&["check", "no/such/file.tsr"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("cannot read no/such/file.tsr"));
}

#[test]
fn explain_prints_registered_codes() {
    let list = tessera(&["explain", "--list"]);
    assert!(list.status.success());
    let first = stdout(&list).lines().next().unwrap_or_default().to_string();
    let code = first.split_whitespace().next().unwrap_or_default();
    assert!(code.starts_with('E'), "{first}");
    let out = tessera(&["explain", code]);
    assert!(out.status.success());
    assert!(stdout(&out).starts_with(code));
    let unknown = tessera(&["explain", "E9999"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(stderr(&unknown).contains("no error code 'E9999'"));
}

#[test]
fn emit_stages_print_something_real() {
    let ast = tessera(&["emit", "--stage", "ast", VECTOR_ADD]);
    assert!(ast.status.success(), "{}", stderr(&ast));
    assert!(stdout(&ast).contains("vector_add"));
    let ir = tessera(&["emit", "--stage", "ir", VECTOR_ADD]);
    assert!(ir.status.success(), "{}", stderr(&ir));
    assert!(stdout(&ir).contains("kernel @vector_add"), "{}", stdout(&ir));
}

#[test]
fn run_reads_and_writes_npy() {
    let dir = scratch_dir("run");
    let n = 37usize;
    let x: Vec<f32> = (0..n).map(|i| i as f32 * 0.5).collect();
    let y: Vec<f32> = (0..n).map(|i| 1.0 - i as f32).collect();
    let (xp, yp, outp) = (dir.join("x.npy"), dir.join("y.npy"), dir.join("out.npy"));
    write_f32_npy(&xp, &x);
    write_f32_npy(&yp, &y);
    let out = tessera(&[
        "run",
        VECTOR_ADD,
        "--kernel",
        "vector_add",
        "--grid",
        "3",
        "-D",
        "BLOCK=16",
        "--arg",
        xp.to_str().unwrap(),
        "--arg",
        yp.to_str().unwrap(),
        "--arg",
        &format!("zeros:{n}"),
        "--arg",
        &n.to_string(),
        "--save",
        &format!("z={}", outp.display()),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("(written)"), "{}", stdout(&out));
    let got = read_f32_npy(&outp);
    let want: Vec<f32> = x.iter().zip(&y).map(|(a, b)| a + b).collect();
    assert_eq!(got, want);
}

#[test]
fn bad_run_arguments_are_one_line_errors() {
    let base = ["run", VECTOR_ADD, "--kernel", "vector_add"];
    let cases: &[(&[&str], &str)] = &[
        (&["--arg", "rand:8"], "takes 4 arguments"),
        (&["--arg", "rand:8", "--arg", "rand:8", "--arg", "zeros:8", "--arg", "x"], "argument 'n'"),
        (
            &["--arg", "rand:8:i32", "--arg", "rand:8", "--arg", "zeros:8", "--arg", "8"],
            "points to f32",
        ),
        (
            &[
                "--grid", "0", "--arg", "rand:8", "--arg", "rand:8", "--arg", "zeros:8", "--arg",
                "8",
            ],
            "--grid 0",
        ),
        (&["--grid", "1,2,3,4"], "--grid 1,2,3,4"),
        (&["-D", "BLOCK"], "-D BLOCK: expected NAME=VALUE"),
        (&["--save", "nope=x.npy", "--arg", "rand:8"], "has no parameter 'nope'"),
    ];
    for (extra, expected) in cases {
        let mut args: Vec<&str> = base.to_vec();
        args.extend_from_slice(extra);
        let out = tessera(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = stderr(&out);
        assert!(err.contains(expected), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: not one line: {err}");
    }
    let wrong_kernel = tessera(&["run", VECTOR_ADD, "--kernel", "nope"]);
    assert_eq!(wrong_kernel.status.code(), Some(1));
}

#[test]
fn out_of_bounds_run_is_an_error_naming_the_line() {
    // n claims 64 elements but the buffers hold 8.
    let out = tessera(&[
        "run",
        VECTOR_ADD,
        "--kernel",
        "vector_add",
        "--grid",
        "4",
        "-D",
        "BLOCK=16",
        "--arg",
        "rand:8",
        "--arg",
        "rand:8",
        "--arg",
        "zeros:8",
        "--arg",
        "64",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("out of bounds") && err.contains("line"), "{err}");
}

#[test]
fn optimizer_stage_flags_and_explanations() {
    let opt =
        tessera(&["emit", "--stage", "opt", "-O3", "tests/kernels/ok/matmul.tsr", "--time-passes"]);
    assert!(opt.status.success(), "{}", stderr(&opt));
    assert!(stdout(&opt).contains("kernel @matmul"));
    let table = stderr(&opt);
    assert!(table.contains("egraph") && table.contains("saturated"), "{table}");
    let limited = tessera(&[
        "emit",
        "--stage",
        "opt",
        "tests/kernels/ok/flash_attention.tsr",
        "--egraph-node-limit",
        "50",
        "--time-passes",
    ]);
    assert!(limited.status.success());
    assert!(stderr(&limited).contains("node limit"), "{}", stderr(&limited));
    let bogus = tessera(&["emit", "--stage", "opt", VECTOR_ADD, "--passes", "bogus"]);
    assert_eq!(bogus.status.code(), Some(1));
    assert!(stderr(&bogus).contains("unknown pass 'bogus'"));
    let after = tessera(&[
        "emit",
        "--stage",
        "opt",
        VECTOR_ADD,
        "--passes",
        "inline,cse",
        "--print-after",
        "cse",
    ]);
    assert!(stdout(&after).starts_with("// ----- IR after cse -----"), "{}", stdout(&after));
    let explain = tessera(&["explain-opt", "tests/kernels/ok/matmul.tsr", "--kernel", "matmul"]);
    assert!(explain.status.success());
    assert!(
        stdout(&explain).contains("=>") && stdout(&explain).contains("by "),
        "{}",
        stdout(&explain)
    );
}

#[test]
fn run_on_the_cpu_matches_the_interpreter_and_checks_bounds() {
    let dir = scratch_dir("cpu");
    let n = 37usize;
    let x: Vec<f32> = (0..n).map(|i| i as f32 * 0.5).collect();
    let y: Vec<f32> = (0..n).map(|i| 1.0 - i as f32).collect();
    let (xp, yp, outp) = (dir.join("x.npy"), dir.join("y.npy"), dir.join("out.npy"));
    write_f32_npy(&xp, &x);
    write_f32_npy(&yp, &y);
    let out = tessera(&[
        "run",
        VECTOR_ADD,
        "--kernel",
        "vector_add",
        "--grid",
        "3",
        "-D",
        "BLOCK=16",
        "--target",
        "cpu",
        "--threads",
        "2",
        "--arg",
        xp.to_str().unwrap(),
        "--arg",
        yp.to_str().unwrap(),
        "--arg",
        &format!("zeros:{n}"),
        "--arg",
        &n.to_string(),
        "--save",
        &format!("z={}", outp.display()),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("(cpu, JIT"), "{}", stdout(&out));
    let want: Vec<f32> = x.iter().zip(&y).map(|(a, b)| a + b).collect();
    assert_eq!(read_f32_npy(&outp), want);
    // n claims 64 elements but the buffers hold 8: a checked launch reports the access.
    let oob = tessera(&[
        "run", VECTOR_ADD, "--grid", "4", "-D", "BLOCK=16", "--target", "cpu", "--arg", "rand:8",
        "--arg", "rand:8", "--arg", "zeros:8", "--arg", "64",
    ]);
    assert_eq!(oob.status.code(), Some(1));
    let err = stderr(&oob);
    assert!(err.contains("line 6:13: load out of bounds: `x`[8] (buffer has 8 elements)"), "{err}");
}

#[test]
fn emit_clif_and_asm_for_the_host() {
    let clif = tessera(&["emit", "--stage", "clif", VECTOR_ADD]);
    assert!(clif.status.success(), "{}", stderr(&clif));
    let text = stdout(&clif);
    assert!(text.contains("; kernel vector_add") && text.contains("function u0:0("), "{text}");
    assert!(text.contains("fadd.f32") || text.contains("fadd"), "{text}");
    let asm = tessera(&["emit", "--stage", "asm", VECTOR_ADD]);
    assert!(asm.status.success(), "{}", stderr(&asm));
    assert!(stdout(&asm).lines().count() > 20, "{}", stdout(&asm));
}
