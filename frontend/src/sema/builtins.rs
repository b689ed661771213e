//! The builtin functions: their names, signatures, and argument binding.
//!
//! Binding matches a call's positional and named arguments to a signature's parameter
//! slots and reports count, name and order mistakes, with the signature in the help
//! line. Helpers are bound with the same code (all their parameters are nameable).

use crate::ast::{CallArg, ExprId, Span};
use crate::diag::Diagnostic;
use tessera_ir::{ReduceOp, UnaryOp};

/// A builtin function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Builtin {
    ProgramId,
    NumPrograms,
    Arange,
    Zeros,
    Full,
    Cdiv,
    Reshape,
    Trans,
    BroadcastTo,
    Load,
    Store,
    AtomicAdd,
    AtomicMax,
    Where,
    Maximum,
    Minimum,
    /// `exp`, `sqrt`, …, `abs`.
    Math(UnaryOp),
    /// `sum`, `max`, `min`, `argmax`, `argmin`.
    Reduce(ReduceOp),
    Cumsum,
    Dot,
    StaticAssert,
    DeviceAssert,
    /// `range(start, end[, step])`, only as the iterator of a `for`.
    Range,
}

/// One parameter of a signature.
#[derive(Clone, Copy, Debug)]
pub struct ParamSpec<'a> {
    pub name: &'a str,
    pub required: bool,
    /// Whether the argument may be passed as `name: value`.
    pub named: bool,
}

/// A signature: parameters in positional order and how it reads in a help line.
#[derive(Clone, Debug)]
pub struct Signature<'a> {
    pub params: Vec<ParamSpec<'a>>,
    pub text: String,
}

/// Arguments matched to parameter slots, in the signature's order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BoundArgs {
    pub slots: Vec<Option<ExprId>>,
}

impl BoundArgs {
    /// The argument bound to slot `i`, if given.
    pub fn get(&self, i: usize) -> Option<ExprId> {
        self.slots.get(i).copied().flatten()
    }
}

const NAMES: &[(&str, Builtin)] = &[
    ("program_id", Builtin::ProgramId),
    ("num_programs", Builtin::NumPrograms),
    ("arange", Builtin::Arange),
    ("zeros", Builtin::Zeros),
    ("full", Builtin::Full),
    ("cdiv", Builtin::Cdiv),
    ("reshape", Builtin::Reshape),
    ("trans", Builtin::Trans),
    ("broadcast_to", Builtin::BroadcastTo),
    ("load", Builtin::Load),
    ("store", Builtin::Store),
    ("atomic_add", Builtin::AtomicAdd),
    ("atomic_max", Builtin::AtomicMax),
    ("where", Builtin::Where),
    ("maximum", Builtin::Maximum),
    ("minimum", Builtin::Minimum),
    ("exp", Builtin::Math(UnaryOp::Exp)),
    ("exp2", Builtin::Math(UnaryOp::Exp2)),
    ("log", Builtin::Math(UnaryOp::Log)),
    ("log2", Builtin::Math(UnaryOp::Log2)),
    ("sqrt", Builtin::Math(UnaryOp::Sqrt)),
    ("rsqrt", Builtin::Math(UnaryOp::Rsqrt)),
    ("sin", Builtin::Math(UnaryOp::Sin)),
    ("cos", Builtin::Math(UnaryOp::Cos)),
    ("tanh", Builtin::Math(UnaryOp::Tanh)),
    ("sigmoid", Builtin::Math(UnaryOp::Sigmoid)),
    ("erf", Builtin::Math(UnaryOp::Erf)),
    ("floor", Builtin::Math(UnaryOp::Floor)),
    ("ceil", Builtin::Math(UnaryOp::Ceil)),
    ("abs", Builtin::Math(UnaryOp::Abs)),
    ("sum", Builtin::Reduce(ReduceOp::Sum)),
    ("max", Builtin::Reduce(ReduceOp::Max)),
    ("min", Builtin::Reduce(ReduceOp::Min)),
    ("argmax", Builtin::Reduce(ReduceOp::ArgMax)),
    ("argmin", Builtin::Reduce(ReduceOp::ArgMin)),
    ("cumsum", Builtin::Cumsum),
    ("dot", Builtin::Dot),
    ("static_assert", Builtin::StaticAssert),
    ("device_assert", Builtin::DeviceAssert),
    ("range", Builtin::Range),
];

impl Builtin {
    /// The builtin called `name`.
    pub fn from_name(name: &str) -> Option<Builtin> {
        NAMES.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
    }

    /// Every builtin name (for "did you mean" suggestions).
    pub fn names() -> impl Iterator<Item = &'static str> {
        NAMES.iter().map(|(n, _)| *n)
    }

    /// The name as written in source.
    pub fn name(self) -> &'static str {
        NAMES.iter().find(|(_, b)| *b == self).map_or("?", |(n, _)| *n)
    }

    /// Whether a call is useful as an expression statement (it has an effect).
    pub fn has_effect(self) -> bool {
        match self {
            Builtin::Store
            | Builtin::AtomicAdd
            | Builtin::AtomicMax
            | Builtin::StaticAssert
            | Builtin::DeviceAssert => true,
            Builtin::ProgramId
            | Builtin::NumPrograms
            | Builtin::Arange
            | Builtin::Zeros
            | Builtin::Full
            | Builtin::Cdiv
            | Builtin::Reshape
            | Builtin::Trans
            | Builtin::BroadcastTo
            | Builtin::Load
            | Builtin::Where
            | Builtin::Maximum
            | Builtin::Minimum
            | Builtin::Math(_)
            | Builtin::Reduce(_)
            | Builtin::Cumsum
            | Builtin::Dot
            | Builtin::Range => false,
        }
    }

    /// The signature: parameter names, which are optional and which may be named.
    pub fn signature(self) -> Signature<'static> {
        let (params, text): (&[(&str, bool)], &str) = match self {
            Builtin::ProgramId => (&[("axis", true)], "program_id(axis)"),
            Builtin::NumPrograms => (&[("axis", true)], "num_programs(axis)"),
            Builtin::Arange => (&[("start", true), ("end", true)], "arange(start, end)"),
            Builtin::Zeros => (&[("shape", true), ("dtype", true)], "zeros([d0, …], dtype)"),
            Builtin::Full => (
                &[("shape", true), ("value", true), ("dtype", true)],
                "full([d0, …], value, dtype)",
            ),
            Builtin::Cdiv => (&[("a", true), ("b", true)], "cdiv(a, b)"),
            Builtin::Reshape => (&[("x", true), ("shape", true)], "reshape(x, [d0, …])"),
            Builtin::Trans => (&[("x", true), ("perm", false)], "trans(x) or trans(x, [p0, …])"),
            Builtin::BroadcastTo => (&[("x", true), ("shape", true)], "broadcast_to(x, [d0, …])"),
            Builtin::Load => (
                &[("ptr", true), ("mask", false), ("other", false)],
                "load(ptr, mask: m, other: o)",
            ),
            Builtin::Store => {
                (&[("ptr", true), ("value", true), ("mask", false)], "store(ptr, value, mask: m)")
            }
            Builtin::AtomicAdd => (
                &[("ptr", true), ("value", true), ("mask", false)],
                "atomic_add(ptr, value, mask: m)",
            ),
            Builtin::AtomicMax => (
                &[("ptr", true), ("value", true), ("mask", false)],
                "atomic_max(ptr, value, mask: m)",
            ),
            Builtin::Where => (&[("cond", true), ("a", true), ("b", true)], "where(cond, a, b)"),
            Builtin::Maximum => (&[("a", true), ("b", true)], "maximum(a, b)"),
            Builtin::Minimum => (&[("a", true), ("b", true)], "minimum(a, b)"),
            Builtin::Math(_) => (&[("x", true)], "(x)"),
            Builtin::Reduce(_) => (&[("x", true), ("axis", false)], "(x, axis: n)"),
            Builtin::Cumsum => (&[("x", true), ("axis", false)], "cumsum(x, axis: n)"),
            Builtin::Dot => (&[("a", true), ("b", true), ("acc", false)], "dot(a, b[, acc])"),
            Builtin::StaticAssert => {
                (&[("cond", true), ("message", false)], "static_assert(cond, \"message\")")
            }
            Builtin::DeviceAssert => {
                (&[("cond", true), ("message", false)], "device_assert(cond, \"message\")")
            }
            Builtin::Range => {
                (&[("start", true), ("end", true), ("step", false)], "range(start, end[, step])")
            }
        };
        let text =
            if text.starts_with('(') { format!("{}{text}", self.name()) } else { text.into() };
        let params = params
            .iter()
            .map(|&(name, required)| ParamSpec {
                name,
                required,
                named: matches!(name, "mask" | "other" | "axis"),
            })
            .collect();
        Signature { params, text }
    }
}

/// Matches `args` to the slots of `sig`. Errors (pushed to `diags`) point at the
/// offending argument; the result is `None` if any was reported.
pub fn bind_args(
    sig: &Signature<'_>,
    callee: &str,
    args: &[CallArg],
    arg_span: impl Fn(ExprId) -> Span,
    call_span: Span,
    diags: &mut Vec<Diagnostic>,
) -> Option<BoundArgs> {
    let before = diags.len();
    let mut slots = vec![None; sig.params.len()];
    let mut next_positional = 0;
    let mut seen_named: Option<Span> = None;
    let help = format!("the signature is `{}`", sig.text);
    for arg in args {
        let span =
            arg.name.as_ref().map_or(arg_span(arg.value), |n| n.span.to(arg_span(arg.value)));
        match &arg.name {
            None => {
                if let Some(named_span) = seen_named {
                    diags.push(
                        Diagnostic::error(
                            "E0123",
                            "positional argument after a named argument",
                            span,
                            "positional argument",
                        )
                        .with_label(named_span, "named argument given here")
                        .with_help(help.clone()),
                    );
                    continue;
                }
                if next_positional >= slots.len() {
                    diags.push(
                        Diagnostic::error(
                            "E0120",
                            format!(
                                "`{callee}` takes at most {} argument{}",
                                sig.params.len(),
                                plural(sig.params.len())
                            ),
                            span,
                            "unexpected argument",
                        )
                        .with_help(help.clone()),
                    );
                    continue;
                }
                slots[next_positional] = Some(arg.value);
                next_positional += 1;
            }
            Some(name) => {
                seen_named = Some(span);
                bind_named(sig, callee, name, arg.value, span, &mut slots, &help, diags);
            }
        }
    }
    // A missing argument is usually the one a reported mistake displaced.
    let displaced = diags.len() > before;
    for (i, param) in sig.params.iter().enumerate() {
        if param.required && slots[i].is_none() && !displaced {
            diags.push(
                Diagnostic::error(
                    "E0124",
                    format!("missing argument `{}` in call to `{callee}`", param.name),
                    call_span,
                    format!("argument `{}` missing", param.name),
                )
                .with_help(help.clone()),
            );
        }
    }
    (diags.len() == before).then_some(BoundArgs { slots })
}

#[allow(clippy::too_many_arguments)]
fn bind_named(
    sig: &Signature<'_>,
    callee: &str,
    name: &crate::ast::Ident,
    value: ExprId,
    span: Span,
    slots: &mut [Option<ExprId>],
    help: &str,
    diags: &mut Vec<Diagnostic>,
) {
    let Some(index) = sig.params.iter().position(|p| p.name == name.name && p.named) else {
        diags.push(
            Diagnostic::error(
                "E0121",
                format!("`{callee}` has no argument named `{}`", name.name),
                name.span,
                "unknown argument name",
            )
            .with_help(help.to_string()),
        );
        return;
    };
    if slots[index].is_some() {
        diags.push(
            Diagnostic::error(
                "E0122",
                format!("argument `{}` given twice", name.name),
                span,
                "duplicate argument",
            )
            .with_help(help.to_string()),
        );
        return;
    }
    slots[index] = Some(value);
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_round_trips_its_name() {
        for name in Builtin::names() {
            let builtin = Builtin::from_name(name).expect("registered");
            assert_eq!(builtin.name(), name);
            assert!(!builtin.signature().params.is_empty());
        }
    }
}
