//! Data-dependent control flow: the Collatz kernels (scalar while/if per element, and a
//! tile-wide while with an early `return`) and the bisecting searchsorted.

use crate::support::*;

/// Steps for `v` (>= 1) to reach 1.
fn collatz_steps(mut v: i64) -> i32 {
    let mut steps = 0;
    while v > 1 {
        v = if v % 2 == 0 { v / 2 } else { 3 * v + 1 };
        steps += 1;
    }
    steps
}

#[test]
fn collatz_scalar() {
    // Default BLOCK = 16: this also checks the file compiles without -D options.
    const BLOCK: usize = 16;
    let module = compile_corpus("collatz.tsr", &[]);
    let mut rng = Rng::new(0xc011);
    for n in [1, 7, BLOCK - 1, BLOCK, BLOCK + 1, 97] {
        let mut x = rng.i32s(n, 1, 1000);
        // 27 takes 111 steps and climbs to 9232.
        x[n / 2] = 27;
        let args = vec![buf(&x), filled(n, -1i32), int(n)];
        let args = run(&module, "collatz_scalar", args, Launch::programs(cdiv(n, BLOCK)));
        let want: Vec<i32> = x.iter().map(|&v| collatz_steps(v as i64)).collect();
        assert_exact(&format!("collatz_scalar n={n}"), &out::<i32>(&args, 1), &want);
    }
}

#[test]
fn collatz_tile() {
    const BLOCK: usize = 32;
    let module = compile_corpus("collatz.tsr", &[("BLOCK", BLOCK as i64)]);
    let mut rng = Rng::new(0xc012);
    for n in sizes(BLOCK) {
        let x = rng.i32s(n, 1, 3000);
        let args = vec![buf(&x), filled(n, -1i32), int(n)];
        // One surplus program exercises the early `return`.
        let args = run(&module, "collatz_tile", args, Launch::programs(cdiv(n, BLOCK) + 1));
        let want: Vec<i32> = x.iter().map(|&v| collatz_steps(v as i64)).collect();
        assert_exact(&format!("collatz_tile n={n}"), &out::<i32>(&args, 1), &want);
    }
}

#[test]
fn searchsorted() {
    const BLOCK: usize = 64;
    let module = compile_corpus("searchsorted.tsr", &[("BLOCK", BLOCK as i64)]);
    let mut rng = Rng::new(0x5ea);
    for m in [1, 7, 64, 100] {
        // Edges on a quarter grid, so duplicates occur and queries hit edges exactly.
        let mut edges: Vec<f32> =
            rng.i32s(m, -40, 40).into_iter().map(|v| v as f32 * 0.25).collect();
        edges.sort_by(f32::total_cmp);
        for n in sizes(BLOCK) {
            let q: Vec<f32> = rng.i32s(n, -44, 44).into_iter().map(|v| v as f32 * 0.25).collect();
            let args = vec![buf(&edges), buf(&q), filled(n, -1i32), int(n), int(m)];
            let args = run(&module, "searchsorted", args, Launch::programs(cdiv(n, BLOCK)));
            let want: Vec<i32> =
                q.iter().map(|&v| edges.partition_point(|&e| e <= v) as i32).collect();
            assert_exact(&format!("searchsorted m={m} n={n}"), &out::<i32>(&args, 2), &want);
        }
    }
}
