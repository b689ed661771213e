//! Checking a result before it is timed: elementwise against a reference within a
//! [`Tolerance`], and a matrix product by recomputing sampled entries in `f64` with an
//! error bound that grows with the reduction length.

use crate::data::splitmix64;
use crate::BenchError;

/// `|got - want| <= abs + rel * |want|` passes; NaN never does.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance {
    pub abs: f32,
    pub rel: f32,
}

/// The shape of a row-major product `C[m, n] = A[m, k] @ B[k, n]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatmulShape {
    pub m: usize,
    pub n: usize,
    pub k: usize,
}

/// Fails on the first element of `got` outside `tolerance` of `want` (or on a length
/// difference, reported at the first missing index).
pub fn compare(
    what: &str,
    got: &[f32],
    want: &[f32],
    tolerance: Tolerance,
) -> Result<(), BenchError> {
    if got.len() != want.len() {
        let index = got.len().min(want.len());
        return Err(mismatch(what, index, f32::NAN, f32::NAN, 0.0));
    }
    for (index, (&got, &want)) in got.iter().zip(want).enumerate() {
        let allowed = tolerance.abs + tolerance.rel * want.abs();
        if !within(f64::from((got - want).abs()), f64::from(allowed)) {
            return Err(mismatch(what, index, got, want, allowed));
        }
    }
    Ok(())
}

/// Checks `samples` entries of `c` (corners included) against `A @ B` computed in `f64`.
/// An `f32` dot product of length `k` is within `k * eps * sum |a * b|` of the exact one
/// in any summation order, so that bound (plus a little) is the tolerance.
pub fn check_matmul(
    what: &str,
    shape: MatmulShape,
    (a, b, c): (&[f32], &[f32], &[f32]),
    samples: usize,
) -> Result<(), BenchError> {
    let MatmulShape { m, n, k } = shape;
    let mut state = 0x5EED_u64;
    let corners = [(0, 0), (0, n - 1), (m - 1, 0), (m - 1, n - 1)];
    let random = (0..samples).map(|_| {
        let row = (splitmix64(&mut state) % m as u64) as usize;
        (row, (splitmix64(&mut state) % n as u64) as usize)
    });
    for (row, col) in corners.into_iter().chain(random) {
        let (mut exact, mut magnitude) = (0.0f64, 0.0f64);
        for i in 0..k {
            let product = f64::from(a[row * k + i]) * f64::from(b[i * n + col]);
            exact += product;
            magnitude += product.abs();
        }
        let allowed = k as f64 * f64::from(f32::EPSILON) * magnitude + 1e-6;
        let got = c[row * n + col];
        if !within((f64::from(got) - exact).abs(), allowed) {
            return Err(mismatch(what, row * n + col, got, exact as f32, allowed as f32));
        }
    }
    Ok(())
}

/// `difference <= allowed`, false when either is NaN (so a NaN result fails).
fn within(difference: f64, allowed: f64) -> bool {
    difference <= allowed
}

fn mismatch(what: &str, index: usize, got: f32, want: f32, allowed: f32) -> BenchError {
    BenchError::Mismatch { what: what.to_string(), index, got, want, allowed }
}
