//! Calls: resolving the callee, binding arguments, and instantiating helpers per
//! tuple of argument types.

use super::types::{cast_help, Mismatch, Pattern};
use super::{Cx, FnCx, MAX_HELPER_DEPTH};
use crate::ast::{CallArg, Expr, ExprId, Ident, Param, Span, TypeExprKind};
use crate::diag::Diagnostic;
use crate::sema::builtins::{bind_args, BoundArgs, Builtin, ParamSpec, Signature};
use crate::sema::consts::{convert_literal, ConstVal, Cv};
use crate::sema::scope::{did_you_mean, BindingKind};
use crate::sema::ty::Ty;
use crate::sema::typed::{CallInfo, Instance, InstanceId, InstanceKind, Val};
use crate::sema::walk::returns_a_value;

impl FnCx<'_, '_> {
    /// Checks a call expression.
    pub fn call(&mut self, e: ExprId, callee: &Ident, args: &[CallArg]) -> Val {
        let name = callee.name.as_str();
        if let Some(builtin) = Builtin::from_name(name) {
            if builtin == Builtin::Range {
                self.emit(
                    Diagnostic::error(
                        "E0109",
                        "`range` can only be the iterator of a `for` loop",
                        callee.span,
                        "not in a `for` loop",
                    )
                    .with_help("write `for i in range(start, end) { … }`; for a tile of indices use `arange`"),
                );
                self.check_loose_args(args);
                return Val::error();
            }
            return self.builtin_call(e, builtin, callee, args);
        }
        if let Some(&item) = self.cx.items.helpers.get(name) {
            return self.helper_call(e, item, callee, args);
        }
        let diag = if self.cx.items.kernel_names.contains_key(name) {
            Diagnostic::error(
                "E0108",
                format!("kernel `{name}` cannot be called"),
                callee.span,
                "a kernel",
            )
            .with_help("kernels are launched, not called; move the shared code into a helper `fn`")
        } else {
            let mut candidates: Vec<&str> =
                self.cx.items.helpers.keys().map(String::as_str).collect();
            for builtin in Builtin::names() {
                candidates.push(builtin);
            }
            let diag = Diagnostic::error(
                "E0103",
                format!("unknown function `{name}`"),
                callee.span,
                "not a builtin or helper",
            );
            match did_you_mean(name, candidates.into_iter()) {
                Some(s) => diag.with_help(format!("did you mean `{s}`?")),
                None => diag,
            }
        };
        self.emit(diag);
        self.check_loose_args(args);
        Val::error()
    }

    /// Checks the value arguments of a call that could not be resolved, so mistakes
    /// inside them are still reported.
    fn check_loose_args(&mut self, args: &[CallArg]) {
        for arg in args {
            match &self.ast().exprs[arg.value] {
                Expr::List(_) | Expr::DType(_) | Expr::Str(_) => {}
                Expr::Int(_)
                | Expr::Float(_)
                | Expr::Bool(_)
                | Expr::Name(_)
                | Expr::Unary { .. }
                | Expr::Binary { .. }
                | Expr::Call { .. }
                | Expr::Index { .. }
                | Expr::Cast { .. }
                | Expr::Paren(_) => {
                    self.expr(arg.value);
                }
            }
        }
    }

    /// Binds a call's arguments; on failure checks them loosely and returns `None`.
    pub fn bind_call(
        &mut self,
        sig: &Signature<'_>,
        callee: &Ident,
        args: &[CallArg],
        call_span: Span,
    ) -> Option<BoundArgs> {
        let ast = self.ast();
        let mut diags = Vec::new();
        let bound = bind_args(sig, &callee.name, args, |e| ast.expr_span(e), call_span, &mut diags);
        for diag in diags {
            self.emit(diag);
        }
        if bound.is_none() {
            self.check_loose_args(args);
        }
        bound
    }

    fn builtin_call(
        &mut self,
        e: ExprId,
        builtin: Builtin,
        callee: &Ident,
        args: &[CallArg],
    ) -> Val {
        let span = self.ast().expr_span(e);
        let Some(bound) = self.bind_call(&builtin.signature(), callee, args, span) else {
            return Val::error();
        };
        self.inst.calls.insert(e, CallInfo::Builtin(builtin, bound.clone()));
        self.check_builtin(e, builtin, &bound)
    }

    fn helper_call(&mut self, e: ExprId, item: usize, callee: &Ident, args: &[CallArg]) -> Val {
        let ast = self.ast();
        let span = ast.expr_span(e);
        let decl = ast.items[item].decl();
        let params: Vec<ParamSpec<'_>> = decl
            .params
            .iter()
            .map(|p| ParamSpec { name: &p.name.name, required: true, named: true })
            .collect();
        let names: Vec<&str> = decl.params.iter().map(|p| p.name.name.as_str()).collect();
        let sig = Signature { params, text: format!("{}({})", decl.name.name, names.join(", ")) };
        let Some(bound) = self.bind_call(&sig, callee, args, span) else { return Val::error() };
        let mut const_args = Vec::new();
        let mut runtime_args = Vec::new();
        let mut ok = true;
        for (i, param) in decl.params.iter().enumerate() {
            let Some(arg) = bound.get(i) else { continue };
            let val = self.value(arg);
            if val.is_error() {
                ok = false;
            } else if param.is_const {
                match self.const_arg(arg, &val, param, &decl.name.name) {
                    Some(v) => const_args.push(v),
                    None => ok = false,
                }
            } else {
                runtime_args.push((arg, val));
            }
        }
        if !ok || self.cx.items.recursive.contains(&item) {
            return Val::error();
        }
        if self.cx.depth >= MAX_HELPER_DEPTH {
            self.emit(
                Diagnostic::error(
                    "E0111",
                    format!("helper calls nest more than {MAX_HELPER_DEPTH} deep"),
                    callee.span,
                    "too deep",
                )
                .with_help("helpers are inlined; flatten the chain of helper calls"),
            );
            return Val::error();
        }
        match self.instantiate(item, const_args, runtime_args, span) {
            Some((instance, args)) => {
                self.inst.calls.insert(e, CallInfo::Helper { instance, args });
                let result = self.cx.instances[instance.0 as usize].result.clone();
                Val::of(result.unwrap_or_else(Ty::void))
            }
            None => Val::error(),
        }
    }

    /// A const helper argument: a known (or, while checking, unknown) constant.
    fn const_arg(
        &mut self,
        arg: ExprId,
        val: &Val,
        param: &Param,
        helper: &str,
    ) -> Option<Option<i128>> {
        let span = self.ast().expr_span(arg);
        let what = format!("the argument for const parameter `{}` of `{helper}`", param.name.name);
        // The declaration was checked with the items; an invalid one was reported.
        let ty = const_type(param)?;
        match val.cv {
            Some(Cv::Known(v)) => {
                let converted =
                    if val.ty.is_untyped() { convert_literal(v, ty).ok() } else { Some(v) };
                match converted {
                    Some(ConstVal::Int(i))
                        if val.ty.elem.is_int_like() && crate::sema::consts::fits(i, ty) =>
                    {
                        Some(Some(i))
                    }
                    Some(ConstVal::Bool(b)) if ty.is_bool() => Some(Some(i128::from(b))),
                    Some(ConstVal::Int(_) | ConstVal::Bool(_) | ConstVal::Float(_)) | None => {
                        self.emit(Diagnostic::error(
                            "E0207",
                            format!("{what} must be of type `{ty}`"),
                            span,
                            format!("this is `{}`", val.ty),
                        ));
                        None
                    }
                }
            }
            Some(Cv::Unknown) => Some(None),
            None => {
                self.not_const(span, &what);
                None
            }
        }
    }

    /// Finds or creates the instance of helper `item` for these arguments. Returns it
    /// with the runtime argument expressions in parameter order.
    fn instantiate(
        &mut self,
        item: usize,
        const_args: Vec<Option<i128>>,
        runtime_args: Vec<(ExprId, Val)>,
        call_span: Span,
    ) -> Option<(InstanceId, Vec<ExprId>)> {
        let ast = self.ast();
        let decl = ast.items[item].decl();
        let runtime_params: Vec<&Param> = decl.params.iter().filter(|p| !p.is_const).collect();
        let patterns = {
            let mut helper = helper_fn_cx(self.cx, item, &const_args, None);
            runtime_params
                .iter()
                .map(|p| match &p.ty {
                    Some(te) => helper.resolve_type(te),
                    None => Some(Pattern::Any),
                })
                .collect::<Option<Vec<Pattern>>>()?
        };
        let mut tys = Vec::new();
        let mut exprs = Vec::new();
        for ((arg, val), (param, pattern)) in
            runtime_args.iter().zip(runtime_params.iter().zip(&patterns))
        {
            match self.match_pattern(*arg, val, pattern) {
                Ok(v) => tys.push(v.ty),
                Err(Mismatch::Reported) => return None,
                Err(Mismatch::Type) => {
                    self.helper_arg_mismatch(*arg, val, param, pattern, &decl.name.name);
                    return None;
                }
            }
            exprs.push(*arg);
        }
        let key = (item, const_args.clone(), tys.clone());
        if let Some(&id) = self.cx.helper_keys.get(&key) {
            return Some((id, exprs));
        }
        let id = InstanceId(self.cx.instances.len() as u32);
        let name = self.cx.next_helper_name(item);
        self.cx.instances.push(Instance::new(InstanceKind::Helper, item, name.clone()));
        self.cx.helper_keys.insert(key, id);
        let arg_list: Vec<String> = tys.iter().map(Ty::to_string).collect();
        let note =
            format!("in `{}` instantiated here with ({})", decl.name.name, arg_list.join(", "));
        self.cx.depth += 1;
        self.cx.nesting += 1;
        let mut helper = helper_fn_cx(self.cx, item, &const_args, Some((call_span, note)));
        helper.inst.name = name;
        for (param, ty) in runtime_params.iter().zip(tys) {
            let b = helper.bind(&param.name, ty, None, BindingKind::Param);
            helper.inst.runtime_params.push(b);
        }
        helper.set_return_state(item);
        helper.body(&decl.body);
        helper.inst.result = helper.result_type();
        let inst = helper.inst;
        self.cx.depth -= 1;
        self.cx.leave();
        self.cx.instances[id.0 as usize] = inst;
        Some((id, exprs))
    }

    fn helper_arg_mismatch(
        &mut self,
        arg: ExprId,
        val: &Val,
        param: &Param,
        pattern: &Pattern,
        helper: &str,
    ) {
        let span = self.ast().expr_span(arg);
        let accepts = match pattern {
            Pattern::Scalar(s) => format!("`{s}` values of any shape"),
            Pattern::Ptr(s) => format!("`*{s}` pointers of any shape"),
            Pattern::Exact(ty) => format!("`{ty}`"),
            Pattern::Any => "any value".to_string(),
        };
        let mut diag = Diagnostic::error(
            "E0207",
            format!(
                "argument `{}` of `{helper}` expects {accepts}, found `{}`",
                param.name.name, val.ty
            ),
            span,
            format!("this is `{}`", val.ty),
        )
        .with_label(param.span, "parameter declared here");
        if let Some(help) = cast_help(&val.ty, pattern) {
            diag = diag.with_help(help);
        }
        self.emit(diag);
    }

    /// Sets up what `return`s must agree with, from the helper's declaration.
    pub(super) fn set_return_state(&mut self, item: usize) {
        let decl = self.ast().items[item].decl();
        self.ret.returns_value = decl.ret.is_some() || returns_a_value(self.ast(), &decl.body);
        if let Some(te) = &decl.ret {
            if let Some(pattern) = self.resolve_type(te) {
                self.ret.declared = Some((pattern, te.span));
            }
        }
    }

    /// The type the helper returns, once its body is checked.
    fn result_type(&self) -> Option<Ty> {
        if !self.ret.returns_value {
            return None;
        }
        match (&self.ret.found, &self.ret.declared) {
            (Some(ty), _) => Some(ty.clone()),
            (None, Some((Pattern::Exact(ty), _))) => Some(ty.clone()),
            (None, _) => Some(Ty::error()),
        }
    }
}

/// A checking context for a helper body, with its const parameters bound.
fn helper_fn_cx<'c, 'a>(
    cx: &'c mut Cx<'a>,
    item: usize,
    const_args: &[Option<i128>],
    origin: Option<(Span, String)>,
) -> FnCx<'c, 'a> {
    let decl = cx.ast.items[item].decl();
    let inst = Instance::new(InstanceKind::Helper, item, decl.name.name.clone());
    let mut f = FnCx::new(cx, inst, origin);
    let const_params = decl.params.iter().filter(|p| p.is_const);
    for (param, value) in const_params.zip(const_args) {
        let Some(ty) = const_type(param) else { continue };
        let cv = match value {
            Some(v) if ty.is_bool() => Cv::Known(ConstVal::Bool(*v != 0)),
            Some(v) => Cv::Known(ConstVal::Int(*v)),
            None => Cv::Unknown,
        };
        f.bind(&param.name, Ty::scalar(ty), Some(cv), BindingKind::ConstParam);
    }
    f
}

/// The type of a const parameter, if it is a valid one (integer or bool scalar).
fn const_type(param: &Param) -> Option<tessera_ir::ScalarType> {
    match &param.ty.as_ref()?.kind {
        TypeExprKind::Scalar(s) if s.is_int() || s.is_bool() => Some(*s),
        TypeExprKind::Scalar(_) | TypeExprKind::Ptr(_) | TypeExprKind::Tile { .. } => None,
    }
}
