//! The GEMM kernels (matmul f32, matmul_f16 with grouped program order, matmul_i8) against
//! plain triple-loop references, with ragged shapes, transposed operands via strides and
//! error bounds derived from the accumulation length.

use crate::support::*;
use half::f16;

/// Row-major strides of the operands: A [M, K], B [K, N] (or B stored transposed as [N, K]),
/// C [M, N].
struct Gemm {
    m: usize,
    n: usize,
    k: usize,
    b_transposed: bool,
}

impl Gemm {
    /// `(sam, sak, sbk, sbn, scm, scn)`.
    fn strides(&self) -> [usize; 6] {
        let (sbk, sbn) = if self.b_transposed { (1, self.k) } else { (self.n, 1) };
        [self.k, 1, sbk, sbn, self.n, 1]
    }

    fn b_index(&self, kk: usize, j: usize) -> usize {
        let s = self.strides();
        kk * s[2] + j * s[3]
    }

    /// Scalar arguments M, N, K and the six strides.
    fn scalar_args(&self) -> Vec<tessera_ir::interp::KernelArg> {
        let mut args = vec![int(self.m), int(self.n), int(self.k)];
        args.extend(self.strides().map(int));
        args
    }

    /// `(C, sum |a| |b|)` per output, in f64.
    fn reference(&self, a: &[f64], b: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let (mut c, mut abs) = (vec![0.0; self.m * self.n], vec![0.0; self.m * self.n]);
        for i in 0..self.m {
            for j in 0..self.n {
                for kk in 0..self.k {
                    let product = a[i * self.k + kk] * b[self.b_index(kk, j)];
                    c[i * self.n + j] += product;
                    abs[i * self.n + j] += product.abs();
                }
            }
        }
        (c, abs)
    }
}

const SHAPES: [(usize, usize, usize, bool); 6] = [
    (1, 1, 1, false),
    (7, 5, 3, false),
    (16, 16, 16, false),
    (15, 17, 9, true),
    (33, 17, 31, false),
    (20, 40, 97, true),
];

/// The error bound of an f32 dot product of length k accumulated in order: each of the
/// k products and k additions is rounded once, so |error| <= (k + 1) * 2^-24 * sum |a b|.
fn f32_dot_bound(k: usize, abs_sum: f64) -> f64 {
    (k as f64 + 2.0) * 2f64.powi(-24) * abs_sum
}

#[test]
fn matmul() {
    let consts = [("BLOCK_M", 16), ("BLOCK_N", 16), ("BLOCK_K", 8)];
    let module = compile_corpus("matmul.tsr", &consts);
    let mut rng = Rng::new(0x3a7);
    for (m, n, k, b_transposed) in SHAPES {
        let gemm = Gemm { m, n, k, b_transposed };
        let a = rng.f32s(m * k, -1.0, 1.0);
        let b = rng.f32s(k * n, -1.0, 1.0);
        let mut args = vec![buf(&a), buf(&b), filled(m * n, f32::NAN)];
        args.extend(gemm.scalar_args());
        let args = run(&module, "matmul", args, Launch::grid([cdiv(m, 16), cdiv(n, 16), 1]));
        let widen = |v: &[f32]| v.iter().map(|&x| x as f64).collect::<Vec<_>>();
        let (want, abs) = gemm.reference(&widen(&a), &widen(&b));
        let bound: Vec<f64> = abs.iter().map(|&s| f32_dot_bound(k, s)).collect();
        let case = format!("matmul M={m} N={n} K={k} b_transposed={b_transposed}");
        assert_within(&case, &out::<f32>(&args, 2), &want, &bound);
    }
}

#[test]
fn matmul_f16() {
    const BLOCK: usize = 16;
    let consts = [("BLOCK_M", 16), ("BLOCK_N", 16), ("BLOCK_K", 16), ("GROUP_M", 2)];
    let module = compile_corpus("matmul_f16.tsr", &consts);
    let mut rng = Rng::new(0xf16);
    // (33, 40): 3 x 3 tiles in groups of 2 tile-rows leave a ragged last group.
    let shapes = [(1, 1, 1), (7, 9, 5), (16, 16, 16), (33, 40, 17), (50, 20, 33), (47, 47, 64)];
    for (m, n, k) in shapes {
        let gemm = Gemm { m, n, k, b_transposed: false };
        let to_f16 = |v: Vec<f32>| v.into_iter().map(f16::from_f32).collect::<Vec<_>>();
        let a = to_f16(rng.f32s(m * k, -1.0, 1.0));
        let b = to_f16(rng.f32s(k * n, -1.0, 1.0));
        let mut args = vec![buf(&a), buf(&b), filled(m * n, f16::NAN)];
        args.extend(gemm.scalar_args());
        let n_programs = cdiv(m, BLOCK) * cdiv(n, BLOCK);
        let args = run(&module, "matmul_f16", args, Launch::programs(n_programs));
        let widen = |v: &[f16]| v.iter().map(|&x| f64::from(x)).collect::<Vec<_>>();
        let (want, abs) = gemm.reference(&widen(&a), &widen(&b));
        // f16 x f16 products are exact in f32; the f32 accumulation errs by the dot bound
        // e; the final rounding to f16 adds half an ulp: 2^-11 relative (2^-25 absolute
        // among subnormals).
        let bound: Vec<f64> = want
            .iter()
            .zip(&abs)
            .map(|(&w, &s)| {
                let e = f32_dot_bound(k, s);
                e + 2f64.powi(-11) * (w.abs() + e) + 2f64.powi(-25)
            })
            .collect();
        let got: Vec<f32> = out::<f16>(&args, 2).into_iter().map(f32::from).collect();
        assert_within(&format!("matmul_f16 M={m} N={n} K={k}"), &got, &want, &bound);
    }
}

#[test]
fn matmul_i8() {
    let consts = [("BLOCK_M", 16), ("BLOCK_N", 16), ("BLOCK_K", 16)];
    let module = compile_corpus("matmul_int8.tsr", &consts);
    let mut rng = Rng::new(0x18);
    for (m, n, k, b_transposed) in SHAPES {
        let gemm = Gemm { m, n, k, b_transposed };
        let to_i8 = |v: Vec<i32>| v.into_iter().map(|x| x as i8).collect::<Vec<_>>();
        let a = to_i8(rng.i32s(m * k, -128, 127));
        let b = to_i8(rng.i32s(k * n, -128, 127));
        let mut args = vec![buf(&a), buf(&b), filled(m * n, i32::MIN)];
        args.extend(gemm.scalar_args());
        let args = run(&module, "matmul_i8", args, Launch::grid([cdiv(m, 16), cdiv(n, 16), 1]));
        let mut want = vec![0i32; m * n];
        for i in 0..m {
            for j in 0..n {
                for kk in 0..k {
                    let product = a[i * k + kk] as i32 * b[gemm.b_index(kk, j)] as i32;
                    want[i * n + j] = want[i * n + j].wrapping_add(product);
                }
            }
        }
        let case = format!("matmul_i8 M={m} N={n} K={k} b_transposed={b_transposed}");
        assert_exact(&case, &out::<i32>(&args, 2), &want);
    }
}
