//! Builder-made functions covering every op kind, nested control flow, helpers and
//! calls, every scalar type and special floats; shared by the text-form tests.

#![allow(dead_code)]

use tessera_ir::{
    AtomicOp, BinaryOp, Block, CmpPred, Constant, ElemType, Function, FunctionKind, Loc, Module,
    Op, ReduceOp, ScalarType, ScanOp, Type, UnaryOp, Value,
};
use ScalarType::{Bool, BF16, F16, F32, F64, I16, I32, I64, I8, U16, U32, U64, U8};

/// Appends instructions to a function, one current block at a time.
pub struct Builder {
    pub func: Function,
    pub block: Block,
}

pub fn scalar(s: ScalarType) -> Type {
    Type::scalar(s)
}

pub fn tile(shape: &[u32], s: ScalarType) -> Type {
    Type::tile(shape.to_vec(), s)
}

pub fn ptr_tile(shape: &[u32], s: ScalarType) -> Type {
    Type { shape: shape.to_vec(), elem: ElemType::Ptr(s) }
}

pub fn loc(line: u32, col: u32) -> Loc {
    Loc { line, col }
}

impl Builder {
    pub fn new(name: &str, kind: FunctionKind, params: &[(&str, Type)]) -> Builder {
        let params: Vec<(String, Type)> =
            params.iter().map(|(name, ty)| (name.to_string(), ty.clone())).collect();
        let func = Function::new(name, kind, &params);
        let block = func.body;
        Builder { func, block }
    }

    pub fn param(&self, index: usize) -> Value {
        self.func.params()[index]
    }

    pub fn op(&mut self, op: Op, ty: Type) -> Value {
        self.op_at(op, ty, Loc::default())
    }

    pub fn op_at(&mut self, op: Op, ty: Type, at: Loc) -> Value {
        let inst = self.func.append_inst(self.block, op, vec![ty], at);
        self.func.result(inst)
    }

    pub fn ops(&mut self, op: Op, types: Vec<Type>, at: Loc) -> Vec<Value> {
        let inst = self.func.append_inst(self.block, op, types, at);
        self.func.insts[inst].results.clone()
    }

    pub fn effect(&mut self, op: Op, at: Loc) {
        self.func.append_inst(self.block, op, Vec::new(), at);
    }

    pub fn int(&mut self, value: i64, s: ScalarType) -> Value {
        self.op(Op::Const { value: Constant::Int(value) }, scalar(s))
    }

    pub fn float(&mut self, value: f64, s: ScalarType) -> Value {
        self.op(Op::Const { value: Constant::Float(value) }, scalar(s))
    }

    pub fn splat(&mut self, value: Value, shape: &[u32]) -> Value {
        let ty = self.func.value_type(value).with_shape(shape.to_vec());
        self.op(Op::Splat { value }, ty)
    }

    pub fn binary(&mut self, op: BinaryOp, lhs: Value, rhs: Value) -> Value {
        let ty = self.func.value_type(lhs).clone();
        self.op(Op::Binary { op, lhs, rhs }, ty)
    }

    pub fn cast(&mut self, arg: Value, s: ScalarType) -> Value {
        let ty = self.func.value_type(arg).with_elem(ElemType::Scalar(s));
        self.op(Op::Cast { arg }, ty)
    }

    pub fn yield_values(&mut self, values: Vec<Value>) {
        self.effect(Op::Yield { values }, Loc::default());
    }

    pub fn ret(&mut self, values: Vec<Value>) {
        self.effect(Op::Return { values }, Loc::default());
    }

    /// A new block with arguments of `types`.
    pub fn block_with(&mut self, types: &[Type]) -> (Block, Vec<Value>) {
        let block = self.func.create_block();
        let args = types.iter().map(|ty| self.func.append_block_arg(block, ty.clone())).collect();
        (block, args)
    }

    /// Runs `fill` with `block` as the current block.
    pub fn fill<R>(&mut self, block: Block, fill: impl FnOnce(&mut Builder) -> R) -> R {
        let outer = std::mem::replace(&mut self.block, block);
        let out = fill(self);
        self.block = outer;
        out
    }
}

/// The language reference's softmax, lowered by hand.
pub fn softmax() -> Function {
    let mut b = Builder::new(
        "softmax",
        FunctionKind::Kernel,
        &[
            ("x", scalar_ptr(F32)),
            ("y", scalar_ptr(F32)),
            ("n_cols", scalar(I32)),
            ("stride", scalar(I32)),
        ],
    );
    b.func.specialization = vec![("BLOCK".into(), 1024)];
    let (x, y, n_cols, stride) = (b.param(0), b.param(1), b.param(2), b.param(3));
    let row = b.op(Op::ProgramId { axis: 0 }, scalar(I32));
    let cols = b.op(Op::Arange { start: 0, end: 1024 }, tile(&[1024], I32));
    let limit = b.splat(n_cols, &[1024]);
    let mask = b.op(Op::Cmp { pred: CmpPred::Lt, lhs: cols, rhs: limit }, tile(&[1024], Bool));
    let row_start = b.binary(BinaryOp::Mul, row, stride);
    let row_starts = b.splat(row_start, &[1024]);
    let offsets = b.binary(BinaryOp::Add, row_starts, cols);
    let xs = b.splat(x, &[1024]);
    let x_ptrs = b.op(Op::PtrAdd { ptr: xs, offset: offsets }, ptr_tile(&[1024], F32));
    let neg_inf = b.float(f64::NEG_INFINITY, F32);
    let other = b.splat(neg_inf, &[1024]);
    let load = Op::Load { ptr: x_ptrs, mask: Some(mask), other: Some(other) };
    let v = b.op_at(load, tile(&[1024], F32), loc(7, 13));
    let max = b.op(Op::Reduce { op: ReduceOp::Max, arg: v, axis: 0 }, scalar(F32));
    let maxes = b.splat(max, &[1024]);
    let shifted = b.binary(BinaryOp::Sub, v, maxes);
    let e = b.op(Op::Unary { op: UnaryOp::Exp, arg: shifted }, tile(&[1024], F32));
    let sum = b.op(Op::Reduce { op: ReduceOp::Sum, arg: e, axis: 0 }, scalar(F32));
    let sums = b.splat(sum, &[1024]);
    let out = b.binary(BinaryOp::Div, e, sums);
    let ys = b.splat(y, &[1024]);
    let y_ptrs = b.op(Op::PtrAdd { ptr: ys, offset: offsets }, ptr_tile(&[1024], F32));
    b.effect(Op::Store { ptr: y_ptrs, value: out, mask: Some(mask) }, loc(8, 5));
    b.ret(Vec::new());
    b.func
}

fn scalar_ptr(s: ScalarType) -> Type {
    Type::ptr(s)
}

/// Every data, memory and grid op, on several element types.
pub fn every_op() -> Function {
    let mut b = Builder::new(
        "every_op",
        FunctionKind::Kernel,
        &[("pf", scalar_ptr(F32)), ("pi", scalar_ptr(I32)), ("n", scalar(I32))],
    );
    let (pf, pi) = (b.param(0), b.param(1));
    for axis in 0..3 {
        b.op(Op::ProgramId { axis }, scalar(I32));
        b.op(Op::NumPrograms { axis }, scalar(I32));
    }
    let ints = b.op(Op::Arange { start: -2, end: 2 }, tile(&[4], I32));
    let floats = b.cast(ints, F32);
    let bools = b.cast(ints, Bool);
    for op in UnaryOp::ALL {
        let args: &[Value] = if op.is_float_only() {
            &[floats]
        } else if op == UnaryOp::Not {
            &[ints, bools]
        } else {
            &[floats, ints]
        };
        for &arg in args {
            let ty = b.func.value_type(arg).clone();
            b.op(Op::Unary { op, arg }, ty);
        }
    }
    for op in BinaryOp::ALL {
        let args: &[Value] = match op {
            BinaryOp::Shl | BinaryOp::Shr => &[ints],
            _ if op.is_bitwise() => &[ints, bools],
            _ => &[floats, ints],
        };
        for &arg in args {
            b.binary(op, arg, arg);
        }
    }
    let mut mask = bools;
    for pred in CmpPred::ALL {
        mask = b.op(Op::Cmp { pred, lhs: floats, rhs: floats }, tile(&[4], Bool));
    }
    b.op(Op::Select { cond: mask, on_true: floats, on_false: floats }, tile(&[4], F32));
    for s in [I8, U64, F16, BF16, F64, Bool] {
        b.cast(floats, s);
    }
    memory_ops(&mut b, pf, pi, ints, floats, mask);
    layout_ops(&mut b, floats);
    let message = "lanes \"ok\"\n\tdone \\ ✓".to_string();
    b.effect(Op::Assert { cond: mask, message }, loc(40, 3));
    b.ret(Vec::new());
    b.func
}

fn memory_ops(b: &mut Builder, pf: Value, pi: Value, ints: Value, floats: Value, mask: Value) {
    let pfs = b.splat(pf, &[4]);
    let f_ptrs = b.op(Op::PtrAdd { ptr: pfs, offset: ints }, ptr_tile(&[4], F32));
    let pis = b.splat(pi, &[4]);
    let i_ptrs = b.op(Op::PtrAdd { ptr: pis, offset: ints }, ptr_tile(&[4], I32));
    let f4 = tile(&[4], F32);
    for (line, (mask, other)) in
        [(None, None), (Some(mask), None), (Some(mask), Some(floats)), (None, Some(floats))]
            .into_iter()
            .enumerate()
    {
        b.op_at(Op::Load { ptr: f_ptrs, mask, other }, f4.clone(), loc(10 + line as u32, 1));
    }
    b.op(Op::Load { ptr: i_ptrs, mask: None, other: None }, tile(&[4], I32));
    b.effect(Op::Store { ptr: f_ptrs, value: floats, mask: None }, loc(20, 2));
    b.effect(Op::Store { ptr: i_ptrs, value: ints, mask: Some(mask) }, Loc::default());
    let add = Op::Atomic { op: AtomicOp::Add, ptr: f_ptrs, value: floats, mask: None };
    b.op_at(add, f4, loc(21, 2));
    let max = Op::Atomic { op: AtomicOp::Max, ptr: i_ptrs, value: ints, mask: Some(mask) };
    b.op_at(max, tile(&[4], I32), loc(22, 2));
}

fn layout_ops(b: &mut Builder, floats: Value) {
    let row = b.op(Op::ExpandDims { arg: floats, axis: 0 }, tile(&[1, 4], F32));
    let column = b.op(Op::ExpandDims { arg: floats, axis: 1 }, tile(&[4, 1], F32));
    let wide = b.op(Op::Broadcast { arg: column }, tile(&[4, 8], F32));
    b.op(Op::Broadcast { arg: row }, tile(&[8, 4], F32));
    let flat = b.op(Op::Reshape { arg: wide }, tile(&[32], F32));
    let cube = b.op(Op::Reshape { arg: flat }, tile(&[2, 4, 4], F32));
    b.op(Op::Trans { arg: cube, perm: vec![2, 0, 1] }, tile(&[4, 2, 4], F32));
    let tall = b.op(Op::Trans { arg: wide, perm: vec![1, 0] }, tile(&[8, 4], F32));
    for op in ReduceOp::ALL {
        for (axis, shape) in [(0, 8), (1, 4)] {
            let elem = match op {
                ReduceOp::ArgMax | ReduceOp::ArgMin => I32,
                ReduceOp::Sum | ReduceOp::Max | ReduceOp::Min => F32,
            };
            b.op(Op::Reduce { op, arg: wide, axis }, tile(&[shape], elem));
        }
    }
    b.op(Op::Reduce { op: ReduceOp::ArgMax, arg: flat, axis: 0 }, scalar(I32));
    b.op(Op::Scan { op: ScanOp::Cumsum, arg: wide, axis: 1 }, tile(&[4, 8], F32));
    for (input, acc) in [(F16, F32), (BF16, F32), (F32, F32), (F64, F64), (I8, I32)] {
        let a = b.cast(wide, input);
        let bt = b.cast(tall, input);
        let zero = if acc == I32 { b.int(0, I32) } else { b.float(0.0, acc) };
        let acc_tile = b.splat(zero, &[4, 4]);
        b.op(Op::Dot { a, b: bt, acc: acc_tile }, tile(&[4, 4], acc));
    }
    for elem in [F16, BF16, F32, F64] {
        let x = b.cast(wide, elem);
        b.op(Op::Fma { a: x, b: x, c: x }, tile(&[4, 8], elem));
    }
}

/// Constants of every scalar type, with edge values and special floats.
pub fn constants() -> Function {
    let mut b = Builder::new("constants", FunctionKind::Kernel, &[]);
    b.func.specialization = vec![("A".into(), -5), ("odd name".into(), i64::MAX)];
    for value in [true, false] {
        b.op(Op::Const { value: Constant::Bool(value) }, scalar(Bool));
    }
    let ints: [(ScalarType, &[i64]); 8] = [
        (I8, &[-128, 127, 0]),
        (I16, &[-32768, 32767]),
        (I32, &[i32::MIN as i64, i32::MAX as i64, -1]),
        (I64, &[i64::MIN, i64::MAX]),
        (U8, &[0, 127, -1, -128]),
        (U16, &[-1, 1000]),
        (U32, &[-1, i32::MIN as i64, 7]),
        (U64, &[-1, i64::MIN, 42]),
    ];
    for (s, values) in ints {
        for &value in values {
            b.int(value, s);
        }
    }
    let specials = [0.0, -0.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN, 1.0, -2.5];
    for s in [F16, BF16, F32, F64] {
        for value in specials {
            b.float(value, s);
        }
    }
    let narrow = |x: f32| x as f64;
    for value in [narrow(0.1), narrow(f32::MAX), narrow(f32::MIN_POSITIVE), narrow(1e-45)] {
        b.float(value, F32);
    }
    let halfs = [half::f16::MAX, half::f16::MIN_POSITIVE_SUBNORMAL, half::f16::from_f32(0.1)];
    for value in halfs {
        b.float(value.to_f64(), F16);
    }
    for value in [half::bf16::MAX, half::bf16::from_f32(3.3)] {
        b.float(value.to_f64(), BF16);
    }
    for value in [0.1, 1e300, 5e-324, f64::MAX, 1e16, 123456.789, -1e-7] {
        b.float(value, F64);
    }
    for bits in [0x7ff8_0000_0000_0001, 0xfff8_0000_0000_0000, 0x7ff0_0000_0000_0001] {
        b.float(f64::from_bits(bits), F64);
        b.float(f64::from_bits(bits), F32);
    }
    b.ret(Vec::new());
    b.func
}

/// Nested `for`/`while`/`if`, with and without carried values and results.
pub fn control_flow() -> Function {
    let mut b =
        Builder::new("loops", FunctionKind::Kernel, &[("p", scalar_ptr(F32)), ("n", scalar(I32))]);
    let n = b.param(1);
    let (zero, one) = (b.int(0, I32), b.int(1, I32));
    let zero_f = b.float(0.0, F32);
    let zeros = b.splat(zero_f, &[4]);
    let f4 = tile(&[4], F32);
    let (body, args) = b.block_with(&[scalar(I32), f4.clone(), scalar(I32)]);
    b.fill(body, |b| {
        let (iv, acc, count) = (args[0], args[1], args[2]);
        let iv_f = b.cast(iv, F32);
        let ivs = b.splat(iv_f, &[4]);
        let next = b.binary(BinaryOp::Add, acc, ivs);
        let next_count = b.binary(BinaryOp::Add, count, one);
        let small = b.op(Op::Cmp { pred: CmpPred::Lt, lhs: iv, rhs: n }, scalar(Bool));
        let (then_block, _) = b.block_with(&[]);
        b.fill(then_block, |b| b.yield_values(vec![next]));
        let (else_block, _) = b.block_with(&[]);
        b.fill(else_block, |b| b.yield_values(vec![acc]));
        let chosen = b.op(Op::If { cond: small, then_block, else_block }, f4.clone());
        b.yield_values(vec![chosen, next_count]);
    });
    let for_op = Op::For { lower: zero, upper: n, step: one, inits: vec![zeros, zero], body };
    let sums = b.ops(for_op, vec![f4.clone(), scalar(I32)], loc(3, 5));
    let loop_results = while_loop(&mut b, zero, sums[1], n, one);
    empty_loops(&mut b, loop_results[0]);
    b.ret(Vec::new());
    b.func
}

/// `while` with two carried values; an `if` without results in the condition and a
/// `for` without carried values in the body.
fn while_loop(b: &mut Builder, zero: Value, start: Value, n: Value, one: Value) -> Vec<Value> {
    let (cond, cond_args) = b.block_with(&[scalar(I32), scalar(I32)]);
    b.fill(cond, |b| {
        let going = b.op(Op::Cmp { pred: CmpPred::Lt, lhs: cond_args[0], rhs: n }, scalar(Bool));
        let (then_block, _) = b.block_with(&[]);
        b.fill(then_block, |b| b.yield_values(vec![]));
        let (else_block, _) = b.block_with(&[]);
        b.fill(else_block, |b| b.yield_values(vec![]));
        b.ops(Op::If { cond: going, then_block, else_block }, vec![], Loc::default());
        b.effect(Op::Condition { cond: going }, Loc::default());
    });
    let (body, body_args) = b.block_with(&[scalar(I32), scalar(I32)]);
    b.fill(body, |b| {
        let next = b.binary(BinaryOp::Add, body_args[0], one);
        let (inner, _) = b.block_with(&[scalar(I32)]);
        b.fill(inner, |b| b.yield_values(vec![]));
        let inner_for = Op::For { lower: zero, upper: next, step: one, inits: vec![], body: inner };
        b.ops(inner_for, vec![], Loc::default());
        b.yield_values(vec![next, body_args[1]]);
    });
    let op = Op::While { inits: vec![zero, start], cond, body };
    b.ops(op, vec![scalar(I32), scalar(I32)], Loc::default())
}

/// A `while` carrying nothing and a `for` over i64 bounds.
fn empty_loops(b: &mut Builder, bound: Value) {
    let (cond, _) = b.block_with(&[]);
    b.fill(cond, |b| {
        let stop = b.op(Op::Const { value: Constant::Bool(false) }, scalar(Bool));
        b.effect(Op::Condition { cond: stop }, Loc::default());
    });
    let (body, _) = b.block_with(&[]);
    b.fill(body, |b| b.yield_values(vec![]));
    b.ops(Op::While { inits: vec![], cond, body }, vec![], Loc::default());
    let wide = b.cast(bound, I64);
    let (lower, step) = (b.int(-3, I64), b.int(2, I64));
    let (body, args) = b.block_with(&[scalar(I64), scalar(I64)]);
    b.fill(body, |b| {
        let sum = b.binary(BinaryOp::Add, args[0], args[1]);
        b.yield_values(vec![sum]);
    });
    let op = Op::For { lower, upper: wide, step, inits: vec![lower], body };
    b.ops(op, vec![scalar(I64)], loc(30, 9));
}

/// Helpers (several results, none, an odd name) and a kernel calling them.
pub fn helpers() -> Vec<Function> {
    let f4 = tile(&[4], F32);
    let mut scale =
        Builder::new("scale", FunctionKind::Helper, &[("x", f4.clone()), ("s", scalar(F32))]);
    scale.func.result_types = vec![f4.clone()];
    let s = scale.param(1);
    let ss = scale.splat(s, &[4]);
    let x = scale.param(0);
    let product = scale.binary(BinaryOp::Mul, x, ss);
    scale.ret(vec![product]);

    let mut pair =
        Builder::new("pair", FunctionKind::Helper, &[("a", scalar(F32)), ("b", scalar(I32))]);
    pair.func.result_types = vec![scalar(F32), scalar(I32)];
    let (a, bb) = (pair.param(0), pair.param(1));
    let negated = pair.op(Op::Unary { op: UnaryOp::Neg, arg: a }, scalar(F32));
    pair.ret(vec![negated, bb]);

    let mut odd = Builder::new("odd name", FunctionKind::Helper, &[("weird \"p\"\n", scalar(F32))]);
    odd.ret(vec![]);

    let mut chain = Builder::new("chain", FunctionKind::Helper, &[("x", f4.clone())]);
    chain.func.result_types = vec![f4.clone()];
    let one = chain.float(1.0, F32);
    let x = chain.param(0);
    let scaled = chain.ops(
        Op::Call { callee: "scale".into(), args: vec![x, one] },
        vec![f4.clone()],
        Loc::default(),
    );
    chain.ret(scaled);

    let mut caller = Builder::new("caller", FunctionKind::Kernel, &[("v", scalar(F32))]);
    let v = caller.param(0);
    let vs = caller.splat(v, &[4]);
    let call = |callee: &str, args: Vec<Value>| Op::Call { callee: callee.into(), args };
    caller.ops(call("chain", vec![vs]), vec![f4], Loc::default());
    let seven = caller.int(7, I32);
    let results =
        caller.ops(call("pair", vec![v, seven]), vec![scalar(F32), scalar(I32)], Loc::default());
    caller.ops(call("odd name", vec![results[0]]), vec![], Loc::default());
    caller.ret(vec![]);
    vec![scale.func, pair.func, odd.func, chain.func, caller.func]
}

/// Every fixture in one module.
pub fn module() -> Module {
    let mut functions = vec![softmax(), every_op(), constants(), control_flow()];
    functions.extend(helpers());
    Module { functions }
}
