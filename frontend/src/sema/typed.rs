//! What checking produces for lowering: one [`Instance`] per specialized kernel and per
//! helper instantiation, with side tables keyed by AST ids.
//!
//! The AST is shared by every instance (a helper called with two argument types is
//! checked twice), so types, constants, name resolutions and loop-carried variables
//! live in per-instance tables rather than in the AST. Lowering reads only these
//! tables and the AST; it never re-derives a type or looks up a name.

use super::builtins::{BoundArgs, Builtin};
use super::consts::Cv;
use super::scope::{Binding, BindingId};
use super::ty::Ty;
use crate::ast::{ExprId, StmtId};
use std::collections::HashMap;
use tessera_ir::ScalarType;

/// Index of an [`Instance`] in [`Program::instances`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstanceId(pub u32);

/// The type and const value of a checked expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Val {
    pub ty: Ty,
    pub cv: Option<Cv>,
}

impl Val {
    /// A non-const value of type `ty`.
    pub fn of(ty: Ty) -> Val {
        Val { ty, cv: None }
    }

    /// The value of an erroneous expression.
    pub fn error() -> Val {
        Val::of(Ty::error())
    }

    /// Whether the value is erroneous.
    pub fn is_error(&self) -> bool {
        self.ty.is_error()
    }
}

/// What a call resolved to.
#[derive(Clone, Debug)]
pub enum CallInfo {
    Builtin(Builtin, BoundArgs),
    /// A helper instance, with the arguments of its runtime (non-const) parameters in
    /// parameter order.
    Helper {
        instance: InstanceId,
        args: Vec<ExprId>,
    },
}

/// Whether an instance is a kernel specialization or a helper instantiation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstanceKind {
    Kernel,
    Helper,
}

/// One checked function body.
#[derive(Clone, Debug)]
pub struct Instance {
    pub kind: InstanceKind,
    /// Index of the item in `Ast::items`.
    pub item: usize,
    /// The IR function name (`name`, `name.1`, …).
    pub name: String,
    /// Bindings of the runtime parameters, in declaration order (the IR parameters).
    pub runtime_params: Vec<BindingId>,
    /// The type a helper returns; `None` when it returns nothing.
    pub result: Option<Ty>,
    /// Const parameter values, in declaration order (kernels).
    pub specialization: Vec<(String, i64)>,
    pub bindings: Vec<Binding>,
    pub exprs: HashMap<ExprId, Val>,
    /// Untyped literal expressions and the type their context gave them.
    pub coerced: HashMap<ExprId, ScalarType>,
    pub names: HashMap<ExprId, BindingId>,
    pub calls: HashMap<ExprId, CallInfo>,
    /// The binding a `let`, `for` (loop variable) or assignment statement defines.
    pub stmt_bindings: HashMap<StmtId, BindingId>,
    /// For `if`, `for` and `while`: variables defined outside and assigned inside, in
    /// binding order (the values the construct carries or yields).
    pub carried: HashMap<StmtId, Vec<BindingId>>,
}

impl Instance {
    /// An empty instance of `item`.
    pub fn new(kind: InstanceKind, item: usize, name: String) -> Instance {
        Instance {
            kind,
            item,
            name,
            runtime_params: Vec::new(),
            result: None,
            specialization: Vec::new(),
            bindings: Vec::new(),
            exprs: HashMap::new(),
            coerced: HashMap::new(),
            names: HashMap::new(),
            calls: HashMap::new(),
            stmt_bindings: HashMap::new(),
            carried: HashMap::new(),
        }
    }

    /// The checked value of `expr` (the error value if it was never checked).
    pub fn val(&self, expr: ExprId) -> Val {
        self.exprs.get(&expr).cloned().unwrap_or_else(Val::error)
    }
}

/// Every instance of a checked file, in the order checking created them.
#[derive(Clone, Debug, Default)]
pub struct Program {
    pub instances: Vec<Instance>,
    pub kernels: Vec<InstanceId>,
}

impl Program {
    /// The instance `id`.
    pub fn instance(&self, id: InstanceId) -> &Instance {
        &self.instances[id.0 as usize]
    }
}
