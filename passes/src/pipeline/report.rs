//! What the pipeline did: per function, one [`PassRecord`] per pass run (wall time, op
//! counts before and after, the number of rewrites, the e-graph's statistics); the IR
//! after the passes `print_after` selected; and the `--time-passes` table.
//!
//! Op counts are instructions reachable from the function body, terminators and
//! structured ops included (`crate::passes::util::count_ops`). Wall times vary from
//! run to run: they appear only in [`PipelineReport::render_time_passes`], never in
//! anything snapshotted.

use std::fmt::Write;
use std::time::Duration;

use super::EgraphStats;

/// Everything the pipeline recorded, function by function in module order.
#[derive(Clone, Debug, Default)]
pub struct PipelineReport {
    pub functions: Vec<FunctionReport>,
    /// `(pass, IR text of the function after it)` for each pass run `print_after`
    /// selected, in the order they ran (all passes of one function, then the next
    /// function's). The text names its function.
    pub printed: Vec<(String, String)>,
}

/// The passes run on one function.
#[derive(Clone, Debug)]
pub struct FunctionReport {
    pub name: String,
    /// Op count before the first pass.
    pub ops_before: usize,
    /// Op count after the last pass (and compaction).
    pub ops_after: usize,
    pub passes: Vec<PassRecord>,
}

/// One run of one pass on one function.
#[derive(Clone, Debug)]
pub struct PassRecord {
    /// The pass's name, as [`super::pass_names`] lists it.
    pub pass: &'static str,
    pub time: Duration,
    pub ops_before: usize,
    pub ops_after: usize,
    /// What the pass reports having changed (rewrites, removals, inlined calls).
    pub changes: usize,
    /// The e-graph's statistics, for the `egraph` pass.
    pub egraph: Option<EgraphStats>,
}

impl FunctionReport {
    pub(super) fn new(name: &str, ops_before: usize) -> FunctionReport {
        FunctionReport {
            name: name.to_string(),
            ops_before,
            ops_after: ops_before,
            passes: Vec::new(),
        }
    }

    /// Wall time of all passes on this function.
    pub fn total_time(&self) -> Duration {
        self.passes.iter().map(|record| record.time).sum()
    }

    /// E-graph statistics summed over the `egraph` runs on this function: (iterations,
    /// nodes, stop reasons joined with `;`), or `None` when the e-graph did not run.
    pub fn egraph_summary(&self) -> Option<(usize, usize, String)> {
        let runs: Vec<&EgraphStats> =
            self.passes.iter().filter_map(|r| r.egraph.as_ref()).collect();
        if runs.is_empty() {
            return None;
        }
        let iterations = runs.iter().map(|s| s.iterations).sum();
        let nodes = runs.iter().map(|s| s.nodes).sum();
        let reasons: Vec<&str> = runs.iter().map(|s| s.stop_reason.as_str()).collect();
        Some((iterations, nodes, reasons.join("; ")))
    }
}

impl PipelineReport {
    /// The report of the function called `name`.
    pub fn function(&self, name: &str) -> Option<&FunctionReport> {
        self.functions.iter().find(|f| f.name == name)
    }

    /// Wall time of every pass on every function.
    pub fn total_time(&self) -> Duration {
        self.functions.iter().map(FunctionReport::total_time).sum()
    }

    /// A `--time-passes` table in the manner of LLVM's: per function, one line per
    /// pass run with its time, share of the function's time, op counts before → after,
    /// changes, and for the e-graph its nodes, iterations and stop reason; then totals.
    pub fn render_time_passes(&self) -> String {
        let mut out = String::new();
        for function in &self.functions {
            render_function(&mut out, function);
        }
        let total = self.total_time();
        let (before, after) =
            self.functions.iter().fold((0, 0), |(b, a), f| (b + f.ops_before, a + f.ops_after));
        let _ = writeln!(
            out,
            "Total: {} function(s), {:.3} ms, ops {before} -> {after}",
            self.functions.len(),
            millis(total)
        );
        out
    }
}

const RULE: &str =
    "===-------------------------------------------------------------------------===";

fn render_function(out: &mut String, function: &FunctionReport) {
    let total = function.total_time();
    let _ = writeln!(out, "{RULE}");
    let _ = writeln!(
        out,
        "  Pass execution timing report: @{} (ops {} -> {}, {:.3} ms)",
        function.name,
        function.ops_before,
        function.ops_after,
        millis(total)
    );
    let _ = writeln!(out, "{RULE}");
    let _ = writeln!(
        out,
        "  {:>10}  {:>6}  {:<15} {:>15}  {:>7}  e-graph",
        "time (ms)", "share", "pass", "ops", "changes"
    );
    for record in &function.passes {
        let ops = format!("{} -> {}", record.ops_before, record.ops_after);
        let egraph = record.egraph.as_ref().map_or(String::new(), |stats| {
            format!(
                "{} nodes, {} iters, {} regions: {}",
                stats.nodes, stats.iterations, stats.regions, stats.stop_reason
            )
        });
        let _ = writeln!(
            out,
            "  {:>10.3}  {:>5.1}%  {:<15} {:>15}  {:>7}  {egraph}",
            millis(record.time),
            share(record.time, total),
            record.pass,
            ops,
            record.changes
        );
    }
    let ops = format!("{} -> {}", function.ops_before, function.ops_after);
    let _ =
        writeln!(out, "  {:>10.3}  {:>5.1}%  {:<15} {:>15}", millis(total), 100.0, "total", ops);
    out.push('\n');
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

fn share(part: Duration, total: Duration) -> f64 {
    if total.is_zero() {
        0.0
    } else {
        100.0 * part.as_secs_f64() / total.as_secs_f64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_passes_table_lists_every_pass_with_ops_and_egraph_stats() {
        let stats = EgraphStats {
            regions: 2,
            iterations: 5,
            nodes: 321,
            stop_reason: "saturated".into(),
            rewrites: 4,
            ..EgraphStats::default()
        };
        let record = |pass, before, after, egraph| PassRecord {
            pass,
            time: Duration::from_micros(1500),
            ops_before: before,
            ops_after: after,
            changes: 1,
            egraph,
        };
        let report = PipelineReport {
            functions: vec![FunctionReport {
                name: "softmax".into(),
                ops_before: 40,
                ops_after: 30,
                passes: vec![record("dce", 40, 35, None), record("egraph", 35, 30, Some(stats))],
            }],
            printed: Vec::new(),
        };
        let table = report.render_time_passes();
        assert!(table.contains("@softmax (ops 40 -> 30, 3.000 ms)"), "{table}");
        assert!(table.contains("1.500   50.0%  dce"), "{table}");
        assert!(table.contains("40 -> 35"), "{table}");
        assert!(table.contains("321 nodes, 5 iters, 2 regions: saturated"), "{table}");
        assert!(table.contains("Total: 1 function(s), 3.000 ms, ops 40 -> 30"), "{table}");
        assert_eq!(
            report.function("softmax").and_then(FunctionReport::egraph_summary),
            Some((5, 321, "saturated".to_string()))
        );
    }
}
