//! Tests of the whole e-graph pass on functions: results before and after agree on the
//! interpreter, materialization respects definition order, runs that blow up stop at
//! their limits with a correct program, and explanations name the rules.

use std::time::Duration;

use tessera_ir::interp::{run_kernel, Buffer, KernelArg, LaunchOptions};
use tessera_ir::{parse_module, print_function, verify_function, Module, Type};

use super::rules::{all_rules, build_rewrites, rule, RuleDef, TileRewrite};
use super::testing::{first_difference, random_buffer, Rng, VarSpec};
use super::*;
use crate::cost::{DefaultCostModel, OpKind};

fn module(text: &str) -> Module {
    parse_module(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// Runs kernel `k` of `module` on one random input buffer (of `input`'s type) and a
/// zeroed output buffer of `out` elements; returns the output.
fn run(
    module: &Module,
    input: &VarSpec,
    out: (tessera_ir::ScalarType, usize),
    seed: &str,
) -> Buffer {
    let mut rng = Rng::new(seed);
    let mut args = vec![
        KernelArg::Buffer(random_buffer(input, &mut rng, false)),
        KernelArg::Buffer(Buffer::zeros(out.0, out.1)),
    ];
    run_kernel(module, "k", &mut args, &LaunchOptions::default()).expect("the kernel runs");
    match args.pop() {
        Some(KernelArg::Buffer(buffer)) => buffer,
        other => panic!("no output: {other:?}"),
    }
}

/// Rewrites kernel `k` with `rules`, checks that it verifies and computes the same
/// output as before on several random inputs; returns the stats and the new text.
fn check_rewrite(
    text: &str,
    input: &str,
    out: (tessera_ir::ScalarType, usize),
    options: &EgraphOptions,
    cost: &dyn CostModel,
    rules: &[TileRewrite],
) -> (EgraphStats, String) {
    let before = module(text);
    let mut after = before.clone();
    let stats = rewrite_with_rules(&mut after.functions[0], options, cost, rules, None);
    let printed = print_function(&after.functions[0]);
    if let Err(e) = verify_function(&after.functions[0], None) {
        panic!("the rewritten kernel does not verify: {e}\n{printed}");
    }
    let input = super::testing::parse_var(input);
    for seed in ["a", "b", "c", "d"] {
        let (x, y) = (run(&before, &input, out, seed), run(&after, &input, out, seed));
        assert_eq!(first_difference(&x, &y, None), None, "outputs differ:\n{printed}");
    }
    (stats, printed)
}

const IDENTITIES: &str = r#"
kernel @k(%0 "x": ptr<f32>, %1 "y": ptr<f32>) {
  %2 = arange 0, 8 : tile<[8], i32>
  %3 = splat %0 : tile<[8], ptr<f32>>
  %4 = ptr_add %3, %2 : tile<[8], ptr<f32>>
  %5 = load %4 : tile<[8], f32>
  %6 = const 1.0 : f32
  %7 = splat %6 : tile<[8], f32>
  %8 = mul %5, %7 : tile<[8], f32>
  %9 = const 2.0 : f32
  %10 = splat %9 : tile<[8], f32>
  %11 = div %8, %10 : tile<[8], f32>
  %12 = splat %1 : tile<[8], ptr<f32>>
  %13 = ptr_add %12, %2 : tile<[8], ptr<f32>>
  store %13, %11
  return
}
"#;

#[test]
fn default_rules_simplify_and_preserve_results() {
    let rules = rules::default_rewrites(false);
    let options = EgraphOptions::default();
    let (stats, printed) = check_rewrite(
        IDENTITIES,
        "f32[8]",
        (tessera_ir::ScalarType::F32, 8),
        &options,
        &DefaultCostModel,
        rules,
    );
    assert!(!printed.contains("div") && printed.contains("mul"), "{printed}");
    assert!(printed.contains("0.5"), "x / 2 becomes x * 0.5:\n{printed}");
    assert_eq!((stats.regions, stats.stop_reason.as_str()), (1, "saturated"));
    assert!(stats.rewrites > 0 && stats.nodes > 0 && stats.iterations > 0);
}

#[test]
fn unchanged_code_is_left_alone() {
    let text = r#"
kernel @k(%0 "x": ptr<i32>, %1 "y": ptr<i32>) {
  %2 = load %0 : i32
  %3 = load %1 : i32
  %4 = add %2, %3 : i32
  store %1, %4
  return
}
"#;
    let before = module(text);
    let mut after = before.clone();
    rewrite_function(&mut after.functions[0], &EgraphOptions::default(), &DefaultCostModel);
    assert_eq!(before, after);
}

/// Constants are very expensive and `xor` is cheap, so the cheapest zero for the first
/// stored value would be `%later ^ %later`, which uses a load after the store.
struct ConstantsAreExpensive;

impl CostModel for ConstantsAreExpensive {
    fn node_cost(&self, op: &OpKind, ty: &Type) -> u64 {
        match op {
            OpKind::Const | OpKind::Splat => 1000,
            OpKind::Binary(tessera_ir::BinaryOp::Xor) => 1,
            _ => DefaultCostModel.node_cost(op, ty) * 100,
        }
    }
}

#[test]
fn extraction_never_uses_a_value_before_its_definition() {
    let text = r#"
kernel @k(%0 "x": ptr<i32>, %1 "y": ptr<i32>) {
  %2 = load %0 : i32
  %3 = const 0 : i32
  %4 = mul %2, %3 : i32
  store %1, %4
  %5 = load %1 : i32
  %6 = xor %5, %5 : i32
  %7 = const 1 : i64
  %8 = ptr_add %1, %7 : ptr<i32>
  store %8, %6
  return
}
"#;
    let rules = rules::default_rewrites(false);
    let out = (tessera_ir::ScalarType::I32, 2);
    let options = EgraphOptions::default();
    let (_, printed) = check_rewrite(text, "i32", out, &options, &ConstantsAreExpensive, rules);
    let first_store = printed.find("store").expect("a store");
    let later_load = printed.rfind("load").expect("a load");
    assert!(later_load > first_store, "{printed}");
}

/// Commutativity, associativity and distributivity: only for these tests.
fn blow_up_rules() -> Vec<RuleDef> {
    let int = |c: &mut rules::Ctx<'_>| c.int("?a");
    vec![
        rule("test-add-comm", "(add ?a ?b)", "(add ?b ?a)", int),
        rule("test-mul-comm", "(mul ?a ?b)", "(mul ?b ?a)", int),
        rule("test-add-assoc", "(add (add ?a ?b) ?c)", "(add ?a (add ?b ?c))", int),
        rule("test-add-assoc-rev", "(add ?a (add ?b ?c))", "(add (add ?a ?b) ?c)", int),
        rule("test-distribute", "(mul ?a (add ?b ?c))", "(add (mul ?a ?b) (mul ?a ?c))", int),
    ]
}

/// `acc = x; acc = acc * c_i + x` for `terms` steps, over `i32[8]`, stored.
fn chain_kernel(terms: usize) -> String {
    let mut text = String::from(
        "kernel @k(%0 \"x\": ptr<i32>, %1 \"y\": ptr<i32>) {\n\
         %2 = arange 0, 8 : tile<[8], i32>\n\
         %3 = splat %0 : tile<[8], ptr<i32>>\n\
         %4 = ptr_add %3, %2 : tile<[8], ptr<i32>>\n\
         %5 = load %4 : tile<[8], i32>\n",
    );
    let mut acc = 5;
    let mut next = 6;
    for i in 0..terms {
        let c = 3 + 2 * i as i64; // distinct, so no two steps share a node
        text.push_str(&format!("%{next} = const {c} : i32\n"));
        text.push_str(&format!("%{} = splat %{next} : tile<[8], i32>\n", next + 1));
        text.push_str(&format!("%{} = mul %{acc}, %{} : tile<[8], i32>\n", next + 2, next + 1));
        text.push_str(&format!("%{} = add %{}, %5 : tile<[8], i32>\n", next + 3, next + 2));
        acc = next + 3;
        next += 4;
    }
    text.push_str(&format!(
        "%{next} = splat %1 : tile<[8], ptr<i32>>\n\
         %{} = ptr_add %{next}, %2 : tile<[8], ptr<i32>>\n\
         store %{}, %{acc}\n\
         return\n}}\n",
        next + 1,
        next + 1
    ));
    text
}

#[test]
fn a_blow_up_stops_at_the_node_limit_with_a_correct_program() {
    let text = chain_kernel(1300);
    let pure_ops = text.lines().filter(|l| l.contains(" = ") && !l.contains("load")).count();
    assert!(pure_ops >= 5_000, "{pure_ops}");
    let mut defs = all_rules();
    defs.extend(blow_up_rules());
    let rules = build_rewrites(&defs, false);
    let options = EgraphOptions::default();
    let out = (tessera_ir::ScalarType::I32, 8);
    let (stats, _) = check_rewrite(&text, "i32[8]", out, &options, &DefaultCostModel, &rules);
    assert_eq!(stats.stop_reason, "node limit", "{stats:?}");
    assert!(stats.nodes > 5_000, "{stats:?}");
}

#[test]
fn a_blow_up_stops_at_the_iteration_limit_with_a_correct_program() {
    let text = chain_kernel(6);
    let rules = build_rewrites(&blow_up_rules(), false);
    let options =
        EgraphOptions { iter_limit: 3, node_limit: 10_000_000, ..EgraphOptions::default() };
    let out = (tessera_ir::ScalarType::I32, 8);
    let (stats, _) = check_rewrite(&text, "i32[8]", out, &options, &DefaultCostModel, &rules);
    assert_eq!((stats.stop_reason.as_str(), stats.iterations), ("iteration limit", 3), "{stats:?}");
}

#[test]
fn explanations_name_the_rules_and_leave_the_function_alone() {
    let func = module(IDENTITIES).functions.remove(0);
    let explanations = explain_function(&func, &EgraphOptions::default(), &DefaultCostModel);
    assert_eq!(explanations.len(), 1, "{explanations:#?}");
    let text = explanations[0].to_string();
    assert!(explanations[0].rules.iter().any(|r| r == "mul-one"), "{text}");
    assert!(explanations[0].rules.iter().any(|r| r == "fdiv-pow2"), "{text}");
    assert!(text.starts_with("%11 = (div (mul %5"), "{text}");
    assert!(text.contains("=> (mul %5 (splat 0.5f32 [8]))"), "{text}");
    assert_eq!(func, module(IDENTITIES).functions.remove(0));
}

#[test]
fn fast_math_forms_fma_and_reciprocals() {
    let text = r#"
kernel @k(%0 "x": ptr<f32>, %1 "y": ptr<f32>) {
  %2 = load %0 : f32
  %3 = const 3.0 : f32
  %4 = mul %2, %2 : f32
  %5 = add %4, %3 : f32
  %6 = div %5, %3 : f32
  store %1, %6
  return
}
"#;
    let mut func = module(text).functions.remove(0);
    let options = EgraphOptions { fast_math: true, ..EgraphOptions::default() };
    rewrite_function(&mut func, &options, &DefaultCostModel);
    let printed = print_function(&func);
    assert!(verify_function(&func, None).is_ok(), "{printed}");
    assert!(printed.contains("fma") && !printed.contains("div"), "{printed}");
    let mut exact = module(text).functions.remove(0);
    rewrite_function(&mut exact, &EgraphOptions::default(), &DefaultCostModel);
    assert!(!print_function(&exact).contains("fma"));
}

#[test]
fn no_time_limit_by_default() {
    assert_eq!(EgraphOptions::default().time_limit, None::<Duration>);
}
