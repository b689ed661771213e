//! Coefficients and split constants of the vectorized math functions (`super`), printed by
//! `examples/math_coeffs.rs`; regenerate rather than edit:
//! `cargo run --release -p tessera-cpu --example math_coeffs > targets/cpu/src/math/coeffs.rs`
//! (then `cargo fmt`). Polynomials are listed from the constant term up, for Horner's rule.

// Some values are ln 2 or log2(e) rounded to f32 on purpose (split constants, a fitted
// coefficient): clippy's suggestion of the std constants would change nothing but hide that.
#![allow(clippy::approx_constant)]

/// exp: (e^r - 1 - r) / r^2 for |r| <= 0.3467, error relative to e^r.
/// Weighted error <= 2^-28.3.
pub const EXP: [f32; 5] = [0.49999994, 0.16666521, 0.041668262, 0.008368674, 0.0013821024];

/// exp2: (2^r - 1) / r for |r| <= 1/2, error relative to 2^r.
/// Weighted error <= 2^-28.3.
pub const EXP2: [f32; 6] =
    [0.6931472, 0.24022648, 0.0555036, 0.009618506, 0.0013390806, 0.00015326463];

/// log: (ln(1 + f) - f) / f^2, sqrt(1/2) - 1 <= f < sqrt(2) - 1, relative error.
/// Weighted error <= 2^-27.8.
pub const LOG: [f32; 9] = [
    -0.49999988,
    0.33333322,
    -0.25001603,
    0.20002207,
    -0.16608872,
    0.14177397,
    -0.13239957,
    0.12930077,
    -0.07660047,
];

/// sin: (sin r - r) / r^3 in z = r^2 for |r| <= 0.83, relative error.
/// Weighted error <= 2^-32.3.
pub const SIN: [f32; 4] = [-0.16666667, 0.008333374, -0.00019850174, 2.7984356e-6];

/// cos: (cos r - 1 + r^2/2) / r^4 in z = r^2 for |r| <= 0.83, relative error.
/// Weighted error <= 2^-32.1.
pub const COS: [f32; 3] = [0.041666638, -0.0013886951, 2.4392224e-5];

/// tanh: (tanh x - x) / x^3 in z = x^2 for |x| <= 0.625, relative error.
/// Weighted error <= 2^-32.4.
pub const TANH: [f32; 6] =
    [-0.3333333, 0.13333221, -0.05394818, 0.021706894, -0.0081900135, 0.002152684];

/// erf: erf(x) / x - 1 in z = x^2 for |x| <= 1, relative error.
/// Weighted error <= 2^-29.4.
pub const ERF_SMALL: [f32; 7] =
    [0.12837917, -0.37612626, 0.11283579, -0.026853347, 0.005187162, -0.0007997853, 7.806904e-5];

/// erf: ln(1 - erf a) for 1 <= a <= 4, error absolute in erf a.
/// Weighted error <= 2^-29.8.
pub const ERF_LARGE: [f32; 7] =
    [-0.00035371343, -1.12704, -0.63822573, -0.10303729, 0.021805273, -0.0029395965, 0.0001855733];

/// ln 2 rounded to f32.
pub const LN2_HI: f32 = 0.6931472;

/// ln 2 - LN2_HI, rounded.
pub const LN2_LO: f32 = -1.9046542e-9;

/// log2(e) rounded to f32.
pub const LOG2E_HI: f32 = 1.442695;

/// log2(e) - LOG2E_HI, rounded.
pub const LOG2E_LO: f32 = 1.925963e-8;

/// pi/2 rounded to f32.
pub const PIO2_1: f32 = 1.5707964;

/// pi/2 - PIO2_1, rounded.
pub const PIO2_2: f32 = -4.371139e-8;

/// pi/2 - PIO2_1 - PIO2_2, rounded.
pub const PIO2_3: f32 = -1.7151245e-15;
