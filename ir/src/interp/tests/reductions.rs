//! Reductions, `cumsum` and `dot`: accumulation order and type, NaN and signed zeros,
//! first-index rules, axes of 2-D tiles.

use half::f16;

use super::*;
use crate::ops::{ReduceOp, ScanOp};

/// Loads `input` as a tile of `shape`, applies `body`, and returns the result
/// flattened (row-major).
fn on_shaped(
    input: impl Into<Buffer>,
    shape: &[u32],
    body: impl FnOnce(&mut Builder, Value) -> Value,
) -> Buffer {
    let input = input.into();
    let n = input.len();
    let mut b = Builder::kernel("k", &[("x", ptr(input.dtype())), ("out", ptr(ScalarType::Bool))]);
    let offsets = b.arange(0, n as i64);
    let p = b.offset(b.param(0), offsets);
    let flat = b.load(p, None, None);
    let shaped = b.reshape(flat, shape);
    let result = body(&mut b, shaped);
    let result_ty = b.ty(result);
    let m = result_ty.num_elements() as u32;
    let dtype = result_ty.scalar_type().expect("scalar result");
    let out_param = b.param(1);
    b.func.values[out_param].ty = ptr(dtype);
    let flat_result = b.reshape(result, &[m]);
    let out_offsets = b.arange(0, i64::from(m));
    let out = b.offset(b.param(1), out_offsets);
    b.store(out, flat_result, None);
    let args = vec![KernelArg::Buffer(input), KernelArg::Buffer(Buffer::zeros(dtype, m as usize))];
    buffer_arg(&launch(&b.finish(), args, [1, 1, 1]).expect("launch succeeds"), 1)
}

fn reduce(op: ReduceOp, input: impl Into<Buffer>, shape: &[u32], axis: u32) -> Buffer {
    on_shaped(input, shape, |b, x| {
        let ty = b.ty(x);
        let mut result_shape = ty.shape.clone();
        result_shape.remove(axis as usize);
        let dtype = match op {
            ReduceOp::ArgMax | ReduceOp::ArgMin => ScalarType::I32,
            ReduceOp::Sum | ReduceOp::Max | ReduceOp::Min => ty.scalar_type().expect("scalar"),
        };
        b.op(Op::Reduce { op, arg: x, axis }, Type::tile(result_shape, dtype))
    })
}

fn reduce_1d(op: ReduceOp, input: impl Into<Buffer>) -> Buffer {
    let input = input.into();
    let n = input.len() as u32;
    reduce(op, input, &[n], 0)
}

fn halves(values: &[f32]) -> Vec<f16> {
    values.iter().map(|&x| f16::from_f32(x)).collect()
}

#[test]
fn f16_sum_accumulates_in_f32() {
    // In f16, 2048 + 1 rounds back to 2048 every time; in f32 the ones add up.
    let sum = reduce_1d(ReduceOp::Sum, halves(&[2048.0, 1.0, 1.0]));
    assert_eq!(sum, Buffer::F16(halves(&[2050.0])));
    let sum = reduce_1d(ReduceOp::Sum, halves(&[2048.0, 1.0]));
    assert_eq!(sum, Buffer::F16(halves(&[2048.0])), "2049 ties to even once at the end");
}

#[test]
fn float_sum_keeps_sixteen_partials_and_halves() {
    let negative_zero = reduce_1d(ReduceOp::Sum, vec![-0.0f32]);
    assert_eq!(bits32(&negative_zero), f32_bits(&[-0.0]));
    assert_eq!(bits32(&reduce_1d(ReduceOp::Sum, vec![-0.0f32; 40])), f32_bits(&[-0.0]));
    // 2^24 then fifteen 1s: a sequential fold rounds every 1 away (ties to even), the
    // language's order (partials p0 = 2^24, p1..p15 = 1) gives, by hand:
    // w=8: p0 = 2^24 + 1 -> 2^24, p1..p7 = 2; w=4: p0 = 2^24 + 2, p1..p3 = 4;
    // w=2: p0 = 2^24 + 6, p1 = 8; w=1: p0 = 2^24 + 14.
    let mut xs = vec![16_777_216.0f32];
    xs.extend([1.0f32; 15]);
    assert_eq!(reduce_1d(ReduceOp::Sum, xs), Buffer::F32(vec![16_777_230.0]));
    assert_eq!(reduce_1d(ReduceOp::Sum, vec![i32::MAX, 1, 1]), Buffer::I32(vec![i32::MIN + 1]));
    assert_eq!(reduce_1d(ReduceOp::Sum, vec![200u8, 100]), Buffer::U8(vec![44]));
}

#[test]
fn max_and_min_reductions_propagate_nan_and_order_zeros() {
    let max = reduce_1d(ReduceOp::Max, vec![1.0f32, f32::NAN, 5.0]).to_f64_vec();
    assert!(max[0].is_nan());
    assert_eq!(bits32(&reduce_1d(ReduceOp::Max, vec![-0.0f32, 0.0])), f32_bits(&[0.0]));
    assert_eq!(bits32(&reduce_1d(ReduceOp::Max, vec![0.0f32, -0.0])), f32_bits(&[0.0]));
    assert_eq!(bits32(&reduce_1d(ReduceOp::Min, vec![0.0f32, -0.0])), f32_bits(&[-0.0]));
    assert_eq!(reduce_1d(ReduceOp::Min, vec![3i64, -9, 4]), Buffer::I64(vec![-9]));
    assert_eq!(reduce_1d(ReduceOp::Max, vec![3u16, 60000, 4]), Buffer::U16(vec![60000]));
    assert_eq!(reduce_1d(ReduceOp::Max, vec![false, true]), Buffer::Bool(vec![true]));
}

#[test]
fn argmax_and_argmin_take_the_first_extreme_with_nan_extreme() {
    assert_eq!(reduce_1d(ReduceOp::ArgMax, vec![1.0f32, 3.0, 3.0, 2.0]), Buffer::I32(vec![1]));
    assert_eq!(reduce_1d(ReduceOp::ArgMin, vec![1.0f32, 0.5, 0.5]), Buffer::I32(vec![1]));
    assert_eq!(
        reduce_1d(ReduceOp::ArgMax, vec![1.0f32, f32::NAN, 5.0, f32::NAN]),
        Buffer::I32(vec![1])
    );
    assert_eq!(reduce_1d(ReduceOp::ArgMin, vec![2.0f64, -1.0, f64::NAN]), Buffer::I32(vec![2]));
    assert_eq!(reduce_1d(ReduceOp::ArgMax, vec![-0.0f32, 0.0]), Buffer::I32(vec![1]));
    assert_eq!(reduce_1d(ReduceOp::ArgMin, vec![0.0f32, -0.0]), Buffer::I32(vec![1]));
    assert_eq!(reduce_1d(ReduceOp::ArgMax, vec![-0.0f32, -0.0]), Buffer::I32(vec![0]));
    assert_eq!(reduce_1d(ReduceOp::ArgMax, vec![7i8, 9, 9]), Buffer::I32(vec![1]));
    assert_eq!(reduce_1d(ReduceOp::ArgMin, vec![7u32, 2, 2]), Buffer::I32(vec![1]));
    assert_eq!(reduce_1d(ReduceOp::ArgMax, vec![false, true, true]), Buffer::I32(vec![1]));
    assert_eq!(reduce_1d(ReduceOp::ArgMin, vec![true, false, false]), Buffer::I32(vec![1]));
}

#[test]
fn reductions_over_either_axis_of_a_2d_tile() {
    let m = vec![1i32, 2, 3, 4, 5, 6];
    assert_eq!(reduce(ReduceOp::Sum, m.clone(), &[2, 3], 0), Buffer::I32(vec![5, 7, 9]));
    assert_eq!(reduce(ReduceOp::Sum, m.clone(), &[2, 3], 1), Buffer::I32(vec![6, 15]));
    assert_eq!(
        reduce(ReduceOp::ArgMax, vec![1.0f32, 9.0, 3.0, 4.0, 5.0, 6.0], &[2, 3], 0),
        Buffer::I32(vec![1, 0, 1])
    );
    assert_eq!(reduce(ReduceOp::Max, m.clone(), &[3, 2], 1), Buffer::I32(vec![2, 4, 6]));
    let cube: Vec<i32> = (0..24).collect();
    let middle = reduce(ReduceOp::Sum, cube, &[2, 3, 4], 1);
    let want: Vec<i32> = (0..2)
        .flat_map(|o| (0..4).map(move |i| (0..3).map(|k| o * 12 + k * 4 + i).sum()))
        .collect();
    assert_eq!(middle, Buffer::I32(want));
}

fn cumsum(input: impl Into<Buffer>, shape: &[u32], axis: u32) -> Buffer {
    on_shaped(input, shape, |b, x| {
        let ty = b.ty(x);
        b.op(Op::Scan { op: ScanOp::Cumsum, arg: x, axis }, ty)
    })
}

#[test]
fn cumsum_rounds_each_output_of_an_f32_accumulator() {
    let got = cumsum(halves(&[2048.0, 1.0, 1.0, 1.0]), &[4], 0);
    assert_eq!(got, Buffer::F16(halves(&[2048.0, 2048.0, 2050.0, 2052.0])));
    assert_eq!(cumsum(vec![1i32, 2, 3, 4, 5, 6], &[2, 3], 1), Buffer::I32(vec![1, 3, 6, 4, 9, 15]));
    assert_eq!(cumsum(vec![1i32, 2, 3, 4, 5, 6], &[2, 3], 0), Buffer::I32(vec![1, 2, 3, 5, 7, 9]));
    assert_eq!(cumsum(vec![i8::MAX, 1], &[2], 0), Buffer::I8(vec![i8::MAX, i8::MIN]));
    assert_eq!(bits32(&cumsum(vec![-0.0f32, -0.0], &[2], 0)), f32_bits(&[-0.0, -0.0]));
}

/// `dot(a, b, acc)` with `a: [m, k]`, `b: [k, n]` passed flat in one buffer each.
fn dot(
    a: impl Into<Buffer>,
    b: impl Into<Buffer>,
    acc: impl Into<Buffer>,
    [m, k, n]: [u32; 3],
) -> Buffer {
    let (a, b_in, acc) = (a.into(), b.into(), acc.into());
    let acc_dtype = acc.dtype();
    map_tiles(vec![acc, a, b_in], acc_dtype, |b, x| {
        let acc = b.reshape(x[0], &[m, n]);
        let lhs = b.reshape(x[1], &[m, k]);
        let rhs = b.reshape(x[2], &[k, n]);
        let ty = b.ty(acc);
        let product = b.op(Op::Dot { a: lhs, b: rhs, acc }, ty);
        b.reshape(product, &[m * n])
    })
}

#[test]
fn dot_accumulates_k_ascending_without_fma() {
    // (1e8 + 1) rounds back to 1e8 in f32, so the exact answer 1 is lost.
    let got = dot(vec![1e8f32, 1.0, -1e8], vec![1.0f32, 1.0, 1.0], vec![0.0f32], [1, 3, 1]);
    assert_eq!(got, Buffer::F32(vec![0.0]));
    // No fused multiply-add: 0.1 * 10 rounds before adding -1.
    let fma = dot(vec![0.1f32, 1.0], vec![10.0f32, -1.0], vec![0.0f32], [1, 2, 1]);
    let want = 0.0f32 + 0.1f32 * 10.0 + -1.0;
    assert_eq!(fma, Buffer::F32(vec![want]));
    assert_ne!(want, 0.1f32.mul_add(10.0, -1.0));
}

#[test]
fn dot_multiplies_matrices_with_an_accumulator() {
    let a = vec![1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0];
    let b = vec![7.0f64, 8.0, 9.0, 10.0, 11.0, 12.0];
    let got = dot(a, b, vec![0.5f64, 0.0, 0.0, -0.5], [2, 3, 2]);
    assert_eq!(got, Buffer::F64(vec![58.5, 64.0, 139.0, 153.5]));
    let halves_a = halves(&[1.0, 2.0, 3.0, 4.0]);
    let halves_b = halves(&[0.5, -1.0, 2.0, 0.25]);
    let got = dot(halves_a, halves_b, vec![0.0f32; 4], [2, 2, 2]);
    assert_eq!(got, Buffer::F32(vec![4.5, -0.5, 9.5, -2.0]));
}

#[test]
fn int8_dot_accumulates_in_i32_wrapping() {
    let got = dot(vec![127i8, 127, -128], vec![127i8, 127, -128], vec![5i32], [1, 3, 1]);
    assert_eq!(got, Buffer::I32(vec![5 + 127 * 127 * 2 + 128 * 128]));
    let wraps = dot(vec![127i8], vec![127i8], vec![i32::MAX], [1, 1, 1]);
    assert_eq!(wraps, Buffer::I32(vec![i32::MAX.wrapping_add(127 * 127)]));
}
