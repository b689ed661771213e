//! Lexical scopes, bindings and "did you mean" suggestions.
//!
//! Every parameter, `let` and loop variable of one function instance gets a
//! [`BindingId`], numbered in order of declaration, so "defined before this loop" is a
//! comparison of ids. Lowering keys its SSA values by these ids and never looks names
//! up itself, so the scoping rules live only here.

use super::consts::Cv;
use super::ty::Ty;
use crate::ast::Span;
use std::collections::HashMap;

/// A binding of one function instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BindingId(pub u32);

/// What introduced a binding (which decides whether it may be assigned).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BindingKind {
    Param,
    ConstParam,
    Let,
    LetMut,
    LoopVar,
}

/// A name bound to a typed value.
#[derive(Clone, Debug)]
pub struct Binding {
    pub name: String,
    pub span: Span,
    pub ty: Ty,
    /// Set for const parameters and immutable `let`s of const values.
    pub cv: Option<Cv>,
    pub kind: BindingKind,
}

/// A stack of scopes mapping names to bindings.
#[derive(Clone, Debug, Default)]
pub struct Scopes {
    stack: Vec<HashMap<String, BindingId>>,
}

impl Scopes {
    /// Opens a scope.
    pub fn push(&mut self) {
        self.stack.push(HashMap::new());
    }

    /// Closes the innermost scope.
    pub fn pop(&mut self) {
        self.stack.pop();
    }

    /// Binds `name` in the innermost scope (shadowing any earlier binding).
    pub fn bind(&mut self, name: &str, id: BindingId) {
        if self.stack.is_empty() {
            self.push();
        }
        if let Some(scope) = self.stack.last_mut() {
            scope.insert(name.to_string(), id);
        }
    }

    /// The innermost binding of `name`.
    pub fn lookup(&self, name: &str) -> Option<BindingId> {
        self.stack.iter().rev().find_map(|scope| scope.get(name).copied())
    }

    /// Every visible name, for suggestions.
    pub fn visible_names(&self) -> impl Iterator<Item = &str> {
        self.stack.iter().flat_map(|scope| scope.keys().map(String::as_str))
    }
}

/// The closest of `candidates` to `name`, if close enough to be a likely typo.
pub fn did_you_mean<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let limit = (name.chars().count() / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        if candidate == name {
            continue;
        }
        let distance = edit_distance(name, candidate);
        if distance > limit {
            continue;
        }
        let better = match best {
            None => true,
            Some((d, c)) => distance < d || (distance == d && candidate < c),
        };
        if better {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, c)| c.to_string())
}

/// Levenshtein distance over chars.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["n_cols", "stride", "row"];
        assert_eq!(did_you_mean("n_col", names.into_iter()), Some("n_cols".into()));
        assert_eq!(did_you_mean("rwo", names.into_iter()), None);
        assert_eq!(did_you_mean("strde", names.into_iter()), Some("stride".into()));
        assert_eq!(did_you_mean("zzzzzz", names.into_iter()), None);
    }

    #[test]
    fn inner_scopes_shadow_outer_ones() {
        let mut scopes = Scopes::default();
        scopes.push();
        scopes.bind("x", BindingId(0));
        scopes.push();
        scopes.bind("x", BindingId(1));
        assert_eq!(scopes.lookup("x"), Some(BindingId(1)));
        scopes.pop();
        assert_eq!(scopes.lookup("x"), Some(BindingId(0)));
    }
}
