//! E-graph rewriting with egg: each block's pure DAG is loaded into an e-graph
//! ([`region`]), rewritten with the rule groups of [`rules`] under iteration and node
//! limits, and the cheapest equivalent program under a [`CostModel`] is extracted
//! ([`extract`]) and materialized back into the block ([`rebuild`]).
//!
//! The default rules preserve every result bit for bit (docs/language.md semantics,
//! NaN payloads aside); [`EgraphOptions::fast_math`] adds rules that may change float
//! results (reassociation, `fma` formation, reciprocals, …). A run that stops at a
//! limit still extracts the best program found; the [`EgraphStats`] record why each
//! region stopped. egg's `deterministic` feature makes runs reproducible, and no time
//! limit is set unless one is given (the CLI may; tests never do).
//!
//! [`explain_function`] reruns the rewriting with egg's explanations and lists, per
//! changed expression, its before and after forms and the rules of the proof.

pub mod analysis;
pub mod convert;
pub mod explain;
pub mod extract;
pub mod fold;
pub mod language;
pub mod rebuild;
pub mod region;
pub mod rules;

#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;

use std::time::{Duration, Instant};

use egg::{Runner, StopReason};
use tessera_ir::{Block, Function};

use crate::cost::CostModel;
use analysis::{TileAnalysis, TileGraph};
use convert::AddMode;
use extract::Extractor;
use rules::TileRewrite;

pub use explain::Explanation;

/// Settings of the e-graph optimizer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EgraphOptions {
    /// Also use the rules that may change float results.
    pub fast_math: bool,
    /// Iterations per region.
    pub iter_limit: usize,
    /// E-nodes per region.
    pub node_limit: usize,
    /// Wall-clock limit per region (CLI only; `None` in tests and by default).
    pub time_limit: Option<Duration>,
    /// Run with egg's explanations enabled (slower; [`explain_function`] always does).
    pub explain: bool,
}

impl Default for EgraphOptions {
    fn default() -> Self {
        EgraphOptions {
            fast_math: false,
            iter_limit: 16,
            node_limit: 20_000,
            time_limit: None,
            explain: false,
        }
    }
}

/// What one run did, summed over the regions it optimized.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EgraphStats {
    /// Blocks that had pure code to optimize.
    pub regions: usize,
    /// Iterations, summed over regions.
    pub iterations: usize,
    /// E-nodes at the end, summed over regions.
    pub nodes: usize,
    /// E-classes at the end, summed over regions.
    pub classes: usize,
    /// Rule applications that changed an e-graph.
    pub rewrites: usize,
    /// `"saturated"`, or the most severe limit a region stopped at: `"iteration
    /// limit"`, `"node limit"`, `"time limit"` (or `"other: …"`).
    pub stop_reason: String,
    /// Time spent, rewriting and extracting.
    pub time: Duration,
}

/// Rewrites every block of `func` with the default rules and extracts the cheapest
/// equivalent program under `cost`. The function stays verified; dead instructions
/// are left detached for DCE to drop.
pub fn rewrite_function(
    func: &mut Function,
    options: &EgraphOptions,
    cost: &dyn CostModel,
) -> EgraphStats {
    let rules = rules::default_rewrites(options.fast_math);
    rewrite_with_rules(func, options, cost, rules, None)
}

/// For each expression the optimizer would change in `func`: the before and after
/// forms and the chain of rules that proves them equal. `func` is not modified.
pub fn explain_function(
    func: &Function,
    options: &EgraphOptions,
    cost: &dyn CostModel,
) -> Vec<Explanation> {
    let mut copy = func.clone();
    let mut explainer = explain::Explainer::new(func);
    let options = EgraphOptions { explain: true, ..options.clone() };
    let rules = rules::default_rewrites(options.fast_math);
    rewrite_with_rules(&mut copy, &options, cost, rules, Some(&mut explainer));
    explainer.explanations
}

/// [`rewrite_function`] with an explicit rule set (tests add rule sets that blow up).
pub(crate) fn rewrite_with_rules(
    func: &mut Function,
    options: &EgraphOptions,
    cost: &dyn CostModel,
    rules: &[TileRewrite],
    mut explainer: Option<&mut explain::Explainer>,
) -> EgraphStats {
    let start = Instant::now();
    let mut stats = EgraphStats { stop_reason: "saturated".to_string(), ..EgraphStats::default() };
    let mut worst = 0;
    let loops = region::loop_blocks(func);
    for block in func.walk_blocks() {
        let explainer = explainer.as_deref_mut();
        let Some(region) =
            rewrite_region(func, block, loops.contains(&block), options, cost, rules, explainer)
        else {
            continue;
        };
        stats.regions += 1;
        stats.iterations += region.iterations;
        stats.nodes += region.nodes;
        stats.classes += region.classes;
        stats.rewrites += region.rewrites;
        let (severity, reason) = describe(&region.stop_reason);
        if severity > worst || stats.regions == 1 {
            worst = severity;
            stats.stop_reason = reason;
        }
    }
    stats.time = start.elapsed();
    stats
}

/// What one region's run did.
struct RegionRun {
    iterations: usize,
    nodes: usize,
    classes: usize,
    rewrites: usize,
    stop_reason: StopReason,
}

/// Builds, runs, extracts and rebuilds one block; `None` when it has no pure code.
fn rewrite_region(
    func: &mut Function,
    block: Block,
    is_loop: bool,
    options: &EgraphOptions,
    cost: &dyn CostModel,
    rules: &[TileRewrite],
    explainer: Option<&mut explain::Explainer>,
) -> Option<RegionRun> {
    let explain = options.explain || explainer.is_some();
    let mode = if explain { AddMode::Explained } else { AddMode::Canonical };
    let (egraph, info) = region::build_region(func, block, is_loop, mode)?;
    let runner = Runner::<_, TileAnalysis, ()>::new(TileAnalysis::default())
        .with_egraph(egraph)
        .with_iter_limit(options.iter_limit)
        .with_node_limit(options.node_limit)
        .with_time_limit(options.time_limit.unwrap_or(Duration::MAX))
        .run(rules);
    let rewrites = runner.iterations.iter().flat_map(|it| it.applied.values()).sum();
    let run = RegionRun {
        iterations: runner.iterations.len(),
        nodes: runner.egraph.total_size(),
        classes: runner.egraph.number_of_classes(),
        rewrites,
        stop_reason: runner.stop_reason.clone().unwrap_or(StopReason::Saturated),
    };
    let mut egraph: TileGraph = runner.egraph;
    let mut extractor = Extractor::new(&egraph, &info, cost);
    let rebuilt = rebuild::rebuild_block(func, &egraph, &info, &mut extractor);
    if let (Some(explainer), Some(rebuilt)) = (explainer, rebuilt) {
        if rebuilt.changed {
            explainer.record(&mut egraph, &info, &rebuilt);
        }
    }
    Some(run)
}

/// A stop reason's severity (saturated < iteration < node < time limit < other) and
/// its text for [`EgraphStats::stop_reason`].
fn describe(reason: &StopReason) -> (u8, String) {
    match reason {
        StopReason::Saturated => (0, "saturated".to_string()),
        StopReason::IterationLimit(_) => (1, "iteration limit".to_string()),
        StopReason::NodeLimit(_) => (2, "node limit".to_string()),
        StopReason::TimeLimit(_) => (3, "time limit".to_string()),
        StopReason::Other(message) => (4, format!("other: {message}")),
    }
}
