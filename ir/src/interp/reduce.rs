//! Reductions (`sum`, `max`, `min`, `argmax`, `argmin`), the inclusive scan `cumsum`,
//! and `dot`, with the evaluation orders docs/language.md fixes:
//!
//! - `sum` of integers wraps (any order gives the same result); a float `sum` keeps 16
//!   partial sums (element `k` into partial `k % 16`, each in index order) combined by
//!   a fixed pairwise tree ([`sum_float`]), in f32 for f16/bf16 with one rounding at
//!   the end; `cumsum` folds in index order and rounds every output.
//! - `max`/`min` propagate NaN and order `-0.0 < +0.0`; `argmax`/`argmin` return the
//!   first index of the extreme, in the same order, a NaN being the extreme (the first
//!   NaN wins), so `x[argmax(x)]` is `max(x)`.
//! - `dot` computes `acc[i, j] + Σ_k a[i, k] * b[k, j]` with `k` ascending, rounding
//!   each product and each sum in the accumulator type (no fused multiply-add).
//!
//! A reduction over an axis of length 0 gives 0 for `sum` and is an error otherwise.

use super::elem::{with_kind, Elem, Float, Int};
use super::float::{above, maximum, minimum};
use super::tile::{ensure, scalar_elem, split_axis, typed, OpResult, Operand, TileData};
use super::value::Buffer;
use crate::ops::{ReduceOp, ScanOp};
use crate::types::{ScalarType, Type};

/// The elements along the reduced axis for one output position.
type Lane<'a, T> = std::iter::Take<std::iter::StepBy<std::iter::Copied<std::slice::Iter<'a, T>>>>;

/// Where the reduced axis lies in the operand's row-major data.
#[derive(Clone, Copy)]
struct Axis {
    outer: usize,
    len: usize,
    inner: usize,
}

impl Axis {
    /// Calls `f` on each lane along the axis, in row-major order of the result.
    fn lanes<T: Copy, R>(
        self,
        data: &[T],
        mut f: impl FnMut(Lane<'_, T>) -> OpResult<R>,
    ) -> OpResult<Vec<R>> {
        let mut out = Vec::with_capacity(self.outer * self.inner);
        for o in 0..self.outer {
            for i in 0..self.inner {
                let start = o * self.len * self.inner + i;
                let rest = data.get(start..).unwrap_or(&[]);
                out.push(f(rest.iter().copied().step_by(self.inner.max(1)).take(self.len))?);
            }
        }
        Ok(out)
    }

    /// Row-major index of element `k` of lane (`o`, `i`).
    fn index(self, o: usize, k: usize, i: usize) -> usize {
        (o * self.len + k) * self.inner + i
    }
}

/// `reduce`: removes `axis`; `sum`/`max`/`min` keep the element type, `arg*` give i32.
pub(crate) fn reduce(
    op: ReduceOp,
    (arg, arg_ty): Operand<'_>,
    axis: u32,
    ty: &Type,
) -> OpResult<TileData> {
    let axis_geometry = check_axis(arg_ty, axis)?;
    let mut expected_shape = arg_ty.shape.clone();
    expected_shape.remove(axis as usize);
    let dtype = scalar_elem(arg_ty)?;
    let result_dtype = match op {
        ReduceOp::Sum | ReduceOp::Max | ReduceOp::Min => dtype,
        ReduceOp::ArgMax | ReduceOp::ArgMin => ScalarType::I32,
    };
    ensure(ty.shape == expected_shape && ty.scalar_type() == Some(result_dtype), || {
        format!("{} over axis {axis} of {arg_ty} cannot produce {ty}", op.name())
    })?;
    let buffer = arg.buffer()?;
    let result = with_kind!(dtype,
        bool => reduce_bool(op, axis_geometry, typed(buffer)?),
        int I => reduce_int::<I>(op, axis_geometry, typed(buffer)?),
        float F => reduce_float::<F>(op, axis_geometry, typed(buffer)?),
    )?;
    Ok(TileData::Scalars(result))
}

/// `scan`: inclusive prefix along `axis`, same type as the operand.
pub(crate) fn scan(
    op: ScanOp,
    (arg, arg_ty): Operand<'_>,
    axis: u32,
    ty: &Type,
) -> OpResult<TileData> {
    let geometry = check_axis(arg_ty, axis)?;
    ensure(arg_ty == ty, || format!("{} of {arg_ty} cannot produce {ty}", op.name()))?;
    let buffer = arg.buffer()?;
    let result = match op {
        ScanOp::Cumsum => with_kind!(buffer.dtype(),
            bool => Err("cumsum is not defined on bool".to_string()),
            int I => Ok(I::into_buffer(cumsum_int::<I>(geometry, typed(buffer)?)?)),
            float F => Ok(F::into_buffer(cumsum_float::<F>(geometry, typed(buffer)?)?)),
        )?,
    };
    Ok(TileData::Scalars(result))
}

fn check_axis(arg_ty: &Type, axis: u32) -> OpResult<Axis> {
    ensure((axis as usize) < arg_ty.rank(), || format!("axis {axis} out of range for {arg_ty}"))?;
    let (outer, len, inner) = split_axis(&arg_ty.shape, axis as usize);
    Ok(Axis { outer, len, inner })
}

fn empty_axis_error() -> String {
    "reduction over an axis of length 0".to_string()
}

fn reduce_bool(op: ReduceOp, axis: Axis, data: &[bool]) -> OpResult<Buffer> {
    let nonempty = |lane: &mut Lane<'_, bool>| lane.next().ok_or_else(empty_axis_error);
    Ok(match op {
        ReduceOp::Sum => return Err("sum is not defined on bool".to_string()),
        ReduceOp::Max => {
            Buffer::Bool(axis.lanes(data, |mut lane| Ok(nonempty(&mut lane)? | lane.any(|x| x)))?)
        }
        ReduceOp::Min => {
            Buffer::Bool(axis.lanes(data, |mut lane| Ok(nonempty(&mut lane)? & lane.all(|x| x)))?)
        }
        ReduceOp::ArgMax => {
            Buffer::I32(axis.lanes(data, |lane| first_extreme(lane, |x, best| x & !best))?)
        }
        ReduceOp::ArgMin => {
            Buffer::I32(axis.lanes(data, |lane| first_extreme(lane, |x, best| !x & best))?)
        }
    })
}

fn reduce_int<I: Int>(op: ReduceOp, axis: Axis, data: &[I]) -> OpResult<Buffer> {
    Ok(match op {
        ReduceOp::Sum => {
            I::into_buffer(axis.lanes(data, |lane| Ok(lane.fold(I::default(), I::add_wrap)))?)
        }
        ReduceOp::Max => {
            I::into_buffer(axis.lanes(data, |lane| lane.max().ok_or_else(empty_axis_error))?)
        }
        ReduceOp::Min => {
            I::into_buffer(axis.lanes(data, |lane| lane.min().ok_or_else(empty_axis_error))?)
        }
        ReduceOp::ArgMax => {
            Buffer::I32(axis.lanes(data, |lane| first_extreme(lane, |x, best| x > best))?)
        }
        ReduceOp::ArgMin => {
            Buffer::I32(axis.lanes(data, |lane| first_extreme(lane, |x, best| x < best))?)
        }
    })
}

fn reduce_float<F: Float>(op: ReduceOp, axis: Axis, data: &[F]) -> OpResult<Buffer> {
    let fold = |f: fn(F, F) -> F| {
        axis.lanes(data, move |mut lane| {
            let first = lane.next().ok_or_else(empty_axis_error)?;
            Ok(lane.fold(first, f))
        })
    };
    // NaN is the extreme: once `best` is NaN nothing replaces it.
    let arg = |better: fn(F, F) -> bool| {
        axis.lanes(data, move |lane| {
            first_extreme(lane, move |x: F, best: F| {
                !best.is_nan() && (x.is_nan() || better(x, best))
            })
        })
    };
    Ok(match op {
        ReduceOp::Sum => F::into_buffer(axis.lanes(data, |lane| Ok(sum_float(lane)))?),
        ReduceOp::Max => F::into_buffer(fold(maximum)?),
        ReduceOp::Min => F::into_buffer(fold(minimum)?),
        ReduceOp::ArgMax => Buffer::I32(arg(above)?),
        ReduceOp::ArgMin => Buffer::I32(arg(|x, best| above(best, x))?),
    })
}

/// How many partial sums a float `sum` keeps (see [`sum_float`]).
pub const SUM_PARTIALS: usize = 16;

/// A float sum in the accumulator type, rounded once to `F`: element `k` is added to
/// partial sum `k % 16` (each partial in index order, starting from `-0.0`, the exact
/// additive identity, so a lane of `-0.0`s sums to `-0.0`), then the partials are
/// combined pairwise by halving: `p[j] += p[j + w]` for `w` = 8, 4, 2, 1 and `j < w`.
/// This order is fixed so that targets can sum 16 lanes at a time (four f32x4
/// accumulators) and still give these bits. An empty lane sums to `+0.0`.
fn sum_float<F: Float>(lane: Lane<'_, F>) -> F {
    let identity = F::Acc::default().neg();
    let mut partial = [identity; SUM_PARTIALS];
    let mut any = false;
    for (k, x) in lane.enumerate() {
        let p = &mut partial[k % SUM_PARTIALS];
        *p = p.add_r(x.to_acc());
        any = true;
    }
    if !any {
        return F::default();
    }
    let mut w = SUM_PARTIALS / 2;
    while w > 0 {
        for j in 0..w {
            partial[j] = partial[j].add_r(partial[j + w]);
        }
        w /= 2;
    }
    F::round_from_acc(partial[0])
}

/// Index of the first element that no later element `replaces`.
fn first_extreme<T: Copy>(mut lane: Lane<'_, T>, replaces: impl Fn(T, T) -> bool) -> OpResult<i32> {
    let mut best = lane.next().ok_or_else(empty_axis_error)?;
    let mut best_index = 0usize;
    for (k, x) in lane.enumerate() {
        if replaces(x, best) {
            best = x;
            best_index = k + 1;
        }
    }
    i32::try_from(best_index).map_err(|_| "argmax index overflows i32".to_string())
}

/// `cumsum` for integers: wrapping.
fn cumsum_int<I: Int>(axis: Axis, data: &[I]) -> OpResult<Vec<I>> {
    cumsum(axis, data, |x| x, I::add_wrap, |x| x)
}

/// `cumsum` for floats: accumulate in `F::Acc`, round each output.
fn cumsum_float<F: Float>(axis: Axis, data: &[F]) -> OpResult<Vec<F>> {
    cumsum(axis, data, F::to_acc, |acc: F::Acc, x: F::Acc| acc.add_r(x), F::round_from_acc)
}

/// Inclusive prefix sums along `axis`, accumulating with `add` in `A`, each output
/// rounded with `round`.
fn cumsum<T: Elem, A: Copy>(
    axis: Axis,
    data: &[T],
    widen: impl Fn(T) -> A,
    add: impl Fn(A, A) -> A,
    round: impl Fn(A) -> T,
) -> OpResult<Vec<T>> {
    ensure(data.len() == axis.outer * axis.len * axis.inner, || {
        "cumsum data size mismatch".to_string()
    })?;
    let mut out = vec![T::default(); data.len()];
    for o in 0..axis.outer {
        for i in 0..axis.inner {
            let mut acc: Option<A> = None;
            for k in 0..axis.len {
                let index = axis.index(o, k, i);
                let x = widen(data[index]);
                let next = acc.map_or(x, |a| add(a, x));
                acc = Some(next);
                out[index] = round(next);
            }
        }
    }
    Ok(out)
}

/// The (input, accumulator) type pairs `dot` accepts.
#[derive(Clone, Copy)]
enum DotKind {
    F16ToF32,
    BF16ToF32,
    F32,
    F64,
    I8ToI32,
}

const DOT_KINDS: [(ScalarType, ScalarType, DotKind); 5] = [
    (ScalarType::F16, ScalarType::F32, DotKind::F16ToF32),
    (ScalarType::BF16, ScalarType::F32, DotKind::BF16ToF32),
    (ScalarType::F32, ScalarType::F32, DotKind::F32),
    (ScalarType::F64, ScalarType::F64, DotKind::F64),
    (ScalarType::I8, ScalarType::I32, DotKind::I8ToI32),
];

/// `dot(a, b, acc)`: `[M, K] @ [K, N] + [M, N]`, result of the accumulator's type.
pub(crate) fn dot(
    (a, a_ty): Operand<'_>,
    (b, b_ty): Operand<'_>,
    (acc, acc_ty): Operand<'_>,
    ty: &Type,
) -> OpResult<TileData> {
    let shapes_ok = a_ty.rank() == 2
        && b_ty.rank() == 2
        && acc_ty.rank() == 2
        && a_ty.shape[1] == b_ty.shape[0]
        && acc_ty.shape == [a_ty.shape[0], b_ty.shape[1]]
        && a_ty.elem == b_ty.elem
        && acc_ty == ty;
    ensure(shapes_ok, || format!("dot of {a_ty} and {b_ty} with {acc_ty} cannot produce {ty}"))?;
    let (input, accumulator) = (scalar_elem(a_ty)?, scalar_elem(acc_ty)?);
    let kind = DOT_KINDS
        .iter()
        .find(|(i, a, _)| *i == input && *a == accumulator)
        .map(|&(_, _, kind)| kind)
        .ok_or_else(|| {
            format!("dot does not accept {input} inputs with a {accumulator} accumulator")
        })?;
    let dims = [a_ty.shape[0], a_ty.shape[1], b_ty.shape[1]].map(|d| d as usize);
    let (a, b, acc) = (a.buffer()?, b.buffer()?, acc.buffer()?);
    let result = match kind {
        DotKind::F16ToF32 => Buffer::F32(dot_f32(dims, a, b, acc, half::f16::to_f32)?),
        DotKind::BF16ToF32 => Buffer::F32(dot_f32(dims, a, b, acc, half::bf16::to_f32)?),
        DotKind::F32 => Buffer::F32(dot_f32(dims, a, b, acc, |x: f32| x)?),
        DotKind::F64 => {
            let widen = |x: &Buffer| -> OpResult<Vec<f64>> { Ok(typed::<f64>(x)?.to_vec()) };
            Buffer::F64(matmul(dims, widen(a)?, widen(b)?, typed(acc)?, |s, x, y| s + x * y)?)
        }
        DotKind::I8ToI32 => {
            let widen = |x: &Buffer| -> OpResult<Vec<i32>> {
                Ok(typed::<i8>(x)?.iter().map(|&v| i32::from(v)).collect())
            };
            let step = |s: i32, x: i32, y: i32| s.wrapping_add(x.wrapping_mul(y));
            Buffer::I32(matmul(dims, widen(a)?, widen(b)?, typed(acc)?, step)?)
        }
    };
    Ok(TileData::Scalars(result))
}

/// `dot` with an f32 accumulator: inputs of type `T` are widened exactly first.
fn dot_f32<T: Elem>(
    dims: [usize; 3],
    a: &Buffer,
    b: &Buffer,
    acc: &Buffer,
    widen: fn(T) -> f32,
) -> OpResult<Vec<f32>> {
    let a = typed::<T>(a)?.iter().map(|&x| widen(x)).collect();
    let b = typed::<T>(b)?.iter().map(|&x| widen(x)).collect();
    matmul(dims, a, b, typed(acc)?, |s, x, y| s + x * y)
}

/// `out = acc; out[i, j] = step(out[i, j], a[i, k], b[k, j])` for `k` ascending. The
/// loop runs i, k, j so rows stream, but each output still sees `k` in order.
fn matmul<A: Copy>(
    [m, k, n]: [usize; 3],
    a: Vec<A>,
    b: Vec<A>,
    acc: &[A],
    step: impl Fn(A, A, A) -> A,
) -> OpResult<Vec<A>> {
    ensure(a.len() == m * k && b.len() == k * n && acc.len() == m * n, || {
        "dot data size mismatch".to_string()
    })?;
    let mut out = acc.to_vec();
    if n == 0 {
        return Ok(out);
    }
    for (row, a_row) in out.chunks_exact_mut(n).zip(a.chunks_exact(k.max(1))) {
        for (&x, b_row) in a_row.iter().zip(b.chunks_exact(n)) {
            for (o, &y) in row.iter_mut().zip(b_row) {
                *o = step(*o, x, y);
            }
        }
    }
    Ok(out)
}
