//! The Rust JIT API (`tessera::jit`) end to end: corpus kernels (softmax, vector_add,
//! matmul, helpers) built and launched through it and compared with plain-Rust
//! references; every error it reports (bad source, unknown kernel or const, missing or
//! out-of-range const, wrong argument count or type, a read-only buffer written, an
//! out-of-bounds access, an unchecked kernel launched checked); the specialization
//! cache (hits, misses, one compilation under concurrent builds); and that the README's
//! example is the module's doctest.

use std::sync::{Arc, Barrier};

use half::f16;
use tessera::jit::{
    Arg, CompileError, Engine, Kernel, LaunchError, LaunchOptions, OptLevel, Program,
};

fn corpus_path(file: &str) -> String {
    format!("{}/tests/kernels/ok/{file}", env!("CARGO_MANIFEST_DIR"))
}

fn corpus(engine: &Engine, file: &str) -> Program {
    engine.compile_file(corpus_path(file)).expect("corpus kernel compiles")
}

/// Small exact-in-f32 values: -3.0 ..= 3.0 in steps of 1 and 0.5.
fn values(n: usize, seed: usize) -> Vec<f32> {
    (0..n).map(|i| ((i * 7 + seed * 13) % 13) as f32 * 0.5 - 3.0).collect()
}

/// Builds `vector_add` with `BLOCK` = 16 (or unchecked), the kernel most error tests use.
fn vector_add(engine: &Engine, checked: bool) -> Kernel {
    let program = corpus(engine, "vector_add.tsr");
    let builder = program.kernel("vector_add").expect("kernel exists");
    builder.constant("BLOCK", 16).checked(checked).build().expect("vector_add builds")
}

// ---- corpus kernels against plain Rust ----

#[test]
fn softmax_matches_plain_rust() {
    let engine = Engine::new();
    let kernel = corpus(&engine, "softmax.tsr")
        .kernel("softmax")
        .unwrap()
        .constant("BLOCK", 128)
        .opt_level(OptLevel::O2)
        .build()
        .unwrap();
    let (rows, cols, stride) = (5usize, 100usize, 104usize);
    let x: Vec<f32> = (0..rows * stride).map(|i| ((i * 37) % 101) as f32 / 25.0 - 2.0).collect();
    let mut y = vec![0.0f32; rows * stride];
    let (n, s) = (cols as i32, stride as i32);
    kernel.launch([rows as u32, 1, 1], (&x[..], &mut y[..], n, s, s)).unwrap();
    for row in 0..rows {
        let v = &x[row * stride..row * stride + cols];
        let max = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let denominator: f32 = v.iter().map(|e| (e - max).exp()).sum();
        for (col, e) in v.iter().enumerate() {
            let expected = (e - max).exp() / denominator;
            let got = y[row * stride + col];
            // exp is within 2 ulp and the sum runs in a different order: 1e-5 relative.
            assert!(
                (got - expected).abs() <= 1e-5 * expected.abs(),
                "[{row}, {col}]: {got} vs {expected}"
            );
        }
        assert!(
            y[row * stride + cols..(row + 1) * stride].iter().all(|&e| e == 0.0),
            "padding written"
        );
    }
}

#[test]
fn vector_add_matches_plain_rust_with_a_vec_of_args() {
    let engine = Engine::new();
    let kernel = corpus(&engine, "vector_add.tsr")
        .kernel("vector_add")
        .unwrap()
        .constant("BLOCK", 256)
        .build()
        .unwrap();
    let n = 1000;
    let (x, y) = (values(n, 1), values(n, 2));
    let mut z = vec![0.0f32; n];
    let mut args = vec![Arg::from(&x[..]), Arg::from(&y), Arg::from(&mut z), Arg::from(n as i32)];
    kernel.launch_args([n.div_ceil(256) as u32, 1, 1], &mut args).unwrap();
    drop(args);
    let expected: Vec<f32> = x.iter().zip(&y).map(|(a, b)| a + b).collect();
    assert_eq!(z, expected);
}

#[test]
fn matmul_matches_plain_rust_exactly_on_small_integers() {
    let engine = Engine::new();
    let kernel = corpus(&engine, "matmul.tsr")
        .kernel("matmul")
        .unwrap()
        .constant("BLOCK_M", 16)
        .constant("BLOCK_N", 16)
        .constant("BLOCK_K", 16)
        .build()
        .unwrap();
    let (m, n, k) = (37usize, 29usize, 45usize);
    let (a, b) = (values(m * k, 3), values(k * n, 4));
    let mut c = vec![f32::NAN; m * n];
    let dims = (m as i32, n as i32, k as i32);
    let grid = [m.div_ceil(16) as u32, n.div_ceil(16) as u32, 1];
    let args = (
        &a[..],
        &b[..],
        &mut c[..],
        dims.0,
        dims.1,
        dims.2,
        dims.2,
        1i32,
        dims.1,
        1i32,
        dims.1,
        1i32,
    );
    kernel.launch_with(grid, args, &LaunchOptions { threads: 2, check_asserts: true }).unwrap();
    // Products and partial sums of halves up to 45 * 9 are exact in f32: any order agrees.
    for i in 0..m {
        for j in 0..n {
            let expected: f32 = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
            assert_eq!(c[i * n + j], expected, "c[{i}, {j}]");
        }
    }
}

#[test]
fn helpers_are_inlined_at_every_opt_level() {
    let engine = Engine::new();
    let program = corpus(&engine, "helpers.tsr");
    assert!(program.kernel_names().contains(&"clamp_i32"));
    let x: Vec<i32> = (0..300).map(|i| i * 7 % 200 - 100).collect();
    let expected: Vec<i32> = x.iter().map(|v| (*v).clamp(-20, 30)).collect();
    for level in [OptLevel::O0, OptLevel::O1, OptLevel::O2, OptLevel::O3] {
        let kernel = program
            .kernel("clamp_i32")
            .unwrap()
            .constant("BLOCK", 128)
            .opt_level(level)
            .build()
            .unwrap();
        let mut y = vec![0i32; x.len()];
        kernel.launch([3, 1, 1], (&x, &mut y, 300i32, -20i32, 30i32)).unwrap();
        assert_eq!(y, expected, "at {level:?}");
    }
}

#[test]
fn half_buffers_and_bool_scalars_map_to_their_types() {
    let source = "kernel negate_if(x: *f16, y: *f16, n: i32, flip: bool) {
        let i = arange(0, 8);
        let v = load(x + i, mask: i < n);
        store(y + i, where(flip, -v, v), mask: i < n);
    }";
    let kernel =
        Engine::new().compile_str(source).unwrap().kernel("negate_if").unwrap().build().unwrap();
    let x: Vec<f16> = (0..8).map(|i| f16::from_f32(i as f32 * 0.25)).collect();
    let mut y = vec![f16::ZERO; 8];
    kernel.launch([1, 1, 1], (&x, &mut y, 8i32, true)).unwrap();
    assert_eq!(y, x.iter().map(|v| -*v).collect::<Vec<_>>());
}

/// A store whose data is its own mask: the mask is turned into extents for the store
/// and is also the stored data, so the CPU must still compute it.
#[test]
fn a_mask_stored_under_itself_is_computed() {
    let source = "kernel store_mask(out: *bool, n: i32) {
        let i = arange(0, 16);
        let m = i < n;
        store(out + i, m, mask: m);
    }";
    let kernel =
        Engine::new().compile_str(source).unwrap().kernel("store_mask").unwrap().build().unwrap();
    let mut out = vec![false; 16];
    kernel.launch([1, 1, 1], (&mut out[..], 5i32)).unwrap();
    let want: Vec<bool> = (0..16).map(|k| k < 5).collect();
    assert_eq!(out, want);
}

#[test]
fn kernels_describe_their_parameters_and_specialization() {
    let kernel = vector_add(&Engine::new(), true);
    assert_eq!(kernel.name(), "vector_add");
    assert_eq!(kernel.specialization(), [("BLOCK".to_string(), 16)]);
    let described: Vec<String> = kernel
        .params()
        .iter()
        .map(|p| format!("{}: {} writes={}", p.name, p.ty, p.writes))
        .collect();
    assert_eq!(
        described,
        [
            "x: ptr<f32> writes=false",
            "y: ptr<f32> writes=false",
            "z: ptr<f32> writes=true",
            "n: i32 writes=false"
        ]
    );
    assert!(kernel.is_checked());
}

// ---- errors ----

#[test]
fn bad_source_is_rendered_diagnostics() {
    let engine = Engine::new();
    let err = engine.compile_str("kernel k(x: *f32) { let y = x + 1.5; }").unwrap_err();
    let CompileError::Diagnostics { rendered, diagnostics } = &err else { panic!("{err:?}") };
    assert!(!diagnostics.is_empty());
    assert!(rendered.contains("error[E") && rendered.contains("<string>:1:"), "{rendered}");
    assert_eq!(err.to_string(), *rendered);
    let err = engine.compile_file("no/such/file.tsr").unwrap_err();
    assert!(matches!(err, CompileError::Io { .. }), "{err:?}");
    assert!(err.to_string().starts_with("cannot read `no/such/file.tsr`"), "{err}");
}

#[test]
fn unknown_kernel_lists_the_available_ones() {
    let program = corpus(&Engine::new(), "softmax.tsr");
    let err = program.kernel("softmx").unwrap_err();
    let CompileError::UnknownKernel { name, available } = &err else { panic!("{err:?}") };
    assert_eq!(
        (name.as_str(), available.as_slice()),
        ("softmx", ["softmax".to_string()].as_slice())
    );
    assert_eq!(err.to_string(), "no kernel named `softmx` (kernels: softmax)");
}

#[test]
fn unknown_or_runtime_const_names_are_errors() {
    let program = corpus(&Engine::new(), "softmax.tsr");
    for name in ["BLOK", "n_cols"] {
        let err = program.kernel("softmax").unwrap().constant(name, 128).build().unwrap_err();
        let CompileError::UnknownConst { name: got, available, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!((got.as_str(), available.as_slice()), (name, ["BLOCK".to_string()].as_slice()));
        let expected =
            format!("kernel `softmax` has no const parameter `{name}` (const parameters: BLOCK)");
        assert_eq!(err.to_string(), expected);
    }
}

#[test]
fn const_values_out_of_range_and_failed_specializations_are_errors() {
    let program = corpus(&Engine::new(), "softmax.tsr");
    let err = program.kernel("softmax").unwrap().constant("BLOCK", 1i64 << 40).build().unwrap_err();
    assert!(
        matches!(&err, CompileError::BadConst { param, ty, .. } if param == "BLOCK" && ty == "i32"),
        "{err:?}"
    );
    // A value the kernel's body rejects (arange needs end > start) is a diagnostic.
    let err = program.kernel("softmax").unwrap().constant("BLOCK", 0).build().unwrap_err();
    assert!(
        matches!(&err, CompileError::Diagnostics { rendered, .. } if rendered.contains("softmax.tsr")),
        "{err:?}"
    );
}

#[test]
fn a_const_without_default_must_be_given() {
    let source =
        "kernel iota(y: *i32, const N: i32) { let i = arange(0, N); store(y + i, i * 2); }";
    let program = Engine::new().compile_str(source).unwrap();
    let err = program.kernel("iota").unwrap().build().unwrap_err();
    assert!(
        matches!(&err, CompileError::MissingConst { kernel, param } if kernel == "iota" && param == "N"),
        "{err:?}"
    );
    assert!(err.to_string().contains("`N` has no default"), "{err}");
    let kernel = program.kernel("iota").unwrap().constant("N", 6).build().unwrap();
    let mut y = vec![0i32; 6];
    kernel.launch([1, 1, 1], (&mut y,)).unwrap();
    assert_eq!(y, [0, 2, 4, 6, 8, 10]);
}

#[test]
fn wrong_argument_count_is_an_error() {
    let kernel = vector_add(&Engine::new(), true);
    let (x, y, mut z) = (vec![0.0f32; 4], vec![0.0f32; 4], vec![0.0f32; 4]);
    let err = kernel.launch([1, 1, 1], (&x, &y, &mut z)).unwrap_err();
    assert!(matches!(err, LaunchError::ArgCount { expected: 4, got: 3, .. }), "{err:?}");
    assert_eq!(err.to_string(), "kernel `vector_add` takes 4 arguments (x, y, z, n), 3 given");
}

#[test]
fn wrong_argument_types_name_the_parameter() {
    let kernel = vector_add(&Engine::new(), true);
    let (x, y, mut z) = (vec![0i32; 4], vec![0.0f32; 4], vec![0.0f32; 4]);
    let err = kernel.launch([1, 1, 1], (&x, &y, &mut z, 4i32)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "kernel `vector_add`: argument 0 (`x`): expected *f32, got a buffer of i32"
    );
    let err = kernel.launch([1, 1, 1], (&y, &y, &mut z, 4i64)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "kernel `vector_add`: argument 3 (`n`): expected i32, got a scalar of i64"
    );
    let err = kernel.launch([1, 1, 1], (&y, 1.0f32, &mut z, 4i32)).unwrap_err();
    let LaunchError::ArgType { param, expected, got, .. } = err else { panic!() };
    assert_eq!((param.as_str(), expected.as_str(), got.as_str()), ("y", "*f32", "a scalar of f32"));
}

#[test]
fn a_read_only_buffer_for_a_written_parameter_is_refused_before_launch() {
    let kernel = vector_add(&Engine::new(), true);
    let (x, y, z) = (vec![1.0f32; 4], vec![2.0f32; 4], vec![0.0f32; 4]);
    let err = kernel.launch([1, 1, 1], (&x, &y, &z[..], 4i32)).unwrap_err();
    assert!(
        matches!(&err, LaunchError::ReadOnly { param, index: 2, .. } if param == "z"),
        "{err:?}"
    );
    assert!(err.to_string().contains("may write through `z`"), "{err}");
    assert_eq!(z, [0.0; 4], "nothing ran");
    // Writable buffers for read-only parameters are fine.
    let (mut x, mut y, mut z) = (x, y, z);
    kernel.launch([1, 1, 1], (&mut x, &mut y, &mut z, 4i32)).unwrap();
    assert_eq!(z, [3.0; 4]);
}

#[test]
fn out_of_bounds_accesses_name_kernel_line_and_index() {
    let kernel = vector_add(&Engine::new(), true);
    let (x, y, mut z) = (vec![1.0f32; 8], vec![2.0f32; 8], vec![0.0f32; 8]);
    let err = kernel.launch([4, 1, 1], (&x, &y, &mut z, 64i32)).unwrap_err();
    let LaunchError::Target(tessera_cpu::LaunchError::OutOfBounds {
        kernel: name,
        line,
        index,
        buffer,
        ..
    }) = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!((name.as_str(), *line, *index, buffer.as_str()), ("vector_add", 6, 8, "x"));
    let message = err.to_string();
    assert!(message.contains("`vector_add`, line 6") && message.contains("[8]"), "{message}");
    let err = kernel.launch([0, 1, 1], (&x, &y, &mut z, 8i32)).unwrap_err();
    assert!(matches!(err, LaunchError::Target(tessera_cpu::LaunchError::BadGrid(_))), "{err:?}");
}

#[test]
fn failed_device_asserts_are_forwarded_unless_turned_off() {
    let kernel = corpus(&Engine::new(), "softmax.tsr")
        .kernel("softmax")
        .unwrap()
        .constant("BLOCK", 128)
        .build()
        .unwrap();
    let x = values(200, 7);
    let mut y = vec![0.0f32; 200];
    let err = kernel.launch([1, 1, 1], (&x, &mut y, 200i32, 200i32, 200i32)).unwrap_err();
    let LaunchError::Target(tessera_cpu::LaunchError::AssertFailed { kernel: name, line, .. }) =
        &err
    else {
        panic!("{err:?}")
    };
    assert_eq!((name.as_str(), *line), ("softmax", 6));
    // Without assert checks the row is cut at BLOCK, which is in bounds here.
    let options = LaunchOptions { threads: 1, check_asserts: false };
    kernel.launch_with([1, 1, 1], (&x, &mut y, 200i32, 200i32, 200i32), &options).unwrap();
    let head_sum: f32 = y[..128].iter().sum();
    assert!((head_sum - 1.0).abs() < 1e-5, "{head_sum}");
}

#[test]
fn unchecked_kernels_launch_only_unchecked() {
    let kernel = vector_add(&Engine::new(), false);
    assert!(!kernel.is_checked());
    let (x, y, mut z) = (values(40, 5), values(40, 6), vec![0.0f32; 40]);
    let err = kernel.launch([3, 1, 1], (&x, &y, &mut z, 40i32)).unwrap_err();
    assert!(matches!(err, LaunchError::Unchecked { .. }), "{err:?}");
    // SAFETY: 3 programs of 16 lanes, masked to the 40 elements every buffer has.
    unsafe { kernel.launch_unchecked([3, 1, 1], (&x, &y, &mut z, 40i32)) }.unwrap();
    assert_eq!(z, x.iter().zip(&y).map(|(a, b)| a + b).collect::<Vec<_>>());
    // Argument checks still apply.
    // SAFETY: refused before anything runs.
    let err = unsafe { kernel.launch_unchecked([3, 1, 1], (&x, &y, &z, 40i32)) }.unwrap_err();
    assert!(matches!(err, LaunchError::ReadOnly { .. }), "{err:?}");
}

// ---- the cache ----

#[test]
fn the_same_specialization_is_compiled_once() {
    let engine = Engine::new();
    let program = corpus(&engine, "vector_add.tsr");
    program.kernel("vector_add").unwrap().build().unwrap();
    assert_eq!(engine.cache_stats(), (0, 1));
    // Spelling out the default is the same specialization; so is the same text
    // compiled again as another program.
    program.kernel("vector_add").unwrap().constant("BLOCK", 1024).build().unwrap();
    let again = engine.compile_str(program.source()).unwrap();
    again.kernel("vector_add").unwrap().build().unwrap();
    assert_eq!(engine.cache_stats(), (2, 1));
}

#[test]
fn different_consts_options_or_sources_are_compiled_separately() {
    let engine = Engine::new();
    let program = corpus(&engine, "vector_add.tsr");
    let builder = program.kernel("vector_add").unwrap();
    builder.clone().constant("BLOCK", 64).build().unwrap();
    builder.clone().constant("BLOCK", 128).build().unwrap();
    assert_eq!(engine.cache_stats(), (0, 2));
    builder.clone().constant("BLOCK", 64).opt_level(OptLevel::O1).build().unwrap();
    builder.clone().constant("BLOCK", 64).checked(false).build().unwrap();
    let edited = format!("{}\n", program.source());
    engine
        .compile_str(&edited)
        .unwrap()
        .kernel("vector_add")
        .unwrap()
        .constant("BLOCK", 64)
        .build()
        .unwrap();
    assert_eq!(engine.cache_stats(), (0, 5));
    // Another engine has its own cache.
    let other = Engine::new();
    other
        .compile_str(program.source())
        .unwrap()
        .kernel("vector_add")
        .unwrap()
        .constant("BLOCK", 64)
        .build()
        .unwrap();
    assert_eq!((engine.cache_stats(), other.cache_stats()), ((0, 5), (0, 1)));
    engine.clear_cache();
    builder.constant("BLOCK", 64).build().unwrap();
    assert_eq!(engine.cache_stats(), (0, 6));
}

#[test]
fn failed_specializations_are_cached_too() {
    let engine = Engine::new();
    let program = corpus(&engine, "softmax.tsr");
    for _ in 0..2 {
        let err = program.kernel("softmax").unwrap().constant("BLOCK", -4).build().unwrap_err();
        assert!(matches!(err, CompileError::Diagnostics { .. }), "{err:?}");
    }
    assert_eq!(engine.cache_stats(), (1, 1));
}

#[test]
fn concurrent_builds_compile_once() {
    let engine = Engine::new();
    let program = corpus(&engine, "matmul.tsr");
    let start = Arc::new(Barrier::new(4));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (program, start) = (program.clone(), Arc::clone(&start));
            std::thread::spawn(move || {
                start.wait();
                program.kernel("matmul").unwrap().constant("BLOCK_M", 32).build().unwrap()
            })
        })
        .collect();
    let kernels: Vec<Kernel> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(engine.cache_stats(), (3, 1));
    assert!(kernels.iter().all(|k| k.specialization() == kernels[0].specialization()));
}

#[test]
fn kernels_are_send_sync_and_launch_from_several_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Kernel>();
    assert_send_sync::<Engine>();
    assert_send_sync::<Program>();
    assert_send_sync::<Arg<'static>>();
    let kernel = vector_add(&Engine::new(), true);
    std::thread::scope(|scope| {
        for seed in 0..3 {
            let kernel = kernel.clone();
            scope.spawn(move || {
                let (x, y) = (values(50, seed), values(50, seed + 1));
                let mut z = vec![0.0f32; 50];
                kernel.launch([4, 1, 1], (&x, &y, &mut z, 50i32)).unwrap();
                assert_eq!(z, x.iter().zip(&y).map(|(a, b)| a + b).collect::<Vec<_>>());
            });
        }
    });
}

// ---- docs ----

#[test]
fn the_readme_example_is_the_module_doctest() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let section =
        readme.split("## Rust JIT API").nth(1).expect("README has a Rust JIT API section");
    let readme_code = section.split("```rust\n").nth(1).and_then(|s| s.split("```").next());
    let module = std::fs::read_to_string(format!("{root}/src/jit.rs")).unwrap();
    let doc: String = module
        .lines()
        .filter_map(|l| l.strip_prefix("//!"))
        .map(|l| format!("{}\n", l.strip_prefix(' ').unwrap_or(l)))
        .collect();
    let doc_code = doc.split("```\n").nth(1);
    assert!(
        doc_code.is_some() && readme_code == doc_code,
        "README:\n{readme_code:?}\ndoctest:\n{doc_code:?}"
    );
}
