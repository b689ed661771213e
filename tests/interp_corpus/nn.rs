//! Normalization, activation and attention kernels (softmax, layernorm, rmsnorm, gelu,
//! silu/swiglu, rope, flash_attention, and the helper-built log_softmax/softplus kernels)
//! against f64 references.

use crate::support::*;
use half::bf16;

/// Row softmax in f64.
fn softmax_ref(row: &[f32]) -> Vec<f64> {
    let max = row.iter().map(|&v| v as f64).fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = row.iter().map(|&v| (v as f64 - max).exp()).collect();
    let total: f64 = exps.iter().sum();
    exps.iter().map(|e| e / total).collect()
}

#[test]
fn softmax() {
    const BLOCK: usize = 128;
    let module = compile_corpus("softmax.tsr", &[("BLOCK", BLOCK as i64)]);
    let mut rng = Rng::new(0x50f7);
    for n_cols in [1, 7, 97, BLOCK - 1, BLOCK] {
        let n_rows = 3;
        // Padded input rows check that the kernel honours its stride.
        let x_stride = n_cols + 5;
        let x = rng.f32s(n_rows * x_stride, -8.0, 8.0);
        let args = vec![
            buf(&x),
            filled(n_rows * n_cols, f32::NAN),
            int(n_cols),
            int(x_stride),
            int(n_cols),
        ];
        let args = run(&module, "softmax", args, Launch::programs(n_rows));
        let want: Vec<f64> =
            (0..n_rows).flat_map(|r| softmax_ref(&x[r * x_stride..][..n_cols])).collect();
        // exp is rounded once from f64; the f32 sum of <= 128 terms in (0, 1] has relative
        // error <= 128 * 2^-24 (7.6e-6); one division adds half an ulp.
        let tol = Tol { rel: 1e-5, abs: 1e-12 };
        assert_close(&format!("softmax n_cols={n_cols}"), &out::<f32>(&args, 1), &want, tol);
    }
}

#[test]
fn softmax_with_default_block() {
    let module = compile_corpus("softmax.tsr", &[]);
    let n_cols = 1000;
    let x = Rng::new(0x50f8).f32s(n_cols, -20.0, 20.0);
    let args = vec![buf(&x), filled(n_cols, f32::NAN), int(n_cols), int(n_cols), int(n_cols)];
    let args = run(&module, "softmax", args, Launch::programs(1));
    // As above, with up to 1024 summed terms: 1024 * 2^-24 = 6.1e-5 worst case.
    let tol = Tol { rel: 6e-5, abs: 1e-12 };
    assert_close("softmax default BLOCK", &out::<f32>(&args, 1), &softmax_ref(&x), tol);
}

#[test]
fn layernorm() {
    const BLOCK: usize = 32;
    let module = compile_corpus("layernorm.tsr", &[("BLOCK", BLOCK as i64)]);
    let mut rng = Rng::new(0x1a7e);
    let eps = 1e-5f32;
    for n_cols in sizes(BLOCK) {
        let n_rows = 2;
        // A non-zero mean makes the centering matter.
        let x = rng.f32s(n_rows * n_cols, -1.0, 5.0);
        let w = rng.f32s(n_cols, 0.5, 1.5);
        let b = rng.f32s(n_cols, -0.5, 0.5);
        let args = vec![
            buf(&x),
            filled(n_rows * n_cols, f32::NAN),
            buf(&w),
            buf(&b),
            filled(n_rows, f32::NAN),
            filled(n_rows, f32::NAN),
            int(n_cols),
            int(n_cols),
            f32_arg(eps),
        ];
        let args = run(&module, "layernorm", args, Launch::programs(n_rows));
        let (mut want_y, mut want_mean, mut want_rstd, mut mean_bound) =
            (vec![], vec![], vec![], vec![]);
        for row in x.chunks(n_cols) {
            let n = n_cols as f64;
            let mean = row.iter().map(|&v| v as f64).sum::<f64>() / n;
            let var = row.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n;
            let rstd = 1.0 / (var + eps as f64).sqrt();
            let abs_sum: f64 = row.iter().map(|&v| (v as f64).abs()).sum();
            want_y.extend(
                row.iter()
                    .enumerate()
                    .map(|(j, &v)| (v as f64 - mean) * rstd * w[j] as f64 + b[j] as f64),
            );
            want_mean.push(mean);
            want_rstd.push(rstd);
            // An f32 sum of n terms errs by at most (n + 1) * 2^-24 * sum |x|.
            mean_bound.push((n + 2.0) * 2f64.powi(-24) * abs_sum / n);
        }
        let case = format!("layernorm n_cols={n_cols}");
        assert_within(&format!("{case} mean"), &out::<f32>(&args, 4), &want_mean, &mean_bound);
        // The statistics are f32 sums of up to 1031 terms (the bound above reaches ~1e-4
        // relative in the worst case; random inputs land far below it).
        let tol = Tol { rel: 1e-4, abs: 1e-4 };
        assert_close(&format!("{case} rstd"), &out::<f32>(&args, 5), &want_rstd, tol);
        assert_close(&format!("{case} y"), &out::<f32>(&args, 1), &want_y, tol);
    }
}

#[test]
fn rmsnorm() {
    const BLOCK: usize = 128;
    let module = compile_corpus("rmsnorm.tsr", &[("BLOCK", BLOCK as i64)]);
    let mut rng = Rng::new(0x4a5);
    let eps = 1e-6f32;
    for n_cols in [1, 7, 97, BLOCK - 1, BLOCK] {
        let n_rows = 2;
        let stride = n_cols + 1;
        let x = rng.f32s(n_rows * stride, -2.0, 2.0);
        let w = rng.f32s(n_cols, 0.5, 1.5);
        let args = vec![
            buf(&x),
            buf(&w),
            filled(n_rows * stride, 0.0f32),
            int(stride),
            int(n_cols),
            f32_arg(eps),
        ];
        let args = run(&module, "rmsnorm", args, Launch::programs(n_rows));
        let mut want = vec![0.0f64; n_rows * stride];
        for r in 0..n_rows {
            let row = &x[r * stride..][..n_cols];
            let mean_sq = row.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / n_cols as f64;
            let inv_rms = 1.0 / (mean_sq + eps as f64).sqrt();
            for j in 0..n_cols {
                want[r * stride + j] = row[j] as f64 * inv_rms * w[j] as f64;
            }
        }
        // A sum of <= 128 positive squares (relative error <= 128 * 2^-24 = 7.6e-6, halved
        // by the square root) and three roundings; the padding column stays 0.
        let tol = Tol { rel: 1e-5, abs: 1e-12 };
        assert_close(&format!("rmsnorm n_cols={n_cols}"), &out::<f32>(&args, 2), &want, tol);
    }
}

fn gelu_ref(x: f64, approx: bool) -> f64 {
    if approx {
        let inner = (2.0 / std::f64::consts::PI).sqrt() * (x + 0.044715 * x * x * x);
        0.5 * x * (1.0 + inner.tanh())
    } else {
        0.5 * x * (1.0 + libm_erf(x / std::f64::consts::SQRT_2))
    }
}

/// erf in f64 (Abramowitz-Stegun 7.1.26 is too coarse; this is the series / continued
/// fraction pair, accurate to ~1e-15 on the ranges used here).
fn libm_erf(x: f64) -> f64 {
    let ax = x.abs();
    let value = if ax < 3.0 {
        // Maclaurin series: erf x = 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1)).
        let mut term = ax;
        let mut total = ax;
        for n in 1..200 {
            term *= -ax * ax / n as f64;
            let add = term / (2 * n + 1) as f64;
            total += add;
            if add.abs() < 1e-17 * total.abs() {
                break;
            }
        }
        total * 2.0 / std::f64::consts::PI.sqrt()
    } else {
        // erfc x = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))).
        let mut fraction = 0.0;
        for k in (1..60).rev() {
            fraction = (k as f64 / 2.0) / (ax + fraction);
        }
        1.0 - (-ax * ax).exp() / std::f64::consts::PI.sqrt() / (ax + fraction)
    };
    value.copysign(x)
}

#[test]
fn gelu() {
    const BLOCK: usize = 64;
    for approx in [false, true] {
        let module =
            compile_corpus("gelu.tsr", &[("BLOCK", BLOCK as i64), ("APPROX", approx as i64)]);
        let mut rng = Rng::new(0x6e1u64 + approx as u64);
        for n in sizes(BLOCK) {
            let x = rng.f32s(n, -6.0, 6.0);
            let args = vec![buf(&x), filled(n, f32::NAN), int(n)];
            let args = run(&module, "gelu", args, Launch::programs(cdiv(n, BLOCK)));
            let want: Vec<f64> = x.iter().map(|&v| gelu_ref(v as f64, approx)).collect();
            // A handful of f32 roundings; where 1 + erf/tanh cancels (x << 0) the absolute
            // error is about 2^-24 * |x| / 2 <= 2e-7.
            let tol = Tol { rel: 1e-5, abs: 1e-6 };
            let case = format!("gelu approx={approx} n={n}");
            assert_close(&case, &out::<f32>(&args, 1), &want, tol);
        }
    }
}

#[test]
fn gelu_with_defaults() {
    let module = compile_corpus("gelu.tsr", &[]);
    let n = 1500;
    let x = Rng::new(0x6e3).f32s(n, -6.0, 6.0);
    let args = vec![buf(&x), filled(n, f32::NAN), int(n)];
    let args = run(&module, "gelu", args, Launch::programs(cdiv(n, 1024)));
    let want: Vec<f64> = x.iter().map(|&v| gelu_ref(v as f64, false)).collect();
    // As in `gelu`.
    assert_close("gelu defaults", &out::<f32>(&args, 1), &want, Tol { rel: 1e-5, abs: 1e-6 });
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[test]
fn silu() {
    const BLOCK: usize = 64;
    let module = compile_corpus("silu.tsr", &[("BLOCK", BLOCK as i64)]);
    let mut rng = Rng::new(0x5170);
    for n in sizes(BLOCK) {
        let x = rng.f32s(n, -10.0, 10.0);
        let args = vec![buf(&x), filled(n, f32::NAN), int(n)];
        let args = run(&module, "silu", args, Launch::programs(cdiv(n, BLOCK)));
        let want: Vec<f64> = x.iter().map(|&v| v as f64 * sigmoid(v as f64)).collect();
        // sigmoid rounded once (or a few f32 steps) and one product: a few ulps.
        let tol = Tol { rel: 2e-6, abs: 1e-30 };
        assert_close(&format!("silu n={n}"), &out::<f32>(&args, 1), &want, tol);
    }
}

#[test]
fn swiglu() {
    const BLOCK: usize = 64;
    let module = compile_corpus("silu.tsr", &[("BLOCK", BLOCK as i64)]);
    let mut rng = Rng::new(0x5719);
    for n in sizes(BLOCK) {
        let gate: Vec<bf16> = rng.f32s(n, -6.0, 6.0).into_iter().map(bf16::from_f32).collect();
        let up: Vec<bf16> = rng.f32s(n, -3.0, 3.0).into_iter().map(bf16::from_f32).collect();
        let args = vec![buf(&gate), buf(&up), filled(n, bf16::NAN), int(n)];
        let args = run(&module, "swiglu", args, Launch::programs(cdiv(n, BLOCK)));
        let got: Vec<f32> = out::<bf16>(&args, 2).into_iter().map(f32::from).collect();
        let want: Vec<f64> = gate
            .iter()
            .zip(&up)
            .map(|(&g, &u)| {
                let g = f64::from(g);
                g * sigmoid(g) * f64::from(u)
            })
            .collect();
        // The f32 computation is accurate to a few ulps; rounding to bf16 (8 significant
        // bits) then errs by at most 2^-8 relative.
        let tol = Tol { rel: 2f64.powi(-8) + 1e-6, abs: 1e-30 };
        assert_close(&format!("swiglu n={n}"), &got, &want, tol);
    }
}

/// Rotary embedding in f64 on rows of width 2 * half with row stride `stride`.
fn rope_ref(x: &[f32], pos: &[i32], stride: usize, half: usize, theta: f64) -> Vec<f64> {
    let mut y = vec![0.0; x.len()];
    for (s, &p) in pos.iter().enumerate() {
        for j in 0..half {
            let angle = p as f64 * theta.powf(-2.0 * j as f64 / (2 * half) as f64);
            let (x1, x2) = (x[s * stride + j] as f64, x[s * stride + j + half] as f64);
            y[s * stride + j] = x1 * angle.cos() - x2 * angle.sin();
            y[s * stride + j + half] = x2 * angle.cos() + x1 * angle.sin();
        }
    }
    y
}

#[test]
fn rope() {
    let cases = [(8usize, 8usize), (64, 16)];
    for (half, block_s) in cases {
        let consts = [("HALF", half as i64), ("BLOCK_S", block_s as i64)];
        let module = compile_corpus("rope.tsr", &consts);
        let mut rng = Rng::new(0x20be + half as u64);
        for seq_len in [1, 7, block_s - 1, block_s, block_s + 1, 33] {
            let stride = 2 * half + 3;
            let x = rng.f32s(seq_len * stride, -1.0, 1.0);
            // Positions as a KV cache would have them: an offset plus the row.
            let start = rng.i32s(1, 0, 30)[0];
            let pos: Vec<i32> = (0..seq_len as i32).map(|s| start + s).collect();
            let args = vec![
                buf(&x),
                filled(seq_len * stride, 0.0f32),
                buf(&pos),
                int(seq_len),
                int(stride),
                f32_arg(10000.0),
            ];
            let args = run(&module, "rope", args, Launch::programs(cdiv(seq_len, block_s)));
            let want = rope_ref(&x, &pos, stride, half, 10000.0);
            // Angles reach ~64 rad, computed in f32 from an f32 inverse frequency: a few
            // ulps of 64 (~2e-5 rad) of phase error, times |x| <= 1, on each output.
            let tol = Tol { rel: 1e-5, abs: 5e-5 };
            let case = format!("rope half={half} seq_len={seq_len}");
            assert_close(&case, &out::<f32>(&args, 1), &want, tol);
        }
    }
}

#[test]
fn wrap_phase() {
    const BLOCK: usize = 64;
    let module = compile_corpus("rope.tsr", &[("BLOCK", BLOCK as i64)]);
    let mut rng = Rng::new(0x2b1);
    let two_pi = std::f64::consts::TAU;
    for n in sizes(BLOCK) {
        let mut angle: Vec<f64> = (0..n).map(|_| (rng.unit() - 0.5) * 2e5).collect();
        let edges = [0.0, -0.0, two_pi, -two_pi, 1e-300, -1e-300, 3.0 * two_pi + 0.5];
        for (slot, edge) in angle.iter_mut().zip(edges) {
            *slot = edge;
        }
        let args = vec![buf(&angle), filled(n, f64::NAN), int(n)];
        let args = run(&module, "wrap_phase", args, Launch::programs(cdiv(n, BLOCK)));
        // fmod is exact and the one addition is correctly rounded: Rust's `%` and `+` on
        // f64 give the same bits.
        let want: Vec<f64> = angle
            .iter()
            .map(|&a| {
                let r = a % two_pi;
                if r < 0.0 {
                    r + two_pi
                } else {
                    r
                }
            })
            .collect();
        let got = out::<f64>(&args, 1);
        assert_same_floats(&format!("wrap_phase n={n}"), &got, &want, f64::to_bits);
        assert!(got.iter().all(|r| (0.0..=two_pi).contains(r)), "wrap_phase n={n}: range");
    }
}

/// Attention in f64 for one head: softmax(q k^T * scale [causal]) v, all [seq, dim].
fn attention_ref(
    q: &[f32],
    k: &[f32],
    v: &[f32],
    seq: usize,
    dim: usize,
    causal: bool,
) -> Vec<f64> {
    let scale = 1.0 / (dim as f64).sqrt();
    let mut o = vec![0.0; seq * dim];
    for i in 0..seq {
        let n_keys = if causal { i + 1 } else { seq };
        let scores: Vec<f64> = (0..n_keys)
            .map(|j| {
                (0..dim).map(|d| q[i * dim + d] as f64 * k[j * dim + d] as f64).sum::<f64>() * scale
            })
            .collect();
        let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let weights: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
        let total: f64 = weights.iter().sum();
        for d in 0..dim {
            let acc: f64 = weights.iter().enumerate().map(|(j, w)| w * v[j * dim + d] as f64).sum();
            o[i * dim + d] = acc / total;
        }
    }
    o
}

#[test]
fn flash_attention() {
    const BLOCK: usize = 16;
    let heads = 2;
    for causal in [false, true] {
        let consts = [
            ("HEAD_DIM", 16),
            ("BLOCK_M", BLOCK as i64),
            ("BLOCK_N", BLOCK as i64),
            ("CAUSAL", causal as i64),
        ];
        let module = compile_corpus("flash_attention.tsr", &consts);
        let mut rng = Rng::new(0xfa + causal as u64);
        for (seq, dim) in [(1, 16), (7, 12), (15, 16), (16, 16), (17, 12), (40, 16)] {
            let len = heads * seq * dim;
            let (q, k, v) =
                (rng.f32s(len, -1.0, 1.0), rng.f32s(len, -1.0, 1.0), rng.f32s(len, -1.0, 1.0));
            let scale = 1.0 / (dim as f32).sqrt();
            let args = vec![
                buf(&q),
                buf(&k),
                buf(&v),
                filled(len, f32::NAN),
                int(seq),
                int(dim),
                int(seq * dim),
                int(dim),
                f32_arg(scale),
            ];
            let args =
                run(&module, "flash_attention", args, Launch::grid([cdiv(seq, BLOCK), heads, 1]));
            let head_len = seq * dim;
            let want: Vec<f64> = (0..heads)
                .flat_map(|h| {
                    let at = |t: &[f32]| t[h * head_len..][..head_len].to_vec();
                    attention_ref(&at(&q), &at(&k), &at(&v), seq, dim, causal)
                })
                .collect();
            // Outputs are convex combinations of values in [-1, 1], so errors are absolute: f32
            // scores, exps, the online rescaling and the final division each add a few
            // 2^-24 (measured: < 1e-7).
            let tol = Tol { rel: 1e-5, abs: 1e-6 };
            let case = format!("flash_attention causal={causal} seq={seq} head_dim={dim}");
            assert_close(&case, &out::<f32>(&args, 3), &want, tol);
        }
    }
}

#[test]
fn log_softmax() {
    const BLOCK: usize = 128;
    let module = compile_corpus("helpers.tsr", &[("BLOCK", BLOCK as i64)]);
    let mut rng = Rng::new(0x105);
    for n_cols in [1, 7, 97, BLOCK - 1, BLOCK] {
        let n_rows = 3;
        let x = rng.f32s(n_rows * n_cols, -10.0, 10.0);
        let args = vec![buf(&x), filled(n_rows * n_cols, f32::NAN), int(n_cols), int(n_cols)];
        let args = run(&module, "log_softmax", args, Launch::programs(n_rows));
        let want: Vec<f64> = x
            .chunks(n_cols)
            .flat_map(|row| softmax_ref(row).into_iter().map(f64::ln).collect::<Vec<_>>())
            .collect();
        // x - (m + log(sum)): values of magnitude <= ~25 lose a few ulps (~5e-6) in the
        // subtraction; the f32 sum inside the log adds <= 128 * 2^-24 relative to log's input.
        let tol = Tol { rel: 1e-6, abs: 2e-5 };
        assert_close(&format!("log_softmax n_cols={n_cols}"), &out::<f32>(&args, 1), &want, tol);
    }
}

#[test]
fn softplus_clamp() {
    const BLOCK: usize = 64;
    let module = compile_corpus("helpers.tsr", &[("BLOCK", BLOCK as i64)]);
    let mut rng = Rng::new(0x50f1);
    let hi = 3.0f32;
    for n in sizes(BLOCK) {
        let x = rng.f32s(n, -30.0, 30.0);
        let args = vec![buf(&x), filled(n, f32::NAN), int(n), f32_arg(hi)];
        let args = run(&module, "softplus_clamp", args, Launch::programs(cdiv(n, BLOCK)));
        let want: Vec<f64> =
            x.iter().map(|&v| (1.0 + (v as f64).exp()).ln().clamp(0.0, hi as f64)).collect();
        // log(1 + exp(-|x|)) in f32: 1 + tiny rounds to 1 for x < -17, an absolute error
        // below 4e-8; elsewhere a few ulps.
        let tol = Tol { rel: 1e-6, abs: 1e-7 };
        assert_close(&format!("softplus_clamp n={n}"), &out::<f32>(&args, 1), &want, tol);
    }
}

#[test]
fn clamp_i32() {
    const BLOCK: usize = 64;
    let module = compile_corpus("helpers.tsr", &[("BLOCK", BLOCK as i64)]);
    let mut rng = Rng::new(0xc1a);
    for n in sizes(BLOCK) {
        let x = rng.i32s(n, -1000, 1000);
        let (lo, hi) = (-250, 600);
        let args = vec![buf(&x), filled(n, i32::MIN), int(n), i32_arg(lo), i32_arg(hi)];
        let args = run(&module, "clamp_i32", args, Launch::programs(cdiv(n, BLOCK)));
        let want: Vec<i32> = x.iter().map(|v| (*v).clamp(lo, hi)).collect();
        assert_exact(&format!("clamp_i32 n={n}"), &out::<i32>(&args, 1), &want);
    }
}
