//! Casts: saturation, NaN, nearest-even rounding (once), integer extension, bool.

use half::{bf16, f16};

use super::*;

fn cast(input: impl Into<Buffer>, dtype: ScalarType) -> Buffer {
    map_tiles(vec![input.into()], dtype, |b, x| b.cast(x[0], dtype))
}

#[test]
fn float_to_int_truncates_and_saturates_with_nan_to_zero() {
    let input = vec![1e10f32, -1e10, f32::NAN, -1.9, 1.9, f32::INFINITY];
    assert_eq!(
        cast(input, ScalarType::I32),
        Buffer::I32(vec![i32::MAX, i32::MIN, 0, -1, 1, i32::MAX])
    );
    assert_eq!(cast(vec![-5.0f32, 300.0, 255.9], ScalarType::U8), Buffer::U8(vec![0, 255, 255]));
    assert_eq!(cast(vec![f16::from_f32(-3.5)], ScalarType::I8), Buffer::I8(vec![-3]));
    assert_eq!(cast(vec![f64::NAN, 1e300], ScalarType::U64), Buffer::U64(vec![0, u64::MAX]));
}

#[test]
fn int_to_float_rounds_to_nearest_even() {
    let input = vec![16_777_217i32, 16_777_219, -16_777_217];
    assert_eq!(
        cast(input, ScalarType::F32),
        Buffer::F32(vec![16_777_216.0, 16_777_220.0, -16_777_216.0])
    );
    let f16s = cast(vec![2049i64, 2051, 70_000, -65_519], ScalarType::F16);
    let want = [2048.0f32, 2052.0, f32::INFINITY, -65504.0].map(f16::from_f32);
    assert_eq!(f16s, Buffer::F16(want.to_vec()));
    assert_eq!(
        cast(vec![u64::MAX], ScalarType::F64),
        Buffer::F64(vec![18_446_744_073_709_551_616.0])
    );
    // Rounding u64 → f32 first would make this a tie (and round down to even).
    let x = (1u64 << 24) + (1 << 16) + 1;
    assert_eq!(cast(vec![x], ScalarType::BF16), Buffer::BF16(vec![bf16::from_f32(16_908_288.0)]));
}

#[test]
fn float_to_float_rounds_once() {
    let above_tie = 1.0 + 2f64.powi(-11) + 2f64.powi(-40);
    let got = cast(vec![above_tie, 1.0 + 2f64.powi(-11), 1e6], ScalarType::F16);
    let want = [1.0 + 2f32.powi(-10), 1.0, f32::INFINITY].map(f16::from_f32);
    assert_eq!(got, Buffer::F16(want.to_vec()));
    let bf = cast(vec![1.0f32 + 2f32.powi(-8), 1.0 + 3.0 * 2f32.powi(-8)], ScalarType::BF16);
    assert_eq!(bf, Buffer::BF16(vec![bf16::ONE, bf16::from_f32(1.0 + 2f32.powi(-6))]));
    let widened = cast(vec![f16::from_f32(0.1)], ScalarType::F64);
    assert_eq!(widened, Buffer::F64(vec![f16::from_f32(0.1).to_f64()]));
    let f16_to_bf16 = cast(vec![f16::from_f32(1.0 + 2f32.powi(-10))], ScalarType::BF16);
    assert_eq!(f16_to_bf16, Buffer::BF16(vec![bf16::ONE]));
}

#[test]
fn int_to_int_extends_by_source_signedness() {
    assert_eq!(cast(vec![-1i32, 256, 511], ScalarType::U8), Buffer::U8(vec![255, 0, 255]));
    assert_eq!(cast(vec![255u8], ScalarType::I32), Buffer::I32(vec![255]));
    assert_eq!(cast(vec![-1i8], ScalarType::U32), Buffer::U32(vec![u32::MAX]));
    assert_eq!(cast(vec![0xFFFFu16], ScalarType::I8), Buffer::I8(vec![-1]));
    assert_eq!(cast(vec![u64::MAX], ScalarType::I64), Buffer::I64(vec![-1]));
}

#[test]
fn bool_casts() {
    assert_eq!(cast(vec![true, false], ScalarType::F32), Buffer::F32(vec![1.0, 0.0]));
    assert_eq!(cast(vec![true, false], ScalarType::I64), Buffer::I64(vec![1, 0]));
    let floats = vec![f32::NAN, -0.0, 0.0, 0.5, f32::NEG_INFINITY];
    assert_eq!(cast(floats, ScalarType::Bool), Buffer::Bool(vec![true, false, false, true, true]));
    assert_eq!(cast(vec![0i8, -1, 2], ScalarType::Bool), Buffer::Bool(vec![false, true, true]));
}

#[test]
fn every_pair_of_types_casts() {
    for from in ScalarType::ALL {
        for to in ScalarType::ALL {
            let input = Buffer::from_f64(from, &[0.0, 1.0, 2.0]);
            let got = cast(input.clone(), to).to_f64_vec();
            let want: Vec<f64> = input
                .to_f64_vec()
                .iter()
                .map(|&x| if to.is_bool() { f64::from(u8::from(x != 0.0)) } else { x })
                .collect();
            assert_eq!(got, want, "{from} -> {to}");
        }
    }
}

#[test]
fn constants_convert_with_the_cast_rules() {
    let out = map_tiles(vec![vec![0u8].into()], ScalarType::F16, |b, _| {
        let c = b.float(1.0 + 2f64.powi(-11) + 2f64.powi(-40), ScalarType::F16);
        b.splat(c, &[1])
    });
    assert_eq!(out, Buffer::F16(vec![f16::from_f32(1.0 + 2f32.powi(-10))]));
    let raw_bits = map_tiles(vec![vec![0u8].into()], ScalarType::U64, |b, _| {
        let c = b.int(-1, ScalarType::U64);
        b.splat(c, &[1])
    });
    assert_eq!(raw_bits, Buffer::U64(vec![u64::MAX]));
    let int_as_float = map_tiles(vec![vec![0u8].into()], ScalarType::F32, |b, _| {
        let c = b.int(16_777_217, ScalarType::F32);
        b.splat(c, &[1])
    });
    assert_eq!(int_as_float, Buffer::F32(vec![16_777_216.0]));
}
