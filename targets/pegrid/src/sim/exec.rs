//! What each command waits for ([`Sim::blocked`], free of effects) and what it does
//! once it can proceed ([`Sim::execute`]): operands, compute through the reference
//! interpreter's [`eval_pure_op`], control flow, asserts, neighbour links and
//! barriers. The memory commands are in `dma.rs`.

use tessera_ir::entity::EntityRef;
use tessera_ir::interp::{binary_buffer, eval_pure_op, Buffer, KernelArg, Scalar};
use tessera_ir::{ElemType, Type, Value};

use super::data;
use super::state::{At, Link, Sim, Tile, Wait};
use super::{SimError, MAX_IN_FLIGHT_BYTES, MAX_TILE_ELEMENTS};
use crate::program::{
    BinaryOp, CbId, Dir, DmaMask, Dst, Op, Operand, PeSet, ScalarType, Special, TileOp,
};

/// The tile IR op a compute command evaluates, with placeholder operand values
/// (`eval_pure_op` ignores them); `None` for `copy` and non-compute commands.
pub(crate) fn ir_op(op: &Op) -> Option<tessera_ir::Op> {
    let tile_op = match op {
        Op::Tile { op, .. } | Op::Scalar { op, .. } => op,
        _ => return None,
    };
    let v = |i: usize| Value::new(i);
    Some(match tile_op {
        TileOp::Arange { start, end } => tessera_ir::Op::Arange { start: *start, end: *end },
        TileOp::Splat => tessera_ir::Op::Splat { value: v(0) },
        TileOp::ExpandDims { axis } => tessera_ir::Op::ExpandDims { arg: v(0), axis: *axis },
        TileOp::Broadcast => tessera_ir::Op::Broadcast { arg: v(0) },
        TileOp::Reshape => tessera_ir::Op::Reshape { arg: v(0) },
        TileOp::Trans { perm } => tessera_ir::Op::Trans { arg: v(0), perm: perm.clone() },
        TileOp::Unary(op) => tessera_ir::Op::Unary { op: *op, arg: v(0) },
        TileOp::Binary(op) => tessera_ir::Op::Binary { op: *op, lhs: v(0), rhs: v(1) },
        TileOp::Cmp(pred) => tessera_ir::Op::Cmp { pred: *pred, lhs: v(0), rhs: v(1) },
        TileOp::Select => tessera_ir::Op::Select { cond: v(0), on_true: v(1), on_false: v(2) },
        TileOp::Cast => tessera_ir::Op::Cast { arg: v(0) },
        TileOp::Fma => tessera_ir::Op::Fma { a: v(0), b: v(1), c: v(2) },
        TileOp::Reduce { op, axis } => tessera_ir::Op::Reduce { op: *op, arg: v(0), axis: *axis },
        TileOp::Scan { op, axis } => tessera_ir::Op::Scan { op: *op, arg: v(0), axis: *axis },
        TileOp::Dot => tessera_ir::Op::Dot { a: v(0), b: v(1), acc: v(2) },
        TileOp::Copy => return None,
    })
}

/// Number of elements of `shape`, saturating.
pub(crate) fn numel(shape: &[u64]) -> u64 {
    shape.iter().fold(1u64, |acc, &d| acc.saturating_mul(d))
}

/// The element count of a tile of `shape`, or a fault if the product of its nonzero
/// dimensions exceeds [`MAX_TILE_ELEMENTS`] (which also keeps every dimension within
/// `u32`, as tile IR types require).
pub(crate) fn check_shape(at: At, shape: &[u64]) -> Result<usize, SimError> {
    let nonzero = shape.iter().filter(|&&d| d != 0).fold(1u64, |acc, &d| acc.saturating_mul(d));
    if nonzero > MAX_TILE_ELEMENTS {
        return Err(at.fault(format!(
            "a tile of shape {shape:?} is larger than {MAX_TILE_ELEMENTS} elements"
        )));
    }
    usize::try_from(numel(shape)).map_err(|_| at.fault("tile size overflows"))
}

/// Fails with [`SimError::SlotOverflow`] unless `elements` of `dtype` fit a slot of `cb`.
pub(crate) fn check_fits(
    at: At,
    cb: CbId,
    slot_bytes: u64,
    elements: u64,
    dtype: ScalarType,
) -> Result<(), SimError> {
    let bytes = elements.saturating_mul(dtype.byte_size() as u64);
    if bytes > slot_bytes {
        let At { pe, index, mnemonic } = at;
        return Err(SimError::SlotOverflow { pe, index, mnemonic, cb: cb.0, bytes, slot_bytes });
    }
    Ok(())
}

/// The tile IR type of a tile of `shape` and `dtype`.
fn tile_type(at: At, shape: &[u64], dtype: ScalarType) -> Result<Type, SimError> {
    let dims: Option<Vec<u32>> = shape.iter().map(|&d| u32::try_from(d).ok()).collect();
    let shape = dims.ok_or_else(|| at.fault(format!("shape {shape:?} does not fit u32")))?;
    Ok(Type { shape, elem: ElemType::Scalar(dtype) })
}

/// Bytes of a tile's elements.
fn tile_bytes(tile: &Tile) -> u64 {
    (tile.data.len() as u64).saturating_mul(tile.data.dtype().byte_size() as u64)
}

/// The opposite direction: a message sent north arrives from the south.
pub(crate) fn opposite(dir: Dir) -> Dir {
    match dir {
        Dir::North => Dir::South,
        Dir::South => Dir::North,
        Dir::East => Dir::West,
        Dir::West => Dir::East,
    }
}

/// The first reason to wait, if any.
fn first<const N: usize>(waits: [Option<Wait>; N]) -> Option<Wait> {
    waits.into_iter().flatten().next()
}

/// An input of a compute command: a CB slot, or a scalar as a one-element buffer.
enum Input<'t> {
    Tile(&'t Tile),
    Scalar(Buffer),
    /// A scalar broadcast to every lane of the result.
    Lanes(Buffer),
}

/// What to do after a command: fall through, or continue at a command index.
pub(crate) type Next = Option<usize>;

impl Sim<'_> {
    /// Why the command `op` of PE `p` cannot proceed now, if it cannot; no effects.
    pub(crate) fn blocked(&self, p: usize, at: At, op: &Op) -> Result<Option<Wait>, SimError> {
        let pe = &self.pes[p];
        let front = |cb: CbId| -> Result<Option<Wait>, SimError> {
            Ok(pe.cb(at, cb)?.slots.is_empty().then_some(Wait::Empty(cb)))
        };
        let room = |cb: CbId| -> Result<Option<Wait>, SimError> {
            let c = pe.cb(at, cb)?;
            Ok((c.slots.len() >= c.depth as usize).then_some(Wait::Full(cb)))
        };
        let fronts = |operands: &[Operand]| -> Result<Option<Wait>, SimError> {
            for &operand in operands {
                if let Operand::Cb(cb) = operand {
                    if let Some(wait) = front(cb)? {
                        return Ok(Some(wait));
                    }
                }
            }
            Ok(None)
        };
        let mask = |mask: &DmaMask| match mask {
            DmaMask::Tile(cb) => front(*cb),
            DmaMask::All | DmaMask::Extents(_) => Ok(None),
        };
        let optional = |cb: Option<CbId>| cb.map_or(Ok(None), front);
        Ok(match op {
            Op::Scalar { inputs, .. } => fronts(inputs)?,
            Op::Jump { .. } | Op::Prefetch { .. } | Op::Fence => None,
            Op::Branch { cond, .. } => fronts(&[*cond])?,
            Op::Assert { cond, .. } if self.launch.check_asserts => fronts(&[*cond])?,
            Op::Assert { .. } => None,
            Op::Pop { cb } => front(*cb)?,
            Op::DmaIn { cb, src } | Op::BcastLoad { cb, src, .. } => {
                first([mask(&src.mask)?, room(*cb)?])
            }
            Op::DmaOut { cb, dst } => first([front(*cb)?, mask(&dst.mask)?]),
            Op::Gather { cb, src } => first([front(src.index)?, optional(src.mask)?, room(*cb)?]),
            Op::Scatter { cb, dst } => first([front(*cb)?, front(dst.index)?, optional(dst.mask)?]),
            Op::AtomicRmw { cb, dst, old, .. } => first([
                front(*cb)?,
                front(dst.index)?,
                optional(dst.mask)?,
                old.map_or(Ok(None), room)?,
            ]),
            Op::Tile { out, inputs, .. } => {
                let out = match *out {
                    Dst::Push(cb) => room(cb)?,
                    Dst::Update(cb) => front(cb)?,
                };
                first([fronts(inputs)?, out])
            }
            Op::Send { dir, cb } | Op::ReSend { dir, cb } => {
                self.neighbour(p, at, *dir)?;
                front(*cb)?
            }
            Op::Recv { dir, cb } => first([self.message(p, at, Link::Data, *dir)?, room(*cb)?]),
            Op::ReRecv { dir, cb } => {
                first([self.message(p, at, Link::Reduction, *dir)?, front(*cb)?])
            }
            Op::Wait { token } => (!pe.tokens.contains(&token.0)).then_some(Wait::Token(*token)),
            Op::Barrier { set } => self.barrier_wait(p, at, *set)?,
        })
    }

    /// Performs `op` for PE `p`, which [`Sim::blocked`] found ready. Returns the
    /// branch target, if control does not fall through.
    pub(crate) fn execute(&mut self, p: usize, at: At, op: &Op) -> Result<Next, SimError> {
        match op {
            Op::Scalar { op, dtype, dst, inputs } => {
                let ty = Type::scalar(*dtype);
                let result = self.compute(p, at, op, inputs, &ty, true)?;
                let value = result.get(0).ok_or_else(|| at.fault("no scalar result"))?;
                if !self.pes[p].regs.set(dst.0, value) {
                    return Err(at.fault(format!("r{} does not exist", dst.0)));
                }
            }
            Op::Jump { target } => return Ok(Some(*target as usize)),
            Op::Branch { cond, when, target } => {
                if self.bool_scalar(p, at, *cond)? == *when {
                    return Ok(Some(*target as usize));
                }
            }
            Op::Assert { cond, message } => self.assert(p, at, *cond, message)?,
            Op::Pop { cb } => {
                self.pes[p].cb_mut(at, *cb)?.slots.pop_front();
            }
            Op::DmaIn { cb, src } | Op::BcastLoad { cb, src, .. } => {
                self.dma_in(p, at, *cb, src)?
            }
            Op::DmaOut { cb, dst } => self.dma_out(p, at, *cb, dst)?,
            Op::Gather { cb, src } => self.gather(p, at, *cb, src)?,
            Op::Scatter { cb, dst } => self.scatter(p, at, *cb, dst)?,
            Op::AtomicRmw { op, cb, dst, old } => self.atomic(p, at, *op, *cb, dst, *old)?,
            Op::Prefetch { buffer, base, len } => self.prefetch(p, at, *buffer, *base, *len)?,
            Op::Tile { .. } => self.tile(p, at, op)?,
            Op::Send { dir, cb } => self.send(p, at, Link::Data, *dir, *cb)?,
            Op::ReSend { dir, cb } => self.send(p, at, Link::Reduction, *dir, *cb)?,
            Op::Recv { dir, cb } => self.recv(p, at, *dir, *cb)?,
            Op::ReRecv { dir, cb } => self.re_recv(p, at, *dir, *cb)?,
            Op::Wait { .. } | Op::Fence => {}
            Op::Barrier { .. } => self.pes[p].barriers += 1,
        }
        Ok(None)
    }

    /// [`Sim::execute`] for timing-only runs: CB slots get their shapes but no data,
    /// memory is neither read nor written, and tile arithmetic is skipped; only the
    /// control core computes. Reading an engine's data on the core is an error.
    pub(crate) fn execute_shapes_only(
        &mut self,
        p: usize,
        at: At,
        op: &Op,
    ) -> Result<Next, SimError> {
        let needs_data = || {
            at.fault("a timing-only run cannot read tile data on the control core (the control flow depends on data): run with values")
        };
        let empty = |dtype: ScalarType| Buffer::zeros(dtype, 0);
        match op {
            Op::Scalar { inputs, .. } if inputs.iter().any(|o| matches!(o, Operand::Cb(_))) => {
                return Err(needs_data());
            }
            Op::Branch { cond: Operand::Cb(_), .. } => return Err(needs_data()),
            Op::Scalar { .. }
            | Op::Jump { .. }
            | Op::Branch { .. }
            | Op::Pop { .. }
            | Op::Send { .. }
            | Op::ReSend { .. }
            | Op::Recv { .. }
            | Op::ReRecv { .. }
            | Op::Wait { .. }
            | Op::Fence
            | Op::Barrier { .. } => return self.execute(p, at, op),
            Op::Assert { .. } | Op::DmaOut { .. } | Op::Scatter { .. } | Op::Prefetch { .. } => {}
            Op::DmaIn { cb, src } | Op::BcastLoad { cb, src, .. } => {
                let dtype = match self.program.params.get(src.buffer as usize).map(|q| q.kind) {
                    Some(crate::program::ParamKind::Buffer(t)) => t,
                    _ => return Err(at.fault("not a buffer")),
                };
                let slot_bytes = self.pes[p].cb(at, *cb)?.slot_bytes;
                check_fits(at, *cb, slot_bytes, numel(&src.shape), dtype)?;
                let tile = Tile { shape: src.shape.clone(), data: empty(dtype) };
                self.pes[p].cb_mut(at, *cb)?.slots.push_back(tile);
            }
            Op::Gather { cb: out, src: d } | Op::AtomicRmw { old: Some(out), dst: d, .. } => {
                let dtype = match self.program.params.get(d.buffer as usize).map(|q| q.kind) {
                    Some(crate::program::ParamKind::Buffer(t)) => t,
                    _ => return Err(at.fault("not a buffer")),
                };
                let shape = self.pes[p].front(at, d.index)?.shape.clone();
                let slot_bytes = self.pes[p].cb(at, *out)?.slot_bytes;
                check_fits(at, *out, slot_bytes, numel(&shape), dtype)?;
                self.pes[p].cb_mut(at, *out)?.slots.push_back(Tile { shape, data: empty(dtype) });
            }
            Op::AtomicRmw { old: None, .. } => {}
            Op::Tile { out, shape, dtype, .. } => {
                let slot_bytes = self.pes[p].cb(at, out.cb())?.slot_bytes;
                check_fits(at, out.cb(), slot_bytes, numel(shape), *dtype)?;
                check_shape(at, shape)?;
                let tile = Tile { shape: shape.clone(), data: empty(*dtype) };
                let cb = self.pes[p].cb_mut(at, out.cb())?;
                match out {
                    Dst::Push(_) => cb.slots.push_back(tile),
                    Dst::Update(_) => match cb.slots.front_mut() {
                        Some(front) => *front = tile,
                        None => return Err(at.fault(format!("cb{} is empty", out.cb().0))),
                    },
                }
            }
        }
        Ok(None)
    }

    // ----- operands -----

    /// The value of a scalar operand; a CB operand must hold exactly one element.
    pub(crate) fn scalar(&self, p: usize, at: At, operand: Operand) -> Result<Scalar, SimError> {
        let pe = &self.pes[p];
        match operand {
            Operand::Cb(cb) => {
                let tile = pe.front(at, cb)?;
                match (tile.data.len(), tile.data.get(0)) {
                    (1, Some(value)) => Ok(value),
                    (len, _) => Err(at.fault(format!(
                        "cb{} holds {len} elements where a scalar is required",
                        cb.0
                    ))),
                }
            }
            Operand::Reg(reg) => pe.regs.get(reg.0).ok_or(SimError::UnsetRegister {
                pe: at.pe,
                index: at.index,
                mnemonic: at.mnemonic,
                reg: reg.0,
            }),
            Operand::Imm(imm) => imm.to_scalar().ok_or_else(|| {
                at.fault(format!("immediate bits {:#x} do not fit {}", imm.bits, imm.dtype))
            }),
            Operand::Param(i) => match self.args.get(i as usize) {
                Some(KernelArg::Scalar(value)) => Ok(*value),
                Some(KernelArg::Buffer(_)) | None => {
                    Err(at.fault(format!("parameter {i} is not a scalar")))
                }
            },
            Operand::Special(special) => {
                let launch = self.launch;
                let value = match special {
                    Special::PeRow => at.pe.0,
                    Special::PeCol => at.pe.1,
                    Special::PeRows => launch.rows,
                    Special::PeCols => launch.cols,
                    Special::Grid(axis) => *launch
                        .grid
                        .get(usize::from(axis))
                        .ok_or_else(|| at.fault(format!("grid axis {axis} does not exist")))?,
                };
                Ok(Scalar::I32(i32::try_from(value).unwrap_or(i32::MAX)))
            }
        }
    }

    /// The value of an integer scalar operand, exactly.
    pub(crate) fn int_scalar(
        &self,
        p: usize,
        at: At,
        operand: Operand,
        what: &str,
    ) -> Result<i128, SimError> {
        let value = self.scalar(p, at, operand)?;
        data::int_value(value)
            .ok_or_else(|| at.fault(format!("{what} must be an integer, got {value}")))
    }

    fn bool_scalar(&self, p: usize, at: At, operand: Operand) -> Result<bool, SimError> {
        match self.scalar(p, at, operand)? {
            Scalar::Bool(value) => Ok(value),
            other => Err(at.fault(format!("the condition must be a bool, got {other}"))),
        }
    }

    // ----- compute -----

    /// Evaluates `op` on `inputs` with result type `ty`. With `scalar_inputs`, CB
    /// operands are read as scalars (the scalar core); otherwise as tiles.
    fn compute(
        &self,
        p: usize,
        at: At,
        op: &TileOp,
        inputs: &[Operand],
        ty: &Type,
        scalar_inputs: bool,
    ) -> Result<Buffer, SimError> {
        // Scalar operands of elementwise ops with a tile result stand for every lane.
        let broadcast = !scalar_inputs
            && !ty.shape.is_empty()
            && matches!(
                op,
                TileOp::Unary(_)
                    | TileOp::Binary(_)
                    | TileOp::Cmp(_)
                    | TileOp::Select
                    | TileOp::Cast
                    | TileOp::Fma
            );
        let lanes = ty.shape.iter().fold(1usize, |n, &d| n.saturating_mul(d as usize));
        let mut values = Vec::with_capacity(inputs.len());
        for &operand in inputs {
            values.push(match operand {
                Operand::Cb(cb) if !scalar_inputs => Input::Tile(self.pes[p].front(at, cb)?),
                _ if broadcast => Input::Lanes(self.scalar(p, at, operand)?.splat(lanes)),
                _ => Input::Scalar(data::scalar_buffer(self.scalar(p, at, operand)?)),
            });
        }
        let mut types = Vec::with_capacity(values.len());
        for value in &values {
            types.push(match value {
                Input::Tile(tile) => tile_type(at, &tile.shape, tile.data.dtype())?,
                Input::Scalar(buffer) => Type::scalar(buffer.dtype()),
                Input::Lanes(buffer) => Type {
                    shape: ty.shape.clone(),
                    elem: tessera_ir::ElemType::Scalar(buffer.dtype()),
                },
            });
        }
        let buffers = values.iter().map(|value| match value {
            Input::Tile(tile) => &tile.data,
            Input::Scalar(buffer) | Input::Lanes(buffer) => buffer,
        });
        let args: Vec<(&Buffer, &Type)> = buffers.zip(&types).collect();
        if let TileOp::Copy = op {
            return match args.as_slice() {
                [(buffer, input_ty)] if *input_ty == ty => Ok((*buffer).clone()),
                [(_, input_ty)] => Err(at.fault(format!("copy of a {input_ty} as a {ty}"))),
                _ => Err(at.fault("copy takes one input")),
            };
        }
        let index = at.index;
        let ir_op = self.ir_ops.get(index).and_then(Option::as_ref);
        let ir_op = ir_op.ok_or_else(|| at.fault("not a compute command"))?;
        let result = eval_pure_op(ir_op, &args, ty).map_err(|message| at.eval(message))?;
        let expected = ty.shape.iter().fold(1usize, |n, &d| n.saturating_mul(d as usize));
        if Some(result.dtype()) != ty.scalar_type() || result.len() != expected {
            return Err(at.eval(format!("the result is not a {ty}")));
        }
        Ok(result)
    }

    /// An [`Op::Tile`] command: computes a tile of its `shape` and `dtype` into `out`.
    fn tile(&mut self, p: usize, at: At, command: &Op) -> Result<(), SimError> {
        let Op::Tile { op, out, shape, dtype, inputs, .. } = command else {
            return Err(at.fault("not a tile command"));
        };
        let (out, dtype) = (*out, *dtype);
        let slot_bytes = self.pes[p].cb(at, out.cb())?.slot_bytes;
        check_fits(at, out.cb(), slot_bytes, numel(shape), dtype)?;
        check_shape(at, shape)?;
        let ty = tile_type(at, shape, dtype)?;
        let data = self.compute(p, at, op, inputs, &ty, false)?;
        let tile = Tile { shape: shape.to_vec(), data };
        let cb = self.pes[p].cb_mut(at, out.cb())?;
        match out {
            Dst::Push(_) => cb.slots.push_back(tile),
            Dst::Update(_) => match cb.slots.front_mut() {
                Some(front) => *front = tile,
                None => return Err(at.fault(format!("cb{} is empty", out.cb().0))),
            },
        }
        Ok(())
    }

    fn assert(&self, p: usize, at: At, cond: Operand, message: &str) -> Result<(), SimError> {
        if !self.launch.check_asserts {
            return Ok(());
        }
        let lane = match cond {
            Operand::Cb(cb) => {
                let tile = self.pes[p].front(at, cb)?;
                let values = data::bools(&tile.data).ok_or_else(|| {
                    at.fault(format!(
                        "the condition in cb{} must be a bool tile, got {}",
                        cb.0,
                        tile.data.dtype()
                    ))
                })?;
                values.iter().position(|&ok| !ok)
            }
            _ => (!self.bool_scalar(p, at, cond)?).then_some(0),
        };
        match lane {
            Some(lane) => Err(SimError::AssertFailed {
                pe: at.pe,
                index: at.index,
                message: message.to_string(),
                lane: lane as u64,
            }),
            None => Ok(()),
        }
    }

    // ----- neighbours -----

    /// The index of `p`'s neighbour in `dir`, or [`SimError::NoNeighbour`].
    pub(crate) fn neighbour(&self, p: usize, at: At, dir: Dir) -> Result<usize, SimError> {
        let (row, col) = self.pes[p].coord;
        let (row, col) = (i64::from(row), i64::from(col));
        let (row, col) = match dir {
            Dir::North => (row - 1, col),
            Dir::South => (row + 1, col),
            Dir::West => (row, col - 1),
            Dir::East => (row, col + 1),
        };
        self.pe_index(row, col).ok_or(SimError::NoNeighbour {
            pe: at.pe,
            index: at.index,
            mnemonic: at.mnemonic,
            dir,
        })
    }

    /// Whether a message from the neighbour in `dir` is missing.
    fn message(&self, p: usize, at: At, link: Link, dir: Dir) -> Result<Option<Wait>, SimError> {
        self.neighbour(p, at, dir)?;
        Ok(self.pes[p].inbox(link, dir).is_empty().then_some(Wait::Message { link, dir }))
    }

    fn send(&mut self, p: usize, at: At, link: Link, dir: Dir, cb: CbId) -> Result<(), SimError> {
        let to = self.neighbour(p, at, dir)?;
        let tile = self.pes[p].front(at, cb)?;
        let in_flight = self.in_flight.saturating_add(tile_bytes(tile));
        if in_flight > MAX_IN_FLIGHT_BYTES {
            let At { pe, index, mnemonic } = at;
            let limit = MAX_IN_FLIGHT_BYTES;
            return Err(SimError::LinkOverflow { pe, index, mnemonic, in_flight, limit });
        }
        let tile = tile.clone();
        let receiver = self.pes.get_mut(to).ok_or_else(|| at.fault("no such PE"))?;
        receiver.inbox_mut(link, opposite(dir)).push_back(tile);
        self.in_flight = in_flight;
        Ok(())
    }

    fn recv(&mut self, p: usize, at: At, dir: Dir, cb: CbId) -> Result<(), SimError> {
        let pe = &mut self.pes[p];
        let slot_bytes = pe.cb(at, cb)?.slot_bytes;
        let message = pe.inbox_mut(Link::Data, dir).pop_front();
        let message = message.ok_or_else(|| at.fault("no message"))?;
        self.in_flight = self.in_flight.saturating_sub(tile_bytes(&message));
        check_fits(at, cb, slot_bytes, message.data.len() as u64, message.data.dtype())?;
        pe.cb_mut(at, cb)?.slots.push_back(message);
        Ok(())
    }

    fn re_recv(&mut self, p: usize, at: At, dir: Dir, cb: CbId) -> Result<(), SimError> {
        let pe = &mut self.pes[p];
        let message = pe.inbox_mut(Link::Reduction, dir).pop_front();
        let message = message.ok_or_else(|| at.fault("no message"))?;
        self.in_flight = self.in_flight.saturating_sub(tile_bytes(&message));
        let front = pe.front(at, cb)?;
        if front.shape != message.shape || front.data.dtype() != message.data.dtype() {
            return Err(at.fault(format!(
                "adding a {:?} {} partial into a {:?} {} tile",
                message.shape,
                message.data.dtype(),
                front.shape,
                front.data.dtype()
            )));
        }
        let sum = binary_buffer(BinaryOp::Add, &front.data, &message.data)
            .map_err(|message| at.eval(message))?;
        match pe.cb_mut(at, cb)?.slots.front_mut() {
            Some(front) => front.data = sum,
            None => return Err(at.fault(format!("cb{} is empty", cb.0))),
        }
        Ok(())
    }

    // ----- barriers -----

    /// The first PE of `set` (other than `p`) that has not reached `p`'s current
    /// barrier, if any.
    fn barrier_wait(&self, p: usize, at: At, set: PeSet) -> Result<Option<Wait>, SimError> {
        let passed = self.pes[p].barriers;
        for q in self.barrier_members(p, at, set)? {
            if q != p && !self.reached_barrier(q, passed) {
                return Ok(Some(Wait::Barrier(self.pes[q].coord)));
            }
        }
        Ok(None)
    }

    /// The PEs of `set` as seen from PE `p`, row-major.
    pub(crate) fn barrier_members(
        &self,
        p: usize,
        at: At,
        set: PeSet,
    ) -> Result<Vec<usize>, SimError> {
        let (row, col) = self.pes[p].coord;
        let (rows, cols) = (self.launch.rows, self.launch.cols);
        let (row0, col0, n_rows, n_cols) = match set {
            PeSet::All => (0, 0, rows, cols),
            PeSet::Row => (row, 0, 1, cols),
            PeSet::Col => (0, col, rows, 1),
            PeSet::Rect { row: r, col: c, rows: nr, cols: nc } => {
                let end_row = u64::from(r) + u64::from(nr);
                let end_col = u64::from(c) + u64::from(nc);
                let inside = end_row <= u64::from(rows) && end_col <= u64::from(cols);
                let contains = (r..r.saturating_add(nr)).contains(&row)
                    && (c..c.saturating_add(nc)).contains(&col);
                if !inside || !contains {
                    return Err(at.fault(format!(
                        "barrier rectangle {nr}x{nc} at ({r}, {c}) must lie in the \
                         {rows}x{cols} sub-grid and contain the issuing PE"
                    )));
                }
                (r, c, nr, nc)
            }
        };
        let mut members = Vec::new();
        for r in row0..row0.saturating_add(n_rows) {
            for c in col0..col0.saturating_add(n_cols) {
                let q = self.pe_index(i64::from(r), i64::from(c));
                members.push(q.ok_or_else(|| at.fault(format!("PE ({r}, {c}) does not exist")))?);
            }
        }
        Ok(members)
    }

    /// Whether PE `q` has reached its barrier number `passed + 1`: it has passed it,
    /// or is waiting at a barrier command after passing `passed`.
    fn reached_barrier(&self, q: usize, passed: u64) -> bool {
        let Some(pe) = self.pes.get(q) else { return false };
        let at_barrier =
            matches!(self.program.code.get(pe.pc).map(|c| &c.op), Some(Op::Barrier { .. }));
        pe.barriers > passed || (pe.barriers == passed && at_barrier)
    }
}
