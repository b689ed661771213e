//! The body checker: types, shapes and const values of every expression of one
//! function instance (a specialized kernel or a helper instantiation).
//!
//! [`Cx`] holds what the whole file shares (items, diagnostics, instances); [`FnCx`]
//! checks one body. Helpers are checked per call site: a call with a new tuple of
//! argument types (and const arguments) checks the helper's body again as a new
//! instance. Every mistake becomes a diagnostic and the offending expression gets the
//! error type, which every later check accepts silently, so one mistake reports once.
//!
//! Recursion follows the AST's nesting (capped by the parser) and helper call depth
//! (capped here at [`MAX_HELPER_DEPTH`]); operator chains are walked iteratively.

mod builtins_math;
mod builtins_mem;
mod builtins_shape;
mod call;
mod coerce;
mod constexpr;
mod expr;
mod loops;
mod ops;
mod returns;
mod stmt;
mod types;

use super::consts::{ConstVal, Cv};
use super::items::{ItemTable, KernelInfo, KernelParamKind};
use super::scope::{Binding, BindingId, BindingKind, Scopes};
use super::ty::Ty;
use super::typed::{Instance, InstanceId, InstanceKind};
use crate::ast::{Ast, Ident, Span, TypeExprKind};
use crate::diag::Diagnostic;
use std::collections::{BTreeSet, HashMap, HashSet};
use types::Pattern;

/// How deep helper calls may nest (kernel → helper → helper …).
pub const MAX_HELPER_DEPTH: usize = 64;

/// How deep expressions, blocks and helper calls may nest in total; with the checking
/// thread's stack this keeps adversarial input from overflowing it.
pub const MAX_NESTING: usize = 1000;

/// Whether the instances will be lowered (`compile`) or only checked (`check`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Check,
    Compile,
}

/// The key of a helper instance: item, const arguments, runtime argument types.
type HelperKey = (usize, Vec<Option<i128>>, Vec<Ty>);

/// File-wide checking state.
pub struct Cx<'a> {
    pub text: &'a str,
    pub ast: &'a Ast,
    pub items: &'a ItemTable,
    pub diags: Vec<Diagnostic>,
    seen: HashSet<(&'static str, Span, String)>,
    pub instances: Vec<Instance>,
    helper_keys: HashMap<HelperKey, InstanceId>,
    helper_counts: HashMap<usize, u32>,
    depth: usize,
    nesting: usize,
    too_deep: bool,
}

impl<'a> Cx<'a> {
    /// A context for checking the bodies of `ast`.
    pub fn new(text: &'a str, ast: &'a Ast, items: &'a ItemTable) -> Cx<'a> {
        Cx {
            text,
            ast,
            items,
            diags: Vec::new(),
            seen: HashSet::new(),
            instances: Vec::new(),
            helper_keys: HashMap::new(),
            helper_counts: HashMap::new(),
            depth: 0,
            nesting: 0,
            too_deep: false,
        }
    }

    /// Records a diagnostic unless an identical one (code, span, message) was already
    /// reported, e.g. by another instantiation of the same helper.
    pub fn emit(&mut self, diag: Diagnostic) {
        let key = (diag.code, diag.primary.span, diag.message.clone());
        if self.seen.insert(key) {
            self.diags.push(diag);
        }
    }

    /// The source text of `span`, shortened for messages.
    pub fn snippet(&self, span: Span) -> String {
        let text = self.text.get(span.range()).unwrap_or("…");
        let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if one_line.chars().count() > 40 {
            format!("{}…", one_line.chars().take(39).collect::<String>())
        } else {
            one_line
        }
    }

    /// Helper items that got at least one instance.
    pub fn instantiated_helpers(&self) -> HashSet<usize> {
        self.helper_counts.keys().copied().collect()
    }

    /// Enters one nesting level; reports (once) and returns false past [`MAX_NESTING`].
    pub fn enter(&mut self, span: Span) -> bool {
        if self.nesting >= MAX_NESTING {
            if !self.too_deep {
                self.too_deep = true;
                self.emit(
                    Diagnostic::error(
                        "E0111",
                        "expressions, blocks and helper calls nest too deeply",
                        span,
                        format!("more than {MAX_NESTING} levels deep here"),
                    )
                    .with_help("split the computation into `let` statements"),
                );
            }
            return false;
        }
        self.nesting += 1;
        true
    }

    /// Leaves a nesting level entered with [`Cx::enter`].
    pub fn leave(&mut self) {
        self.nesting = self.nesting.saturating_sub(1);
    }

    fn next_helper_name(&mut self, item: usize) -> String {
        let count = self.helper_counts.entry(item).or_insert(0);
        let base = &self.ast.items[item].decl().name.name;
        let name = if *count == 0 { base.clone() } else { format!("{base}.{count}") };
        *count += 1;
        name
    }
}

/// A loop or `if` being checked: which outer variables its body assigns.
struct Frame {
    first_binding: u32,
    assigned: BTreeSet<BindingId>,
}

/// What `return` statements of the current function must agree with.
#[derive(Default)]
struct RetState {
    returns_value: bool,
    declared: Option<(Pattern, Span)>,
    found: Option<Ty>,
}

/// Checking state of one function instance.
pub struct FnCx<'c, 'a> {
    pub cx: &'c mut Cx<'a>,
    pub inst: Instance,
    scopes: Scopes,
    frames: Vec<Frame>,
    loop_depth: usize,
    ret: RetState,
    /// For helper instances: the call that instantiated it and the argument types,
    /// added to every diagnostic in the body.
    origin: Option<(Span, String)>,
}

impl<'c, 'a> FnCx<'c, 'a> {
    fn new(cx: &'c mut Cx<'a>, inst: Instance, origin: Option<(Span, String)>) -> FnCx<'c, 'a> {
        let mut scopes = Scopes::default();
        scopes.push();
        FnCx {
            cx,
            inst,
            scopes,
            frames: Vec::new(),
            loop_depth: 0,
            ret: RetState::default(),
            origin,
        }
    }

    /// The AST (with the file's lifetime, so it does not borrow `self`).
    pub fn ast(&self) -> &'a Ast {
        self.cx.ast
    }

    /// Reports a diagnostic, noting the instantiating call for helper bodies.
    pub fn emit(&mut self, mut diag: Diagnostic) {
        if let Some((span, note)) = &self.origin {
            diag = diag.with_label(*span, note.clone());
        }
        self.cx.emit(diag);
    }

    /// Binds `ident` to a new binding in the innermost scope.
    fn bind(&mut self, ident: &Ident, ty: Ty, cv: Option<Cv>, kind: BindingKind) -> BindingId {
        let id = BindingId(self.inst.bindings.len() as u32);
        self.inst.bindings.push(Binding {
            name: ident.name.clone(),
            span: ident.span,
            ty,
            cv,
            kind,
        });
        self.scopes.bind(&ident.name, id);
        id
    }

    fn next_binding(&self) -> u32 {
        self.inst.bindings.len() as u32
    }

    /// Records that `binding` is assigned, for every enclosing loop or `if` it was
    /// defined outside of.
    fn note_assigned(&mut self, binding: BindingId) {
        for frame in &mut self.frames {
            if binding.0 < frame.first_binding {
                frame.assigned.insert(binding);
            }
        }
    }
}

/// Checks kernel `kernel` specialized with `consts` (one entry per parameter; `None`
/// for runtime parameters and for const parameters without a value).
pub fn check_kernel(cx: &mut Cx<'_>, kernel: &KernelInfo, consts: &[Option<i128>]) -> InstanceId {
    let decl = cx.ast.items[kernel.item].decl();
    let inst = Instance::new(InstanceKind::Kernel, kernel.item, kernel.name.clone());
    let mut f = FnCx::new(cx, inst, None);
    for (i, (param, info)) in decl.params.iter().zip(&kernel.params).enumerate() {
        match &info.kind {
            KernelParamKind::Runtime(ty) => {
                let b = f.bind(&param.name, Ty::from_ir(ty), None, BindingKind::Param);
                f.inst.runtime_params.push(b);
            }
            KernelParamKind::Const { ty, .. } => {
                let value = consts.get(i).copied().flatten();
                let cv = match value {
                    Some(v) if ty.is_bool() => Cv::Known(ConstVal::Bool(v != 0)),
                    Some(v) => Cv::Known(ConstVal::Int(v)),
                    None => Cv::Unknown,
                };
                if let Some(v) = value {
                    f.inst.specialization.push((info.name.clone(), v as i64));
                }
                f.bind(&param.name, Ty::scalar(*ty), Some(cv), BindingKind::ConstParam);
            }
            KernelParamKind::Invalid => {
                f.bind(&param.name, Ty::error(), None, BindingKind::Param);
            }
        }
    }
    f.body(&decl.body);
    let inst = f.inst;
    let id = InstanceId(cx.instances.len() as u32);
    cx.instances.push(inst);
    id
}

/// Checks a helper nobody calls (or a recursive one) with unknown parameter types, so
/// its name and statement errors are still reported. The instance is discarded.
pub fn check_helper_generic(cx: &mut Cx<'_>, item: usize) {
    let decl = cx.ast.items[item].decl();
    let name = decl.name.name.clone();
    let inst = Instance::new(InstanceKind::Helper, item, name);
    let mut f = FnCx::new(cx, inst, None);
    for param in &decl.params {
        if param.is_const {
            let ty = match param.ty.as_ref().map(|t| &t.kind) {
                Some(TypeExprKind::Scalar(s)) if s.is_int() || s.is_bool() => Ty::scalar(*s),
                Some(_) | None => Ty::error(),
            };
            f.bind(&param.name, ty, Some(Cv::Unknown), BindingKind::ConstParam);
        } else {
            f.bind(&param.name, Ty::error(), None, BindingKind::Param);
        }
    }
    f.set_return_state(item);
    f.body(&decl.body);
}
