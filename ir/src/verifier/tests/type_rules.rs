//! Type-rule tests as data: each case is a kernel body breaking one rule, the
//! mnemonic of the instruction blamed, and a fragment of the expected message.
//! Rules the parser cannot express (constants, block argument types) are broken
//! by editing a parsed function.

use super::{assert_only_error, errors, find, inst_entity, kernel};
use crate::ops::{Constant, Op};
use crate::types::{ScalarType, Type};

/// `(case, body, blamed op, message fragment)`.
type Case = (&'static str, &'static str, &'static str, &'static str);

const DATA_CASES: &[Case] = &[
    ("program_id axis", "  %r = program_id 3 : i32", "program_id", "axis 3 is not 0, 1 or 2"),
    ("num_programs type", "  %r = num_programs 0 : i64", "num_programs", "the result has type i64, expected i32"),
    ("arange empty", "  %r = arange 4, 4 : tile<[1], i32>", "arange", "is empty (end must be > start)"),
    ("arange backwards", "  %r = arange 4, 0 : tile<[4], i32>", "arange", "has no length"),
    ("arange shape", "  %r = arange 0, 4 : tile<[8], i32>", "arange", "expected tile<[4], i32>"),
    ("splat tile", "  %r = splat %t : tile<[4], f32>", "splat", "splats tile<[4], f32>, which is not a scalar"),
    ("splat to scalar", "  %r = splat %a : f32", "splat", "result type f32 is not a tile"),
    ("splat elem", "  %r = splat %a : tile<[4], i32>", "splat", "expected tile<[4], f32>"),
    ("expand_dims axis", "  %r = expand_dims %t, axis 2 : tile<[4, 1], f32>", "expand_dims", "axis 2 is beyond rank 1"),
    ("expand_dims shape", "  %r = expand_dims %t, axis 0 : tile<[4, 1], f32>", "expand_dims", "expected tile<[1, 4], f32>"),
    ("broadcast rank", "  %r = broadcast %t : tile<[4, 4], f32>", "broadcast", "cannot broadcast tile<[4], f32>"),
    ("broadcast dim", "  %r = broadcast %w : tile<[4, 16], f32>", "broadcast", "dims 1 or equal"),
    ("broadcast elem", "  %r = broadcast %t : tile<[4], i32>", "broadcast", "cannot broadcast"),
    ("reshape count", "  %r = reshape %w : tile<[30], f32>", "reshape", "element counts differ"),
    ("reshape elem", "  %r = reshape %w : tile<[32], f16>", "reshape", "changes the element type"),
    ("trans repeat", "  %r = trans %w, [0, 0] : tile<[4, 4], f32>", "trans", "[0, 0] is not a permutation"),
    ("trans length", "  %r = trans %w, [1, 0, 2] : tile<[8, 4], f32>", "trans", "is not a permutation"),
    ("trans shape", "  %r = trans %w, [1, 0] : tile<[4, 8], f32>", "trans", "expected tile<[8, 4], f32>"),
    ("unary float-only", "  %r = exp %u : tile<[4], i32>", "exp", "`exp` needs float elements"),
    ("unary not", "  %r = not %t : tile<[4], f32>", "not", "`not` needs integer or bool elements"),
    ("unary neg", "  %r = neg %m : tile<[4], bool>", "neg", "`neg` needs integer or float elements"),
    ("unary pointer", "  %r = sqrt %q : tile<[4], ptr<f32>>", "sqrt", "has pointer type"),
    ("unary result", "  %r = abs %t : tile<[4], i32>", "abs", "the result has type tile<[4], i32>"),
    ("binary operands", "  %r = add %t, %a : tile<[4], f32>", "add", "the right operand has type f32"),
    ("binary bitwise", "  %r = and %t, %t : tile<[4], f32>", "and", "`and` needs integer or bool"),
    ("binary shift", "  %r = shl %a, %a : f32", "shl", "`shl` needs integer elements"),
    ("bool shift", "  %r = shr %c, %c : bool", "shr", "`shr` needs integer elements"),
    ("binary arithmetic", "  %r = add %m, %m : tile<[4], bool>", "add", "`add` needs integer or float"),
    ("binary result", "  %r = mul %b, %b : i64", "mul", "the result has type i64, expected i32"),
    ("binary pointer", "  %r = max %q, %q : tile<[4], ptr<f32>>", "max", "has pointer type"),
    ("cmp operands", "  %r = cmp lt %t, %u : tile<[4], bool>", "cmp", "the right operand"),
    ("cmp result", "  %r = cmp lt %t, %t : tile<[4], f32>", "cmp", "expected tile<[4], bool>"),
    ("cmp pointers", "  %r = cmp eq %q, %q : tile<[4], bool>", "cmp", "has pointer type"),
    ("select cond", "  %r = select %c, %t, %t : tile<[4], f32>", "select", "the condition has type bool"),
    ("select arm", "  %r = select %m, %t, %u : tile<[4], f32>", "select", "the false arm"),
    ("cast shape", "  %r = cast %t : tile<[8], i32>", "cast", "changes the shape"),
    ("cast pointer", "  %r = cast %q : tile<[4], i64>", "cast", "has pointer type"),
    ("ptr_add pointer", "  %r = ptr_add %u, %u : tile<[4], i32>", "ptr_add", "expected pointers"),
    ("ptr_add float", "  %r = ptr_add %q, %t : tile<[4], ptr<f32>>", "ptr_add", "the offset has type tile<[4], f32>"),
    ("ptr_add shape", "  %r = ptr_add %p, %u : tile<[4], ptr<f32>>", "ptr_add", "expected integers of shape []"),
    ("ptr_add result", "  %r = ptr_add %q, %u : tile<[4], ptr<f16>>", "ptr_add", "the result has type"),
    ("reduce axis", "  %r = reduce sum %t, axis 1 : f32", "reduce", "axis 1 is out of range"),
    ("reduce shape", "  %r = reduce sum %w, axis 0 : tile<[4], f32>", "reduce", "expected tile<[8], f32>"),
    ("reduce arg", "  %r = reduce argmax %t, axis 0 : f32", "reduce", "expected i32"),
    ("reduce bool", "  %r = reduce max %m, axis 0 : bool", "reduce", "`max` needs integer or float"),
    ("scan axis", "  %r = scan cumsum %t, axis 1 : tile<[4], f32>", "scan", "axis 1 is out of range"),
    ("scan bool", "  %r = scan cumsum %m, axis 0 : tile<[4], bool>", "scan", "`cumsum` needs integer or float"),
    ("scan result", "  %r = scan cumsum %u, axis 0 : tile<[4], i64>", "scan", "the result has type"),
    ("dot rank", "  %r = dot %t, %t, %t : tile<[4], f32>", "dot", "are not both 2-D"),
    ("dot inner", "  %r = dot %w, %w, %w : tile<[4, 8], f32>", "dot", "inner dims differ"),
    ("dot elems", "  %r = dot %w, %h, %w : tile<[4, 4], f32>", "dot", "different element types"),
    (
        "dot i32",
        "  %x = cast %w : tile<[4, 8], i32>\n  %y = cast %h : tile<[8, 4], i32>\n  %z = splat %b : tile<[4, 4], i32>\n  %r = dot %x, %y, %z : tile<[4, 4], i32>",
        "dot",
        "`dot` does not take i32 operands",
    ),
    (
        "dot accumulator",
        "  %x = cast %w : tile<[4, 8], f16>\n  %k = const 0.0 : f16\n  %z = splat %k : tile<[4, 4], f16>\n  %r = dot %x, %h, %z : tile<[4, 4], f16>",
        "dot",
        "the accumulator has type tile<[4, 4], f16>, expected tile<[4, 4], f32>",
    ),
    (
        "dot result",
        "  %k = const 0.0 : f32\n  %z = splat %k : tile<[4, 4], f32>\n  %x = cast %h : tile<[8, 4], f32>\n  %r = dot %w, %x, %z : tile<[4, 4], f64>",
        "dot",
        "the result has type tile<[4, 4], f64>",
    ),
    ("fma ints", "  %r = fma %u, %u, %u : tile<[4], i32>", "fma", "`fma` needs float elements"),
    ("fma operands", "  %r = fma %t, %t, %a : tile<[4], f32>", "fma", "the addend has type f32"),
    ("fma result", "  %r = fma %a, %a, %a : f64", "fma", "the result has type f64, expected f32"),
];

const MEMORY_CASES: &[Case] = &[
    ("load pointer", "  %r = load %u : tile<[4], i32>", "load", "expected pointers"),
    (
        "load mask elem",
        "  %r = load %q, mask %u : tile<[4], f32>",
        "load",
        "the mask has type tile<[4], i32>",
    ),
    (
        "load mask shape",
        "  %r = load %q, mask %c : tile<[4], f32>",
        "load",
        "the mask has type bool",
    ),
    ("load other", "  %r = load %q, other %a : tile<[4], f32>", "load", "`other` has type f32"),
    (
        "load result",
        "  %r = load %q : tile<[4], f16>",
        "load",
        "the result has type tile<[4], f16>",
    ),
    ("store value", "  store %q, %u", "store", "the stored value has type tile<[4], i32>"),
    ("store mask", "  store %q, %t, mask %c", "store", "the mask has type bool"),
    ("store pointer", "  store %t, %t", "store", "expected pointers"),
    ("atomic value", "  %r = atomic add %q, %u : tile<[4], f32>", "atomic", "the value has type"),
    ("atomic result", "  %r = atomic max %q, %t : tile<[4], f16>", "atomic", "the result has type"),
    (
        "atomic bool",
        "  %r = atomic add %pb, %m : tile<[4], bool>",
        "atomic",
        "needs integer or float pointees",
    ),
    ("assert cond", "  assert %t, \"x\"", "assert", "expected bool elements"),
];

const CONTROL_CASES: &[Case] = &[
    (
        "for bounds",
        "  for %i = %a to %a step %a {\n    yield\n  }",
        "for",
        "the lower bound has type f32",
    ),
    (
        "for tile bounds",
        "  for %i = %u to %u step %u {\n    yield\n  }",
        "for",
        "expected a scalar integer",
    ),
    (
        "for upper",
        "  for %i = %b to %a step %b {\n    yield\n  }",
        "for",
        "the upper bound has type f32, expected i32",
    ),
    ("for step", "  for %i = %b to %b step %a {\n    yield\n  }", "for", "the step has type f32"),
    (
        "for yield type",
        "  %r = for %i = %b to %b step %b iter(%x = %a) {\n    yield %b\n  } : f32",
        "for",
        "yielded value 0 has type i32, expected f32",
    ),
    (
        "for yield count",
        "  %r = for %i = %b to %b step %b iter(%x = %a) {\n    yield\n  } : f32",
        "for",
        "has 0 yielded values, expected 1",
    ),
    (
        "for result",
        "  %r = for %i = %b to %b step %b iter(%x = %a) {\n    yield %x\n  } : i32",
        "for",
        "result 0 has type i32, expected f32",
    ),
    (
        "while condition",
        "  %r = while iter(%x = %b) {\n    condition %x\n  } do (%y) {\n    yield %y\n  } : i32",
        "condition",
        "the condition has type i32, expected bool",
    ),
    (
        "while tile condition",
        "  while {\n    condition %m\n  } do {\n    yield\n  }",
        "condition",
        "the condition has type tile<[4], bool>, expected bool",
    ),
    (
        "while result",
        "  %r = while iter(%x = %b) {\n    condition %c\n  } do (%y) {\n    yield %y\n  } : f32",
        "while",
        "result 0 has type f32, expected i32",
    ),
    (
        "while yield",
        "  %r = while iter(%x = %b) {\n    condition %c\n  } do (%y) {\n    yield %a\n  } : i32",
        "while",
        "yielded value 0 has type f32, expected i32",
    ),
    (
        "if condition",
        "  if %b {\n    yield\n  } else {\n    yield\n  }",
        "if",
        "the condition has type i32, expected bool",
    ),
    (
        "if tile condition",
        "  if %m {\n    yield\n  } else {\n    yield\n  }",
        "if",
        "the condition has type tile<[4], bool>",
    ),
    (
        "if yield type",
        "  %r = if %c {\n    yield %a\n  } else {\n    yield %b\n  } : f32",
        "if",
        "yielded value 0 has type i32, expected f32",
    ),
    (
        "if yield count",
        "  %r = if %c {\n    yield %a\n  } else {\n    yield\n  } : f32",
        "if",
        "has 0 yielded values, expected 1",
    ),
];

fn check_cases(cases: &[Case]) {
    for &(case, body, mnemonic, fragment) in cases {
        let func = kernel(body);
        let error = errors(&func);
        let inst = find(&func, mnemonic);
        assert!(
            error.mentions(inst_entity(&func, inst), fragment),
            "case `{case}`: expected {mnemonic}: …{fragment}…, got\n{error}"
        );
        assert_eq!(error.errors.len(), 1, "case `{case}`: {error}");
    }
}

#[test]
fn data_op_rules() {
    check_cases(DATA_CASES);
}

#[test]
fn memory_op_rules() {
    check_cases(MEMORY_CASES);
}

#[test]
fn control_op_rules() {
    check_cases(CONTROL_CASES);
}

#[test]
fn constant_rules() {
    use ScalarType::{Bool, F16, F32, I32, U8};
    let cases = [
        (Constant::Int(255), U8, "integer 255 does not fit u8"),
        (Constant::Int(1 << 40), I32, "does not fit i32"),
        (Constant::Float(0.1), F32, "float 0.1 is not exactly representable in f32"),
        (Constant::Float(1.0 / 3.0), F16, "not exactly representable in f16"),
        (Constant::Bool(true), I32, "a bool constant has result type i32"),
        (Constant::Int(1), F32, "an integer constant has result type f32"),
        (Constant::Float(1.0), Bool, "a float constant has result type bool"),
    ];
    for (value, scalar, fragment) in cases {
        let mut func = kernel("  %r = const 0 : i32");
        let inst = find(&func, "const");
        func.insts[inst].op = Op::Const { value };
        let result = func.insts[inst].results[0];
        func.values[result].ty = Type::scalar(scalar);
        assert_only_error(&func, inst_entity(&func, inst), fragment);
    }
    let mut func = kernel("  %r = const 0 : i32");
    let inst = find(&func, "const");
    let result = func.insts[inst].results[0];
    func.values[result].ty = Type::tile(vec![4], ScalarType::I32);
    assert_only_error(
        &func,
        inst_entity(&func, inst),
        "result type tile<[4], i32> is not a scalar",
    );
    // Any NaN is a valid float constant; u8 255 is stored as -1.
    let mut func = kernel("  %r = const nan : f16\n  %s = const 255 : u8");
    let inst = find(&func, "const");
    func.insts[inst].op =
        Op::Const { value: Constant::Float(f64::from_bits(0x7ff0_0000_0000_0001)) };
    crate::verifier::verify_function(&func, None).unwrap();
}

/// Block argument types and counts, which the parser always derives correctly.
#[test]
fn block_argument_rules() {
    let body = "  %r = for %i = %b to %b step %b iter(%x = %a) {\n    yield %x\n  } : f32";
    let mut func = kernel(body);
    let for_inst = find(&func, "for");
    let Op::For { body, .. } = func.insts[for_inst].op else { unreachable!() };
    let iv = func.blocks[body].args[0];
    func.values[iv].ty = Type::scalar(ScalarType::I64);
    assert_only_error(&func, inst_entity(&func, for_inst), "the induction variable has type i64");
    let carried = func.blocks[body].args[1];
    func.values[iv].ty = Type::scalar(ScalarType::I32);
    func.values[carried].ty = Type::scalar(ScalarType::F64);
    let error = errors(&func);
    assert!(error.mentions(inst_entity(&func, for_inst), "carried body argument 0 has type f64"));
    func.values[carried].ty = Type::scalar(ScalarType::F32);
    func.blocks[body].args.clear();
    // The body's `yield %x` now also uses a value that is no block's argument.
    let error = errors(&func);
    assert!(error.mentions(inst_entity(&func, for_inst), "takes no induction variable"));

    let body =
        "  %r = while iter(%x = %b) {\n    condition %c\n  } do (%y) {\n    yield %y\n  } : i32";
    let mut func = kernel(body);
    let while_inst = find(&func, "while");
    let Op::While { cond, body, .. } = func.insts[while_inst].op else { unreachable!() };
    let cond_arg = func.blocks[cond].args[0];
    func.values[cond_arg].ty = Type::scalar(ScalarType::F32);
    let entity = inst_entity(&func, while_inst);
    assert_only_error(&func, entity, "condition block argument 0 has type f32, expected i32");
    func.values[cond_arg].ty = Type::scalar(ScalarType::I32);
    func.blocks[body].args.clear();
    // The body's `yield %y` now uses a value that is no block's argument any more.
    let error = errors(&func);
    assert!(error.mentions(entity, "has 0 body arguments, expected 1"), "{error}");

    let mut func = kernel("  if %c {\n    yield\n  } else {\n    yield\n  }");
    let if_inst = find(&func, "if");
    let Op::If { else_block, .. } = func.insts[if_inst].op else { unreachable!() };
    func.append_block_arg(else_block, Type::scalar(ScalarType::I32));
    assert_only_error(&func, inst_entity(&func, if_inst), "takes 1 arguments, expected none");
}
