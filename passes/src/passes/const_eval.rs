//! Compile-time evaluation of scalar constant expressions on the reference interpreter,
//! for [`super::const_fold`]: folding computes exactly what a launch computes because
//! it *is* a launch.
//!
//! An [`Evaluator`] accumulates a straight-line kernel of scalar `const`s and pure ops
//! over them; [`Evaluator::run`] adds one `store` per requested value (each to its own
//! one-element buffer), launches the kernel once, and reads the results back as
//! [`Constant`]s in the IR's canonical encoding.

use tessera_ir::interp::{run_kernel, Buffer, KernelArg, LaunchOptions, Scalar};
use tessera_ir::{Constant, Function, FunctionKind, Loc, Module, Op, ScalarType, Type, Value};

use super::util::int_constant;

/// A kernel under construction holding the expressions to evaluate.
pub struct Evaluator {
    kernel: Function,
    /// The values whose results are wanted, in request order.
    outputs: Vec<(Value, ScalarType)>,
}

impl Default for Evaluator {
    fn default() -> Self {
        Evaluator { kernel: Function::new("fold", FunctionKind::Kernel, &[]), outputs: Vec::new() }
    }
}

impl Evaluator {
    /// Adds the scalar constant `value` of type `scalar`; returns its value.
    pub fn constant(&mut self, value: Constant, scalar: ScalarType) -> Value {
        self.op(Op::Const { value }, scalar)
    }

    /// Adds the pure op `op` (over values of this evaluator) with a scalar result of
    /// type `scalar`; returns its value.
    pub fn op(&mut self, op: Op, scalar: ScalarType) -> Value {
        let body = self.kernel.body;
        let inst = self.kernel.append_inst(body, op, vec![Type::scalar(scalar)], Loc::default());
        self.kernel.result(inst)
    }

    /// Asks for the value of `value` (of type `scalar`) from [`Evaluator::run`].
    pub fn request(&mut self, value: Value, scalar: ScalarType) {
        self.outputs.push((value, scalar));
    }

    /// Whether nothing was requested.
    pub fn is_empty(&self) -> bool {
        self.outputs.is_empty()
    }

    /// Launches the kernel once and returns the requested values in request order;
    /// `None` when the launch fails (it cannot on well-typed input: pure ops never
    /// fail) or a result cannot be read back.
    pub fn run(mut self) -> Option<Vec<Constant>> {
        let body = self.kernel.body;
        let mut args = Vec::with_capacity(self.outputs.len());
        for (index, &(value, scalar)) in self.outputs.iter().enumerate() {
            let ptr = self.kernel.append_block_arg(body, Type::ptr(scalar));
            self.kernel.param_names.push(format!("out{index}"));
            let store = Op::Store { ptr, value, mask: None };
            self.kernel.append_inst(body, store, Vec::new(), Loc::default());
            args.push(KernelArg::Buffer(Buffer::zeros(scalar, 1)));
        }
        self.kernel.append_inst(
            body,
            Op::Return { values: Vec::new() },
            Vec::new(),
            Loc::default(),
        );
        let module = Module { functions: vec![self.kernel] };
        tessera_ir::verify_module(&module).ok()?;
        let options = LaunchOptions { grid: [1, 1, 1], fuel: 1 << 24, check_asserts: true };
        run_kernel(&module, "fold", &mut args, &options).ok()?;
        args.iter()
            .map(|arg| match arg {
                KernelArg::Buffer(buffer) => buffer.get(0).map(scalar_constant),
                KernelArg::Scalar(_) => None,
            })
            .collect()
    }
}

/// `scalar` in the IR's constant encoding (integers sign-extended from their width).
pub fn scalar_constant(scalar: Scalar) -> Constant {
    let int = |value: i128| int_constant(value, scalar.dtype());
    match scalar {
        Scalar::Bool(b) => Constant::Bool(b),
        Scalar::I8(x) => int(x.into()),
        Scalar::I16(x) => int(x.into()),
        Scalar::I32(x) => int(x.into()),
        Scalar::I64(x) => int(x.into()),
        Scalar::U8(x) => int(x.into()),
        Scalar::U16(x) => int(x.into()),
        Scalar::U32(x) => int(x.into()),
        Scalar::U64(x) => int(x.into()),
        Scalar::F16(x) => Constant::Float(x.to_f64()),
        Scalar::BF16(x) => Constant::Float(x.to_f64()),
        Scalar::F32(x) => Constant::Float(x.into()),
        Scalar::F64(x) => Constant::Float(x),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_ir::{BinaryOp, CmpPred};

    #[test]
    fn evaluates_integer_float_and_bool_expressions_in_one_launch() {
        let mut eval = Evaluator::default();
        let min = eval.constant(Constant::Int(i32::MIN.into()), ScalarType::I32);
        let minus_one = eval.constant(Constant::Int(-1), ScalarType::I32);
        let quotient =
            eval.op(Op::Binary { op: BinaryOp::Div, lhs: min, rhs: minus_one }, ScalarType::I32);
        let big = eval.constant(Constant::Int(-1), ScalarType::U8);
        let sum = eval.op(Op::Binary { op: BinaryOp::Add, lhs: big, rhs: big }, ScalarType::U8);
        let third = eval.constant(Constant::Float(1.0 / 3.0), ScalarType::F64);
        let as_half = eval.op(Op::Cast { arg: third }, ScalarType::F16);
        let less =
            eval.op(Op::Cmp { pred: CmpPred::Lt, lhs: minus_one, rhs: min }, ScalarType::Bool);
        eval.request(quotient, ScalarType::I32);
        eval.request(sum, ScalarType::U8);
        eval.request(as_half, ScalarType::F16);
        eval.request(less, ScalarType::Bool);
        let values = eval.run().expect("evaluates");
        assert_eq!(values[0], Constant::Int(i32::MIN.into()));
        assert_eq!(values[1], Constant::Int(-2)); // 254u8, stored sign-extended
        assert_eq!(values[2], Constant::Float(half::f16::from_f64(1.0 / 3.0).to_f64()));
        assert_eq!(values[3], Constant::Bool(false));
    }
}
