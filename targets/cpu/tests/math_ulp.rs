//! The accuracy of the vectorized f32 math functions (`tessera_cpu::math`): each op's
//! `f32x4` emitter, JIT-compiled for the host into a loop over an array, runs on every
//! 509th f32 bit pattern, the special values, and every pattern within 2048 of each
//! boundary (overflow and underflow thresholds, 0 and the denormals, split points,
//! multiples of π/2, the fast-reduction limit of sin/cos, the largest floats), both
//! signs. Each result is compared with the f64 reference `tessera_ir::interp::unary_f64`
//! by `math::ulp_error` and must be within the op's bound in [`BOUNDS`], the table
//! documented in `math.rs` (at most 2 ulp; `sqrt` bit-exact).
//!
//! `all_inputs` (ignored: minutes even in release) runs all 2^32 inputs of every op and
//! prints that table; reproduce it with
//! `cargo test --release -p tessera-cpu --test math_ulp -- --ignored --nocapture`.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, AbiParam, BlockArg, InstBuilder, MemFlagsData};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, Module};
use tessera_cpu::math::{emit_f32x4, ulp_error};
use tessera_cpu::{kernel, runtime};
use tessera_ir::interp::unary_f64;
use tessera_ir::UnaryOp;

/// The max error of each op over all inputs (measured by `all_inputs`), rounded up: the
/// table in `math.rs`. 0 means bit-exact.
const BOUNDS: [(UnaryOp, f64); 11] = [
    (UnaryOp::Exp, 0.79),
    (UnaryOp::Exp2, 0.88),
    (UnaryOp::Log, 0.88),
    (UnaryOp::Log2, 1.09),
    (UnaryOp::Sqrt, 0.0),
    (UnaryOp::Rsqrt, 1.50),
    (UnaryOp::Sin, 0.86),
    (UnaryOp::Cos, 0.87),
    (UnaryOp::Tanh, 1.07),
    (UnaryOp::Sigmoid, 1.48),
    (UnaryOp::Erf, 1.06),
];

/// Every this many bit patterns is sampled (a prime, so every residue class of the
/// mantissa and exponent fields gets visited).
const STRIDE: u64 = 509;
/// Patterns on each side of a boundary.
const WINDOW: u32 = 2048;

/// `void f(const f32 *src, f32 *dst, i64 n)`, `n` a multiple of 4.
type LoopFn = unsafe extern "C" fn(*const f32, *mut f32, i64);

/// One op compiled; owns the code.
struct Compiled {
    f: LoopFn,
    _module: JITModule,
}

// SAFETY: the code is immutable after `finalize_definitions` and touches only the
// memory it is given per call.
unsafe impl Send for Compiled {}
unsafe impl Sync for Compiled {}

impl Compiled {
    /// `op` over `xs`, four lanes at a time (the tail padded with zeros).
    fn run(&self, xs: &[f32]) -> Vec<f32> {
        let mut src = xs.to_vec();
        src.resize(xs.len().div_ceil(4) * 4, 0.0);
        let mut dst = vec![0.0f32; src.len()];
        // SAFETY: the loop reads and writes `src.len()` floats, a multiple of 4.
        unsafe { (self.f)(src.as_ptr(), dst.as_mut_ptr(), src.len() as i64) };
        dst.truncate(xs.len());
        dst
    }
}

/// JIT-compiles the `f32x4` loop of `op` with the kernels' ISA settings and helpers.
fn compile(op: UnaryOp) -> Compiled {
    let mut flags = settings::builder();
    for (name, value) in kernel::isa_flags() {
        flags.set(name, value).unwrap();
    }
    let isa = cranelift_native::builder().unwrap().finish(settings::Flags::new(flags)).unwrap();
    let mut builder = JITBuilder::with_isa(isa, default_libcall_names());
    builder.symbols(runtime::symbols());
    let mut module = JITModule::new(builder);
    let mut ctx = module.make_context();
    let pointer = module.target_config().pointer_type();
    ctx.func.signature.params.extend([AbiParam::new(pointer); 2]);
    ctx.func.signature.params.push(AbiParam::new(types::I64));
    let id = module.declare_anonymous_function(&ctx.func.signature).unwrap();
    let helpers = runtime::declare_helpers(&mut module, &mut ctx.func).unwrap();
    let mut builder_ctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut ctx.func, &mut builder_ctx);
    let [entry, header, body, exit] = [(); 4].map(|()| b.create_block());
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let [src, dst, n] = <[_; 3]>::try_from(b.block_params(entry)).unwrap();
    let zero = b.ins().iconst(types::I64, 0);
    b.ins().jump(header, &[BlockArg::Value(zero)]);
    b.switch_to_block(header);
    let i = b.append_block_param(header, types::I64);
    let done = b.ins().icmp(IntCC::SignedGreaterThanOrEqual, i, n);
    b.ins().brif(done, exit, &[], body, &[]);
    b.switch_to_block(body);
    let offset = b.ins().ishl_imm_u(i, 2);
    let from = b.ins().iadd(src, offset);
    let x = b.ins().load(types::F32X4, MemFlagsData::trusted(), from, 0);
    let y = emit_f32x4(&mut b, &helpers, op, x).expect("a math op");
    let to = b.ins().iadd(dst, offset);
    b.ins().store(MemFlagsData::trusted(), y, to, 0);
    let next = b.ins().iadd_imm_s(i, 4);
    b.ins().jump(header, &[BlockArg::Value(next)]);
    b.switch_to_block(exit);
    b.ins().return_(&[]);
    b.seal_all_blocks();
    b.finalize(module.target_config());
    module.define_function(id, &mut ctx).unwrap();
    module.finalize_definitions().unwrap();
    let code = module.get_finalized_function(id);
    // SAFETY: `code` was compiled with exactly this signature.
    let f = unsafe { std::mem::transmute::<*const u8, LoopFn>(code) };
    Compiled { f, _module: module }
}

/// The worst error seen, with its input.
#[derive(Clone, Copy, Debug)]
struct Worst {
    ulps: f64,
    x: f32,
    got: f32,
}

impl Worst {
    const NONE: Worst = Worst { ulps: -1.0, x: 0.0, got: 0.0 };

    fn max(self, other: Worst) -> Worst {
        if other.ulps > self.ulps {
            other
        } else {
            self
        }
    }
}

/// The worst error of `op` over the inputs `bits`. `sqrt` counts any difference from the
/// correctly rounded root (NaN matching NaN) as an infinite error.
fn measure(op: UnaryOp, compiled: &Compiled, bits: &[u32]) -> Worst {
    let xs: Vec<f32> = bits.iter().map(|&b| f32::from_bits(b)).collect();
    let got = compiled.run(&xs);
    let mut worst = Worst::NONE;
    for (&x, &y) in xs.iter().zip(&got) {
        let reference = unary_f64(op, f64::from(x));
        let ulps = if op == UnaryOp::Sqrt {
            let exact = reference as f32;
            let same = exact.to_bits() == y.to_bits() || (exact.is_nan() && y.is_nan());
            if same {
                0.0
            } else {
                f64::INFINITY
            }
        } else {
            ulp_error(y, reference)
        };
        worst = worst.max(Worst { ulps, x, got: y });
    }
    worst
}

fn bound(op: UnaryOp) -> f64 {
    BOUNDS.iter().find(|(o, _)| *o == op).map(|&(_, b)| b).expect("every math op has a bound")
}

fn assert_within_bound(op: UnaryOp, worst: Worst, inputs: &str) {
    let reference = unary_f64(op, f64::from(worst.x));
    assert!(
        worst.ulps <= bound(op),
        "{}: {:.3} ulp over {inputs}, more than the documented {}: at x = {:e} ({:#010x}) got \
         {:e} ({:#010x}), reference {reference:e}",
        op.name(),
        worst.ulps,
        bound(op),
        worst.x,
        worst.x.to_bits(),
        worst.got,
        worst.got.to_bits(),
    );
}

/// Boundaries of the ops' ranges and formulas, as positive f32 values.
fn boundaries() -> Vec<f32> {
    let mut values = vec![
        0.0,
        f32::MIN_POSITIVE,
        1.0 / 4096.0,
        0.5,
        0.625,
        1.0,
        std::f32::consts::FRAC_1_SQRT_2,
        std::f32::consts::SQRT_2,
        2.0,
        3.92,
        4.0,
        9.0,
        10.0,
        87.33655,
        88.72284,
        103.97208,
        104.0,
        126.0,
        128.0,
        129.0,
        149.0,
        150.0,
        151.0,
        1048576.0,
        4194304.0,
        16777216.0,
        1e30,
        f32::MAX,
    ];
    // Multiples of π/2, where sin or cos cancels to nearly 0.
    let multiples = (1..=32).chain([100, 1000, 12345, 100_000, 500_000, 667_544]);
    values.extend(multiples.map(|k| (f64::from(k) * std::f64::consts::FRAC_PI_2) as f32));
    values
}

/// The sampled inputs: every `STRIDE`th pattern, NaNs of both signs and payloads, and
/// the windows around every boundary of either sign.
fn sample() -> Vec<u32> {
    let mut bits: Vec<u32> = (0..1u64 << 32).step_by(STRIDE as usize).map(|b| b as u32).collect();
    bits.extend([0x7fc0_0000, 0xffc0_0000, 0x7f80_0001, 0xff80_0001, 0x7fff_ffff, 0xffff_ffff]);
    for boundary in boundaries() {
        let center = boundary.to_bits();
        let window = center.saturating_sub(WINDOW)..=center.saturating_add(WINDOW).min(0x7fff_ffff);
        bits.extend(window.clone());
        bits.extend(window.map(|b| b | 0x8000_0000));
    }
    bits
}

fn check_sample(op: UnaryOp) {
    let compiled = compile(op);
    let worst = measure(op, &compiled, &sample());
    assert_within_bound(op, worst, "the sampled inputs");
}

macro_rules! sampled {
    ($($test:ident => $op:ident;)*) => {$(
        #[test]
        fn $test() {
            check_sample(UnaryOp::$op);
        }
    )*};
}

sampled! {
    exp_is_within_its_bound => Exp;
    exp2_is_within_its_bound => Exp2;
    log_is_within_its_bound => Log;
    log2_is_within_its_bound => Log2;
    sqrt_is_correctly_rounded => Sqrt;
    rsqrt_is_within_its_bound => Rsqrt;
    sin_is_within_its_bound => Sin;
    cos_is_within_its_bound => Cos;
    tanh_is_within_its_bound => Tanh;
    sigmoid_is_within_its_bound => Sigmoid;
    erf_is_within_its_bound => Erf;
}

/// Every op handled by the emitter has a bound here, and no other op is emitted.
#[test]
fn the_bounds_cover_exactly_the_math_ops() {
    for op in UnaryOp::ALL {
        let listed = BOUNDS.iter().any(|(o, _)| *o == op);
        assert_eq!(listed, tessera_cpu::math::handles(op), "{}", op.name());
    }
}

/// Special values give exactly the reference's result (also covered by the samples, but
/// named here so a failure says which).
#[test]
fn special_values_are_exact() {
    let specials = [0.0, -0.0, f32::INFINITY, f32::NEG_INFINITY, f32::NAN, -f32::NAN];
    let denormals = [f32::from_bits(1), f32::from_bits(0x8000_0001), f32::from_bits(0x007f_ffff)];
    for (op, _) in BOUNDS {
        let compiled = compile(op);
        let xs: Vec<f32> = specials.iter().chain(&denormals).copied().collect();
        for (&x, &y) in xs.iter().zip(&compiled.run(&xs)) {
            let reference = unary_f64(op, f64::from(x));
            let exact = reference as f32;
            let ok = (exact.is_nan() && y.is_nan()) || exact.to_bits() == y.to_bits();
            let tolerated = x.is_subnormal() && ulp_error(y, reference) <= bound(op);
            assert!(ok || tolerated, "{}({x:e}) = {y:e}, want {exact:e}", op.name());
        }
    }
}

/// All 2^32 inputs of every op, on two threads; prints the table of `math.rs`.
#[test]
#[ignore = "exhaustive: all 2^32 inputs per op, minutes in release"]
fn all_inputs() {
    println!("| function | max ulp | at x |");
    println!("|---|---|---|");
    let mut measured = Vec::new();
    for (op, _) in BOUNDS {
        let compiled = compile(op);
        let threads = 2u64;
        let chunk = 1u64 << 16;
        let worst = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let compiled = &compiled;
                    scope.spawn(move || {
                        let mut worst = Worst::NONE;
                        let mut start = t * chunk;
                        while start < 1u64 << 32 {
                            let bits: Vec<u32> = (start..start + chunk).map(|b| b as u32).collect();
                            worst = worst.max(measure(op, compiled, &bits));
                            start += threads * chunk;
                        }
                        worst
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).fold(Worst::NONE, Worst::max)
        });
        let x = worst.x;
        println!("| `{}` | {:.4} | {x:e} ({:#010x}) |", op.name(), worst.ulps, x.to_bits());
        measured.push((op, worst));
    }
    for (op, worst) in measured {
        assert_within_bound(op, worst, "all inputs");
    }
}
