//! The plain-Rust loops Tessera is measured against and checked by: straightforward
//! per-row softmax, LayerNorm and RMSNorm, elementwise maps, and the scale loop
//! `y[i] = a * x[i]` that stands for the memory bandwidth a streaming kernel can hope
//! for. Each runs on a [`Workers`] pool, rows (or elements) split into one contiguous
//! chunk per thread. They are written as a Rust programmer would write them first —
//! no intrinsics, no unsafe — and the compiler vectorizes what it can.

use rayon::prelude::*;

use crate::workers::Workers;

/// `y = a * x` elementwise.
pub fn scale(workers: &Workers, a: f32, x: &[f32], y: &mut [f32]) {
    let chunk = workers.chunk_len(x.len());
    workers.install(|| {
        x.par_chunks(chunk).zip(y.par_chunks_mut(chunk)).for_each(|(x, y)| {
            for (out, value) in y.iter_mut().zip(x) {
                *out = a * value;
            }
        })
    });
}

/// `z = x + y` elementwise.
pub fn vector_add(workers: &Workers, x: &[f32], y: &[f32], z: &mut [f32]) {
    let chunk = workers.chunk_len(x.len());
    workers.install(|| {
        let inputs = x.par_chunks(chunk).zip(y.par_chunks(chunk));
        inputs.zip(z.par_chunks_mut(chunk)).for_each(|((x, y), z)| {
            for ((out, a), b) in z.iter_mut().zip(x).zip(y) {
                *out = a + b;
            }
        })
    });
}

/// `y = f(x)` elementwise.
pub fn map(workers: &Workers, f: fn(f32) -> f32, x: &[f32], y: &mut [f32]) {
    let chunk = workers.chunk_len(x.len());
    workers.install(|| {
        x.par_chunks(chunk).zip(y.par_chunks_mut(chunk)).for_each(|(x, y)| {
            for (out, &value) in y.iter_mut().zip(x) {
                *out = f(value);
            }
        })
    });
}

/// Row softmax of the row-major `x` with `cols` columns into `y`.
pub fn softmax(workers: &Workers, cols: usize, x: &[f32], y: &mut [f32]) {
    let chunk = workers.chunk_len(x.len() / cols) * cols;
    workers.install(|| {
        x.par_chunks(chunk).zip(y.par_chunks_mut(chunk)).for_each(|(x, y)| {
            for (x_row, y_row) in x.chunks_exact(cols).zip(y.chunks_exact_mut(cols)) {
                softmax_row(x_row, y_row);
            }
        })
    });
}

/// `y = exp(x - max(x)) / sum(exp(x - max(x)))` over one row.
pub fn softmax_row(x: &[f32], y: &mut [f32]) {
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for (out, value) in y.iter_mut().zip(x) {
        *out = (value - max).exp();
        sum += *out;
    }
    for out in y.iter_mut() {
        *out /= sum;
    }
}

/// `y = x - max(x) - ln(sum(exp(x - max(x))))` over one row.
pub fn log_softmax_row(x: &[f32], y: &mut [f32]) {
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let log_sum = x.iter().map(|value| (value - max).exp()).sum::<f32>().ln();
    for (out, value) in y.iter_mut().zip(x) {
        *out = value - max - log_sum;
    }
}

/// Inclusive prefix sums of one row, accumulated in `f64`.
pub fn cumsum_row(x: &[f32], y: &mut [f32]) {
    let mut total = 0.0f64;
    for (out, &value) in y.iter_mut().zip(x) {
        total += f64::from(value);
        *out = total as f32;
    }
}

/// The first index of the row's maximum.
pub fn argmax_row(x: &[f32]) -> i32 {
    let mut best = 0;
    for (index, &value) in x.iter().enumerate() {
        if value > x[best] {
            best = index;
        }
    }
    i32::try_from(best).expect("row length fits in i32")
}

/// The outputs of [`layernorm`]: normalized rows and each row's statistics.
#[derive(Debug)]
pub struct LayerNormOut<'a> {
    pub y: &'a mut [f32],
    pub mean: &'a mut [f32],
    pub rstd: &'a mut [f32],
}

/// LayerNorm of every row of `x` (`cols` columns) with weight `w`, bias `b`.
pub fn layernorm(
    workers: &Workers,
    cols: usize,
    eps: f32,
    (x, w, b): (&[f32], &[f32], &[f32]),
    out: LayerNormOut<'_>,
) {
    let rows_per_chunk = workers.chunk_len(x.len() / cols);
    let chunk = rows_per_chunk * cols;
    workers.install(|| {
        let rows = x.par_chunks(chunk).zip(out.y.par_chunks_mut(chunk));
        let stats =
            out.mean.par_chunks_mut(rows_per_chunk).zip(out.rstd.par_chunks_mut(rows_per_chunk));
        rows.zip(stats).for_each(|((x, y), (mean, rstd))| {
            let rows = x.chunks_exact(cols).zip(y.chunks_exact_mut(cols));
            for ((x_row, y_row), (mean, rstd)) in rows.zip(mean.iter_mut().zip(rstd)) {
                (*mean, *rstd) = layernorm_row(eps, (x_row, w, b), y_row);
            }
        })
    });
}

/// `y = (x - mean) * rstd * w + b` over one row, with the biased variance computed in
/// a second pass; returns `(mean, rstd)`.
pub fn layernorm_row(eps: f32, (x, w, b): (&[f32], &[f32], &[f32]), y: &mut [f32]) -> (f32, f32) {
    let n = x.len() as f32;
    let mean = x.iter().sum::<f32>() / n;
    let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
    let rstd = 1.0 / (var + eps).sqrt();
    for (((out, v), w), b) in y.iter_mut().zip(x).zip(w).zip(b) {
        *out = (v - mean) * rstd * w + b;
    }
    (mean, rstd)
}

/// RMSNorm of every row of `x` (`cols` columns) with weight `w`.
pub fn rmsnorm(workers: &Workers, cols: usize, eps: f32, (x, w): (&[f32], &[f32]), y: &mut [f32]) {
    let chunk = workers.chunk_len(x.len() / cols) * cols;
    workers.install(|| {
        x.par_chunks(chunk).zip(y.par_chunks_mut(chunk)).for_each(|(x, y)| {
            for (x_row, y_row) in x.chunks_exact(cols).zip(y.chunks_exact_mut(cols)) {
                rmsnorm_row(eps, (x_row, w), y_row);
            }
        })
    });
}

/// `y = x / sqrt(mean(x²) + eps) * w` over one row.
pub fn rmsnorm_row(eps: f32, (x, w): (&[f32], &[f32]), y: &mut [f32]) {
    let mean_sq = x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32;
    let inv_rms = 1.0 / (mean_sq + eps).sqrt();
    for ((out, v), w) in y.iter_mut().zip(x).zip(w) {
        *out = v * inv_rms * w;
    }
}

/// SiLU: `x * sigmoid(x)`.
pub fn silu(x: f32) -> f32 {
    x / (1.0 + (-x).exp())
}

/// Exact GELU, `x * Φ(x) = 0.5 x (1 + erf(x / √2))`.
pub fn gelu(x: f32) -> f32 {
    let x = f64::from(x);
    (0.5 * x * (1.0 + erf(x * std::f64::consts::FRAC_1_SQRT_2))) as f32
}

/// The error function to within 1.2e-7 (Numerical Recipes' `erfc` by Chebyshev
/// fitting), enough to check an `f32` kernel; `std` has no stable `erf`.
pub fn erf(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let erfc = t * poly.exp();
    if x >= 0.0 {
        1.0 - erfc
    } else {
        erfc - 1.0
    }
}
