//! The runtime helpers generated code calls — defined in the `tessera-rt` crate
//! ([`tessera_rt::helpers`], where each one's arithmetic is documented) — declared for a
//! [`cranelift_module::Module`].
//!
//! [`symbols`] lists every helper's name and address for `JITBuilder::symbols`;
//! [`declare_helpers`] declares them in a module (as imports with the host calling
//! convention) and imports them into one function as a [`Helpers`]. The names are
//! unmangled, so an object file that calls them links against `libtessera_rt.a`.
//! `op` arguments are a [`unary_code`]; halves travel as their bits in a 16-bit integer
//! (zero-extended at the call boundary).

use cranelift_codegen::ir::{types, AbiParam, FuncRef, Function, Signature};
use cranelift_module::{Linkage, Module, ModuleError};

pub use tessera_rt::helpers::unary_code;

/// How a helper's parameter or result is passed.
#[derive(Clone, Copy)]
enum Abi {
    I32,
    I64,
    /// A half's bits (or any 16-bit integer), zero-extended.
    Bits16,
    F32,
    F64,
}

impl Abi {
    fn param(self) -> AbiParam {
        match self {
            Abi::I32 => AbiParam::new(types::I32),
            Abi::I64 => AbiParam::new(types::I64),
            Abi::Bits16 => AbiParam::new(types::I16).uext(),
            Abi::F32 => AbiParam::new(types::F32),
            Abi::F64 => AbiParam::new(types::F64),
        }
    }
}

/// Defines [`Helpers`], [`symbols`] and [`declare_helpers`] from one list, so the three
/// cannot disagree.
macro_rules! helpers {
    ($(
        $(#[doc = $doc:literal])*
        $field:ident = $func:ident($($param:ident),*) -> $ret:ident;
    )*) => {
        /// The runtime helpers imported into one function, ready for `ins().call`.
        #[derive(Clone, Copy, Debug)]
        pub struct Helpers {
            $($(#[doc = $doc])* pub $field: FuncRef,)*
        }

        /// Every helper's symbol name and address, for `cranelift_jit::JITBuilder::symbols`.
        pub fn symbols() -> Vec<(&'static str, *const u8)> {
            vec![$((stringify!($func), tessera_rt::helpers::$func as *const u8),)*]
        }

        /// Declares every helper in `module` (imported, host calling convention) and
        /// imports it into `func`. Declaring again in the same module is harmless; the
        /// error (Cranelift's own, large but rare) is a name clash with another
        /// declaration.
        #[allow(clippy::result_large_err)]
        pub fn declare_helpers(
            module: &mut dyn Module,
            func: &mut Function,
        ) -> Result<Helpers, ModuleError> {
            Ok(Helpers {
                $($field: import(
                    module,
                    func,
                    stringify!($func),
                    &[$(Abi::$param),*],
                    Abi::$ret,
                )?,)*
            })
        }
    };
}

helpers! {
    /// `(op: i32, x: f64) -> f64`: `tessera_ir::interp::unary_f64`.
    math_f64 = tessera_rt_math_f64(I32, F64) -> F64;
    /// `(op: i32, x: f16 bits) -> f16 bits`: the math function in f64, rounded once.
    math_f16 = tessera_rt_math_f16(I32, Bits16) -> Bits16;
    /// `(op: i32, x: bf16 bits) -> bf16 bits`: the math function in f64, rounded once.
    math_bf16 = tessera_rt_math_bf16(I32, Bits16) -> Bits16;
    /// `(x: f64) -> f16 bits`, rounded once.
    f64_to_f16 = tessera_rt_f64_to_f16(F64) -> Bits16;
    /// `(x: f64) -> bf16 bits`, rounded once.
    f64_to_bf16 = tessera_rt_f64_to_bf16(F64) -> Bits16;
    /// `(x: i64) -> f16 bits`, rounded once.
    i64_to_f16 = tessera_rt_i64_to_f16(I64) -> Bits16;
    /// `(x: u64) -> f16 bits`, rounded once.
    u64_to_f16 = tessera_rt_u64_to_f16(I64) -> Bits16;
    /// `(x: i64) -> bf16 bits`, rounded once.
    i64_to_bf16 = tessera_rt_i64_to_bf16(I64) -> Bits16;
    /// `(x: u64) -> bf16 bits`, rounded once.
    u64_to_bf16 = tessera_rt_u64_to_bf16(I64) -> Bits16;
    /// `(x: f32, y: f32) -> f32`: `fmod`.
    fmod_f32 = tessera_rt_fmod_f32(F32, F32) -> F32;
    /// `(x: f64, y: f64) -> f64`: `fmod`.
    fmod_f64 = tessera_rt_fmod_f64(F64, F64) -> F64;
    /// `(a, b, c: f16 bits) -> f16 bits`: `a * b + c` rounded once.
    fma_f16 = tessera_rt_fma_f16(Bits16, Bits16, Bits16) -> Bits16;
    /// `(a, b, c: bf16 bits) -> bf16 bits`: `a * b + c` rounded once.
    fma_bf16 = tessera_rt_fma_bf16(Bits16, Bits16, Bits16) -> Bits16;
}

/// Declares one helper in `module` and imports it into `func`.
#[allow(clippy::result_large_err)]
fn import(
    module: &mut dyn Module,
    func: &mut Function,
    name: &str,
    params: &[Abi],
    ret: Abi,
) -> Result<FuncRef, ModuleError> {
    let mut signature: Signature = module.make_signature();
    signature.params.extend(params.iter().map(|abi| abi.param()));
    signature.returns.push(ret.param());
    let id = module.declare_function(name, Linkage::Import, &signature)?;
    Ok(module.declare_func_in_func(id, func))
}
