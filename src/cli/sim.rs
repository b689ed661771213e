//! `tessera sim FILE --kernel K --grid … --arg …`: compile a kernel for a PE-grid machine
//! (or load a `.peo` file) and run it on the functional simulator.

use super::opt::OptArgs;
use super::pegrid::{compile_source, is_peo, load_peo, params_of_program, MachineArgs};
use super::run::{parse_grid, parse_host_args, parse_saves, report_buffers, Params};
use anyhow::{bail, Context, Result};
use std::process::ExitCode;
use tessera::args::HostArg;
use tessera::ir::interp::KernelArg;
use tessera_pegrid::program::Program;
use tessera_pegrid::sim;

/// Run a kernel on the PE-grid simulator.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
FILE is a .tsr source (compiled at -O2 for --machine) or a .peo program from
`tessera build --target pegrid`. Arguments are given as for `tessera run`.

Examples:
  tessera sim tests/kernels/ok/vector_add.tsr --kernel vector_add --grid 4 --machine tiny \\
      --arg rand:1000 --arg rand:1000:1 --arg zeros:1000 --arg 1000
  tessera build --target pegrid tests/kernels/ok/softmax.tsr -o softmax.peo
  tessera sim softmax.peo --grid 64 --arg rand:64x100 --arg zeros:64x100 \\
      --arg 100 --arg 100 --arg 100 --save y=softmax.npy
  tessera sim tests/kernels/ok/matmul_f16.tsr --grid 256 --timing-only --json \\
      --arg zeros:1024x1024:f16 --arg zeros:1024x1024:f16 --arg zeros:1024x1024:f16 \\
      --arg 1024 --arg 1024 --arg 1024 --arg 1024 --arg 1 --arg 1024 --arg 1 --arg 1024 --arg 1 \\
      --trace mm.json

By default the run is timed: after the outputs, a report gives the cycles, the time at
the machine's clock, each roofline ceiling's minimum time for the work done and which
one binds, the bytes moved per memory level, and per engine the busy cycles and the
cycles spent waiting for data (CB empty) or for space (CB full).")]
pub struct SimArgs {
    /// The .tsr or .peo file.
    pub file: std::path::PathBuf,
    /// The kernel to run (optional when the file has one kernel).
    #[arg(long)]
    pub kernel: Option<String>,
    /// Launch grid: X, X,Y or X,Y,Z program instances.
    #[arg(long, default_value = "1")]
    pub grid: String,
    /// One argument per parameter, in order (see `tessera run --help`).
    #[arg(long = "arg", value_name = "SPEC")]
    pub args: Vec<String>,
    /// Const parameter value, NAME=VALUE (repeatable; .tsr only).
    #[arg(short = 'D', value_name = "NAME=VALUE")]
    pub define: Vec<String>,
    /// Save a buffer parameter after the run: PARAM=out.npy (repeatable).
    #[arg(long, value_name = "PARAM=PATH")]
    pub save: Vec<String>,
    /// The sub-grid of PEs the launch occupies, ROWSxCOLS (default: the whole grid).
    #[arg(long, value_name = "RxC")]
    pub pes: Option<String>,
    /// Command budget of the launch over all PEs (stops non-terminating programs).
    #[arg(long, default_value_t = sim::Launch::default().fuel)]
    pub fuel: u64,
    /// Skip device_assert checks.
    #[arg(long)]
    pub no_device_asserts: bool,
    /// Compute results only, without the timing model.
    #[arg(long, conflicts_with = "timing_only")]
    pub functional: bool,
    /// Model time only: no arithmetic, no data movement (outputs are not written).
    #[arg(long)]
    pub timing_only: bool,
    /// Print the performance report as JSON instead of text (buffers are not listed).
    #[arg(long, conflicts_with = "functional")]
    pub json: bool,
    /// A buffer parameter the host placed in on-chip SRAM (repeatable); its transfers
    /// are timed at SRAM bandwidth and latency instead of DRAM's.
    #[arg(long, value_name = "PARAM")]
    pub sram: Vec<String>,
    /// Write a Chrome/Perfetto trace of the timeline (one track per PE engine).
    #[arg(long, value_name = "PATH.json", conflicts_with = "functional")]
    pub trace: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub machine: MachineArgs,
    #[command(flatten)]
    pub opt: OptArgs,
}

/// Runs `sim`.
pub fn run(args: &SimArgs) -> Result<ExitCode> {
    let machine = args.machine.machine()?;
    let (params, program): (Params, Program) = if is_peo(&args.file) {
        if !args.define.is_empty() {
            bail!("-D applies to .tsr sources; a .peo program is already specialized");
        }
        let program = load_peo(&args.file)?;
        if let Some(k) = &args.kernel {
            if *k != program.kernel {
                bail!("{} holds kernel '{}', not '{k}'", args.file.display(), program.kernel);
            }
        }
        (params_of_program(&program), program)
    } else {
        let kernel = args.kernel.as_deref();
        let Some(mut compiled) =
            compile_source(&args.file, &args.define, kernel, &args.opt, &args.machine)?
        else {
            return Ok(ExitCode::from(1));
        };
        if compiled.len() != 1 {
            let names: Vec<&str> = compiled.iter().map(|(p, _)| p.kernel.as_str()).collect();
            bail!("the file has several kernels ({}); choose one with --kernel", names.join(", "));
        }
        let (params, c) = compiled.remove(0);
        (params, c.program)
    };
    let grid = parse_grid(&args.grid)?;
    let (rows, cols) = match &args.pes {
        Some(text) => parse_pes(text)?,
        None => (machine.grid.rows, machine.grid.cols),
    };
    let saves = parse_saves(&args.save, &params)?;
    let host_args = parse_host_args(&params, &args.args)?;
    let mut kernel_args: Vec<KernelArg> = host_args.iter().map(HostArg::to_kernel_arg).collect();
    let mode = if args.functional {
        sim::Mode::Functional
    } else if args.timing_only {
        sim::Mode::TimingOnly
    } else {
        sim::Mode::Timed
    };
    if mode == sim::Mode::TimingOnly && !saves.is_empty() {
        bail!("--save needs values: drop --timing-only");
    }
    let launch = sim::Launch {
        grid,
        rows,
        cols,
        fuel: args.fuel,
        check_asserts: !args.no_device_asserts,
        mode,
        trace: args.trace.is_some(),
        sram_buffers: sram_buffers(&params, &args.sram)?,
    };
    let started = std::time::Instant::now();
    let stats = sim::run(&program, &machine, &launch, &mut kernel_args)?;
    let wall = started.elapsed().as_secs_f64();
    let report = stats
        .timing
        .as_ref()
        .map(|t| sim::Report::new(t, &machine, u64::from(rows) * u64::from(cols)));
    if let (Some(path), Some(timing)) = (&args.trace, &stats.timing) {
        std::fs::write(path, sim::chrome_trace(timing, machine.clock_hz))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if args.json {
        if let Some(r) = &report {
            println!("{}", r.to_json());
        }
        return Ok(ExitCode::SUCCESS);
    }
    let what = match mode {
        sim::Mode::Functional => "functional",
        sim::Mode::Timed => "timed",
        sim::Mode::TimingOnly => "timing only",
    };
    println!(
        "ran {} on grid {}x{}x{} (pegrid `{}`, {rows}x{cols} PEs, {what} simulation, {wall:.2} s)",
        params.kernel, grid[0], grid[1], grid[2], machine.name
    );
    if mode.computes() {
        report_buffers(&params, &host_args, &kernel_args, &saves)?;
    }
    println!("  {}", stats_line(&stats, wall));
    if let Some(r) = &report {
        print!("{}", r.render());
    }
    if let Some(path) = &args.trace {
        println!("trace written to {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn stats_line(stats: &sim::SimStats, wall: f64) -> String {
    let per_op: Vec<String> =
        stats.commands_per_op.iter().map(|(op, n)| format!("{op} {n}")).collect();
    format!(
        "executed {} commands ({:.2} M/s; {}); DMA {} B in, {} B out",
        stats.commands,
        stats.commands as f64 / wall.max(1e-9) / 1e6,
        per_op.join(", "),
        stats.bytes_loaded,
        stats.bytes_stored
    )
}

/// The parameter indices of `--sram` names, which must be buffers.
fn sram_buffers(params: &Params, names: &[String]) -> Result<Vec<u32>> {
    names
        .iter()
        .map(|name| {
            let index = params.params.iter().position(|(n, _)| n == name);
            match index {
                Some(i) if params.params[i].1.elem.pointee().is_some() => Ok(i as u32),
                Some(_) => bail!("--sram {name}: not a buffer (pointer) parameter"),
                None => bail!("--sram {name}: kernel {} has no parameter '{name}'", params.kernel),
            }
        })
        .collect()
}

/// Parses `RxC`.
fn parse_pes(text: &str) -> Result<(u32, u32)> {
    let Some((r, c)) = text.split_once(['x', 'X']) else {
        bail!("--pes {text}: expected ROWSxCOLS, e.g. 2x4");
    };
    match (r.trim().parse::<u32>(), c.trim().parse::<u32>()) {
        (Ok(r), Ok(c)) if r > 0 && c > 0 => Ok((r, c)),
        _ => bail!("--pes {text}: expected two positive integers ROWSxCOLS"),
    }
}
