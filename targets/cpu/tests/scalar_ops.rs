//! Differential tests of the scalar semantics layer (`tessera_cpu::scalar`) against the
//! reference interpreter.
//!
//! Each emitter is JIT-compiled into a tiny loop over its operand columns (with the
//! runtime helpers bound through `runtime::symbols`), run on special values, rounding
//! ties and random bit patterns of every dtype, and compared bit for bit with the
//! interpreter's entry points (`unary_buffer`, `binary_buffer`, `eval_pure_op`,
//! `atomic_update`); any NaN matches any NaN. The exception is f32 math functions
//! (`exp`, `sin`, ...), which are `tessera_cpu::math`'s own polynomials: they must be
//! within 2 ulp of the f64 reference instead (`tests/math_ulp.rs` checks each op's
//! tighter bound on many more inputs). Reductions and `dot` fold the step
//! emitters in the interpreter's order and compare with the interpreter's op on a
//! small tile. Ops the interpreter rejects on a dtype are still compiled (through
//! Cranelift's verifier) and run, but not compared.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, AbiParam, BlockArg, InstBuilder, MemFlagsData, Value};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::Context;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, Module};
use half::{bf16, f16};
use tessera_cpu::runtime::{self, declare_helpers, Helpers};
use tessera_cpu::types::{byte_size, clif_type};
use tessera_cpu::{math, scalar};
use tessera_ir::entity::EntityRef;
use tessera_ir::interp::{
    atomic_update, binary_buffer, eval_pure_op, unary_buffer, unary_f64, Buffer, Scalar,
};
use tessera_ir::{
    AtomicOp, BinaryOp, CmpPred, Op, ReduceOp, ScalarType, Type, UnaryOp, Value as IrValue,
};

// ---------------------------------------------------------------------------------------
// Columns of elements: bits in a u64, converted to interpreter buffers and to memory.

/// Elements of one dtype, each as its bits (zero-extended); `bool` is 0 or 1.
#[derive(Clone, Debug)]
struct Column {
    t: ScalarType,
    bits: Vec<u64>,
}

impl Column {
    fn new(t: ScalarType, bits: Vec<u64>) -> Column {
        let mask = width_mask(t);
        Column { t, bits: bits.into_iter().map(|x| x & mask).collect() }
    }

    fn len(&self) -> usize {
        self.bits.len()
    }

    fn to_buffer(&self) -> Buffer {
        let b = &self.bits;
        match self.t {
            ScalarType::Bool => Buffer::Bool(b.iter().map(|&x| x != 0).collect()),
            ScalarType::I8 => Buffer::I8(b.iter().map(|&x| x as i8).collect()),
            ScalarType::I16 => Buffer::I16(b.iter().map(|&x| x as i16).collect()),
            ScalarType::I32 => Buffer::I32(b.iter().map(|&x| x as i32).collect()),
            ScalarType::I64 => Buffer::I64(b.iter().map(|&x| x as i64).collect()),
            ScalarType::U8 => Buffer::U8(b.iter().map(|&x| x as u8).collect()),
            ScalarType::U16 => Buffer::U16(b.iter().map(|&x| x as u16).collect()),
            ScalarType::U32 => Buffer::U32(b.iter().map(|&x| x as u32).collect()),
            ScalarType::U64 => Buffer::U64(b.clone()),
            ScalarType::F16 => Buffer::F16(b.iter().map(|&x| f16::from_bits(x as u16)).collect()),
            ScalarType::BF16 => {
                Buffer::BF16(b.iter().map(|&x| bf16::from_bits(x as u16)).collect())
            }
            ScalarType::F32 => Buffer::F32(b.iter().map(|&x| f32::from_bits(x as u32)).collect()),
            ScalarType::F64 => Buffer::F64(b.iter().map(|&x| f64::from_bits(x)).collect()),
        }
    }

    fn from_buffer(buffer: &Buffer) -> Column {
        let bits: Vec<u64> = match buffer {
            Buffer::Bool(v) => v.iter().map(|&x| u64::from(x)).collect(),
            Buffer::I8(v) => v.iter().map(|&x| x as u64).collect(),
            Buffer::I16(v) => v.iter().map(|&x| x as u64).collect(),
            Buffer::I32(v) => v.iter().map(|&x| x as u64).collect(),
            Buffer::I64(v) => v.iter().map(|&x| x as u64).collect(),
            Buffer::U8(v) => v.iter().map(|&x| u64::from(x)).collect(),
            Buffer::U16(v) => v.iter().map(|&x| u64::from(x)).collect(),
            Buffer::U32(v) => v.iter().map(|&x| u64::from(x)).collect(),
            Buffer::U64(v) => v.clone(),
            Buffer::F16(v) => v.iter().map(|x| u64::from(x.to_bits())).collect(),
            Buffer::BF16(v) => v.iter().map(|x| u64::from(x.to_bits())).collect(),
            Buffer::F32(v) => v.iter().map(|x| u64::from(x.to_bits())).collect(),
            Buffer::F64(v) => v.iter().map(|x| x.to_bits()).collect(),
        };
        Column::new(buffer.dtype(), bits)
    }

    /// The elements as they lie in memory (native byte order, `byte_size` each).
    fn to_bytes(&self) -> Vec<u8> {
        let size = byte_size(self.t) as usize;
        self.bits.iter().flat_map(|x| x.to_ne_bytes()[..size].to_vec()).collect()
    }

    fn from_bytes(t: ScalarType, bytes: &[u8]) -> Column {
        let size = byte_size(t) as usize;
        let bits = bytes
            .chunks_exact(size)
            .map(|chunk| {
                let mut word = [0u8; 8];
                word[..size].copy_from_slice(chunk);
                u64::from_ne_bytes(word)
            })
            .collect();
        Column::new(t, bits)
    }

    fn get(&self, i: usize) -> u64 {
        self.bits[i]
    }

    fn pick(&self, indices: impl Iterator<Item = usize>) -> Column {
        Column::new(self.t, indices.map(|i| self.bits[i]).collect())
    }
}

fn width_mask(t: ScalarType) -> u64 {
    match t {
        ScalarType::Bool => 1,
        _ => u64::MAX >> (64 - t.bits()),
    }
}

fn is_nan(t: ScalarType, bits: u64) -> bool {
    match t {
        ScalarType::F16 => bits & 0x7fff > 0x7c00,
        ScalarType::BF16 => bits & 0x7fff > 0x7f80,
        ScalarType::F32 => f32::from_bits(bits as u32).is_nan(),
        ScalarType::F64 => f64::from_bits(bits).is_nan(),
        _ => false,
    }
}

/// Asserts `got` is `expected` bit for bit (NaN matching NaN), listing the first
/// mismatches with their inputs. Returns the number of elements compared.
fn assert_same(what: &str, inputs: &[&Column], expected: &Column, got: &Column) -> usize {
    assert_eq!(expected.t, got.t, "{what}: result types");
    assert_eq!(expected.len(), got.len(), "{what}: result lengths");
    let t = expected.t;
    let mismatches: Vec<String> = (0..expected.len())
        .filter(|&i| {
            let (e, g) = (expected.get(i), got.get(i));
            e != g && !(is_nan(t, e) && is_nan(t, g))
        })
        .take(8)
        .map(|i| {
            let args: Vec<String> =
                inputs.iter().map(|c| format!("{}:{:#x}", c.t, c.get(i))).collect();
            format!("  ({}) -> want {:#x}, got {:#x}", args.join(", "), expected.get(i), got.get(i))
        })
        .collect();
    assert!(
        mismatches.is_empty(),
        "{what} differs from the interpreter:\n{}",
        mismatches.join("\n")
    );
    expected.len()
}

// ---------------------------------------------------------------------------------------
// The JIT: one loop per emitter, `out[i] = emit(in0[i], in1[i], in2[i])`.

type MapFn = unsafe extern "C" fn(*const u8, *const u8, *const u8, *mut u8, i64);

struct Jit {
    module: JITModule,
    ctx: Context,
    builder_ctx: FunctionBuilderContext,
}

/// A compiled elementwise loop and its operand and result types.
struct Kernel {
    f: MapFn,
    inputs: Vec<ScalarType>,
    output: ScalarType,
}

impl Kernel {
    fn run(&self, args: &[&Column]) -> Column {
        assert_eq!(args.len(), self.inputs.len());
        let n = args.first().map_or(0, |c| c.len());
        for (arg, &t) in args.iter().zip(&self.inputs) {
            assert_eq!((arg.t, arg.len()), (t, n), "kernel operand");
        }
        let bytes: Vec<Vec<u8>> = args.iter().map(|c| c.to_bytes()).collect();
        let pointer = |k: usize| bytes.get(k).map_or(std::ptr::null(), |v| v.as_ptr());
        let mut out = vec![0u8; n * byte_size(self.output) as usize];
        // SAFETY: the loop reads `n` elements of each operand's type from each pointer
        // (the operand buffers above) and writes `n` results into `out`.
        unsafe { (self.f)(pointer(0), pointer(1), pointer(2), out.as_mut_ptr(), n as i64) };
        Column::from_bytes(self.output, &out)
    }
}

impl Jit {
    /// A JIT for the host at Cranelift `opt_level` (`none` or `speed`).
    fn new(opt_level: &str) -> Jit {
        let mut flags = settings::builder();
        flags.set("opt_level", opt_level).unwrap();
        flags.set("enable_verifier", "true").unwrap();
        let isa = cranelift_native::builder().unwrap().finish(settings::Flags::new(flags)).unwrap();
        let mut builder = JITBuilder::with_isa(isa, default_libcall_names());
        builder.symbols(runtime::symbols());
        let module = JITModule::new(builder);
        let ctx = module.make_context();
        Jit { module, ctx, builder_ctx: FunctionBuilderContext::new() }
    }

    /// Compiles `void f(const u8 *in0, const u8 *in1, const u8 *in2, u8 *out, i64 n)`
    /// storing `emit(in0[i], ...)` (one operand per entry of `inputs`) into `out[i]`.
    fn map(
        &mut self,
        inputs: &[ScalarType],
        output: ScalarType,
        emit: impl FnOnce(&mut FunctionBuilder, &Helpers, &[Value]) -> Value,
    ) -> Kernel {
        let pointer = self.module.target_config().pointer_type();
        let mut signature = self.module.make_signature();
        signature.params.extend([AbiParam::new(pointer); 4]);
        signature.params.push(AbiParam::new(types::I64));
        let id = self.module.declare_anonymous_function(&signature).unwrap();
        self.ctx.func.signature = signature;
        let mut b = FunctionBuilder::new(&mut self.ctx.func, &mut self.builder_ctx);
        let helpers = declare_helpers(&mut self.module, b.func).unwrap();
        let [entry, header, body, exit] = [(); 4].map(|()| b.create_block());
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        let params = b.block_params(entry).to_vec();
        let zero = b.ins().iconst(types::I64, 0);
        b.ins().jump(header, &[BlockArg::Value(zero)]);
        b.switch_to_block(header);
        let i = b.append_block_param(header, types::I64);
        let done = b.ins().icmp(IntCC::SignedGreaterThanOrEqual, i, params[4]);
        b.ins().brif(done, exit, &[], body, &[]);
        b.switch_to_block(body);
        let element_address = |b: &mut FunctionBuilder, base: Value, t: ScalarType| {
            let size = b.ins().iconst(types::I64, i64::from(byte_size(t)));
            let offset = b.ins().imul(i, size);
            b.ins().iadd(base, offset)
        };
        let mut args = Vec::new();
        for (k, &t) in inputs.iter().enumerate() {
            let address = element_address(&mut b, params[k], t);
            args.push(b.ins().load(clif_type(t), MemFlagsData::trusted(), address, 0));
        }
        let result = emit(&mut b, &helpers, &args);
        assert_eq!(b.func.dfg.value_type(result), clif_type(output), "emitted result type");
        let address = element_address(&mut b, params[3], output);
        b.ins().store(MemFlagsData::trusted(), result, address, 0);
        let one = b.ins().iconst(types::I64, 1);
        let next = b.ins().iadd(i, one);
        b.ins().jump(header, &[BlockArg::Value(next)]);
        b.switch_to_block(exit);
        b.ins().return_(&[]);
        b.seal_all_blocks();
        b.finalize(self.module.target_config());
        self.module.define_function(id, &mut self.ctx).unwrap();
        self.module.clear_context(&mut self.ctx);
        self.module.finalize_definitions().unwrap();
        let code = self.module.get_finalized_function(id);
        // SAFETY: `code` was compiled with exactly this signature.
        let f = unsafe { std::mem::transmute::<*const u8, MapFn>(code) };
        Kernel { f, inputs: inputs.to_vec(), output }
    }
}

// ---------------------------------------------------------------------------------------
// Inputs: special values, rounding ties and random bit patterns.

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A float of moderate magnitude: a random 53-bit mantissa scaled by 2^[-12, 12).
    fn moderate(&mut self) -> f64 {
        let mantissa = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        let exponent = self.below(24) as i32 - 12;
        let sign = if self.next() & 1 == 0 { 1.0 } else { -1.0 };
        sign * (1.0 + mantissa) * 2f64.powi(exponent)
    }
}

fn float_bits(t: ScalarType, value: f64) -> u64 {
    Column::from_buffer(&Scalar::from_f64(t, value).splat(1)).get(0)
}

/// Values every dtype is checked on.
fn specials(t: ScalarType) -> Vec<u64> {
    if t == ScalarType::Bool {
        return vec![0, 1];
    }
    if !t.is_float() {
        let w = u64::from(t.bits());
        let min = 1u64 << (w - 1);
        let signed =
            [0i64, 1, 2, 3, 5, 7, 8, 15, 16, 31, 32, 63, 64, 100, -1, -2, -3, -7, -8, -100];
        let mut v: Vec<u64> = signed.iter().map(|&x| x as u64).collect();
        v.extend([w - 1, w, w + 1, min, min - 1, min + 1, min.wrapping_sub(2), u64::MAX, 0x55]);
        // Ties of f16 and bf16 rounding (2049, 2051, 65520; 2^24 + 2^16 + 1 ties in f32).
        v.extend([2049, 2051, 4097, 65519, 65520, 16_908_289, 16_908_288, 33_816_577]);
        return v;
    }
    let mut values = vec![
        0.0,
        -0.0,
        f64::INFINITY,
        -f64::INFINITY,
        f64::NAN,
        1.0,
        -1.0,
        0.5,
        -0.5,
        1.5,
        -1.5,
        2.5,
        -2.5,
        3.0,
        0.1,
        -0.1,
        100.0,
        1e5,
        -1e5,
        65504.0,
        65519.0,
        65520.0,
        1e10,
        1e-10,
        1e-40,
        3e38,
        -3e38,
        127.5,
        -128.5,
        128.0,
        -129.0,
        255.5,
        256.0,
        65535.5,
        -32768.5,
        32768.0,
        2147483520.0,
        2147483648.0,
        -2147483904.0,
        4294967296.0,
        9.2e18,
        9223372036854775808.0,
        -9223372036854775808.0,
        1.8446744073709552e19,
        1e20,
        1e300,
        -1e300,
        1e-300,
        5e-324,
        6.0,
        7.5,
        -0.75,
        0.25,
        1e-5,
        6e-8,
        3e-8,
    ];
    values.extend(values.clone().iter().map(|x| -x).collect::<Vec<_>>());
    let mut bits: Vec<u64> = values.iter().map(|&x| float_bits(t, x)).collect();
    // Encodings: smallest and largest subnormal, smallest normal, largest finite, NaNs.
    let (mantissa_bits, exponent_bits) = match t {
        ScalarType::F16 => (10, 5),
        ScalarType::BF16 => (7, 8),
        ScalarType::F32 => (23, 8),
        _ => (52, 11),
    };
    let sign = 1u64 << (mantissa_bits + exponent_bits);
    let infinity = ((1u64 << exponent_bits) - 1) << mantissa_bits;
    let max_subnormal = (1u64 << mantissa_bits) - 1;
    for encoding in [1, max_subnormal, max_subnormal + 1, infinity - 1, infinity + 1] {
        bits.extend([encoding, encoding | sign]);
    }
    bits.push(infinity | (1 << (mantissa_bits - 1)) | sign);
    bits
}

/// `count` random elements: random bit patterns and, for floats, moderate values and
/// values near rounding ties of every narrower float type.
fn random(t: ScalarType, count: usize, rng: &mut Rng) -> Vec<u64> {
    (0..count)
        .map(|_| match (t.is_float(), rng.below(4)) {
            (true, 0) => float_bits(t, rng.moderate()),
            (true, 1) => float_bits(t, near_tie(rng)),
            // Integers of every magnitude.
            (false, 0) => rng.next() >> rng.below(64),
            _ => rng.next(),
        })
        .collect()
}

/// A value at or next to a rounding tie of f16, bf16 or f32 (in f64).
fn near_tie(rng: &mut Rng) -> f64 {
    let mantissa_bits = [10, 7, 23][rng.below(3)];
    let value = rng.moderate();
    let ulp = 2f64.powi(value.abs().log2().floor() as i32 - mantissa_bits);
    let tie = ((value / ulp).trunc() + 0.5) * ulp;
    match rng.below(4) {
        0 => tie,
        1 => f64::from_bits(tie.to_bits() + 1),
        2 => f64::from_bits(tie.to_bits() - 1),
        _ => tie + ulp * 2f64.powi(-20),
    }
}

/// Operands of dtype `t`: every special value and `count` random ones.
fn samples(t: ScalarType, count: usize, rng: &mut Rng) -> Column {
    if t.is_float() && t.bits() == 16 {
        // Every half (for unary ops and casts).
        return Column::new(t, (0..=0xffff).collect());
    }
    let mut bits = specials(t);
    bits.extend(random(t, count, rng));
    Column::new(t, bits)
}

/// Operand pairs of dtype `t`: every pair of special values, `count` random pairs, and
/// `count` pairs of moderate values (where the rounding of a sum or product matters).
fn pairs(t: ScalarType, count: usize, rng: &mut Rng) -> [Column; 2] {
    let special = specials(t);
    let mut columns = [Vec::new(), Vec::new()];
    for &x in &special {
        for &y in &special {
            columns[0].push(x);
            columns[1].push(y);
        }
    }
    extend_random(&mut columns, t, count, rng);
    for _ in 0..count {
        for column in columns.iter_mut() {
            column.push(if t.is_float() { float_bits(t, rng.moderate()) } else { rng.next() });
        }
    }
    columns.map(|bits| Column::new(t, bits))
}

/// `count` random operand triples of dtype `t`.
fn triples(t: ScalarType, count: usize, rng: &mut Rng) -> [Column; 3] {
    let mut columns = [Vec::new(), Vec::new(), Vec::new()];
    extend_random(&mut columns, t, count, rng);
    columns.map(|bits| Column::new(t, bits))
}

/// Appends `count` random rows to `columns`, each element special a quarter of the
/// time and otherwise drawn from special and random values.
fn extend_random<const N: usize>(
    columns: &mut [Vec<u64>; N],
    t: ScalarType,
    count: usize,
    rng: &mut Rng,
) {
    let special = specials(t);
    let pool: Vec<u64> = special.iter().copied().chain(random(t, count, rng)).collect();
    for _ in 0..count {
        for column in columns.iter_mut() {
            let x = if rng.below(4) == 0 {
                special[rng.below(special.len())]
            } else {
                pool[rng.below(pool.len())]
            };
            column.push(x);
        }
    }
}

fn v(i: usize) -> IrValue {
    IrValue::new(i)
}

fn tile(t: ScalarType, shape: &[u32]) -> Type {
    Type::tile(shape.to_vec(), t)
}

/// The interpreter's result of the pure `op` on columns, as a column.
fn interp(op: &Op, args: &[&Column], result: ScalarType) -> Result<Column, String> {
    let n = args[0].len() as u32;
    let buffers: Vec<(Buffer, Type)> =
        args.iter().map(|c| (c.to_buffer(), tile(c.t, &[n]))).collect();
    let refs: Vec<(&Buffer, &Type)> = buffers.iter().map(|(b, t)| (b, t)).collect();
    eval_pure_op(op, &refs, &tile(result, &[n])).map(|b| Column::from_buffer(&b))
}

// ---------------------------------------------------------------------------------------
// The tests: each check runs with and without Cranelift's optimizer, whose rewrites
// must not change a result either.

const OPT_LEVELS: [&str; 2] = ["none", "speed"];

macro_rules! at_every_opt_level {
    ($($test:ident => $check:ident;)*) => {$(
        #[test]
        fn $test() {
            for opt_level in OPT_LEVELS {
                $check(opt_level);
            }
        }
    )*};
}

at_every_opt_level! {
    unary_ops_match_the_interpreter => unary_ops_match_the_interpreter_at;
    binary_ops_match_the_interpreter => binary_ops_match_the_interpreter_at;
    comparisons_match_the_interpreter => comparisons_match_the_interpreter_at;
    select_matches_the_interpreter => select_matches_the_interpreter_at;
    casts_match_the_interpreter => casts_match_the_interpreter_at;
    fma_matches_the_interpreter => fma_matches_the_interpreter_at;
    constants_are_bit_exact => constants_are_bit_exact_at;
    atomic_combine_matches_the_interpreter => atomic_combine_matches_the_interpreter_at;
    reduction_steps_match_the_interpreter => reduction_steps_match_the_interpreter_at;
    dot_steps_match_the_interpreter => dot_steps_match_the_interpreter_at;
}

// ---------------------------------------------------------------------------------------
// Elementwise ops.

fn unary_ops_match_the_interpreter_at(opt_level: &str) {
    let (mut jit, mut rng, mut compared) = (Jit::new(opt_level), Rng(1), 0);
    for t in ScalarType::ALL {
        let xs = samples(t, 1500, &mut rng);
        for op in UnaryOp::ALL {
            let kernel = jit.map(&[t], t, |b, h, a| scalar::unary(b, h, op, t, a[0]));
            let got = kernel.run(&[&xs]);
            if t == ScalarType::F32 && math::handles(op) && op != UnaryOp::Sqrt {
                compared += assert_within_two_ulps(op, &xs, &got);
                continue;
            }
            if let Ok(want) = unary_buffer(op, &xs.to_buffer()) {
                compared += assert_same(
                    &format!("{} {t}", op.name()),
                    &[&xs],
                    &Column::from_buffer(&want),
                    &got,
                );
            }
        }
    }
    eprintln!("{opt_level}: unary: {compared} elements compared");
}

/// Asserts the f32 results `got` of the math function `op` on `xs` are within 2 ulp of
/// the f64 reference. Returns the number of elements compared.
fn assert_within_two_ulps(op: UnaryOp, xs: &Column, got: &Column) -> usize {
    for i in 0..xs.len() {
        let x = f32::from_bits(xs.get(i) as u32);
        let y = f32::from_bits(got.get(i) as u32);
        let reference = unary_f64(op, f64::from(x));
        let ulps = math::ulp_error(y, reference);
        assert!(
            ulps <= 2.0,
            "{} f32: {x:e} -> {y:e}, reference {reference:e}: {ulps} ulp",
            op.name()
        );
    }
    xs.len()
}

fn binary_ops_match_the_interpreter_at(opt_level: &str) {
    let (mut jit, mut rng, mut compared) = (Jit::new(opt_level), Rng(2), 0);
    for t in ScalarType::ALL {
        let [xs, ys] = pairs(t, 1500, &mut rng);
        for op in BinaryOp::ALL {
            let kernel = jit.map(&[t, t], t, |b, h, a| scalar::binary(b, h, op, t, a[0], a[1]));
            let got = kernel.run(&[&xs, &ys]);
            if let Ok(want) = binary_buffer(op, &xs.to_buffer(), &ys.to_buffer()) {
                let what = format!("{} {t}", op.name());
                compared += assert_same(&what, &[&xs, &ys], &Column::from_buffer(&want), &got);
            }
        }
    }
    eprintln!("{opt_level}: binary: {compared} elements compared");
}

fn comparisons_match_the_interpreter_at(opt_level: &str) {
    let (mut jit, mut rng, mut compared) = (Jit::new(opt_level), Rng(3), 0);
    for t in ScalarType::ALL {
        let [xs, ys] = pairs(t, 500, &mut rng);
        for pred in CmpPred::ALL {
            let kernel =
                jit.map(&[t, t], ScalarType::Bool, |b, _, a| scalar::cmp(b, pred, t, a[0], a[1]));
            let op = Op::Cmp { pred, lhs: v(0), rhs: v(1) };
            let want = interp(&op, &[&xs, &ys], ScalarType::Bool).unwrap();
            let what = format!("cmp {} {t}", pred.name());
            compared += assert_same(&what, &[&xs, &ys], &want, &kernel.run(&[&xs, &ys]));
        }
    }
    eprintln!("{opt_level}: cmp: {compared} elements compared");
}

fn select_matches_the_interpreter_at(opt_level: &str) {
    let (mut jit, mut rng, mut compared) = (Jit::new(opt_level), Rng(4), 0);
    for t in ScalarType::ALL {
        let [xs, ys] = pairs(t, 200, &mut rng);
        let cond = Column::new(ScalarType::Bool, (0..xs.len()).map(|_| rng.next() >> 63).collect());
        let kernel =
            jit.map(&[ScalarType::Bool, t, t], t, |b, _, a| scalar::select(b, a[0], a[1], a[2]));
        let op = Op::Select { cond: v(0), on_true: v(1), on_false: v(2) };
        let want = interp(&op, &[&cond, &xs, &ys], t).unwrap();
        compared += assert_same(
            &format!("select {t}"),
            &[&cond, &xs, &ys],
            &want,
            &kernel.run(&[&cond, &xs, &ys]),
        );
    }
    eprintln!("{opt_level}: select: {compared} elements compared");
}

fn casts_match_the_interpreter_at(opt_level: &str) {
    let (mut jit, mut rng, mut compared) = (Jit::new(opt_level), Rng(5), 0);
    for from in ScalarType::ALL {
        let xs = samples(from, 3000, &mut rng);
        for to in ScalarType::ALL {
            let kernel = jit.map(&[from], to, |b, h, a| scalar::cast(b, h, from, to, a[0]));
            let want = interp(&Op::Cast { arg: v(0) }, &[&xs], to).unwrap();
            compared +=
                assert_same(&format!("cast {from} -> {to}"), &[&xs], &want, &kernel.run(&[&xs]));
        }
    }
    eprintln!("{opt_level}: cast: {compared} elements compared");
}

fn fma_matches_the_interpreter_at(opt_level: &str) {
    let (mut jit, mut rng, mut compared) = (Jit::new(opt_level), Rng(6), 0);
    for t in ScalarType::ALL {
        let [xs, ys, zs] = triples(t, 4000, &mut rng);
        let kernel = jit.map(&[t, t, t], t, |b, h, a| scalar::fma(b, h, t, a[0], a[1], a[2]));
        let got = kernel.run(&[&xs, &ys, &zs]);
        let op = Op::Fma { a: v(0), b: v(1), c: v(2) };
        if let Ok(want) = interp(&op, &[&xs, &ys, &zs], t) {
            compared += assert_same(&format!("fma {t}"), &[&xs, &ys, &zs], &want, &got);
        }
    }
    // Products that land next to a rounding tie of the half, nudged by a tiny addend.
    for t in [ScalarType::F16, ScalarType::BF16] {
        let kernel = jit.map(&[t, t, t], t, |b, h, a| scalar::fma(b, h, t, a[0], a[1], a[2]));
        let mut columns = [Vec::new(), Vec::new(), Vec::new()];
        for _ in 0..4000 {
            let tiny = [1u64, 0x8001, 0x0400, 0x8400, 0, 0x8000][rng.below(6)];
            let (x, y) = (float_bits(t, f64::from(rng.below(256) as u32)), rng.next() & 0x3fff);
            for (column, value) in columns.iter_mut().zip([x, y, tiny]) {
                column.push(value);
            }
        }
        let [xs, ys, zs] = columns.map(|bits| Column::new(t, bits));
        let op = Op::Fma { a: v(0), b: v(1), c: v(2) };
        let want = interp(&op, &[&xs, &ys, &zs], t).unwrap();
        compared += assert_same(
            &format!("fma ties {t}"),
            &[&xs, &ys, &zs],
            &want,
            &kernel.run(&[&xs, &ys, &zs]),
        );
    }
    eprintln!("{opt_level}: fma: {compared} elements compared");
}

fn constants_are_bit_exact_at(opt_level: &str) {
    let (mut jit, mut rng, mut compared) = (Jit::new(opt_level), Rng(7), 0);
    for t in ScalarType::ALL {
        let mut bits = specials(t);
        bits.extend(random(t, 40, &mut rng));
        let want = Column::new(t, bits);
        let values: Vec<Scalar> =
            (0..want.len()).map(|i| want.pick(i..=i).to_buffer().get(0).unwrap()).collect();
        // One loop per constant is wasteful; a single select chain on the index
        // materializes every constant in one function.
        let index = Column::new(ScalarType::I64, (0..want.len() as u64).collect());
        let kernel = jit.map(&[ScalarType::I64], t, |b, _, a| {
            let mut result = scalar::constant(b, values[0]);
            for (k, &value) in values.iter().enumerate().skip(1) {
                let constant = scalar::constant(b, value);
                let k = b.ins().iconst(types::I64, k as i64);
                let here = b.ins().icmp(IntCC::Equal, a[0], k);
                result = b.ins().select(here, constant, result);
            }
            result
        });
        let got = kernel.run(&[&index]);
        // Constants keep NaN payloads too.
        assert_eq!(got.bits, want.bits, "constants of {t}");
        compared += want.len();
    }
    eprintln!("{opt_level}: constant: {compared} values compared");
}

fn atomic_combine_matches_the_interpreter_at(opt_level: &str) {
    let (mut jit, mut rng, mut compared) = (Jit::new(opt_level), Rng(8), 0);
    for t in ScalarType::ALL {
        let [xs, ys] = pairs(t, 300, &mut rng);
        for op in [AtomicOp::Add, AtomicOp::Max] {
            let kernel =
                jit.map(&[t, t], t, |b, h, a| scalar::atomic_combine(b, h, op, t, a[0], a[1]));
            let got = kernel.run(&[&xs, &ys]);
            if let Ok(want) = atomic_update(op, &xs.to_buffer(), &ys.to_buffer()) {
                let what = format!("atomic {} {t}", op.name());
                compared += assert_same(&what, &[&xs, &ys], &Column::from_buffer(&want), &got);
            }
        }
    }
    eprintln!("{opt_level}: atomic: {compared} elements compared");
}

// ---------------------------------------------------------------------------------------
// Reductions and dot: the step emitters folded in the interpreter's order.

/// `rows` lanes of `len` elements, row-major: a mix of special, random and repeated
/// values (so ties between equal extremes, and between zeros, occur).
fn lanes(t: ScalarType, rows: usize, len: usize, rng: &mut Rng) -> Column {
    let special = specials(t);
    let small = [0u64, 1, float_bits_or(t, -0.0, 0), float_bits_or(t, -1.0, u64::MAX)];
    let bits = (0..rows * len)
        .map(|_| match rng.below(10) {
            0 => special[rng.below(special.len())],
            1..=3 => small[rng.below(small.len())],
            4..=7 if t.is_float() => float_bits(t, rng.moderate()),
            _ => rng.next(),
        })
        .collect();
    Column::new(t, bits)
}

fn float_bits_or(t: ScalarType, value: f64, int_bits: u64) -> u64 {
    if t.is_float() {
        float_bits(t, value)
    } else {
        int_bits
    }
}

/// Column `k` of a row-major `[rows, len]` column.
fn lane_column(data: &Column, len: usize, k: usize) -> Column {
    data.pick((0..data.len() / len).map(|r| r * len + k))
}

struct ReduceKernels {
    to_acc: Kernel,
    identity: Kernel,
    sum: Kernel,
    from_acc: Kernel,
    max: Kernel,
    min: Kernel,
    argmax: Kernel,
    argmin: Kernel,
}

impl ReduceKernels {
    fn new(jit: &mut Jit, t: ScalarType) -> ReduceKernels {
        let acc_t = scalar::sum_acc_type(t);
        let better = |jit: &mut Jit, op: ReduceOp| {
            jit.map(&[t, t], ScalarType::Bool, |b, _, a| scalar::arg_better(b, op, t, a[0], a[1]))
        };
        ReduceKernels {
            to_acc: jit.map(&[t], acc_t, |b, h, a| scalar::to_acc(b, h, t, a[0])),
            identity: jit.map(&[t], acc_t, |b, _, _| scalar::sum_identity(b, acc_t)),
            sum: jit
                .map(&[acc_t, acc_t], acc_t, |b, h, a| scalar::sum_step(b, h, acc_t, a[0], a[1])),
            from_acc: jit.map(&[acc_t], t, |b, h, a| scalar::from_acc(b, h, t, a[0])),
            max: jit.map(&[t, t], t, |b, _, a| scalar::max_step(b, t, a[0], a[1])),
            min: jit.map(&[t, t], t, |b, _, a| scalar::min_step(b, t, a[0], a[1])),
            argmax: better(jit, ReduceOp::ArgMax),
            argmin: better(jit, ReduceOp::ArgMin),
        }
    }

    /// `op` over each row of the `[rows, len]` `data`, one step per element in order.
    fn reduce(&self, op: ReduceOp, data: &Column, len: usize, from_identity: bool) -> Column {
        let column = |k| lane_column(data, len, k);
        match op {
            ReduceOp::Sum => {
                // The language's order: element k into partial k % 16 (starting from
                // the identity, or from the element itself), then halving.
                let mut partial: Vec<Column> =
                    (0..16).map(|_| self.identity.run(&[&column(0)])).collect();
                for k in 0..len {
                    let x = self.to_acc.run(&[&column(k)]);
                    partial[k % 16] = if !from_identity && k < 16 {
                        x
                    } else {
                        self.sum.run(&[&partial[k % 16], &x])
                    };
                }
                for w in [8, 4, 2, 1] {
                    for j in 0..w {
                        partial[j] = self.sum.run(&[&partial[j], &partial[j + w]]);
                    }
                }
                self.from_acc.run(&[&partial[0]])
            }
            ReduceOp::Max | ReduceOp::Min => {
                let step = if op == ReduceOp::Max { &self.max } else { &self.min };
                (1..len).fold(column(0), |acc, k| step.run(&[&acc, &column(k)]))
            }
            ReduceOp::ArgMax | ReduceOp::ArgMin => {
                let better = if op == ReduceOp::ArgMax { &self.argmax } else { &self.argmin };
                let mut best = column(0);
                let mut index = vec![0u64; best.len()];
                for k in 1..len {
                    let x = column(k);
                    let replace = better.run(&[&x, &best]);
                    let rows = best.bits.iter_mut().zip(&mut index).zip(&replace.bits);
                    for (r, ((best, index), &replace)) in rows.enumerate() {
                        if replace != 0 {
                            *best = x.get(r);
                            *index = k as u64;
                        }
                    }
                }
                Column::new(ScalarType::I32, index)
            }
        }
    }
}

fn reduction_steps_match_the_interpreter_at(opt_level: &str) {
    let (mut jit, mut rng, mut compared) = (Jit::new(opt_level), Rng(9), 0);
    for t in ScalarType::ALL {
        let kernels = ReduceKernels::new(&mut jit, t);
        for len in [1usize, 2, 7, 37] {
            let rows = 300;
            let data = lanes(t, rows, len, &mut rng);
            let input_type = tile(t, &[rows as u32, len as u32]);
            for op in ReduceOp::ALL {
                let result_t = match op {
                    ReduceOp::ArgMax | ReduceOp::ArgMin => ScalarType::I32,
                    ReduceOp::Sum | ReduceOp::Max | ReduceOp::Min => t,
                };
                let ir_op = Op::Reduce { op, arg: v(0), axis: 1 };
                let args = [(&data.to_buffer(), &input_type)];
                let Ok(want) = eval_pure_op(&ir_op, &args, &tile(result_t, &[rows as u32])) else {
                    continue;
                };
                let want = Column::from_buffer(&want);
                let what = format!("{} of {len} x {t}", op.name());
                let got = kernels.reduce(op, &data, len, false);
                compared += assert_same(&what, &[], &want, &got);
                if op == ReduceOp::Sum {
                    let got = kernels.reduce(op, &data, len, true);
                    compared += assert_same(&format!("{what} from sum_identity"), &[], &want, &got);
                }
            }
        }
    }
    eprintln!("{opt_level}: reduce: {compared} results compared");
}

fn dot_steps_match_the_interpreter_at(opt_level: &str) {
    let (mut jit, mut rng, mut compared) = (Jit::new(opt_level), Rng(10), 0);
    let pairs = [
        (ScalarType::F16, ScalarType::F32),
        (ScalarType::BF16, ScalarType::F32),
        (ScalarType::F32, ScalarType::F32),
        (ScalarType::F64, ScalarType::F64),
        (ScalarType::I8, ScalarType::I32),
    ];
    let (m, k, n) = (6usize, 9usize, 7usize);
    for (t, acc_t) in pairs {
        let kernel = jit.map(&[acc_t, t, t], acc_t, |b, h, a| {
            scalar::dot_step(b, h, t, acc_t, a[0], a[1], a[2])
        });
        for _ in 0..20 {
            let a = lanes(t, m, k, &mut rng);
            let bm = lanes(t, k, n, &mut rng);
            let acc = lanes(acc_t, m, n, &mut rng);
            let op = Op::Dot { a: v(0), b: v(1), acc: v(2) };
            let (ta, tb, tc) = (
                tile(t, &[m as u32, k as u32]),
                tile(t, &[k as u32, n as u32]),
                tile(acc_t, &[m as u32, n as u32]),
            );
            let args = [(&a.to_buffer(), &ta), (&bm.to_buffer(), &tb), (&acc.to_buffer(), &tc)];
            let want = Column::from_buffer(&eval_pure_op(&op, &args, &tc).unwrap());
            let mut out = acc.clone();
            for kk in 0..k {
                let a_col = a.pick((0..m * n).map(|p| (p / n) * k + kk));
                let b_col = bm.pick((0..m * n).map(|p| kk * n + p % n));
                out = kernel.run(&[&out, &a_col, &b_col]);
            }
            compared += assert_same(&format!("dot {t} -> {acc_t}"), &[], &want, &out);
        }
    }
    // Pairs the verifier rejects compile and leave the accumulator alone.
    for t in ScalarType::ALL {
        let kernel = jit.map(&[ScalarType::I64, t, t], ScalarType::I64, |b, h, a| {
            scalar::dot_step(b, h, t, ScalarType::I64, a[0], a[1], a[2])
        });
        let acc = Column::new(ScalarType::I64, vec![42]);
        let x = Column::new(t, vec![1]);
        assert_eq!(kernel.run(&[&acc, &x, &x]).bits, vec![42]);
    }
    eprintln!("{opt_level}: dot: {compared} results compared");
}
