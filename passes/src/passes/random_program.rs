//! Random straight-line kernels for differential tests of the passes: integer, float
//! and `bool` tiles combined by every kind of pure op the passes rewrite, with special
//! constants (so folding and identities fire), comparisons of `arange` against
//! constants (so masks are provable), masked loads and stores, and `for` loops and
//! `if`s (constant or unknown trip counts and conditions) nesting all of these. Each program is
//! launched before and after a pass on inputs full of edge values; outputs must agree
//! bit for bit ([`check_pass_on_random_programs`]).

use tessera_ir::interp::{KernelArg, Scalar};
use tessera_ir::{
    BinaryOp, Block, CmpPred, Constant, Function, Loc, Module, Op, ScalarType, Type, UnaryOp, Value,
};

use super::testing::{
    assert_same_outputs, special_buffer, special_values, KernelBuilder, SplitMix,
};

/// The length of every tile of a random program.
const LEN: u32 = 16;

/// Generates `cases` programs, runs `pass` on each, verifies the result and compares
/// launches.
pub fn check_pass_on_random_programs(
    pass_name: &str,
    cases: u64,
    pass: impl Fn(&mut Function, &Module),
) {
    for seed in 0..cases {
        let (module, args) = random_program(seed);
        if let Err(error) = tessera_ir::verify_module(&module) {
            panic!("random program {seed} is malformed: {error}");
        }
        let mut optimized = module.clone();
        pass(&mut optimized.functions[0], &module);
        if let Err(error) = tessera_ir::verify_module(&optimized) {
            let text = tessera_ir::print_module(&optimized);
            panic!("{pass_name} on random program {seed}: {error}\n{text}");
        }
        let what = format!("{pass_name} on random program {seed}");
        assert_same_outputs(&what, &module, &optimized, args);
    }
}

/// The random program of `seed` and the arguments to launch it with.
pub fn random_program(seed: u64) -> (Module, Vec<KernelArg>) {
    let mut gen = Generator::new(seed);
    for _ in 0..30 {
        gen.step();
    }
    gen.finish()
}

/// Pools of the values generated so far, by element type.
struct Generator {
    kernel: KernelBuilder,
    rng: SplitMix,
    ints: Vec<Value>,
    floats: Vec<Value>,
    bools: Vec<Value>,
    arange: Value,
    y_ptr: Value,
    /// The scalar `i32` parameter (unknown to the passes) and its launch value.
    n_param: Value,
    n: i32,
    /// How deeply the current block is nested in loops and `if`s.
    depth: usize,
}

fn tile(scalar: ScalarType) -> Type {
    Type::tile(vec![LEN], scalar)
}

impl Generator {
    fn new(seed: u64) -> Generator {
        let mut kernel = KernelBuilder::default();
        let mut rng = SplitMix(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0x1234_5678);
        let x_ptr = kernel.param(Type::ptr(ScalarType::I32));
        let y_ptr = kernel.param(Type::ptr(ScalarType::F32));
        let n_param = kernel.param(Type::scalar(ScalarType::I32));
        let n = kernel.inst(Op::Splat { value: n_param }, tile(ScalarType::I32));
        let x = kernel.load_tile(x_ptr, LEN);
        let y = kernel.load_tile(y_ptr, LEN);
        let arange =
            kernel.inst(Op::Arange { start: 0, end: i64::from(LEN) }, tile(ScalarType::I32));
        let below_n =
            kernel.inst(Op::Cmp { pred: CmpPred::Lt, lhs: arange, rhs: n }, tile(ScalarType::Bool));
        let n_value = rng.below(20) as i32;
        Generator {
            kernel,
            rng,
            ints: vec![x, arange, n],
            floats: vec![y],
            bools: vec![below_n],
            arange,
            y_ptr,
            n_param,
            n: n_value,
            depth: 0,
        }
    }

    /// A new uniform constant tile of `scalar` holding an edge value.
    fn constant(&mut self, scalar: ScalarType) -> Value {
        let specials = special_values(scalar);
        let value = specials[self.rng.below(specials.len())];
        self.constant_of(scalar, value)
    }

    fn constant_of(&mut self, scalar: ScalarType, value: Constant) -> Value {
        let scalar_value = self.kernel.inst(Op::Const { value }, Type::scalar(scalar));
        self.kernel.inst(Op::Splat { value: scalar_value }, tile(scalar))
    }

    /// An operand of `scalar`: usually an existing value, sometimes a new constant.
    fn pick(&mut self, scalar: ScalarType) -> Value {
        if self.rng.below(4) == 0 {
            return self.constant(scalar);
        }
        let len = self.pool(scalar).len();
        let index = self.rng.below(len);
        self.pool(scalar)[index]
    }

    /// The pool of values of `scalar` (`f32`, `bool`, else `i32`).
    fn pool(&mut self, scalar: ScalarType) -> &mut Vec<Value> {
        if scalar == ScalarType::F32 {
            &mut self.floats
        } else if scalar == ScalarType::Bool {
            &mut self.bools
        } else {
            &mut self.ints
        }
    }

    fn push(&mut self, scalar: ScalarType, op: Op) -> Value {
        let value = self.kernel.inst(op, tile(scalar));
        self.pool(scalar).push(value);
        value
    }

    fn choose<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.below(items.len())]
    }

    /// Adds one random instruction, a masked store, or (two levels deep at most) a
    /// `for` loop or an `if` with random bodies.
    fn step(&mut self) {
        let (i32_, f32_, bool_) = (ScalarType::I32, ScalarType::F32, ScalarType::Bool);
        let kinds = if self.depth < 2 { 13 } else { 11 };
        match self.rng.below(kinds) {
            11 => return self.for_loop(),
            12 => return self.if_else(),
            _ => {}
        }
        match self.rng.below(11) {
            0 => {
                let op = self.choose(&BinaryOp::ALL);
                let (lhs, rhs) = (self.pick(i32_), self.pick(i32_));
                self.push(i32_, Op::Binary { op, lhs, rhs });
            }
            1 => {
                let ops = [
                    BinaryOp::Add,
                    BinaryOp::Sub,
                    BinaryOp::Mul,
                    BinaryOp::Div,
                    BinaryOp::Rem,
                    BinaryOp::Max,
                    BinaryOp::Min,
                ];
                let op = self.choose(&ops);
                let (lhs, rhs) = (self.pick(f32_), self.pick(f32_));
                self.push(f32_, Op::Binary { op, lhs, rhs });
            }
            2 => {
                let pred = self.choose(&CmpPred::ALL);
                let (lhs, rhs) = (self.pick(i32_), self.pick(i32_));
                self.push(bool_, Op::Cmp { pred, lhs, rhs });
            }
            3 => {
                let pred = self.choose(&CmpPred::ALL);
                let bound = self.choose(&[-1, 0, 8, 15, 16, 17]);
                let rhs = self.constant_of(i32_, Constant::Int(bound));
                let (lhs, rhs) =
                    if self.rng.below(2) == 0 { (self.arange, rhs) } else { (rhs, self.arange) };
                self.push(bool_, Op::Cmp { pred, lhs, rhs });
            }
            4 => {
                let pred = self.choose(&CmpPred::ALL);
                let (lhs, rhs) = (self.pick(f32_), self.pick(f32_));
                self.push(bool_, Op::Cmp { pred, lhs, rhs });
            }
            5 => {
                let op = self.choose(&[BinaryOp::And, BinaryOp::Or, BinaryOp::Xor]);
                let (lhs, rhs) = (self.pick(bool_), self.pick(bool_));
                self.push(bool_, Op::Binary { op, lhs, rhs });
            }
            6 => {
                let scalar = self.choose(&[i32_, f32_]);
                let cond = self.pick(bool_);
                let (on_true, on_false) = (self.pick(scalar), self.pick(scalar));
                self.push(scalar, Op::Select { cond, on_true, on_false });
            }
            7 => {
                let (from, to) = self.choose(&[
                    (i32_, f32_),
                    (f32_, i32_),
                    (bool_, i32_),
                    (i32_, bool_),
                    (f32_, f32_),
                ]);
                let arg = self.pick(from);
                self.push(to, Op::Cast { arg });
            }
            8 => {
                let scalar = self.choose(&[i32_, f32_]);
                let ops: &[UnaryOp] = if scalar == i32_ {
                    &[UnaryOp::Neg, UnaryOp::Abs, UnaryOp::Not]
                } else {
                    &[
                        UnaryOp::Neg,
                        UnaryOp::Abs,
                        UnaryOp::Sqrt,
                        UnaryOp::Floor,
                        UnaryOp::Ceil,
                        UnaryOp::Exp,
                    ]
                };
                let op = self.choose(ops);
                let arg = self.pick(scalar);
                self.push(scalar, Op::Unary { op, arg });
            }
            9 => {
                let mask = self.pick(bool_);
                let other = if self.rng.below(2) == 0 { Some(self.pick(f32_)) } else { None };
                let ptr_ty = Type { shape: vec![LEN], elem: tessera_ir::ElemType::Ptr(f32_) };
                let ptrs = self.kernel.inst(Op::Splat { value: self.y_ptr }, ptr_ty.clone());
                let ptr = self.kernel.inst(Op::PtrAdd { ptr: ptrs, offset: self.arange }, ptr_ty);
                self.push(f32_, Op::Load { ptr, mask: Some(mask), other });
            }
            _ => {
                let scalar = self.choose(&[i32_, f32_]);
                let (value, mask) = (self.pick(scalar), self.pick(bool_));
                self.kernel.output_masked(value, Some(mask));
            }
        }
    }

    fn scalar_const(&mut self, value: i64) -> Value {
        let ty = Type::scalar(ScalarType::I32);
        self.kernel.inst(Op::Const { value: Constant::Int(value) }, ty)
    }

    /// Runs `steps` random steps in `block` (a new scope: its values are forgotten
    /// after), then yields an `i32` and an `f32` tile from it.
    fn nested(&mut self, block: Block, steps: usize, scope: &[(ScalarType, Value)]) {
        let saved = (self.ints.clone(), self.floats.clone(), self.bools.clone(), self.kernel.block);
        self.kernel.block = block;
        self.depth += 1;
        for &(scalar, value) in scope {
            self.pool(scalar).push(value);
        }
        for _ in 0..steps {
            self.step();
        }
        let values = vec![self.pick(ScalarType::I32), self.pick(ScalarType::F32)];
        self.kernel.func.append_inst(block, Op::Yield { values }, Vec::new(), Loc::default());
        self.depth -= 1;
        (self.ints, self.floats, self.bools, self.kernel.block) = saved;
    }

    /// A `for` loop carrying an `i32` and an `f32` tile, with constant or unknown
    /// bounds (0 to 3 trips, or `n`).
    fn for_loop(&mut self) {
        let lower = self.choose(&[0, 2]);
        let lower = self.scalar_const(lower);
        let upper = match self.rng.below(5) {
            0 => self.n_param,
            trips => self.scalar_const([0, 1, 3, 5][trips - 1]),
        };
        let step = self.choose(&[1, 2]);
        let step = self.scalar_const(step);
        let inits = vec![self.pick(ScalarType::I32), self.pick(ScalarType::F32)];
        let func = &mut self.kernel.func;
        let body = func.create_block();
        let iv = func.append_block_arg(body, Type::scalar(ScalarType::I32));
        let carried_int = func.append_block_arg(body, tile(ScalarType::I32));
        let carried_float = func.append_block_arg(body, tile(ScalarType::F32));
        let op = Op::For { lower, upper, step, inits, body };
        let types = vec![tile(ScalarType::I32), tile(ScalarType::F32)];
        let inst = func.append_inst(self.kernel.block, op, types, Loc { line: 3, col: 1 });
        let iv_tile_inst =
            func.create_inst(Op::Splat { value: iv }, vec![tile(ScalarType::I32)], Loc::default());
        func.blocks[body].insts.push(iv_tile_inst);
        let iv_tile = func.result(iv_tile_inst);
        let scope = [
            (ScalarType::I32, iv_tile),
            (ScalarType::I32, carried_int),
            (ScalarType::F32, carried_float),
        ];
        self.nested(body, 4, &scope);
        let results = self.kernel.func.insts[inst].results.clone();
        self.ints.push(results[0]);
        self.floats.push(results[1]);
    }

    /// An `if` on `n` compared with a constant (or on a constant), yielding an `i32`
    /// and an `f32` tile from each branch.
    fn if_else(&mut self) {
        let cond = if self.rng.below(4) == 0 {
            let value = Constant::Bool(self.rng.below(2) == 0);
            self.kernel.inst(Op::Const { value }, Type::scalar(ScalarType::Bool))
        } else {
            let pred = self.choose(&CmpPred::ALL);
            let bound = self.choose(&[0, 5, 10]);
            let rhs = self.scalar_const(bound);
            let op = Op::Cmp { pred, lhs: self.n_param, rhs };
            self.kernel.inst(op, Type::scalar(ScalarType::Bool))
        };
        let func = &mut self.kernel.func;
        let (then_block, else_block) = (func.create_block(), func.create_block());
        let op = Op::If { cond, then_block, else_block };
        let types = vec![tile(ScalarType::I32), tile(ScalarType::F32)];
        let inst = func.append_inst(self.kernel.block, op, types, Loc::default());
        self.nested(then_block, 3, &[]);
        self.nested(else_block, 3, &[]);
        let results = self.kernel.func.insts[inst].results.clone();
        self.ints.push(results[0]);
        self.floats.push(results[1]);
    }

    /// Outputs the latest values of each pool and returns the program with inputs.
    fn finish(mut self) -> (Module, Vec<KernelArg>) {
        for pool in [self.ints.clone(), self.floats.clone(), self.bools.clone()] {
            for &value in pool.iter().rev().take(4) {
                self.kernel.output(value);
            }
        }
        let inputs = vec![
            KernelArg::Buffer(special_buffer(ScalarType::I32, LEN as usize)),
            KernelArg::Buffer(special_buffer(ScalarType::F32, LEN as usize)),
            KernelArg::Scalar(Scalar::I32(self.n)),
        ];
        self.kernel.finish(inputs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_programs_verify_and_run() {
        for seed in 0..20 {
            let (module, args) = random_program(seed);
            tessera_ir::verify_module(&module).unwrap_or_else(|e| panic!("{seed}: {e}"));
            assert_same_outputs("identity", &module, &module, args);
        }
    }
}
