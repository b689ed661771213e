//! What a command costs in the timing model: [`Sim::facts`] reads the operands and
//! the shapes of the CB slots a command is about to use (before it executes) and
//! describes its unit, duration, CB traffic and memory transfer for `timing.rs`.
//! Nothing here depends on tile *values*, so timing-only runs count the same cycles
//! as full ones.

use super::exec::numel;
use super::state::{At, Sim};
use super::timing::{lanes_cycles, Facts, Unit};
use super::SimError;
use crate::program::{
    BinaryOp, CbId, DmaDesc, DmaMask, Dst, Engine, IndexDesc, MemLevel, Op, Operand, ParamKind,
    ScalarType, TileOp,
};

/// Bytes of the vector core's registers (PEGRID.md: a 64-byte vector unit).
const VECTOR_BYTES: u64 = 64;

fn unit_of(engine: Engine) -> Unit {
    match engine {
        Engine::Dpe => Unit::Dpe,
        Engine::Re => Unit::Re,
        Engine::Se => Unit::Se,
        Engine::Mlu => Unit::Mlu,
        Engine::Vec => Unit::Vec,
    }
}

fn cb_operands(inputs: &[Operand]) -> Vec<CbId> {
    inputs.iter().filter_map(|o| if let Operand::Cb(cb) = o { Some(*cb) } else { None }).collect()
}

impl Sim<'_> {
    /// The element type of buffer parameter `buffer`.
    fn buffer_dtype(&self, buffer: u32) -> ScalarType {
        match self.program.params.get(buffer as usize).map(|p| p.kind) {
            Some(ParamKind::Buffer(t)) => t,
            _ => ScalarType::U8,
        }
    }

    /// Where `buffer` lives: SRAM if the launch placed it there, else `level`.
    fn level(&self, buffer: u32, level: MemLevel) -> MemLevel {
        if self.launch.sram_buffers.contains(&buffer) {
            MemLevel::Sram
        } else {
            level
        }
    }

    /// Shape of the front slot of `cb` (empty if none).
    fn front_shape(&self, p: usize, cb: CbId) -> Vec<u64> {
        self.pes[p]
            .cbs
            .get(cb.0 as usize)
            .and_then(|c| c.slots.front())
            .map_or_else(Vec::new, |t| t.shape.clone())
    }

    fn front_dtype(&self, p: usize, cb: CbId) -> ScalarType {
        self.pes[p]
            .cbs
            .get(cb.0 as usize)
            .and_then(|c| c.slots.front())
            .map_or(ScalarType::U8, |t| t.data.dtype())
    }

    /// Bytes a strided transfer moves: the live extents, or the whole descriptor.
    fn strided_bytes(&self, p: usize, at: At, d: &DmaDesc) -> Result<u64, SimError> {
        let elems = match &d.mask {
            DmaMask::Extents(ext) => {
                let mut n: u64 = 1;
                for (&e, &dim) in ext.iter().zip(&d.shape) {
                    let e = self.int_scalar(p, at, e, "a mask extent")?.clamp(0, dim as i128);
                    n = n.saturating_mul(e as u64);
                }
                n
            }
            DmaMask::All | DmaMask::Tile(_) => numel(&d.shape),
        };
        Ok(elems.saturating_mul(self.buffer_dtype(d.buffer).byte_size() as u64))
    }

    fn index_bytes(&self, p: usize, d: &IndexDesc) -> u64 {
        numel(&self.front_shape(p, d.index))
            .saturating_mul(self.buffer_dtype(d.buffer).byte_size() as u64)
    }

    /// The timing description of `op`, which PE `p` is about to execute.
    pub(crate) fn facts(&self, p: usize, at: At, op: &Op) -> Result<Facts, SimError> {
        let m = self.machine;
        let setup = m.dma.setup_cycles;
        let mut f = Facts::default();
        let mask_cb = |mask: &DmaMask| if let DmaMask::Tile(cb) = mask { Some(*cb) } else { None };
        match op {
            Op::Scalar { inputs, .. } => {
                f.unit = Some(Unit::Core);
                f.reads = cb_operands(inputs);
            }
            Op::Branch { cond, .. } => {
                f.unit = Some(Unit::Core);
                f.reads = cb_operands(&[*cond]);
            }
            Op::Assert { cond, .. } => {
                f.unit = Some(Unit::Core);
                if self.launch.check_asserts {
                    f.reads = cb_operands(&[*cond]);
                }
            }
            Op::Pop { cb } => {
                f.unit = Some(Unit::Core);
                f.pop = Some(*cb);
            }
            Op::Wait { token } => {
                f.unit = Some(Unit::Core);
                f.wait_token = Some(token.0);
            }
            Op::Fence | Op::Barrier { .. } => {
                f.unit = Some(Unit::Core);
                f.fence = matches!(op, Op::Fence);
            }
            Op::DmaIn { cb, src } | Op::BcastLoad { cb, src, .. } => {
                let bytes = self.strided_bytes(p, at, src)?;
                f.unit = Some(Unit::Dma);
                f.cycles = setup;
                f.push = Some(*cb);
                f.reads.extend(mask_cb(&src.mask));
                f.transfer = Some((self.level(src.buffer, src.level), bytes, true));
                f.local_bytes = bytes;
                if let Op::BcastLoad { group, .. } = op {
                    f.bcast = Some(*group);
                }
            }
            Op::DmaOut { cb, dst } => {
                let bytes = self.strided_bytes(p, at, dst)?;
                f.unit = Some(Unit::Dma);
                f.cycles = setup;
                f.reads.push(*cb);
                f.reads.extend(mask_cb(&dst.mask));
                f.transfer = Some((self.level(dst.buffer, dst.level), bytes, false));
                f.local_bytes = bytes;
            }
            Op::Gather { cb, src } => {
                let bytes = self.index_bytes(p, src);
                f.unit = Some(Unit::Dma);
                f.cycles = setup;
                f.push = Some(*cb);
                f.reads.push(src.index);
                f.reads.extend(src.mask);
                f.transfer = Some((self.level(src.buffer, src.level), bytes, true));
                f.local_bytes = bytes;
            }
            Op::Scatter { cb, dst } | Op::AtomicRmw { cb, dst, .. } => {
                let bytes = self.index_bytes(p, dst);
                f.unit = Some(Unit::Dma);
                f.cycles = setup;
                f.reads.push(*cb);
                f.reads.push(dst.index);
                f.reads.extend(dst.mask);
                let read = matches!(op, Op::AtomicRmw { .. });
                if let Op::AtomicRmw { old, .. } = op {
                    f.push = *old;
                }
                f.transfer = Some((self.level(dst.buffer, dst.level), bytes, read));
                f.local_bytes = bytes;
            }
            Op::Prefetch { buffer, len, .. } => {
                let n = self.int_scalar(p, at, *len, "a prefetch length")?.max(0) as u64;
                let bytes = n.saturating_mul(self.buffer_dtype(*buffer).byte_size() as u64);
                f.unit = Some(Unit::Dma);
                f.cycles = setup;
                f.transfer = Some((MemLevel::Dram, bytes, true));
            }
            Op::Jump { .. } => f.unit = Some(Unit::Core),
            Op::Tile { engine, op: tile_op, out, shape, dtype, inputs } => {
                let unit = unit_of(*engine);
                f.unit = Some(unit);
                f.reads = cb_operands(inputs);
                match out {
                    Dst::Push(cb) => f.push = Some(*cb),
                    Dst::Update(cb) => f.update = Some(*cb),
                }
                let out_elems = numel(shape);
                let out_bytes = out_elems.saturating_mul(dtype.byte_size() as u64);
                let in_shapes: Vec<(Vec<u64>, ScalarType)> = f
                    .reads
                    .iter()
                    .map(|&cb| (self.front_shape(p, cb), self.front_dtype(p, cb)))
                    .collect();
                let in_bytes: u64 = in_shapes
                    .iter()
                    .map(|(s, t)| numel(s).saturating_mul(t.byte_size() as u64))
                    .fold(0u64, u64::saturating_add);
                f.local_bytes = in_bytes.saturating_add(out_bytes);
                let in_elems = in_shapes.first().map_or(out_elems, |(s, _)| numel(s));
                let in_dtype = in_shapes.first().map_or(*dtype, |(_, t)| *t);
                let cost = match tile_op {
                    TileOp::Binary(BinaryOp::Div | BinaryOp::Rem) => 4,
                    TileOp::Fma => 1,
                    _ => 1,
                };
                let per_elem = if matches!(tile_op, TileOp::Fma) { 2 } else { 1 };
                match (unit, tile_op) {
                    (Unit::Dpe, _) | (Unit::Vec, TileOp::Dot) => {
                        let a = in_shapes.first().map(|(s, _)| s.clone()).unwrap_or_default();
                        let (mm, kk) = match a.as_slice() {
                            [.., mm, kk] => (*mm, *kk),
                            _ => (1, 1),
                        };
                        let nn = shape.last().copied().unwrap_or(1);
                        let batch: u64 = a.iter().rev().skip(2).product();
                        let macs = batch.saturating_mul(mm).saturating_mul(nn).saturating_mul(kk);
                        if unit == Unit::Dpe {
                            let d = m.dpe;
                            let bytes = in_dtype.byte_size() as u64;
                            let tk = (u64::from(d.tile_k_bytes) / bytes.max(1)).max(1);
                            let (tm, tn) = (u64::from(d.tile_m).max(1), u64::from(d.tile_n).max(1));
                            let rate = match in_dtype {
                                ScalarType::F16 => d.fp16_mac_per_cycle,
                                ScalarType::BF16 => d.bf16_mac_per_cycle,
                                _ => d.int8_mac_per_cycle,
                            }
                            .max(1);
                            let tiles = batch
                                .saturating_mul(mm.div_ceil(tm))
                                .saturating_mul(nn.div_ceil(tn))
                                .saturating_mul(kk.div_ceil(tk));
                            f.cycles = (tiles
                                .saturating_mul(tm.saturating_mul(tn).saturating_mul(tk)))
                            .div_ceil(rate)
                            .saturating_add(d.fill_latency_cycles);
                            f.dpe_macs = Some((in_dtype, macs));
                        } else {
                            let lanes = VECTOR_BYTES / (in_dtype.byte_size() as u64).max(1);
                            f.cycles = lanes_cycles(macs, lanes, 1, m.se.latency_cycles);
                            f.vector_ops = macs.saturating_mul(2);
                        }
                    }
                    (Unit::Re, _) => {
                        f.cycles = lanes_cycles(in_elems, m.se.lanes, 1, m.se.latency_cycles);
                        f.vector_ops = in_elems;
                    }
                    (Unit::Se, _) => {
                        f.cycles = lanes_cycles(out_elems, m.se.lanes, cost, m.se.latency_cycles);
                        f.vector_ops = out_elems.saturating_mul(per_elem);
                    }
                    (Unit::Vec, _) => {
                        let widest = in_dtype.byte_size().max(dtype.byte_size()) as u64;
                        let lanes = VECTOR_BYTES / widest.max(1);
                        let elems = in_elems.max(out_elems);
                        f.cycles = lanes_cycles(elems, lanes, cost, m.se.latency_cycles);
                        f.vector_ops = elems.saturating_mul(per_elem);
                    }
                    _ => {
                        let bw = m.local_mem.bw_bytes_per_cycle.max(1);
                        f.cycles = out_bytes.div_ceil(bw).max(1);
                    }
                }
            }
            Op::Send { cb, .. } | Op::ReSend { cb, .. } => {
                f.unit = Some(Unit::Dma);
                f.cycles = 1;
                f.reads.push(*cb);
            }
            Op::Recv { cb, .. } => {
                f.unit = Some(Unit::Dma);
                f.cycles = 1;
                f.push = Some(*cb);
            }
            Op::ReRecv { cb, .. } => {
                let elems = numel(&self.front_shape(p, *cb));
                f.unit = Some(Unit::Re);
                f.cycles = lanes_cycles(elems, m.se.lanes, 1, m.se.latency_cycles);
                f.update = Some(*cb);
                f.vector_ops = elems;
            }
        }
        Ok(f)
    }
}
