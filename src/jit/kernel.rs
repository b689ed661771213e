//! Specializing a kernel ([`KernelBuilder`]: const values, optimization level, checked
//! or not) and launching the compiled result ([`Kernel`]): arguments are checked
//! against the parameters — count, kind, element type, and no read-only buffer where
//! the kernel writes — before the CPU target runs the grid.

use std::collections::BTreeMap;
use std::sync::Arc;

use tessera_cpu::{CpuKernel, RawArg};
use tessera_frontend::{CompileOptions, KernelSignature};
use tessera_ir::{ElemType, Function, ScalarType, Type};
use tessera_passes::cost::DefaultCostModel;
use tessera_passes::pipeline::{optimize_module, OptLevel, PipelineOptions};

use super::args::{ArgKind, IntoArgs};
use super::cache::{host_isa, CacheKey};
use super::engine::Program;
use super::error::{CompileError, LaunchError};
use super::writes::written_params;

/// One kernel of a [`Program`] being specialized; [`KernelBuilder::build`] compiles
/// it (through the engine's cache).
#[derive(Clone, Debug)]
#[must_use = "a KernelBuilder does nothing until `build` is called"]
pub struct KernelBuilder {
    program: Program,
    signature: KernelSignature,
    consts: BTreeMap<String, i64>,
    opt_level: OptLevel,
    checked: bool,
}

/// A compiled, specialized kernel. Cheap to clone (an `Arc`), `Send + Sync`: launch it
/// from any thread, concurrently if the launches' buffers are distinct.
#[derive(Clone, Debug)]
pub struct Kernel {
    compiled: Arc<Compiled>,
}

/// One runtime parameter of a compiled kernel (const parameters are specialized away).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    /// A pointer (`*f32`: a buffer) or a scalar type.
    pub ty: Type,
    /// Whether the kernel may write through this pointer: such a parameter needs a
    /// `&mut [T]` buffer, and refuses a `&[T]`.
    pub writes: bool,
}

/// How to run a launch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaunchOptions {
    /// Worker threads (0: every available core).
    pub threads: usize,
    /// Whether `device_assert`s are checked.
    pub check_asserts: bool,
}

/// What the cache holds for one specialization.
#[derive(Debug)]
pub(crate) struct Compiled {
    cpu: CpuKernel,
    params: Vec<Param>,
    checked: bool,
    specialization: Vec<(String, i64)>,
}

impl Default for LaunchOptions {
    fn default() -> Self {
        LaunchOptions { threads: 0, check_asserts: true }
    }
}

impl KernelBuilder {
    pub(crate) fn new(program: Program, signature: KernelSignature) -> KernelBuilder {
        KernelBuilder {
            program,
            signature,
            consts: BTreeMap::new(),
            opt_level: OptLevel::O2,
            checked: true,
        }
    }

    /// Gives const parameter `name` a value (`bool` consts take 0 or 1, or a `bool`).
    /// An unknown name or a value out of range is reported by [`KernelBuilder::build`].
    pub fn constant(mut self, name: &str, value: impl Into<i64>) -> KernelBuilder {
        self.consts.insert(name.to_string(), value.into());
        self
    }

    /// The optimization level (default `O2`). Helpers are inlined at every level, as
    /// the CPU target needs.
    pub fn opt_level(mut self, level: OptLevel) -> KernelBuilder {
        self.opt_level = level;
        self
    }

    /// Whether every buffer access is bounds-checked (default `true`). An unchecked
    /// kernel can only be launched with the `unsafe` [`Kernel::launch_unchecked`].
    pub fn checked(mut self, checked: bool) -> KernelBuilder {
        self.checked = checked;
        self
    }

    /// The kernel's declared interface, const parameters included.
    pub fn signature(&self) -> &KernelSignature {
        &self.signature
    }

    /// Specializes and compiles the kernel, or takes it from the engine's cache.
    pub fn build(&self) -> Result<Kernel, CompileError> {
        let consts = self.resolve_consts()?;
        let key = CacheKey {
            source: self.program.source_arc(),
            source_hash: self.program.source_hash(),
            kernel: self.signature.name.clone(),
            consts,
            opt_level: self.opt_level,
            checked: self.checked,
            isa: host_isa(),
        };
        let compile = || compile_specialization(&self.program, &key).map(Arc::new);
        let compiled = self.program.engine().cache().get_or_compile(key.clone(), compile)?;
        Ok(Kernel { compiled })
    }

    /// Every const parameter's value in declaration order: the given one, else the
    /// default.
    fn resolve_consts(&self) -> Result<Vec<(String, i64)>, CompileError> {
        let kernel = &self.signature.name;
        let const_params: Vec<_> = self.signature.params.iter().filter(|p| p.is_const).collect();
        for (name, &value) in &self.consts {
            let Some(param) = const_params.iter().find(|p| &p.name == name) else {
                return Err(CompileError::UnknownConst {
                    kernel: kernel.clone(),
                    name: name.clone(),
                    available: const_params.iter().map(|p| p.name.clone()).collect(),
                });
            };
            if !fits(value, &param.ty) {
                return Err(CompileError::BadConst {
                    kernel: kernel.clone(),
                    param: name.clone(),
                    value,
                    ty: source_type(&param.ty),
                });
            }
        }
        let resolve = |param: &&tessera_frontend::ParamSignature| {
            let value = self.consts.get(&param.name).copied().or(param.default);
            let missing =
                || CompileError::MissingConst { kernel: kernel.clone(), param: param.name.clone() };
            Ok((param.name.clone(), value.ok_or_else(missing)?))
        };
        const_params.iter().map(resolve).collect()
    }
}

impl Kernel {
    /// The kernel's name.
    pub fn name(&self) -> &str {
        self.compiled.cpu.name()
    }

    /// The runtime parameters, in order: what a launch takes.
    pub fn params(&self) -> &[Param] {
        &self.compiled.params
    }

    /// The const values this kernel was specialized with, in declaration order.
    pub fn specialization(&self) -> &[(String, i64)] {
        &self.compiled.specialization
    }

    /// Whether buffer accesses are bounds-checked.
    pub fn is_checked(&self) -> bool {
        self.compiled.checked
    }

    /// The optimized IR the code was generated from.
    pub fn function(&self) -> &Function {
        self.compiled.cpu.function()
    }

    /// Runs the grid (`[x, y, z]` program instances) over `args` with default options.
    pub fn launch<'a>(&self, grid: [u32; 3], args: impl IntoArgs<'a>) -> Result<(), LaunchError> {
        self.launch_with(grid, args, &LaunchOptions::default())
    }

    /// [`Kernel::launch`] over a list of [`super::Arg`]s, which stay usable afterwards.
    pub fn launch_args(
        &self,
        grid: [u32; 3],
        args: &mut [super::Arg<'_>],
    ) -> Result<(), LaunchError> {
        self.launch_with(grid, args, &LaunchOptions::default())
    }

    /// [`Kernel::launch`] with explicit options. Every access is bounds-checked: an
    /// out-of-bounds one stops the launch with an error naming kernel, source line and
    /// index (other program instances may have run and written their results).
    pub fn launch_with<'a>(
        &self,
        grid: [u32; 3],
        args: impl IntoArgs<'a>,
        options: &LaunchOptions,
    ) -> Result<(), LaunchError> {
        if !self.compiled.checked {
            return Err(LaunchError::Unchecked { kernel: self.name().to_string() });
        }
        let args = args.into_args();
        let raw = self.raw_args(args.iter().map(|arg| arg.kind()))?;
        // SAFETY: every buffer comes from a borrow alive as long as `args` (its `'a`),
        // writable ones from `&mut` borrows, which no other argument can alias; a
        // shared (`&[T]`) buffer only goes to a parameter the kernel never writes
        // through (`raw_args`); the kernel was compiled checked, so no access leaves
        // its buffer.
        unsafe { self.compiled.cpu.launch_raw(&raw, &cpu_options(grid, options)) }?;
        Ok(())
    }

    /// Launches a kernel built with `.checked(false)` (or a checked one) without the
    /// safety net: argument count, types and read-only buffers are still verified, but
    /// an out-of-bounds access of an unchecked kernel is undefined behavior.
    ///
    /// # Safety
    /// Every access the kernel makes for this launch must lie within its buffer.
    pub unsafe fn launch_unchecked<'a>(
        &self,
        grid: [u32; 3],
        args: impl IntoArgs<'a>,
    ) -> Result<(), LaunchError> {
        // SAFETY: forwarded to the caller.
        unsafe { self.launch_unchecked_with(grid, args, &LaunchOptions::default()) }
    }

    /// [`Kernel::launch_unchecked`] with explicit options.
    ///
    /// # Safety
    /// As [`Kernel::launch_unchecked`].
    pub unsafe fn launch_unchecked_with<'a>(
        &self,
        grid: [u32; 3],
        args: impl IntoArgs<'a>,
        options: &LaunchOptions,
    ) -> Result<(), LaunchError> {
        let args = args.into_args();
        let raw = self.raw_args(args.iter().map(|arg| arg.kind()))?;
        // SAFETY: as in `launch_with` for the arguments; bounds are the caller's promise.
        unsafe { self.compiled.cpu.launch_raw_unchecked(&raw, &cpu_options(grid, options)) }?;
        Ok(())
    }

    /// Checks the arguments against the parameters and lowers them to the target's form.
    fn raw_args(
        &self,
        args: impl ExactSizeIterator<Item = ArgKind>,
    ) -> Result<Vec<RawArg>, LaunchError> {
        let params = &self.compiled.params;
        if args.len() != params.len() {
            return Err(LaunchError::ArgCount {
                kernel: self.name().to_string(),
                expected: params.len(),
                got: args.len(),
                params: params.iter().map(|p| p.name.clone()).collect(),
            });
        }
        args.zip(params)
            .enumerate()
            .map(|(index, (arg, param))| self.raw_arg(index, arg, param))
            .collect()
    }

    fn raw_arg(&self, index: usize, arg: ArgKind, param: &Param) -> Result<RawArg, LaunchError> {
        let kernel = self.name().to_string();
        match (arg, param.ty.elem) {
            (ArgKind::Buffer { ptr, len, dtype, writable }, ElemType::Ptr(pointee))
                if dtype == pointee && param.ty.shape.is_empty() =>
            {
                if param.writes && !writable {
                    return Err(LaunchError::ReadOnly { kernel, index, param: param.name.clone() });
                }
                Ok(RawArg::Buffer { ptr, len, dtype })
            }
            (ArgKind::Scalar(value), ElemType::Scalar(ty))
                if value.dtype() == ty && param.ty.shape.is_empty() =>
            {
                Ok(RawArg::Scalar(value))
            }
            (ArgKind::Buffer { dtype, .. }, _) => {
                Err(self.mismatch(index, param, format!("a buffer of {dtype}")))
            }
            (ArgKind::Scalar(value), _) => {
                Err(self.mismatch(index, param, format!("a scalar of {}", value.dtype())))
            }
        }
    }

    fn mismatch(&self, index: usize, param: &Param, got: String) -> LaunchError {
        LaunchError::ArgType {
            kernel: self.name().to_string(),
            index,
            param: param.name.clone(),
            expected: source_type(&param.ty),
            got,
        }
    }
}

/// Compiles one specialization: front end, optimizer, CPU code generator, and the
/// parameters' write analysis.
fn compile_specialization(program: &Program, key: &CacheKey) -> Result<Compiled, CompileError> {
    let kernel = &key.kernel;
    let options = CompileOptions {
        consts: key.consts.iter().cloned().collect(),
        kernel: Some(kernel.clone()),
    };
    let mut module = tessera_frontend::compile(program.source(), &options)
        .map_err(|diagnostics| program.diagnostics_error(diagnostics))?;
    let mut pipeline = PipelineOptions::for_level(key.opt_level);
    if key.opt_level == OptLevel::O0 {
        // The CPU target compiles one function: helpers must be inlined even at O0.
        pipeline.passes = Some(vec!["inline".to_string()]);
    }
    optimize_module(&mut module, &pipeline, &DefaultCostModel)
        .map_err(|source| CompileError::Optimize { kernel: kernel.clone(), source })?;
    let Some(func) = module.kernels().find(|f| &f.name == kernel) else {
        let available = module.kernels().map(|f| f.name.clone()).collect();
        return Err(CompileError::UnknownKernel { name: kernel.clone(), available });
    };
    let cpu = CpuKernel::compile_with(func, key.checked)
        .map_err(|e| CompileError::Codegen { kernel: kernel.clone(), source: Arc::new(e) })?;
    let written = written_params(func);
    let params = func
        .param_names
        .iter()
        .zip(func.params())
        .zip(written)
        .map(|((name, &value), writes)| Param {
            name: name.clone(),
            ty: func.value_type(value).clone(),
            writes,
        })
        .collect();
    Ok(Compiled { cpu, params, checked: key.checked, specialization: key.consts.clone() })
}

fn cpu_options(grid: [u32; 3], options: &LaunchOptions) -> tessera_cpu::LaunchOptions {
    tessera_cpu::LaunchOptions {
        grid,
        threads: options.threads,
        check_asserts: options.check_asserts,
    }
}

/// A type as the source writes it: `*f32`, `i32`.
pub(crate) fn source_type(ty: &Type) -> String {
    match (ty.elem, ty.shape.is_empty()) {
        (ElemType::Ptr(pointee), true) => format!("*{pointee}"),
        (ElemType::Scalar(scalar), true) => scalar.to_string(),
        (ElemType::Ptr(_) | ElemType::Scalar(_), false) => ty.to_string(),
    }
}

/// Whether `value` is a value of the const parameter type `ty`.
fn fits(value: i64, ty: &Type) -> bool {
    let ElemType::Scalar(scalar) = ty.elem else { return false };
    let range = match scalar {
        ScalarType::Bool => 0..=1,
        ScalarType::I8 => i64::from(i8::MIN)..=i64::from(i8::MAX),
        ScalarType::I16 => i64::from(i16::MIN)..=i64::from(i16::MAX),
        ScalarType::I32 => i64::from(i32::MIN)..=i64::from(i32::MAX),
        ScalarType::U8 => 0..=i64::from(u8::MAX),
        ScalarType::U16 => 0..=i64::from(u16::MAX),
        ScalarType::U32 => 0..=i64::from(u32::MAX),
        ScalarType::I64 => i64::MIN..=i64::MAX,
        ScalarType::U64 => 0..=i64::MAX,
        ScalarType::F16 | ScalarType::BF16 | ScalarType::F32 | ScalarType::F64 => return false,
    };
    range.contains(&value)
}
