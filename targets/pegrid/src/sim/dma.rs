//! The memory commands: strided DMA (`dma_in`, `bcast_load`, `dma_out`), indexed DMA
//! (`gather`, `scatter`, `atomic`) and `prefetch`. Every transfer first computes the
//! address of each lane (`None` for a dead lane) and bounds-checks the live ones, so
//! a failing transfer touches neither memory nor CBs.

use tessera_ir::interp::{atomic_update, Buffer, KernelArg};

use super::data;
use super::exec::{check_fits, check_shape, numel};
use super::state::{At, Sim, Tile};
use super::SimError;
use crate::program::{AtomicOp, CbId, DmaDesc, DmaMask, IndexDesc, Operand};

/// Lane addresses of a transfer, row-major; `None` for a dead lane.
type Addrs = Vec<Option<usize>>;

/// The buffer bound to parameter `buffer`.
fn buffer_of(args: &[KernelArg], at: At, buffer: u32) -> Result<&Buffer, SimError> {
    match args.get(buffer as usize) {
        Some(KernelArg::Buffer(b)) => Ok(b),
        Some(KernelArg::Scalar(_)) | None => {
            Err(at.fault(format!("parameter {buffer} is not a buffer")))
        }
    }
}

fn buffer_mut(args: &mut [KernelArg], at: At, buffer: u32) -> Result<&mut Buffer, SimError> {
    match args.get_mut(buffer as usize) {
        Some(KernelArg::Buffer(b)) => Ok(b),
        Some(KernelArg::Scalar(_)) | None => {
            Err(at.fault(format!("parameter {buffer} is not a buffer")))
        }
    }
}

/// Number of live lanes.
fn live(addrs: &[Option<usize>]) -> u64 {
    addrs.iter().filter(|a| a.is_some()).count() as u64
}

/// Calls `f(k, i)` for every row-major multi-index `i` of `shape` (`k` counting from
/// 0), `count` of them (the product of `shape`).
fn for_each_index(
    shape: &[u64],
    count: usize,
    mut f: impl FnMut(usize, &[u64]) -> Result<(), SimError>,
) -> Result<(), SimError> {
    let mut index = vec![0u64; shape.len()];
    for k in 0..count {
        f(k, &index)?;
        for (i, &dim) in index.iter_mut().zip(shape).rev() {
            *i += 1;
            if *i < dim {
                break;
            }
            *i = 0;
        }
    }
    Ok(())
}

impl Sim<'_> {
    fn buffer_name(&self, buffer: u32) -> &str {
        self.program.params.get(buffer as usize).map_or("?", |p| p.name.as_str())
    }

    /// Bounds-checks address `element` of `buffer` (of `len` elements).
    fn address(&self, at: At, buffer: u32, element: i64, len: usize) -> Result<usize, SimError> {
        match usize::try_from(element) {
            Ok(i) if i < len => Ok(i),
            _ => Err(at.out_of_bounds(self.buffer_name(buffer), element, len)),
        }
    }

    /// The addresses of the `count` lanes of a strided descriptor.
    fn strided_addrs(
        &self,
        p: usize,
        at: At,
        desc: &DmaDesc,
        count: usize,
    ) -> Result<Addrs, SimError> {
        let len = buffer_of(self.args, at, desc.buffer)?.len();
        // Integers of any type convert to i64 (u64 wraps); addresses wrap.
        let base = self.int_scalar(p, at, desc.base, "a DMA base")? as i64;
        let mut strides = Vec::with_capacity(desc.strides.len());
        for &stride in &desc.strides {
            strides.push(self.int_scalar(p, at, stride, "a DMA stride")? as i64);
        }
        let mut extents = Vec::new();
        let mut mask_tile = None;
        match &desc.mask {
            DmaMask::All => {}
            DmaMask::Extents(operands) => {
                for &extent in operands {
                    extents.push(self.int_scalar(p, at, extent, "a mask extent")?.max(0));
                }
            }
            DmaMask::Tile(cb) => mask_tile = Some(self.mask_tile(p, at, *cb, count)?),
        }
        let mut addrs = Vec::with_capacity(count);
        for_each_index(&desc.shape, count, |k, index| {
            let by_extent = extents.iter().zip(index).all(|(&e, &i)| i128::from(i) < e);
            let by_tile = mask_tile.is_none_or(|mask| mask.get(k).copied().unwrap_or(false));
            if !(by_extent && by_tile) {
                addrs.push(None);
                return Ok(());
            }
            let offset = index
                .iter()
                .zip(&strides)
                .fold(0i64, |acc, (&i, &s)| acc.wrapping_add((i as i64).wrapping_mul(s)));
            let element = base.wrapping_add(offset);
            addrs.push(Some(self.address(at, desc.buffer, element, len)?));
            Ok(())
        })?;
        Ok(addrs)
    }

    /// The front slot of `cb` as a `bool` mask of `count` lanes.
    fn mask_tile(&self, p: usize, at: At, cb: CbId, count: usize) -> Result<&[bool], SimError> {
        let tile = self.pes[p].front(at, cb)?;
        let values = data::bools(&tile.data).ok_or_else(|| {
            at.fault(format!("the mask in cb{} is {}, not bool", cb.0, tile.data.dtype()))
        })?;
        if values.len() != count {
            return Err(at.fault(format!(
                "the mask in cb{} has {} elements, the transfer {count}",
                cb.0,
                values.len()
            )));
        }
        Ok(values)
    }

    /// The addresses of an indexed transfer and the shape of its index tile.
    fn indexed_addrs(
        &self,
        p: usize,
        at: At,
        desc: &IndexDesc,
    ) -> Result<(Addrs, Vec<u64>), SimError> {
        let len = buffer_of(self.args, at, desc.buffer)?.len();
        let index = self.pes[p].front(at, desc.index)?;
        let offsets = data::int_values(&index.data).ok_or_else(|| {
            at.fault(format!("the index tile in cb{} is {}", desc.index.0, index.data.dtype()))
        })?;
        let mask = match desc.mask {
            Some(cb) => Some(self.mask_tile(p, at, cb, offsets.len())?),
            None => None,
        };
        let mut addrs = Vec::with_capacity(offsets.len());
        for (k, &element) in offsets.iter().enumerate() {
            let is_live = mask.is_none_or(|mask| mask.get(k).copied().unwrap_or(false));
            addrs.push(match is_live {
                true => Some(self.address(at, desc.buffer, element, len)?),
                false => None,
            });
        }
        Ok((addrs, index.shape.clone()))
    }

    /// `dma_in` and `bcast_load`: a new slot of `cb` with the descriptor's shape.
    pub(crate) fn dma_in(
        &mut self,
        p: usize,
        at: At,
        cb: CbId,
        desc: &DmaDesc,
    ) -> Result<(), SimError> {
        let dtype = buffer_of(self.args, at, desc.buffer)?.dtype();
        let slot_bytes = self.pes[p].cb(at, cb)?.slot_bytes;
        check_fits(at, cb, slot_bytes, numel(&desc.shape), dtype)?;
        let count = check_shape(at, &desc.shape)?;
        let addrs = self.strided_addrs(p, at, desc, count)?;
        let data = data::gather(buffer_of(self.args, at, desc.buffer)?, &addrs);
        self.bytes_loaded =
            self.bytes_loaded.saturating_add(live(&addrs) * dtype.byte_size() as u64);
        let tile = Tile { shape: desc.shape.clone(), data };
        self.pes[p].cb_mut(at, cb)?.slots.push_back(tile);
        Ok(())
    }

    /// The front slot of `cb`, checked to be a tile of `count` elements of the dtype
    /// of `buffer`, for a store.
    fn store_source(
        &self,
        p: usize,
        at: At,
        cb: CbId,
        buffer: u32,
        count: usize,
    ) -> Result<(), SimError> {
        let dtype = buffer_of(self.args, at, buffer)?.dtype();
        let tile = self.pes[p].front(at, cb)?;
        if tile.data.dtype() != dtype || tile.data.len() != count {
            return Err(at.fault(format!(
                "storing a {:?} {} tile from cb{} as {count} elements of `{}` ({dtype})",
                tile.shape,
                tile.data.dtype(),
                cb.0,
                self.buffer_name(buffer),
            )));
        }
        Ok(())
    }

    /// Writes the front slot of `cb` to the live lanes of `addrs` in `buffer`.
    fn store(
        &mut self,
        p: usize,
        at: At,
        cb: CbId,
        buffer: u32,
        addrs: &[Option<usize>],
    ) -> Result<(), SimError> {
        let source = &self.pes[p].front(at, cb)?.data;
        let target = buffer_mut(self.args, at, buffer)?;
        if !data::scatter(target, addrs, source) {
            return Err(at.fault("store of mismatched element types"));
        }
        self.bytes_stored =
            self.bytes_stored.saturating_add(live(addrs) * source.dtype().byte_size() as u64);
        Ok(())
    }

    /// `dma_out`: the front slot of `cb` (not popped) to memory.
    pub(crate) fn dma_out(
        &mut self,
        p: usize,
        at: At,
        cb: CbId,
        desc: &DmaDesc,
    ) -> Result<(), SimError> {
        let count = check_shape(at, &desc.shape)?;
        self.store_source(p, at, cb, desc.buffer, count)?;
        let addrs = self.strided_addrs(p, at, desc, count)?;
        self.store(p, at, cb, desc.buffer, &addrs)
    }

    /// `gather`: a new slot of `cb` with the index tile's shape.
    pub(crate) fn gather(
        &mut self,
        p: usize,
        at: At,
        cb: CbId,
        desc: &IndexDesc,
    ) -> Result<(), SimError> {
        let dtype = buffer_of(self.args, at, desc.buffer)?.dtype();
        let lanes = self.pes[p].front(at, desc.index)?.data.len() as u64;
        check_fits(at, cb, self.pes[p].cb(at, cb)?.slot_bytes, lanes, dtype)?;
        let (addrs, shape) = self.indexed_addrs(p, at, desc)?;
        let data = data::gather(buffer_of(self.args, at, desc.buffer)?, &addrs);
        self.bytes_loaded =
            self.bytes_loaded.saturating_add(live(&addrs) * dtype.byte_size() as u64);
        self.pes[p].cb_mut(at, cb)?.slots.push_back(Tile { shape, data });
        Ok(())
    }

    /// `scatter`: the front slot of `cb` (not popped), lanes in row-major order.
    pub(crate) fn scatter(
        &mut self,
        p: usize,
        at: At,
        cb: CbId,
        desc: &IndexDesc,
    ) -> Result<(), SimError> {
        let (addrs, _) = self.indexed_addrs(p, at, desc)?;
        self.store_source(p, at, cb, desc.buffer, addrs.len())?;
        self.store(p, at, cb, desc.buffer, &addrs)
    }

    /// `atomic`: read-modify-write of every live lane in row-major order with the
    /// values of the front slot of `cb`; the old values (0 for dead lanes) go to a new
    /// slot of `old`, if given, with the index tile's shape.
    pub(crate) fn atomic(
        &mut self,
        p: usize,
        at: At,
        op: AtomicOp,
        cb: CbId,
        desc: &IndexDesc,
        old: Option<CbId>,
    ) -> Result<(), SimError> {
        let (addrs, shape) = self.indexed_addrs(p, at, desc)?;
        self.store_source(p, at, cb, desc.buffer, addrs.len())?;
        let dtype = buffer_of(self.args, at, desc.buffer)?.dtype();
        if let Some(old) = old {
            let slot_bytes = self.pes[p].cb(at, old)?.slot_bytes;
            check_fits(at, old, slot_bytes, addrs.len() as u64, dtype)?;
        }
        let values = &self.pes[p].front(at, cb)?.data;
        let target = buffer_mut(self.args, at, desc.buffer)?;
        let previous = if distinct(&addrs) {
            update_distinct(at, op, target, &addrs, values)?
        } else {
            update_in_order(at, op, target, &addrs, values)?
        };
        self.bytes_stored =
            self.bytes_stored.saturating_add(live(&addrs) * dtype.byte_size() as u64);
        if let Some(old) = old {
            let tile = Tile { shape, data: previous };
            self.pes[p].cb_mut(at, old)?.slots.push_back(tile);
        }
        Ok(())
    }

    /// `prefetch`: bounds-checks `base..base + len` of `buffer`; a length of at most 0
    /// is an empty range.
    pub(crate) fn prefetch(
        &mut self,
        p: usize,
        at: At,
        buffer: u32,
        base: Operand,
        len: Operand,
    ) -> Result<(), SimError> {
        let size = buffer_of(self.args, at, buffer)?.len();
        let base = self.int_scalar(p, at, base, "a prefetch base")?;
        let count = self.int_scalar(p, at, len, "a prefetch length")?;
        if count <= 0 {
            return Ok(());
        }
        let end = base.saturating_add(count);
        let first_bad = if base < 0 {
            Some(base)
        } else if end > size as i128 {
            Some(base.max(size as i128))
        } else {
            None
        };
        match first_bad {
            Some(element) => {
                let element = i64::try_from(element).unwrap_or(i64::MAX);
                Err(at.out_of_bounds(self.buffer_name(buffer), element, size))
            }
            None => Ok(()),
        }
    }
}

/// Whether no two live lanes share an address.
fn distinct(addrs: &[Option<usize>]) -> bool {
    let mut live: Vec<usize> = addrs.iter().flatten().copied().collect();
    live.sort_unstable();
    live.windows(2).all(|pair| pair[0] != pair[1])
}

/// Atomic update of lanes with distinct addresses, all at once; returns the old
/// values (0 for dead lanes).
fn update_distinct(
    at: At,
    op: AtomicOp,
    target: &mut Buffer,
    addrs: &[Option<usize>],
    values: &Buffer,
) -> Result<Buffer, SimError> {
    let previous = data::gather(target, addrs);
    let updated = atomic_update(op, &previous, values).map_err(|message| at.eval(message))?;
    if !data::scatter(target, addrs, &updated) {
        return Err(at.fault("atomic of mismatched element types"));
    }
    Ok(previous)
}

/// Atomic update lane by lane in row-major order (for aliasing lanes); returns the
/// old values (0 for dead lanes).
fn update_in_order(
    at: At,
    op: AtomicOp,
    target: &mut Buffer,
    addrs: &[Option<usize>],
    values: &Buffer,
) -> Result<Buffer, SimError> {
    let mut previous = Buffer::zeros(target.dtype(), addrs.len());
    for (k, addr) in addrs.iter().enumerate() {
        let Some(i) = *addr else { continue };
        let (Some(current), Some(value)) = (target.get(i), values.get(k)) else {
            return Err(at.fault(format!("atomic lane {k} is out of range")));
        };
        let current = data::scalar_buffer(current);
        let updated = atomic_update(op, &current, &data::scalar_buffer(value))
            .map_err(|message| at.eval(message))?;
        let (Some(old), Some(new)) = (current.get(0), updated.get(0)) else {
            return Err(at.fault("atomic update has no result"));
        };
        if !(data::set(&mut previous, k, old) && data::set(target, i, new)) {
            return Err(at.fault("atomic of mismatched element types"));
        }
    }
    Ok(previous)
}
