//! Elementwise kernels: vector_add, dropout and the type conversions of casts.tsr. All of
//! them are a fixed sequence of correctly rounded operations, so the references replay the
//! same operations in Rust and compare bit for bit.

use crate::support::*;
use half::{bf16, f16};

#[test]
fn vector_add() {
    const BLOCK: usize = 64;
    let module = compile_corpus("vector_add.tsr", &[("BLOCK", BLOCK as i64)]);
    let mut rng = Rng::new(0xadd);
    for n in sizes(BLOCK) {
        let (x, y) = (rng.f32s(n, -1e3, 1e3), rng.f32s(n, -1e3, 1e3));
        let args = vec![buf(&x), buf(&y), filled(n, f32::NAN), int(n)];
        let args = run(&module, "vector_add", args, Launch::programs(cdiv(n, BLOCK)));
        // One correctly rounded f32 addition per element: exact.
        let want: Vec<f32> = x.iter().zip(&y).map(|(a, b)| a + b).collect();
        assert_exact(&format!("vector_add n={n}"), &out::<f32>(&args, 2), &want);
    }
}

#[test]
fn vector_add_with_default_block() {
    let module = compile_corpus("vector_add.tsr", &[]);
    let n = 2500;
    let mut rng = Rng::new(0xade);
    let (x, y) = (rng.f32s(n, -1.0, 1.0), rng.f32s(n, -1.0, 1.0));
    let args = vec![buf(&x), buf(&y), filled(n, f32::NAN), int(n)];
    let args = run(&module, "vector_add", args, Launch::programs(cdiv(n, 1024)));
    let want: Vec<f32> = x.iter().zip(&y).map(|(a, b)| a + b).collect();
    assert_exact("vector_add default BLOCK", &out::<f32>(&args, 2), &want);
}

/// MurmurHash3's fmix32, as in dropout.tsr.
fn fmix32(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x85EB_CA6B);
    h ^= h >> 13;
    h = h.wrapping_mul(0xC2B2_AE35);
    h ^ (h >> 16)
}

#[test]
fn dropout() {
    const BLOCK: usize = 64;
    let module = compile_corpus("dropout.tsr", &[("BLOCK", BLOCK as i64)]);
    let mut rng = Rng::new(0xd40);
    let (p, seed) = (0.3f32, 0x1234_5678u32);
    for n in sizes(BLOCK) {
        let x = rng.f32s(n, -1.0, 1.0);
        let args = vec![buf(&x), filled(n, f32::NAN), int(n), f32_arg(p), u32_arg(seed)];
        let args = run(&module, "dropout", args, Launch::programs(cdiv(n, BLOCK)));
        let scale = 1.0f32 / (1.0 - p);
        let want: Vec<f32> = x
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                let bits = fmix32(i as u32 ^ seed.wrapping_mul(0x9E37_79B9));
                let r = (bits >> 8) as f32 * 2f32.powi(-24);
                if r >= p {
                    v * scale
                } else {
                    0.0
                }
            })
            .collect();
        let got = out::<f32>(&args, 1);
        // Integer hashing, an exact int->float conversion and one f32 product: exact.
        assert_exact(&format!("dropout n={n}"), &got, &want);
        if n > 1000 {
            let kept = got.iter().filter(|&&v| v != 0.0).count() as f64 / n as f64;
            assert!((0.6..0.8).contains(&kept), "dropout keeps {kept} of the elements, not ~0.7");
        }
    }
}

/// Special and boundary f32 values for conversions, followed by random ones.
fn conversion_inputs(rng: &mut Rng, n: usize) -> Vec<f32> {
    let special = [
        0.0,
        -0.0,
        1.0,
        -1.5,
        2.5,
        255.9,
        256.0,
        -0.9,
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        65504.0,
        65520.0,
        1e10,
        -3e9,
        2147483520.0,
        6.0e-8,
        1.0e-40,
        f32::MAX,
        f32::from_bits(0x3F80_8000),
        f32::from_bits(0x3F81_8000),
        f32::from_bits(0x3F80_8001),
    ];
    let mut values: Vec<f32> = special.to_vec();
    values.extend(rng.f32s(n.saturating_sub(values.len()), -300.0, 300.0));
    values.truncate(n);
    values
}

#[test]
fn convert_f32() {
    const BLOCK: usize = 32;
    let module = compile_corpus("casts.tsr", &[("BLOCK", BLOCK as i64)]);
    let mut rng = Rng::new(0xca57);
    for n in sizes(BLOCK) {
        let x = conversion_inputs(&mut rng, n);
        let args = vec![
            buf(&x),
            filled(n, f16::ZERO),
            filled(n, bf16::ZERO),
            filled(n, 7i32),
            filled(n, 7u8),
            filled(n, 7.0f64),
            filled(n, 7i32),
            int(n),
        ];
        let args = run(&module, "convert_f32", args, Launch::programs(cdiv(n, BLOCK)));
        let case = format!("convert_f32 n={n}");
        // Rust's `as` saturates and maps NaN to 0, and half's conversions round to nearest
        // even: exactly the language's rules.
        let want_h: Vec<f16> = x.iter().map(|&v| f16::from_f32(v)).collect();
        let want_b: Vec<bf16> = x.iter().map(|&v| bf16::from_f32(v)).collect();
        let want_wide: Vec<f64> = x.iter().map(|&v| v as f64).collect();
        assert_same_floats(&format!("{case} f16"), &out::<f16>(&args, 1), &want_h, |v| {
            v.to_bits() as u64
        });
        assert_same_floats(&format!("{case} bf16"), &out::<bf16>(&args, 2), &want_b, |v| {
            v.to_bits() as u64
        });
        assert_exact(
            &format!("{case} i32"),
            &out::<i32>(&args, 3),
            &x.iter().map(|&v| v as i32).collect::<Vec<_>>(),
        );
        assert_exact(
            &format!("{case} u8"),
            &out::<u8>(&args, 4),
            &x.iter().map(|&v| v as u8).collect::<Vec<_>>(),
        );
        assert_same_floats(&format!("{case} f64"), &out::<f64>(&args, 5), &want_wide, f64::to_bits);
        let truth: Vec<i32> = x.iter().map(|&v| (v != 0.0) as i32).collect();
        assert_exact(&format!("{case} bool"), &out::<i32>(&args, 6), &truth);
    }
}

/// i32 -> bf16 rounded once to nearest even. (`bf16::from_f64` goes through f32 and
/// double-rounds, e.g. 2^24 + 2^16 + 1 to 2^24 instead of 2^24 + 2^17.)
fn i32_to_bf16(v: i32) -> bf16 {
    // i32 is exact in f64; round f64's 52 fraction bits to bf16's 7 in place. The result
    // is a normal bf16 (|v| <= 2^31), so the final conversion is exact.
    const DROPPED: u32 = 52 - 7;
    let bits = (v as f64).to_bits();
    let lsb = (bits >> DROPPED) & 1;
    let rounded = (bits + (1 << (DROPPED - 1)) - 1 + lsb) & !((1u64 << DROPPED) - 1);
    bf16::from_f64(f64::from_bits(rounded))
}

#[test]
fn convert_i32() {
    const BLOCK: usize = 32;
    let module = compile_corpus("casts.tsr", &[("BLOCK", BLOCK as i64)]);
    let mut rng = Rng::new(0xca58);
    // 16842753 = 2^24 + 2^16 + 1 rounds to bf16 2^24 + 2^17 directly, but to 2^24 by way
    // of f32 (double rounding); 65520 is the first integer that rounds to f16 infinity.
    let special =
        [0, 1, -1, 3, 2049, 65504, 65519, 65520, 16_777_217, 16_842_753, i32::MAX, i32::MIN];
    for n in sizes(BLOCK) {
        let mut x: Vec<i32> = special.to_vec();
        x.extend(rng.i32s(n, i32::MIN, i32::MAX));
        x.truncate(n);
        let args =
            vec![buf(&x), filled(n, f32::NAN), filled(n, f16::NAN), filled(n, bf16::NAN), int(n)];
        let args = run(&module, "convert_i32", args, Launch::programs(cdiv(n, BLOCK)));
        let case = format!("convert_i32 n={n}");
        // |v| < 2^24 converts to f32 exactly, so from_f32 rounds once; larger values
        // overflow f16 to infinity by either route.
        let want_h: Vec<f16> = x.iter().map(|&v| f16::from_f32(v as f32)).collect();
        let want_f: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let want_b: Vec<bf16> = x.iter().map(|&v| i32_to_bf16(v)).collect();
        assert_same_floats(&format!("{case} f32"), &out::<f32>(&args, 1), &want_f, |v| {
            v.to_bits() as u64
        });
        assert_same_floats(&format!("{case} f16"), &out::<f16>(&args, 2), &want_h, |v| {
            v.to_bits() as u64
        });
        assert_same_floats(&format!("{case} bf16"), &out::<bf16>(&args, 3), &want_b, |v| {
            v.to_bits() as u64
        });
    }
}

#[test]
fn convert_half() {
    const BLOCK: usize = 32;
    let module = compile_corpus("casts.tsr", &[("BLOCK", BLOCK as i64)]);
    let mut rng = Rng::new(0xca59);
    for n in sizes(BLOCK) {
        // Random bit patterns cover subnormals, infinities and NaNs of both formats.
        let h: Vec<f16> = rng.u32s(n).into_iter().map(|b| f16::from_bits(b as u16)).collect();
        let b: Vec<bf16> = rng.u32s(n).into_iter().map(|b| bf16::from_bits(b as u16)).collect();
        let args = vec![
            buf(&h),
            buf(&b),
            filled(n, bf16::ZERO),
            filled(n, f16::ZERO),
            filled(n, 7i32),
            int(n),
        ];
        let args = run(&module, "convert_half", args, Launch::programs(cdiv(n, BLOCK)));
        let case = format!("convert_half n={n}");
        // Widening to f32 is exact, so each narrowing below rounds once.
        let want_hb: Vec<bf16> = h.iter().map(|&v| bf16::from_f32(v.to_f32())).collect();
        let want_bh: Vec<f16> = b.iter().map(|&v| f16::from_f32(v.to_f32())).collect();
        let want_hi: Vec<i32> = h.iter().map(|&v| v.to_f32() as i32).collect();
        assert_same_floats(&format!("{case} f16->bf16"), &out::<bf16>(&args, 2), &want_hb, |v| {
            v.to_bits() as u64
        });
        assert_same_floats(&format!("{case} bf16->f16"), &out::<f16>(&args, 3), &want_bh, |v| {
            v.to_bits() as u64
        });
        assert_exact(&format!("{case} f16->i32"), &out::<i32>(&args, 4), &want_hi);
    }
}
