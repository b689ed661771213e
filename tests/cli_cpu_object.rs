//! End-to-end tests of `tessera build --target cpu`: corpus kernels built into objects
//! with C headers, linked by the system C compiler (`cc`) with `libtessera_rt.a` into C
//! programs that run them on 1 and on 2 threads, compared bit for bit with the reference
//! interpreter on the same inputs (one LCG, written out in C and in Rust), or within the
//! corpus tolerance where a kernel computes f32 math functions. Checked
//! objects must report out-of-bounds accesses and failed `device_assert`s with their
//! source line; unchecked ones keep the same C signatures.
//!
//! Without `cc` on PATH these tests fail, unless TESSERA_SKIP_CC=1. They never build
//! `libtessera_rt.a` themselves: tessera-rt is a staticlib workspace member and a
//! dependency of the binary under test, so cargo has built it next to that binary.

mod common;

use common::{scratch_dir, stderr, stdout, tessera};
use half::f16;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use tessera::frontend::{compile, render, CompileOptions};
use tessera::ir::interp::{run_kernel, Buffer, KernelArg, LaunchOptions, Scalar};

/// A buffer's element type, in the kernels below.
#[derive(Clone, Copy, Debug)]
enum Elem {
    F32,
    F16,
    I32,
}

/// How a buffer is filled, from an LCG seeded per parameter.
#[derive(Clone, Copy, Debug)]
enum Init {
    /// f32: uniform in [-1, 1) on a 2^-23 grid; f16: random bits of moderate magnitude.
    Random,
    /// i32 uniform in [lo, hi).
    Ints(i32, i32),
    Fill(i32),
}

/// One kernel argument.
#[derive(Clone, Copy, Debug)]
enum Arg {
    Buffer { elem: Elem, len: usize, init: Init },
    I32(i32),
    F32(f32),
}

/// One launch of one corpus kernel.
struct Case {
    file: &'static str,
    kernel: &'static str,
    /// Build every kernel of the file (not only `kernel`) into the object.
    whole_file: bool,
    defines: &'static [(&'static str, i64)],
    grid: [u32; 3],
    args: Vec<Arg>,
}

fn buffer(elem: Elem, len: usize, init: Init) -> Arg {
    Arg::Buffer { elem, len, init }
}

fn cases() -> Vec<Case> {
    use Elem::{F16, F32, I32};
    use Init::{Fill, Ints, Random};
    let (rows, cols) = (37u32, 100i32);
    let (m, n, k) = (33, 40, 50);
    vec![
        Case {
            file: "vector_add.tsr",
            kernel: "vector_add",
            whole_file: false,
            defines: &[("BLOCK", 64)],
            grid: [16, 1, 1],
            args: vec![
                buffer(F32, 1000, Random),
                buffer(F32, 1000, Random),
                buffer(F32, 1000, Fill(0)),
                Arg::I32(1000),
            ],
        },
        Case {
            file: "softmax.tsr",
            kernel: "softmax",
            whole_file: false,
            defines: &[("BLOCK", 128)],
            grid: [rows, 1, 1],
            args: vec![
                buffer(F32, rows as usize * cols as usize, Random),
                buffer(F32, rows as usize * cols as usize, Fill(0)),
                Arg::I32(cols),
                Arg::I32(cols),
                Arg::I32(cols),
            ],
        },
        Case {
            file: "matmul.tsr",
            kernel: "matmul",
            whole_file: false,
            defines: &[("BLOCK_M", 16), ("BLOCK_N", 16), ("BLOCK_K", 16)],
            grid: [3, 3, 1],
            args: vec![
                buffer(F32, (m * k) as usize, Random),
                buffer(F32, (k * n) as usize, Random),
                buffer(F32, (m * n) as usize, Fill(0)),
                Arg::I32(m),
                Arg::I32(n),
                Arg::I32(k),
                Arg::I32(k),
                Arg::I32(1),
                Arg::I32(n),
                Arg::I32(1),
                Arg::I32(n),
                Arg::I32(1),
            ],
        },
        Case {
            file: "matmul_f16.tsr",
            kernel: "matmul_f16",
            whole_file: false,
            defines: &[("BLOCK_M", 16), ("BLOCK_N", 16), ("BLOCK_K", 16), ("GROUP_M", 2)],
            grid: [9, 1, 1],
            args: vec![
                buffer(F16, (m * k) as usize, Random),
                buffer(F16, (k * n) as usize, Random),
                buffer(F16, (m * n) as usize, Fill(0)),
                Arg::I32(m),
                Arg::I32(n),
                Arg::I32(k),
                Arg::I32(k),
                Arg::I32(1),
                Arg::I32(n),
                Arg::I32(1),
                Arg::I32(n),
                Arg::I32(1),
            ],
        },
        Case {
            file: "histogram.tsr",
            kernel: "histogram",
            whole_file: true,
            defines: &[("BLOCK", 256)],
            grid: [12, 1, 1],
            args: vec![
                buffer(F32, 3000, Random),
                buffer(I32, 17, Fill(0)),
                Arg::I32(3000),
                Arg::I32(17),
                Arg::F32(-0.75),
                Arg::F32(0.5),
            ],
        },
        Case {
            file: "histogram.tsr",
            kernel: "scatter_max",
            whole_file: true,
            defines: &[("BLOCK", 256)],
            grid: [8, 1, 1],
            args: vec![
                buffer(I32, 2000, Ints(-1000, 1000)),
                buffer(I32, 2000, Ints(0, 50)),
                buffer(I32, 50, Fill(i32::MIN)),
                Arg::I32(2000),
            ],
        },
    ]
}

/// Every case's outputs, from the C program on 1 and on 2 threads, equal the
/// interpreter's bit for bit — except where the kernel computes an f32 math function
/// (softmax's `exp`), whose CPU code is our polynomials (within 2 ulp): those f32
/// outputs agree within `tests/interp_corpus`'s stated tolerance (1e-5 relative plus
/// 3e-5 of the buffer's largest magnitude).
#[test]
fn objects_match_the_interpreter() {
    let Some(toolchain) = Toolchain::find() else { return };
    let dir = scratch_dir("cpu-object");
    for case in cases() {
        let name = format!("{}-{}", case.kernel, if case.whole_file { "all" } else { "one" });
        let object = build_object(&dir, &name, &case, &[]);
        let program = dir.join(format!("{name}.c"));
        std::fs::write(&program, c_program(&name, &case)).unwrap();
        let exe = toolchain.link(&dir, &program, &[object]);
        let run = Command::new(&exe).arg(dir.join(&name)).output().unwrap();
        assert!(run.status.success(), "{name}: {}{}", stdout(&run), stderr(&run));
        let want = interpreter_outputs(&case);
        for threads in [1, 2] {
            let got = std::fs::read(dir.join(format!("{name}-{threads}.bin"))).unwrap();
            let what = format!("{name} on {threads} threads");
            if F32_MATH_KERNELS.contains(&case.kernel) {
                compare_f32_close(&what, &got, &want);
            } else {
                compare(&what, &got, &want);
            }
        }
    }
}

/// A checked object reports a short buffer and a failed device_assert with their source
/// line, the same on 1 and 2 threads; an unchecked one has the same signatures, the same
/// results, and does not check device_asserts. Two headers go into one C file.
#[test]
fn checked_objects_report_errors_with_source_lines() {
    let Some(toolchain) = Toolchain::find() else { return };
    let dir = scratch_dir("cpu-object-errors");
    let cases = cases();
    let (vector_add, softmax) = (&cases[0], &cases[1]);
    let mut objects = Vec::new();
    for unchecked in [false, true] {
        let flags: &[&str] = if unchecked { &["--unchecked"] } else { &[] };
        let suffix = if unchecked { "unchecked" } else { "checked" };
        objects.push(build_object(&dir, &format!("vector_add_{suffix}"), vector_add, flags));
        objects.push(build_object(&dir, &format!("softmax_{suffix}"), softmax, flags));
    }
    let header = std::fs::read_to_string(dir.join("vector_add_unchecked.h")).unwrap();
    assert!(header.contains("Unchecked build (--unchecked)"), "{header}");
    let prototype = |file: &str| {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let start = text.find("int32_t vector_add(").unwrap();
        let end = start + text[start..].find(");").unwrap();
        text[start..end].to_string()
    };
    assert_eq!(prototype("vector_add_checked.h"), prototype("vector_add_unchecked.h"));
    for (index, object) in objects.iter().enumerate() {
        let program = dir.join(format!("errors{index}.c"));
        let checked = index < 2;
        let header = object.with_extension("h");
        let text = error_program(&header, index % 2 == 0);
        std::fs::write(&program, text).unwrap();
        let exe = toolchain.link(&dir, &program, std::slice::from_ref(object));
        let run = Command::new(&exe).output().unwrap();
        let text = stdout(&run);
        eprintln!("{}:\n{text}", object.display());
        assert!(run.status.success(), "{text}{}", stderr(&run));
        let want: &[&str] = match (checked, index % 2 == 0) {
            (true, true) => &[
                "threads 1: code 1 (load out of bounds) at 6:13, buffer 0, index 999, program 15 0 0",
                "threads 2: code 1 (load out of bounds) at 6:13, buffer 0, index 999, program 15 0 0",
            ],
            (true, false) => &[
                "threads 1: code 4 (device_assert failed) at 6:5, buffer 0, index 0, program 0 0 0",
                "threads 2: code 4 (device_assert failed) at 6:5, buffer 0, index 0, program 0 0 0",
            ],
            (false, true) => &["threads 1: code 0 (ok)", "threads 2: code 0 (ok)"],
            (false, false) => &["threads 1: code 0 (ok)", "threads 2: code 0 (ok)"],
        };
        for line in want {
            assert!(text.contains(line), "missing {line:?} in:\n{text}");
        }
    }
    // Both headers in one C file, and the unchecked vector_add matches the interpreter.
    let both = dir.join("both.c");
    let source = c_program("vector_add_unchecked", vector_add).replace(
        "#include \"vector_add_unchecked.h\"",
        "#include \"vector_add_unchecked.h\"\n#include \"softmax_unchecked.h\"",
    );
    std::fs::write(&both, source).unwrap();
    let exe = toolchain.link(&dir, &both, &[objects[2].clone()]);
    let run = Command::new(&exe).arg(dir.join("both")).output().unwrap();
    assert!(run.status.success(), "{}{}", stdout(&run), stderr(&run));
    let got = std::fs::read(dir.join("both-2.bin")).unwrap();
    compare("unchecked vector_add", &got, &interpreter_outputs(vector_add));
}

/// `build --target cpu` rejects what only the PE grid takes, and a kernel name C cannot
/// export.
#[test]
fn build_cpu_rejects_bad_requests() {
    let dir = scratch_dir("cpu-object-bad");
    let out = dir.join("k.o");
    let vector_add = "tests/kernels/ok/vector_add.tsr";
    let footprint = tessera(&[
        "build",
        "--target",
        "cpu",
        vector_add,
        "-o",
        out.to_str().unwrap(),
        "--footprint",
    ]);
    assert!(!footprint.status.success());
    assert!(stderr(&footprint).contains("--footprint applies to --target pegrid only"));
    let header =
        tessera(&["build", "--target", "pegrid", vector_add, "-o", "k.peo", "--header", "k.h"]);
    assert!(!header.status.success());
    assert!(stderr(&header).contains("--header and --unchecked apply to --target cpu only"));
    let source = dir.join("main.tsr");
    std::fs::write(&source, "kernel main(x: *f32) { store(x, 1.0); }\n").unwrap();
    let reserved = tessera(&[
        "build",
        "--target",
        "cpu",
        source.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(!reserved.status.success());
    assert!(stderr(&reserved).contains("`main` is reserved"), "{}", stderr(&reserved));
}

/// The C compiler and the runtime library.
struct Toolchain {
    runtime: PathBuf,
}

impl Toolchain {
    /// `cc` and `libtessera_rt.a`; `None` (skip) only when there is no `cc` and
    /// TESSERA_SKIP_CC=1.
    fn find() -> Option<Toolchain> {
        let cc = Command::new("cc").arg("--version").output();
        if !cc.is_ok_and(|out| out.status.success()) {
            if std::env::var("TESSERA_SKIP_CC").is_ok_and(|v| v == "1") {
                eprintln!("skipped: no C compiler (`cc`) on PATH and TESSERA_SKIP_CC=1");
                return None;
            }
            panic!(
                "these tests link objects into C programs and need a C compiler, but `cc` \
                 is not on PATH; install one (gcc or clang) or set TESSERA_SKIP_CC=1 to skip"
            );
        }
        Some(Toolchain { runtime: runtime_library() })
    }

    /// Compiles and links `program` with `objects` and the runtime; returns the
    /// executable.
    fn link(&self, dir: &Path, program: &Path, objects: &[PathBuf]) -> PathBuf {
        let exe = program.with_extension("exe");
        let out = Command::new("cc")
            .args(["-std=c11", "-O1", "-Wall", "-Wextra", "-Werror", "-I"])
            .arg(dir)
            .arg(program)
            .args(objects)
            .arg(&self.runtime)
            .args(["-lpthread", "-ldl", "-lm", "-o"])
            .arg(&exe)
            .output()
            .unwrap();
        assert!(out.status.success(), "cc {}: {}", program.display(), stderr(&out));
        exe
    }
}

/// `libtessera_rt.a` as cargo built it for the binary under test: next to it, or (not
/// uplifted, as a dependency) in its `deps/` with a hash; the newest one.
fn runtime_library() -> PathBuf {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_tessera")).parent().unwrap().to_path_buf();
    let mut candidates = vec![bin_dir.join("libtessera_rt.a")];
    if let Ok(entries) = std::fs::read_dir(bin_dir.join("deps")) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("libtessera_rt-") && name.ends_with(".a") {
                candidates.push(entry.path());
            }
        }
    }
    let newest = candidates
        .into_iter()
        .filter_map(|path| Some((std::fs::metadata(&path).ok()?.modified().ok()?, path)))
        .max_by_key(|(modified, _)| *modified);
    let Some((_, path)) = newest else {
        panic!(
            "libtessera_rt.a is not in {} or its deps/: cargo builds it with the tessera \
             binary (tessera-rt is a staticlib dependency); run the tests through cargo",
            bin_dir.display()
        );
    };
    path
}

/// Builds `case` into `<dir>/<name>.o` and `<name>.h` with extra `flags`.
fn build_object(dir: &Path, name: &str, case: &Case, flags: &[&str]) -> PathBuf {
    let object = dir.join(format!("{name}.o"));
    let header = dir.join(format!("{name}.h"));
    let file = format!("tests/kernels/ok/{}", case.file);
    let mut args = vec!["build".to_string(), "--target".into(), "cpu".into(), file];
    if !case.whole_file {
        args.extend(["--kernel".into(), case.kernel.into()]);
    }
    for (name, value) in case.defines {
        args.extend(["-D".into(), format!("{name}={value}")]);
    }
    args.extend(["-o".into(), object.display().to_string()]);
    args.extend(["--header".into(), header.display().to_string()]);
    args.extend(flags.iter().map(|f| f.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = tessera(&args);
    assert!(out.status.success(), "build {name}: {}", stderr(&out));
    assert!(stdout(&out).contains("wrote"), "{}", stdout(&out));
    object
}

/// The LCG and fill functions, in C.
const C_PRELUDE: &str = r#"#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t lcg_state;

static inline uint64_t lcg_next(void) {
    lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return lcg_state;
}

static inline void fill_f32(float *p, size_t n, uint64_t seed) {
    lcg_state = seed;
    for (size_t i = 0; i < n; i++) {
        uint64_t s = lcg_next();
        p[i] = (float)((int32_t)(s >> 40) - 8388608) * (1.0f / 8388608.0f);
    }
}

static inline void fill_f16(uint16_t *p, size_t n, uint64_t seed) {
    lcg_state = seed;
    for (size_t i = 0; i < n; i++) {
        uint64_t s = lcg_next();
        p[i] = (uint16_t)(((s >> 63) << 15) | ((10 + (s >> 40) % 8) << 10) | ((s >> 20) & 0x3ff));
    }
}

static inline void fill_i32(int32_t *p, size_t n, uint64_t seed, int32_t lo, int32_t hi) {
    lcg_state = seed;
    for (size_t i = 0; i < n; i++) {
        uint64_t s = lcg_next();
        p[i] = (int32_t)((int64_t)lo + (int64_t)((s >> 33) % (uint64_t)((int64_t)hi - lo)));
    }
}

static inline float f32_from_bits(uint32_t bits) {
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static inline void check(int ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "failed: %s\n", what);
        exit(2);
    }
}
"#;

/// The LCG, in Rust (as in C).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0
    }
}

/// The seed of parameter `index`.
fn seed(index: usize) -> u64 {
    1000 + index as u64
}

fn c_type(elem: Elem) -> &'static str {
    match elem {
        Elem::F32 => "float",
        Elem::F16 => "uint16_t",
        Elem::I32 => "int32_t",
    }
}

/// C statements that allocate and fill argument `index` as `a<index>`.
fn c_fill(index: usize, elem: Elem, len: usize, init: Init) -> String {
    let ty = c_type(elem);
    let seed = seed(index);
    let alloc = format!(
        "{ty} *a{index} = malloc({len} * sizeof({ty})); check(a{index} != NULL, \"malloc\");\n"
    );
    let fill = match (elem, init) {
        (Elem::F32, Init::Random) => format!("fill_f32(a{index}, {len}, {seed}ULL);"),
        (Elem::F16, Init::Random) => format!("fill_f16(a{index}, {len}, {seed}ULL);"),
        (Elem::I32, Init::Ints(lo, hi)) => {
            format!("fill_i32(a{index}, {len}, {seed}ULL, {lo}, {hi});")
        }
        (_, Init::Fill(value)) => {
            format!("for (size_t i = 0; i < {len}; i++) a{index}[i] = ({ty}){value}LL;")
        }
        (elem, init) => panic!("no fill for {elem:?} with {init:?}"),
    };
    format!("        {alloc}        {fill}\n")
}

/// A C program that runs `case` on 1 and on 2 threads, writing every buffer after each
/// run to `<argv[1]>-<threads>.bin`.
fn c_program(name: &str, case: &Case) -> String {
    let mut body = String::new();
    let mut call = Vec::new();
    let mut outputs = String::new();
    for (index, arg) in case.args.iter().enumerate() {
        match *arg {
            Arg::Buffer { elem, len, init } => {
                body.push_str(&c_fill(index, elem, len, init));
                call.push(format!("a{index}, {len}"));
                let ty = c_type(elem);
                let _ = writeln!(
                    outputs,
                    "        check(fwrite(a{index}, sizeof({ty}), {len}, f) == {len}, \"fwrite\");"
                );
                let _ = writeln!(outputs, "        free(a{index});");
            }
            Arg::I32(value) => call.push(format!("{value}")),
            Arg::F32(value) => call.push(format!("f32_from_bits({}u)", value.to_bits())),
        }
    }
    let [x, y, z] = case.grid;
    format!(
        "#include \"{name}.h\"\n{C_PRELUDE}\n\
         int main(int argc, char **argv) {{\n    \
             check(argc == 2, \"usage: prog OUT_PREFIX\");\n    \
             for (uint32_t threads = 1; threads <= 2; threads++) {{\n\
         {body}        \
                 tessera_error err;\n        \
                 int32_t rc = {kernel}({args}, {x}, {y}, {z}, threads, &err);\n        \
                 printf(\"threads %u: code %d (%s)\\n\", threads, rc, tessera_rt_strerror(rc));\n        \
                 check(rc == TESSERA_OK && err.code == 0, \"launch\");\n        \
                 char path[4096];\n        \
                 snprintf(path, sizeof path, \"%s-%u.bin\", argv[1], threads);\n        \
                 FILE *f = fopen(path, \"wb\");\n        \
                 check(f != NULL, \"fopen\");\n\
         {outputs}        \
                 check(fclose(f) == 0, \"fclose\");\n    \
             }}\n    \
             return 0;\n\
         }}\n",
        kernel = case.kernel,
        args = call.join(", "),
    )
}

/// A C program that launches the kernel of `header` with a failing argument (vector_add:
/// `x` one element short; softmax: a row longer than BLOCK, with strides that keep every
/// access in bounds) on 1 and 2 threads, and prints the error.
fn error_program(header: &Path, vector_add: bool) -> String {
    let name = header.file_name().unwrap().to_string_lossy();
    let setup = if vector_add {
        "float *x = calloc(1000, sizeof(float)), *y = calloc(1000, sizeof(float));\n        \
         float *z = calloc(1000, sizeof(float));\n        \
         check(x && y && z, \"calloc\");\n        \
         int32_t rc = vector_add(x, 999, y, 1000, z, 1000, 1000, 16, 1, 1, threads, &err);\n        \
         free(x); free(y); free(z);"
    } else {
        "float *x = calloc(37 * 200, sizeof(float)), *y = calloc(37 * 200, sizeof(float));\n        \
         check(x && y, \"calloc\");\n        \
         int32_t rc = softmax(x, 37 * 200, y, 37 * 200, 200, 200, 200, 37, 1, 1, threads, &err);\n        \
         free(x); free(y);"
    };
    format!(
        "#include \"{name}\"\n{C_PRELUDE}\n\
         int main(void) {{\n    \
             for (uint32_t threads = 1; threads <= 2; threads++) {{\n        \
                 tessera_error err;\n        \
                 memset(&err, 0xff, sizeof err);\n        \
                 {setup}\n        \
                 check(rc == err.code, \"the code is returned and recorded\");\n        \
                 if (rc == TESSERA_OK) {{\n            \
                     printf(\"threads %u: code 0 (%s)\\n\", threads, tessera_rt_strerror(rc));\n            \
                     continue;\n        \
                 }}\n        \
                 printf(\"threads %u: code %d (%s) at %u:%u, buffer %u, index %lld, program %u %u %u\\n\",\n               \
                        threads, rc, tessera_rt_strerror(rc), err.line, err.col, err.buffer,\n               \
                        (long long)err.index, err.program[0], err.program[1], err.program[2]);\n    \
             }}\n    \
             return 0;\n\
         }}\n"
    )
}

/// The buffers after running `case` on the interpreter, concatenated as the C program
/// writes them.
fn interpreter_outputs(case: &Case) -> Vec<u8> {
    let path = format!("{}/tests/kernels/ok/{}", env!("CARGO_MANIFEST_DIR"), case.file);
    let text = std::fs::read_to_string(&path).unwrap();
    let options = CompileOptions {
        consts: case.defines.iter().map(|&(name, value)| (name.to_string(), value)).collect(),
        kernel: Some(case.kernel.to_string()),
    };
    let module =
        compile(&text, &options).unwrap_or_else(|d| panic!("{}", render(&d, &path, &text, false)));
    let mut args: Vec<KernelArg> =
        case.args.iter().enumerate().map(|(index, arg)| rust_arg(index, *arg)).collect();
    let launch = LaunchOptions { grid: case.grid, fuel: 1 << 40, check_asserts: true };
    run_kernel(&module, case.kernel, &mut args, &launch).unwrap();
    let mut bytes = Vec::new();
    for arg in &args {
        match arg {
            KernelArg::Buffer(Buffer::F32(v)) => {
                v.iter().for_each(|x| bytes.extend(x.to_le_bytes()))
            }
            KernelArg::Buffer(Buffer::F16(v)) => {
                v.iter().for_each(|x| bytes.extend(x.to_le_bytes()))
            }
            KernelArg::Buffer(Buffer::I32(v)) => {
                v.iter().for_each(|x| bytes.extend(x.to_le_bytes()))
            }
            KernelArg::Buffer(other) => panic!("no output for {:?} buffers", other.dtype()),
            KernelArg::Scalar(_) => {}
        }
    }
    bytes
}

/// Argument `index` of a case for the interpreter, filled as the C program fills it.
fn rust_arg(index: usize, arg: Arg) -> KernelArg {
    let mut lcg = Lcg(seed(index));
    match arg {
        Arg::I32(value) => KernelArg::Scalar(Scalar::I32(value)),
        Arg::F32(value) => KernelArg::Scalar(Scalar::F32(value)),
        Arg::Buffer { elem: Elem::F32, len, init: Init::Random } => KernelArg::Buffer(Buffer::F32(
            (0..len)
                .map(|_| ((lcg.next() >> 40) as i32 - 8388608) as f32 * (1.0 / 8388608.0))
                .collect(),
        )),
        Arg::Buffer { elem: Elem::F16, len, init: Init::Random } => {
            let bits = |s: u64| {
                (((s >> 63) << 15) | ((10 + (s >> 40) % 8) << 10) | ((s >> 20) & 0x3ff)) as u16
            };
            KernelArg::Buffer(Buffer::F16(
                (0..len).map(|_| f16::from_bits(bits(lcg.next()))).collect(),
            ))
        }
        Arg::Buffer { elem: Elem::I32, len, init: Init::Ints(lo, hi) } => {
            let span = (i64::from(hi) - i64::from(lo)) as u64;
            KernelArg::Buffer(Buffer::I32(
                (0..len)
                    .map(|_| (i64::from(lo) + ((lcg.next() >> 33) % span) as i64) as i32)
                    .collect(),
            ))
        }
        Arg::Buffer { elem, len, init: Init::Fill(value) } => KernelArg::Buffer(match elem {
            Elem::F32 => Buffer::F32(vec![value as f32; len]),
            Elem::F16 => Buffer::F16(vec![f16::from_f32(value as f32); len]),
            Elem::I32 => Buffer::I32(vec![value; len]),
        }),
        Arg::Buffer { elem, init, .. } => panic!("no fill for {elem:?} with {init:?}"),
    }
}

/// The cases whose kernels compute f32 math functions (all their outputs are f32).
const F32_MATH_KERNELS: &[&str] = &["softmax"];

/// f32 outputs within `|got - want| <= 1e-5 |want| + 3e-5 max|want|` (NaN for NaN).
fn compare_f32_close(what: &str, got: &[u8], want: &[u8]) {
    assert_eq!(got.len(), want.len(), "{what}: output sizes differ");
    let floats = |b: &[u8]| -> Vec<f32> {
        b.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
    };
    let (got, want) = (floats(got), floats(want));
    let scale = want.iter().filter(|x| x.is_finite()).fold(0.0f32, |m, x| m.max(x.abs()));
    for (i, (&g, &w)) in got.iter().zip(&want).enumerate() {
        let close = (g - w).abs() <= 1e-5 * w.abs() + 3e-5 * scale;
        let ok = if w.is_nan() { g.is_nan() } else { close };
        assert!(ok, "{what}: element {i} is {g}, the interpreter's {w}");
    }
}

/// Requires `got == want`, naming the first differing byte.
fn compare(what: &str, got: &[u8], want: &[u8]) {
    assert_eq!(got.len(), want.len(), "{what}: output sizes differ");
    if let Some(at) = got.iter().zip(want).position(|(g, w)| g != w) {
        panic!(
            "{what}: outputs differ from byte {at} on (got {:#04x}, want {:#04x})",
            got[at], want[at]
        );
    }
}
