//! Value-range analysis for [`super::mask_simplify`]: an interval holding every element
//! of each integer value, and whether each `bool` value is all-true or all-false.
//!
//! Intervals are over the mathematical integers (`i128`), reading each value with its
//! type's signedness, as the interpreter compares. One walk in block pre-order (every
//! definition before its uses) fills a side table; a value without a fact may hold
//! anything its type allows. Sources and transfer functions:
//! - `const`; `arange a, b` → `[a, b-1]`; `program_id` → `[0, 2^31-2]`;
//!   `num_programs` → `[1, 2^31-1]` (grid dimensions are 1..=i32::MAX).
//! - `splat`, `broadcast`, `expand_dims`, `reshape`, `trans` keep their operand's
//!   fact; `select` joins its arms'.
//! - `add`, `sub`, `mul`, `neg`, `abs`, `shl` by a constant: exact interval arithmetic,
//!   kept only when the whole result interval fits the type (no wrap-around);
//!   `div`/`rem` by a strictly positive divisor; `shr` by a constant; `and` with a
//!   non-negative side; `max`/`min`; integer-to-integer casts that fit; `bool` casts.
//! - `reduce max`/`min` keep the operand's interval; `argmax`/`argmin` give
//!   `[0, n-1]`.
//! - The induction variable of `for iv = l to u step s` lies in `[lo(l), last]` with
//!   `last = hi(u) - 1`, tightened to the largest `l + k·s` below `u` when `l` and `s`
//!   are constants, provided `last + hi(s)` fits the type (the variable cannot wrap);
//!   otherwise in `[MIN, last]`. (The body only runs while `iv < u`.)
//! - `cmp` of two integer intervals is decided when the intervals are ordered;
//!   `and`/`or`/`xor`/`not`/`max`/`min` on `bool` combine decided operands
//!   (`false & x` is false, `true | x` is true whatever `x` is).
//!
//! Loop-carried values, `while` arguments, loads and function parameters get no fact.

use tessera_ir::entity::EntityRef;
use tessera_ir::{
    BinaryOp, CmpPred, Constant, Function, Inst, Op, ReduceOp, ScalarType, UnaryOp, Value,
};

use super::util::{int_range, int_value, placed_insts, scalar_of};

/// A closed, non-empty interval `[lo, hi]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval {
    pub lo: i128,
    pub hi: i128,
}

/// What the analysis proves about every element of one value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fact {
    /// An integer value within the interval.
    Int(Interval),
    /// A `bool` value that is this constant in every element.
    Bool(bool),
}

/// The facts of every value of one function (a side table by value index).
#[derive(Clone, Debug)]
pub struct Ranges {
    facts: Vec<Option<Fact>>,
}

impl Interval {
    pub fn point(value: i128) -> Interval {
        Interval { lo: value, hi: value }
    }

    /// `[lo, hi]`, or `None` when empty.
    pub fn new(lo: i128, hi: i128) -> Option<Interval> {
        (lo <= hi).then_some(Interval { lo, hi })
    }

    /// The smallest interval holding both.
    pub fn join(self, other: Interval) -> Interval {
        Interval { lo: self.lo.min(other.lo), hi: self.hi.max(other.hi) }
    }

    /// `self` if it fits the integer type `scalar` (no wrap-around), else `None`.
    fn fitting(self, scalar: ScalarType) -> Option<Interval> {
        let (min, max) = int_range(scalar)?;
        (self.lo >= min && self.hi <= max).then_some(self)
    }

    /// The interval spanned by four candidate corner values.
    fn from_corners(corners: [Option<i128>; 4]) -> Option<Interval> {
        let values: Option<Vec<i128>> = corners.into_iter().collect();
        let values = values?;
        Some(Interval { lo: *values.iter().min()?, hi: *values.iter().max()? })
    }
}

impl Ranges {
    /// Analyzes `func` (see the module docs).
    pub fn analyze(func: &Function) -> Ranges {
        let mut ranges = Ranges { facts: vec![None; func.values.len()] };
        for inst in placed_insts(func) {
            ranges.transfer(func, inst);
        }
        ranges
    }

    /// The fact about `value`, if any.
    pub fn fact(&self, value: Value) -> Option<Fact> {
        self.facts.get(value.index()).copied().flatten()
    }

    /// The interval of the integer `value`: its fact, else its type's range.
    pub fn interval(&self, func: &Function, value: Value) -> Option<Interval> {
        if let Some(Fact::Int(interval)) = self.fact(value) {
            return Some(interval);
        }
        let (lo, hi) = int_range(scalar_of(func, value)?)?;
        Some(Interval { lo, hi })
    }

    /// `Some(b)` when every element of the `bool` value `value` is `b`.
    pub fn truth(&self, value: Value) -> Option<bool> {
        match self.fact(value)? {
            Fact::Bool(b) => Some(b),
            Fact::Int(_) => None,
        }
    }

    fn set(&mut self, value: Value, fact: Option<Fact>) {
        if let Some(slot) = self.facts.get_mut(value.index()) {
            *slot = fact;
        }
    }

    fn transfer(&mut self, func: &Function, inst: Inst) {
        let data = &func.insts[inst];
        if let Op::For { lower, upper, step, body, .. } = &data.op {
            let iv = func.blocks[*body].args.first().copied();
            let fact = self.induction_variable(func, [*lower, *upper, *step]).map(Fact::Int);
            if let Some(iv) = iv {
                self.set(iv, fact);
            }
            return;
        }
        let [result] = data.results.as_slice() else { return };
        let Some(scalar) = scalar_of(func, *result) else { return };
        let fact = if scalar.is_bool() {
            self.bool_fact(func, &data.op).map(Fact::Bool)
        } else if scalar.is_int() {
            self.int_fact(func, &data.op, scalar).and_then(|i| i.fitting(scalar)).map(Fact::Int)
        } else {
            None
        };
        self.set(*result, fact);
    }

    /// The interval of a `for` induction variable (see the module docs).
    fn induction_variable(&self, func: &Function, bounds: [Value; 3]) -> Option<Interval> {
        let [lower, upper, step] = bounds.map(|v| self.interval(func, v));
        let (lower, upper, step) = (lower?, upper?, step?);
        let (min, max) = int_range(scalar_of(func, bounds[0])?)?;
        let mut last = upper.hi - 1;
        let constant_start = lower.lo == lower.hi && step.lo == step.hi && step.lo > 0;
        if constant_start && last >= lower.lo {
            // The variable only takes values `lower + k * step`.
            last = lower.lo + (last - lower.lo) / step.lo * step.lo;
        }
        let lo = if last + step.hi <= max { lower.lo } else { min };
        Interval::new(lo, last)
    }

    /// The interval of an integer-valued op (before the fit check).
    fn int_fact(&self, func: &Function, op: &Op, scalar: ScalarType) -> Option<Interval> {
        let get = |value: &Value| self.interval(func, *value);
        match op {
            Op::Const { value } => int_value(*value, scalar).map(Interval::point),
            Op::ProgramId { .. } => Some(Interval { lo: 0, hi: i128::from(i32::MAX) - 1 }),
            Op::NumPrograms { .. } => Some(Interval { lo: 1, hi: i128::from(i32::MAX) }),
            Op::Arange { start, end } => Interval::new(i128::from(*start), i128::from(*end) - 1),
            Op::Splat { value: arg }
            | Op::Broadcast { arg }
            | Op::ExpandDims { arg, .. }
            | Op::Reshape { arg }
            | Op::Trans { arg, .. } => get(arg),
            Op::Unary { op, arg } => unary_interval(*op, get(arg)?),
            Op::Binary { op, lhs, rhs } => binary_interval(*op, get(lhs)?, get(rhs)?, scalar),
            Op::Select { on_true, on_false, .. } => Some(get(on_true)?.join(get(on_false)?)),
            Op::Cast { arg } => match self.fact(*arg) {
                Some(Fact::Bool(b)) => Some(Interval::point(i128::from(b))),
                Some(Fact::Int(interval)) => Some(interval),
                None if scalar_of(func, *arg) == Some(ScalarType::Bool) => Interval::new(0, 1),
                None => scalar_of(func, *arg).filter(|s| s.is_int()).and_then(|_| get(arg)),
            },
            Op::Reduce { op, arg, axis } => {
                let extent = func.value_type(*arg).shape.get(*axis as usize).copied()?;
                match op {
                    ReduceOp::Max | ReduceOp::Min if extent > 0 => get(arg),
                    ReduceOp::ArgMax | ReduceOp::ArgMin => Interval::new(0, i128::from(extent) - 1),
                    ReduceOp::Max | ReduceOp::Min | ReduceOp::Sum => None,
                }
            }
            Op::Cmp { .. }
            | Op::PtrAdd { .. }
            | Op::Scan { .. }
            | Op::Dot { .. }
            | Op::Fma { .. }
            | Op::Load { .. }
            | Op::Store { .. }
            | Op::Atomic { .. }
            | Op::Call { .. }
            | Op::For { .. }
            | Op::While { .. }
            | Op::If { .. }
            | Op::Yield { .. }
            | Op::Condition { .. }
            | Op::Return { .. }
            | Op::Assert { .. } => None,
        }
    }

    /// Whether a `bool`-valued op is all-true or all-false.
    fn bool_fact(&self, func: &Function, op: &Op) -> Option<bool> {
        match op {
            Op::Const { value: Constant::Bool(b) } => Some(*b),
            Op::Splat { value: arg }
            | Op::Broadcast { arg }
            | Op::ExpandDims { arg, .. }
            | Op::Reshape { arg }
            | Op::Trans { arg, .. } => self.truth(*arg),
            Op::Cmp { pred, lhs, rhs } => {
                let int = |v: &Value| scalar_of(func, *v).filter(|s| s.is_int());
                int(lhs)?;
                decide(*pred, self.interval(func, *lhs)?, self.interval(func, *rhs)?)
            }
            Op::Unary { op: UnaryOp::Not, arg } => self.truth(*arg).map(|b| !b),
            Op::Binary { op, lhs, rhs } => bool_binary(*op, self.truth(*lhs), self.truth(*rhs)),
            Op::Select { on_true, on_false, .. } => {
                let (t, f) = (self.truth(*on_true)?, self.truth(*on_false)?);
                (t == f).then_some(t)
            }
            Op::Reduce { op: ReduceOp::Max | ReduceOp::Min, arg, .. } => self.truth(*arg),
            Op::Const { .. }
            | Op::Unary { .. }
            | Op::Reduce { .. }
            | Op::ProgramId { .. }
            | Op::NumPrograms { .. }
            | Op::Arange { .. }
            | Op::Cast { .. }
            | Op::PtrAdd { .. }
            | Op::Scan { .. }
            | Op::Dot { .. }
            | Op::Fma { .. }
            | Op::Load { .. }
            | Op::Store { .. }
            | Op::Atomic { .. }
            | Op::Call { .. }
            | Op::For { .. }
            | Op::While { .. }
            | Op::If { .. }
            | Op::Yield { .. }
            | Op::Condition { .. }
            | Op::Return { .. }
            | Op::Assert { .. } => None,
        }
    }
}

/// `op` on `bool` operands whose truth may be known.
fn bool_binary(op: BinaryOp, lhs: Option<bool>, rhs: Option<bool>) -> Option<bool> {
    match op {
        BinaryOp::And | BinaryOp::Min => match (lhs, rhs) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        },
        BinaryOp::Or | BinaryOp::Max => match (lhs, rhs) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), Some(false)) => Some(false),
            _ => None,
        },
        BinaryOp::Xor => Some(lhs? != rhs?),
        BinaryOp::Add
        | BinaryOp::Sub
        | BinaryOp::Mul
        | BinaryOp::Div
        | BinaryOp::Rem
        | BinaryOp::Shl
        | BinaryOp::Shr => None,
    }
}

/// Decides `a pred b` for every pair of elements, when the intervals allow.
pub fn decide(pred: CmpPred, a: Interval, b: Interval) -> Option<bool> {
    let (always, never) = match pred {
        CmpPred::Lt => (a.hi < b.lo, a.lo >= b.hi),
        CmpPred::Le => (a.hi <= b.lo, a.lo > b.hi),
        CmpPred::Gt => (a.lo > b.hi, a.hi <= b.lo),
        CmpPred::Ge => (a.lo >= b.hi, a.hi < b.lo),
        CmpPred::Eq => (a.lo == a.hi && b.lo == b.hi && a.lo == b.lo, a.hi < b.lo || b.hi < a.lo),
        CmpPred::Ne => (a.hi < b.lo || b.hi < a.lo, a.lo == a.hi && b.lo == b.hi && a.lo == b.lo),
    };
    if always {
        Some(true)
    } else if never {
        Some(false)
    } else {
        None
    }
}

fn unary_interval(op: UnaryOp, arg: Interval) -> Option<Interval> {
    match op {
        UnaryOp::Neg => Some(Interval { lo: -arg.hi, hi: -arg.lo }),
        UnaryOp::Abs if arg.lo >= 0 => Some(arg),
        UnaryOp::Abs if arg.hi <= 0 => Some(Interval { lo: -arg.hi, hi: -arg.lo }),
        UnaryOp::Abs => Some(Interval { lo: 0, hi: arg.hi.max(-arg.lo) }),
        UnaryOp::Not
        | UnaryOp::Exp
        | UnaryOp::Exp2
        | UnaryOp::Log
        | UnaryOp::Log2
        | UnaryOp::Sqrt
        | UnaryOp::Rsqrt
        | UnaryOp::Sin
        | UnaryOp::Cos
        | UnaryOp::Tanh
        | UnaryOp::Floor
        | UnaryOp::Ceil
        | UnaryOp::Sigmoid
        | UnaryOp::Erf => None,
    }
}

/// Integer `a op b` before the fit check (`None` when unknown).
fn binary_interval(op: BinaryOp, a: Interval, b: Interval, scalar: ScalarType) -> Option<Interval> {
    let corners = |f: fn(i128, i128) -> Option<i128>| {
        Interval::from_corners([f(a.lo, b.lo), f(a.lo, b.hi), f(a.hi, b.lo), f(a.hi, b.hi)])
    };
    match op {
        BinaryOp::Add => {
            Some(Interval { lo: a.lo.checked_add(b.lo)?, hi: a.hi.checked_add(b.hi)? })
        }
        BinaryOp::Sub => {
            Some(Interval { lo: a.lo.checked_sub(b.hi)?, hi: a.hi.checked_sub(b.lo)? })
        }
        BinaryOp::Mul => corners(i128::checked_mul),
        // Truncating division by a positive divisor is monotone in each operand.
        BinaryOp::Div if b.lo > 0 => corners(i128::checked_div),
        BinaryOp::Rem if b.lo > 0 => {
            let bound = b.hi - 1;
            Interval::new(a.lo.min(0).max(-bound), a.hi.max(0).min(bound))
        }
        BinaryOp::Shl if b.lo == b.hi => {
            let factor = 1i128 << shift_amount(b.lo, scalar);
            Some(Interval { lo: a.lo.checked_mul(factor)?, hi: a.hi.checked_mul(factor)? })
        }
        BinaryOp::Shr if b.lo == b.hi => {
            let amount = shift_amount(b.lo, scalar);
            Some(Interval { lo: a.lo >> amount, hi: a.hi >> amount })
        }
        BinaryOp::And if a.lo >= 0 && b.lo >= 0 => Some(Interval { lo: 0, hi: a.hi.min(b.hi) }),
        BinaryOp::And if a.lo >= 0 => Some(Interval { lo: 0, hi: a.hi }),
        BinaryOp::And if b.lo >= 0 => Some(Interval { lo: 0, hi: b.hi }),
        BinaryOp::Max => Some(Interval { lo: a.lo.max(b.lo), hi: a.hi.max(b.hi) }),
        BinaryOp::Min => Some(Interval { lo: a.lo.min(b.lo), hi: a.hi.min(b.hi) }),
        BinaryOp::Div | BinaryOp::Rem | BinaryOp::Shl | BinaryOp::Shr | BinaryOp::And => None,
        BinaryOp::Or | BinaryOp::Xor => None,
    }
}

/// The effective shift amount: the amount's bits modulo the type's width.
fn shift_amount(amount: i128, scalar: ScalarType) -> u32 {
    (amount as u64 % u64::from(scalar.bits())) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_ir::parse_module;

    #[test]
    fn intervals_follow_arange_program_id_and_loops() {
        let text = "kernel @k(%0 \"n\": i32) {
  %1 = arange 0, 128 : tile<[128], i32>
  %2 = program_id 0 : i32
  %3 = const 128 : i32
  %4 = mul %2, %3 : i32
  %5 = splat %4 : tile<[128], i32>
  %6 = add %5, %1 : tile<[128], i32>
  %7 = const 0 : i32
  %8 = const 16 : i32
  %9 = const 4 : i32
  for %10 = %7 to %8 step %9 {
    %11 = cmp lt %10, %8 : bool
    yield
  } @1:1
  %12 = cmp lt %1, %5 : tile<[128], bool>
  %13 = cmp ge %6, %7 : tile<[128], bool>
  return
}
";
        let module = parse_module(text).expect("parses");
        let func = &module.functions[0];
        let ranges = Ranges::analyze(func);
        let value = |n: u32| Value(n);
        assert_eq!(ranges.interval(func, value(1)), Some(Interval { lo: 0, hi: 127 }));
        // program_id * 128 may wrap i32: no fact beyond the type's range.
        assert_eq!(ranges.fact(value(4)), None);
        assert_eq!(ranges.fact(value(10)), Some(Fact::Int(Interval { lo: 0, hi: 12 })));
        assert_eq!(ranges.truth(value(11)), Some(true));
        assert_eq!(ranges.truth(value(12)), None);
        assert_eq!(ranges.truth(value(13)), None);
    }

    #[test]
    fn comparisons_decide_on_ordered_intervals() {
        let (a, b) = (Interval { lo: 0, hi: 9 }, Interval { lo: 10, hi: 10 });
        assert_eq!(decide(CmpPred::Lt, a, b), Some(true));
        assert_eq!(decide(CmpPred::Ge, a, b), Some(false));
        assert_eq!(decide(CmpPred::Eq, a, b), Some(false));
        assert_eq!(decide(CmpPred::Le, a, Interval { lo: 5, hi: 5 }), None);
        assert_eq!(decide(CmpPred::Eq, b, b), Some(true));
    }

    #[test]
    fn wrapping_arithmetic_gives_no_fact() {
        let a = Interval { lo: 0, hi: i128::from(i32::MAX) };
        let sum = binary_interval(BinaryOp::Add, a, Interval::point(1), ScalarType::I32);
        assert_eq!(sum.and_then(|s| s.fitting(ScalarType::I32)), None);
        let rem = binary_interval(
            BinaryOp::Rem,
            Interval { lo: -50, hi: 50 },
            Interval::point(8),
            ScalarType::I32,
        );
        assert_eq!(rem, Some(Interval { lo: -7, hi: 7 }));
    }
}
