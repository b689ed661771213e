//! Structured control flow, calls, asserts, fuel, and malformed IR that must fail with
//! an error instead of a panic.

use super::*;
use crate::interp::Scalar;

/// Builds `k(out: *T)` whose body is `build`, storing the scalar it returns to
/// `out[0]`; runs it with `options` next to `helpers`.
fn eval_with(
    options: &LaunchOptions,
    helpers: Vec<Function>,
    build: impl FnOnce(&mut Builder) -> Value,
) -> Result<Scalar, InterpError> {
    let mut b = Builder::kernel("k", &[("out", ptr(ScalarType::I32))]);
    let result = build(&mut b);
    let dtype = b.ty(result).scalar_type().expect("scalar result");
    let out = b.param(0);
    b.func.values[out].ty = ptr(dtype);
    b.store(out, result, None);
    let mut module = b.finish();
    module.functions.extend(helpers);
    let args = launch_with(&module, vec![KernelArg::Buffer(Buffer::zeros(dtype, 1))], options)?;
    Ok(buffer_arg(&args, 0).get(0).expect("one element"))
}

fn eval(build: impl FnOnce(&mut Builder) -> Value) -> Result<Scalar, InterpError> {
    eval_with(&LaunchOptions::default(), vec![], build)
}

/// `for iv in range(lower, upper, step) { acc += iv }` from `acc = 0`, in `dtype`.
fn sum_range(b: &mut Builder, [lower, upper, step]: [i64; 3], dtype: ScalarType) -> Value {
    let bounds = [lower, upper, step].map(|x| b.int(x, dtype));
    let init = b.int(0, dtype);
    let (body, args) = b.new_block(&[Type::scalar(dtype), Type::scalar(dtype)]);
    b.in_block(body, |b| {
        let next = b.binary(BinaryOp::Add, args[1], args[0]);
        b.yield_(vec![next]);
    });
    let op =
        Op::For { lower: bounds[0], upper: bounds[1], step: bounds[2], inits: vec![init], body };
    b.op(op, Type::scalar(dtype))
}

#[test]
fn for_loops_carry_values() {
    assert_eq!(eval(|b| sum_range(b, [0, 10, 3], ScalarType::I32)), Ok(Scalar::I32(18)));
    assert_eq!(eval(|b| sum_range(b, [5, 5, 1], ScalarType::I32)), Ok(Scalar::I32(0)));
    assert_eq!(eval(|b| sum_range(b, [-3, 2, 1], ScalarType::I64)), Ok(Scalar::I64(-5)));
    assert_eq!(eval(|b| sum_range(b, [0, 200, 100], ScalarType::U8)), Ok(Scalar::U8(100)));
}

#[test]
fn a_non_positive_step_is_an_error() {
    for step in [0, -1] {
        let err = eval(|b| sum_range(b, [0, 10, step], ScalarType::I32)).unwrap_err();
        let want = InterpError::BadStep {
            kernel: "k".into(),
            line: 7,
            col: 5,
            step: i128::from(step),
            program: [0, 0, 0],
        };
        assert_eq!(err, want);
        assert!(
            err.to_string()
                .contains(&format!("line 7:5: for-loop step must be positive, got {step}")),
            "{err}"
        );
    }
}

#[test]
fn a_wrapping_induction_variable_runs_until_fuel_is_exhausted() {
    // 250, 252, 254, then 256 wraps to 0 < 255, and only even values follow: the
    // loop never ends.
    let options = LaunchOptions { fuel: 10_000, ..LaunchOptions::default() };
    let err =
        eval_with(&options, vec![], |b| sum_range(b, [250, 255, 2], ScalarType::U8)).unwrap_err();
    assert_eq!(err, InterpError::FuelExhausted { kernel: "k".into(), fuel: 10_000 });
}

/// Collatz steps from `start`: a `while` whose body holds an `if`.
fn collatz(b: &mut Builder, start: i32) -> Value {
    let i32_ty = Type::scalar(ScalarType::I32);
    let x0 = b.i32(start);
    let steps0 = b.i32(0);
    let (cond, cond_args) = b.new_block(&[i32_ty.clone(), i32_ty.clone()]);
    b.in_block(cond, |b| {
        let one = b.i32(1);
        let running = b.cmp(CmpPred::Ne, cond_args[0], one);
        b.inst(Op::Condition { cond: running }, vec![]);
    });
    let (body, body_args) = b.new_block(&[i32_ty.clone(), i32_ty.clone()]);
    let (x, steps) = (body_args[0], body_args[1]);
    let (then_block, _) = b.new_block(&[]);
    let (else_block, _) = b.new_block(&[]);
    b.in_block(then_block, |b| {
        let two = b.i32(2);
        let half = b.binary(BinaryOp::Div, x, two);
        b.yield_(vec![half]);
    });
    b.in_block(else_block, |b| {
        let (three, one) = (b.i32(3), b.i32(1));
        let tripled = b.binary(BinaryOp::Mul, x, three);
        let next = b.binary(BinaryOp::Add, tripled, one);
        b.yield_(vec![next]);
    });
    b.in_block(body, |b| {
        let (two, zero, one) = (b.i32(2), b.i32(0), b.i32(1));
        let parity = b.binary(BinaryOp::Rem, x, two);
        let even = b.cmp(CmpPred::Eq, parity, zero);
        let next = b.op(Op::If { cond: even, then_block, else_block }, i32_ty.clone());
        let steps = b.binary(BinaryOp::Add, steps, one);
        b.yield_(vec![next, steps]);
    });
    let results =
        b.inst(Op::While { inits: vec![x0, steps0], cond, body }, vec![i32_ty.clone(), i32_ty]);
    b.func.insts[results].results[1]
}

#[test]
fn while_loops_and_ifs() {
    assert_eq!(eval(|b| collatz(b, 27)), Ok(Scalar::I32(111)));
    assert_eq!(eval(|b| collatz(b, 1)), Ok(Scalar::I32(0)));
}

#[test]
fn an_endless_while_exhausts_fuel() {
    let options = LaunchOptions { fuel: 1000, ..LaunchOptions::default() };
    let err = eval_with(&options, vec![], |b| collatz(b, 0)).unwrap_err();
    assert_eq!(err, InterpError::FuelExhausted { kernel: "k".into(), fuel: 1000 });
    assert!(
        err.to_string().starts_with("kernel 'k': fuel exhausted after 1000 executed instructions"),
        "{err}"
    );
}

/// `fn clamp_mul(x: i32, y: i32) -> i32 { if x < 0 { return 0; } return x * y + 1; }`
fn clamp_mul() -> Function {
    let i32_ty = Type::scalar(ScalarType::I32);
    let mut h =
        Builder::helper("clamp_mul", &[("x", i32_ty.clone()), ("y", i32_ty.clone())], &[i32_ty]);
    let (x, y) = (h.param(0), h.param(1));
    let zero = h.i32(0);
    let negative = h.cmp(CmpPred::Lt, x, zero);
    let (then_block, _) = h.new_block(&[]);
    let (else_block, _) = h.new_block(&[]);
    h.in_block(then_block, |h| h.ret(vec![zero]));
    h.in_block(else_block, |h| h.yield_(vec![]));
    h.inst(Op::If { cond: negative, then_block, else_block }, vec![]);
    let one = h.i32(1);
    let product = h.binary(BinaryOp::Mul, x, y);
    let result = h.binary(BinaryOp::Add, product, one);
    h.ret(vec![result]);
    h.func
}

fn call_clamp_mul(x: i32, y: i32) -> Result<Scalar, InterpError> {
    eval_with(&LaunchOptions::default(), vec![clamp_mul()], |b| {
        let args = vec![b.i32(x), b.i32(y)];
        b.op(Op::Call { callee: "clamp_mul".into(), args }, Type::scalar(ScalarType::I32))
    })
}

#[test]
fn calls_bind_arguments_and_return_early_from_ifs() {
    assert_eq!(call_clamp_mul(6, 7), Ok(Scalar::I32(43)));
    assert_eq!(call_clamp_mul(-6, 7), Ok(Scalar::I32(0)));
}

fn asserting(b: &mut Builder) -> Value {
    let five = b.i32(5);
    let three = b.i32(3);
    let small = b.cmp(CmpPred::Lt, five, three);
    b.inst(Op::Assert { cond: small, message: "x is too big".into() }, vec![]);
    five
}

#[test]
fn failed_asserts_are_errors_unless_disabled() {
    let err = eval(asserting).unwrap_err();
    let want = InterpError::AssertFailed {
        kernel: "k".into(),
        line: 4,
        col: 5,
        message: "x is too big".into(),
        program: [0, 0, 0],
    };
    assert_eq!(err, want);
    assert_eq!(
        err.to_string(),
        "kernel 'k', line 4:5: device_assert failed: x is too big in program (0, 0, 0)"
    );
    let options = LaunchOptions { check_asserts: false, ..LaunchOptions::default() };
    assert_eq!(eval_with(&options, vec![], asserting), Ok(Scalar::I32(5)));
}

#[test]
fn malformed_ir_is_an_internal_error() {
    // An `if` whose branch is the block that contains it recurses without end.
    let err = eval(|b| {
        let cond = b.boolean(true);
        let (inner, _) = b.new_block(&[]);
        b.in_block(inner, |b| {
            b.inst(Op::If { cond, then_block: inner, else_block: inner }, vec![]);
            b.yield_(vec![]);
        });
        b.inst(Op::If { cond, then_block: inner, else_block: inner }, vec![]);
        cond
    })
    .unwrap_err();
    assert!(
        matches!(&err, InterpError::Internal { message, .. } if message.contains("nest deeper")),
        "{err}"
    );
    // A value used before it is defined.
    let err = eval(|b| {
        let later = Value(1000);
        b.op(
            Op::Binary { op: BinaryOp::Add, lhs: later, rhs: later },
            Type::scalar(ScalarType::I32),
        )
    });
    assert!(matches!(err, Err(InterpError::Internal { .. })));
    // A call to a function that does not exist.
    let err = eval(|b| {
        b.op(Op::Call { callee: "nowhere".into(), args: vec![] }, Type::scalar(ScalarType::I32))
    });
    let Err(InterpError::Internal { message, .. }) = &err else { panic!("{err:?}") };
    assert!(message.contains("no function named 'nowhere'"), "{message}");
    // A block without a terminator.
    let mut b = Builder::kernel("k", &[]);
    b.i32(1);
    let module = Module { functions: vec![b.func] };
    let err = launch(&module, vec![], [1, 1, 1]).unwrap_err();
    assert!(err.to_string().contains("ends without a terminator"), "{err}");
}

#[test]
fn blocks_nested_as_deep_as_the_verifier_allows_run() {
    let depth = crate::verifier::MAX_NESTING;
    let result = eval(|b| {
        let cond = b.boolean(true);
        let i32_ty = Type::scalar(ScalarType::I32);
        let mut inner_value = None;
        let mut blocks = Vec::new();
        for _ in 0..depth {
            let (then_block, _) = b.new_block(&[]);
            let (else_block, _) = b.new_block(&[]);
            blocks.push((then_block, else_block));
        }
        // Innermost first: each `then` block holds the next `if` and yields its result.
        for (level, &(then_block, else_block)) in blocks.iter().enumerate().rev() {
            let value = b.in_block(then_block, |b| match inner_value {
                None => b.i32(level as i32),
                Some((inner_then, inner_else)) => b.op(
                    Op::If { cond, then_block: inner_then, else_block: inner_else },
                    i32_ty.clone(),
                ),
            });
            b.in_block(then_block, |b| b.yield_(vec![value]));
            b.in_block(else_block, |b| {
                let minus_one = b.i32(-1);
                b.yield_(vec![minus_one]);
            });
            inner_value = Some((then_block, else_block));
        }
        let (then_block, else_block) = inner_value.expect("depth > 0");
        b.op(Op::If { cond, then_block, else_block }, i32_ty)
    });
    assert_eq!(result, Ok(Scalar::I32(depth as i32 - 1)));
}
