//! Reductions, scans and atomics: argmax, cumsum (f32 and i32), row_min_argmin,
//! min_partials, histogram, scatter_max and the two-launch int8 quantization.

use crate::support::*;

/// Index of the first maximum (NaN-free input).
fn first_argmax(row: &[f32]) -> i32 {
    let mut best = 0;
    for (j, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = j;
        }
    }
    best as i32
}

/// Index of the first minimum (NaN-free input).
fn first_argmin(row: &[f32]) -> usize {
    let mut best = 0;
    for (j, &v) in row.iter().enumerate() {
        if v < row[best] {
            best = j;
        }
    }
    best
}

/// Continuous data, or small integers as floats so that ties are everywhere (the first
/// index must win, also across blocks).
fn row_data(rng: &mut Rng, len: usize, ties: bool) -> Vec<f32> {
    if ties {
        rng.i32s(len, 0, 5).into_iter().map(|v| v as f32).collect()
    } else {
        rng.f32s(len, -100.0, 100.0)
    }
}

#[test]
fn argmax_rows() {
    const BLOCK: usize = 32;
    let module = compile_corpus("argmax.tsr", &[("BLOCK", BLOCK as i64)]);
    let mut rng = Rng::new(0xa29);
    for ties in [false, true] {
        for n_cols in sizes(BLOCK) {
            let n_rows = 3;
            let x = row_data(&mut rng, n_rows * n_cols, ties);
            let args = vec![buf(&x), filled(n_rows, -1i32), int(n_cols), int(n_cols)];
            let args = run(&module, "argmax_rows", args, Launch::programs(n_rows));
            let want: Vec<i32> = x.chunks(n_cols).map(first_argmax).collect();
            let case = format!("argmax_rows ties={ties} n_cols={n_cols}");
            assert_exact(&case, &out::<i32>(&args, 1), &want);
        }
    }
}

#[test]
fn cumsum_rows() {
    const BLOCK: usize = 32;
    let module = compile_corpus("cumsum.tsr", &[("BLOCK", BLOCK as i64)]);
    let mut rng = Rng::new(0xc5);
    for n_cols in sizes(BLOCK) {
        let n_rows = 2;
        let x = rng.f32s(n_rows * n_cols, -1.0, 1.0);
        let args = vec![buf(&x), filled(n_rows * n_cols, f32::NAN), int(n_cols), int(n_cols)];
        let args = run(&module, "cumsum_rows", args, Launch::programs(n_rows));
        let (mut want, mut bound) = (vec![], vec![]);
        for row in x.chunks(n_cols) {
            let (mut total, mut abs_total) = (0.0f64, 0.0f64);
            for (j, &v) in row.iter().enumerate() {
                total += v as f64;
                abs_total += (v as f64).abs();
                want.push(total);
                // Prefix j is an f32 sum of j + 1 terms in some order (block scan plus
                // carry): at most j + 1 roundings touch each term.
                bound.push((j as f64 + 2.0) * 2f64.powi(-24) * abs_total);
            }
        }
        assert_within(
            &format!("cumsum_rows n_cols={n_cols}"),
            &out::<f32>(&args, 1),
            &want,
            &bound,
        );
    }
}

#[test]
fn cumsum_rows_i32() {
    const BLOCK: usize = 32;
    let module = compile_corpus("cumsum.tsr", &[("BLOCK", BLOCK as i64)]);
    let mut rng = Rng::new(0xc6);
    for n_cols in sizes(BLOCK) {
        let n_rows = 2;
        // Full-range values: the running sums wrap, which must match exactly.
        let x = rng.i32s(n_rows * n_cols, i32::MIN, i32::MAX);
        let args = vec![buf(&x), filled(n_rows * n_cols, 0i32), int(n_cols), int(n_cols)];
        let args = run(&module, "cumsum_rows_i32", args, Launch::programs(n_rows));
        let want: Vec<i32> = x
            .chunks(n_cols)
            .flat_map(|row| {
                row.iter()
                    .scan(0i32, |total, &v| {
                        *total = total.wrapping_add(v);
                        Some(*total)
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_exact(&format!("cumsum_rows_i32 n_cols={n_cols}"), &out::<i32>(&args, 1), &want);
    }
}

#[test]
fn row_min_argmin() {
    const ROWS: usize = 4;
    let module = compile_corpus("reductions.tsr", &[("ROWS", ROWS as i64), ("BLOCK", 32)]);
    let mut rng = Rng::new(0x313);
    for ties in [false, true] {
        for n_rows in [1, 3, ROWS, ROWS + 1, 13] {
            for n_cols in [1, 7, 31, 32] {
                let stride = n_cols + 2;
                let x = row_data(&mut rng, n_rows * stride, ties);
                let args = vec![
                    buf(&x),
                    filled(n_rows, f32::NAN),
                    filled(n_rows, -1i32),
                    int(n_rows),
                    int(n_cols),
                    int(stride),
                ];
                let args =
                    run(&module, "row_min_argmin", args, Launch::programs(cdiv(n_rows, ROWS)));
                let rows: Vec<&[f32]> = (0..n_rows).map(|r| &x[r * stride..][..n_cols]).collect();
                let want_idx: Vec<i32> = rows.iter().map(|row| first_argmin(row) as i32).collect();
                let want_min: Vec<f32> = rows.iter().map(|row| row[first_argmin(row)]).collect();
                let case = format!("row_min_argmin ties={ties} n_rows={n_rows} n_cols={n_cols}");
                assert_exact(&format!("{case} min"), &out::<f32>(&args, 1), &want_min);
                assert_exact(&format!("{case} idx"), &out::<i32>(&args, 2), &want_idx);
            }
        }
    }
}

#[test]
fn min_partials() {
    const BLOCK: usize = 32;
    let module = compile_corpus("reductions.tsr", &[("BLOCK", BLOCK as i64)]);
    let mut rng = Rng::new(0x319);
    for n in sizes(BLOCK) {
        for n_programs in [1, 3, 8] {
            let x = row_data(&mut rng, n, true);
            let args =
                vec![buf(&x), filled(n_programs, f32::NAN), filled(n_programs, -7i32), int(n)];
            let args = run(&module, "min_partials", args, Launch::programs(n_programs));
            // Program p owns tiles p, p + P, ...; it keeps the first strict minimum.
            let (mut want_min, mut want_idx) =
                (vec![f32::INFINITY; n_programs], vec![-1i32; n_programs]);
            for (i, &v) in x.iter().enumerate() {
                let p = (i / BLOCK) % n_programs;
                if v < want_min[p] {
                    want_min[p] = v;
                    want_idx[p] = i as i32;
                }
            }
            let (got_min, got_idx) = (out::<f32>(&args, 1), out::<i32>(&args, 2));
            let case = format!("min_partials n={n} programs={n_programs}");
            assert_exact(&format!("{case} min"), &got_min, &want_min);
            assert_exact(&format!("{case} idx"), &got_idx, &want_idx);
            // Combining the partials on the host gives the global first argmin.
            let winner = (0..n_programs)
                .filter(|&p| got_idx[p] >= 0)
                .min_by(|&p, &q| {
                    got_min[p].total_cmp(&got_min[q]).then(got_idx[p].cmp(&got_idx[q]))
                })
                .expect("some program saw an element");
            assert_eq!(got_idx[winner] as usize, first_argmin(&x), "{case}: global argmin");
        }
    }
}

#[test]
fn histogram() {
    const BLOCK: usize = 64;
    let module = compile_corpus("histogram.tsr", &[("BLOCK", BLOCK as i64)]);
    let mut rng = Rng::new(0x4157);
    let (lo, hi) = (-1.5f32, 2.0f32);
    for n_bins in [7usize, 10] {
        for n in sizes(BLOCK) {
            // Some samples fall outside [lo, hi) and land in the edge bins.
            let x = rng.f32s(n, -2.0, 2.5);
            let args =
                vec![buf(&x), filled(n_bins, 0i32), int(n), int(n_bins), f32_arg(lo), f32_arg(hi)];
            let args = run(&module, "histogram", args, Launch::programs(cdiv(n, BLOCK)));
            // The same f32 operations as the kernel, so every bin index matches exactly.
            let scale = n_bins as f32 / (hi - lo);
            let mut want = vec![0i32; n_bins];
            for &v in &x {
                let bin = (((v - lo) * scale) as i32).clamp(0, n_bins as i32 - 1);
                want[bin as usize] += 1;
            }
            let got = out::<i32>(&args, 1);
            let case = format!("histogram bins={n_bins} n={n}");
            assert_exact(&case, &got, &want);
            assert_eq!(got.iter().sum::<i32>(), n as i32, "{case}: every sample counted once");
        }
    }
}

#[test]
fn scatter_max() {
    const BLOCK: usize = 64;
    let module = compile_corpus("histogram.tsr", &[("BLOCK", BLOCK as i64)]);
    let mut rng = Rng::new(0x5ca7);
    // Segment 5 never occurs and must keep its initial value.
    let n_segments = 6;
    for n in sizes(BLOCK) {
        let values = rng.i32s(n, i32::MIN, i32::MAX);
        let segments = rng.i32s(n, 0, 4);
        let args = vec![buf(&values), buf(&segments), filled(n_segments, i32::MIN), int(n)];
        let args = run(&module, "scatter_max", args, Launch::programs(cdiv(n, BLOCK)));
        let mut want = vec![i32::MIN; n_segments];
        for (&v, &s) in values.iter().zip(&segments) {
            want[s as usize] = want[s as usize].max(v);
        }
        assert_exact(&format!("scatter_max n={n}"), &out::<i32>(&args, 2), &want);
    }
}

#[test]
fn quantize() {
    const BLOCK: usize = 32;
    let module = compile_corpus("quantize.tsr", &[("BLOCK", BLOCK as i64)]);
    let mut rng = Rng::new(0x9a);
    for n_cols in [1, 7, BLOCK - 1, BLOCK, BLOCK + 1, 97] {
        let n_rows = 3;
        let mut x = rng.f32s(n_rows * n_cols, -4.0, 4.0);
        // An all-zero row exercises the scale-1 fallback.
        x[n_cols..2 * n_cols].fill(0.0);
        let grid = Launch::grid([cdiv(n_cols, BLOCK), n_rows, 1]);
        let args = vec![buf(&x), filled(n_rows, 0.0f32), int(n_cols), int(n_cols)];
        let args = run(&module, "row_absmax", args, grid);
        let amax = out::<f32>(&args, 1);
        let want_amax: Vec<f32> =
            x.chunks(n_cols).map(|row| row.iter().fold(0.0f32, |m, v| m.max(v.abs()))).collect();
        assert_exact(&format!("row_absmax n_cols={n_cols}"), &amax, &want_amax);

        let args = vec![
            buf(&x),
            buf(&amax),
            filled(n_rows * n_cols, 0i8),
            filled(n_rows, f32::NAN),
            int(n_cols),
            int(n_cols),
        ];
        let args = run(&module, "quantize_int8", args, grid);
        // The same f32 operations as the kernel: division, floor/ceil and a saturating cast
        // are exact, so the codes must match bit for bit.
        let scales: Vec<f32> =
            amax.iter().map(|&m| if m > 0.0 { m / 127.0 } else { 1.0 }).collect();
        let want_q: Vec<i8> = x
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                let v = v / scales[i / n_cols];
                let rounded = if v >= 0.0 { (v + 0.5).floor() } else { (v - 0.5).ceil() };
                rounded.clamp(-127.0, 127.0) as i8
            })
            .collect();
        assert_exact(&format!("quantize_int8 n_cols={n_cols} q"), &out::<i8>(&args, 2), &want_q);
        assert_exact(
            &format!("quantize_int8 n_cols={n_cols} scales"),
            &out::<f32>(&args, 3),
            &scales,
        );
    }
}
