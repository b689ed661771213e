//! Packing circular buffers: the lowering gives every tile value a CB of its own;
//! here CBs whose lifetimes do not overlap share local memory, as registers do in a
//! linear-scan allocator.
//!
//! A CB's lifetime is the range of command indices from the first to the last command
//! naming it. Because control flow is structured, this range is conservative: a value
//! read inside a loop but defined before it is popped after the loop, so its range
//! covers the whole loop, and a loop-carried slot is filled before the loop and freed
//! after it. Two CBs with disjoint ranges are therefore never occupied at the same
//! time, in any iteration, and the FIFO order of a shared CB follows issue order.
//!
//! Each shared CB gets the largest slot size and depth among the tiles it holds; a tile
//! prefers a free CB of exactly its slot size and depth, then the smallest larger one,
//! then grows the largest free one.

use crate::program::{CbDecl, CbId, DmaMask, Dst, Op, Operand};

/// A place in a command that names a CB or holds an operand.
pub(super) enum Slot<'a> {
    Operand(&'a mut Operand),
    Cb(&'a mut CbId),
}

/// Calls `f` on every CB of `op` (CB operands and the CBs commands name), mutably.
pub(super) fn for_each_cb(op: &mut Op, f: &mut impl FnMut(&mut CbId)) {
    visit(op, &mut |slot| match slot {
        Slot::Operand(Operand::Cb(cb)) | Slot::Cb(cb) => f(cb),
        Slot::Operand(_) => {}
    });
}

/// Calls `f` on every operand of `op`, mutably.
pub(super) fn for_each_operand(op: &mut Op, f: &mut impl FnMut(&mut Operand)) {
    visit(op, &mut |slot| {
        if let Slot::Operand(o) = slot {
            f(o);
        }
    });
}

fn visit(op: &mut Op, f: &mut dyn FnMut(Slot<'_>)) {
    match op {
        Op::Scalar { inputs, .. } => inputs.iter_mut().for_each(|o| f(Slot::Operand(o))),
        Op::Branch { cond, .. } | Op::Assert { cond, .. } => f(Slot::Operand(cond)),
        Op::Jump { .. } | Op::Wait { .. } | Op::Fence | Op::Barrier { .. } => {}
        Op::Pop { cb }
        | Op::ReSend { cb, .. }
        | Op::ReRecv { cb, .. }
        | Op::Send { cb, .. }
        | Op::Recv { cb, .. } => f(Slot::Cb(cb)),
        Op::DmaIn { cb, src: d } | Op::DmaOut { cb, dst: d } | Op::BcastLoad { cb, src: d, .. } => {
            f(Slot::Cb(cb));
            f(Slot::Operand(&mut d.base));
            d.strides.iter_mut().for_each(|o| f(Slot::Operand(o)));
            match &mut d.mask {
                DmaMask::All => {}
                DmaMask::Extents(e) => e.iter_mut().for_each(|o| f(Slot::Operand(o))),
                DmaMask::Tile(m) => f(Slot::Cb(m)),
            }
        }
        Op::Gather { cb, src: d } | Op::Scatter { cb, dst: d } => {
            f(Slot::Cb(cb));
            f(Slot::Cb(&mut d.index));
            if let Some(m) = &mut d.mask {
                f(Slot::Cb(m));
            }
        }
        Op::AtomicRmw { cb, dst, old, .. } => {
            f(Slot::Cb(cb));
            f(Slot::Cb(&mut dst.index));
            if let Some(m) = &mut dst.mask {
                f(Slot::Cb(m));
            }
            if let Some(o) = old {
                f(Slot::Cb(o));
            }
        }
        Op::Prefetch { base, len, .. } => {
            f(Slot::Operand(base));
            f(Slot::Operand(len));
        }
        Op::Tile { out, inputs, .. } => {
            match out {
                Dst::Push(cb) | Dst::Update(cb) => f(Slot::Cb(cb)),
            }
            inputs.iter_mut().for_each(|o| f(Slot::Operand(o)));
        }
    }
}

/// Rewrites `code` to share CBs; returns the new declarations and, per old CB, its
/// new index.
pub(super) fn pack(
    code: &mut [crate::program::Command],
    cbs: &[CbDecl],
) -> (Vec<CbDecl>, Vec<CbId>) {
    let n = cbs.len();
    let mut first = vec![usize::MAX; n];
    let mut last = vec![0usize; n];
    for (i, c) in code.iter_mut().enumerate() {
        for_each_cb(&mut c.op, &mut |cb| {
            if let (Some(fst), Some(lst)) =
                (first.get_mut(cb.0 as usize), last.get_mut(cb.0 as usize))
            {
                *fst = (*fst).min(i);
                *lst = (*lst).max(i);
            }
        });
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&v| (first[v], v));
    // Shared CBs: declaration and the last command index of their current tenant.
    let mut shared: Vec<(CbDecl, usize)> = Vec::new();
    let mut map = vec![CbId(0); n];
    for v in order {
        let want = cbs[v];
        if first[v] == usize::MAX {
            // Never referenced: still gets a CB (of its own) so the program stays valid.
            shared.push((want, usize::MAX));
            map[v] = CbId(shared.len() as u32 - 1);
            continue;
        }
        let free: Vec<usize> = (0..shared.len())
            .filter(|&s| shared[s].1 != usize::MAX && shared[s].1 < first[v])
            .collect();
        let exact = free.iter().copied().find(|&s| shared[s].0 == want);
        let larger = free
            .iter()
            .copied()
            .filter(|&s| {
                shared[s].0.slot_bytes >= want.slot_bytes && shared[s].0.depth >= want.depth
            })
            .min_by_key(|&s| (shared[s].0.slot_bytes * u64::from(shared[s].0.depth), s));
        let any =
            free.iter().copied().max_by_key(|&s| (shared[s].0.slot_bytes, std::cmp::Reverse(s)));
        let chosen = exact.or(larger).or(any);
        let s = match chosen {
            Some(s) => {
                let d = &mut shared[s].0;
                d.slot_bytes = d.slot_bytes.max(want.slot_bytes);
                d.depth = d.depth.max(want.depth);
                s
            }
            None => {
                shared.push((want, 0));
                shared.len() - 1
            }
        };
        shared[s].1 = last[v];
        map[v] = CbId(s as u32);
    }
    for c in code.iter_mut() {
        for_each_cb(&mut c.op, &mut |cb| {
            if let Some(&m) = map.get(cb.0 as usize) {
                *cb = m;
            }
        });
    }
    (shared.into_iter().map(|(d, _)| d).collect(), map)
}
