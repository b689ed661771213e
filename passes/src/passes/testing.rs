//! Test support for the passes: expected-text checks on hand-written IR, and the
//! differential check of a pass over every corpus kernel against the interpreter.
//!
//! [`check_pass_on_corpus`] compiles each `tests/kernels/ok/*.tsr` file with its default
//! const values and with small ones ([`SMALL_CONSTS`], ragged blocks), runs the pass on a copy of each kernel, verifies the result, and
//! launches both versions on the same seeded random inputs (three argument sets and
//! grids): every buffer must come out bit for bit equal (any NaN equals any NaN), or
//! both launches must fail with the same message (fuel exhaustion only by kind, since
//! optimized code burns less fuel).

use tessera_frontend::{compile, CompileOptions};
use tessera_ir::interp::{run_kernel, Buffer, InterpError, KernelArg, LaunchOptions, Scalar};
use tessera_ir::{
    parse_module, print_function, verify_function, Constant, ElemType, Function, FunctionKind, Loc,
    Module, Op, ScalarType, Type, Value,
};

/// Parses `text`, runs `pass` on its first function (with the whole module as callees),
/// verifies it and compares its printed text with `expected`.
pub fn assert_pass_output(text: &str, expected: &str, pass: impl Fn(&mut Function, &Module)) {
    let module = parse_module(text).unwrap_or_else(|e| panic!("test IR does not parse: {e}"));
    tessera_ir::verify_module(&module).unwrap_or_else(|e| panic!("test IR: {e}"));
    let mut func = module.functions[0].clone();
    pass(&mut func, &module);
    if let Err(error) = verify_function(&func, Some(&module)) {
        panic!("{error}\n{}", print_function(&func));
    }
    let printed = print_function(&func);
    assert_eq!(printed, expected, "\n--- got ---\n{printed}\n--- expected ---\n{expected}");
}

/// The corpus files, sorted, with their text.
pub fn corpus() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/kernels/ok");
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("the corpus directory exists")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "tsr"))
        .map(|path| {
            let name = path.file_name().expect("a file name").to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).expect("a readable corpus file");
            (name, text)
        })
        .collect();
    files.sort();
    files
}

/// Every corpus file compiled with its default const values.
pub fn corpus_modules() -> Vec<(String, Module)> {
    let options = CompileOptions::default();
    corpus()
        .into_iter()
        .map(|(name, text)| {
            let module = compile(&text, &options)
                .unwrap_or_else(|_| panic!("{name} does not compile with its defaults"));
            (name, module)
        })
        .collect()
}

/// Const values that make every corpus kernel small and ragged (blocks smaller than
/// the problem sizes the launches use) and turn the boolean variants on.
pub const SMALL_CONSTS: &[(&str, i64)] = &[
    ("APPROX", 1),
    ("BLOCK", 16),
    ("BLOCK_K", 8),
    ("BLOCK_M", 16),
    ("BLOCK_N", 8),
    ("BLOCK_S", 8),
    ("BM", 8),
    ("BN", 16),
    ("BS", 8),
    ("CAUSAL", 1),
    ("GROUP_M", 2),
    ("HALF", 8),
    ("HEADS", 2),
    ("HEAD_DIM", 16),
    ("ROWS", 2),
];

/// The corpus files that compile with `consts` (a static assertion may reject some
/// values), compiled.
pub fn corpus_modules_with(consts: &[(&str, i64)]) -> Vec<(String, Module)> {
    let options = CompileOptions {
        consts: consts.iter().map(|&(name, value)| (name.to_string(), value)).collect(),
        kernel: None,
    };
    corpus()
        .into_iter()
        .filter_map(|(name, text)| compile(&text, &options).ok().map(|module| (name, module)))
        .collect()
}

/// Runs `pass` on every kernel of the corpus and checks that the result verifies and
/// launches exactly like the original (see the module docs).
pub fn check_pass_on_corpus(pass_name: &str, pass: impl Fn(&mut Function, &Module)) {
    let small = corpus_modules_with(SMALL_CONSTS);
    for (file, module) in corpus_modules().into_iter().chain(small) {
        let mut optimized = module.clone();
        for func in optimized.functions.iter_mut() {
            pass(func, &module);
            if let Err(error) = verify_function(func, Some(&module)) {
                panic!("{pass_name} on {file}: {error}\n{}", print_function(func));
            }
        }
        assert_same_launches(&format!("{pass_name} on {file}"), &module, &optimized);
    }
}

/// Launches every kernel of `before` and `after` on the same inputs and compares.
pub fn assert_same_launches(what: &str, before: &Module, after: &Module) {
    for kernel in before.functions.iter().filter(|f| f.kind == FunctionKind::Kernel) {
        for (seed, (int_arg, grid)) in
            [(100, [2, 2, 1]), (7, [1, 1, 1]), (33, [3, 1, 1])].into_iter().enumerate()
        {
            let args = random_args(kernel, seed as u64 + 1, int_arg);
            let expected = launch(before, &kernel.name, args.clone(), grid);
            let got = launch(after, &kernel.name, args, grid);
            let context = format!("{what}: kernel {} (ints {int_arg}, grid {grid:?})", kernel.name);
            compare(&context, &expected, &got);
        }
    }
}

fn launch(
    module: &Module,
    kernel: &str,
    mut args: Vec<KernelArg>,
    grid: [u32; 3],
) -> Result<Vec<KernelArg>, InterpError> {
    let options = LaunchOptions { grid, fuel: 20_000_000, check_asserts: true };
    run_kernel(module, kernel, &mut args, &options).map(|()| args)
}

fn compare(
    context: &str,
    expected: &Result<Vec<KernelArg>, InterpError>,
    got: &Result<Vec<KernelArg>, InterpError>,
) {
    match (expected, got) {
        (Ok(expected), Ok(got)) => {
            for (index, (e, g)) in expected.iter().zip(got).enumerate() {
                if let (KernelArg::Buffer(e), KernelArg::Buffer(g)) = (e, g) {
                    assert_same_buffer(&format!("{context}, argument {index}"), e, g);
                }
            }
        }
        (Err(InterpError::FuelExhausted { .. }), Err(InterpError::FuelExhausted { .. })) => {}
        (Err(expected), Err(got)) => {
            assert_eq!(expected.to_string(), got.to_string(), "{context}: different errors")
        }
        (Ok(_), Err(got)) => panic!("{context}: the optimized launch fails: {got}"),
        (Err(expected), Ok(_)) => {
            panic!("{context}: the optimized launch succeeds where the original fails: {expected}")
        }
    }
}

fn assert_same_buffer(context: &str, expected: &Buffer, got: &Buffer) {
    assert_eq!(expected.len(), got.len(), "{context}: lengths differ");
    for index in 0..expected.len() {
        let (e, g) = (expected.get(index), got.get(index));
        let same = match (e, g) {
            (Some(e), Some(g)) => same_scalar(e, g),
            (e, g) => e == g,
        };
        assert!(same, "{context}: element {index} differs: expected {e:?}, got {g:?}");
    }
}

/// Bitwise equality, except that any NaN equals any NaN (the language leaves the NaN
/// payload unspecified).
pub fn same_scalar(a: Scalar, b: Scalar) -> bool {
    match (a, b) {
        (Scalar::F16(a), Scalar::F16(b)) => {
            (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
        }
        (Scalar::BF16(a), Scalar::BF16(b)) => {
            (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
        }
        (Scalar::F32(a), Scalar::F32(b)) => {
            (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
        }
        (Scalar::F64(a), Scalar::F64(b)) => {
            (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
        }
        (a, b) => a == b,
    }
}

/// Seeded random arguments for `kernel`: a 4096-element buffer per pointer parameter
/// (floats in [-4, 4) with a sprinkling of -0.0, ±inf and NaN; integers in [0, 64)),
/// `int_arg` for integer scalars, 0.5 for float scalars, `true` for `bool`.
pub fn random_args(kernel: &Function, seed: u64, int_arg: i64) -> Vec<KernelArg> {
    let mut rng = SplitMix(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03);
    kernel
        .params()
        .iter()
        .map(|&param| {
            let ty = kernel.value_type(param);
            match ty.elem {
                ElemType::Ptr(pointee) => KernelArg::Buffer(random_buffer(&mut rng, pointee)),
                ElemType::Scalar(scalar) => KernelArg::Scalar(scalar_arg(scalar, int_arg)),
            }
        })
        .collect()
}

fn random_buffer(rng: &mut SplitMix, pointee: ScalarType) -> Buffer {
    let values: Vec<f64> = (0..4096)
        .map(|index| {
            let unit = rng.unit();
            if pointee.is_float() {
                match index % 211 {
                    17 => -0.0,
                    53 => f64::INFINITY,
                    101 => f64::NEG_INFINITY,
                    163 => f64::NAN,
                    _ => unit * 8.0 - 4.0,
                }
            } else if pointee.is_bool() {
                f64::from(u8::from(unit < 0.5))
            } else {
                (unit * 64.0).floor()
            }
        })
        .collect();
    Buffer::from_f64(pointee, &values)
}

fn scalar_arg(scalar: ScalarType, int_arg: i64) -> Scalar {
    if scalar.is_bool() {
        Scalar::Bool(true)
    } else if scalar.is_float() {
        Scalar::from_f64(scalar, 0.5)
    } else {
        Scalar::from_f64(scalar, int_arg as f64)
    }
}

/// A tiny deterministic PRNG (SplitMix64).
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform index below `n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A uniform float in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Builds a kernel instruction by instruction: input parameters, pure ops, and
/// outputs (each its own buffer parameter, stored to with no mask).
pub struct KernelBuilder {
    pub func: Function,
    /// Where instructions go (the body unless a test builds a nested block).
    pub block: tessera_ir::Block,
    /// The element count of each output buffer, by parameter index.
    outputs: Vec<(usize, ScalarType, usize)>,
}

impl Default for KernelBuilder {
    fn default() -> Self {
        let func = Function::new("k", FunctionKind::Kernel, &[]);
        KernelBuilder { block: func.body, func, outputs: Vec::new() }
    }
}

impl KernelBuilder {
    /// Adds a parameter of type `ty`.
    pub fn param(&mut self, ty: Type) -> Value {
        let body = self.func.body;
        let index = self.func.param_names.len();
        self.func.param_names.push(format!("p{index}"));
        self.func.append_block_arg(body, ty)
    }

    /// Appends the single-result op `op` with result type `ty`.
    pub fn inst(&mut self, op: Op, ty: Type) -> Value {
        let inst = self.func.append_inst(self.block, op, vec![ty], Loc { line: 1, col: 1 });
        self.func.result(inst)
    }

    /// A 1-D tile of `len` elements loaded from the buffer parameter `ptr`.
    pub fn load_tile(&mut self, ptr: Value, len: u32) -> Value {
        let scalar = self.func.value_type(ptr).elem.pointee().unwrap_or(ScalarType::I32);
        let offsets = self.inst(
            Op::Arange { start: 0, end: i64::from(len) },
            Type::tile(vec![len], ScalarType::I32),
        );
        let ptr_ty = Type { shape: vec![len], elem: ElemType::Ptr(scalar) };
        let ptrs = self.inst(Op::Splat { value: ptr }, ptr_ty.clone());
        let ptrs = self.inst(Op::PtrAdd { ptr: ptrs, offset: offsets }, ptr_ty);
        self.inst(Op::Load { ptr: ptrs, mask: None, other: None }, Type::tile(vec![len], scalar))
    }

    /// Stores `value` (a scalar or a 1-D tile) to a new output buffer parameter.
    pub fn output(&mut self, value: Value) {
        self.output_masked(value, None);
    }

    /// Stores `value` (a scalar or a 1-D tile) to a new output buffer parameter, only
    /// where `mask` (a `bool` of the value's shape) holds.
    pub fn output_masked(&mut self, value: Value, mask: Option<Value>) {
        let ty = self.func.value_type(value).clone();
        let scalar = ty.scalar_type().unwrap_or(ScalarType::I32);
        let len = ty.num_elements() as u32;
        let out = self.param(Type::ptr(scalar));
        self.outputs.push((self.func.param_names.len() - 1, scalar, len as usize));
        let ptr = if ty.is_scalar() {
            out
        } else {
            let offsets = self.inst(
                Op::Arange { start: 0, end: i64::from(len) },
                Type::tile(vec![len], ScalarType::I32),
            );
            let ptr_ty = Type { shape: vec![len], elem: ElemType::Ptr(scalar) };
            let ptrs = self.inst(Op::Splat { value: out }, ptr_ty.clone());
            self.inst(Op::PtrAdd { ptr: ptrs, offset: offsets }, ptr_ty)
        };
        let loc = Loc { line: 2, col: 1 };
        self.func.append_inst(self.block, Op::Store { ptr, value, mask }, Vec::new(), loc);
    }

    /// The module holding the finished kernel, and the arguments to launch it with:
    /// `inputs` for the leading parameters, zeroed buffers for the outputs.
    pub fn finish(mut self, inputs: Vec<KernelArg>) -> (Module, Vec<KernelArg>) {
        let body = self.func.body;
        self.func.append_inst(body, Op::Return { values: Vec::new() }, Vec::new(), Loc::default());
        let mut args = inputs;
        for (_, scalar, len) in &self.outputs {
            args.push(KernelArg::Buffer(Buffer::zeros(*scalar, *len)));
        }
        (Module { functions: vec![self.func] }, args)
    }
}

/// Launches `@k` of `before` and of `after` with `args` and compares the outcomes.
pub fn assert_same_outputs(what: &str, before: &Module, after: &Module, args: Vec<KernelArg>) {
    let expected = launch(before, "k", args.clone(), [1, 1, 1]);
    let got = launch(after, "k", args, [1, 1, 1]);
    compare(what, &expected, &got);
}

/// Edge values of `scalar` (every one exactly representable): zeros of both signs,
/// ±1, infinities, NaN, the smallest subnormal and the largest finite value for
/// floats; 0, 1, -1, small values, the width, MIN and MAX for integers.
pub fn special_values(scalar: ScalarType) -> Vec<Constant> {
    if scalar.is_bool() {
        return vec![Constant::Bool(false), Constant::Bool(true)];
    }
    if scalar.is_float() {
        let (tiny, max) = match scalar {
            ScalarType::F16 => (2f64.powi(-24), 65504.0),
            ScalarType::BF16 => (2f64.powi(-133), half::bf16::MAX.to_f64()),
            ScalarType::F32 => (f64::from(f32::from_bits(1)), f64::from(f32::MAX)),
            ScalarType::F64
            | ScalarType::Bool
            | ScalarType::I8
            | ScalarType::I16
            | ScalarType::I32
            | ScalarType::I64
            | ScalarType::U8
            | ScalarType::U16
            | ScalarType::U32
            | ScalarType::U64 => (f64::from_bits(1), f64::MAX),
        };
        let values = [0.0, -0.0, 1.0, -1.0, 0.5, 3.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN];
        return values.into_iter().chain([tiny, max, -max]).map(Constant::Float).collect();
    }
    let (min, max) = super::util::int_range(scalar).unwrap_or((0, 0));
    let bits = i128::from(scalar.bits());
    [0, 1, -1, 2, 7, bits, min, max, min + 1, max - 1]
        .into_iter()
        .filter(|v| (min..=max).contains(v))
        .map(|v| super::util::int_constant(v, scalar))
        .collect()
}

/// A buffer of `len` values of `scalar` cycling through [`special_values`].
pub fn special_buffer(scalar: ScalarType, len: usize) -> Buffer {
    let specials = special_values(scalar);
    let values: Vec<f64> = (0..len)
        .map(|index| match specials[index % specials.len()] {
            Constant::Bool(b) => f64::from(u8::from(b)),
            Constant::Int(_) => {
                let c = specials[index % specials.len()];
                super::util::int_value(c, scalar).unwrap_or(0) as f64
            }
            Constant::Float(f) => f,
        })
        .collect();
    Buffer::from_f64(scalar, &values)
}
