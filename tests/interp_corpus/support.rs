//! Shared plumbing for the corpus tests: compiling a corpus file with const values,
//! launching a kernel on the reference interpreter, a seeded PRNG for inputs, the standard
//! problem sizes, and comparisons that name the kernel, the case and the first bad element.
//!
//! Every touchpoint of the interpreter API lives here, so the per-kernel tests only speak
//! in `Vec<T>`s and plain Rust references.
//!
//! Every launch is also differential: [`try_run`] runs the module as compiled and as
//! optimized at -O3, and requires bit-identical buffers (NaN compared as NaN) or the
//! same error, so each corpus test checks the optimizer on all of its shapes. It then
//! JIT-compiles the -O3 module for this CPU and for the PE grid, and runs it there and
//! on the functional simulator of the `tiny` and `mtia2` machines (all their PEs): a
//! launch the interpreter rejects must fail there too, and the buffers must equal the
//! interpreter's bit for bit (the simulator computes with the interpreter's
//! arithmetic), with one exception. The CPU computes f32 math functions (`exp`, `log`,
//! `sin`, `tanh`, `sigmoid`, `erf`, ...) with its own vectorized polynomials, within
//! 2 ulp instead of the interpreter's correctly rounded f64 formula, so for a kernel that
//! calls one its float buffers compare with [`CPU_MATH_TOLERANCE`] (integer buffers, and
//! every buffer of a kernel without f32 math, stay exact).

use half::{bf16, f16};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use tessera_frontend::{compile, render, CompileOptions};
use tessera_ir::interp::{run_kernel, Buffer, KernelArg, LaunchOptions, Scalar};
use tessera_ir::{Function, FunctionKind, Module, Op, ScalarType, UnaryOp};
use tessera_passes::cost::DefaultCostModel;
use tessera_passes::pipeline::{optimize_module, OptLevel, PipelineOptions};

pub use tessera_ir::interp::InterpError;

/// Fuel for ordinary launches: far more than any corpus test needs, so only a genuinely
/// runaway loop runs out.
pub const FUEL: u64 = 1 << 40;

/// Compiles `tests/kernels/ok/<file>` with the given const values; a diagnostic is a test
/// failure showing the rendered error.
pub fn compile_corpus(file: &str, consts: &[(&str, i64)]) -> Module {
    let text = corpus_source(file);
    let options = CompileOptions {
        consts: consts.iter().map(|&(name, value)| (name.to_string(), value)).collect(),
        kernel: None,
    };
    match compile(&text, &options) {
        Ok(module) => module,
        Err(diagnostics) => panic!("{file} does not compile with {consts:?}:\n{}", {
            render(&diagnostics, &format!("tests/kernels/ok/{file}"), &text, false)
        }),
    }
}

/// The text of a corpus file.
pub fn corpus_source(file: &str) -> String {
    let path = format!("{}/tests/kernels/ok/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// The 1-based line of the first line of `file` containing `needle` (for error checks
/// that must name a source line).
pub fn line_of(file: &str, needle: &str) -> u32 {
    let text = corpus_source(file);
    let index = text.lines().position(|line| line.contains(needle));
    let index = index.unwrap_or_else(|| panic!("{file} has no line containing {needle:?}"));
    index as u32 + 1
}

/// How to launch: the grid, and whether `device_assert`s are checked.
#[derive(Clone, Copy, Debug)]
pub struct Launch {
    pub grid: [u32; 3],
    pub check_asserts: bool,
    pub fuel: u64,
}

impl Launch {
    /// A checked launch (asserts on) over `grid` with the default fuel.
    pub fn grid(grid: [usize; 3]) -> Launch {
        let dim = |d: usize| u32::try_from(d).expect("grid dimension fits u32");
        Launch { grid: [dim(grid[0]), dim(grid[1]), dim(grid[2])], check_asserts: true, fuel: FUEL }
    }

    /// A 1-D launch of `n` programs.
    pub fn programs(n: usize) -> Launch {
        Launch::grid([n, 1, 1])
    }
}

/// Runs `kernel` of `module` and returns the arguments afterwards (buffers hold results),
/// after checking that the -O3-optimized module gives bit-identical results.
pub fn try_run(
    module: &Module,
    kernel: &str,
    args: Vec<KernelArg>,
    launch: Launch,
) -> Result<Vec<KernelArg>, InterpError> {
    let args_for_pegrid = args.clone();
    let reference = run_module(module, kernel, args.clone(), launch);
    // A starved fuel budget is about the unoptimized instruction count; skip the comparison.
    if !matches!(reference, Err(InterpError::FuelExhausted { .. })) {
        let optimized = run_module(&optimized(module), kernel, args, launch);
        match (&reference, &optimized) {
            (Ok(want), Ok(got)) => assert_same_args(&format!("{kernel} at -O3"), want, got),
            (Err(want), Err(got)) => {
                assert_eq!(want.to_string(), got.to_string(), "{kernel}: -O3 fails differently")
            }
            (want, got) => panic!("{kernel}: unoptimized gives {want:?} but -O3 gives {got:?}"),
        }
    }
    if !matches!(reference, Err(InterpError::FuelExhausted { .. })) {
        cpu_differential(module, kernel, &args_for_pegrid, launch, &reference);
        for machine in ["tiny", "mtia2"] {
            pegrid_differential(module, kernel, &args_for_pegrid, launch, machine, &reference);
        }
    }
    reference
}

/// Runs `kernel` (from `module` optimized at -O3) JIT-compiled for this host on two
/// threads and compares with the interpreter's outcome: the CPU target computes every
/// element with the interpreter's arithmetic in the same order, except f32 math
/// functions, so buffers must be identical (within [`CPU_MATH_TOLERANCE`] for floats if
/// the kernel calls an f32 math function), and a launch the interpreter rejects must
/// fail too.
fn cpu_differential(
    module: &Module,
    kernel: &str,
    args: &[KernelArg],
    launch: Launch,
    reference: &Result<Vec<KernelArg>, InterpError>,
) {
    use tessera_cpu::{CpuKernel, LaunchOptions as CpuLaunch};
    let optimized = optimized(module);
    let func = optimized.kernels().find(|f| f.name == kernel).expect("kernel");
    let compiled = CpuKernel::compile(func)
        .unwrap_or_else(|e| panic!("{kernel} does not compile for the CPU: {e}"));
    let mut got = args.to_vec();
    let options = CpuLaunch { grid: launch.grid, threads: 2, check_asserts: launch.check_asserts };
    let what = format!("{kernel} on the CPU, grid {:?}", launch.grid);
    match (reference, compiled.launch(&mut got, &options)) {
        (Ok(want), Ok(())) if uses_f32_math(&optimized, kernel) => {
            assert_close_args(&what, want, &got)
        }
        (Ok(want), Ok(())) => assert_same_args(&what, want, &got),
        (Err(_), Err(_)) => {}
        (Ok(_), Err(e)) => panic!("{what}: fails where the interpreter runs: {e}"),
        (Err(e), Ok(())) => panic!("{what}: runs where the interpreter fails: {e}"),
    }
}

/// Runs `kernel` (from `module` optimized at -O3) on the PE-grid simulator of `machine`
/// and compares with the interpreter's outcome `reference`.
fn pegrid_differential(
    module: &Module,
    kernel: &str,
    args: &[KernelArg],
    launch: Launch,
    machine: &str,
    reference: &Result<Vec<KernelArg>, InterpError>,
) {
    use tessera_pegrid::compile::{compile_kernel, CompileOptions as PeOptions};
    use tessera_pegrid::machine::Machine;
    use tessera_pegrid::sim;
    let m = Machine::preset(machine).expect("preset");
    let compiled = compile_kernel(&optimized(module), kernel, &m, &PeOptions::default())
        .unwrap_or_else(|e| panic!("{kernel} does not compile for pegrid `{machine}`: {e}"));
    let mut got = args.to_vec();
    // `mtia2` runs with the timing model on, `tiny` without: results must not depend on it.
    let mode = if machine == "mtia2" { sim::Mode::Timed } else { sim::Mode::Functional };
    let sim_launch = sim::Launch {
        grid: launch.grid,
        rows: m.grid.rows,
        cols: m.grid.cols,
        fuel: u64::MAX,
        check_asserts: launch.check_asserts,
        mode,
        trace: false,
        sram_buffers: Vec::new(),
    };
    let started = std::time::Instant::now();
    let result = sim::run(&compiled.program, &m, &sim_launch, &mut got);
    let wall = started.elapsed().as_secs_f64();
    let what = format!("{kernel} on pegrid `{machine}`, grid {:?}", launch.grid);
    // `TESSERA_CYCLE_TABLE=FILE` appends one line per timed launch: kernel, grid,
    // cycles, binding ceiling, % of it, simulator wall time (for the cycle table).
    if let (Some(path), Ok(stats)) = (std::env::var_os("TESSERA_CYCLE_TABLE"), &result) {
        if let Some(t) = &stats.timing {
            let pes = u64::from(m.grid.rows * m.grid.cols);
            let r = sim::Report::new(t, &m, pes);
            let line = format!(
                "{kernel}\t{:?}\t{}\t{}\t{:.1}\t{:.4}\n",
                launch.grid,
                t.cycles,
                r.binding,
                100.0 * r.of_binding,
                wall
            );
            use std::io::Write;
            let file = std::fs::OpenOptions::new().create(true).append(true).open(path);
            if let Ok(mut f) = file {
                let _ = f.write_all(line.as_bytes());
            }
        }
    }
    if let Ok(stats) = &result {
        if mode == sim::Mode::Timed {
            // Timing-only runs count the same cycles, unless control flow reads data.
            let mut again = args.to_vec();
            let only = sim::Launch { mode: sim::Mode::TimingOnly, ..sim_launch.clone() };
            match sim::run(&compiled.program, &m, &only, &mut again) {
                Ok(t) => assert_eq!(t.timing, stats.timing, "{what}: timing-only differs"),
                Err(e) => assert!(e.to_string().contains("timing-only"), "{what}: {e}"),
            }
        }
    }
    match (reference, result) {
        (Ok(want), Ok(_)) => assert_same_args(&what, want, &got),
        (Err(_), Err(_)) => {}
        (Ok(_), Err(e)) => panic!("{what}: the simulator fails where the interpreter runs: {e}"),
        (Err(e), Ok(_)) => panic!("{what}: the simulator runs where the interpreter fails: {e}"),
    }
}

fn run_module(
    module: &Module,
    kernel: &str,
    mut args: Vec<KernelArg>,
    launch: Launch,
) -> Result<Vec<KernelArg>, InterpError> {
    let options =
        LaunchOptions { grid: launch.grid, fuel: launch.fuel, check_asserts: launch.check_asserts };
    run_kernel(module, kernel, &mut args, &options)?;
    Ok(args)
}

/// `module` optimized at -O3, cached by its printed text.
fn optimized(module: &Module) -> Module {
    static CACHE: OnceLock<Mutex<HashMap<String, Module>>> = OnceLock::new();
    let key = tessera_ir::print_module(module);
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(hit) = cache.lock().expect("cache lock").get(&key) {
        return hit.clone();
    }
    let mut optimized = module.clone();
    let options = PipelineOptions::for_level(OptLevel::O3);
    optimize_module(&mut optimized, &options, &DefaultCostModel)
        .unwrap_or_else(|e| panic!("-O3 failed: {e}\n{key}"));
    cache.lock().expect("cache lock").insert(key, optimized.clone());
    optimized
}

/// Buffers equal bit for bit, except that any NaN equals any NaN (payloads are unspecified).
fn assert_same_args(kernel: &str, want: &[KernelArg], got: &[KernelArg]) {
    for (index, (w, g)) in want.iter().zip(got).enumerate() {
        let (KernelArg::Buffer(w), KernelArg::Buffer(g)) = (w, g) else { continue };
        assert_eq!(w.dtype(), g.dtype(), "{kernel}: argument {index} changed type");
        if !w.dtype().is_float() {
            assert!(w == g, "{kernel}: differs from the reference in integer argument {index}");
            continue;
        }
        // Float widths up to f64 convert to f64 exactly, so comparing bits there is exact.
        let (wv, gv) = (w.to_f64_vec(), g.to_f64_vec());
        for (i, (a, b)) in wv.iter().zip(&gv).enumerate() {
            let same = (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits();
            assert!(
                same,
                "{kernel}: differs from the reference in argument {index} at [{i}]: {a:?} vs {b:?}"
            );
        }
        assert_eq!(wv.len(), gv.len());
    }
}

/// How far the CPU's float results may be from the interpreter's in a kernel that calls
/// an f32 math function: `|cpu - ref| <= rel |ref| + abs max|ref| + one ulp of a half`,
/// with `max|ref|` the largest finite magnitude in that buffer, and the ulp term only in
/// f16/bf16 buffers. NaN must match NaN and an infinity itself.
///
/// The CPU's math functions are within 2 ulp (`tessera_cpu::math`) where the
/// interpreter's are within half an ulp, so one call's results differ by a relative
/// 3e-7 at most, which stays a few ulps through the products, sums and quotients of
/// softmax, silu, rmsnorm or log-softmax: `rel = 1e-5` leaves a wide margin. Where a
/// difference cancels into a larger error relative to a small result, it is bounded by
/// the buffer's scale instead: rope's `exp2` inverse frequencies differ by an ulp at
/// most (2^-23 relative), which moves angles up to 63 rad by 63 · 2^-23 plus an ulp of
/// 63, about 1.1e-5 rad, so `x1 cos - x2 sin` (|x| <= 1) may differ by 2.3e-5 where it
/// cancels to ~0 (measured: 1.3e-6), and gelu's `1 + tanh` cancels far less: `abs =
/// 3e-5` of the buffer's largest magnitude. A half result may also round the other way
/// after the f32 difference: one ulp of the half at the reference's binade (2^-7 of it
/// for bf16, 2^-10 for f16).
pub const CPU_MATH_TOLERANCE: Tol = Tol { rel: 1e-5, abs: 3e-5 };

/// Whether `kernel` or a helper function of `module` computes a math function on f32
/// (whose CPU results are polynomials, not the interpreter's bits); `sqrt` is exact on
/// both.
fn uses_f32_math(module: &Module, kernel: &str) -> bool {
    let relevant = |f: &&Function| f.kind == FunctionKind::Helper || f.name == kernel;
    module.functions.iter().filter(relevant).any(|f| {
        f.insts.iter().any(|(_, inst)| {
            let Op::Unary { op, .. } = inst.op else { return false };
            let f32_result = inst
                .results
                .first()
                .is_some_and(|&r| f.values[r].ty.elem.scalar() == Some(ScalarType::F32));
            f32_result && tessera_cpu::math::handles(op) && op != UnaryOp::Sqrt
        })
    })
}

/// Float buffers within [`CPU_MATH_TOLERANCE`] of the reference, others bit for bit.
fn assert_close_args(what: &str, want: &[KernelArg], got: &[KernelArg]) {
    let tol = CPU_MATH_TOLERANCE;
    for (index, (w, g)) in want.iter().zip(got).enumerate() {
        let (KernelArg::Buffer(w), KernelArg::Buffer(g)) = (w, g) else { continue };
        assert_eq!(w.dtype(), g.dtype(), "{what}: argument {index} changed type");
        if !w.dtype().is_float() {
            assert!(w == g, "{what}: differs from the reference in integer argument {index}");
            continue;
        }
        let half_bits = match w.dtype() {
            ScalarType::BF16 => Some(7),
            ScalarType::F16 => Some(10),
            _ => None,
        };
        let (wv, gv) = (w.to_f64_vec(), g.to_f64_vec());
        assert_eq!(wv.len(), gv.len(), "{what}: argument {index} changed length");
        let scale = wv.iter().filter(|x| x.is_finite()).fold(0.0f64, |m, x| m.max(x.abs()));
        for (i, (&a, &b)) in wv.iter().zip(&gv).enumerate() {
            let half_ulp = half_bits.map_or(0.0, |bits| half_ulp(a, bits));
            let allowed = tol.rel * a.abs() + tol.abs * scale + half_ulp;
            let ok = if a.is_nan() || b.is_nan() {
                a.is_nan() && b.is_nan()
            } else if a.is_infinite() || b.is_infinite() {
                a == b
            } else {
                (a - b).abs() <= allowed
            };
            assert!(
                ok,
                "{what}: argument {index} at [{i}]: {b:e} vs the reference {a:e}, more than \
                 CPU_MATH_TOLERANCE (rel {:e}, abs {:e} of the buffer's max {scale:e}) allows: \
                 {allowed:e}",
                tol.rel, tol.abs,
            );
        }
    }
}

/// One ulp of a half with `mantissa_bits` at the binade of `x` (a denormal's ulp below).
fn half_ulp(x: f64, mantissa_bits: i32) -> f64 {
    let min_exponent = if mantissa_bits == 7 { -126 } else { -14 };
    let exponent = if x == 0.0 { min_exponent } else { x.abs().log2().floor() as i32 };
    2f64.powi(exponent.max(min_exponent) - mantissa_bits)
}

/// [`try_run`], failing the test on an interpreter error.
pub fn run(module: &Module, kernel: &str, args: Vec<KernelArg>, launch: Launch) -> Vec<KernelArg> {
    try_run(module, kernel, args, launch)
        .unwrap_or_else(|e| panic!("{kernel} failed on {launch:?}: {e}"))
}

/// Element types that can travel in a buffer argument.
pub trait Element: Copy + std::fmt::Debug {
    fn into_buffer(values: Vec<Self>) -> Buffer;
    fn from_buffer(buffer: &Buffer) -> Option<&[Self]>;
}

macro_rules! element {
    ($($ty:ty => $variant:ident),* $(,)?) => {$(
        impl Element for $ty {
            fn into_buffer(values: Vec<Self>) -> Buffer {
                Buffer::$variant(values)
            }
            fn from_buffer(buffer: &Buffer) -> Option<&[Self]> {
                match buffer {
                    Buffer::$variant(values) => Some(values),
                    _ => None,
                }
            }
        }
    )*};
}

element!(i8 => I8, i32 => I32, i64 => I64, u8 => U8, u32 => U32, f16 => F16, bf16 => BF16,
         f32 => F32, f64 => F64);

/// A buffer argument holding `values`.
pub fn buf<T: Element>(values: &[T]) -> KernelArg {
    KernelArg::Buffer(T::into_buffer(values.to_vec()))
}

/// A buffer argument of `len` copies of `value` (an output to be written).
pub fn filled<T: Element>(len: usize, value: T) -> KernelArg {
    KernelArg::Buffer(T::into_buffer(vec![value; len]))
}

/// An i32 scalar argument (sizes and strides are given as `usize` for convenience).
pub fn int(value: usize) -> KernelArg {
    KernelArg::Scalar(Scalar::I32(i32::try_from(value).expect("size fits i32")))
}

/// An i32 scalar argument that may be negative.
pub fn i32_arg(value: i32) -> KernelArg {
    KernelArg::Scalar(Scalar::I32(value))
}

/// A u32 scalar argument.
pub fn u32_arg(value: u32) -> KernelArg {
    KernelArg::Scalar(Scalar::U32(value))
}

/// An f32 scalar argument.
pub fn f32_arg(value: f32) -> KernelArg {
    KernelArg::Scalar(Scalar::F32(value))
}

/// The contents of buffer argument `index` after a run.
pub fn out<T: Element>(args: &[KernelArg], index: usize) -> Vec<T> {
    match &args[index] {
        KernelArg::Buffer(buffer) => T::from_buffer(buffer)
            .unwrap_or_else(|| panic!("argument {index} has another element type"))
            .to_vec(),
        KernelArg::Scalar(_) => panic!("argument {index} is a scalar, not a buffer"),
    }
}

/// `cdiv` on host sizes, for grids.
pub fn cdiv(a: usize, b: usize) -> usize {
    a.div_ceil(b)
}

/// The standard 1-D problem sizes for a kernel tiled by `block`: one element, small primes,
/// the block edges and a multi-block size, sorted and deduplicated.
pub fn sizes(block: usize) -> Vec<usize> {
    let mut sizes = vec![1, 7, 97, block - 1, block, block + 1, 1031];
    sizes.retain(|&s| s > 0);
    sizes.sort_unstable();
    sizes.dedup();
    sizes
}

/// splitmix64: a tiny, well-mixed deterministic generator, so inputs are reproducible
/// without a `rand` dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    /// Uniform in [0, 1) with 53 random bits.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// `n` f32s uniform in [lo, hi).
    pub fn f32s(&mut self, n: usize, lo: f32, hi: f32) -> Vec<f32> {
        (0..n).map(|_| (lo as f64 + (hi - lo) as f64 * self.unit()) as f32).collect()
    }

    /// `n` i32s uniform in [lo, hi] (inclusive).
    pub fn i32s(&mut self, n: usize, lo: i32, hi: i32) -> Vec<i32> {
        let span = (hi as i64 - lo as i64 + 1) as u64;
        (0..n).map(|_| (lo as i64 + (self.next_u64() % span) as i64) as i32).collect()
    }

    /// `n` uniformly random bit patterns.
    pub fn u32s(&mut self, n: usize) -> Vec<u32> {
        (0..n).map(|_| self.next_u32()).collect()
    }
}

/// A float tolerance: `|got - want| <= abs + rel * |want|`.
#[derive(Clone, Copy, Debug)]
pub struct Tol {
    pub rel: f64,
    pub abs: f64,
}

/// Asserts `got[i]` is within `tol` of `want[i]` for every i (NaN only matches NaN, and
/// an infinity only itself); `what` names the kernel and case in the failure.
pub fn assert_close(what: &str, got: &[f32], want: &[f64], tol: Tol) {
    let bounds: Vec<f64> = want.iter().map(|w| tol.abs + tol.rel * w.abs()).collect();
    assert_within(what, got, want, &bounds);
}

/// Asserts `|got[i] - want[i]| <= bound[i]` elementwise (NaN only matches NaN).
pub fn assert_within(what: &str, got: &[f32], want: &[f64], bound: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, ((&g, &w), &b)) in got.iter().zip(want).zip(bound).enumerate() {
        let g = g as f64;
        let ok = if w.is_nan() || g.is_nan() {
            w.is_nan() && g.is_nan()
        } else if w.is_infinite() || g.is_infinite() {
            g == w
        } else {
            (g - w).abs() <= b
        };
        assert!(ok, "{what}: element {i}: got {g:e}, want {w:e} (allowed error {b:e})");
    }
}

/// Asserts two integer (or exactly comparable) slices are equal, naming the first
/// difference.
pub fn assert_exact<T: PartialEq + std::fmt::Debug>(what: &str, got: &[T], want: &[T]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    if let Some(i) = got.iter().zip(want).position(|(g, w)| g != w) {
        panic!("{what}: element {i}: got {:?}, want {:?}", got[i], want[i]);
    }
}

/// Asserts two float slices are bit-for-bit equal, except that any NaN matches any NaN.
pub fn assert_same_floats<T: Copy + Into<f64> + std::fmt::Debug>(
    what: &str,
    got: &[T],
    want: &[T],
    bits: impl Fn(T) -> u64,
) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let (gf, wf): (f64, f64) = (g.into(), w.into());
        let ok = if gf.is_nan() || wf.is_nan() {
            gf.is_nan() && wf.is_nan()
        } else {
            bits(g) == bits(w)
        };
        assert!(ok, "{what}: element {i}: got {g:?}, want {w:?}");
    }
}
