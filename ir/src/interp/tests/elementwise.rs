//! Elementwise ops: integer wrapping, RISC-V division, shifts, float rounding, NaN and
//! signed zeros, math functions, comparisons and select.

use half::{bf16, f16};

use super::*;
use crate::interp::float::{erf, f64_to_f16};

#[test]
fn integer_arithmetic_wraps() {
    let add = binary_on(BinaryOp::Add, vec![i32::MAX, -1, 5], vec![1, i32::MIN, -7]);
    assert_eq!(add, Buffer::I32(vec![i32::MIN, i32::MAX, -2]));
    let mul = binary_on(BinaryOp::Mul, vec![100i8, -128], vec![3i8, -1]);
    assert_eq!(mul, Buffer::I8(vec![100i8.wrapping_mul(3), -128]));
    let sub = binary_on(BinaryOp::Sub, vec![0u8, 200], vec![1u8, 100]);
    assert_eq!(sub, Buffer::U8(vec![255, 100]));
    let neg = unary_on(UnaryOp::Neg, vec![i64::MIN, 3]);
    assert_eq!(neg, Buffer::I64(vec![i64::MIN, -3]));
    let abs = unary_on(UnaryOp::Abs, vec![i16::MIN, -4, 4]);
    assert_eq!(abs, Buffer::I16(vec![i16::MIN, 4, 4]));
    assert_eq!(unary_on(UnaryOp::Neg, vec![1u32]), Buffer::U32(vec![u32::MAX]));
    assert_eq!(unary_on(UnaryOp::Not, vec![0u16, 0xF0F0]), Buffer::U16(vec![0xFFFF, 0x0F0F]));
}

#[test]
fn division_follows_riscv() {
    let lhs = vec![7, -7, 7, -7, 5, i32::MIN, i32::MIN, 0];
    let rhs = vec![2, 2, -2, -2, 0, -1, 0, 0];
    let div = binary_on(BinaryOp::Div, lhs.clone(), rhs.clone());
    assert_eq!(div, Buffer::I32(vec![3, -3, -3, 3, -1, i32::MIN, -1, -1]));
    let rem = binary_on(BinaryOp::Rem, lhs, rhs);
    assert_eq!(rem, Buffer::I32(vec![1, -1, 1, -1, 5, 0, i32::MIN, 0]));
    let udiv = binary_on(BinaryOp::Div, vec![9u32, 9], vec![0u32, 4]);
    assert_eq!(udiv, Buffer::U32(vec![u32::MAX, 2]));
    let urem = binary_on(BinaryOp::Rem, vec![9u64, 9], vec![0u64, 4]);
    assert_eq!(urem, Buffer::U64(vec![9, 1]));
    let i8_div = binary_on(BinaryOp::Div, vec![i8::MIN], vec![-1i8]);
    assert_eq!(i8_div, Buffer::I8(vec![i8::MIN]));
}

#[test]
fn shifts_take_the_amount_modulo_the_width() {
    let shl = binary_on(BinaryOp::Shl, vec![1i32, 1, 1, 3], vec![33, -1, 32, 2]);
    assert_eq!(shl, Buffer::I32(vec![2, i32::MIN, 1, 12]));
    let sar = binary_on(BinaryOp::Shr, vec![-8i32, -1, i32::MIN], vec![1, 31, 31]);
    assert_eq!(sar, Buffer::I32(vec![-4, -1, -1]));
    let shr = binary_on(BinaryOp::Shr, vec![0x8000_0000u32, 0x80], vec![31u32, 33]);
    assert_eq!(shr, Buffer::U32(vec![1, 0x40]));
    let u8_shift = binary_on(BinaryOp::Shr, vec![0x80u8, 0x80], vec![9u8, 7]);
    assert_eq!(u8_shift, Buffer::U8(vec![0x40, 1]));
    let i64_shift = binary_on(BinaryOp::Shl, vec![1i64], vec![65i64]);
    assert_eq!(i64_shift, Buffer::I64(vec![2]));
}

#[test]
fn bitwise_and_logical_ops() {
    let and = binary_on(BinaryOp::And, vec![0b1100u8], vec![0b1010u8]);
    assert_eq!(and, Buffer::U8(vec![0b1000]));
    let xor = binary_on(BinaryOp::Xor, vec![-1i32], vec![0x0F]);
    assert_eq!(xor, Buffer::I32(vec![!0x0F]));
    let a = vec![false, false, true, true];
    let b = vec![false, true, false, true];
    assert_eq!(
        binary_on(BinaryOp::And, a.clone(), b.clone()),
        Buffer::Bool(vec![false, false, false, true])
    );
    assert_eq!(
        binary_on(BinaryOp::Or, a.clone(), b.clone()),
        Buffer::Bool(vec![false, true, true, true])
    );
    assert_eq!(
        binary_on(BinaryOp::Xor, a.clone(), b.clone()),
        Buffer::Bool(vec![false, true, true, false])
    );
    assert_eq!(
        binary_on(BinaryOp::Max, a.clone(), b.clone()),
        Buffer::Bool(vec![false, true, true, true])
    );
    assert_eq!(
        binary_on(BinaryOp::Min, a.clone(), b),
        Buffer::Bool(vec![false, false, false, true])
    );
    assert_eq!(unary_on(UnaryOp::Not, a), Buffer::Bool(vec![true, true, false, false]));
}

#[test]
fn maximum_and_minimum_propagate_nan_and_order_zeros() {
    let lhs = vec![f32::NAN, 1.0, -0.0, 0.0, 2.0, -3.0];
    let rhs = vec![1.0, f32::NAN, 0.0, -0.0, 3.0, f32::NEG_INFINITY];
    let max = binary_on(BinaryOp::Max, lhs.clone(), rhs.clone()).to_f64_vec();
    assert!(max[0].is_nan() && max[1].is_nan());
    assert!(max[2] == 0.0 && max[2].is_sign_positive());
    assert!(max[3] == 0.0 && max[3].is_sign_positive());
    assert_eq!(&max[4..], &[3.0, -3.0]);
    let min = binary_on(BinaryOp::Min, lhs, rhs).to_f64_vec();
    assert!(min[0].is_nan() && min[1].is_nan());
    assert!(min[2] == 0.0 && min[2].is_sign_negative());
    assert!(min[3] == 0.0 && min[3].is_sign_negative());
    assert_eq!(&min[4..], &[2.0, f64::NEG_INFINITY]);
    let int_max = binary_on(BinaryOp::Max, vec![-5i32, 7], vec![3, 2]);
    assert_eq!(int_max, Buffer::I32(vec![3, 7]));
    let uint_max = binary_on(BinaryOp::Max, vec![u32::MAX], vec![1u32]);
    assert_eq!(uint_max, Buffer::U32(vec![u32::MAX]));
}

#[test]
fn f16_and_bf16_ops_round_once_from_f32() {
    let f = |x: f32| f16::from_f32(x);
    let ulp_half = 2f32.powi(-11);
    // 1 + 2^-11 is a tie between 1 and 1 + 2^-10: even wins.
    let add = binary_on(
        BinaryOp::Add,
        vec![f(1.0), f(1.0), f(1.0 + 2.0 * ulp_half)],
        vec![f(ulp_half), f(3.0 * ulp_half), f(ulp_half)],
    );
    assert_eq!(add, Buffer::F16(vec![f(1.0), f(1.0 + 4.0 * ulp_half), f(1.0 + 4.0 * ulp_half)]));
    let overflow = binary_on(BinaryOp::Mul, vec![f(300.0)], vec![f(300.0)]);
    assert_eq!(overflow, Buffer::F16(vec![f16::INFINITY]));
    let div = binary_on(BinaryOp::Div, vec![f(1.0)], vec![f(3.0)]);
    assert_eq!(div, Buffer::F16(vec![f(1.0 / 3.0)]));
    let g = |x: f32| bf16::from_f32(x);
    let bf_add = binary_on(BinaryOp::Add, vec![g(1.0), g(256.0)], vec![g(2f32.powi(-8)), g(1.0)]);
    assert_eq!(bf_add, Buffer::BF16(vec![g(1.0), g(256.0)]));
}

#[test]
fn float_remainder_is_fmod() {
    let rem = binary_on(
        BinaryOp::Rem,
        vec![5.5f32, -5.5, 1.0, 3.0],
        vec![2.0f32, 2.0, 0.0, f32::INFINITY],
    );
    let rem = rem.to_f64_vec();
    assert_eq!(&rem[..2], &[1.5, -1.5]);
    assert!(rem[2].is_nan());
    assert_eq!(rem[3], 3.0);
    let rem64 = binary_on(BinaryOp::Rem, vec![-7.25f64], vec![2.0f64]);
    assert_eq!(rem64, Buffer::F64(vec![-1.25]));
}

/// Every math function on f32, against the f64 function rounded to f32.
#[test]
fn math_functions_compute_in_f64_and_round_once() {
    let inputs = vec![0.5f32, 1.0, 2.0, 0.1, 3.7, 100.0, -0.0];
    type MathFn = fn(f64) -> f64;
    let cases: [(UnaryOp, MathFn); 13] = [
        (UnaryOp::Exp, f64::exp),
        (UnaryOp::Exp2, f64::exp2),
        (UnaryOp::Log, f64::ln),
        (UnaryOp::Log2, f64::log2),
        (UnaryOp::Sqrt, f64::sqrt),
        (UnaryOp::Rsqrt, |x| 1.0 / x.sqrt()),
        (UnaryOp::Sin, f64::sin),
        (UnaryOp::Cos, f64::cos),
        (UnaryOp::Tanh, f64::tanh),
        (UnaryOp::Floor, f64::floor),
        (UnaryOp::Ceil, f64::ceil),
        (UnaryOp::Sigmoid, |x| 1.0 / (1.0 + (-x).exp())),
        (UnaryOp::Erf, erf),
    ];
    for (op, reference) in cases {
        let got = unary_on(op, inputs.clone());
        let want: Vec<f32> = inputs.iter().map(|&x| reference(f64::from(x)) as f32).collect();
        assert_eq!(bits32(&got), f32_bits(&want), "{}", op.name());
    }
    let neg = unary_on(UnaryOp::Neg, vec![0.0f32, -2.5, f32::INFINITY]);
    assert_eq!(bits32(&neg), f32_bits(&[-0.0, 2.5, f32::NEG_INFINITY]));
    let abs = unary_on(UnaryOp::Abs, vec![-0.0f32, -2.5, 3.0]);
    assert_eq!(bits32(&abs), f32_bits(&[0.0, 2.5, 3.0]));
    assert_eq!(unary_on(UnaryOp::Sqrt, vec![2.0f32]), Buffer::F32(vec![2f32.sqrt()]));
    assert_eq!(unary_on(UnaryOp::Rsqrt, vec![4.0f64]), Buffer::F64(vec![0.5]));
}

#[test]
fn math_functions_on_f16_round_directly_from_f64() {
    let inputs: Vec<f16> = [0.5f32, 1.0, 3.0, -2.0].iter().map(|&x| f16::from_f32(x)).collect();
    let got = unary_on(UnaryOp::Exp, inputs.clone());
    let want: Vec<f16> = inputs.iter().map(|x| f64_to_f16(x.to_f64().exp())).collect();
    assert_eq!(got, Buffer::F16(want));
    let erf_got = unary_on(UnaryOp::Erf, inputs.clone());
    let erf_want: Vec<f16> = inputs.iter().map(|x| f64_to_f16(erf(x.to_f64()))).collect();
    assert_eq!(erf_got, Buffer::F16(erf_want));
    assert_eq!(unary_on(UnaryOp::Sigmoid, vec![f16::ZERO]), Buffer::F16(vec![f16::from_f32(0.5)]));
}

#[test]
fn comparisons_follow_ieee_and_signedness() {
    let nan_cmp = |pred| {
        let lhs = vec![f32::NAN, -0.0, 1.0, 2.0];
        let rhs = vec![f32::NAN, 0.0, 2.0, 1.0];
        map_tiles(vec![lhs.into(), rhs.into()], ScalarType::Bool, |b, x| b.cmp(pred, x[0], x[1]))
    };
    assert_eq!(nan_cmp(CmpPred::Eq), Buffer::Bool(vec![false, true, false, false]));
    assert_eq!(nan_cmp(CmpPred::Ne), Buffer::Bool(vec![true, false, true, true]));
    assert_eq!(nan_cmp(CmpPred::Lt), Buffer::Bool(vec![false, false, true, false]));
    assert_eq!(nan_cmp(CmpPred::Le), Buffer::Bool(vec![false, true, true, false]));
    assert_eq!(nan_cmp(CmpPred::Gt), Buffer::Bool(vec![false, false, false, true]));
    assert_eq!(nan_cmp(CmpPred::Ge), Buffer::Bool(vec![false, true, false, true]));
    let unsigned =
        map_tiles(vec![vec![u32::MAX].into(), vec![1u32].into()], ScalarType::Bool, |b, x| {
            b.cmp(CmpPred::Gt, x[0], x[1])
        });
    assert_eq!(unsigned, Buffer::Bool(vec![true]));
    let signed =
        map_tiles(vec![vec![-1i32].into(), vec![1i32].into()], ScalarType::Bool, |b, x| {
            b.cmp(CmpPred::Gt, x[0], x[1])
        });
    assert_eq!(signed, Buffer::Bool(vec![false]));
    let bools = map_tiles(
        vec![vec![true, false].into(), vec![false, false].into()],
        ScalarType::Bool,
        |b, x| b.cmp(CmpPred::Gt, x[0], x[1]),
    );
    assert_eq!(bools, Buffer::Bool(vec![true, false]));
}

#[test]
fn select_picks_per_lane() {
    let inputs = vec![
        vec![true, false, true].into(),
        vec![1.0f64, 2.0, 3.0].into(),
        vec![-1.0f64, -2.0, -3.0].into(),
    ];
    let out = map_tiles(inputs, ScalarType::F64, |b, x| {
        let ty = b.ty(x[1]);
        b.op(Op::Select { cond: x[0], on_true: x[1], on_false: x[2] }, ty)
    });
    assert_eq!(out, Buffer::F64(vec![1.0, -2.0, 3.0]));
}

#[test]
fn undefined_ops_are_internal_errors_not_panics() {
    let err =
        try_map_tiles(vec![vec![true].into(), vec![true].into()], ScalarType::Bool, |b, x| {
            b.binary(BinaryOp::Add, x[0], x[1])
        })
        .unwrap_err();
    let InterpError::Internal { message, .. } = &err else { panic!("{err:?}") };
    assert!(message.contains("add is not defined on bool"), "{message}");
    let err =
        try_map_tiles(vec![vec![1i32].into()], ScalarType::I32, |b, x| b.unary(UnaryOp::Exp, x[0]))
            .unwrap_err();
    assert!(matches!(err, InterpError::Internal { .. }));
    let err =
        try_map_tiles(vec![vec![1.0f32].into(), vec![1i32].into()], ScalarType::F32, |b, x| {
            let ty = b.ty(x[0]);
            b.op(Op::Binary { op: BinaryOp::Add, lhs: x[0], rhs: x[1] }, ty)
        })
        .unwrap_err();
    assert!(err.to_string().contains("internal error"), "{err}");
}
