//! The e-class analysis: each class's IR type and, when known, the constant every one of
//! its elements equals ("uniform" constant), found by folding with the interpreter's
//! exact semantics ([`super::fold`]).
//!
//! A class with a uniform constant also holds its canonical constant form (`c` for a
//! scalar, `(splat c shape)` for a tile), added by [`Analysis::modify`], so extraction
//! can pick it. Attribute classes (shapes, axes, dtypes, perms) have no type.

use std::collections::HashMap;

use egg::{Analysis, DidMerge, EGraph, Id};
use tessera_ir::{ElemType, ReduceOp, ScalarType, Type};

use super::fold::fold;
use super::language::{ConstLit, ShapeLit, TileLang, View};

/// The e-graph type used throughout the optimizer.
pub type TileGraph = EGraph<TileLang, TileAnalysis>;

/// What is known about one e-class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    /// The IR type of the class's values; `None` for attribute classes (and for a node
    /// no verified IR can produce).
    pub ty: Option<Type>,
    /// The constant every element equals, if known.
    pub uniform: Option<ConstLit>,
}

/// The analysis state: the type of every opaque leaf of the region.
#[derive(Clone, Debug, Default)]
pub struct TileAnalysis {
    pub leaf_types: HashMap<u32, Type>,
}

impl Analysis<TileLang> for TileAnalysis {
    type Data = Facts;

    fn make(egraph: &mut TileGraph, enode: &TileLang, _id: Id) -> Facts {
        let ty = infer_type(egraph, enode);
        let uniform = ty.as_ref().and_then(|ty| fold(egraph, enode, ty));
        Facts { ty, uniform }
    }

    fn merge(&mut self, a: &mut Facts, b: Facts) -> DidMerge {
        let mut changed = DidMerge(false, false);
        match (&a.ty, b.ty) {
            (None, Some(ty)) => {
                a.ty = Some(ty);
                changed.0 = true;
            }
            (Some(_), None) => changed.1 = true,
            (Some(_), Some(_)) | (None, None) => {}
        }
        match (a.uniform, b.uniform) {
            (None, Some(lit)) => {
                a.uniform = Some(lit);
                changed.0 = true;
            }
            (Some(_), None) => changed.1 = true,
            (Some(_), Some(_)) | (None, None) => {}
        }
        changed
    }

    fn modify(egraph: &mut TileGraph, id: Id) {
        let facts = &egraph[id].data;
        let (Some(lit), Some(ty)) = (facts.uniform, facts.ty.clone()) else { return };
        let explain = egraph.are_explanations_enabled();
        let add = |egraph: &mut TileGraph, node| {
            if explain {
                egraph.add_uncanonical(node)
            } else {
                egraph.add(node)
            }
        };
        let scalar = add(egraph, TileLang::Const(lit));
        let canonical = if ty.is_scalar() {
            scalar
        } else {
            let shape = add(egraph, TileLang::Shape(ShapeLit(ty.shape.clone())));
            add(egraph, TileLang::Splat([scalar, shape]))
        };
        if explain {
            egraph.union_trusted(id, canonical, "const-fold");
        } else {
            egraph.union(id, canonical);
        }
    }
}

/// The type of a class (`None` for attributes).
pub fn class_type(egraph: &TileGraph, id: Id) -> Option<&Type> {
    egraph[id].data.ty.as_ref()
}

/// The attribute node of an attribute class.
pub fn attribute(egraph: &TileGraph, id: Id) -> Option<&TileLang> {
    egraph[id].nodes.iter().find(|node| node.is_attribute())
}

/// The shape held by a shape class.
pub fn shape_attr(egraph: &TileGraph, id: Id) -> Option<&[u32]> {
    if let View::Shape(dims) = attribute(egraph, id)?.view() {
        Some(dims)
    } else {
        None
    }
}

/// The integer held by an axis (or bound) class.
pub fn int_attr(egraph: &TileGraph, id: Id) -> Option<i64> {
    if let View::Int(value) = attribute(egraph, id)?.view() {
        Some(value)
    } else {
        None
    }
}

/// The permutation held by a perm class.
pub fn perm_attr(egraph: &TileGraph, id: Id) -> Option<&[u32]> {
    if let View::Perm(perm) = attribute(egraph, id)?.view() {
        Some(perm)
    } else {
        None
    }
}

/// The element type held by a dtype class.
pub fn dtype_attr(egraph: &TileGraph, id: Id) -> Option<ScalarType> {
    if let View::Dtype(dtype) = attribute(egraph, id)?.view() {
        Some(dtype)
    } else {
        None
    }
}

/// The result type of `enode`, mirroring the verifier's type rules. `None` for
/// attributes, and for ill-typed nodes (which rules never build).
pub fn infer_type(egraph: &TileGraph, enode: &TileLang) -> Option<Type> {
    let ty = |id: Id| class_type(egraph, id).cloned();
    let i32_scalar = || Type::scalar(ScalarType::I32);
    match enode.view() {
        View::Unary(_, arg) => ty(arg),
        View::Binary(_, [lhs, _]) => ty(lhs),
        View::Cmp(_, [lhs, _]) => Some(ty(lhs)?.with_elem(ElemType::Scalar(ScalarType::Bool))),
        View::Select([_, on_true, _]) => ty(on_true),
        View::Fma([a, _, _]) => ty(a),
        View::Dot([_, _, acc]) => ty(acc),
        View::PtrAdd([ptr, _]) => ty(ptr),
        View::Cumsum([arg, _]) => ty(arg),
        View::Reduce(op, [arg, axis]) => {
            let arg_ty = ty(arg)?;
            let axis = usize::try_from(int_attr(egraph, axis)?).ok()?;
            let mut shape = arg_ty.shape.clone();
            (axis < shape.len()).then(|| shape.remove(axis))?;
            let elem = match op {
                ReduceOp::Sum | ReduceOp::Max | ReduceOp::Min => arg_ty.elem,
                ReduceOp::ArgMax | ReduceOp::ArgMin => ElemType::Scalar(ScalarType::I32),
            };
            Some(Type { shape, elem })
        }
        View::Splat([value, shape]) | View::Broadcast([value, shape]) => {
            Some(ty(value)?.with_shape(shape_attr(egraph, shape)?.to_vec()))
        }
        View::Reshape([arg, shape]) => {
            Some(ty(arg)?.with_shape(shape_attr(egraph, shape)?.to_vec()))
        }
        View::ExpandDims([arg, axis]) => {
            let arg_ty = ty(arg)?;
            let axis = usize::try_from(int_attr(egraph, axis)?).ok()?;
            let mut shape = arg_ty.shape.clone();
            (axis <= shape.len()).then(|| shape.insert(axis, 1))?;
            Some(arg_ty.with_shape(shape))
        }
        View::Trans([arg, perm]) => {
            let arg_ty = ty(arg)?;
            let perm = perm_attr(egraph, perm)?;
            let shape = perm.iter().map(|&p| arg_ty.shape.get(p as usize).copied());
            Some(arg_ty.with_shape(shape.collect::<Option<Vec<u32>>>()?))
        }
        View::Cast([arg, dtype]) => {
            Some(ty(arg)?.with_elem(ElemType::Scalar(dtype_attr(egraph, dtype)?)))
        }
        View::Arange([start, end]) => {
            let length = int_attr(egraph, end)?.checked_sub(int_attr(egraph, start)?)?;
            Some(Type::tile(vec![u32::try_from(length).ok()?], ScalarType::I32))
        }
        View::ProgramId(_) | View::NumPrograms(_) => Some(i32_scalar()),
        View::Const(lit) => Some(Type::scalar(lit.ty)),
        View::Leaf(index) => egraph.analysis.leaf_types.get(&index).cloned(),
        View::Int(_) | View::Shape(_) | View::Perm(_) | View::Dtype(_) => None,
    }
}
