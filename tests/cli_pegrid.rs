//! End-to-end tests of the PE-grid commands of the `tessera` binary: `emit --stage
//! pegrid`, `sim` (source and `.peo` input, `.npy` in and out, checked against plain
//! Rust) and `build --target pegrid`, and their errors: out-of-bounds DMA, kernels that
//! do not fit local memory, corrupted `.peo` files, bad machine descriptions.

mod common;

use common::{read_f32_npy, scratch_dir, stderr, stdout, tessera, write_f32_npy, VECTOR_ADD};

const SOFTMAX: &str = "tests/kernels/ok/softmax.tsr";

#[test]
fn emit_pegrid_prints_assembly_for_the_machine() {
    let out = tessera(&["emit", "--stage", "pegrid", SOFTMAX, "--machine", "tiny"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for needle in ["kernel softmax", "cb_alloc", "dma_in", "re_op max", "se_lut exp", "dma_out"] {
        assert!(text.contains(needle), "missing {needle:?}:\n{text}");
    }
    // The loop-carried loads of a matmul are double-buffered unless --cb-depth 1.
    let mm = "tests/kernels/ok/matmul_f16.tsr";
    let two = stdout(&tessera(&["emit", "--stage", "pegrid", mm, "--machine", "tiny"]));
    assert!(two.contains("depth=2") && two.contains("dpe_mm dot"), "{two}");
    let one = tessera(&["emit", "--stage", "pegrid", mm, "--machine", "tiny", "--cb-depth", "1"]);
    assert!(!stdout(&one).contains("depth=2"), "{}", stdout(&one));
}

/// `sim` of vector_add on `tiny` with .npy input and output, from source and from a
/// `.peo` built by `build`; both equal x + y.
#[test]
fn sim_runs_source_and_peo_with_npy() {
    let dir = scratch_dir("sim");
    let n = 45usize;
    let x: Vec<f32> = (0..n).map(|i| i as f32 * 0.25).collect();
    let y: Vec<f32> = (0..n).map(|i| 3.0 - i as f32).collect();
    let want: Vec<f32> = x.iter().zip(&y).map(|(a, b)| a + b).collect();
    let (xp, yp) = (dir.join("x.npy"), dir.join("y.npy"));
    write_f32_npy(&xp, &x);
    write_f32_npy(&yp, &y);
    let peo = dir.join("vadd.peo");
    let build = tessera(&[
        "build",
        "--target",
        "pegrid",
        VECTOR_ADD,
        "--kernel",
        "vector_add",
        "-D",
        "BLOCK=16",
        "--machine",
        "tiny",
        "-o",
        peo.to_str().unwrap(),
        "--footprint",
    ]);
    assert!(build.status.success(), "{}", stderr(&build));
    let report = stdout(&build);
    assert!(report.contains("wrote") && report.contains("B of local memory"), "{report}");
    assert!(report.contains("cb0:") && report.contains("= load @"), "{report}");
    for (i, input) in [VECTOR_ADD, peo.to_str().unwrap()].into_iter().enumerate() {
        let outp = dir.join(format!("z{i}.npy"));
        let mut args = vec!["sim", input, "--grid", "3", "--machine", "tiny", "--pes", "1x2"];
        if i == 0 {
            args.extend(["--kernel", "vector_add", "-D", "BLOCK=16"]);
        }
        let n_arg = n.to_string();
        let zeros = format!("zeros:{n}");
        let save = format!("z={}", outp.display());
        args.extend(["--arg", xp.to_str().unwrap(), "--arg", yp.to_str().unwrap()]);
        args.extend(["--arg", &zeros, "--arg", &n_arg, "--save", &save]);
        let out = tessera(&args);
        assert!(out.status.success(), "{input}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(text.contains("1x2 PEs") && text.contains("dma_in"), "{text}");
        assert_eq!(read_f32_npy(&outp), want, "{input}");
    }
}

#[test]
fn out_of_bounds_dma_is_a_precise_error() {
    // n claims 64 elements but the buffers hold 8.
    let out = tessera(&[
        "sim",
        VECTOR_ADD,
        "--kernel",
        "vector_add",
        "--grid",
        "4",
        "-D",
        "BLOCK=16",
        "--machine",
        "tiny",
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
    assert!(err.contains("PE (0, 0)") && err.contains("`dma_in`"), "{err}");
    assert!(err.contains("element 8 of `x` is out of bounds (len 8)"), "{err}");
}

#[test]
fn a_kernel_that_does_not_fit_names_its_tiles() {
    let out = tessera(&[
        "build",
        "--target",
        "pegrid",
        SOFTMAX,
        "-D",
        "BLOCK=16384",
        "--machine",
        "tiny",
        "-o",
        "/dev/null",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("needs") && err.contains("machine `tiny` has 65536"), "{err}");
    assert!(err.contains("= load @10:13 [16384] f32 x1 = 65536 B"), "{err}");
}

#[test]
fn corrupted_peo_files_are_errors() {
    let dir = scratch_dir("corrupt");
    let peo = dir.join("k.peo");
    let build = tessera(&[
        "build",
        "--target",
        "pegrid",
        VECTOR_ADD,
        "--kernel",
        "vector_add",
        "-o",
        peo.to_str().unwrap(),
    ]);
    assert!(build.status.success(), "{}", stderr(&build));
    let bytes = std::fs::read(&peo).unwrap();
    let sim_args = ["--arg", "rand:8", "--arg", "rand:8", "--arg", "zeros:8", "--arg", "8"];
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (bytes[..bytes.len() / 2].to_vec(), "bytes, the header says"),
        (
            {
                let mut b = bytes.clone();
                let mid = b.len() / 2;
                b[mid] ^= 0x40;
                b
            },
            "checksum mismatch",
        ),
        (b"not a peo file at all".to_vec(), "bad magic"),
    ];
    for (i, (data, expected)) in cases.into_iter().enumerate() {
        let bad = dir.join(format!("bad{i}.peo"));
        std::fs::write(&bad, data).unwrap();
        let mut args = vec!["sim", bad.to_str().unwrap()];
        args.extend(sim_args);
        let out = tessera(&args);
        assert_eq!(out.status.code(), Some(1), "case {i}");
        let err = stderr(&out);
        assert!(err.contains("is not a valid .peo file") && err.contains(expected), "{err}");
    }
}

#[test]
fn bad_machines_are_one_line_errors() {
    let dir = scratch_dir("machine");
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "name = \"x\"\nclock_hz = 1e9\nwarp_size = 32\n").unwrap();
    for (machine, expected) in [("nope", "nope"), (bad.to_str().unwrap(), "warp_size")] {
        let out = tessera(&["emit", "--stage", "pegrid", SOFTMAX, "--machine", machine]);
        assert_eq!(out.status.code(), Some(1));
        let err = stderr(&out);
        assert!(err.contains("--machine") && err.contains(expected), "{err}");
    }
}

/// The timed report, JSON and traces; timing-only runs count the same cycles.
#[test]
fn sim_reports_cycles_json_and_traces() {
    let dir = scratch_dir("timing");
    let trace = dir.join("trace.json");
    let base = [
        "sim",
        "tests/kernels/ok/matmul_f16.tsr",
        "--grid",
        "4",
        "--machine",
        "tiny",
        "--arg",
        "rand:128x128:f16",
        "--arg",
        "rand:128x128:f16",
        "--arg",
        "zeros:128x128:f16",
        "--arg",
        "128",
        "--arg",
        "128",
        "--arg",
        "128",
        "--arg",
        "128",
        "--arg",
        "1",
        "--arg",
        "128",
        "--arg",
        "1",
        "--arg",
        "128",
        "--arg",
        "1",
    ];
    let timed = tessera(&[&base[..], &["--trace", trace.to_str().unwrap()]].concat());
    assert!(timed.status.success(), "{}", stderr(&timed));
    let text = stdout(&timed);
    for needle in ["timed simulation", "cycles =", "roofline:", "binds", "dpe ", "cb-full stall"] {
        assert!(text.contains(needle), "missing {needle:?}:\n{text}");
    }
    let cycles_line = text.lines().find(|l| l.contains("cycles =")).unwrap().to_string();
    let events = std::fs::read_to_string(&trace).unwrap();
    assert!(events.contains("traceEvents") && events.contains("\"dpe\""), "{events:.200}");
    assert!(events.contains("PE (1, 1)"), "one process per PE");
    // Timing-only: same cycle line, no buffers listed.
    let only = tessera(&[&base[..], &["--timing-only"]].concat());
    assert!(only.status.success(), "{}", stderr(&only));
    let only_text = stdout(&only);
    assert!(only_text.contains(&cycles_line), "{only_text}");
    assert!(!only_text.contains("(written)"), "{only_text}");
    // JSON.
    let json = tessera(&[&base[..], &["--timing-only", "--json"]].concat());
    let json_text = stdout(&json);
    assert!(json_text.trim_start().starts_with('{'), "{json_text}");
    for key in ["\"cycles\"", "\"binding\"", "\"of_binding\"", "\"dpe_utilization\"", "\"units\""] {
        assert!(json_text.contains(key), "missing {key}: {json_text}");
    }
    // Functional: no report; --save needs values.
    let functional = tessera(&[&base[..], &["--functional"]].concat());
    assert!(!stdout(&functional).contains("roofline"), "{}", stdout(&functional));
    let bad = tessera(&[&base[..], &["--timing-only", "--save", "c=x.npy"]].concat());
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("--save needs values"), "{}", stderr(&bad));
}
