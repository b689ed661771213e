//! Verifier unit tests: one hand-broken function per invariant, asserting the
//! specific error; type rules are in [`type_rules`] as a table of cases.

mod type_rules;

use super::{verify_function, verify_module, IrEntity, VerifierError, MAX_NESTING};
use crate::function::{Block, Function, FunctionKind, Inst, Loc, Module, Value, ValueDef};
use crate::ops::{Constant, Op};
use crate::printer::{op_mnemonic, print_function};
use crate::text::{parse_function, parse_module};
use crate::types::{ScalarType, Type};

/// Parameters every test kernel takes, named by their type.
const PARAMS: &str = "%a \"a\": f32, %b \"b\": i32, %c \"c\": bool, %p \"p\": ptr<f32>, \
     %t \"t\": tile<[4], f32>, %u \"u\": tile<[4], i32>, %m \"m\": tile<[4], bool>, \
     %q \"q\": tile<[4], ptr<f32>>, %w \"w\": tile<[4, 8], f32>, %h \"h\": tile<[8, 4], f16>, \
     %pb \"pb\": tile<[4], ptr<bool>>";

/// A kernel taking [`PARAMS`] whose body is `body` followed by `return`.
fn kernel(body: &str) -> Function {
    let text = format!("kernel @k({PARAMS}) {{\n{body}\n  return\n}}\n");
    parse_function(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn errors(func: &Function) -> VerifierError {
    match verify_function(func, None) {
        Ok(()) => panic!("verified, expected an error:\n{}", print_function(func)),
        Err(error) => error,
    }
}

/// The first instruction (in arena order) whose mnemonic is `mnemonic`.
fn find(func: &Function, mnemonic: &str) -> Inst {
    let found = func.insts.iter().find(|(_, data)| op_mnemonic(&data.op) == mnemonic);
    found.map(|(inst, _)| inst).unwrap_or_else(|| panic!("no `{mnemonic}`"))
}

fn inst_entity(func: &Function, inst: Inst) -> IrEntity {
    IrEntity::Inst(inst, op_mnemonic(&func.insts[inst].op))
}

/// `func` fails with exactly one error, about `entity`, containing `fragment`.
fn assert_only_error(func: &Function, entity: IrEntity, fragment: &str) {
    let error = errors(func);
    assert!(error.mentions(entity, fragment), "expected {entity}: …{fragment}…, got\n{error}");
    assert_eq!(error.errors.len(), 1, "{error}");
}

const IF_ELSE: &str = "  if %c {\n    %x = neg %a : f32\n    yield\n  } else {\n    %y = neg %a : f32\n    yield\n  }";

#[test]
fn well_formed_kernels_verify() {
    verify_function(&kernel(""), None).unwrap();
    verify_function(&kernel(IF_ELSE), None).unwrap();
}

#[test]
fn errors_name_function_entity_and_problem() {
    let func = kernel("  %r = exp %b : i32");
    let error = errors(&func);
    let inst = find(&func, "exp");
    assert_eq!(
        error.to_string(),
        format!("verifier error: @k: {inst} (exp): `exp` needs float elements, found i32")
    );
}

// S1: block ownership.

#[test]
fn missing_body_block() {
    let mut func = kernel("");
    func.body = Block(99);
    assert_only_error(&func, IrEntity::Function, "the body block ^bb99 does not exist");
}

#[test]
fn block_owned_by_two_ops() {
    let second_if = IF_ELSE.replace("%x", "%x2").replace("%y", "%y2");
    let mut func = kernel(&format!("{IF_ELSE}\n{second_if}"));
    let ifs: Vec<Inst> = func.blocks[func.body].insts[..2].to_vec();
    let Op::If { then_block: first_then, .. } = func.insts[ifs[0]].op else { unreachable!() };
    if let Op::If { then_block, .. } = &mut func.insts[ifs[1]].op {
        *then_block = first_then;
    }
    let entity = inst_entity(&func, ifs[1]);
    assert_only_error(&func, entity, "which is already owned by another op");
}

#[test]
fn op_owning_the_body_or_its_own_block() {
    let mut func = kernel(IF_ELSE);
    let if_inst = find(&func, "if");
    let body = func.body;
    if let Op::If { else_block, .. } = &mut func.insts[if_inst].op {
        *else_block = body;
    }
    assert_only_error(&func, inst_entity(&func, if_inst), "the function body");

    // An inner `if` owning the block it sits in: a cycle, reported, not followed.
    let mut func = kernel("  if %c {\n    if %c {\n      yield\n    } else {\n      yield\n    }\n    yield\n  } else {\n    yield\n  }");
    let outer = func.blocks[func.body].insts[0];
    let Op::If { then_block: outer_then, .. } = func.insts[outer].op else { unreachable!() };
    let inner = func.blocks[outer_then].insts[0];
    if let Op::If { then_block, .. } = &mut func.insts[inner].op {
        *then_block = outer_then;
    }
    assert!(errors(&func).mentions(inst_entity(&func, inner), "already owned"));
}

#[test]
fn dangling_owned_block() {
    let mut func = kernel(IF_ELSE);
    let if_inst = find(&func, "if");
    if let Op::If { then_block, .. } = &mut func.insts[if_inst].op {
        *then_block = Block(999);
    }
    assert_only_error(&func, inst_entity(&func, if_inst), "owns ^bb999, which does not exist");
}

/// A kernel of `depth` nested `if`s, built without the parser's nesting limit.
fn nested_ifs(depth: usize) -> Function {
    let mut func = Function::new("deep", FunctionKind::Kernel, &[]);
    let bool_ty = Type::scalar(ScalarType::Bool);
    let cond_op = Op::Const { value: Constant::Bool(true) };
    let cond_inst = func.append_inst(func.body, cond_op, vec![bool_ty], Loc::default());
    let cond = func.result(cond_inst);
    let mut block = func.body;
    for _ in 0..depth {
        let (then_block, else_block) = (func.create_block(), func.create_block());
        func.append_inst(else_block, Op::Yield { values: vec![] }, vec![], Loc::default());
        let op = Op::If { cond, then_block, else_block };
        func.append_inst(block, op, vec![], Loc::default());
        let terminator = if block == func.body {
            Op::Return { values: vec![] }
        } else {
            Op::Yield { values: vec![] }
        };
        func.append_inst(block, terminator, vec![], Loc::default());
        block = then_block;
    }
    func.append_inst(block, Op::Yield { values: vec![] }, vec![], Loc::default());
    func
}

#[test]
fn nesting_is_limited_without_overflowing_the_stack() {
    let deepest = nested_ifs(MAX_NESTING);
    verify_function(&deepest, None).unwrap();
    // The deepest verified function also prints and parses back.
    let text = print_function(&deepest);
    assert_eq!(print_function(&parse_function(&text).unwrap()), text);
    let error = errors(&nested_ifs(MAX_NESTING + 1));
    assert!(error.errors.iter().any(|e| e.message.contains("nested deeper than")), "{error}");
}

// S2: instruction placement.

#[test]
fn instruction_in_two_blocks() {
    let mut func = kernel(IF_ELSE);
    let negs: Vec<Inst> =
        func.insts.keys().filter(|&i| op_mnemonic(&func.insts[i].op) == "neg").collect();
    let Op::If { else_block, .. } = func.insts[find(&func, "if")].op else { unreachable!() };
    func.blocks[else_block].insts[0] = negs[0];
    assert!(errors(&func).mentions(inst_entity(&func, negs[0]), "placed in more than one block"));
}

#[test]
fn dangling_instruction() {
    let mut func = kernel("");
    let body = func.body;
    func.blocks[body].insts.insert(0, Inst(999));
    assert_only_error(&func, IrEntity::Block(body), "holds inst999, which does not exist");
}

// S3: the value table.

#[test]
fn value_def_disagrees_with_placement() {
    let mut func = kernel("  %r = neg %a : f32\n  %s = neg %r : f32");
    let first = find(&func, "neg");
    let result = func.insts[first].results[0];
    func.values[result].def = ValueDef::Result(first, 1);
    let message = format!(
        "is defined as result 0 of {first} but its value table entry says result 1 of {first}"
    );
    assert_only_error(&func, IrEntity::Value(result), &message);

    let mut func = kernel("");
    let param = func.params()[1];
    func.values[param].def = ValueDef::BlockArg(func.body, 0);
    assert_only_error(&func, IrEntity::Value(param), "is defined as argument 1 of ^bb0");
}

#[test]
fn dangling_result_and_argument() {
    let mut func = kernel("  %r = neg %a : f32");
    let neg = find(&func, "neg");
    func.insts[neg].results.push(Value(999));
    assert!(errors(&func).mentions(inst_entity(&func, neg), "defines %999, which does not exist"));
    let mut func = kernel("");
    let body = func.body;
    func.blocks[body].args.push(Value(998));
    assert!(errors(&func).mentions(IrEntity::Block(body), "defines %998"));
}

// S4: terminators.

#[test]
fn empty_block() {
    let mut func = kernel("");
    let body = func.body;
    func.blocks[body].insts.clear();
    assert_only_error(
        &func,
        IrEntity::Block(body),
        "is empty; the function body must end in `return`",
    );
}

#[test]
fn terminator_before_the_end() {
    let func = kernel("  return\n  store %p, %a");
    let first_return = func.blocks[func.body].insts[0];
    assert!(errors(&func).mentions(inst_entity(&func, first_return), "not the last instruction"));
}

#[test]
fn block_not_ending_in_a_terminator() {
    let mut func = kernel("  store %p, %a");
    let body = func.body;
    func.blocks[body].insts.pop();
    let store = find(&func, "store");
    assert_only_error(
        &func,
        inst_entity(&func, store),
        "is not a terminator but ends the function body",
    );
}

#[test]
fn terminator_of_the_wrong_kind() {
    let cases = [
        ("  if %c {\n    return\n  } else {\n    yield\n  }", "return", "an `if` then-branch"),
        (
            "  if %c {\n    yield\n  } else {\n    condition %c\n  }",
            "condition",
            "an `if` else-branch",
        ),
        ("  while {\n    yield\n  } do {\n    yield\n  }", "yield", "a `while` condition"),
        (
            "  while {\n    condition %c\n  } do {\n    condition %c\n  }",
            "condition",
            "a `while` body",
        ),
        ("  for %i = %b to %b step %b {\n    return\n  }", "return", "a `for` body"),
    ];
    for (body, mnemonic, role) in cases {
        let func = kernel(body);
        let error = errors(&func);
        let blamed = |e: &super::VerifierDiagnostic| {
            matches!(e.entity, IrEntity::Inst(_, m) if m == mnemonic) && e.message.contains(role)
        };
        assert!(error.errors.iter().any(blamed), "{body}: {error}");
    }
    let mut func = kernel("");
    let ret = find(&func, "return");
    func.insts[ret].op = Op::Yield { values: vec![] };
    assert_only_error(
        &func,
        inst_entity(&func, ret),
        "ends the function body (^bb0), which must end in `return`",
    );
}

// S5: signatures.

#[test]
fn parameter_names_and_kernel_results() {
    let mut func = kernel("");
    func.param_names.pop();
    assert_only_error(&func, IrEntity::Function, "has 10 parameter names for 11 parameters");
    let mut func = kernel("");
    func.result_types.push(Type::scalar(ScalarType::F32));
    let error = errors(&func);
    assert!(error.mentions(IrEntity::Function, "is a kernel but has result types"), "{error}");
}

// D1: scoping.

#[test]
fn use_before_definition() {
    let mut func = kernel("  %r = neg %a : f32\n  %s = neg %r : f32");
    let body = func.body;
    func.blocks[body].insts.swap(0, 1);
    let user = func.blocks[body].insts[0];
    let used = func.insts[func.blocks[body].insts[1]].results[0];
    let inst = func.blocks[body].insts[1];
    let message =
        format!("uses {used} (a result of {inst}), which is not defined before it in scope");
    assert_only_error(&func, inst_entity(&func, user), &message);
}

/// Makes the first `neg` in `block` use `value` instead of its operand.
fn redirect_first_neg(func: &mut Function, block: Block, value: Value) -> Inst {
    let inst = func.blocks[block].insts[0];
    func.insts[inst].op.map_operands(|_| value);
    inst
}

#[test]
fn value_from_a_sibling_block() {
    let mut func = kernel(IF_ELSE);
    let Op::If { then_block, else_block, .. } = func.insts[find(&func, "if")].op else {
        unreachable!()
    };
    let then_value = func.insts[func.blocks[then_block].insts[0]].results[0];
    let user = redirect_first_neg(&mut func, else_block, then_value);
    assert_only_error(&func, inst_entity(&func, user), "which is not defined before it in scope");
}

#[test]
fn value_from_a_nested_block_or_the_owner() {
    let mut func = kernel(&format!("{IF_ELSE}\n  %z = neg %a : f32"));
    let Op::If { then_block, .. } = func.insts[find(&func, "if")].op else { unreachable!() };
    let inner = func.insts[func.blocks[then_block].insts[0]].results[0];
    let body = func.body;
    let user = func.blocks[body].insts[1];
    func.insts[user].op.map_operands(|_| inner);
    assert_only_error(&func, inst_entity(&func, user), "not defined before it in scope");

    let mut func = kernel(
        "  %r = if %c {\n    %x = neg %a : f32\n    yield %x\n  } else {\n    yield %a\n  } : f32",
    );
    let if_inst = find(&func, "if");
    let own_result = func.insts[if_inst].results[0];
    let Op::If { then_block, .. } = func.insts[if_inst].op else { unreachable!() };
    let user = redirect_first_neg(&mut func, then_block, own_result);
    assert_only_error(&func, inst_entity(&func, user), "not defined before it in scope");
}

#[test]
fn dangling_operand() {
    let mut func = kernel("  %r = neg %a : f32");
    let body = func.body;
    let user = redirect_first_neg(&mut func, body, Value(4242));
    assert_only_error(&func, inst_entity(&func, user), "uses %4242, which does not exist");
}

// M1–M3: modules.

fn module(text: &str) -> Module {
    parse_module(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

#[test]
fn duplicate_function_names() {
    let mut functions = module("kernel @k() {\n  return\n}\n").functions;
    functions.push(functions[0].clone());
    let error = verify_module(&Module { functions }).unwrap_err();
    assert!(error.mentions(IrEntity::Function, "defined more than once"), "{error}");
}

#[test]
fn recursive_helpers() {
    let text = "fn @f(%0 \"x\": f32) -> (f32) {\n  %1 = call @g(%0) : f32\n  return %1\n}\n\
                fn @g(%0 \"x\": f32) -> (f32) {\n  %1 = call @f(%0) : f32\n  return %1\n}\n\
                fn @h(%0 \"x\": f32) -> () {\n  call @h(%0)\n  return\n}\n";
    let error = verify_module(&module(text)).unwrap_err();
    assert!(error.mentions(IrEntity::Function, "helper is recursive: @f -> @g -> @f"), "{error}");
    assert!(error.mentions(IrEntity::Function, "helper is recursive: @h -> @h"), "{error}");
    assert_eq!(error.errors.len(), 2, "{error}");
}

#[test]
fn calls_are_checked_against_the_module() {
    let helpers =
        "fn @h(%0 \"x\": f32) -> (f32) {\n  return %0\n}\nkernel @other() {\n  return\n}\n";
    let cases = [
        ("  %r = call @missing(%a) : f32", "calls @missing, which is not in the module"),
        ("  call @other()", "calls @other, which is a kernel, not a helper"),
        ("  %r = call @h(%b) : f32", "argument 0 has type i32, expected f32"),
        ("  %r = call @h(%a, %a) : f32", "has 2 arguments, expected 1"),
        ("  %r = call @h(%a) : i32", "result 0 has type i32, expected f32"),
        ("  call @h(%a)", "has 0 results, expected 1"),
    ];
    for (body, fragment) in cases {
        let text = format!("kernel @k({PARAMS}) {{\n{body}\n  return\n}}\n{helpers}");
        let module = module(&text);
        verify_function(&module.functions[0], None).unwrap();
        let error = verify_module(&module).unwrap_err();
        let call = find(&module.functions[0], "call");
        assert!(error.mentions(IrEntity::Inst(call, "call"), fragment), "{body}: {error}");
        assert_eq!(error.errors.len(), 1, "{error}");
    }
}

#[test]
fn returns_match_the_signature() {
    let text = "kernel @k(%0 \"x\": f32) {\n  return %0\n}\n\
                fn @h(%0 \"x\": f32) -> (i32) {\n  return %0\n}\n";
    let module = module(text);
    let error = verify_module(&module).unwrap_err();
    let kernel_return = find(&module.functions[0], "return");
    let entity = IrEntity::Inst(kernel_return, "return");
    assert!(error.mentions(entity, "has 1 returned values, expected 0"), "{error}");
    let helper_error = error.errors.iter().find(|e| e.function == "h").unwrap();
    assert!(helper_error.message.contains("returned value 0 has type f32, expected i32"));
    assert_eq!(error.errors.len(), 2, "{error}");
}

// Malformed functions never panic the verifier (or the printer).

mod never_panics {
    use proptest::prelude::*;

    use super::*;
    use crate::entity::EntityRef;

    /// One random corruption of a handle somewhere in `func`.
    fn corrupt(func: &mut Function, kind: u8, at: prop::sample::Index, target: u32) {
        match kind {
            0 if !func.insts.is_empty() => {
                let inst = Inst::new(at.index(func.insts.len()));
                func.insts[inst].op.map_operands(|_| Value(target));
            }
            1 if !func.insts.is_empty() => {
                let inst = Inst::new(at.index(func.insts.len()));
                if let Some(result) = func.insts[inst].results.first_mut() {
                    *result = Value(target);
                }
            }
            2 => {
                let block = Block::new(at.index(func.blocks.len()));
                func.blocks[block].insts.push(Inst(target));
            }
            3 if !func.values.is_empty() => {
                let value = Value::new(at.index(func.values.len()));
                func.values[value].def = ValueDef::BlockArg(Block(target), target);
            }
            4 if !func.insts.is_empty() => {
                let inst = Inst::new(at.index(func.insts.len()));
                if let Op::For { body, .. } | Op::While { body, .. } = &mut func.insts[inst].op {
                    *body = Block(target);
                }
            }
            _ => {
                let block = Block::new(at.index(func.blocks.len()));
                func.blocks[block].insts.reverse();
            }
        }
    }

    const LOOPS: &str = "  %r, %s = for %i = %b to %b step %b iter(%lx = %a, %ly = %t) {\n    %z = neg %lx : f32\n    yield %z, %ly\n  } : f32, tile<[4], f32>\n  %v = while iter(%n = %b) {\n    condition %c\n  } do (%k) {\n    yield %k\n  } : i32";

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn corrupted_functions_never_panic(
            edits in prop::collection::vec((0u8..6, any::<prop::sample::Index>(), 0u32..40), 1..6)
        ) {
            let mut func = kernel(&format!("{LOOPS}\n{IF_ELSE}"));
            for (kind, at, target) in edits {
                corrupt(&mut func, kind, at, target);
            }
            let _ = verify_function(&func, None);
            let _ = print_function(&func);
        }
    }
}
