//! Round trips of the IR text form: builder-made functions covering every op print,
//! parse back to equivalent functions that verify, and print identically; the text
//! does not depend on arena history; a hand-written text is already canonical.

mod text_fixtures;

use std::collections::HashMap;

use tessera_ir::printer::{print_function_with, Numbering, PrintOptions};
use tessera_ir::ScalarType::I32;
use tessera_ir::{
    parse_module, print_function, print_module, verify_module, BinaryOp, Block, CmpPred, Constant,
    Function, FunctionKind, Loc, Module, Op, ScalarType, Value,
};
use text_fixtures::{loc, scalar, Builder};

/// Prints, parses and reprints `module`, checking every promise of the text form.
fn round_trip(module: &Module) -> String {
    verify_module(module).unwrap_or_else(|e| panic!("fixture does not verify: {e}"));
    let text = print_module(module);
    let parsed = parse_module(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    verify_module(&parsed).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(print_module(&parsed), text);
    assert_eq!(parsed.functions.len(), module.functions.len());
    for (original, reparsed) in module.functions.iter().zip(&parsed.functions) {
        assert_equivalent(original, reparsed);
    }
    text
}

/// Asserts `a` and `b` are equal up to renumbering of values, insts and blocks
/// (constants compared bit for bit, locations only where the text keeps them).
fn assert_equivalent(a: &Function, b: &Function) {
    assert_eq!(a.name, b.name);
    assert_eq!(a.kind, b.kind);
    assert_eq!(a.param_names, b.param_names);
    assert_eq!(a.result_types, b.result_types);
    assert_eq!(a.specialization, b.specialization);
    let mut values = HashMap::new();
    assert_equivalent_blocks(a, a.body, b, b.body, &mut values);
}

fn assert_equivalent_blocks(
    a: &Function,
    block_a: Block,
    b: &Function,
    block_b: Block,
    values: &mut HashMap<Value, Value>,
) {
    let (data_a, data_b) = (&a.blocks[block_a], &b.blocks[block_b]);
    assert_eq!(data_a.args.len(), data_b.args.len(), "{} args of {block_a}", a.name);
    for (&x, &y) in data_a.args.iter().zip(&data_b.args) {
        assert_eq!(a.value_type(x), b.value_type(y));
        values.insert(x, y);
    }
    assert_eq!(data_a.insts.len(), data_b.insts.len(), "{} insts of {block_a}", a.name);
    for (&inst_a, &inst_b) in data_a.insts.iter().zip(&data_b.insts) {
        let (x, y) = (&a.insts[inst_a], &b.insts[inst_b]);
        let (blocks_a, blocks_b) = (x.op.blocks(), y.op.blocks());
        assert_eq!(blocks_a.len(), blocks_b.len());
        for (&inner_a, &inner_b) in blocks_a.iter().zip(&blocks_b) {
            assert_equivalent_blocks(a, inner_a, b, inner_b, values);
        }
        let mut op = x.op.clone();
        op.map_operands(|v| values[&v]);
        set_blocks(&mut op, &blocks_b);
        assert!(same_op(&op, &y.op), "{op:?} vs {:?}", y.op);
        assert_eq!(x.results.len(), y.results.len());
        for (&r, &s) in x.results.iter().zip(&y.results) {
            assert_eq!(a.value_type(r), b.value_type(s));
            values.insert(r, s);
        }
        if tessera_ir::printer::op_has_loc(&x.op) {
            assert_eq!(a.loc(inst_a), b.loc(inst_b));
        } else {
            assert_eq!(b.loc(inst_b), Loc::default());
        }
    }
}

/// Points the blocks of a structured op at `blocks` (in [`Op::blocks`] order).
fn set_blocks(op: &mut Op, blocks: &[Block]) {
    if let Op::For { body, .. } = op {
        *body = blocks[0];
    }
    if let Op::While { cond, body, .. } = op {
        (*cond, *body) = (blocks[0], blocks[1]);
    }
    if let Op::If { then_block, else_block, .. } = op {
        (*then_block, *else_block) = (blocks[0], blocks[1]);
    }
}

/// Op equality, with float constants compared by bits (NaN equals itself).
fn same_op(x: &Op, y: &Op) -> bool {
    if let (Op::Const { value: Constant::Float(p) }, Op::Const { value: Constant::Float(q) }) =
        (x, y)
    {
        return p.to_bits() == q.to_bits();
    }
    x == y
}

#[test]
fn softmax_round_trips() {
    round_trip(&Module { functions: vec![text_fixtures::softmax()] });
}

#[test]
fn every_op_round_trips() {
    let text = round_trip(&Module { functions: vec![text_fixtures::every_op()] });
    for mnemonic in ["dot", "trans", "atomic max", "reduce argmin", "scan cumsum", "sigmoid"] {
        assert!(text.contains(mnemonic), "{mnemonic} missing from\n{text}");
    }
}

#[test]
fn constants_round_trip_bit_exactly() {
    let text = round_trip(&Module { functions: vec![text_fixtures::constants()] });
    for literal in [
        "const -0.0 : f16",
        "const nan : bf16",
        "const -inf : f32",
        "const 0.1 : f32",
        "const 255 : u8",
        "const 2147483648 : u32",
        "const 18446744073709551615 : u64",
        "const -9223372036854775808 : i64",
        "const 0x7ff8000000000001 : f64",
        "const 0xfff8000000000000 : f32",
        "const 5e-324 : f64",
        "[A = -5, \"odd name\" = 9223372036854775807]",
    ] {
        assert!(text.contains(literal), "{literal} missing from\n{text}");
    }
}

#[test]
fn nested_control_flow_round_trips() {
    let text = round_trip(&Module { functions: vec![text_fixtures::control_flow()] });
    assert!(text.contains(" do ("), "{text}");
    assert!(text.contains("} : tile<[4], f32>, i32 @3:5"), "{text}");
}

#[test]
fn helpers_and_calls_round_trip() {
    let text = round_trip(&Module { functions: text_fixtures::helpers() });
    assert!(text.contains("fn @\"odd name\"(%0 \"weird \\\"p\\\"\\n\": f32) -> () {"), "{text}");
    assert!(text.contains("= call @pair(%0, %3) : f32, i32"), "{text}");
}

#[test]
fn whole_module_round_trips() {
    round_trip(&text_fixtures::module());
}

/// The canonical text of a small kernel and helper, written by hand: it parses,
/// verifies, and prints back unchanged.
const CANONICAL: &str = r#"kernel @softmax(%0 "x": ptr<f32>, %1 "n": i32) [BLOCK = 4] {
  %2 = program_id 0 : i32
  %3 = arange 0, 4 : tile<[4], i32>
  %4 = splat %1 : tile<[4], i32>
  %5 = cmp lt %3, %4 : tile<[4], bool>
  %6 = const -inf : f32
  %7 = splat %6 : tile<[4], f32>
  %8 = splat %0 : tile<[4], ptr<f32>>
  %9 = ptr_add %8, %3 : tile<[4], ptr<f32>>
  %10 = load %9, mask %5, other %7 : tile<[4], f32> @7:13
  %11 = reduce max %10, axis 0 : f32
  %12 = const 0 : i32
  %13 = const 1 : i32
  %14, %15 = for %16 = %12 to %1 step %13 iter(%17 = %11, %18 = %12) {
    %19 = call @twice(%17) : f32
    %20 = add %18, %13 : i32
    yield %19, %20
  } : f32, i32 @9:5
  %21 = while iter(%22 = %15) {
    %23 = cmp gt %22, %12 : bool
    condition %23
  } do (%24) {
    %25 = sub %24, %13 : i32
    yield %25
  } : i32
  %26 = cmp eq %21, %12 : bool
  %27 = if %26 {
    yield %14
  } else {
    %28 = neg %14 : f32
    yield %28
  } : f32
  assert %5, "in \"range\"\n" @12:3
  %29 = splat %27 : tile<[4], f32>
  store %9, %29, mask %5 @13:5
  return
}

fn @twice(%0 "v": f32) -> (f32) {
  %1 = add %0, %0 : f32
  return %1
}
"#;

#[test]
fn canonical_text_prints_back_unchanged() {
    let module = parse_module(CANONICAL).unwrap_or_else(|e| panic!("{e}"));
    verify_module(&module).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(print_module(&module), CANONICAL);
}

#[test]
fn comments_and_free_layout_are_accepted() {
    let squeezed = CANONICAL.replace("\n  ", " // a comment\n      ");
    let module = parse_module(&squeezed).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(print_module(&module), CANONICAL);
}

/// Builds the same small kernel; `detour` first fills the arenas with entities that
/// end up unused (dead instructions, values, blocks).
fn small_kernel(detour: bool) -> Function {
    let mut b = Builder::new("k", FunctionKind::Kernel, &[]);
    if detour {
        b.func.create_block();
        b.func.create_inst(Op::Const { value: Constant::Int(9) }, vec![scalar(I32)], loc(1, 1));
    }
    let one = b.int(1, I32);
    let two = b.binary(BinaryOp::Add, one, one);
    let pred = CmpPred::Gt;
    let flag = b.op(Op::Cmp { pred, lhs: two, rhs: one }, scalar(ScalarType::Bool));
    b.effect(Op::Assert { cond: flag, message: "m".into() }, loc(5, 1));
    b.ret(vec![]);
    b.func
}

#[test]
fn text_does_not_depend_on_arena_history() {
    let (plain, detoured) = (small_kernel(false), small_kernel(true));
    assert_ne!(plain.values.len(), detoured.values.len());
    assert_eq!(print_function(&plain), print_function(&detoured));
    assert!(print_function(&detoured).contains("%0 = const 1 : i32"));
    verify_module(&Module { functions: vec![detoured] }).unwrap();
}

#[test]
fn arena_numbering_matches_verifier_names() {
    let func = small_kernel(true);
    let text = print_function_with(&func, &PrintOptions { numbering: Numbering::Arena });
    assert!(text.contains("%1 = const 1 : i32  // inst1"), "{text}");
    assert!(text.contains("%2 = add %1, %1 : i32  // inst2"), "{text}");
}
