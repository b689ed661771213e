//! The machine that runs one program instance: value frames, block execution, fuel,
//! and dispatch of every [`Op`] to the module that evaluates it.
//!
//! Structured ops (`for`, `while`, `if`, `call`) live in `control.rs`; memory effects
//! and `assert` in `effects.rs`; pure ops in `arith.rs`, `cast.rs`, `layout.rs`,
//! `memory.rs` (`ptr_add`) and `reduce.rs`.

use std::rc::Rc;

use super::error::InterpError;
use super::memory::Memory;
use super::tile::{check_fits, ensure, OpResult, TileData, Val};
use super::{arith, cast, layout, memory, reduce, LaunchOptions};
use crate::entity::EntityRef;
use crate::function::{Block, Function, Inst, Module, Value};
use crate::ops::Op;
use crate::types::Type;

/// Nesting limit for blocks and calls, so malformed IR (a block that contains itself,
/// runaway recursion) fails with an error instead of overflowing the stack.
const MAX_DEPTH: usize = 2 * crate::verifier::MAX_NESTING;

/// State of one launch; `program` changes as the grid is walked.
pub(super) struct Machine<'m> {
    pub module: &'m Module,
    pub kernel: &'m Function,
    pub memory: Memory<'m>,
    pub options: &'m LaunchOptions,
    pub grid: [u32; 3],
    pub program: [u32; 3],
    fuel_used: u64,
    depth: usize,
}

/// The values of one function activation, indexed by [`Value`].
pub(super) struct Frame<'f> {
    pub func: &'f Function,
    env: Vec<Option<Val>>,
}

/// How a block ended.
pub(super) enum Flow {
    Yield(Vec<Val>),
    Condition(bool),
    Return(Vec<Val>),
}

impl<'f> Frame<'f> {
    pub fn new(func: &'f Function) -> Frame<'f> {
        Frame { func, env: vec![None; func.values.len()] }
    }

    /// The data and declared type of `value`.
    pub fn operand(&self, value: Value) -> OpResult<(&TileData, &'f Type)> {
        let data = self.env.get(value.index()).and_then(Option::as_ref);
        let data = data.ok_or_else(|| format!("{value} is used before it is defined"))?;
        Ok((data, self.ty(value)?))
    }

    /// A shared handle to the data of `value`.
    pub fn val(&self, value: Value) -> OpResult<Val> {
        let data = self.env.get(value.index()).and_then(Option::as_ref);
        data.cloned().ok_or_else(|| format!("{value} is used before it is defined"))
    }

    pub fn vals(&self, values: &[Value]) -> OpResult<Vec<Val>> {
        values.iter().map(|&v| self.val(v)).collect()
    }

    pub fn ty(&self, value: Value) -> OpResult<&'f Type> {
        let data = self.func.values.get(value).ok_or_else(|| format!("{value} does not exist"))?;
        Ok(&data.ty)
    }

    /// Binds `value` to `data` after checking that the data fits its declared type.
    pub fn set(&mut self, value: Value, data: Val) -> OpResult<()> {
        check_fits(&data, self.ty(value)?).map_err(|m| format!("{value}: {m}"))?;
        let slot =
            self.env.get_mut(value.index()).ok_or_else(|| format!("{value} does not exist"))?;
        *slot = Some(data);
        Ok(())
    }

    /// Binds each of `values` to the matching element of `data`.
    pub fn set_all(&mut self, values: &[Value], data: Vec<Val>) -> OpResult<()> {
        ensure(values.len() == data.len(), || {
            format!("{} values produced for {} results", data.len(), values.len())
        })?;
        values.iter().zip(data).try_for_each(|(&v, d)| self.set(v, d))
    }
}

impl<'m> Machine<'m> {
    pub fn new(
        module: &'m Module,
        kernel: &'m Function,
        memory: Memory<'m>,
        options: &'m LaunchOptions,
    ) -> Self {
        Machine {
            module,
            kernel,
            memory,
            options,
            grid: options.grid,
            program: [0; 3],
            fuel_used: 0,
            depth: 0,
        }
    }

    /// Runs the kernel body once, as program instance `program`.
    pub fn run_program(&mut self, program: [u32; 3], params: &[Val]) -> Result<(), InterpError> {
        self.program = program;
        let kernel = self.kernel;
        let mut frame = Frame::new(kernel);
        match self.exec_nested(&mut frame, kernel.body, params.to_vec())? {
            Flow::Return(values) if values.is_empty() => Ok(()),
            Flow::Return(_) => Err(self.internal(kernel, None, "a kernel returned values".into())),
            Flow::Yield(_) | Flow::Condition(_) => {
                Err(self.internal(kernel, None, "the body must end in `return`".into()))
            }
        }
    }

    /// Runs `block` of `frame`'s function with `args`, one nesting level deeper.
    pub fn exec_nested(
        &mut self,
        frame: &mut Frame<'m>,
        block: Block,
        args: Vec<Val>,
    ) -> Result<Flow, InterpError> {
        if self.depth >= MAX_DEPTH {
            let message = format!("blocks and calls nest deeper than {MAX_DEPTH} levels");
            return Err(self.internal(frame.func, None, message));
        }
        self.depth += 1;
        let flow = self.exec_block(frame, block, args);
        self.depth -= 1;
        flow
    }

    fn exec_block(
        &mut self,
        frame: &mut Frame<'m>,
        block: Block,
        args: Vec<Val>,
    ) -> Result<Flow, InterpError> {
        let func = frame.func;
        let data = func
            .blocks
            .get(block)
            .ok_or_else(|| self.internal(func, None, format!("{block} does not exist")))?;
        let bind = if data.args.len() == args.len() {
            frame.set_all(&data.args, args)
        } else {
            Err(format!("{block} takes {} arguments, got {}", data.args.len(), args.len()))
        };
        bind.map_err(|m| self.internal(func, None, m))?;
        for &inst in &data.insts {
            self.burn_fuel()?;
            if let Some(flow) = self.exec_inst(frame, inst)? {
                return Ok(flow);
            }
        }
        Err(self.internal(func, None, format!("{block} ends without a terminator")))
    }

    fn burn_fuel(&mut self) -> Result<(), InterpError> {
        self.fuel_used += 1;
        if self.fuel_used > self.options.fuel {
            return Err(InterpError::FuelExhausted {
                kernel: self.kernel.name.clone(),
                fuel: self.options.fuel,
            });
        }
        Ok(())
    }

    /// Executes one instruction; `Some` when it ends the block.
    fn exec_inst(
        &mut self,
        frame: &mut Frame<'m>,
        inst: Inst,
    ) -> Result<Option<Flow>, InterpError> {
        let func = frame.func;
        let data = func
            .insts
            .get(inst)
            .ok_or_else(|| self.internal(func, None, format!("{inst} does not exist")))?;
        let at = |m: String| self.internal(func, Some(inst), m);
        match &data.op {
            Op::Yield { values } => Ok(Some(Flow::Yield(frame.vals(values).map_err(at)?))),
            Op::Return { values } => Ok(Some(Flow::Return(frame.vals(values).map_err(at)?))),
            Op::Condition { cond } => {
                Ok(Some(Flow::Condition(scalar_bool(frame, *cond).map_err(at)?)))
            }
            Op::For { lower, upper, step, inits, body } => {
                self.exec_for(frame, inst, [*lower, *upper, *step], inits, *body)
            }
            Op::While { inits, cond, body } => self.exec_while(frame, inst, inits, *cond, *body),
            Op::If { cond, then_block, else_block } => {
                self.exec_if(frame, inst, *cond, [*then_block, *else_block])
            }
            Op::Call { callee, args } => self.exec_call(frame, inst, callee, args).map(|()| None),
            Op::Load { ptr, mask, other } => {
                self.exec_load(frame, inst, *ptr, *mask, *other).map(|()| None)
            }
            Op::Store { ptr, value, mask } => {
                self.exec_store(frame, inst, *ptr, *value, *mask).map(|()| None)
            }
            Op::Atomic { op, ptr, value, mask } => {
                self.exec_atomic(frame, inst, *op, [*ptr, *value], *mask).map(|()| None)
            }
            Op::Assert { cond, message } => {
                self.exec_assert(frame, inst, *cond, message).map(|()| None)
            }
            Op::Const { .. }
            | Op::ProgramId { .. }
            | Op::NumPrograms { .. }
            | Op::Arange { .. }
            | Op::Splat { .. }
            | Op::ExpandDims { .. }
            | Op::Broadcast { .. }
            | Op::Reshape { .. }
            | Op::Trans { .. }
            | Op::Unary { .. }
            | Op::Binary { .. }
            | Op::Cmp { .. }
            | Op::Select { .. }
            | Op::Cast { .. }
            | Op::PtrAdd { .. }
            | Op::Reduce { .. }
            | Op::Scan { .. }
            | Op::Dot { .. }
            | Op::Fma { .. } => {
                let result = single_result(&data.results).map_err(at)?;
                let value =
                    self.eval_pure(frame, &data.op, frame.ty(result).map_err(at)?).map_err(at)?;
                frame.set(result, value).map_err(at)?;
                Ok(None)
            }
        }
    }

    /// Evaluates a pure op whose single result has type `ty`.
    fn eval_pure(&self, frame: &Frame<'m>, op: &Op, ty: &Type) -> OpResult<Val> {
        let arg = |v: &Value| frame.operand(*v);
        let data = match op {
            Op::Const { value } => cast::constant(*value, ty)?,
            Op::ProgramId { axis } => grid_value(self.program, *axis, ty)?,
            Op::NumPrograms { axis } => grid_value(self.grid, *axis, ty)?,
            Op::Arange { start, end } => layout::arange(*start, *end, ty)?,
            Op::Splat { value } => layout::splat(arg(value)?, ty)?,
            Op::ExpandDims { arg: a, axis } => {
                layout::check_expand_dims(arg(a)?.1, *axis, ty)?;
                return frame.val(*a);
            }
            Op::Broadcast { arg: a } => layout::broadcast(arg(a)?, ty)?,
            Op::Reshape { arg: a } => {
                layout::check_reshape(arg(a)?.1, ty)?;
                return frame.val(*a);
            }
            Op::Trans { arg: a, perm } => layout::trans(arg(a)?, perm, ty)?,
            Op::Unary { op, arg: a } => arith::unary(*op, arg(a)?, ty)?,
            Op::Binary { op, lhs, rhs } => arith::binary(*op, arg(lhs)?, arg(rhs)?, ty)?,
            Op::Cmp { pred, lhs, rhs } => arith::cmp(*pred, arg(lhs)?, arg(rhs)?, ty)?,
            Op::Select { cond, on_true, on_false } => {
                arith::select(arg(cond)?, arg(on_true)?, arg(on_false)?, ty)?
            }
            Op::Cast { arg: a } => cast::cast(arg(a)?, ty)?,
            Op::PtrAdd { ptr, offset } => memory::ptr_add(arg(ptr)?, arg(offset)?, ty)?,
            Op::Reduce { op, arg: a, axis } => reduce::reduce(*op, arg(a)?, *axis, ty)?,
            Op::Scan { op, arg: a, axis } => reduce::scan(*op, arg(a)?, *axis, ty)?,
            Op::Dot { a, b, acc } => reduce::dot(arg(a)?, arg(b)?, arg(acc)?, ty)?,
            Op::Fma { a, b, c } => arith::fma([arg(a)?, arg(b)?, arg(c)?], ty)?,
            Op::Load { .. }
            | Op::Store { .. }
            | Op::Atomic { .. }
            | Op::Call { .. }
            | Op::For { .. }
            | Op::While { .. }
            | Op::If { .. }
            | Op::Yield { .. }
            | Op::Condition { .. }
            | Op::Return { .. }
            | Op::Assert { .. } => return Err("not a pure op".to_string()),
        };
        Ok(Rc::new(data))
    }

    /// An internal error at `inst` (if known) of `func`.
    pub fn internal(&self, func: &Function, inst: Option<Inst>, message: String) -> InterpError {
        let place = match inst {
            Some(inst) => {
                let loc = func.loc(inst);
                format!("function '{}', {inst} (line {}:{})", func.name, loc.line, loc.col)
            }
            None => format!("function '{}'", func.name),
        };
        InterpError::Internal {
            kernel: self.kernel.name.clone(),
            message: format!("{place}: {message}"),
        }
    }
}

/// `program_id(axis)` or `num_programs(axis)` as a scalar of the (integer) result type.
fn grid_value(values: [u32; 3], axis: u8, ty: &Type) -> OpResult<TileData> {
    let value =
        values.get(usize::from(axis)).ok_or_else(|| format!("grid axis {axis} out of range"))?;
    ensure(ty.is_scalar(), || format!("a grid query cannot produce {ty}"))?;
    let dtype = super::tile::scalar_elem(ty)?;
    Ok(TileData::Scalars(cast::int_buffer(vec![i128::from(*value)], dtype)?))
}

/// The single result of an instruction.
pub(super) fn single_result(results: &[Value]) -> OpResult<Value> {
    match results {
        [result] => Ok(*result),
        _ => Err(format!("expected one result, found {}", results.len())),
    }
}

/// The value of a rank-0 `bool` operand.
pub(super) fn scalar_bool(frame: &Frame<'_>, value: Value) -> OpResult<bool> {
    let (data, ty) = frame.operand(value)?;
    ensure(ty.is_scalar(), || format!("{value} must be a scalar bool, found {ty}"))?;
    cast::bool_scalar(data.buffer()?)
}
