//! Structured control flow: `for`, `while`, `if` and helper `call`s.
//!
//! - `for`: the bounds and step are scalars of one integer type; a step ≤ 0 is a
//!   [`InterpError::BadStep`] (checked on entry, even if the loop would not run). The
//!   induction variable starts at `lower`, the body runs while `iv < upper` (compared
//!   by the type's signedness), and `iv += step` wraps in the type, as a compiled loop
//!   would (a wrapped `iv` keeps looping until fuel runs out).
//! - `while`: `cond` and `body` both receive the carried values; the loop exits with
//!   them when `cond` yields false.
//! - A `return` inside a nested block ends the enclosing function at once.

use std::rc::Rc;

use super::cast::{int_buffer, int_scalar, wrap_int};
use super::error::InterpError;
use super::exec::{scalar_bool, Flow, Frame, Machine};
use super::tile::{ensure, OpResult, TileData, Val};
use crate::function::{Block, FunctionKind, Inst, Value};
use crate::types::ScalarType;

impl<'m> Machine<'m> {
    /// `for iv in range(lower, upper, step)` with carried `inits`.
    pub(super) fn exec_for(
        &mut self,
        frame: &mut Frame<'m>,
        inst: Inst,
        [lower, upper, step]: [Value; 3],
        inits: &[Value],
        body: Block,
    ) -> Result<Option<Flow>, InterpError> {
        let func = frame.func;
        let at = |m: String| self.internal(func, Some(inst), m);
        let (dtype, [lower, upper, step]) = loop_bounds(frame, [lower, upper, step]).map_err(at)?;
        if step <= 0 {
            let loc = func.loc(inst);
            let (line, col, program) = (loc.line, loc.col, self.program);
            return Err(InterpError::BadStep {
                kernel: self.kernel.name.clone(),
                line,
                col,
                step,
                program,
            });
        }
        let mut carried = frame.vals(inits).map_err(at)?;
        let mut iv = lower;
        while iv < upper {
            let iv_data =
                int_buffer(vec![iv], dtype).map_err(|m| self.internal(func, Some(inst), m))?;
            let mut args: Vec<Val> = Vec::with_capacity(carried.len() + 1);
            args.push(Rc::new(TileData::Scalars(iv_data)));
            args.extend(carried);
            match self.exec_nested(frame, body, args)? {
                Flow::Yield(next) => carried = next,
                Flow::Return(values) => return Ok(Some(Flow::Return(values))),
                Flow::Condition(_) => {
                    return Err(self.internal(
                        func,
                        Some(inst),
                        "a for body ended in `condition`".into(),
                    ))
                }
            }
            iv = wrap_int(iv + step, dtype).map_err(|m| self.internal(func, Some(inst), m))?;
        }
        self.set_results(frame, inst, carried)
    }

    /// `while` with carried `inits`, condition block `cond` and `body`.
    pub(super) fn exec_while(
        &mut self,
        frame: &mut Frame<'m>,
        inst: Inst,
        inits: &[Value],
        cond: Block,
        body: Block,
    ) -> Result<Option<Flow>, InterpError> {
        let func = frame.func;
        let mut carried = frame.vals(inits).map_err(|m| self.internal(func, Some(inst), m))?;
        loop {
            match self.exec_nested(frame, cond, carried.clone())? {
                Flow::Condition(true) => {}
                Flow::Condition(false) => break,
                Flow::Return(values) => return Ok(Some(Flow::Return(values))),
                Flow::Yield(_) => {
                    return Err(self.internal(
                        func,
                        Some(inst),
                        "a while condition ended in `yield`".into(),
                    ))
                }
            }
            match self.exec_nested(frame, body, carried)? {
                Flow::Yield(next) => carried = next,
                Flow::Return(values) => return Ok(Some(Flow::Return(values))),
                Flow::Condition(_) => {
                    return Err(self.internal(
                        func,
                        Some(inst),
                        "a while body ended in `condition`".into(),
                    ))
                }
            }
        }
        self.set_results(frame, inst, carried)
    }

    /// `if cond { then_block } else { else_block }`.
    pub(super) fn exec_if(
        &mut self,
        frame: &mut Frame<'m>,
        inst: Inst,
        cond: Value,
        [then_block, else_block]: [Block; 2],
    ) -> Result<Option<Flow>, InterpError> {
        let func = frame.func;
        let taken = scalar_bool(frame, cond).map_err(|m| self.internal(func, Some(inst), m))?;
        let block = if taken { then_block } else { else_block };
        match self.exec_nested(frame, block, Vec::new())? {
            Flow::Yield(values) => self.set_results(frame, inst, values),
            Flow::Return(values) => Ok(Some(Flow::Return(values))),
            Flow::Condition(_) => {
                Err(self.internal(func, Some(inst), "an if branch ended in `condition`".into()))
            }
        }
    }

    /// Calls the helper `callee` of the module with `args`; its `return` values become
    /// the results.
    pub(super) fn exec_call(
        &mut self,
        frame: &mut Frame<'m>,
        inst: Inst,
        callee: &str,
        args: &[Value],
    ) -> Result<(), InterpError> {
        let func = frame.func;
        let at = |m: String| self.internal(func, Some(inst), m);
        let target =
            self.module.function(callee).ok_or_else(|| format!("no function named '{callee}'"));
        let target = target.map_err(at)?;
        ensure(target.kind == FunctionKind::Helper, || {
            format!("'{callee}' is a kernel, not a helper")
        })
        .map_err(at)?;
        let args = frame.vals(args).map_err(at)?;
        let mut callee_frame = Frame::new(target);
        match self.exec_nested(&mut callee_frame, target.body, args)? {
            Flow::Return(values) => {
                self.set_results(frame, inst, values)?;
                Ok(())
            }
            Flow::Yield(_) | Flow::Condition(_) => {
                Err(self.internal(target, None, "the body must end in `return`".into()))
            }
        }
    }

    /// Binds the results of `inst` to `values`.
    fn set_results(
        &self,
        frame: &mut Frame<'m>,
        inst: Inst,
        values: Vec<Val>,
    ) -> Result<Option<Flow>, InterpError> {
        let func = frame.func;
        let results = func.insts.get(inst).map(|data| data.results.as_slice()).unwrap_or(&[]);
        frame.set_all(results, values).map_err(|m| self.internal(func, Some(inst), m))?;
        Ok(None)
    }
}

/// The integer type and values of a `for` loop's bounds and step.
fn loop_bounds(frame: &Frame<'_>, values: [Value; 3]) -> OpResult<(ScalarType, [i128; 3])> {
    let mut dtype = None;
    let mut out = [0i128; 3];
    for (slot, value) in out.iter_mut().zip(values) {
        let (data, ty) = frame.operand(value)?;
        let scalar = ty.scalar_type().filter(|s| s.is_int() && ty.is_scalar());
        let scalar = scalar
            .ok_or_else(|| format!("loop bound {value} must be an integer scalar, found {ty}"))?;
        ensure(dtype.is_none_or(|d| d == scalar), || {
            "loop bounds and step differ in type".to_string()
        })?;
        dtype = Some(scalar);
        *slot = int_scalar(data.buffer()?)?;
    }
    Ok((dtype.unwrap_or(ScalarType::I32), out))
}
