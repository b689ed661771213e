//! The matmul section: Tessera's `matmul.tsr` (default tiles, and hand-picked
//! 128×128×32 tiles) against `matrixmultiply::sgemm` and `gemm::gemm` on the same
//! square f32 matrices, in GFLOP/s, and the 40 GFLOP/s single-core targets (judged on
//! the better tiles; the ratios use it too).
//!
//! `matrixmultiply` reads its thread count once per process (from an environment
//! variable), so it runs single-threaded here and "2 threads" splits the rows of C
//! into one `sgemm` call per thread; `gemm` runs with `Parallelism::None` on one thread
//! and `Parallelism::Rayon(t)` inside a `t`-thread pool otherwise.

use rayon::prelude::*;
use tessera_bench::timing::{measure, measure_infallible};
use tessera_bench::verify::MatmulShape;
use tessera_bench::workers::Workers;
use tessera_bench::workload::{Case, Launch, Matmul};

use crate::report::{millis, rate, ratio, Table, Verdict};
use crate::Context;

/// The single-core target of the issue, in GFLOP/s, and the sizes it applies to.
const TARGET_GFLOPS: f64 = 40.0;
const TARGET_SIZES: [usize; 2] = [1024, 2048];

/// A matrix-product crate measured against Tessera.
#[derive(Clone, Copy, Debug)]
enum Peer {
    MatrixMultiply,
    Gemm,
}

/// Hand-picked tile consts (the best of a sweep of BLOCK_M, BLOCK_N in 64..192 and
/// BLOCK_K in 32..64 at 1024³ on one core), reported beside the kernel's defaults (64,
/// 64, 32) as a Triton user would set them with `autotune`.
const TUNED: [(&str, i64); 3] = [("BLOCK_M", 128), ("BLOCK_N", 128), ("BLOCK_K", 32)];

/// One size on one pool: Tessera's median time, and everyone's GFLOP/s.
#[derive(Clone, Copy, Debug)]
struct Figures {
    tessera_ms: f64,
    tessera: f64,
    /// Tessera with the [`TUNED`] tiles.
    tuned: f64,
    matrixmultiply: f64,
    gemm: f64,
}

/// Runs the section and prints its table; returns the targets' verdicts.
pub fn run(context: &Context) -> anyhow::Result<Vec<Verdict>> {
    println!("## matmul f32 (row-major, GFLOP/s = 2n³ / median time)\n");
    let mut table = Table::new(&[
        "size",
        "threads",
        "Tessera (ms)",
        "Tessera GFLOP/s",
        "Tessera 128×128×32 GFLOP/s",
        "matrixmultiply GFLOP/s",
        "gemm GFLOP/s",
        "Tessera / matrixmultiply",
        "Tessera / gemm",
    ]);
    let mut one_thread = Vec::new();
    for &size in &context.plan.matmul_sizes {
        let mut matmul = Matmul::new(&context.engine, size)?;
        let mut tuned = Matmul::with_tiles(&context.engine, size, &TUNED)?;
        for workers in &context.workers {
            eprintln!("matmul {size}³ on {} thread(s)", workers.threads());
            let figures = measure_size(context, &mut matmul, &mut tuned, workers)?;
            if workers.threads() == 1 {
                one_thread.push((size, figures.tessera.max(figures.tuned)));
            }
            let Figures { tessera_ms, tessera, tuned, matrixmultiply, gemm } = figures;
            let best = tessera.max(tuned);
            table.row(vec![
                format!("{size}³"),
                workers.threads().to_string(),
                millis(tessera_ms),
                rate(tessera),
                rate(tuned),
                rate(matrixmultiply),
                rate(gemm),
                ratio(best, matrixmultiply),
                ratio(best, gemm),
            ]);
        }
    }
    table.print();
    Ok(verdicts(context.plan.quick, &one_thread))
}

/// Tessera's median time and the three contestants' GFLOP/s on one size and pool.
fn measure_size(
    context: &Context,
    matmul: &mut Matmul,
    tuned: &mut Matmul,
    workers: &Workers,
) -> anyhow::Result<Figures> {
    let (budget, threads) = (&context.plan.budget, workers.threads());
    matmul.launch(threads, Launch::Checked)?;
    matmul.verify()?;
    let tessera = measure(budget, || matmul.launch(threads, Launch::Checked))?;
    tuned.launch(threads, Launch::Checked)?;
    tuned.verify()?;
    let tuned_sample = measure(budget, || tuned.launch(threads, Launch::Checked))?;
    let mut c = vec![0.0f32; matmul.shape().m * matmul.shape().n];
    let mut peer_gflops = [0.0; 2];
    for (peer, gflops) in [Peer::MatrixMultiply, Peer::Gemm].into_iter().zip(&mut peer_gflops) {
        // NaN first, so that a peer call that writes nothing fails the check.
        c.fill(f32::NAN);
        peer.run(workers, matmul, &mut c);
        matmul.check(peer.name(), &c)?;
        let sample = measure_infallible(budget, || peer.run(workers, matmul, &mut c));
        *gflops = matmul.flops() / sample.seconds() / 1e9;
    }
    Ok(Figures {
        tessera_ms: tessera.millis(),
        tessera: matmul.flops() / tessera.seconds() / 1e9,
        tuned: tuned.flops() / tuned_sample.seconds() / 1e9,
        matrixmultiply: peer_gflops[0],
        gemm: peer_gflops[1],
    })
}

/// The single-core targets, judged at their sizes (or, in a quick run, indicatively at
/// the largest size measured).
fn verdicts(quick: bool, one_thread: &[(usize, f64)]) -> Vec<Verdict> {
    let mut verdicts = Vec::new();
    for target_size in TARGET_SIZES {
        let exact = one_thread.iter().find(|(size, _)| *size == target_size);
        let (size, gflops, indicative) = match (exact, quick, one_thread.last()) {
            (Some(&(size, gflops)), _, _) => (size, gflops, false),
            (None, true, Some(&(size, gflops))) => (size, gflops, true),
            (None, _, _) => continue,
        };
        verdicts.push(Verdict {
            target: format!("matmul f32 {target_size}³ ≥ {TARGET_GFLOPS} GFLOP/s on one core"),
            case: format!("{size}³, 1 thread"),
            measured: format!("{gflops:.1} GFLOP/s (best of default and 128×128×32 tiles)"),
            met: gflops >= TARGET_GFLOPS,
            indicative,
        });
    }
    verdicts
}

impl Peer {
    fn name(self) -> &'static str {
        match self {
            Peer::MatrixMultiply => "matrixmultiply",
            Peer::Gemm => "gemm",
        }
    }

    /// `c = A @ B` on the workload's inputs, on the pool's threads.
    fn run(self, workers: &Workers, matmul: &Matmul, c: &mut [f32]) {
        let shape = matmul.shape();
        let inputs = matmul.inputs();
        match self {
            Peer::MatrixMultiply => matrixmultiply(workers, shape, inputs, c),
            Peer::Gemm => gemm(workers, shape, inputs, c),
        }
    }
}

/// `sgemm` per block of rows of C, one block per thread.
fn matrixmultiply(workers: &Workers, shape: MatmulShape, (a, b): (&[f32], &[f32]), c: &mut [f32]) {
    let MatmulShape { m, n, k } = shape;
    assert!(a.len() == m * k && b.len() == k * n && c.len() == m * n, "matmul buffer sizes");
    let rows = workers.chunk_len(m);
    workers.install(|| {
        a.par_chunks(rows * k).zip(c.par_chunks_mut(rows * n)).for_each(|(a, c)| {
            let (a_ptr, b_ptr, c_ptr) = (a.as_ptr(), b.as_ptr(), c.as_mut_ptr());
            let (k_stride, n_stride) = (k as isize, n as isize);
            // SAFETY: `a` holds `a.len() / k` whole rows of A (row stride k), `b` all of
            // B (k × n, row stride n) and `c` the matching rows of C (row stride n);
            // the asserted lengths keep every access in bounds, and `c` is exclusive.
            unsafe {
                matrixmultiply::sgemm(
                    a.len() / k,
                    k,
                    n,
                    1.0,
                    a_ptr,
                    k_stride,
                    1,
                    b_ptr,
                    n_stride,
                    1,
                    0.0,
                    c_ptr,
                    n_stride,
                    1,
                )
            }
        })
    });
}

/// `gemm::gemm` (`dst = beta * lhs @ rhs` with `read_dst = false`).
fn gemm(workers: &Workers, shape: MatmulShape, (a, b): (&[f32], &[f32]), c: &mut [f32]) {
    let MatmulShape { m, n, k } = shape;
    assert!(a.len() == m * k && b.len() == k * n && c.len() == m * n, "matmul buffer sizes");
    let parallelism = match workers.threads() {
        1 => gemm::Parallelism::None,
        threads => gemm::Parallelism::Rayon(threads),
    };
    workers.install(|| {
        let (k_stride, n_stride) = (k as isize, n as isize);
        // SAFETY: row-major A (m × k), B (k × n) and C (m × n) with column stride 1 and
        // row strides k, n, n, within the asserted lengths; `c` is exclusive.
        unsafe {
            gemm::gemm(
                m,
                n,
                k,
                c.as_mut_ptr(),
                1,
                n_stride,
                false,
                a.as_ptr(),
                1,
                k_stride,
                b.as_ptr(),
                1,
                n_stride,
                0.0,
                1.0,
                false,
                false,
                false,
                parallelism,
            )
        }
    });
}
