//! Interpreter tests. [`Builder`] writes small functions by hand; [`map_tiles`] wraps a
//! body in a kernel that loads its inputs as 1-D tiles and stores the result, so each
//! op test is a few lines checked against plain Rust.

mod casts;
mod control;
mod elementwise;
mod launch;
mod memory;
mod reductions;

use super::{run_kernel, Buffer, InterpError, KernelArg, LaunchOptions};
use crate::function::{Block, Function, FunctionKind, Inst, Loc, Module, Value};
use crate::ops::{BinaryOp, CmpPred, Constant, Op, UnaryOp};
use crate::types::{ElemType, ScalarType, Type};

/// Appends instructions to a function, one source line per instruction.
pub(super) struct Builder {
    pub func: Function,
    pub block: Block,
}

impl Builder {
    pub fn kernel(name: &str, params: &[(&str, Type)]) -> Builder {
        Builder::new(name, FunctionKind::Kernel, params)
    }

    pub fn helper(name: &str, params: &[(&str, Type)], results: &[Type]) -> Builder {
        let mut builder = Builder::new(name, FunctionKind::Helper, params);
        builder.func.result_types = results.to_vec();
        builder
    }

    fn new(name: &str, kind: FunctionKind, params: &[(&str, Type)]) -> Builder {
        let params: Vec<(String, Type)> =
            params.iter().map(|(n, t)| (n.to_string(), t.clone())).collect();
        let func = Function::new(name, kind, &params);
        let block = func.body;
        Builder { func, block }
    }

    pub fn param(&self, index: usize) -> Value {
        self.func.params()[index]
    }

    pub fn ty(&self, value: Value) -> Type {
        self.func.value_type(value).clone()
    }

    /// Appends `op` with results of `types`; instruction `n` sits on line `n + 1`.
    pub fn inst(&mut self, op: Op, types: Vec<Type>) -> Inst {
        let line = self.func.insts.len() as u32 + 1;
        self.func.append_inst(self.block, op, types, Loc { line, col: 5 })
    }

    /// Appends a single-result op and returns its result.
    pub fn op(&mut self, op: Op, ty: Type) -> Value {
        let inst = self.inst(op, vec![ty]);
        self.func.result(inst)
    }

    /// Runs `f` with new instructions going to `block`.
    pub fn in_block<R>(&mut self, block: Block, f: impl FnOnce(&mut Builder) -> R) -> R {
        let saved = std::mem::replace(&mut self.block, block);
        let result = f(self);
        self.block = saved;
        result
    }

    /// A new block with arguments of `types`.
    pub fn new_block(&mut self, types: &[Type]) -> (Block, Vec<Value>) {
        let block = self.func.create_block();
        let args = types.iter().map(|t| self.func.append_block_arg(block, t.clone())).collect();
        (block, args)
    }

    pub fn constant(&mut self, value: Constant, dtype: ScalarType) -> Value {
        self.op(Op::Const { value }, Type::scalar(dtype))
    }

    pub fn int(&mut self, value: i64, dtype: ScalarType) -> Value {
        self.constant(Constant::Int(value), dtype)
    }

    pub fn i32(&mut self, value: i32) -> Value {
        self.int(i64::from(value), ScalarType::I32)
    }

    pub fn float(&mut self, value: f64, dtype: ScalarType) -> Value {
        self.constant(Constant::Float(value), dtype)
    }

    pub fn boolean(&mut self, value: bool) -> Value {
        self.constant(Constant::Bool(value), ScalarType::Bool)
    }

    pub fn binary(&mut self, op: BinaryOp, lhs: Value, rhs: Value) -> Value {
        let ty = self.ty(lhs);
        self.op(Op::Binary { op, lhs, rhs }, ty)
    }

    pub fn unary(&mut self, op: UnaryOp, arg: Value) -> Value {
        let ty = self.ty(arg);
        self.op(Op::Unary { op, arg }, ty)
    }

    pub fn cmp(&mut self, pred: CmpPred, lhs: Value, rhs: Value) -> Value {
        let ty = self.ty(lhs).with_elem(ElemType::Scalar(ScalarType::Bool));
        self.op(Op::Cmp { pred, lhs, rhs }, ty)
    }

    pub fn cast(&mut self, arg: Value, dtype: ScalarType) -> Value {
        let ty = self.ty(arg).with_elem(ElemType::Scalar(dtype));
        self.op(Op::Cast { arg }, ty)
    }

    pub fn splat(&mut self, value: Value, shape: &[u32]) -> Value {
        let ty = self.ty(value).with_shape(shape.to_vec());
        self.op(Op::Splat { value }, ty)
    }

    pub fn reshape(&mut self, arg: Value, shape: &[u32]) -> Value {
        let ty = self.ty(arg).with_shape(shape.to_vec());
        self.op(Op::Reshape { arg }, ty)
    }

    pub fn arange(&mut self, start: i64, end: i64) -> Value {
        self.op(Op::Arange { start, end }, Type::tile(vec![(end - start) as u32], ScalarType::I32))
    }

    /// `ptr + offsets`, with a scalar `ptr` splatted to the offsets' shape.
    pub fn offset(&mut self, ptr: Value, offsets: Value) -> Value {
        let shape = self.ty(offsets).shape;
        let ptr = if self.ty(ptr).is_scalar() && !shape.is_empty() {
            self.splat(ptr, &shape)
        } else {
            ptr
        };
        let ty = self.ty(ptr);
        self.op(Op::PtrAdd { ptr, offset: offsets }, ty)
    }

    pub fn load(&mut self, ptr: Value, mask: Option<Value>, other: Option<Value>) -> Value {
        let ptr_ty = self.ty(ptr);
        let ty = ptr_ty.with_elem(ElemType::Scalar(ptr_ty.elem.pointee().expect("pointer")));
        self.op(Op::Load { ptr, mask, other }, ty)
    }

    pub fn store(&mut self, ptr: Value, value: Value, mask: Option<Value>) -> Inst {
        self.inst(Op::Store { ptr, value, mask }, vec![])
    }

    pub fn ret(&mut self, values: Vec<Value>) {
        self.inst(Op::Return { values }, vec![]);
    }

    pub fn yield_(&mut self, values: Vec<Value>) {
        self.inst(Op::Yield { values }, vec![]);
    }

    /// Ends the body with `return` and wraps the function in a module.
    pub fn finish(mut self) -> Module {
        self.ret(vec![]);
        Module { functions: vec![self.func] }
    }
}

pub(super) fn ptr(dtype: ScalarType) -> Type {
    Type::ptr(dtype)
}

/// Launches `kernel` of `module` on `grid`; returns the arguments afterwards.
pub(super) fn launch(
    module: &Module,
    args: Vec<KernelArg>,
    grid: [u32; 3],
) -> Result<Vec<KernelArg>, InterpError> {
    let options = LaunchOptions { grid, ..LaunchOptions::default() };
    launch_with(module, args, &options)
}

pub(super) fn launch_with(
    module: &Module,
    mut args: Vec<KernelArg>,
    options: &LaunchOptions,
) -> Result<Vec<KernelArg>, InterpError> {
    let kernel = module.kernels().next().expect("a kernel").name.clone();
    run_kernel(module, &kernel, &mut args, options)?;
    Ok(args)
}

/// The buffer of argument `index`.
pub(super) fn buffer_arg(args: &[KernelArg], index: usize) -> Buffer {
    match &args[index] {
        KernelArg::Buffer(buffer) => buffer.clone(),
        KernelArg::Scalar(scalar) => panic!("argument {index} is the scalar {scalar}"),
    }
}

/// Builds the kernel `k(x0, …, out)`: loads every input buffer as a 1-D tile, calls
/// `body` on the tiles, stores the tile it returns (as long as `x0`) into `out` (of
/// type `out_dtype`), runs it once and returns `out`.
pub(super) fn try_map_tiles(
    inputs: Vec<Buffer>,
    out_dtype: ScalarType,
    body: impl FnOnce(&mut Builder, &[Value]) -> Value,
) -> Result<Buffer, InterpError> {
    let n = inputs[0].len();
    let names: Vec<String> = (0..inputs.len()).map(|i| format!("x{i}")).collect();
    let mut params: Vec<(&str, Type)> =
        inputs.iter().zip(&names).map(|(b, n)| (n.as_str(), ptr(b.dtype()))).collect();
    params.push(("out", ptr(out_dtype)));
    let mut b = Builder::kernel("k", &params);
    let offsets = b.arange(0, n as i64);
    let tiles: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            let own_offsets =
                if input.len() == n { offsets } else { b.arange(0, input.len() as i64) };
            let p = b.offset(b.param(i), own_offsets);
            b.load(p, None, None)
        })
        .collect();
    let result = body(&mut b, &tiles);
    let out = b.offset(b.param(inputs.len()), offsets);
    b.store(out, result, None);
    let module = b.finish();
    let mut args: Vec<KernelArg> = inputs.into_iter().map(KernelArg::Buffer).collect();
    args.push(KernelArg::Buffer(Buffer::zeros(out_dtype, n)));
    let args = launch(&module, args, [1, 1, 1])?;
    Ok(buffer_arg(&args, args.len() - 1))
}

pub(super) fn map_tiles(
    inputs: Vec<Buffer>,
    out_dtype: ScalarType,
    body: impl FnOnce(&mut Builder, &[Value]) -> Value,
) -> Buffer {
    try_map_tiles(inputs, out_dtype, body).expect("launch succeeds")
}

/// `op` applied elementwise to two buffers of one type.
pub(super) fn binary_on(op: BinaryOp, lhs: impl Into<Buffer>, rhs: impl Into<Buffer>) -> Buffer {
    let (lhs, rhs) = (lhs.into(), rhs.into());
    let dtype = lhs.dtype();
    map_tiles(vec![lhs, rhs], dtype, |b, x| b.binary(op, x[0], x[1]))
}

/// `op` applied elementwise to a buffer.
pub(super) fn unary_on(op: UnaryOp, arg: impl Into<Buffer>) -> Buffer {
    let arg = arg.into();
    let dtype = arg.dtype();
    map_tiles(vec![arg], dtype, |b, x| b.unary(op, x[0]))
}

/// Bit patterns of floats, so NaN and signed zeros compare exactly.
pub(super) fn bits32(values: &Buffer) -> Vec<u32> {
    match values {
        Buffer::F32(v) => v.iter().map(|x| x.to_bits()).collect(),
        other => panic!("expected f32, got {:?}", other.dtype()),
    }
}

pub(super) fn f32_bits(values: &[f32]) -> Vec<u32> {
    values.iter().map(|x| x.to_bits()).collect()
}
