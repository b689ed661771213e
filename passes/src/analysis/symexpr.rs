//! Symbolic scalar expressions for DMA descriptors: integer polynomials over
//! tile-invariant scalar atoms (kernel scalar parameters, `program_id`,
//! `num_programs`, loop induction variables and other opaque scalar IR values).
//!
//! A [`ScalarExpr`] is kept in a canonical form: a sum of monomials, each an `i64`
//! coefficient times a sorted product of [`Atom`]s, with no zero coefficients. This
//! is closed under add, sub, neg, mul and shift-left by a constant, so the address
//! arithmetic the optimizer leaves behind (`pid << 6`, `(pid*64 + i) * sam`,
//! `k * sak`) stays exact and comparable. Products of two symbolic atoms are kept as
//! monomials (`pid * sam`) rather than rejected: the PE compiler materializes them
//! with scalar multiplies. Coefficient arithmetic wraps like the IR's integer ops.

use std::collections::BTreeMap;
use std::fmt;

use tessera_ir::Value;

/// A tile-invariant scalar the PE compiler can compute at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Atom {
    /// The kernel's scalar parameter with this index (index among all parameters).
    Param(usize),
    /// `program_id(axis)`.
    ProgramId(u8),
    /// `num_programs(axis)`.
    NumPrograms(u8),
    /// The induction variable of the `for` loop whose body block defines this value.
    LoopVar(Value),
    /// Any other scalar integer value (a loop-carried scalar, a scalar load, the
    /// result of a non-polynomial scalar op such as `div`): computed by the program.
    Opaque(Value),
}

impl fmt::Display for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Atom::Param(i) => write!(f, "param{i}"),
            Atom::ProgramId(a) => write!(f, "pid{a}"),
            Atom::NumPrograms(a) => write!(f, "nprog{a}"),
            Atom::LoopVar(v) => write!(f, "iv{v}"),
            Atom::Opaque(v) => write!(f, "{v}"),
        }
    }
}

/// A polynomial over [`Atom`]s with `i64` coefficients (wrapping), in canonical form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ScalarExpr {
    /// Sorted factor list (empty = the constant term) → non-zero coefficient.
    terms: BTreeMap<Vec<Atom>, i64>,
}

/// A per-dimension stride: the same symbolic form as a base offset.
pub type StrideExpr = ScalarExpr;

impl ScalarExpr {
    /// The constant `c`.
    pub fn constant(c: i64) -> ScalarExpr {
        let mut e = ScalarExpr::default();
        e.add_term(Vec::new(), c);
        e
    }

    /// The zero polynomial.
    pub fn zero() -> ScalarExpr {
        ScalarExpr::default()
    }

    /// One atom with coefficient 1.
    pub fn atom(a: Atom) -> ScalarExpr {
        let mut e = ScalarExpr::default();
        e.add_term(vec![a], 1);
        e
    }

    /// The monomials: (sorted factors, coefficient), no zero coefficients.
    pub fn terms(&self) -> impl Iterator<Item = (&[Atom], i64)> {
        self.terms.iter().map(|(k, &c)| (k.as_slice(), c))
    }

    /// Whether this is the zero polynomial.
    pub fn is_zero(&self) -> bool {
        self.terms.is_empty()
    }

    /// The value if the expression has no atoms.
    pub fn as_constant(&self) -> Option<i64> {
        match self.terms.len() {
            0 => Some(0),
            1 => self.terms.get(&Vec::new()).copied(),
            _ => None,
        }
    }

    /// The atom if the expression is exactly `1 * atom`.
    pub fn as_atom(&self) -> Option<Atom> {
        let mut it = self.terms.iter();
        match (it.next(), it.next()) {
            (Some((k, 1)), None) if k.len() == 1 => Some(k[0]),
            _ => None,
        }
    }

    fn add_term(&mut self, factors: Vec<Atom>, c: i64) {
        if c == 0 {
            return;
        }
        let entry = self.terms.entry(factors).or_insert(0);
        *entry = entry.wrapping_add(c);
        if *entry == 0 {
            self.terms.retain(|_, c| *c != 0);
        }
    }

    /// `self + other`.
    pub fn add(&self, other: &ScalarExpr) -> ScalarExpr {
        let mut out = self.clone();
        for (k, &c) in &other.terms {
            out.add_term(k.clone(), c);
        }
        out
    }

    /// `-self`.
    pub fn neg(&self) -> ScalarExpr {
        self.scale(-1)
    }

    /// `self - other`.
    pub fn sub(&self, other: &ScalarExpr) -> ScalarExpr {
        self.add(&other.neg())
    }

    /// `self * c`.
    pub fn scale(&self, c: i64) -> ScalarExpr {
        let mut out = ScalarExpr::default();
        for (k, &v) in &self.terms {
            out.add_term(k.clone(), v.wrapping_mul(c));
        }
        out
    }

    /// `self * other` (polynomial product).
    pub fn mul(&self, other: &ScalarExpr) -> ScalarExpr {
        let mut out = ScalarExpr::default();
        for (ka, &ca) in &self.terms {
            for (kb, &cb) in &other.terms {
                let mut k = ka.clone();
                k.extend_from_slice(kb);
                k.sort();
                out.add_term(k, ca.wrapping_mul(cb));
            }
        }
        out
    }

    /// Evaluates with `atom_value` giving each atom (wrapping), for tests and the
    /// simulator.
    pub fn eval(&self, atom_value: &dyn Fn(Atom) -> i64) -> i64 {
        self.terms.iter().fold(0i64, |acc, (k, &c)| {
            let p = k.iter().fold(c, |p, &a| p.wrapping_mul(atom_value(a)));
            acc.wrapping_add(p)
        })
    }
}

impl fmt::Display for ScalarExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.terms.is_empty() {
            return f.write_str("0");
        }
        for (i, (k, &c)) in self.terms.iter().enumerate() {
            let (sign, mag) = if c < 0 { ("-", c.unsigned_abs()) } else { ("+", c as u64) };
            if i == 0 {
                if sign == "-" {
                    f.write_str("-")?;
                }
            } else {
                write!(f, " {sign} ")?;
            }
            if k.is_empty() {
                write!(f, "{mag}")?;
                continue;
            }
            if mag != 1 {
                write!(f, "{mag}*")?;
            }
            for (j, a) in k.iter().enumerate() {
                if j > 0 {
                    f.write_str("*")?;
                }
                write!(f, "{a}")?;
            }
        }
        Ok(())
    }
}
