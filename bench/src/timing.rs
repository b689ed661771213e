//! Timing one case: untimed warm-up runs, then timed runs until a time budget is spent
//! (within a minimum and maximum count); the median run is the case's time.

use std::time::{Duration, Instant};

/// How often, and for how long, to run one case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Untimed runs first: page faults on fresh outputs, caches, lazy initialization.
    pub warmup_runs: usize,
    /// Timed runs at least, even past the time budget.
    pub min_runs: usize,
    /// Timed runs at most.
    pub max_runs: usize,
    /// No timed run starts once the timed runs so far have taken this long.
    pub time: Duration,
}

/// The timed runs of one case.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// The median run (the mean of the middle two for an even count).
    pub median: Duration,
    /// The fastest run.
    pub min: Duration,
    /// How many runs were timed.
    pub runs: usize,
}

impl Budget {
    /// The budget of a full report: at least 3 runs, up to 3 s per case.
    pub fn full() -> Budget {
        Budget { warmup_runs: 1, min_runs: 3, max_runs: 30, time: Duration::from_secs(3) }
    }

    /// The budget of a smoke run (`--quick`): 3 runs, up to 0.1 s per case.
    pub fn quick() -> Budget {
        Budget { warmup_runs: 1, min_runs: 3, max_runs: 5, time: Duration::from_millis(100) }
    }
}

impl Sample {
    /// The median in seconds.
    pub fn seconds(&self) -> f64 {
        self.median.as_secs_f64()
    }

    /// The median in milliseconds.
    pub fn millis(&self) -> f64 {
        self.median.as_secs_f64() * 1e3
    }
}

/// Times `run` within `budget`; the first error stops the measurement.
pub fn measure<E>(budget: &Budget, mut run: impl FnMut() -> Result<(), E>) -> Result<Sample, E> {
    for _ in 0..budget.warmup_runs {
        run()?;
    }
    let mut times = Vec::new();
    let mut spent = Duration::ZERO;
    while times.len() < budget.min_runs.max(1)
        || (times.len() < budget.max_runs && spent < budget.time)
    {
        let start = Instant::now();
        run()?;
        let elapsed = start.elapsed();
        spent += elapsed;
        times.push(elapsed);
    }
    Ok(summarize(times))
}

/// Times an infallible `run` within `budget`.
pub fn measure_infallible(budget: &Budget, mut run: impl FnMut()) -> Sample {
    let result: Result<Sample, std::convert::Infallible> = measure(budget, || {
        run();
        Ok(())
    });
    match result {
        Ok(sample) => sample,
        Err(never) => match never {},
    }
}

fn summarize(mut times: Vec<Duration>) -> Sample {
    times.sort();
    let runs = times.len();
    let median =
        if runs % 2 == 1 { times[runs / 2] } else { (times[runs / 2 - 1] + times[runs / 2]) / 2 };
    Sample { median, min: times[0], runs }
}
