//! The pass pipeline: optimization levels composed from the passes in straight-line
//! code, with the verifier after every pass in debug and test builds (as Cranelift's
//! `context.rs` does), and a [`PipelineReport`] of what each pass did.
//!
//! # Levels
//! - `-O0`: nothing.
//! - `-O1`: inline, canonicalize, const-fold, dce, cse.
//! - `-O2`: `-O1`, then a loop and e-graph round: licm, simplify-masks, egraph, and
//!   the cleanup canonicalize, const-fold, dce, licm (the e-graph splits invariant
//!   address parts out of varying ones, so a second hoist pays), cse.
//! - `-O3`: `-O2` with larger e-graph limits ([`PipelineOptions::for_level`]), then a
//!   second loop and e-graph round.
//!
//! `--passes a,b,c` ([`PipelineOptions::passes`]) replaces the level's sequence by an
//! explicit one; names come from [`pass_names`].
//!
//! # Contract
//! - The input module must verify ([`PassError::InvalidInput`] otherwise). Each kernel
//!   (and each helper, unless `inline` runs: then helpers are inlined and those no
//!   kernel calls any more are removed) goes through the sequence; the result is
//!   compacted (dense arenas, see [`crate::passes::util::compact`]).
//! - Every pass preserves every result bit for bit; only `--fast-math` lets the
//!   e-graph change float results.
//! - In debug builds the function is verified after every pass; a failure is
//!   [`PassError::Verifier`], a compiler bug naming the pass, never a panic.

mod report;

pub use report::{FunctionReport, PassRecord, PipelineReport};

use std::time::Instant;

use tessera_ir::verifier::VerifierError;
use tessera_ir::{print_function, verify_function, verify_module, Function, FunctionKind, Module};

use crate::cost::CostModel;
use crate::egraph;
pub use crate::egraph::{EgraphOptions, EgraphStats};
use crate::passes::util::{compact, count_ops};
use crate::passes::{
    canonicalize, drop_unused_helpers, eliminate_common_subexpressions, eliminate_dead_code,
    fold_constants, hoist_loop_invariants, inline_helpers, simplify_masks,
};

/// Optimization levels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OptLevel {
    O0,
    O1,
    #[default]
    O2,
    O3,
}

/// How to optimize.
#[derive(Clone, Debug)]
pub struct PipelineOptions {
    pub level: OptLevel,
    /// Allow rewrites that change float results (passed on to the e-graph, together
    /// with `egraph.fast_math`: either enables it).
    pub fast_math: bool,
    /// Run exactly these passes, in order, instead of the level's sequence.
    pub passes: Option<Vec<String>>,
    /// Record the IR after every pass (`"all"`) or after each run of one pass.
    pub print_after: Option<String>,
    /// Whether the caller wants the `--time-passes` table. Timings and op counts are
    /// recorded either way (two clock reads and two counts per pass).
    pub time_passes: bool,
    /// E-graph limits; [`PipelineOptions::for_level`] picks them per level.
    pub egraph: EgraphOptions,
}

/// Why the pipeline did not run to completion.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PassError {
    /// A pass name (in `passes` or `print_after`) that does not exist.
    #[error("unknown pass '{name}' (passes: {})", pass_names().join(", "))]
    UnknownPass { name: String },
    /// The module handed to the pipeline does not verify.
    #[error("the module to optimize does not verify: {0}")]
    InvalidInput(VerifierError),
    /// A pass produced IR that does not verify: a compiler bug.
    #[error("internal compiler error: the IR of @{function} does not verify after pass '{pass}': {error}")]
    Verifier { pass: String, function: String, error: VerifierError },
}

/// One pass of the registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pass {
    Inline,
    Canonicalize,
    ConstFold,
    Dce,
    Cse,
    Licm,
    SimplifyMasks,
    Egraph,
}

const PASSES: [Pass; 8] = [
    Pass::Inline,
    Pass::Canonicalize,
    Pass::ConstFold,
    Pass::Dce,
    Pass::Cse,
    Pass::Licm,
    Pass::SimplifyMasks,
    Pass::Egraph,
];

const PASS_NAMES: [&str; 8] =
    ["inline", "canonicalize", "const-fold", "dce", "cse", "licm", "simplify-masks", "egraph"];

impl Pass {
    fn name(self) -> &'static str {
        match self {
            Pass::Inline => "inline",
            Pass::Canonicalize => "canonicalize",
            Pass::ConstFold => "const-fold",
            Pass::Dce => "dce",
            Pass::Cse => "cse",
            Pass::Licm => "licm",
            Pass::SimplifyMasks => "simplify-masks",
            Pass::Egraph => "egraph",
        }
    }

    fn from_name(name: &str) -> Result<Pass, PassError> {
        PASSES
            .into_iter()
            .find(|pass| pass.name() == name)
            .ok_or_else(|| PassError::UnknownPass { name: name.to_string() })
    }
}

/// The names `--passes` and `--print-after` accept, in pipeline order.
pub fn pass_names() -> &'static [&'static str] {
    &PASS_NAMES
}

impl Default for PipelineOptions {
    fn default() -> Self {
        PipelineOptions::for_level(OptLevel::default())
    }
}

impl PipelineOptions {
    /// The options of `level`: its pass sequence, and e-graph limits (the e-graph
    /// defaults, with 2× the iterations and 4× the nodes at `-O3`).
    pub fn for_level(level: OptLevel) -> PipelineOptions {
        let mut egraph = EgraphOptions::default();
        if level == OptLevel::O3 {
            egraph.iter_limit = egraph.iter_limit.saturating_mul(2);
            egraph.node_limit = egraph.node_limit.saturating_mul(4);
        }
        PipelineOptions {
            level,
            fast_math: false,
            passes: None,
            print_after: None,
            time_passes: false,
            egraph,
        }
    }
}

/// Optimizes every function of `module` in place (see the module docs); `cost` prices
/// e-graph extraction.
pub fn optimize_module(
    module: &mut Module,
    options: &PipelineOptions,
    cost: &dyn CostModel,
) -> Result<PipelineReport, PassError> {
    let explicit = match &options.passes {
        Some(names) => {
            Some(names.iter().map(|n| Pass::from_name(n)).collect::<Result<Vec<_>, _>>()?)
        }
        None => None,
    };
    let print_after = match options.print_after.as_deref() {
        None => PrintAfter::Nothing,
        Some("all") => PrintAfter::All,
        Some(name) => PrintAfter::Pass(Pass::from_name(name)?),
    };
    verify_module(module).map_err(PassError::InvalidInput)?;
    let inlines = match &explicit {
        Some(passes) => passes.contains(&Pass::Inline),
        None => options.level != OptLevel::O0,
    };
    let mut egraph_options = options.egraph.clone();
    egraph_options.fast_math |= options.fast_math;
    let callees = module.clone();
    let mut report = PipelineReport::default();
    for func in module.functions.iter_mut() {
        if inlines && func.kind == FunctionKind::Helper {
            continue;
        }
        let record = FunctionReport::new(&func.name, count_ops(func));
        let mut runner = Runner {
            func,
            callees: &callees,
            egraph: &egraph_options,
            cost,
            print_after,
            record,
            printed: &mut report.printed,
        };
        match &explicit {
            Some(passes) => passes.iter().try_for_each(|&pass| runner.run(pass))?,
            None => run_level(&mut runner, options.level)?,
        }
        if !runner.record.passes.is_empty() {
            *runner.func = compact(runner.func);
        }
        runner.record.ops_after = count_ops(runner.func);
        report.functions.push(runner.record);
    }
    if inlines {
        drop_unused_helpers(module);
    }
    Ok(report)
}

/// The straight-line pass sequence of each level.
fn run_level(runner: &mut Runner<'_>, level: OptLevel) -> Result<(), PassError> {
    match level {
        OptLevel::O0 => Ok(()),
        OptLevel::O1 => run_o1(runner),
        OptLevel::O2 => {
            run_o1(runner)?;
            run_loop_and_egraph_round(runner)
        }
        OptLevel::O3 => {
            run_o1(runner)?;
            run_loop_and_egraph_round(runner)?;
            run_loop_and_egraph_round(runner)
        }
    }
}

fn run_o1(runner: &mut Runner<'_>) -> Result<(), PassError> {
    runner.run(Pass::Inline)?;
    runner.run(Pass::Canonicalize)?;
    runner.run(Pass::ConstFold)?;
    runner.run(Pass::Dce)?;
    runner.run(Pass::Cse)
}

fn run_loop_and_egraph_round(runner: &mut Runner<'_>) -> Result<(), PassError> {
    runner.run(Pass::Licm)?;
    runner.run(Pass::SimplifyMasks)?;
    runner.run(Pass::Egraph)?;
    runner.run(Pass::Canonicalize)?;
    runner.run(Pass::ConstFold)?;
    runner.run(Pass::Dce)?;
    runner.run(Pass::Licm)?;
    runner.run(Pass::Cse)
}

/// Which passes' output to record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PrintAfter {
    Nothing,
    All,
    Pass(Pass),
}

/// Runs passes on one function and records them.
struct Runner<'a> {
    func: &'a mut Function,
    callees: &'a Module,
    egraph: &'a EgraphOptions,
    cost: &'a dyn CostModel,
    print_after: PrintAfter,
    record: FunctionReport,
    printed: &'a mut Vec<(String, String)>,
}

impl Runner<'_> {
    /// Runs `pass`, times it, counts ops around it, verifies (debug builds) and
    /// records the outcome.
    fn run(&mut self, pass: Pass) -> Result<(), PassError> {
        let ops_before = count_ops(self.func);
        let start = Instant::now();
        let mut egraph_stats = None;
        let changes = match pass {
            Pass::Inline => inline_helpers(self.func, self.callees),
            Pass::Canonicalize => canonicalize(self.func),
            Pass::ConstFold => fold_constants(self.func),
            Pass::Dce => eliminate_dead_code(self.func),
            Pass::Cse => eliminate_common_subexpressions(self.func),
            Pass::Licm => hoist_loop_invariants(self.func),
            Pass::SimplifyMasks => simplify_masks(self.func),
            Pass::Egraph => {
                let stats = egraph::rewrite_function(self.func, self.egraph, self.cost);
                let rewrites = stats.rewrites;
                egraph_stats = Some(stats);
                rewrites
            }
        };
        let time = start.elapsed();
        if cfg!(debug_assertions) {
            verify_function(self.func, Some(self.callees)).map_err(|error| {
                PassError::Verifier {
                    pass: pass.name().to_string(),
                    function: self.func.name.clone(),
                    error,
                }
            })?;
        }
        let print = match self.print_after {
            PrintAfter::Nothing => false,
            PrintAfter::All => true,
            PrintAfter::Pass(wanted) => wanted == pass,
        };
        if print {
            self.printed.push((pass.name().to_string(), print_function(self.func)));
        }
        self.record.passes.push(PassRecord {
            pass: pass.name(),
            time,
            ops_before,
            ops_after: count_ops(self.func),
            changes,
            egraph: egraph_stats,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests;
