//! Printing the report: Markdown tables, number formats, and the performance targets
//! as [`Verdict`]s (met or missed; "indicative" when measured at a smaller size than
//! the target names, as in `--quick` runs).

use crate::plan::Plan;

/// A Markdown table, printed as soon as its section is done.
#[derive(Debug)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// One performance target of the issue against what this run measured.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// The target as the issue states it.
    pub target: String,
    /// The measured case: size and threads.
    pub case: String,
    /// The measured figure.
    pub measured: String,
    pub met: bool,
    /// Measured at another size than the target's (a quick run): only a hint.
    pub indicative: bool,
}

impl Table {
    pub fn new(header: &[&str]) -> Table {
        Table { header: header.iter().map(|h| h.to_string()).collect(), rows: Vec::new() }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn print(&self) {
        println!("| {} |", self.header.join(" | "));
        println!("|{}", "---|".repeat(self.header.len()));
        for row in &self.rows {
            println!("| {} |", row.join(" | "));
        }
        println!();
    }
}

/// The report's title and the conditions of the run.
pub fn print_header(plan: &Plan) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mode = if plan.quick { "quick (smoke-run sizes; not the issue's)" } else { "full" };
    println!("# Tessera benchmark report\n");
    println!("- mode: {mode}; threads: {:?}; cores available: {cores}", plan.threads);
    let budget = &plan.budget;
    println!(
        "- each case: {} warm-up run(s), then the median of {}–{} timed runs within {:.1} s",
        budget.warmup_runs,
        budget.min_runs,
        budget.max_runs,
        budget.time.as_secs_f64()
    );
    println!("- Tessera: kernels from tests/kernels/ok at -O2, checked launches, asserts on\n");
}

/// The targets table.
pub fn print_verdicts(verdicts: &[Verdict]) {
    if verdicts.is_empty() {
        return;
    }
    println!("## Targets\n");
    let mut table = Table::new(&["target", "case", "measured", "result"]);
    for verdict in verdicts {
        let result = match (verdict.met, verdict.indicative) {
            (true, false) => "met",
            (false, false) => "**missed**",
            (true, true) => "met (indicative: smaller size)",
            (false, true) => "missed (indicative: smaller size)",
        };
        let cells = [&verdict.target, &verdict.case, &verdict.measured];
        table.row(cells.iter().map(|c| c.to_string()).chain([result.to_string()]).collect());
    }
    table.print();
}

/// Milliseconds with about three significant digits.
pub fn millis(ms: f64) -> String {
    match ms {
        ms if ms < 1.0 => format!("{ms:.3}"),
        ms if ms < 100.0 => format!("{ms:.2}"),
        ms => format!("{ms:.0}"),
    }
}

/// A rate (GFLOP/s, GB/s) with one decimal.
pub fn rate(value: f64) -> String {
    format!("{value:.1}")
}

/// `ours / theirs` as a factor.
pub fn ratio(ours: f64, theirs: f64) -> String {
    format!("{:.2}×", ours / theirs)
}

/// `ours / theirs` as a percentage.
pub fn percent(ours: f64, theirs: f64) -> String {
    format!("{:.0} %", 100.0 * ours / theirs)
}

/// "1 thread", "2 threads".
pub fn threads_label(threads: usize) -> String {
    match threads {
        1 => "1 thread".to_string(),
        threads => format!("{threads} threads"),
    }
}
