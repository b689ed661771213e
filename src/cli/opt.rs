//! Optimizer flags shared by `emit --stage opt` and `explain-opt`, and the code that
//! turns them into pipeline options.

use anyhow::{bail, Result};
use std::time::Duration;
use tessera_passes::egraph::EgraphOptions;
use tessera_passes::pipeline::{pass_names, OptLevel, PipelineOptions};

/// `-O0`…`-O3`, `--fast-math`, e-graph limits, and pass selection.
#[derive(clap::Args, Debug, Clone)]
pub struct OptArgs {
    /// Optimization level: -O0, -O1, -O2 (default) or -O3.
    #[arg(short = 'O', value_name = "LEVEL", default_value = "2", value_parser = ["0", "1", "2", "3"])]
    pub level: String,
    /// Run exactly these passes, in order (comma-separated), instead of the level's.
    #[arg(long, value_delimiter = ',', value_name = "PASS,…")]
    pub passes: Option<Vec<String>>,
    /// Allow rewrites that change float results (reassociation, reciprocal, fma, exp(a)·exp(b)).
    #[arg(long)]
    pub fast_math: bool,
    /// E-graph iteration limit per region.
    #[arg(long, value_name = "N")]
    pub egraph_iter_limit: Option<usize>,
    /// E-graph node limit per region.
    #[arg(long, value_name = "N")]
    pub egraph_node_limit: Option<usize>,
    /// E-graph wall-time limit per region, in milliseconds (results may then vary by machine).
    #[arg(long, value_name = "MS")]
    pub egraph_time_limit_ms: Option<u64>,
}

impl OptArgs {
    /// The pipeline options these flags ask for.
    pub fn pipeline_options(&self) -> Result<PipelineOptions> {
        let level = match self.level.as_str() {
            "0" => OptLevel::O0,
            "1" => OptLevel::O1,
            "3" => OptLevel::O3,
            _ => OptLevel::O2,
        };
        let mut options = PipelineOptions::for_level(level);
        if let Some(passes) = &self.passes {
            for pass in passes {
                if !pass_names().contains(&pass.as_str()) {
                    bail!("--passes: unknown pass '{pass}' (passes: {})", pass_names().join(", "));
                }
            }
            options.passes = Some(passes.clone());
        }
        options.fast_math = self.fast_math;
        options.egraph = self.egraph_options(options.egraph.clone());
        Ok(options)
    }

    /// The e-graph options, starting from `base`.
    pub fn egraph_options(&self, mut base: EgraphOptions) -> EgraphOptions {
        base.fast_math = self.fast_math;
        if let Some(n) = self.egraph_iter_limit {
            base.iter_limit = n;
        }
        if let Some(n) = self.egraph_node_limit {
            base.node_limit = n;
        }
        if let Some(ms) = self.egraph_time_limit_ms {
            base.time_limit = Some(Duration::from_millis(ms));
        }
        base
    }
}
