//! [`Ctx`]: what a rule guard sees of a match (the types and uniform constants of the
//! matched variables) and how it binds extra right-hand variables (constants of an
//! operand's type and shape, shapes, permutations).
//!
//! Every query returns `false`/`None` for a variable the match does not bind, so a
//! guard can never panic.

use std::str::FromStr;

use egg::{Id, Subst, Var};
use tessera_ir::{ScalarType, Type};

use crate::egraph::analysis::{dtype_attr, int_attr, perm_attr, shape_attr, TileGraph};
use crate::egraph::language::{ConstLit, PermLit, ShapeLit, TileLang};

/// One match of a rule's left side, seen by its guard.
pub struct Ctx<'a> {
    egraph: &'a mut TileGraph,
    eclass: Id,
    subst: Subst,
}

impl<'a> Ctx<'a> {
    pub fn new(egraph: &'a mut TileGraph, eclass: Id, subst: Subst) -> Ctx<'a> {
        Ctx { egraph, eclass, subst }
    }

    /// The substitution, with the variables the guard bound.
    pub fn into_subst(self) -> Subst {
        self.subst
    }

    /// The class bound to `var` (`"?x"`).
    pub fn id(&self, var: &str) -> Option<Id> {
        let var = Var::from_str(var).ok()?;
        self.subst.get(var).map(|&id| self.egraph.find(id))
    }

    /// The type of the values bound to `var`.
    pub fn ty(&self, var: &str) -> Option<&Type> {
        self.egraph[self.id(var)?].data.ty.as_ref()
    }

    /// The type of the matched class (the left side's root).
    pub fn root_ty(&self) -> Option<&Type> {
        self.egraph[self.eclass].data.ty.as_ref()
    }

    /// Whether the matched class is the offset operand of some `ptr_add`.
    pub fn root_is_ptr_offset(&self) -> bool {
        let root = self.egraph.find(self.eclass);
        self.egraph[root].parents().any(|parent| {
            matches!(self.egraph.id_to_node(parent), TileLang::PtrAdd([_, offset])
                if self.egraph.find(*offset) == root)
        })
    }

    /// The scalar element type of `var` (`None` for pointers and attributes).
    pub fn scalar(&self, var: &str) -> Option<ScalarType> {
        self.ty(var)?.scalar_type()
    }

    pub fn int(&self, var: &str) -> bool {
        self.scalar(var).is_some_and(ScalarType::is_int)
    }

    pub fn signed(&self, var: &str) -> bool {
        self.scalar(var).is_some_and(ScalarType::is_signed_int)
    }

    pub fn unsigned(&self, var: &str) -> bool {
        self.scalar(var).is_some_and(ScalarType::is_unsigned_int)
    }

    pub fn float(&self, var: &str) -> bool {
        self.scalar(var).is_some_and(ScalarType::is_float)
    }

    pub fn boolean(&self, var: &str) -> bool {
        self.scalar(var).is_some_and(ScalarType::is_bool)
    }

    /// Integer or float (not `bool`, not a pointer).
    pub fn numeric(&self, var: &str) -> bool {
        self.int(var) || self.float(var)
    }

    /// Integer or `bool`: the bitwise types.
    pub fn bitwise(&self, var: &str) -> bool {
        self.int(var) || self.boolean(var)
    }

    /// Whether `a` and `b` are bound to the same class.
    pub fn same(&self, a: &str, b: &str) -> bool {
        matches!((self.id(a), self.id(b)), (Some(x), Some(y)) if x == y)
    }

    /// Whether `a` and `b` have equal types.
    pub fn same_type(&self, a: &str, b: &str) -> bool {
        matches!((self.ty(a), self.ty(b)), (Some(x), Some(y)) if x == y)
    }

    /// Whether `a` and `b` have equal shapes.
    pub fn same_shape(&self, a: &str, b: &str) -> bool {
        matches!((self.ty(a), self.ty(b)), (Some(x), Some(y)) if x.shape == y.shape)
    }

    /// The constant every element of `var` equals, if known.
    pub fn uniform(&self, var: &str) -> Option<ConstLit> {
        self.egraph[self.id(var)?].data.uniform
    }

    pub fn is_const(&self, var: &str) -> bool {
        self.uniform(var).is_some()
    }

    /// The uniform integer (or `bool`) value of `var`, extended by its signedness.
    pub fn int_value(&self, var: &str) -> Option<i128> {
        self.uniform(var)?.as_int()
    }

    /// The uniform float value of `var`.
    pub fn float_value(&self, var: &str) -> Option<f64> {
        self.uniform(var)?.as_float()
    }

    /// An integer or `bool` zero.
    pub fn is_zero(&self, var: &str) -> bool {
        self.uniform(var).is_some_and(ConstLit::is_int_zero)
    }

    /// Every bit set: `true`, or an integer `-1` (`MAX` for unsigned types).
    pub fn is_all_ones(&self, var: &str) -> bool {
        self.uniform(var).is_some_and(ConstLit::is_all_ones)
    }

    /// A float constant with exactly the bits of `value` (so `-0.0` differs from `0.0`).
    pub fn is_float(&self, var: &str, value: f64) -> bool {
        self.float_value(var).is_some_and(|v| v.to_bits() == value.to_bits())
    }

    /// Integer 1 or float 1.0.
    pub fn is_one(&self, var: &str) -> bool {
        self.uniform(var).is_some_and(|lit| lit.ty.is_int() && lit.as_int() == Some(1))
            || self.is_float(var, 1.0)
    }

    /// Integer -1 (all ones, so `MAX` for unsigned: `x * MAX == -x` wrapping) or -1.0.
    pub fn is_neg_one(&self, var: &str) -> bool {
        self.uniform(var).is_some_and(|lit| lit.ty.is_int() && lit.is_all_ones())
            || self.is_float(var, -1.0)
    }

    /// `k` when the integer constant `var`'s bit pattern is `2^k`.
    pub fn pow2_bits(&self, var: &str) -> Option<u32> {
        let lit = self.uniform(var)?;
        let ty = lit.ty;
        if !ty.is_int() {
            return None;
        }
        let mask = if ty.bits() >= 64 { u64::MAX } else { (1u64 << ty.bits()) - 1 };
        let bits = lit.bits & mask;
        bits.is_power_of_two().then(|| bits.trailing_zeros())
    }

    /// `k` when the integer constant `var` is the positive value `2^k`.
    pub fn pow2_value(&self, var: &str) -> Option<u32> {
        let value = self.int_value(var)?;
        (value > 0 && (value as u128).is_power_of_two()).then(|| value.trailing_zeros())
    }

    /// The shape held by the shape attribute bound to `var`.
    pub fn shape_attr(&self, var: &str) -> Option<Vec<u32>> {
        shape_attr(self.egraph, self.id(var)?).map(<[u32]>::to_vec)
    }

    /// The integer held by the axis attribute bound to `var`.
    pub fn int_attr(&self, var: &str) -> Option<i64> {
        int_attr(self.egraph, self.id(var)?)
    }

    /// The element type held by the dtype attribute bound to `var`.
    pub fn dtype_attr(&self, var: &str) -> Option<ScalarType> {
        dtype_attr(self.egraph, self.id(var)?)
    }

    /// The length of `arg`'s dimension named by the axis attribute `axis`.
    pub fn axis_len(&self, arg: &str, axis: &str) -> Option<u32> {
        let axis = usize::try_from(self.int_attr(axis)?).ok()?;
        self.ty(arg)?.shape.get(axis).copied()
    }

    /// The permutation held by the perm attribute bound to `var`.
    pub fn perm_attr(&self, var: &str) -> Option<Vec<u32>> {
        perm_attr(self.egraph, self.id(var)?).map(<[u32]>::to_vec)
    }

    /// Binds `var` to `id`; always true, so guards can chain it with `&&`.
    pub fn bind(&mut self, var: &str, id: Id) -> bool {
        match Var::from_str(var) {
            Ok(var) => {
                self.subst.insert(var, id);
                true
            }
            Err(_) => false,
        }
    }

    /// Adds `node` to the e-graph.
    pub fn add(&mut self, node: TileLang) -> Id {
        self.egraph.add(node)
    }

    /// `lit` as a value of shape `shape`: the constant, splatted for a tile.
    pub fn add_const(&mut self, lit: ConstLit, shape: &[u32]) -> Id {
        let scalar = self.add(TileLang::Const(lit));
        if shape.is_empty() {
            return scalar;
        }
        let shape = self.add(TileLang::Shape(ShapeLit(shape.to_vec())));
        self.add(TileLang::Splat([scalar, shape]))
    }

    /// Binds `var` to the constant `lit` with the shape of `like`.
    pub fn bind_const(&mut self, var: &str, like: &str, lit: ConstLit) -> bool {
        let Some(shape) = self.ty(like).map(|ty| ty.shape.clone()) else { return false };
        let id = self.add_const(lit, &shape);
        self.bind(var, id)
    }

    /// Binds `var` to the constant `lit` in the shape of the matched class.
    pub fn bind_root_const(&mut self, var: &str, lit: ConstLit) -> bool {
        let Some(shape) = self.root_ty().map(|ty| ty.shape.clone()) else { return false };
        let id = self.add_const(lit, &shape);
        self.bind(var, id)
    }

    /// Binds `var` to the integer `value` in the type and shape of `like`.
    pub fn bind_int(&mut self, var: &str, like: &str, value: i128) -> bool {
        match self.scalar(like) {
            Some(ty) if ty.is_int() => self.bind_const(var, like, ConstLit::int(ty, value)),
            Some(_) | None => false,
        }
    }

    /// Binds `var` to zero (`false`, `0`, `+0.0`) in the type and shape of `like`.
    pub fn bind_zero(&mut self, var: &str, like: &str) -> bool {
        let Some(ty) = self.scalar(like) else { return false };
        let lit = if ty.is_float() { ConstLit::float(ty, 0.0) } else { ConstLit { ty, bits: 0 } };
        self.bind_const(var, like, lit)
    }

    /// Binds `var` to all ones (`true`, `-1`, `MAX`) in the type and shape of `like`.
    pub fn bind_ones(&mut self, var: &str, like: &str) -> bool {
        match self.scalar(like) {
            Some(ScalarType::Bool) => self.bind_const(var, like, ConstLit::bool(true)),
            Some(ty) if ty.is_int() => self.bind_const(var, like, ConstLit::int(ty, -1)),
            Some(_) | None => false,
        }
    }

    /// Binds `var` to the scalar `value` broadcast to `shape` (the scalar itself for a
    /// scalar shape).
    pub fn bind_splat(&mut self, var: &str, value: &str, shape: &[u32]) -> bool {
        let Some(scalar) = self.id(value) else { return false };
        if shape.is_empty() {
            return self.bind(var, scalar);
        }
        let shape = self.add(TileLang::Shape(ShapeLit(shape.to_vec())));
        let id = self.add(TileLang::Splat([scalar, shape]));
        self.bind(var, id)
    }

    /// Binds `var` to the scalar `value` in the shape of `like`.
    pub fn bind_splat_like(&mut self, var: &str, value: &str, like: &str) -> bool {
        let Some(shape) = self.ty(like).map(|ty| ty.shape.clone()) else { return false };
        self.bind_splat(var, value, &shape)
    }

    /// Binds `var` to the scalar `value` in the shape of the matched class.
    pub fn bind_splat_like_root(&mut self, var: &str, value: &str) -> bool {
        let Some(shape) = self.root_ty().map(|ty| ty.shape.clone()) else { return false };
        self.bind_splat(var, value, &shape)
    }

    /// Binds `var` to a shape attribute.
    pub fn bind_shape(&mut self, var: &str, shape: Vec<u32>) -> bool {
        let id = self.add(TileLang::Shape(ShapeLit(shape)));
        self.bind(var, id)
    }

    /// Binds `var` to the shape of the matched class.
    pub fn bind_root_shape(&mut self, var: &str) -> bool {
        match self.root_ty().map(|ty| ty.shape.clone()) {
            Some(shape) => self.bind_shape(var, shape),
            None => false,
        }
    }

    /// Binds `var` to a permutation attribute.
    pub fn bind_perm(&mut self, var: &str, perm: Vec<u32>) -> bool {
        let id = self.add(TileLang::Perm(PermLit(perm)));
        self.bind(var, id)
    }
}
