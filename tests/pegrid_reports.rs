//! Snapshots of the PE-grid cycle report for a handful of corpus kernels on `tiny` and
//! `mtia2` (timed runs on fixed inputs; the counts are deterministic). The assembly
//! of every kernel is in `tests/snapshots/snapshots__pegrid@*.snap`.

use tessera::frontend::{self, CompileOptions};
use tessera::ir::interp::{Buffer, KernelArg, Scalar};
use tessera::ir::ScalarType;
use tessera_passes::cost::DefaultCostModel;
use tessera_passes::pipeline::{optimize_module, OptLevel, PipelineOptions};
use tessera_pegrid::compile::{compile_kernel, CompileOptions as PeOptions};
use tessera_pegrid::machine::Machine;
use tessera_pegrid::sim::{self, Launch, Mode, Report};

fn report(
    file: &str,
    kernel: &str,
    consts: &[(&str, i64)],
    grid: u32,
    args: &[KernelArg],
    machine: &str,
) -> String {
    let text = std::fs::read_to_string(format!("tests/kernels/ok/{file}")).unwrap();
    let options = CompileOptions {
        consts: consts.iter().map(|&(n, v)| (n.to_string(), v)).collect(),
        kernel: Some(kernel.to_string()),
    };
    let mut module = frontend::compile(&text, &options).expect("compiles");
    optimize_module(&mut module, &PipelineOptions::for_level(OptLevel::O2), &DefaultCostModel)
        .expect("optimizes");
    let m = Machine::preset(machine).unwrap();
    let compiled = compile_kernel(&module, kernel, &m, &PeOptions::default()).unwrap();
    let launch = Launch {
        grid: [grid, 1, 1],
        rows: m.grid.rows,
        cols: m.grid.cols,
        mode: Mode::Timed,
        ..Launch::default()
    };
    let mut args = args.to_vec();
    let stats = sim::run(&compiled.program, &m, &launch, &mut args).expect("runs");
    let timing = stats.timing.expect("timed");
    let pes = u64::from(m.grid.rows * m.grid.cols);
    format!(
        "{kernel} {consts:?} grid {grid} on {machine}\n{}",
        Report::new(&timing, &m, pes).render()
    )
}

fn f32s(n: usize) -> KernelArg {
    KernelArg::Buffer(Buffer::F32((0..n).map(|i| (i % 17) as f32 * 0.125 - 1.0).collect()))
}

fn zeros(t: ScalarType, n: usize) -> KernelArg {
    KernelArg::Buffer(Buffer::zeros(t, n))
}

fn int(v: i32) -> KernelArg {
    KernelArg::Scalar(Scalar::I32(v))
}

#[test]
fn cycle_reports() {
    let mut out = String::new();
    for machine in ["tiny", "mtia2"] {
        let n = 4096;
        let vadd = [f32s(n), f32s(n), zeros(ScalarType::F32, n), int(n as i32)];
        out += &report("vector_add.tsr", "vector_add", &[("BLOCK", 512)], 8, &vadd, machine);
        let (rows, cols) = (64, 1000);
        let sm = [
            f32s(rows * cols),
            zeros(ScalarType::F32, rows * cols),
            int(1000),
            int(1000),
            int(1000),
        ];
        out += &report("softmax.tsr", "softmax", &[("BLOCK", 1024)], rows as u32, &sm, machine);
        let s = 256usize;
        let h = ScalarType::F16;
        let mm = [
            zeros(h, s * s),
            zeros(h, s * s),
            zeros(h, s * s),
            int(256),
            int(256),
            int(256),
            int(256),
            int(1),
            int(256),
            int(1),
            int(256),
            int(1),
        ];
        let consts = [("BLOCK_M", 64), ("BLOCK_N", 64), ("BLOCK_K", 32)];
        out += &report("matmul_f16.tsr", "matmul_f16", &consts, 16, &mm, machine);
        out.push('\n');
    }
    insta::assert_snapshot!(out);
}
