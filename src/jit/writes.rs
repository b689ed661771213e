//! Which pointer parameters a kernel may write through: what lets a launch accept a
//! shared `&[T]` for a buffer without copying it, and refuse one for a buffer the
//! kernel writes.
//!
//! The analysis follows pointer provenance. Every op's pointer-typed results derive
//! from its pointer-typed operands (`PtrAdd`, `Splat`, `Broadcast`, `ExpandDims`,
//! `Reshape`, `Trans`, `Select`, and conservatively any other op); loop-carried and
//! branch-yielded pointers flow through block arguments and op results (`for`,
//! `while`, `if`). A parameter is *written* when a value derived from it is the pointer
//! of a `store` or an atomic, or is passed to a call (helpers are normally inlined; a
//! remaining call is assumed to write). Only pointer-typed values carry provenance, so
//! data loaded through one pointer and used as an offset into another does not make
//! the first written. The answer is an over-approximation: never "read-only" for a
//! parameter some execution writes through.

use std::collections::VecDeque;

use tessera_ir::entity::EntityRef;
use tessera_ir::{Block, ElemType, Function, Op, Value};

/// For each parameter of `func` (in order), whether the kernel may write through it.
pub(crate) fn written_params(func: &Function) -> Vec<bool> {
    let flow = Flow::of(func);
    func.params().iter().map(|&param| flow.reaches_sink(param)).collect()
}

/// Provenance edges between pointer values, and the values written through.
struct Flow<'f> {
    func: &'f Function,
    /// `edges[v]`: the values that derive from `v`.
    edges: Vec<Vec<Value>>,
    /// `sinks[v]`: whether memory is written (or may be) through `v`.
    sinks: Vec<bool>,
}

impl<'f> Flow<'f> {
    fn of(func: &'f Function) -> Flow<'f> {
        let n_values = func.values.len();
        let mut flow =
            Flow { func, edges: vec![Vec::new(); n_values], sinks: vec![false; n_values] };
        for block in func.walk_blocks() {
            for &inst in &func.blocks[block].insts {
                let Some(data) = func.insts.get(inst) else { continue };
                flow.add_op(&data.op, &data.results);
            }
        }
        flow
    }

    /// Whether a value derived from `start` is written through.
    fn reaches_sink(&self, start: Value) -> bool {
        let mut seen = vec![false; self.edges.len()];
        let mut queue = VecDeque::from([start]);
        while let Some(value) = queue.pop_front() {
            let Some(visited) = seen.get_mut(value.index()) else { continue };
            if std::mem::replace(visited, true) {
                continue;
            }
            if self.sinks[value.index()] {
                return true;
            }
            queue.extend(self.edges[value.index()].iter().copied());
        }
        false
    }

    fn add_op(&mut self, op: &Op, results: &[Value]) {
        match op {
            Op::Store { ptr, .. } | Op::Atomic { ptr, .. } => {
                self.mark_sink(*ptr);
                self.add_elementwise(op, results);
            }
            Op::Call { args, .. } => {
                args.iter().for_each(|&arg| self.mark_sink(arg));
                self.add_elementwise(op, results);
            }
            Op::For { inits, body, .. } => {
                // Body arguments are `[iv, carried…]`; results are the carried values.
                let carried = self.func.blocks[*body].args.get(1..).unwrap_or_default().to_vec();
                let yielded = self.yielded(*body);
                for (i, &init) in inits.iter().enumerate() {
                    self.add_pair(init, carried.get(i), results.get(i));
                    if let Some(&next) = yielded.get(i) {
                        self.add_pair(next, carried.get(i), results.get(i));
                    }
                }
            }
            Op::While { inits, cond, body } => {
                // Both blocks take the carried values; the results are the condition
                // block's arguments when it says stop.
                let cond_args = self.func.blocks[*cond].args.clone();
                let body_args = self.func.blocks[*body].args.clone();
                let yielded = self.yielded(*body);
                for (i, &arg) in cond_args.iter().enumerate() {
                    if let Some(&init) = inits.get(i) {
                        self.add_edge(init, arg);
                    }
                    if let Some(&next) = yielded.get(i) {
                        self.add_edge(next, arg);
                    }
                    self.add_pair(arg, body_args.get(i), results.get(i));
                }
            }
            Op::If { then_block, else_block, .. } => {
                for block in [*then_block, *else_block] {
                    for (i, &value) in self.yielded(block).iter().enumerate() {
                        self.add_pair(value, None, results.get(i));
                    }
                }
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
            | Op::Fma { .. }
            | Op::Load { .. }
            | Op::Yield { .. }
            | Op::Condition { .. }
            | Op::Return { .. }
            | Op::Assert { .. } => self.add_elementwise(op, results),
        }
    }

    /// Every pointer-typed result derives from every pointer-typed operand.
    fn add_elementwise(&mut self, op: &Op, results: &[Value]) {
        let operands = op.operands();
        for &result in results {
            for &operand in &operands {
                self.add_edge(operand, result);
            }
        }
    }

    /// `source` flows into `a` and `b` (each if present).
    fn add_pair(&mut self, source: Value, a: Option<&Value>, b: Option<&Value>) {
        for &target in a.into_iter().chain(b) {
            self.add_edge(source, target);
        }
    }

    fn add_edge(&mut self, from: Value, to: Value) {
        if self.is_pointer(from) && self.is_pointer(to) {
            if let Some(edges) = self.edges.get_mut(from.index()) {
                edges.push(to);
            }
        }
    }

    fn mark_sink(&mut self, value: Value) {
        if !self.is_pointer(value) {
            return;
        }
        if let Some(sink) = self.sinks.get_mut(value.index()) {
            *sink = true;
        }
    }

    fn is_pointer(&self, value: Value) -> bool {
        self.func.values.get(value).is_some_and(|v| matches!(v.ty.elem, ElemType::Ptr(_)))
    }

    /// The values `block` yields (empty unless it ends in `yield`).
    fn yielded(&self, block: Block) -> Vec<Value> {
        let Some(&last) = self.func.blocks[block].insts.last() else { return Vec::new() };
        let Some(Op::Yield { values }) = self.func.insts.get(last).map(|data| &data.op) else {
            return Vec::new();
        };
        values.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_frontend::{compile, CompileOptions};

    /// The written flags of kernel `name` in `source`, unoptimized (so pointers still
    /// flow through every construct the source wrote).
    fn written(source: &str, name: &str) -> Vec<bool> {
        let module = compile(source, &CompileOptions::default()).expect("kernel compiles");
        let func = module.kernels().find(|f| f.name == name).expect("kernel exists");
        written_params(func)
    }

    #[test]
    fn stores_mark_only_the_stored_pointer() {
        let source = "kernel copy(x: *f32, idx: *i32, y: *f32) {
            let i = arange(0, 8);
            store(y + load(idx + i), load(x + i));
        }";
        assert_eq!(written(source, "copy"), [false, false, true]);
    }

    #[test]
    fn pointers_carried_through_loops_and_branches_are_followed() {
        let source = "kernel walk(a: *f32, b: *f32, c: *i32, n: i32, flag: bool) {
            let mut p = a;
            let mut q = b;
            for i in range(0, n) {
                if flag { q = q + 1; } else { q = p; }
                p = p + 1;
            }
            store(q, 1.0);
            atomic_add(c, 1);
        }";
        assert_eq!(written(source, "walk"), [true, true, true, false, false]);
    }

    #[test]
    fn while_loops_carry_pointers() {
        let source = "kernel scan(src: *f32, dst: *f32, n: i32) {
            let mut p = dst;
            let mut i = 0;
            while i < n { store(p, load(src + i)); p = p + 1; i = i + 1; }
        }";
        assert_eq!(written(source, "scan"), [false, true, false]);
    }
}
