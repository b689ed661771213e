//! Tests of the pipeline: pass selection and errors, the level sequences, `print_after`,
//! and every level on every corpus kernel and on random programs against the interpreter.

use super::*;
use crate::cost::DefaultCostModel;
use crate::passes::testing::{
    assert_same_launches, corpus_modules, corpus_modules_with, SMALL_CONSTS,
};
use tessera_ir::{parse_module, print_module, Op};

fn optimize(module: &mut Module, options: &PipelineOptions) -> PipelineReport {
    optimize_module(module, options, &DefaultCostModel)
        .unwrap_or_else(|error| panic!("{error}\n{}", print_module(module)))
}

const KERNEL: &str = "kernel @k(%0 \"x\": ptr<f32>, %1 \"y\": ptr<f32>) [BLOCK = 128] {
  %2 = arange 0, 128 : tile<[128], i32>
  %3 = const 128 : i32
  %4 = splat %3 : tile<[128], i32>
  %5 = cmp lt %2, %4 : tile<[128], bool>
  %6 = splat %0 : tile<[128], ptr<f32>>
  %7 = ptr_add %6, %2 : tile<[128], ptr<f32>>
  %8 = const 0.0 : f32
  %9 = splat %8 : tile<[128], f32>
  %10 = load %7, mask %5, other %9 : tile<[128], f32> @1:1
  %11 = call @double(%10) : tile<[128], f32>
  %12 = splat %1 : tile<[128], ptr<f32>>
  %13 = ptr_add %12, %2 : tile<[128], ptr<f32>>
  store %13, %11, mask %5 @2:1
  return
}

fn @double(%0 \"v\": tile<[128], f32>) -> (tile<[128], f32>) {
  %1 = const 2.0 : f32
  %2 = splat %1 : tile<[128], f32>
  %3 = mul %0, %2 : tile<[128], f32>
  return %3
}
";

#[test]
fn unknown_pass_names_are_typed_errors_listing_the_valid_ones() {
    let mut module = parse_module(KERNEL).expect("parses");
    let options =
        PipelineOptions { passes: Some(vec!["dce".into(), "gvn".into()]), ..Default::default() };
    let error = optimize_module(&mut module, &options, &DefaultCostModel).unwrap_err();
    assert_eq!(error, PassError::UnknownPass { name: "gvn".into() });
    assert!(error.to_string().contains("inline, canonicalize, const-fold, dce"), "{error}");
    let options = PipelineOptions { print_after: Some("gvn".into()), ..Default::default() };
    assert!(optimize_module(&mut module, &options, &DefaultCostModel).is_err());
    assert_eq!(pass_names().len(), PASSES.len());
    for (pass, name) in PASSES.iter().zip(pass_names()) {
        assert_eq!(pass.name(), *name);
    }
}

#[test]
fn o0_changes_nothing() {
    let mut module = parse_module(KERNEL).expect("parses");
    let before = print_module(&module);
    let report = optimize(&mut module, &PipelineOptions::for_level(OptLevel::O0));
    assert_eq!(print_module(&module), before);
    assert!(report.functions.iter().all(|f| f.passes.is_empty()));
}

#[test]
fn o2_inlines_drops_masks_and_helpers() {
    let mut module = parse_module(KERNEL).expect("parses");
    let original = module.clone();
    let report = optimize(&mut module, &PipelineOptions::default());
    let expected = "kernel @k(%0 \"x\": ptr<f32>, %1 \"y\": ptr<f32>) [BLOCK = 128] {
  %2 = arange 0, 128 : tile<[128], i32>
  %3 = splat %0 : tile<[128], ptr<f32>>
  %4 = ptr_add %3, %2 : tile<[128], ptr<f32>>
  %5 = load %4 : tile<[128], f32> @1:1
  %6 = const 2.0 : f32
  %7 = splat %6 : tile<[128], f32>
  %8 = mul %5, %7 : tile<[128], f32>
  %9 = splat %1 : tile<[128], ptr<f32>>
  %10 = ptr_add %9, %2 : tile<[128], ptr<f32>>
  store %10, %8 @2:1
  return
}
";
    assert_eq!(print_module(&module), expected);
    let kernel = report.function("k").expect("a report for the kernel");
    assert_eq!((kernel.ops_before, kernel.ops_after), (14, 11));
    let names: Vec<&str> = kernel.passes.iter().map(|r| r.pass).collect();
    assert_eq!(
        names,
        [
            "inline",
            "canonicalize",
            "const-fold",
            "dce",
            "cse",
            "licm",
            "simplify-masks",
            "egraph",
            "canonicalize",
            "const-fold",
            "dce",
            "licm",
            "cse"
        ]
    );
    assert!(kernel.passes.iter().any(|r| r.egraph.is_some()));
    assert!(report.render_time_passes().contains("simplify-masks"));
    assert_same_launches("O2", &original, &module);
}

#[test]
fn explicit_passes_and_print_after_record_the_ir() {
    let mut module = parse_module(KERNEL).expect("parses");
    let options = PipelineOptions {
        passes: Some(vec!["simplify-masks".into(), "dce".into()]),
        print_after: Some("dce".into()),
        ..Default::default()
    };
    let report = optimize(&mut module, &options);
    let printed = &report.printed;
    // No `inline` in the list: the helper is optimized too and kept.
    assert_eq!(printed.len(), 2);
    assert_eq!(printed[0].0, "dce");
    assert!(printed[0].1.starts_with("kernel @k("), "{}", printed[0].1);
    assert!(!printed[0].1.contains("mask"), "{}", printed[0].1);
    assert!(printed[0].1.contains("call @double"));
    assert!(printed[1].1.starts_with("fn @double("), "{}", printed[1].1);
    assert_eq!(module.functions.len(), 2);
}

/// Every corpus kernel at every level verifies (checked by the pipeline in debug
/// builds), has no calls left from -O1 on, and launches exactly like the original.
#[test]
fn every_level_preserves_every_corpus_kernel() {
    let small = corpus_modules_with(SMALL_CONSTS);
    assert!(small.len() >= 20, "only {} corpus files compile with small consts", small.len());
    let corpus: Vec<(String, Module)> = corpus_modules().into_iter().chain(small).collect();
    for level in [OptLevel::O1, OptLevel::O2, OptLevel::O3] {
        for (file, original) in &corpus {
            let mut module = original.clone();
            optimize(&mut module, &PipelineOptions::for_level(level));
            verify_module(&module).unwrap_or_else(|e| panic!("{file} at {level:?}: {e}"));
            assert!(module.functions.iter().all(|f| f.kind == FunctionKind::Kernel));
            for func in &module.functions {
                let calls = crate::passes::util::placed_insts(func)
                    .into_iter()
                    .filter(|&i| matches!(func.insts[i].op, Op::Call { .. }))
                    .count();
                assert_eq!(calls, 0, "{file}: @{} keeps calls at {level:?}", func.name);
            }
            assert_same_launches(&format!("{file} at {level:?}"), original, &module);
        }
    }
}

/// The op counts of every corpus kernel before and after -O1 and -O2, with the
/// e-graph's figures (printed with `--nocapture`; the time column is the only
/// machine-dependent one). The classic passes never make a kernel bigger than it is
/// once inlined.
#[test]
fn op_counts_of_the_corpus_kernels() {
    eprintln!(
        "{:<20} {:<18} {:>6} {:>8} {:>5} {:>5} {:>7} {:>6} {:>9}  stop reason",
        "file", "kernel", "before", "inlined", "O1", "O2", "nodes", "iters", "O2 ms"
    );
    for (file, original) in corpus_modules() {
        let mut o1 = original.clone();
        let report_o1 = optimize(&mut o1, &PipelineOptions::for_level(OptLevel::O1));
        let mut o2 = original.clone();
        let report_o2 = optimize(&mut o2, &PipelineOptions::for_level(OptLevel::O2));
        for (f1, f2) in report_o1.functions.iter().zip(&report_o2.functions) {
            let inlined = f1.passes.first().map_or(f1.ops_before, |r| r.ops_after);
            let (iters, nodes, stop) = f2.egraph_summary().unwrap_or_default();
            let millis = f2.total_time().as_secs_f64() * 1e3;
            eprintln!(
                "{file:<20} {:<18} {:>6} {:>8} {:>5} {:>5} {nodes:>7} {iters:>6} {millis:>9.3}  {stop}",
                f1.name, f1.ops_before, inlined, f1.ops_after, f2.ops_after
            );
            assert!(f1.ops_after <= inlined, "{file}: @{} grew at O1", f1.name);
        }
    }
}

/// Every level on random programs (see `passes/random_program.rs`), which between them
/// make every pass fire.
#[test]
fn every_level_preserves_random_programs() {
    use crate::passes::random_program::random_program;
    use crate::passes::testing::assert_same_outputs;
    let mut changes: std::collections::BTreeMap<&str, usize> = Default::default();
    for level in [OptLevel::O1, OptLevel::O2, OptLevel::O3] {
        for seed in 0..150 {
            let (original, args) = random_program(seed);
            let mut module = original.clone();
            let report = optimize(&mut module, &PipelineOptions::for_level(level));
            verify_module(&module).unwrap_or_else(|e| panic!("program {seed} at {level:?}: {e}"));
            for record in report.functions.iter().flat_map(|f| &f.passes) {
                *changes.entry(record.pass).or_default() += record.changes;
            }
            let what = format!("random program {seed} at {level:?}");
            assert_same_outputs(&what, &original, &module, args);
        }
    }
    for pass in ["canonicalize", "const-fold", "dce", "cse", "licm", "simplify-masks"] {
        assert!(changes.get(pass).is_some_and(|&n| n > 0), "{pass} never fired: {changes:?}");
    }
}
