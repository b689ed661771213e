//! Types as the checker sees them.
//!
//! A [`Ty`] is an IR type plus what only the checker needs: dimensions that are not
//! known yet ([`Dim::Unknown`], when `check` runs a kernel whose const parameter has no
//! value), untyped literals (`{integer}`, `{float}`, which take the type their context
//! needs), the "no value" of a call returning nothing, and the error type that
//! suppresses cascades after a reported mistake.

use std::fmt;
use tessera_ir::{ElemType, ScalarType, Type};

/// The most elements any tile may have, so a typo cannot exhaust memory.
pub const MAX_TILE_ELEMENTS: u64 = 1 << 24;

/// The most elements an `arange` may produce.
pub const MAX_ARANGE_ELEMENTS: i128 = 1 << 20;

/// One dimension of a shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dim {
    Known(u32),
    /// Depends on a const parameter without a value (only while checking).
    Unknown,
}

/// The element type of a checked value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Elem {
    Scalar(ScalarType),
    Ptr(ScalarType),
    /// An untyped integer literal expression: becomes the type its context needs.
    IntLit,
    /// An untyped float literal expression: becomes the float type its context needs.
    FloatLit,
    /// What a call returning nothing produces.
    Void,
    /// The type of an erroneous expression; every check involving it is skipped.
    Error,
}

/// The type of a checked expression: a shape (empty = scalar) and an element type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ty {
    pub shape: Vec<Dim>,
    pub elem: Elem,
}

impl Ty {
    /// A rank-0 value of element type `elem`.
    pub fn rank0(elem: Elem) -> Ty {
        Ty { shape: Vec::new(), elem }
    }

    /// A rank-0 scalar.
    pub fn scalar(s: ScalarType) -> Ty {
        Ty::rank0(Elem::Scalar(s))
    }

    /// The error type.
    pub fn error() -> Ty {
        Ty::rank0(Elem::Error)
    }

    /// The "no value" type.
    pub fn void() -> Ty {
        Ty::rank0(Elem::Void)
    }

    /// A tile of known shape.
    pub fn tile(shape: &[u32], elem: Elem) -> Ty {
        Ty { shape: shape.iter().map(|&d| Dim::Known(d)).collect(), elem }
    }

    /// The same shape with another element type.
    pub fn with_elem(&self, elem: Elem) -> Ty {
        Ty { shape: self.shape.clone(), elem }
    }

    /// Whether this is the error type.
    pub fn is_error(&self) -> bool {
        self.elem == Elem::Error
    }

    /// Whether this is the type of an untyped literal expression.
    pub fn is_untyped(&self) -> bool {
        matches!(self.elem, Elem::IntLit | Elem::FloatLit)
    }

    /// Rank (0 for scalars).
    pub fn rank(&self) -> usize {
        self.shape.len()
    }

    /// The scalar element type, if this is a typed non-pointer value.
    pub fn scalar_type(&self) -> Option<ScalarType> {
        match self.elem {
            Elem::Scalar(s) => Some(s),
            Elem::Ptr(_) | Elem::IntLit | Elem::FloatLit | Elem::Void | Elem::Error => None,
        }
    }

    /// The IR type, when every dimension is known and the element type is concrete.
    pub fn to_ir(&self) -> Option<Type> {
        let elem = match self.elem {
            Elem::Scalar(s) => ElemType::Scalar(s),
            Elem::Ptr(s) => ElemType::Ptr(s),
            Elem::IntLit | Elem::FloatLit | Elem::Void | Elem::Error => return None,
        };
        let shape = self
            .shape
            .iter()
            .map(|d| match d {
                Dim::Known(n) => Some(*n),
                Dim::Unknown => None,
            })
            .collect::<Option<Vec<u32>>>()?;
        Some(Type { shape, elem })
    }

    /// The type of an IR value.
    pub fn from_ir(ty: &Type) -> Ty {
        let elem = match ty.elem {
            ElemType::Scalar(s) => Elem::Scalar(s),
            ElemType::Ptr(s) => Elem::Ptr(s),
        };
        Ty::tile(&ty.shape, elem)
    }
}

impl Elem {
    /// Integer types and untyped integer literals.
    pub fn is_int_like(self) -> bool {
        match self {
            Elem::Scalar(s) => s.is_int(),
            Elem::IntLit => true,
            Elem::Ptr(_) | Elem::FloatLit | Elem::Void | Elem::Error => false,
        }
    }

    /// Float types and untyped literals (which can become floats).
    pub fn is_float_like(self) -> bool {
        match self {
            Elem::Scalar(s) => s.is_float(),
            Elem::IntLit | Elem::FloatLit => true,
            Elem::Ptr(_) | Elem::Void | Elem::Error => false,
        }
    }

    /// Integers, floats and untyped literals: what arithmetic accepts.
    pub fn is_numeric(self) -> bool {
        self.is_int_like() || self.is_float_like()
    }
}

impl fmt::Display for Elem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Elem::Scalar(s) => write!(f, "{s}"),
            Elem::Ptr(s) => write!(f, "*{s}"),
            Elem::IntLit => f.write_str("{integer}"),
            Elem::FloatLit => f.write_str("{float}"),
            Elem::Void => f.write_str("()"),
            Elem::Error => f.write_str("{error}"),
        }
    }
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dim::Known(n) => write!(f, "{n}"),
            Dim::Unknown => f.write_str("?"),
        }
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.shape.is_empty() {
            return write!(f, "{}", self.elem);
        }
        write!(f, "tile<{}, {}>", ShapeDisplay(&self.shape), self.elem)
    }
}

/// Displays a shape as `[4, 8]`.
pub struct ShapeDisplay<'a>(pub &'a [Dim]);

impl fmt::Display for ShapeDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{d}")?;
        }
        f.write_str("]")
    }
}

/// NumPy broadcasting of two shapes: aligned on the right, each pair of dims equal or
/// one of them 1. An unknown dim is compatible with anything.
pub fn broadcast_shapes(a: &[Dim], b: &[Dim]) -> Option<Vec<Dim>> {
    let rank = a.len().max(b.len());
    let mut out = vec![Dim::Known(1); rank];
    for (i, slot) in out.iter_mut().enumerate() {
        let da = dim_from_right(a, rank - 1 - i);
        let db = dim_from_right(b, rank - 1 - i);
        *slot = broadcast_dim(da, db)?;
    }
    Some(out)
}

/// Whether `from` broadcasts to exactly `to` (`broadcast_to`, stores into a shape).
pub fn broadcasts_to(from: &[Dim], to: &[Dim]) -> bool {
    if from.len() > to.len() {
        return false;
    }
    let offset = to.len() - from.len();
    from.iter().enumerate().all(|(i, &d)| match (d, to[offset + i]) {
        (Dim::Known(x), Dim::Known(y)) => x == y || x == 1,
        (Dim::Unknown, _) | (_, Dim::Unknown) => true,
    })
}

/// The product of the known dims (unknown dims count as 1), saturating.
pub fn known_elements(shape: &[Dim]) -> u64 {
    shape.iter().fold(1u64, |acc, d| match d {
        Dim::Known(n) => acc.saturating_mul(u64::from(*n)),
        Dim::Unknown => acc,
    })
}

/// Whether two shapes may be equal (unknown dims match anything).
pub fn shapes_match(a: &[Dim], b: &[Dim]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(&x, &y)| dims_match(x, y))
}

/// Whether two dims may be equal.
pub fn dims_match(a: Dim, b: Dim) -> bool {
    match (a, b) {
        (Dim::Known(x), Dim::Known(y)) => x == y,
        (Dim::Unknown, _) | (_, Dim::Unknown) => true,
    }
}

fn dim_from_right(shape: &[Dim], index_from_right: usize) -> Dim {
    if index_from_right < shape.len() {
        shape[shape.len() - 1 - index_from_right]
    } else {
        Dim::Known(1)
    }
}

fn broadcast_dim(a: Dim, b: Dim) -> Option<Dim> {
    match (a, b) {
        (Dim::Known(x), Dim::Known(y)) if x == y || y == 1 => Some(a),
        (Dim::Known(1), Dim::Known(_)) => Some(b),
        (Dim::Known(_), Dim::Known(_)) => None,
        (Dim::Known(1), Dim::Unknown) | (Dim::Unknown, Dim::Known(1)) => Some(Dim::Unknown),
        (Dim::Known(_), Dim::Unknown) => Some(a),
        (Dim::Unknown, Dim::Known(_)) => Some(b),
        (Dim::Unknown, Dim::Unknown) => Some(Dim::Unknown),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(dims: &[u32]) -> Vec<Dim> {
        dims.iter().map(|&d| Dim::Known(d)).collect()
    }

    #[test]
    fn broadcasting_follows_numpy() {
        assert_eq!(broadcast_shapes(&k(&[4, 1]), &k(&[8])), Some(k(&[4, 8])));
        assert_eq!(broadcast_shapes(&k(&[]), &k(&[3, 2])), Some(k(&[3, 2])));
        assert_eq!(broadcast_shapes(&k(&[3]), &k(&[4])), None);
        assert_eq!(
            broadcast_shapes(&[Dim::Unknown], &k(&[1, 5])),
            Some(vec![Dim::Known(1), Dim::Known(5)])
        );
        assert!(broadcasts_to(&k(&[1, 8]), &k(&[4, 8])));
        assert!(!broadcasts_to(&k(&[4, 8]), &k(&[8])));
    }

    #[test]
    fn display_uses_source_syntax() {
        let ty = Ty::tile(&[4, 8], Elem::Ptr(ScalarType::F32));
        assert_eq!(ty.to_string(), "tile<[4, 8], *f32>");
        assert_eq!(Ty::rank0(Elem::IntLit).to_string(), "{integer}");
    }
}
