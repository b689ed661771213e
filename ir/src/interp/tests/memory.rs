//! Loads, stores and atomics: masks and `other`, bounds errors, lane order, and
//! visibility of stores across programs.

use super::*;
use crate::interp::MemAccess;
use crate::ops::AtomicOp;

/// `k(x: *f32, out: *f32)`: `out[i] = load(x + i, mask: i < limit, other)` for
/// `i < n`.
fn masked_copy(
    x: Vec<f32>,
    n: u32,
    limit: i32,
    other: Option<f64>,
) -> Result<Vec<f64>, InterpError> {
    let mut b =
        Builder::kernel("masked", &[("x", ptr(ScalarType::F32)), ("out", ptr(ScalarType::F32))]);
    let offsets = b.arange(0, i64::from(n));
    let limit = b.i32(limit);
    let limit = b.splat(limit, &[n]);
    let mask = b.cmp(CmpPred::Lt, offsets, limit);
    let other = other.map(|o| {
        let o = b.float(o, ScalarType::F32);
        b.splat(o, &[n])
    });
    let src = b.offset(b.param(0), offsets);
    let v = b.load(src, Some(mask), other);
    let dst = b.offset(b.param(1), offsets);
    b.store(dst, v, None);
    let args = vec![
        KernelArg::Buffer(x.into()),
        KernelArg::Buffer(Buffer::zeros(ScalarType::F32, n as usize)),
    ];
    Ok(buffer_arg(&launch(&b.finish(), args, [1, 1, 1])?, 1).to_f64_vec())
}

#[test]
fn masked_lanes_read_other_or_zero_and_never_touch_memory() {
    // `x` has 5 elements; lanes 5..8 would be out of bounds but are masked off.
    let x = vec![1.0, 2.0, 3.0, 4.0, 5.0];
    assert_eq!(
        masked_copy(x.clone(), 8, 5, Some(-1.0)).unwrap(),
        vec![1.0, 2.0, 3.0, 4.0, 5.0, -1.0, -1.0, -1.0]
    );
    assert_eq!(
        masked_copy(x.clone(), 8, 5, None).unwrap(),
        vec![1.0, 2.0, 3.0, 4.0, 5.0, 0.0, 0.0, 0.0]
    );
    let infinity = masked_copy(x, 6, 0, Some(f64::NEG_INFINITY)).unwrap();
    assert_eq!(infinity, vec![f64::NEG_INFINITY; 6]);
}

#[test]
fn out_of_bounds_load_names_the_line_the_buffer_and_the_index() {
    let err = masked_copy(vec![1.0, 2.0, 3.0, 4.0], 8, 6, None).unwrap_err();
    // The load is instruction 6 (line 7) of the kernel.
    assert_eq!(
        err,
        InterpError::OutOfBounds {
            kernel: "masked".into(),
            line: 7,
            col: 5,
            access: MemAccess::Load,
            param: "x".into(),
            index: 4,
            len: 4,
            program: [0, 0, 0],
        }
    );
    let want = "kernel 'masked', line 7:5: load out of bounds: x[4] (buffer has 4 elements) \
                in program (0, 0, 0)";
    assert_eq!(err.to_string(), want);
}

/// `k(x: *i32)`: `store(x + offsets, values)` (and optionally an atomic instead),
/// on a grid of `programs`.
fn store_at(offsets: Vec<i32>, values: Vec<i32>, len: usize) -> Result<Vec<i32>, InterpError> {
    let n = offsets.len() as u32;
    let mut b = Builder::kernel(
        "st",
        &[("x", ptr(ScalarType::I32)), ("o", ptr(ScalarType::I32)), ("v", ptr(ScalarType::I32))],
    );
    let lanes = b.arange(0, i64::from(n));
    let o_ptr = b.offset(b.param(1), lanes);
    let o = b.load(o_ptr, None, None);
    let v_ptr = b.offset(b.param(2), lanes);
    let v = b.load(v_ptr, None, None);
    let dst = b.offset(b.param(0), o);
    b.store(dst, v, None);
    let args = vec![
        KernelArg::Buffer(Buffer::zeros(ScalarType::I32, len)),
        KernelArg::Buffer(offsets.into()),
        KernelArg::Buffer(values.into()),
    ];
    match buffer_arg(&launch(&b.finish(), args, [1, 1, 1])?, 0) {
        Buffer::I32(v) => Ok(v),
        other => panic!("{other:?}"),
    }
}

#[test]
fn aliasing_store_lanes_take_effect_in_lane_order() {
    assert_eq!(store_at(vec![0, 0, 0, 1], vec![7, 8, 9, 5], 2).unwrap(), vec![9, 5]);
}

#[test]
fn out_of_bounds_store_reports_a_negative_index() {
    let err = store_at(vec![0, -1], vec![1, 2], 4).unwrap_err();
    let InterpError::OutOfBounds { access, index, len, param, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!((*access, *index, *len, param.as_str()), (MemAccess::Store, -1, 4, "x"));
}

/// `atomic(op, x + offsets, values, mask: lanes < active)`; returns (old, x after).
fn atomic(
    op: AtomicOp,
    x: Vec<f32>,
    offsets: Vec<i32>,
    values: Vec<f32>,
    active: i32,
) -> (Vec<f64>, Vec<f64>) {
    let n = offsets.len() as u32;
    let params = [
        ("x", ptr(ScalarType::F32)),
        ("o", ptr(ScalarType::I32)),
        ("v", ptr(ScalarType::F32)),
        ("old", ptr(ScalarType::F32)),
    ];
    let mut b = Builder::kernel("at", &params);
    let lanes = b.arange(0, i64::from(n));
    let o_ptr = b.offset(b.param(1), lanes);
    let o = b.load(o_ptr, None, None);
    let v_ptr = b.offset(b.param(2), lanes);
    let v = b.load(v_ptr, None, None);
    let limit = b.i32(active);
    let limit = b.splat(limit, &[n]);
    let mask = b.cmp(CmpPred::Lt, lanes, limit);
    let dst = b.offset(b.param(0), o);
    let ty = b.ty(v);
    let old = b.op(Op::Atomic { op, ptr: dst, value: v, mask: Some(mask) }, ty);
    let old_ptr = b.offset(b.param(3), lanes);
    b.store(old_ptr, old, None);
    let args = vec![
        KernelArg::Buffer(x.into()),
        KernelArg::Buffer(offsets.into()),
        KernelArg::Buffer(values.into()),
        KernelArg::Buffer(Buffer::zeros(ScalarType::F32, n as usize)),
    ];
    let args = launch(&b.finish(), args, [1, 1, 1]).expect("launch succeeds");
    (buffer_arg(&args, 3).to_f64_vec(), buffer_arg(&args, 0).to_f64_vec())
}

#[test]
fn atomics_run_in_lane_order_and_return_old_values() {
    let (old, x) = atomic(
        AtomicOp::Add,
        vec![0.0, 100.0],
        vec![0, 0, 0, 1, 0],
        vec![1.0, 2.0, 3.0, 4.0, 5.0],
        4,
    );
    assert_eq!(old, vec![0.0, 1.0, 3.0, 100.0, 0.0], "the masked lane returns 0");
    assert_eq!(x, vec![6.0, 104.0]);
    let (old, x) = atomic(AtomicOp::Max, vec![1.0], vec![0, 0, 0], vec![0.5, 3.0, 2.0], 3);
    assert_eq!(old, vec![1.0, 1.0, 3.0]);
    assert_eq!(x, vec![3.0]);
    let (_, x) = atomic(AtomicOp::Max, vec![1.0], vec![0, 0], vec![f32::NAN, 2.0], 2);
    assert!(x[0].is_nan(), "atomic_max propagates NaN like maximum");
}

#[test]
fn stores_are_visible_to_later_programs() {
    // Program i computes x[i + 1] = x[i] + 1; sequential programs build 0, 1, 2, ….
    let mut b = Builder::kernel("chain", &[("x", ptr(ScalarType::I32))]);
    let pid = b.op(Op::ProgramId { axis: 0 }, Type::scalar(ScalarType::I32));
    let src = b.offset(b.param(0), pid);
    let value = b.load(src, None, None);
    let one = b.i32(1);
    let next = b.binary(BinaryOp::Add, value, one);
    let next_index = b.binary(BinaryOp::Add, pid, one);
    let dst = b.offset(b.param(0), next_index);
    b.store(dst, next, None);
    let args =
        launch(&b.finish(), vec![KernelArg::Buffer(Buffer::zeros(ScalarType::I32, 6))], [5, 1, 1])
            .unwrap();
    assert_eq!(buffer_arg(&args, 0), Buffer::I32(vec![0, 1, 2, 3, 4, 5]));
}

#[test]
fn pointers_can_be_selected_between_buffers() {
    let params =
        [("a", ptr(ScalarType::I32)), ("b", ptr(ScalarType::I32)), ("out", ptr(ScalarType::I32))];
    let mut b = Builder::kernel("pick", &params);
    let lanes = b.arange(0, 4);
    let two = b.i32(2);
    let two = b.splat(two, &[4]);
    let first_half = b.cmp(CmpPred::Lt, lanes, two);
    let pa = b.offset(b.param(0), lanes);
    let pb = b.offset(b.param(1), lanes);
    let ty = b.ty(pa);
    let chosen = b.op(Op::Select { cond: first_half, on_true: pa, on_false: pb }, ty);
    let v = b.load(chosen, None, None);
    let out = b.offset(b.param(2), lanes);
    b.store(out, v, None);
    let args = vec![
        KernelArg::Buffer(vec![1, 2, 3, 4].into()),
        KernelArg::Buffer(vec![10, 20, 30, 40].into()),
        KernelArg::Buffer(Buffer::zeros(ScalarType::I32, 4)),
    ];
    let args = launch(&b.finish(), args, [1, 1, 1]).unwrap();
    assert_eq!(buffer_arg(&args, 2), Buffer::I32(vec![1, 2, 30, 40]));
}
