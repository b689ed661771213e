//! Item-level checks: unique names, parameter declarations, attributes, and the helper
//! call graph (recursion is an error).
//!
//! This runs before any body is checked and produces the [`ItemTable`] every later
//! stage consults. It is also all that [`super::kernel_signatures`] needs.

use super::attrs::{check_helper_attrs, check_kernel_attrs, Autotune};
use super::builtins::Builtin;
use super::consts::{convert_literal, ConstVal, LiteralError};
use super::literal::{eval_literal, LiteralEvalError};
use super::recursion::find_recursion;
use crate::ast::{Ast, FnDecl, Item, Param, Span, TypeExprKind};
use crate::diag::Diagnostic;
use std::collections::{HashMap, HashSet};
use tessera_ir::{ScalarType, Type};

/// The items of a file after item-level checking.
#[derive(Clone, Debug, Default)]
pub struct ItemTable {
    /// Kernels in file order (duplicates excluded).
    pub kernels: Vec<KernelInfo>,
    /// Helper name → item index (duplicates and builtin-named helpers excluded).
    pub helpers: HashMap<String, usize>,
    /// Kernel name → index in `kernels`.
    pub kernel_names: HashMap<String, usize>,
    /// Helper items that are part of a call cycle.
    pub recursive: HashSet<usize>,
}

/// A kernel and its checked parameter declarations.
#[derive(Clone, Debug)]
pub struct KernelInfo {
    pub item: usize,
    pub name: String,
    pub params: Vec<KernelParam>,
    pub autotune: Option<Autotune>,
}

/// One kernel parameter.
#[derive(Clone, Debug)]
pub struct KernelParam {
    pub name: String,
    pub span: Span,
    pub kind: KernelParamKind,
}

/// What a kernel parameter is, once its declaration has been checked.
#[derive(Clone, Debug, PartialEq)]
pub enum KernelParamKind {
    /// A pointer or scalar passed at launch.
    Runtime(Type),
    /// A compile-time parameter of integer or bool type.
    Const { ty: ScalarType, default: Option<i128> },
    /// The declaration had an error (reported); the parameter is ignored.
    Invalid,
}

/// Checks every item; returns the table and the diagnostics found.
pub fn collect_items(ast: &Ast) -> (ItemTable, Vec<Diagnostic>) {
    let mut table = ItemTable::default();
    let mut diags = Vec::new();
    let mut first_def: HashMap<&str, Span> = HashMap::new();
    for (index, item) in ast.items.iter().enumerate() {
        let decl = item.decl();
        let name = decl.name.name.as_str();
        if let Some(&first) = first_def.get(name) {
            diags.push(
                Diagnostic::error(
                    "E0100",
                    format!("`{name}` is defined more than once"),
                    decl.name.span,
                    "redefined here",
                )
                .with_label(first, "first defined here")
                .with_help("kernels and helpers share one namespace per file; rename one"),
            );
            continue;
        }
        first_def.insert(name, decl.name.span);
        check_duplicate_params(decl, &mut diags);
        match item {
            Item::Kernel(decl) => {
                let params = decl.params.iter().map(|p| kernel_param(ast, p, &mut diags)).collect();
                let mut info =
                    KernelInfo { item: index, name: name.to_string(), params, autotune: None };
                info.autotune = check_kernel_attrs(ast, decl, &info.params, &mut diags);
                table.kernel_names.insert(info.name.clone(), table.kernels.len());
                table.kernels.push(info);
            }
            Item::Helper(decl) => {
                check_helper_attrs(decl, &mut diags);
                check_helper_params(ast, decl, &mut diags);
                if Builtin::from_name(name).is_some() {
                    diags.push(
                        Diagnostic::error(
                            "E0104",
                            format!("helper `{name}` has the name of a builtin"),
                            decl.name.span,
                            "builtins cannot be shadowed",
                        )
                        .with_help(format!("rename the helper, e.g. `my_{name}`")),
                    );
                    continue;
                }
                table.helpers.insert(name.to_string(), index);
            }
        }
    }
    table.recursive = find_recursion(ast, &table.helpers, &mut diags);
    (table, diags)
}

/// Resolves a const parameter's type: an integer or `bool`.
pub fn const_param_type(param: &Param, diags: &mut Vec<Diagnostic>) -> Option<ScalarType> {
    let Some(ty) = &param.ty else {
        diags.push(Diagnostic::error(
            "E0214",
            format!("const parameter `{}` needs a type", param.name.name),
            param.span,
            "write e.g. `const BLOCK: i32`",
        ));
        return None;
    };
    match &ty.kind {
        TypeExprKind::Scalar(s) if s.is_int() || s.is_bool() => Some(*s),
        TypeExprKind::Scalar(_) | TypeExprKind::Ptr(_) | TypeExprKind::Tile { .. } => {
            diags.push(
                Diagnostic::error(
                    "E0214",
                    format!(
                        "const parameter `{}` must have an integer or bool type",
                        param.name.name
                    ),
                    ty.span,
                    "not an integer or bool type",
                )
                .with_help(
                    "const parameters are compile-time integers or bools, e.g. `const BLOCK: i32`",
                ),
            );
            None
        }
    }
}

fn check_duplicate_params(decl: &FnDecl, diags: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<&str, Span> = HashMap::new();
    for param in &decl.params {
        if let Some(&first) = seen.get(param.name.name.as_str()) {
            diags.push(
                Diagnostic::error(
                    "E0101",
                    format!("parameter `{}` is declared twice", param.name.name),
                    param.name.span,
                    "declared again here",
                )
                .with_label(first, "first declared here"),
            );
        } else {
            seen.insert(&param.name.name, param.name.span);
        }
    }
}

fn is_duplicate(decl: &FnDecl, param: &Param) -> bool {
    decl.params
        .iter()
        .find(|p| p.name.name == param.name.name)
        .is_some_and(|p| p.span != param.span)
}

fn kernel_param(ast: &Ast, param: &Param, diags: &mut Vec<Diagnostic>) -> KernelParam {
    let kind = if param.is_const {
        match const_param_type(param, diags) {
            Some(ty) => {
                let default = param.default.and_then(|d| const_default(ast, param, d, ty, diags));
                if param.default.is_some() && default.is_none() {
                    KernelParamKind::Invalid
                } else {
                    KernelParamKind::Const { ty, default }
                }
            }
            None => KernelParamKind::Invalid,
        }
    } else {
        no_default(ast, param, diags);
        runtime_param_type(param, diags).map_or(KernelParamKind::Invalid, KernelParamKind::Runtime)
    };
    KernelParam { name: param.name.name.clone(), span: param.span, kind }
}

fn runtime_param_type(param: &Param, diags: &mut Vec<Diagnostic>) -> Option<Type> {
    let Some(ty) = &param.ty else {
        diags.push(
            Diagnostic::error(
                "E0214",
                format!("kernel parameter `{}` needs a type", param.name.name),
                param.span,
                "missing type",
            )
            .with_help("kernel parameters are pointers (`x: *f32`) or scalars (`n: i32`)"),
        );
        return None;
    };
    match &ty.kind {
        TypeExprKind::Scalar(s) => Some(Type::scalar(*s)),
        TypeExprKind::Ptr(inner) => match &inner.kind {
            TypeExprKind::Scalar(s) => Some(Type::ptr(*s)),
            TypeExprKind::Ptr(_) | TypeExprKind::Tile { .. } => {
                diags.push(
                    Diagnostic::error(
                        "E0219",
                        "pointers must point to a scalar type",
                        inner.span,
                        "not a scalar type",
                    )
                    .with_help("write `*f32`, `*i32`, …"),
                );
                None
            }
        },
        TypeExprKind::Tile { .. } => {
            diags.push(
                Diagnostic::error(
                    "E0214",
                    format!("kernel parameter `{}` cannot be a tile", param.name.name),
                    ty.span,
                    "tile type",
                )
                .with_help("pass a pointer (`*f32`) and `load` the tile inside the kernel"),
            );
            None
        }
    }
}

fn no_default(ast: &Ast, param: &Param, diags: &mut Vec<Diagnostic>) {
    if let Some(default) = param.default {
        diags.push(
            Diagnostic::error(
                "E0214",
                format!("parameter `{}` is not const and cannot have a default", param.name.name),
                ast.expr_span(default),
                "default value",
            )
            .with_help(format!("declare it `const {}: …` or remove the default", param.name.name)),
        );
    }
}

fn check_helper_params(ast: &Ast, decl: &FnDecl, diags: &mut Vec<Diagnostic>) {
    for param in &decl.params {
        if is_duplicate(decl, param) {
            continue;
        }
        if param.is_const {
            if const_param_type(param, diags).is_some() {
                if let Some(default) = param.default {
                    diags.push(Diagnostic::error(
                        "E0214",
                        "helper const parameters cannot have defaults",
                        ast.expr_span(default),
                        "pass the value at each call",
                    ));
                }
            }
        } else {
            no_default(ast, param, diags);
        }
    }
}

/// Evaluates a const parameter default: literals and operators only.
fn const_default(
    ast: &Ast,
    param: &Param,
    default: crate::ast::ExprId,
    ty: ScalarType,
    diags: &mut Vec<Diagnostic>,
) -> Option<i128> {
    let value = match eval_literal(ast, default) {
        Ok(v) => v,
        Err(LiteralEvalError::NotLiteral(span)) => {
            diags.push(
                Diagnostic::error(
                    "E0407",
                    format!("the default of `{}` must be a literal", param.name.name),
                    span,
                    "not a literal",
                )
                .with_help("defaults may use literals and operators, e.g. `= 128` or `= 1 << 7`"),
            );
            return None;
        }
        Err(LiteralEvalError::Const(err, span)) => {
            diags.push(Diagnostic::error(
                "E0404",
                format!("const evaluation failed: {err}"),
                span,
                err.to_string(),
            ));
            return None;
        }
    };
    match convert_literal(value, ty) {
        Ok(ConstVal::Int(v)) => Some(v),
        Ok(ConstVal::Bool(b)) => Some(i128::from(b)),
        Ok(ConstVal::Float(_)) | Err(LiteralError::FloatToInt | LiteralError::NotBool) => {
            diags.push(Diagnostic::error(
                "E0402",
                format!("the default of `{}` is not a valid `{ty}`", param.name.name),
                ast.expr_span(default),
                format!("expected a value of type `{ty}`"),
            ));
            None
        }
        Err(LiteralError::OutOfRange) => {
            diags.push(Diagnostic::error(
                "E0402",
                format!("the default of `{}` does not fit `{ty}`", param.name.name),
                ast.expr_span(default),
                format!("`{value}` is out of range for `{ty}`"),
            ));
            None
        }
    }
}
