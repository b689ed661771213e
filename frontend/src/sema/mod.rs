//! Name resolution, type and shape checking, const evaluation and specialization.
//!
//! [`check`] and [`compile`] parse a file, check its items ([`items`]: unique names,
//! parameters, attributes ([`attrs`]), helper recursion ([`recursion`])), then check
//! each kernel's body specialized with its const values ([`check`](mod@check)),
//! instantiating helpers per tuple of argument types. [`compile`] then lowers the
//! checked instances to IR ([`crate::lower`]).
//!
//! Const values come from [`CompileOptions::consts`] (by name), else the parameter's
//! default; `check` then falls back to the first `#[autotune]` candidate, and a const
//! with no value at all is checked as *unknown*: shapes depending on it have unknown
//! dimensions that agree with anything, so name and type errors are still reported
//! while shape errors that depend on it are not. `compile` reports such a const as an
//! error instead.
//!
//! Semantic checks run only when the file parses without errors, so a syntax error
//! never causes follow-up errors. Checking runs on a thread with a large stack, and
//! nesting is capped, so no input can overflow the stack.

pub mod attrs;
pub mod builtins;
pub mod check;
pub mod consts;
pub mod items;
pub mod literal;
pub mod recursion;
pub mod scope;
pub mod ty;
pub mod typed;
pub mod walk;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_errors;

use crate::ast::{Ast, Span};
use crate::diag::Diagnostic;
use attrs::Autotune;
use check::{check_helper_generic, check_kernel, Cx, Mode};
use items::{collect_items, ItemTable, KernelInfo, KernelParamKind};
use std::collections::BTreeMap;
use tessera_ir::{Module, ScalarType, Type};
use typed::Program;

/// What to compile and with which const values.
#[derive(Clone, Debug, Default)]
pub struct CompileOptions {
    /// Values for const parameters by name (`-D NAME=VAL`); applies to every kernel that has such a parameter.
    pub consts: BTreeMap<String, i64>,
    /// Compile only this kernel (and the helpers it calls); `None` = every kernel.
    pub kernel: Option<String>,
}

/// A kernel's interface, for the CLI and launchers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelSignature {
    pub name: String,
    /// Every parameter, const ones included, in declaration order.
    pub params: Vec<ParamSignature>,
    /// The `#[autotune]` search space, if the kernel has one.
    pub autotune: Option<Autotune>,
}

/// One kernel parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamSignature {
    pub name: String,
    pub is_const: bool,
    /// The declared type: a rank-0 pointer or scalar (for const parameters, their
    /// integer or bool type).
    pub ty: Type,
    /// The default of a const parameter (`bool` as 0/1).
    pub default: Option<i64>,
}

/// Checks a file; returns every diagnostic (empty = ok).
pub fn check(text: &str, options: &CompileOptions) -> Vec<Diagnostic> {
    on_big_stack(|| {
        let (ast, diags) = crate::parse(text);
        if !diags.is_empty() {
            return diags;
        }
        analyze(text, &ast, options, Mode::Check).1
    })
}

/// Compiles a file to a module of specialized kernels and the helper instances they call.
pub fn compile(text: &str, options: &CompileOptions) -> Result<Module, Vec<Diagnostic>> {
    on_big_stack(|| {
        let (ast, diags) = crate::parse(text);
        if !diags.is_empty() {
            return Err(diags);
        }
        let (program, diags) = analyze(text, &ast, options, Mode::Compile);
        if !diags.is_empty() {
            return Err(diags);
        }
        crate::lower::lower_program(text, &ast, &program)
    })
}

/// The signature of every kernel of a file; errors if the file does not parse or its
/// declarations are invalid (bodies are not checked).
pub fn kernel_signatures(text: &str) -> Result<Vec<KernelSignature>, Vec<Diagnostic>> {
    on_big_stack(|| {
        let (ast, diags) = crate::parse(text);
        if !diags.is_empty() {
            return Err(diags);
        }
        let (table, diags) = collect_items(&ast);
        if !diags.is_empty() {
            return Err(diags);
        }
        Ok(table.kernels.iter().map(signature).collect())
    })
}

fn signature(kernel: &KernelInfo) -> KernelSignature {
    let params = kernel
        .params
        .iter()
        .map(|p| {
            let (is_const, ty, default) = match &p.kind {
                KernelParamKind::Runtime(ty) => (false, ty.clone(), None),
                KernelParamKind::Const { ty, default } => {
                    (true, Type::scalar(*ty), default.and_then(|d| i64::try_from(d).ok()))
                }
                // Unreachable: invalid parameters make `kernel_signatures` fail.
                KernelParamKind::Invalid => (false, Type::scalar(ScalarType::I32), None),
            };
            ParamSignature { name: p.name.clone(), is_const, ty, default }
        })
        .collect();
    KernelSignature { name: kernel.name.clone(), params, autotune: kernel.autotune.clone() }
}

/// Checks every body of a parsed file; returns the checked instances and all
/// diagnostics.
fn analyze(
    text: &str,
    ast: &Ast,
    options: &CompileOptions,
    mode: Mode,
) -> (Program, Vec<Diagnostic>) {
    let (table, mut diags) = collect_items(ast);
    let selected = select_kernels(&table, options, &mut diags);
    let mut cx = Cx::new(text, ast, &table);
    let mut kernels = Vec::new();
    for kernel in &selected {
        let consts = const_values(kernel, options, mode, &mut diags);
        kernels.push(check_kernel(&mut cx, kernel, &consts));
    }
    if options.kernel.is_none() {
        let instantiated = cx.instantiated_helpers();
        let mut uncalled: Vec<usize> =
            table.helpers.values().copied().filter(|i| !instantiated.contains(i)).collect();
        uncalled.sort_unstable();
        for item in uncalled {
            check_helper_generic(&mut cx, item);
        }
    }
    diags.extend(cx.diags);
    // Report in source order (helper bodies are checked when a kernel calls them).
    diags.sort_by_key(|d| d.primary.span.start);
    (Program { instances: cx.instances, kernels }, diags)
}

fn select_kernels<'t>(
    table: &'t ItemTable,
    options: &CompileOptions,
    diags: &mut Vec<Diagnostic>,
) -> Vec<&'t KernelInfo> {
    let Some(name) = &options.kernel else { return table.kernels.iter().collect() };
    if let Some(&index) = table.kernel_names.get(name) {
        return vec![&table.kernels[index]];
    }
    let names: Vec<&str> = table.kernels.iter().map(|k| k.name.as_str()).collect();
    let mut diag = Diagnostic::error(
        "E0110",
        format!("no kernel named `{name}` in this file"),
        Span::default(),
        "requested kernel",
    );
    diag = match scope::did_you_mean(name, names.iter().copied()) {
        Some(s) => diag.with_help(format!("did you mean `{s}`?")),
        None if names.is_empty() => diag.with_help("the file defines no kernels"),
        None => diag.with_help(format!("the kernels are: {}", names.join(", "))),
    };
    diags.push(diag);
    Vec::new()
}

/// The value of each const parameter of `kernel` (`None` for runtime parameters and
/// for consts without a value).
fn const_values(
    kernel: &KernelInfo,
    options: &CompileOptions,
    mode: Mode,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Option<i128>> {
    let mut values = Vec::with_capacity(kernel.params.len());
    for param in &kernel.params {
        let KernelParamKind::Const { ty, default } = &param.kind else {
            values.push(None);
            continue;
        };
        let value = if let Some(&v) = options.consts.get(&param.name) {
            let v = i128::from(v);
            if consts::fits(v, *ty) {
                Some(v)
            } else {
                diags.push(
                    Diagnostic::error(
                        "E0402",
                        format!("the value {v} given for `{}` does not fit `{ty}`", param.name),
                        param.span,
                        format!("declared `{ty}` here"),
                    )
                    .with_help(format!("pass a value of type `{ty}` with -D {}=VALUE", param.name)),
                );
                None
            }
        } else if let Some(d) = default {
            Some(*d)
        } else if mode == Mode::Check {
            first_candidate(kernel, &param.name)
        } else {
            diags.push(
                Diagnostic::error(
                    "E0400",
                    format!(
                        "no value for const parameter `{}` of kernel `{}`",
                        param.name, kernel.name
                    ),
                    param.span,
                    "needs a value",
                )
                .with_help(format!(
                    "pass -D {}=VALUE, or give it a default: `const {}: {ty} = …`",
                    param.name, param.name
                )),
            );
            None
        };
        values.push(value);
    }
    values
}

fn first_candidate(kernel: &KernelInfo, name: &str) -> Option<i128> {
    let autotune = kernel.autotune.as_ref()?;
    let (_, values) = autotune.params.iter().find(|(n, _)| n == name)?;
    values.first().map(|&v| i128::from(v))
}

/// The stack size of the checking thread. Recursion is bounded by
/// [`check::MAX_NESTING`]; this leaves ample room per level.
const STACK_SIZE: usize = 256 << 20;

/// Runs `task` on a thread with a large stack (rustc does the same), or inline if no
/// thread can be spawned.
fn on_big_stack<T: Send>(task: impl FnOnce() -> T + Send) -> T {
    let mut task = Some(task);
    let joined = std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("tessera-frontend".into())
            .stack_size(STACK_SIZE)
            .spawn_scoped(scope, || task.take().map(|task| task()));
        spawned.ok().map(|handle| handle.join())
    });
    match joined {
        Some(Ok(Some(value))) => value,
        Some(Err(payload)) => std::panic::resume_unwind(payload),
        Some(Ok(None)) | None => match task.take() {
            Some(task) => task(),
            None => unreachable!("the task ran on the spawned thread"),
        },
    }
}
