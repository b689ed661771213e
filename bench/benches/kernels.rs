//! Regression benches (divan) of a few Tessera kernels through the public JIT API:
//! vector add over 4 Mi f32, matmul 256³ and softmax 1024×1024, checked launches on
//! 1 and 2 threads. Each result is verified once before timing. Run with
//! `cargo bench -p tessera-bench --bench kernels`; `compare` is the full report.

use divan::counter::BytesCount;
use divan::Bencher;
use tessera::jit::Engine;
use tessera_bench::workload::{Case, Launch, Matmul, Softmax, Streaming, VectorAdd};

fn main() {
    divan::main();
}

#[divan::bench(args = [1, 2])]
fn vector_add_4mi(bencher: Bencher, threads: usize) {
    let case = verified(VectorAdd::new(&Engine::new(), 4 << 20), threads);
    bench_streaming(bencher, case, threads);
}

#[divan::bench(args = [1, 2])]
fn softmax_1024x1024(bencher: Bencher, threads: usize) {
    let case = verified(Softmax::new(&Engine::new(), 1024, 1024), threads);
    bench_streaming(bencher, case, threads);
}

#[divan::bench(args = [1, 2], sample_count = 20)]
fn matmul_256(bencher: Bencher, threads: usize) {
    let mut case = verified(Matmul::new(&Engine::new(), 256), threads);
    bencher.bench_local(|| case.launch(threads, Launch::Checked).expect("matmul launches"));
}

/// Times checked launches of a memory-bound case, counting the bytes it moves.
fn bench_streaming(bencher: Bencher, mut case: impl Streaming, threads: usize) {
    bencher
        .counter(BytesCount::new(case.bytes()))
        .bench_local(|| case.launch(threads, Launch::Checked).expect("kernel launches"));
}

/// The built case, after one launch whose result matched the reference.
fn verified<C: Case>(case: Result<C, tessera_bench::BenchError>, threads: usize) -> C {
    let mut case = case.expect("kernel builds");
    case.launch(threads, Launch::Checked).expect("kernel launches");
    case.verify().expect("kernel result matches the reference");
    case
}
