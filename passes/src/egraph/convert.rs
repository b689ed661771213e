//! Conversion between IR ops and [`TileLang`] nodes, both ways.
//!
//! [`add_op`] adds the node of one pure IR instruction (creating its attribute leaves:
//! result shape, axis, dtype, perm) given the classes of its operands; [`node_op`]
//! rebuilds the IR op of a node given the values of its operand classes and its
//! attributes. Effects and control flow have no node: [`add_op`] returns `None`.

use egg::Id;
use tessera_ir::{Op, ScanOp, Type, Value};

use super::analysis::TileGraph;
use super::language::{ConstLit, DtypeLit, PermLit, ShapeLit, TileLang, View};

/// How nodes are added: canonically, or (for explanations) keeping the exact term.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddMode {
    Canonical,
    Explained,
}

/// Adds `node` in `mode`.
pub fn add_node(egraph: &mut TileGraph, node: TileLang, mode: AddMode) -> Id {
    match mode {
        AddMode::Canonical => egraph.add(node),
        AddMode::Explained => egraph.add_uncanonical(node),
    }
}

/// Adds the node of the pure op `op` with result type `result` (see [`op_node`]).
pub fn add_op(
    egraph: &mut TileGraph,
    op: &Op,
    result: &Type,
    mode: AddMode,
    operand: &mut dyn FnMut(&mut TileGraph, Value) -> Id,
) -> Option<Id> {
    let node = op_node(egraph, op, result, mode, operand)?;
    Some(add_node(egraph, node, mode))
}

/// The node of the pure op `op` with result type `result`, whose operand values have
/// the classes `operand` returns; its attribute leaves are added. `None` for ops that
/// are not pure values (and for a constant whose literal does not fit its type, which
/// the verifier rejects).
pub fn op_node(
    egraph: &mut TileGraph,
    op: &Op,
    result: &Type,
    mode: AddMode,
    operand: &mut dyn FnMut(&mut TileGraph, Value) -> Id,
) -> Option<TileLang> {
    let attr = |egraph: &mut TileGraph, node: TileLang| add_node(egraph, node, mode);
    let shape =
        |egraph: &mut TileGraph| attr(egraph, TileLang::Shape(ShapeLit(result.shape.clone())));
    let node = match op {
        Op::Const { value } => {
            TileLang::Const(ConstLit::from_constant(*value, result.scalar_type()?)?)
        }
        Op::ProgramId { axis } => {
            TileLang::ProgramId(attr(egraph, TileLang::Int(i64::from(*axis))))
        }
        Op::NumPrograms { axis } => {
            TileLang::NumPrograms(attr(egraph, TileLang::Int(i64::from(*axis))))
        }
        Op::Arange { start, end } => {
            let start = attr(egraph, TileLang::Int(*start));
            TileLang::Arange([start, attr(egraph, TileLang::Int(*end))])
        }
        Op::Splat { value } => {
            let value = operand(egraph, *value);
            TileLang::Splat([value, shape(egraph)])
        }
        Op::Broadcast { arg } => {
            let arg = operand(egraph, *arg);
            TileLang::Broadcast([arg, shape(egraph)])
        }
        Op::Reshape { arg } => {
            let arg = operand(egraph, *arg);
            TileLang::Reshape([arg, shape(egraph)])
        }
        Op::ExpandDims { arg, axis } => {
            let arg = operand(egraph, *arg);
            TileLang::ExpandDims([arg, attr(egraph, TileLang::Int(i64::from(*axis)))])
        }
        Op::Trans { arg, perm } => {
            let arg = operand(egraph, *arg);
            TileLang::Trans([arg, attr(egraph, TileLang::Perm(PermLit(perm.clone())))])
        }
        Op::Unary { op, arg } => TileLang::unary(*op, operand(egraph, *arg)),
        Op::Binary { op, lhs, rhs } => {
            let lhs = operand(egraph, *lhs);
            TileLang::binary(*op, [lhs, operand(egraph, *rhs)])
        }
        Op::Cmp { pred, lhs, rhs } => {
            let lhs = operand(egraph, *lhs);
            TileLang::cmp(*pred, [lhs, operand(egraph, *rhs)])
        }
        Op::Select { cond, on_true, on_false } => {
            let cond = operand(egraph, *cond);
            let on_true = operand(egraph, *on_true);
            TileLang::Select([cond, on_true, operand(egraph, *on_false)])
        }
        Op::Cast { arg } => {
            let arg = operand(egraph, *arg);
            let dtype = TileLang::Dtype(DtypeLit(result.scalar_type()?));
            TileLang::Cast([arg, attr(egraph, dtype)])
        }
        Op::PtrAdd { ptr, offset } => {
            let ptr = operand(egraph, *ptr);
            TileLang::PtrAdd([ptr, operand(egraph, *offset)])
        }
        Op::Reduce { op, arg, axis } => {
            let arg = operand(egraph, *arg);
            TileLang::reduce(*op, [arg, attr(egraph, TileLang::Int(i64::from(*axis)))])
        }
        Op::Scan { op: ScanOp::Cumsum, arg, axis } => {
            let arg = operand(egraph, *arg);
            TileLang::Cumsum([arg, attr(egraph, TileLang::Int(i64::from(*axis)))])
        }
        Op::Dot { a, b, acc } => {
            let (a, b) = (operand(egraph, *a), operand(egraph, *b));
            TileLang::Dot([a, b, operand(egraph, *acc)])
        }
        Op::Fma { a, b, c } => {
            let (a, b) = (operand(egraph, *a), operand(egraph, *b));
            TileLang::Fma([a, b, operand(egraph, *c)])
        }
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
        | Op::Assert { .. } => return None,
    };
    Some(node)
}

/// The IR op of `node`, given the value of each operand class (`value`) and the node
/// of each attribute class (`attr`). `None` for leaves and attributes, or when an
/// operand or attribute is missing.
pub fn node_op(
    node: &TileLang,
    value: &dyn Fn(Id) -> Option<Value>,
    attr: &dyn Fn(Id) -> Option<TileLang>,
) -> Option<Op> {
    let int = |id: Id| if let View::Int(v) = attr(id)?.view() { Some(v) } else { None };
    let axis = |id: Id| u32::try_from(int(id)?).ok();
    Some(match node.view() {
        View::Unary(op, arg) => Op::Unary { op, arg: value(arg)? },
        View::Binary(op, [lhs, rhs]) => Op::Binary { op, lhs: value(lhs)?, rhs: value(rhs)? },
        View::Cmp(pred, [lhs, rhs]) => Op::Cmp { pred, lhs: value(lhs)?, rhs: value(rhs)? },
        View::Reduce(op, [arg, ax]) => Op::Reduce { op, arg: value(arg)?, axis: axis(ax)? },
        View::Cumsum([arg, ax]) => {
            Op::Scan { op: ScanOp::Cumsum, arg: value(arg)?, axis: axis(ax)? }
        }
        View::Select([cond, on_true, on_false]) => {
            Op::Select { cond: value(cond)?, on_true: value(on_true)?, on_false: value(on_false)? }
        }
        View::Fma([a, b, c]) => Op::Fma { a: value(a)?, b: value(b)?, c: value(c)? },
        View::Dot([a, b, acc]) => Op::Dot { a: value(a)?, b: value(b)?, acc: value(acc)? },
        View::PtrAdd([ptr, offset]) => Op::PtrAdd { ptr: value(ptr)?, offset: value(offset)? },
        View::Splat([scalar, _]) => Op::Splat { value: value(scalar)? },
        View::Broadcast([arg, _]) => Op::Broadcast { arg: value(arg)? },
        View::Reshape([arg, _]) => Op::Reshape { arg: value(arg)? },
        View::ExpandDims([arg, ax]) => Op::ExpandDims { arg: value(arg)?, axis: axis(ax)? },
        View::Trans([arg, perm]) => {
            let perm_node = attr(perm)?;
            let View::Perm(perm) = perm_node.view() else { return None };
            Op::Trans { arg: value(arg)?, perm: perm.to_vec() }
        }
        View::Cast([arg, _]) => Op::Cast { arg: value(arg)? },
        View::Arange([start, end]) => Op::Arange { start: int(start)?, end: int(end)? },
        View::ProgramId(ax) => Op::ProgramId { axis: u8::try_from(int(ax)?).ok()? },
        View::NumPrograms(ax) => Op::NumPrograms { axis: u8::try_from(int(ax)?).ok()? },
        View::Const(lit) => Op::Const { value: lit.to_constant() },
        View::Int(_) | View::Shape(_) | View::Perm(_) | View::Dtype(_) | View::Leaf(_) => {
            return None
        }
    })
}
