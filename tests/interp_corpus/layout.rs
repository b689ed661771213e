//! Data-movement kernels of layout.tsr (batched_transpose on a 3-D grid, split_heads with a
//! 3-D `trans`, max_pool2 with `reshape`, sq_dist with `broadcast_to`): exact comparisons.

use crate::support::*;

#[test]
fn batched_transpose() {
    const TILE: usize = 8;
    let module = compile_corpus("layout.tsr", &[("BM", TILE as i64), ("BN", TILE as i64)]);
    let mut rng = Rng::new(0x7a);
    for (m, n, batch) in [(1, 1, 1), (7, 9, 2), (8, 8, 1), (17, 15, 3), (1, 33, 2)] {
        let x = rng.f32s(batch * m * n, -1.0, 1.0);
        let args = vec![buf(&x), filled(batch * m * n, f32::NAN), int(m), int(n)];
        let grid = Launch::grid([cdiv(n, TILE), cdiv(m, TILE), batch]);
        let args = run(&module, "batched_transpose", args, grid);
        let mut want = vec![0.0f32; x.len()];
        for b in 0..batch {
            for i in 0..m {
                for j in 0..n {
                    want[b * m * n + j * m + i] = x[b * m * n + i * n + j];
                }
            }
        }
        let case = format!("batched_transpose M={m} N={n} batch={batch}");
        assert_exact(&case, &out::<f32>(&args, 1), &want);
    }
}

#[test]
fn split_heads() {
    const BS: usize = 8;
    let (heads, head_dim) = (3usize, 4usize);
    let consts = [("HEADS", heads as i64), ("HEAD_DIM", head_dim as i64), ("BS", BS as i64)];
    let module = compile_corpus("layout.tsr", &consts);
    let mut rng = Rng::new(0x5b1);
    for seq_len in [1, 7, BS - 1, BS, BS + 1, 33] {
        let len = seq_len * heads * head_dim;
        let x = rng.f32s(len, -1.0, 1.0);
        let args = vec![buf(&x), filled(len, f32::NAN), int(seq_len)];
        let args = run(&module, "split_heads", args, Launch::programs(cdiv(seq_len, BS)));
        let mut want = vec![0.0f32; len];
        for s in 0..seq_len {
            for h in 0..heads {
                for d in 0..head_dim {
                    want[(h * seq_len + s) * head_dim + d] = x[(s * heads + h) * head_dim + d];
                }
            }
        }
        assert_exact(&format!("split_heads seq_len={seq_len}"), &out::<f32>(&args, 1), &want);
    }
}

#[test]
fn max_pool2() {
    const BLOCK: usize = 32;
    let module = compile_corpus("layout.tsr", &[("BLOCK", BLOCK as i64)]);
    let mut rng = Rng::new(0x9001);
    for n_out in sizes(BLOCK) {
        let x = rng.f32s(2 * n_out, -5.0, 5.0);
        let args = vec![buf(&x), filled(n_out, f32::NAN), int(n_out)];
        let args = run(&module, "max_pool2", args, Launch::programs(cdiv(n_out, BLOCK)));
        let want: Vec<f32> = x.chunks(2).map(|pair| pair[0].max(pair[1])).collect();
        assert_exact(&format!("max_pool2 n_out={n_out}"), &out::<f32>(&args, 1), &want);
    }
}

#[test]
fn sq_dist() {
    const TILE: usize = 8;
    let module = compile_corpus("layout.tsr", &[("BM", TILE as i64), ("BN", TILE as i64)]);
    let mut rng = Rng::new(0x5d);
    for (m, n) in [(1, 1), (7, 9), (8, 8), (17, 8), (3, 20)] {
        let (a, b) = (rng.f32s(m, -2.0, 2.0), rng.f32s(n, -2.0, 2.0));
        let args = vec![buf(&a), buf(&b), filled(m * n, f32::NAN), int(m), int(n)];
        let args = run(&module, "sq_dist", args, Launch::grid([cdiv(m, TILE), cdiv(n, TILE), 1]));
        // One f32 subtraction and one f32 product per element: exact.
        let want: Vec<f32> =
            a.iter().flat_map(|&x| b.iter().map(move |&y| (x - y) * (x - y))).collect();
        assert_exact(&format!("sq_dist M={m} N={n}"), &out::<f32>(&args, 2), &want);
    }
}
