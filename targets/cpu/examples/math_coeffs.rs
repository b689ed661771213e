//! Derives the polynomial coefficients and split constants of the vectorized math
//! functions (`src/math.rs`) and prints them as the Rust source of `src/math/coeffs.rs`:
//!
//! `cargo run --release -p tessera-cpu --example math_coeffs > targets/cpu/src/math/coeffs.rs`
//!
//! Each polynomial is a weighted minimax fit on a dense grid by Lawson's iteratively
//! reweighted least squares (which, unlike the Remez exchange, needs no Haar condition).
//! Coefficients are rounded to f32 one at a time, lowest power first, each time refitting
//! the remaining ones to absorb the rounding. The weight turns the polynomial's error into
//! the error of the function the vector code computes from it (relative, or absolute for
//! `erf` near 1), so the printed `2^-k` is that function's error from the approximation
//! alone, before rounding in f32 arithmetic. Everything is deterministic (no timing, no
//! randomness): the output is the committed file byte for byte.

use std::f64::consts::{FRAC_2_SQRT_PI, FRAC_PI_2, LN_2, LOG2_E, PI};
use std::fmt::Write;

use tessera_ir::interp::erf;

/// Half the width of exp's reduced interval, ln(2)/2, plus slack for the product
/// `x * log2(e)` in f32 picking a neighbouring integer near ties.
const EXP_R: f64 = 0.3467;
/// |r| bound of sin/cos after reduction by pi/2 for |x| <= 2^20, where the f32 product
/// `x * 2/pi` that picks the quadrant is off by up to 0.03.
const SIN_R: f64 = 0.83;
/// tanh uses its polynomial below this |x| and exp above.
const TANH_SPLIT: f64 = 0.625;
/// erf uses its odd polynomial below this |x| and `1 - exp(poly)` from here to ERF_MAX.
const ERF_SPLIT: f64 = 1.0;
/// erf(x) rounds to 1 in f32 above 3.92; the fit stops at this clamp.
const ERF_MAX: f64 = 4.0;

/// A weighted minimax problem: `sum c_i x^i` for `i < degree + 1` approximating `f` on
/// `[lo, hi]`, minimizing `max |w(x) (f(x) - p(x))|`.
struct Problem {
    name: &'static str,
    doc: &'static str,
    f: fn(f64) -> f64,
    w: fn(f64) -> f64,
    terms: usize,
    lo: f64,
    hi: f64,
}

fn main() {
    let mut out = String::new();
    out.push_str(HEADER);
    for problem in problems() {
        let (coeffs, error) = fit_f32(&problem);
        let list: Vec<String> = coeffs.iter().map(|c| format!("{c:?}")).collect();
        let _ = writeln!(out, "\n/// {}.", problem.doc);
        let _ = writeln!(out, "/// Weighted error <= 2^{:.1}.", error.log2());
        let _ = writeln!(out, "pub const {}: [f32; {}] = [", problem.name, coeffs.len());
        for c in list {
            let _ = writeln!(out, "    {c},");
        }
        out.push_str("];\n");
    }
    out.push_str(&split_constants());
    print!("{out}");
}

const HEADER: &str = "\
//! Coefficients and split constants of the vectorized math functions (`super`), printed by
//! `examples/math_coeffs.rs`; regenerate rather than edit:
//! `cargo run --release -p tessera-cpu --example math_coeffs > targets/cpu/src/math/coeffs.rs`
//! (then `cargo fmt`). Polynomials are listed from the constant term up, for Horner's rule.

// Some values are ln 2 or log2(e) rounded to f32 on purpose (split constants, a fitted
// coefficient): clippy's suggestion of the std constants would change nothing but hide that.
#![allow(clippy::approx_constant)]
";

fn problems() -> Vec<Problem> {
    vec![
        Problem {
            name: "EXP",
            doc: "exp: (e^r - 1 - r) / r^2 for |r| <= 0.3467, error relative to e^r",
            f: exp_tail,
            w: |r| r * r * (-r).exp(),
            terms: 5,
            lo: -EXP_R,
            hi: EXP_R,
        },
        Problem {
            name: "EXP2",
            doc: "exp2: (2^r - 1) / r for |r| <= 1/2, error relative to 2^r",
            f: exp2_tail,
            w: |r| r.abs() * (-r).exp2(),
            terms: 6,
            lo: -0.5,
            hi: 0.5,
        },
        Problem {
            name: "LOG",
            doc: "log: (ln(1 + f) - f) / f^2, sqrt(1/2) - 1 <= f < sqrt(2) - 1, relative \
                  error",
            f: log_tail,
            w: |f| if f == 0.0 { 0.0 } else { f * f / f.ln_1p().abs() },
            terms: 9,
            lo: 0.5f64.sqrt() - 1.0,
            hi: 2f64.sqrt() - 1.0,
        },
        Problem {
            name: "SIN",
            doc: "sin: (sin r - r) / r^3 in z = r^2 for |r| <= 0.83, relative error",
            f: sin_tail,
            w: |z| if z == 0.0 { 0.0 } else { z * z.sqrt() / z.sqrt().sin() },
            terms: 4,
            lo: 0.0,
            hi: SIN_R * SIN_R,
        },
        Problem {
            name: "COS",
            doc: "cos: (cos r - 1 + r^2/2) / r^4 in z = r^2 for |r| <= 0.83, relative error",
            f: cos_tail,
            w: |z| z * z / z.sqrt().cos(),
            terms: 3,
            lo: 0.0,
            hi: SIN_R * SIN_R,
        },
        Problem {
            name: "TANH",
            doc: "tanh: (tanh x - x) / x^3 in z = x^2 for |x| <= 0.625, relative error",
            f: tanh_tail,
            w: |z| if z == 0.0 { 0.0 } else { z * z.sqrt() / z.sqrt().tanh() },
            terms: 6,
            lo: 0.0,
            hi: TANH_SPLIT * TANH_SPLIT,
        },
        Problem {
            name: "ERF_SMALL",
            doc: "erf: erf(x) / x - 1 in z = x^2 for |x| <= 1, relative error",
            f: erf_small_tail,
            w: |z| 1.0 / (1.0 + erf_small_tail(z)),
            terms: 7,
            lo: 0.0,
            hi: ERF_SPLIT * ERF_SPLIT,
        },
        Problem {
            name: "ERF_LARGE",
            doc: "erf: ln(1 - erf a) for 1 <= a <= 4, error absolute in erf a",
            f: |a| (1.0 - erf(a)).ln(),
            w: |a| 1.0 - erf(a),
            terms: 7,
            lo: ERF_SPLIT,
            hi: ERF_MAX,
        },
    ]
}

/// The sum of `terms` until they drop below 1e-40.
fn series(terms: impl Iterator<Item = f64>) -> f64 {
    let mut sum = 0.0;
    for term in terms {
        sum += term;
        if term.abs() < 1e-40 {
            break;
        }
    }
    sum
}

fn factorial(k: i32) -> f64 {
    (1..=k).map(f64::from).product()
}

fn alternate(k: i32) -> f64 {
    if k % 2 == 0 {
        1.0
    } else {
        -1.0
    }
}

/// (e^r - 1 - r) / r^2 = sum r^(k-2) / k!, k >= 2.
fn exp_tail(r: f64) -> f64 {
    series((2..40).map(|k| r.powi(k - 2) / factorial(k)))
}

/// (2^r - 1) / r = sum ln2^k r^(k-1) / k!, k >= 1.
fn exp2_tail(r: f64) -> f64 {
    series((1..40).map(|k| LN_2.powi(k) * r.powi(k - 1) / factorial(k)))
}

/// (ln(1 + f) - f) / f^2 = sum (-1)^(k+1) f^(k-2) / k, k >= 2.
fn log_tail(f: f64) -> f64 {
    series((2..400).map(|k| -alternate(k) * f.powi(k - 2) / f64::from(k)))
}

/// (sin r - r) / r^3 = sum (-1)^k z^(k-1) / (2k+1)!, k >= 1, z = r^2.
fn sin_tail(z: f64) -> f64 {
    series((1..30).map(|k| alternate(k) * z.powi(k - 1) / factorial(2 * k + 1)))
}

/// (cos r - 1 + z/2) / z^2 = sum (-1)^k z^(k-2) / (2k)!, k >= 2, z = r^2.
fn cos_tail(z: f64) -> f64 {
    series((2..30).map(|k| alternate(k) * z.powi(k - 2) / factorial(2 * k)))
}

/// (tanh x - x) / x^3, z = x^2: the Taylor series where the difference would cancel.
fn tanh_tail(z: f64) -> f64 {
    let x = z.sqrt();
    if x < 0.05 {
        let coeffs = [-1.0 / 3.0, 2.0 / 15.0, -17.0 / 315.0, 62.0 / 2835.0, -1382.0 / 155925.0];
        coeffs.iter().rev().fold(0.0, |acc, &c| acc * z + c)
    } else {
        (x.tanh() - x) / (x * z)
    }
}

/// erf(x) / x - 1 with z = x^2: (2/sqrt(pi)) sum (-z)^n / (n! (2n+1)) - 1.
fn erf_small_tail(z: f64) -> f64 {
    let sum =
        series((1..60).map(|n| alternate(n) * z.powi(n) / (factorial(n) * f64::from(2 * n + 1))));
    FRAC_2_SQRT_PI - 1.0 + FRAC_2_SQRT_PI * sum
}

/// The f32 coefficients and the max weighted error of the polynomial they make.
fn fit_f32(problem: &Problem) -> (Vec<f32>, f64) {
    let grid = Grid::new(problem);
    let mut fixed: Vec<f64> = Vec::new();
    while fixed.len() < problem.terms {
        let free = grid.lawson(&fixed, problem.terms - fixed.len());
        fixed.push(f64::from(free[0] as f32));
    }
    let error = grid.max_error(&fixed);
    (fixed.iter().map(|&c| c as f32).collect(), error)
}

/// The problem sampled at Chebyshev-spaced points (denser at the ends).
struct Grid {
    xs: Vec<f64>,
    fs: Vec<f64>,
    ws: Vec<f64>,
}

impl Grid {
    const POINTS: usize = 1500;
    const ITERATIONS: usize = 250;

    fn new(problem: &Problem) -> Grid {
        let mid = 0.5 * (problem.lo + problem.hi);
        let half = 0.5 * (problem.hi - problem.lo);
        let xs: Vec<f64> = (0..=Self::POINTS)
            .map(|i| mid - half * (PI * i as f64 / Self::POINTS as f64).cos())
            .collect();
        let fs = xs.iter().map(|&x| (problem.f)(x)).collect();
        let ws = xs.iter().map(|&x| (problem.w)(x)).collect();
        Grid { xs, fs, ws }
    }

    /// Weighted errors of the polynomial `coeffs` (from power 0).
    fn errors(&self, coeffs: &[f64]) -> Vec<f64> {
        let at = |x: f64| coeffs.iter().rev().fold(0.0, |acc, &c| acc * x + c);
        self.xs.iter().zip(&self.fs).zip(&self.ws).map(|((&x, &f), &w)| w * (f - at(x))).collect()
    }

    fn max_error(&self, coeffs: &[f64]) -> f64 {
        self.errors(coeffs).iter().fold(0.0, |m, e| m.max(e.abs()))
    }

    /// Near-minimax values of the `free` coefficients after `fixed` (Lawson: weighted
    /// least squares, each point's weight multiplied by its error every iteration).
    fn lawson(&self, fixed: &[f64], free: usize) -> Vec<f64> {
        let first = fixed.len() as i32;
        let residual: Vec<f64> = {
            let mut zeros = fixed.to_vec();
            zeros.resize(fixed.len() + free, 0.0);
            self.errors(&zeros)
        };
        let mut u = vec![1.0 / self.xs.len() as f64; self.xs.len()];
        let mut best = (f64::INFINITY, vec![0.0; free]);
        for _ in 0..Self::ITERATIONS {
            let rows: Vec<Vec<f64>> = self
                .xs
                .iter()
                .zip(&self.ws)
                .zip(&u)
                .map(|((&x, &w), &ui)| {
                    (0..free as i32).map(|k| ui.sqrt() * w * x.powi(first + k)).collect()
                })
                .collect();
            let rhs: Vec<f64> = residual.iter().zip(&u).map(|(&r, &ui)| ui.sqrt() * r).collect();
            let c = least_squares(rows, rhs);
            let mut all = fixed.to_vec();
            all.extend(&c);
            let errors = self.errors(&all);
            let max = errors.iter().fold(0.0, |m: f64, e| m.max(e.abs()));
            if max < best.0 {
                best = (max, c);
            }
            let total: f64 = u
                .iter_mut()
                .zip(&errors)
                .map(|(ui, e)| {
                    *ui *= e.abs();
                    *ui
                })
                .sum();
            if total == 0.0 {
                break;
            }
            u.iter_mut().for_each(|ui| *ui /= total);
        }
        best.1
    }
}

/// `argmin |A c - b|` by Householder QR; `a` has one row per point.
fn least_squares(a: Vec<Vec<f64>>, b: Vec<f64>) -> Vec<f64> {
    let cols = a[0].len();
    // Column-major, the right-hand side last, so each reflection is one loop per column.
    let mut columns: Vec<Vec<f64>> =
        (0..cols).map(|j| a.iter().map(|row| row[j]).collect()).collect();
    columns.push(b);
    for k in 0..cols {
        let norm = columns[k][k..].iter().map(|x| x * x).sum::<f64>().sqrt();
        let alpha = if columns[k][k] > 0.0 { -norm } else { norm };
        let mut v: Vec<f64> = columns[k][k..].to_vec();
        v[0] -= alpha;
        let v_norm2: f64 = v.iter().map(|x| x * x).sum();
        if v_norm2 == 0.0 {
            continue;
        }
        for column in &mut columns[k..] {
            let dot: f64 = v.iter().zip(&column[k..]).map(|(a, b)| a * b).sum();
            let scale = 2.0 * dot / v_norm2;
            column[k..].iter_mut().zip(&v).for_each(|(x, vi)| *x -= scale * vi);
        }
    }
    let mut c = vec![0.0; cols];
    for row in (0..cols).rev() {
        let known: f64 = (row + 1..cols).map(|k| columns[k][row] * c[k]).sum();
        c[row] = (columns[cols][row] - known) / columns[row][row];
    }
    c
}

/// A constant as a double-double `hi + lo`: the f64 constant and the f64 nearest to what it
/// leaves out (from 60-digit references).
struct DoubleDouble {
    hi: f64,
    lo: f64,
}

/// pi/2, ln 2, log2(e) and 2/pi as double-doubles.
const FRAC_PI_2_DD: DoubleDouble = DoubleDouble { hi: FRAC_PI_2, lo: 6.123233995736766e-17 };
const LN_2_DD: DoubleDouble = DoubleDouble { hi: LN_2, lo: 2.3190468138462996e-17 };
const LOG2_E_DD: DoubleDouble = DoubleDouble { hi: LOG2_E, lo: 2.0355273740931033e-17 };

/// `value` as f32 parts `[p0, p1, ...]`, each the f32 nearest to what the previous parts
/// leave (the f64 subtractions are exact: each part is a prefix of the remaining bits).
fn f32_parts(value: &DoubleDouble, count: usize) -> Vec<f32> {
    let mut rest = value.hi;
    let mut parts = Vec::new();
    for _ in 0..count {
        let part = (rest + value.lo) as f32;
        parts.push(part);
        rest -= f64::from(part);
    }
    parts
}

fn split_constants() -> String {
    let mut out = String::new();
    let mut constant = |name: &str, doc: &str, value: f32| {
        let _ = writeln!(out, "\n/// {doc}\npub const {name}: f32 = {value:?};");
    };
    let ln2 = f32_parts(&LN_2_DD, 2);
    constant("LN2_HI", "ln 2 rounded to f32.", ln2[0]);
    constant("LN2_LO", "ln 2 - LN2_HI, rounded.", ln2[1]);
    let log2e = f32_parts(&LOG2_E_DD, 2);
    constant("LOG2E_HI", "log2(e) rounded to f32.", log2e[0]);
    constant("LOG2E_LO", "log2(e) - LOG2E_HI, rounded.", log2e[1]);
    let pio2 = f32_parts(&FRAC_PI_2_DD, 3);
    constant("PIO2_1", "pi/2 rounded to f32.", pio2[0]);
    constant("PIO2_2", "pi/2 - PIO2_1, rounded.", pio2[1]);
    constant("PIO2_3", "pi/2 - PIO2_1 - PIO2_2, rounded.", pio2[2]);
    out
}
