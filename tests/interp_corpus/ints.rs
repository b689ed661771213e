//! Integer kernels of bitops.tsr (popcount_u32, lcg_mix_i64, byte_ops, int_ops): wrapping
//! arithmetic, shifts modulo the width, and the RISC-V division rules, compared exactly.

use crate::support::*;

const BLOCK: usize = 64;

#[test]
fn popcount_u32() {
    let module = compile_corpus("bitops.tsr", &[("BLOCK", BLOCK as i64)]);
    let mut rng = Rng::new(0xb175);
    for n in sizes(BLOCK) {
        let mut x = rng.u32s(n);
        let edges = [0, u32::MAX, 1, 0x8000_0000];
        for (slot, edge) in x.iter_mut().zip(edges) {
            *slot = edge;
        }
        let args = vec![buf(&x), filled(n, -1i32), int(n)];
        let args = run(&module, "popcount_u32", args, Launch::programs(cdiv(n, BLOCK)));
        let want: Vec<i32> = x.iter().map(|v| v.count_ones() as i32).collect();
        assert_exact(&format!("popcount_u32 n={n}"), &out::<i32>(&args, 1), &want);
    }
}

#[test]
fn lcg_mix_i64() {
    let module = compile_corpus("bitops.tsr", &[("BLOCK", BLOCK as i64)]);
    let mut rng = Rng::new(0x1c6);
    for n in sizes(BLOCK) {
        let state: Vec<i64> = (0..n).map(|_| rng.next_u64() as i64).collect();
        let args = vec![buf(&state), filled(n, 0i64), int(n)];
        let args = run(&module, "lcg_mix_i64", args, Launch::programs(cdiv(n, BLOCK)));
        let next: Vec<i64> = state
            .iter()
            .map(|s| s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407))
            .collect();
        // `>>` on i64 is arithmetic; `!` is bitwise not; everything wraps.
        let mixed: Vec<i64> = next
            .iter()
            .map(|&s| (s ^ (s >> 33)).wrapping_add((!s).wrapping_shl(7)).wrapping_sub(s & 0o777))
            .collect();
        assert_exact(&format!("lcg_mix_i64 n={n} state"), &out::<i64>(&args, 0), &next);
        assert_exact(&format!("lcg_mix_i64 n={n} out"), &out::<i64>(&args, 1), &mixed);
    }
}

#[test]
fn byte_ops() {
    let module = compile_corpus("bitops.tsr", &[("BLOCK", BLOCK as i64)]);
    let mut rng = Rng::new(0xb7e);
    for n in sizes(BLOCK) {
        let a: Vec<u8> = rng.u32s(n).into_iter().map(|v| v as u8).collect();
        // Every eighth divisor is zero: x / 0 = 255 (all ones) and x % 0 = x.
        let b: Vec<u8> = rng
            .u32s(n)
            .into_iter()
            .enumerate()
            .map(|(i, v)| if i % 8 == 3 { 0 } else { v as u8 })
            .collect();
        let args = vec![buf(&a), buf(&b), filled(n, 0u8), filled(n, 0u8), filled(n, 0u8), int(n)];
        let args = run(&module, "byte_ops", args, Launch::programs(cdiv(n, BLOCK)));
        let pairs = || a.iter().zip(&b).map(|(&x, &y)| (x, y));
        let mixed: Vec<u8> = pairs()
            .map(|(x, y)| {
                (x.wrapping_add(y) ^ x.wrapping_shl(3)) | (y >> 2) | (x.wrapping_mul(161) & 0x80)
            })
            .collect();
        let quot: Vec<u8> = pairs().map(|(x, y)| x.checked_div(y).unwrap_or(u8::MAX)).collect();
        let rem: Vec<u8> = pairs().map(|(x, y)| x.checked_rem(y).unwrap_or(x)).collect();
        let case = format!("byte_ops n={n}");
        assert_exact(&format!("{case} mixed"), &out::<u8>(&args, 2), &mixed);
        assert_exact(&format!("{case} quot"), &out::<u8>(&args, 3), &quot);
        assert_exact(&format!("{case} rem"), &out::<u8>(&args, 4), &rem);
    }
}

/// The language's i32 division: x / 0 = -1, MIN / -1 = MIN, otherwise truncating.
fn div_i32(x: i32, y: i32) -> i32 {
    if y == 0 {
        -1
    } else {
        x.wrapping_div(y)
    }
}

/// The language's i32 remainder: x % 0 = x, MIN % -1 = 0, otherwise the dividend's sign.
fn rem_i32(x: i32, y: i32) -> i32 {
    if y == 0 {
        x
    } else {
        x.wrapping_rem(y)
    }
}

#[test]
fn int_ops() {
    let module = compile_corpus("bitops.tsr", &[("BLOCK", BLOCK as i64)]);
    let mut rng = Rng::new(0x1e7);
    let edge_pairs = [
        (i32::MIN, -1),
        (i32::MIN, 0),
        (7, 0),
        (-7, 2),
        (7, -2),
        (i32::MAX, i32::MIN),
        (-1, i32::MIN),
    ];
    for n in sizes(BLOCK) {
        let mut a = rng.i32s(n, i32::MIN, i32::MAX);
        let mut b: Vec<i32> = rng.i32s(n, -1000, 1000);
        for (i, &(x, y)) in edge_pairs.iter().enumerate().take(n) {
            a[i] = x;
            b[i] = y;
        }
        // Amounts up to 99 check that shifts take them modulo 32.
        let s = rng.i32s(n, 0, 99);
        let args = vec![
            buf(&a),
            buf(&b),
            buf(&s),
            filled(n, 0i32),
            filled(n, 0i32),
            filled(n, 0i32),
            filled(n, 0i32),
            int(n),
        ];
        let args = run(&module, "int_ops", args, Launch::programs(cdiv(n, BLOCK)));
        let triples = || a.iter().zip(&b).zip(&s).map(|((&x, &y), &s)| (x, y, s as u32));
        let quot: Vec<i32> = triples().map(|(x, y, _)| div_i32(x, y)).collect();
        let rem: Vec<i32> = triples().map(|(x, y, _)| rem_i32(x, y)).collect();
        let shl: Vec<i32> = triples().map(|(x, _, s)| x.wrapping_shl(s)).collect();
        let shr: Vec<i32> = triples()
            .map(|(x, y, s)| x.wrapping_shr(s) ^ y.wrapping_abs().wrapping_neg())
            .collect();
        let case = format!("int_ops n={n}");
        assert_exact(&format!("{case} quot"), &out::<i32>(&args, 3), &quot);
        assert_exact(&format!("{case} rem"), &out::<i32>(&args, 4), &rem);
        assert_exact(&format!("{case} shl"), &out::<i32>(&args, 5), &shl);
        assert_exact(&format!("{case} shr"), &out::<i32>(&args, 6), &shr);
    }
}
