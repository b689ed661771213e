//! Test support for rules and folding: one generic harness driven by per-group case
//! tables.
//!
//! A [`Case`] names a rule, a start expression, a goal expression and the types of the
//! opaque leaves `v0`, `v1`, … the expressions use (`"f32[8]"`, `"i64"`, `"bool[2,4]"`,
//! `"*f32"` for a pointer into a buffer, a `~small` suffix for integers drawn from
//! -4..=4 so pointer offsets stay in bounds). [`check_group`] checks that every rule
//! of the group has a case, and for each case:
//!
//! 1. start ⇒ goal: running the rule alone on the start expression puts the goal in
//!    the start's class (and the two were not equal before);
//! 2. soundness: both expressions, compiled to kernels, give the same results on the
//!    reference interpreter for random inputs rich in NaN, ±inf, ±0.0, subnormals and
//!    integer extremes: bit for bit (NaN as NaN) for default rules; within
//!    [`fast_math_tolerance`] of each other, on finite inputs, for fast-math rules.

use std::time::Duration;

use egg::{Id, Language, RecExpr, Runner};
use half::{bf16, f16};
use tessera_ir::interp::{run_kernel, Buffer, KernelArg, LaunchOptions, Scalar};
use tessera_ir::{
    verify_function, Constant, ElemType, Function, FunctionKind, Loc, Module, Op, ScalarType, Type,
    Value,
};

use super::analysis::{TileAnalysis, TileGraph};
use super::convert::node_op;
use super::language::{TileLang, View};
use super::rules::RuleDef;

/// One start ⇒ goal example of a rule.
#[derive(Clone, Debug)]
pub struct Case {
    pub rule: String,
    pub start: String,
    pub goal: String,
    pub vars: Vec<String>,
}

/// A [`Case`].
pub fn case(rule: &str, start: &str, goal: &str, vars: &[&str]) -> Case {
    Case {
        rule: rule.to_string(),
        start: start.to_string(),
        goal: goal.to_string(),
        vars: vars.iter().map(|v| v.to_string()).collect(),
    }
}

/// The type of one leaf, and whether its integers are drawn small.
#[derive(Clone, Debug)]
pub struct VarSpec {
    pub ty: Type,
    pub small: bool,
}

/// Parses `"f32[8]"`, `"i64"`, `"bool[2,4]"`, `"*f32"`, `"i32[8]~small"`.
pub fn parse_var(text: &str) -> VarSpec {
    let (text, small) = match text.strip_suffix("~small") {
        Some(rest) => (rest, true),
        None => (text, false),
    };
    if let Some(pointee) = text.strip_prefix('*') {
        let scalar = ScalarType::from_name(pointee).expect("a pointee type");
        return VarSpec { ty: Type::ptr(scalar), small };
    }
    let (name, dims) = match text.split_once('[') {
        Some((name, dims)) => {
            let dims = dims.strip_suffix(']').expect("a closing bracket");
            (name, dims.split(',').map(|d| d.trim().parse().expect("a dimension")).collect())
        }
        None => (text, Vec::new()),
    };
    let scalar = ScalarType::from_name(name).unwrap_or_else(|| panic!("unknown type {name}"));
    VarSpec { ty: Type::tile(dims, scalar), small }
}

/// The analysis knowing the leaf types `v0`, `v1`, ….
pub fn analysis_for(vars: &[VarSpec]) -> TileAnalysis {
    let mut analysis = TileAnalysis::default();
    for (index, var) in vars.iter().enumerate() {
        analysis.leaf_types.insert(index as u32, var.ty.clone());
    }
    analysis
}

/// Relative tolerance of fast-math rules: `|a - b| <= tol * max(1, |a|, |b|)`, a few
/// ulps of the inputs' magnitude for reassociation, reciprocals and fused operations.
pub fn fast_math_tolerance(ty: ScalarType) -> f64 {
    match ty {
        ScalarType::F64 => 1e-12,
        ScalarType::F32 => 1e-5,
        ScalarType::F16 | ScalarType::BF16 => 5e-2,
        ScalarType::Bool
        | ScalarType::I8
        | ScalarType::I16
        | ScalarType::I32
        | ScalarType::I64
        | ScalarType::U8
        | ScalarType::U16
        | ScalarType::U32
        | ScalarType::U64 => 0.0,
    }
}

/// Checks every case of a group (see the module doc) and that each rule has a case.
pub fn check_group(rules: &[RuleDef], cases: &[Case]) {
    for rule in rules {
        assert!(cases.iter().any(|c| c.rule == rule.name), "rule {} has no test case", rule.name);
    }
    for case in cases {
        let rule = rules.iter().find(|r| r.name == case.rule);
        let rule = rule.unwrap_or_else(|| panic!("case for unknown rule {}", case.rule));
        check_start_to_goal(rule, case);
        check_sound(rule, case);
    }
}

/// Checks that each case's rule does *not* rewrite its start to its goal (a rewrite
/// the rule's guard must refuse because it would change results).
pub fn check_rejected(rules: &[RuleDef], cases: &[Case]) {
    for case in cases {
        let rule = rules.iter().find(|r| r.name == case.rule);
        let rule = rule.unwrap_or_else(|| panic!("case for unknown rule {}", case.rule));
        let vars: Vec<VarSpec> = case.vars.iter().map(|v| parse_var(v)).collect();
        let mut egraph = TileGraph::new(analysis_for(&vars));
        let root = egraph.add_expr(&parse_expr(&case.start));
        let rewrite = rule.to_rewrite().unwrap_or_else(|e| panic!("{e}"));
        let runner = Runner::default()
            .with_egraph(egraph)
            .with_iter_limit(4)
            .with_node_limit(10_000)
            .with_time_limit(Duration::MAX)
            .run([&rewrite]);
        let mut egraph = runner.egraph;
        let goal = egraph.add_expr(&parse_expr(&case.goal));
        egraph.rebuild();
        let label = format!("{}: {} => {}", case.rule, case.start, case.goal);
        assert_ne!(egraph.find(root), egraph.find(goal), "{label}: must not apply");
    }
}

fn parse_expr(text: &str) -> RecExpr<TileLang> {
    text.parse().unwrap_or_else(|e| panic!("`{text}` does not parse: {e}"))
}

/// Runs `rule` alone on the start expression; the goal must join the start's class.
fn check_start_to_goal(rule: &RuleDef, case: &Case) {
    let vars: Vec<VarSpec> = case.vars.iter().map(|v| parse_var(v)).collect();
    let (start, goal) = (parse_expr(&case.start), parse_expr(&case.goal));
    let label = format!("{}: {} => {}", case.rule, case.start, case.goal);
    let mut before = TileGraph::new(analysis_for(&vars));
    let (a, b) = (before.add_expr(&start), before.add_expr(&goal));
    before.rebuild();
    assert_ne!(before.find(a), before.find(b), "{label}: equal without the rule");
    let mut egraph = TileGraph::new(analysis_for(&vars));
    let root = egraph.add_expr(&start);
    assert!(egraph[root].data.ty.is_some(), "{label}: the start is ill-typed");
    let rewrite = rule.to_rewrite().unwrap_or_else(|e| panic!("{e}"));
    let runner = Runner::default()
        .with_egraph(egraph)
        .with_iter_limit(4)
        .with_node_limit(10_000)
        .with_time_limit(Duration::MAX)
        .run([&rewrite]);
    let mut egraph = runner.egraph;
    let goal_id = egraph.add_expr(&goal);
    egraph.rebuild();
    assert_eq!(egraph.find(root), egraph.find(goal_id), "{label}: goal not reached");
}

/// Interprets start and goal on random inputs and compares the results.
fn check_sound(rule: &RuleDef, case: &Case) {
    let vars: Vec<VarSpec> = case.vars.iter().map(|v| parse_var(v)).collect();
    let label = format!("{}: {} => {}", case.rule, case.start, case.goal);
    let start = Evaluator::new(&parse_expr(&case.start), &vars);
    let goal = Evaluator::new(&parse_expr(&case.goal), &vars);
    let mut rng = Rng::new(&label);
    let mut compared = 0;
    for _ in 0..24 {
        let inputs: Vec<Buffer> =
            vars.iter().map(|var| random_buffer(var, &mut rng, rule.fast_math)).collect();
        let (a, b) = (start.run(&inputs), goal.run(&inputs));
        match (a, b) {
            (Ok(a), Ok(b)) => {
                let tolerance = rule.fast_math.then(|| fast_math_tolerance(a.dtype()));
                if let Some(index) = first_difference(&a, &b, tolerance) {
                    panic!(
                        "{label}: element {index} differs: {:?} vs {:?}\ninputs: {inputs:?}",
                        a.get(index),
                        b.get(index)
                    );
                }
                compared += 1;
            }
            (Err(_), Err(_)) => {}
            (a, b) => panic!("{label}: one side failed: {a:?} vs {b:?}\ninputs: {inputs:?}"),
        }
    }
    assert!(compared >= 12, "{label}: only {compared} of 24 runs succeeded");
}

/// The index of the first element where `a` and `b` differ (NaN equals NaN).
pub fn first_difference(a: &Buffer, b: &Buffer, tolerance: Option<f64>) -> Option<usize> {
    if a.dtype() != b.dtype() || a.len() != b.len() {
        return Some(0);
    }
    (0..a.len()).find(|&i| match (a.get(i), b.get(i)) {
        (Some(x), Some(y)) => !same_scalar(x, y, tolerance),
        (None, None) => false,
        (Some(_), None) | (None, Some(_)) => true,
    })
}

fn same_scalar(a: Scalar, b: Scalar, tolerance: Option<f64>) -> bool {
    if !a.dtype().is_float() {
        return a == b;
    }
    let (x, y) = (a.to_f64(), b.to_f64());
    if x.is_nan() || y.is_nan() {
        return x.is_nan() && y.is_nan();
    }
    match tolerance {
        None => x.to_bits() == y.to_bits(),
        Some(tol) => x == y || (x - y).abs() <= tol * x.abs().max(y.abs()).max(1.0),
    }
}

/// A kernel computing one expression of the leaves `vi` (read from buffer `i`) into
/// the last buffer.
pub struct Evaluator {
    module: Module,
    out: (ScalarType, usize),
}

impl Evaluator {
    pub fn new(expr: &RecExpr<TileLang>, vars: &[VarSpec]) -> Evaluator {
        let func = build_kernel(expr, vars);
        if let Err(e) = verify_function(&func, None) {
            panic!(
                "{expr}: the test kernel does not verify: {e}\n{}",
                tessera_ir::print_function(&func)
            );
        }
        let out_ty = func.value_type(*func.params().last().expect("an output parameter"));
        let out = (out_ty.elem.pointee().expect("a pointer"), out_len(expr, vars));
        Evaluator { module: Module { functions: vec![func] }, out }
    }

    /// Runs the kernel on `inputs` (one buffer per leaf) and returns the result buffer.
    pub fn run(&self, inputs: &[Buffer]) -> Result<Buffer, String> {
        let mut args: Vec<KernelArg> = inputs.iter().cloned().map(KernelArg::Buffer).collect();
        args.push(KernelArg::Buffer(Buffer::zeros(self.out.0, self.out.1)));
        run_kernel(&self.module, "k", &mut args, &LaunchOptions::default())
            .map_err(|e| e.to_string())?;
        match args.pop() {
            Some(KernelArg::Buffer(buffer)) => Ok(buffer),
            Some(KernelArg::Scalar(_)) | None => Err("no output buffer".to_string()),
        }
    }
}

/// The types of the nodes of `expr` (`None` for attributes).
fn node_types(expr: &RecExpr<TileLang>, vars: &[VarSpec]) -> Vec<Option<Type>> {
    let mut egraph = TileGraph::new(analysis_for(vars));
    let mut ids: Vec<Id> = Vec::new();
    let mut types = Vec::new();
    for node in expr.as_ref() {
        let id = egraph.add(node.clone().map_children(|child| ids[usize::from(child)]));
        ids.push(id);
        types.push(egraph[id].data.ty.clone());
    }
    types
}

fn out_len(expr: &RecExpr<TileLang>, vars: &[VarSpec]) -> usize {
    let types = node_types(expr, vars);
    let root = types.last().cloned().flatten().expect("a typed root");
    root.num_elements() as usize
}

fn build_kernel(expr: &RecExpr<TileLang>, vars: &[VarSpec]) -> Function {
    let types = node_types(expr, vars);
    let root_ty = types.last().cloned().flatten().expect("a typed root");
    let out_elem = root_ty.scalar_type().or(root_ty.elem.pointee()).expect("scalars");
    let mut params: Vec<(String, Type)> = vars
        .iter()
        .enumerate()
        .map(|(i, var)| {
            let elem = var.ty.scalar_type().or(var.ty.elem.pointee()).expect("scalars");
            (format!("in{i}"), Type::ptr(elem))
        })
        .collect();
    params.push(("out".to_string(), Type::ptr(out_elem)));
    let mut k = Kernel { func: Function::new("k", FunctionKind::Kernel, &params) };
    let leaves: Vec<Value> = vars.iter().enumerate().map(|(i, var)| k.leaf(i, &var.ty)).collect();
    let mut values: Vec<Option<Value>> = Vec::new();
    for (index, node) in expr.as_ref().iter().enumerate() {
        let value = match (node.view(), &types[index]) {
            (View::Leaf(leaf), _) => Some(leaves[leaf as usize]),
            (_, None) => None,
            (_, Some(ty)) => {
                let value_of = |id: Id| values[usize::from(id)];
                let attr_of = |id: Id| Some(expr[id].clone());
                let op = node_op(node, &value_of, &attr_of).expect("an op for every value node");
                Some(k.emit(op, ty.clone()))
            }
        };
        values.push(value);
    }
    let result = values.last().copied().flatten().expect("a root value");
    k.store_result(result, &root_ty);
    k.emit_none(Op::Return { values: Vec::new() });
    k.func
}

/// A kernel under construction.
struct Kernel {
    func: Function,
}

impl Kernel {
    fn emit(&mut self, op: Op, ty: Type) -> Value {
        let inst = self.func.append_inst(self.func.body, op, vec![ty], Loc::default());
        self.func.result(inst)
    }

    fn emit_none(&mut self, op: Op) {
        self.func.append_inst(self.func.body, op, Vec::new(), Loc::default());
    }

    fn param(&self, index: usize) -> Value {
        self.func.params()[index]
    }

    /// Pointers `param + 0, 1, …` in row-major order over `shape`.
    fn lane_ptrs(&mut self, param: Value, shape: &[u32]) -> Value {
        let elem = self.func.value_type(param).elem;
        let n = shape.iter().product::<u32>();
        let mut offsets = self
            .emit(Op::Arange { start: 0, end: i64::from(n) }, Type::tile(vec![n], ScalarType::I32));
        if shape.len() != 1 {
            let ty = Type::tile(shape.to_vec(), ScalarType::I32);
            offsets = self.emit(Op::Reshape { arg: offsets }, ty);
        }
        let ptr_ty = Type { shape: shape.to_vec(), elem };
        let base = self.emit(Op::Splat { value: param }, ptr_ty.clone());
        self.emit(Op::PtrAdd { ptr: base, offset: offsets }, ptr_ty)
    }

    /// The value of leaf `index`: a load of its buffer, or a pointer 32 elements in.
    fn leaf(&mut self, index: usize, ty: &Type) -> Value {
        let param = self.param(index);
        if let ElemType::Ptr(_) = ty.elem {
            let offset_ty = Type::scalar(ScalarType::I64);
            let offset = self.emit(Op::Const { value: Constant::Int(32) }, offset_ty);
            return self.emit(Op::PtrAdd { ptr: param, offset }, ty.clone());
        }
        let ptr = if ty.is_scalar() { param } else { self.lane_ptrs(param, &ty.shape) };
        self.emit(Op::Load { ptr, mask: None, other: None }, ty.clone())
    }

    /// Stores `value` (loading through it first if it is a pointer) into `out`.
    fn store_result(&mut self, value: Value, ty: &Type) {
        let out = self.param(self.func.params().len() - 1);
        let value = match ty.elem {
            ElemType::Ptr(pointee) => {
                let loaded = Type { shape: ty.shape.clone(), elem: ElemType::Scalar(pointee) };
                self.emit(Op::Load { ptr: value, mask: None, other: None }, loaded)
            }
            ElemType::Scalar(_) => value,
        };
        let ptr = if ty.is_scalar() { out } else { self.lane_ptrs(out, &ty.shape) };
        self.emit_none(Op::Store { ptr, value, mask: None });
    }
}

/// A small deterministic generator (xorshift64*), seeded from a label.
pub struct Rng(u64);

impl Rng {
    pub fn new(label: &str) -> Rng {
        let seed = label.bytes().fold(0x9E37_79B9_7F4A_7C15u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3)
        });
        Rng(seed | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// A buffer for leaf `var`: 64 elements behind a pointer leaf, else one per element.
pub fn random_buffer(var: &VarSpec, rng: &mut Rng, finite: bool) -> Buffer {
    let (elem, len) = match var.ty.elem {
        ElemType::Ptr(pointee) => (pointee, 64),
        ElemType::Scalar(scalar) => (scalar, var.ty.num_elements() as usize),
    };
    let floats = |rng: &mut Rng| -> Vec<f64> {
        (0..len).map(|_| if finite { finite_float(rng) } else { special_float(rng) }).collect()
    };
    match elem {
        ScalarType::Bool => Buffer::Bool((0..len).map(|_| rng.next() & 1 == 1).collect()),
        ScalarType::F64 => Buffer::F64(if finite { floats(rng) } else { f64_values(rng, len) }),
        ScalarType::F32 => Buffer::F32(if finite {
            floats(rng).iter().map(|&v| v as f32).collect()
        } else {
            (0..len).map(|_| f32_value(rng)).collect()
        }),
        ScalarType::F16 => Buffer::F16(if finite {
            floats(rng).iter().map(|&v| f16::from_f64(v)).collect()
        } else {
            (0..len).map(|_| f16_value(rng)).collect()
        }),
        ScalarType::BF16 => Buffer::BF16(if finite {
            floats(rng).iter().map(|&v| bf16::from_f64(v)).collect()
        } else {
            (0..len).map(|_| bf16_value(rng)).collect()
        }),
        ScalarType::I8
        | ScalarType::I16
        | ScalarType::I32
        | ScalarType::I64
        | ScalarType::U8
        | ScalarType::U16
        | ScalarType::U32
        | ScalarType::U64 => int_buffer(elem, len, rng, var.small),
    }
}

fn int_buffer(ty: ScalarType, len: usize, rng: &mut Rng, small: bool) -> Buffer {
    let specials: [i128; 18] =
        [0, 1, -1, 2, -2, 3, 7, 8, 16, 31, 32, 63, 64, -8, 100, -100, i128::MIN, i128::MAX];
    let values: Vec<i128> = (0..len)
        .map(|_| {
            if small {
                return rng.below(9) as i128 - 4;
            }
            match rng.below(4) {
                0 | 1 => rng.pick(&specials),
                2 => rng.next() as i64 as i128,
                _ => rng.below(41) as i128 - 20,
            }
        })
        .collect();
    let (min, max) = int_range(ty);
    // i128::MIN / MAX stand for the type's extremes; other values wrap.
    let fit = |v: i128| match v {
        i128::MIN => min,
        i128::MAX => max,
        v => v,
    };
    match ty {
        ScalarType::I8 => Buffer::I8(values.iter().map(|&v| fit(v) as i8).collect()),
        ScalarType::I16 => Buffer::I16(values.iter().map(|&v| fit(v) as i16).collect()),
        ScalarType::I32 => Buffer::I32(values.iter().map(|&v| fit(v) as i32).collect()),
        ScalarType::I64 => Buffer::I64(values.iter().map(|&v| fit(v) as i64).collect()),
        ScalarType::U8 => Buffer::U8(values.iter().map(|&v| fit(v) as u8).collect()),
        ScalarType::U16 => Buffer::U16(values.iter().map(|&v| fit(v) as u16).collect()),
        ScalarType::U32 => Buffer::U32(values.iter().map(|&v| fit(v) as u32).collect()),
        ScalarType::U64 => Buffer::U64(values.iter().map(|&v| fit(v) as u64).collect()),
        ScalarType::Bool
        | ScalarType::F16
        | ScalarType::BF16
        | ScalarType::F32
        | ScalarType::F64 => Buffer::zeros(ty, len),
    }
}

/// The smallest and largest value of an integer type.
fn int_range(ty: ScalarType) -> (i128, i128) {
    let bits = ty.bits();
    if ty.is_signed_int() {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    } else {
        (0, (1i128 << bits) - 1)
    }
}

/// Specials: zeros, ones, halves, infinities, NaN, and moderate values.
fn special_float(rng: &mut Rng) -> f64 {
    let specials = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 3.0, -3.5, 0.1, 1e-3, 1e3, 65504.0, 1e20];
    match rng.below(3) {
        0 => rng.pick(&specials),
        1 => rng.pick(&[f64::INFINITY, f64::NEG_INFINITY, f64::NAN, -0.0]),
        _ => finite_float(rng),
    }
}

/// A finite value in ±[0.5, 2) or ±[0.001, 8).
fn finite_float(rng: &mut Rng) -> f64 {
    let unit = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
    let sign = if rng.next() & 1 == 1 { -1.0 } else { 1.0 };
    let magnitude = if rng.next() & 1 == 1 { 0.5 + 1.5 * unit } else { 0.001 + 8.0 * unit };
    sign * magnitude
}

fn f64_values(rng: &mut Rng, len: usize) -> Vec<f64> {
    let edges = [f64::MIN_POSITIVE, f64::from_bits(1), f64::MAX, -f64::MAX, f64::EPSILON];
    (0..len)
        .map(|_| match rng.below(4) {
            0 => f64::from_bits(rng.next()),
            1 => rng.pick(&edges),
            _ => special_float(rng),
        })
        .collect()
}

fn f32_value(rng: &mut Rng) -> f32 {
    let edges =
        [f32::MIN_POSITIVE, f32::from_bits(1), f32::from_bits(0x007f_ffff), f32::MAX, -f32::MAX];
    match rng.below(4) {
        0 => f32::from_bits(rng.next() as u32),
        1 => rng.pick(&edges),
        _ => special_float(rng) as f32,
    }
}

fn f16_value(rng: &mut Rng) -> f16 {
    let edges = [f16::MIN_POSITIVE, f16::from_bits(1), f16::from_bits(0x03ff), f16::MAX, f16::MIN];
    match rng.below(4) {
        0 => f16::from_bits(rng.next() as u16),
        1 => rng.pick(&edges),
        _ => f16::from_f64(special_float(rng)),
    }
}

fn bf16_value(rng: &mut Rng) -> bf16 {
    let edges =
        [bf16::MIN_POSITIVE, bf16::from_bits(1), bf16::from_bits(0x007f), bf16::MAX, bf16::MIN];
    match rng.below(4) {
        0 => bf16::from_bits(rng.next() as u16),
        1 => rng.pick(&edges),
        _ => bf16::from_f64(special_float(rng)),
    }
}
