//! The C function an ahead-of-time object exports for a kernel: its name, its
//! parameters with their C and Cranelift types, and the names they get in the header.
//!
//! For kernel `k(p0, p1, …)` the function is
//! `int32_t k(<p0>, <p1>, …, uint32_t grid_x, uint32_t grid_y, uint32_t grid_z,
//! uint32_t threads, tessera_error *err)`, where a buffer parameter `T *name` becomes
//! two C parameters `T *name, size_t name_len` (its length in elements) and a scalar
//! parameter is passed by value. f16 and bf16 travel as their bits in `uint16_t`, `bool`
//! as C `bool`. The signature is the same for checked and unchecked builds, so headers do
//! not change with `--unchecked`.
//!
//! The kernel's name is the symbol, so it must be a C identifier that is neither a
//! keyword nor reserved (`main`, `tessera_rt_*`). Parameter names are only
//! documentation in a prototype; one that would clash (with a keyword, a type name, the
//! trailing parameters or another parameter) gets `_` appended.

use std::collections::BTreeSet;

use cranelift_codegen::ir::Type as ClifType;
use tessera_ir::{ElemType, Function, ScalarType};

use crate::kernel::CompileError;
use crate::types::clif_type;

/// The C function of one kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CFunction {
    /// The symbol: the kernel's name.
    pub name: String,
    /// One per kernel parameter, in order.
    pub params: Vec<CParam>,
    /// The names of the trailing `grid_x, grid_y, grid_z, threads, err` parameters.
    pub trailing: [String; 5],
}

/// One kernel parameter as C sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CParam {
    /// The name in the kernel's source.
    pub source_name: String,
    /// The name in the prototype.
    pub c_name: String,
    pub kind: CParamKind,
}

/// How a kernel parameter is passed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CParamKind {
    /// `T *c_name, size_t len_name`.
    Buffer { elem: ScalarType, len_name: String },
    /// The value itself.
    Scalar(ScalarType),
}

/// The names of the trailing parameters, before clash avoidance.
const TRAILING: [&str; 5] = ["grid_x", "grid_y", "grid_z", "threads", "err"];

/// C and C++ keywords and the type names a header uses, separated by spaces: never a
/// parameter name, and never a kernel name.
const RESERVED: &str = "\
_Alignas _Alignof _Atomic _BitInt _Bool _Complex _Generic _Imaginary _Noreturn \
_Static_assert _Thread_local alignas alignof and and_eq asm auto bitand bitor bool \
break case catch char char16_t char32_t char8_t class co_await co_return co_yield \
compl concept const const_cast consteval constexpr constinit continue decltype \
default delete do double dynamic_cast else enum explicit export extern false float \
for friend goto if inline int int16_t int32_t int64_t int8_t long mutable namespace \
new noexcept not not_eq nullptr operator or or_eq private protected public register \
reinterpret_cast requires restrict return short signed size_t sizeof static \
static_assert static_cast struct switch template tessera_error this thread_local \
throw true try typedef typeid typename typeof typeof_unqual uint16_t uint32_t \
uint64_t uint8_t union unsigned using virtual void volatile wchar_t while xor xor_eq";

/// The C function of `func`, or why it cannot have one.
pub fn c_function(func: &Function) -> Result<CFunction, CompileError> {
    let error = |message: String| CompileError::CAbi { kernel: func.name.clone(), message };
    check_symbol(&func.name).map_err(error)?;
    let mut taken: BTreeSet<String> = RESERVED.split_whitespace().map(str::to_string).collect();
    taken.insert(func.name.clone());
    taken.extend(TRAILING.iter().map(|name| name.to_string()));
    let mut params = Vec::new();
    for (index, &value) in func.params().iter().enumerate() {
        let source_name = func.param_names.get(index).cloned().unwrap_or_default();
        let ty = func.value_type(value);
        let kind = match (ty.elem, ty.shape.is_empty()) {
            (ElemType::Ptr(elem), true) => {
                let len_name = fresh(&mut taken, &format!("{}_len", c_identifier(&source_name)));
                CParamKind::Buffer { elem, len_name }
            }
            (ElemType::Scalar(t), true) => CParamKind::Scalar(t),
            (ElemType::Ptr(_) | ElemType::Scalar(_), false) => {
                return Err(error(format!("parameter `{source_name}` is a tile ({ty})")));
            }
        };
        let c_name = fresh(&mut taken, &c_identifier(&source_name));
        params.push(CParam { source_name, c_name, kind });
    }
    let trailing = TRAILING.map(|name| name.to_string());
    Ok(CFunction { name: func.name.clone(), params, trailing })
}

impl CFunction {
    /// The C prototype on one line, without the trailing `;`.
    pub fn prototype(&self) -> String {
        format!("int32_t {}({})", self.name, self.param_groups().join(", "))
    }

    /// The C declaration for a header: one kernel parameter per line.
    pub fn declaration(&self) -> String {
        format!("int32_t {}(\n    {});\n", self.name, self.param_groups().join(",\n    "))
    }

    /// The C parameters, one group per kernel parameter (a buffer's pointer and length
    /// together) and one for the trailing ones.
    fn param_groups(&self) -> Vec<String> {
        let mut groups: Vec<String> = self
            .params
            .iter()
            .map(|param| match &param.kind {
                CParamKind::Buffer { elem, len_name } => {
                    format!("{} *{}, size_t {len_name}", c_type(*elem), param.c_name)
                }
                CParamKind::Scalar(t) => format!("{} {}", c_type(*t), param.c_name),
            })
            .collect();
        let [x, y, z, threads, err] = &self.trailing;
        groups.push(format!(
            "uint32_t {x}, uint32_t {y}, uint32_t {z}, uint32_t {threads}, tessera_error *{err}"
        ));
        groups
    }
}

impl CParamKind {
    /// The Cranelift types of its C parameters (pointers and `size_t` are 64-bit).
    pub fn clif_params(&self) -> Vec<ClifType> {
        match self {
            CParamKind::Buffer { .. } => vec![cranelift_codegen::ir::types::I64; 2],
            CParamKind::Scalar(t) => vec![clif_type(*t)],
        }
    }
}

/// The C type of a scalar of `t` (halves are their bits).
pub fn c_type(t: ScalarType) -> &'static str {
    match t {
        ScalarType::Bool => "bool",
        ScalarType::I8 => "int8_t",
        ScalarType::I16 => "int16_t",
        ScalarType::I32 => "int32_t",
        ScalarType::I64 => "int64_t",
        ScalarType::U8 => "uint8_t",
        ScalarType::U16 => "uint16_t",
        ScalarType::U32 => "uint32_t",
        ScalarType::U64 => "uint64_t",
        ScalarType::F16 | ScalarType::BF16 => "uint16_t",
        ScalarType::F32 => "float",
        ScalarType::F64 => "double",
    }
}

/// Whether `name` can be the exported symbol of a kernel.
fn check_symbol(name: &str) -> Result<(), String> {
    if c_identifier(name) != name {
        return Err(format!("`{name}` is not a C identifier, so it cannot name a C function"));
    }
    if RESERVED.split_whitespace().any(|word| word == name)
        || name == "main"
        || name.starts_with("tessera_rt_")
    {
        return Err(format!("`{name}` is reserved in C or by the runtime; rename the kernel"));
    }
    Ok(())
}

/// `name` with every character that cannot be in a C identifier replaced by `_` (and a
/// leading `_` before a digit).
fn c_identifier(name: &str) -> String {
    let mut out: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// `name`, with `_` appended until no other name has it; then taken.
fn fresh(taken: &mut BTreeSet<String>, name: &str) -> String {
    let mut name = name.to_string();
    while taken.contains(&name) {
        name.push('_');
    }
    taken.insert(name.clone());
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_ir::{FunctionKind, Type};

    fn kernel(name: &str, params: &[(&str, Type)]) -> Function {
        let params: Vec<(String, Type)> =
            params.iter().map(|(n, t)| (n.to_string(), t.clone())).collect();
        Function::new(name, FunctionKind::Kernel, &params)
    }

    #[test]
    fn buffers_get_lengths_and_halves_travel_as_bits() {
        let f = kernel(
            "scale",
            &[
                ("x", Type::ptr(ScalarType::F16)),
                ("n", Type::scalar(ScalarType::I64)),
                ("s", Type::scalar(ScalarType::BF16)),
                ("on", Type::scalar(ScalarType::Bool)),
            ],
        );
        let c = c_function(&f).unwrap();
        assert_eq!(
            c.prototype(),
            "int32_t scale(uint16_t *x, size_t x_len, int64_t n, uint16_t s, bool on, \
             uint32_t grid_x, uint32_t grid_y, uint32_t grid_z, uint32_t threads, \
             tessera_error *err)"
        );
    }

    #[test]
    fn clashing_parameter_names_are_renamed() {
        let f = kernel(
            "k",
            &[
                ("x_len", Type::scalar(ScalarType::I32)),
                ("x", Type::ptr(ScalarType::F32)),
                ("threads", Type::scalar(ScalarType::U32)),
                ("int", Type::scalar(ScalarType::I32)),
                ("k", Type::scalar(ScalarType::I32)),
            ],
        );
        let names: Vec<String> = c_function(&f)
            .unwrap()
            .params
            .iter()
            .map(|p| match &p.kind {
                CParamKind::Buffer { len_name, .. } => format!("{} {len_name}", p.c_name),
                CParamKind::Scalar(_) => p.c_name.clone(),
            })
            .collect();
        assert_eq!(names, ["x_len", "x x_len_", "threads_", "int_", "k_"]);
    }

    #[test]
    fn reserved_kernel_names_are_errors() {
        for name in ["main", "double", "tessera_rt_launch"] {
            let err = c_function(&kernel(name, &[])).unwrap_err();
            assert!(err.to_string().contains("reserved"), "{err}");
        }
        assert!(c_function(&kernel("tessera_kernel", &[])).is_ok());
    }
}
