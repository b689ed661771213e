//! Attributes: `#[autotune(NAME = [v, …], …, key = [param, …])]` on kernels, the only
//! attribute there is.

use super::consts::{convert_literal, ConstVal};
use super::items::{KernelParam, KernelParamKind};
use super::literal::eval_literal;
use super::scope::did_you_mean;
use super::walk::as_list;
use crate::ast::{Ast, AttrArg, Expr, FnDecl, Span};
use crate::diag::Diagnostic;
use std::collections::HashMap;
use tessera_ir::ScalarType;

/// A kernel's `#[autotune]` search space.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Autotune {
    /// Candidate values per const parameter, in attribute order.
    pub params: Vec<(String, Vec<i64>)>,
    /// Runtime scalar parameters whose values select a tuned configuration.
    pub key: Vec<String>,
}

/// Checks a kernel's attributes; returns its autotune space if it has a valid one.
pub fn check_kernel_attrs(
    ast: &Ast,
    decl: &FnDecl,
    params: &[KernelParam],
    diags: &mut Vec<Diagnostic>,
) -> Option<Autotune> {
    let mut result: Option<Autotune> = None;
    let mut first: Option<Span> = None;
    for attr in &decl.attrs {
        if attr.name.name != "autotune" {
            unknown_attribute(&attr.name.name, attr.name.span, diags);
            continue;
        }
        if let Some(first) = first {
            diags.push(
                Diagnostic::error(
                    "E0456",
                    "a kernel may have only one `#[autotune]` attribute",
                    attr.span,
                    "second `autotune`",
                )
                .with_label(first, "first `autotune` here")
                .with_help("merge the lists into one attribute"),
            );
            continue;
        }
        first = Some(attr.span);
        let before = diags.len();
        let autotune = check_autotune(ast, &attr.args, params, diags);
        if diags.len() == before {
            result = Some(autotune);
        }
    }
    result
}

/// Helpers take no attributes.
pub fn check_helper_attrs(decl: &FnDecl, diags: &mut Vec<Diagnostic>) {
    for attr in &decl.attrs {
        diags.push(
            Diagnostic::error(
                "E0451",
                format!("attribute `{}` on a helper function", attr.name.name),
                attr.span,
                "helpers take no attributes",
            )
            .with_help("`#[autotune]` belongs on the kernel whose const parameters it tunes"),
        );
    }
}

fn unknown_attribute(name: &str, span: Span, diags: &mut Vec<Diagnostic>) {
    let mut diag = Diagnostic::error(
        "E0450",
        format!("unknown attribute `{name}`"),
        span,
        "unknown attribute",
    );
    diag = match did_you_mean(name, ["autotune"].into_iter()) {
        Some(s) => diag.with_help(format!("did you mean `{s}`?")),
        None => {
            diag.with_help("the only attribute is `#[autotune(NAME = [v, …], key = [param, …])]`")
        }
    };
    diags.push(diag);
}

fn check_autotune(
    ast: &Ast,
    args: &[AttrArg],
    params: &[KernelParam],
    diags: &mut Vec<Diagnostic>,
) -> Autotune {
    let mut autotune = Autotune::default();
    let mut seen: HashMap<&str, Span> = HashMap::new();
    for arg in args {
        if let Some(&first) = seen.get(arg.name.name.as_str()) {
            diags.push(
                Diagnostic::error(
                    "E0455",
                    format!("`{}` is given twice in `#[autotune]`", arg.name.name),
                    arg.name.span,
                    "given again here",
                )
                .with_label(first, "first given here"),
            );
            continue;
        }
        seen.insert(&arg.name.name, arg.name.span);
        if arg.name.name == "key" {
            autotune.key = check_key(ast, arg, params, diags);
        } else if let Some(values) = check_candidates(ast, arg, params, diags) {
            autotune.params.push((arg.name.name.clone(), values));
        }
    }
    autotune
}

fn check_key(
    ast: &Ast,
    arg: &AttrArg,
    params: &[KernelParam],
    diags: &mut Vec<Diagnostic>,
) -> Vec<String> {
    let Expr::List(items) = &ast.exprs[arg.value] else {
        diags.push(Diagnostic::error(
            "E0454",
            "`key` must be a list of parameter names",
            ast.expr_span(arg.value),
            "expected `[param, …]`",
        ));
        return Vec::new();
    };
    let mut key = Vec::new();
    for &item in items {
        let Expr::Name(ident) = &ast.exprs[item] else {
            diags.push(Diagnostic::error(
                "E0454",
                "`key` must list parameter names",
                ast.expr_span(item),
                "not a parameter name",
            ));
            continue;
        };
        let param = params.iter().find(|p| p.name == ident.name);
        match param.map(|p| &p.kind) {
            Some(KernelParamKind::Runtime(ty)) if ty.elem.scalar().is_some() => {
                key.push(ident.name.clone());
            }
            Some(KernelParamKind::Invalid) => {}
            Some(KernelParamKind::Runtime(_)) | Some(KernelParamKind::Const { .. }) | None => {
                let mut diag = Diagnostic::error(
                    "E0454",
                    format!("`{}` in `key` is not a runtime scalar parameter", ident.name),
                    ident.span,
                    "not a runtime scalar parameter",
                )
                .with_help("`key` lists the scalar launch arguments (sizes) that select a tuned configuration");
                if let Some(p) = param {
                    diag = diag.with_label(p.span, "declared here");
                }
                diags.push(diag);
            }
        }
    }
    key
}

fn check_candidates(
    ast: &Ast,
    arg: &AttrArg,
    params: &[KernelParam],
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<i64>> {
    let name = &arg.name.name;
    let param = params.iter().find(|p| &p.name == name);
    let ty = match param.map(|p| &p.kind) {
        Some(KernelParamKind::Const { ty, .. }) => *ty,
        Some(KernelParamKind::Invalid) => return None,
        Some(KernelParamKind::Runtime(_)) | None => {
            let consts = params.iter().filter(|p| matches!(p.kind, KernelParamKind::Const { .. }));
            let mut diag = Diagnostic::error(
                "E0452",
                format!("`{name}` in `#[autotune]` is not a const parameter of this kernel"),
                arg.name.span,
                "not a const parameter",
            );
            diag = match did_you_mean(name, consts.map(|p| p.name.as_str())) {
                Some(s) => diag.with_help(format!("did you mean `{s}`?")),
                None => diag.with_help("autotune lists values for `const` parameters"),
            };
            if let Some(p) = param {
                diag = diag.with_label(p.span, "a runtime parameter");
            }
            diags.push(diag);
            return None;
        }
    };
    let items = match as_list(&ast.exprs[arg.value]) {
        Some(items) if !items.is_empty() => items,
        Some(_) | None => {
            diags.push(
                Diagnostic::error(
                    "E0453",
                    format!("the candidates of `{name}` must be a non-empty list"),
                    ast.expr_span(arg.value),
                    "expected `[v, …]`",
                )
                .with_help(format!("write e.g. `{name} = [64, 128, 256]`")),
            );
            return None;
        }
    };
    let mut values = Vec::new();
    for &item in items {
        if let Some(v) = candidate(ast, item, name, ty, diags) {
            values.push(v);
        }
    }
    (values.len() == items.len()).then_some(values)
}

fn candidate(
    ast: &Ast,
    item: crate::ast::ExprId,
    name: &str,
    ty: ScalarType,
    diags: &mut Vec<Diagnostic>,
) -> Option<i64> {
    let span = ast.expr_span(item);
    let converted = eval_literal(ast, item).ok().map(|v| convert_literal(v, ty));
    match converted {
        Some(Ok(ConstVal::Int(v))) => i64::try_from(v).ok(),
        Some(Ok(ConstVal::Bool(b))) => Some(i64::from(b)),
        Some(Ok(ConstVal::Float(_)) | Err(_)) | None => {
            diags.push(Diagnostic::error(
                "E0453",
                format!("autotune candidate for `{name}` is not a literal of type `{ty}`"),
                span,
                format!("expected a literal of type `{ty}`"),
            ));
            None
        }
    }
}
