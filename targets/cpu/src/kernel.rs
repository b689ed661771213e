//! JIT compilation of one specialized kernel ([`CpuKernel::compile`]) and its checked,
//! parallel launch ([`CpuKernel::launch`]) through the runtime's grid launcher
//! ([`tessera_rt::launch()`]: the grid's program instances in chunks over OS threads, each
//! thread with its own tile scratch, the lowest-numbered failure reported).

use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, Linkage};
use tessera_ir::interp::{Buffer, KernelArg, Scalar};
use tessera_ir::{ElemType, Function, Inst, ScalarType};
use tessera_rt::{InstanceFn, InstanceRecord, LaunchFailure, Status, FLAG_CHECK_ASSERTS};

pub use crate::codegen::isa_flags;
use crate::codegen::{cranelift, define_instance, host_isa, Keep, Placement};
use crate::lower::LowerError;
use crate::runtime;

/// Why a kernel could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    #[error(transparent)]
    Lower(#[from] LowerError),
    #[error("Cranelift: {0}")]
    Cranelift(String),
    /// A kernel that cannot be given a C function (objects only).
    #[error("kernel `{kernel}`: {message}")]
    CAbi { kernel: String, message: String },
}

/// Why a launch failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LaunchError {
    #[error("kernel `{kernel}` takes {expected} arguments, {got} given")]
    ArgCount { kernel: String, expected: usize, got: usize },
    #[error("kernel `{kernel}`: argument {index} (`{param}`) must be {expected}, got {got}")]
    ArgType { kernel: String, index: usize, param: String, expected: String, got: String },
    #[error("grid {0:?}: every dimension must be at least 1")]
    BadGrid([u32; 3]),
    #[error("kernel `{kernel}` was compiled without bounds checks: launch it unchecked")]
    Unchecked { kernel: String },
    #[error(
        "kernel `{kernel}`, line {line}:{col}: {what} out of bounds: `{buffer}`[{index}] \
         (buffer has {len} elements) in program {program:?}"
    )]
    OutOfBounds {
        kernel: String,
        line: u32,
        col: u32,
        what: &'static str,
        buffer: String,
        index: i64,
        len: u64,
        program: [u32; 3],
    },
    #[error("kernel `{kernel}`, line {line}:{col}: device_assert failed in program {program:?}")]
    AssertFailed { kernel: String, line: u32, col: u32, program: [u32; 3] },
    #[error("kernel `{kernel}`, line {line}:{col}: `for` step {step} is not positive in program {program:?}")]
    BadStep { kernel: String, line: u32, col: u32, step: i64, program: [u32; 3] },
    #[error("kernel `{kernel}`: no worker thread could allocate {bytes} bytes of scratch")]
    OutOfMemory { kernel: String, bytes: usize },
    #[error("kernel `{kernel}`: internal error in the launcher")]
    Internal { kernel: String },
}

/// How to launch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaunchOptions {
    pub grid: [u32; 3],
    /// Worker threads (0: the available cores).
    pub threads: usize,
    pub check_asserts: bool,
}

impl Default for LaunchOptions {
    fn default() -> Self {
        LaunchOptions { grid: [1, 1, 1], threads: 0, check_asserts: true }
    }
}

/// One launch argument as the generated code sees it: a buffer's address, length and
/// element type, or a scalar. Buffers of different parameters must not overlap if the
/// kernel writes either (see [`CpuKernel::launch_raw`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RawArg {
    Buffer { ptr: *mut u8, len: usize, dtype: ScalarType },
    Scalar(Scalar),
}

/// A kernel compiled to machine code for this host.
pub struct CpuKernel {
    func: Function,
    /// Whether the code checks buffer bounds.
    checked: bool,
    entry: InstanceFn,
    scratch_bytes: usize,
    /// Owns the code `entry` points into.
    _module: JITModule,
}

// SAFETY: the module's code is immutable after `finalize_definitions`; the entry point
// is a plain function that only touches memory given to it per call.
unsafe impl Send for CpuKernel {}
unsafe impl Sync for CpuKernel {}

impl std::fmt::Debug for CpuKernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CpuKernel").field("kernel", &self.func.name).finish()
    }
}

impl CpuKernel {
    /// Compiles one kernel function (verified, helpers inlined), with bounds checks.
    pub fn compile(func: &Function) -> Result<CpuKernel, CompileError> {
        CpuKernel::compile_with(func, true)
    }

    /// Compiles one kernel function; `checked`: whether every buffer access is
    /// bounds-checked (an unchecked kernel can only be launched with
    /// [`CpuKernel::launch_raw_unchecked`]).
    pub fn compile_with(func: &Function, checked: bool) -> Result<CpuKernel, CompileError> {
        let built = build(func, checked, Keep::default())?;
        let Built { module, id, scratch_bytes, .. } = built;
        let code = module.get_finalized_function(id);
        // SAFETY: `code` was compiled from `instance_signature`, which is this type.
        let entry = unsafe { std::mem::transmute::<*const u8, InstanceFn>(code) };
        Ok(CpuKernel { func: func.clone(), checked, entry, scratch_bytes, _module: module })
    }

    /// The kernel's name.
    pub fn name(&self) -> &str {
        &self.func.name
    }

    /// The kernel's IR (for parameter names and types).
    pub fn function(&self) -> &Function {
        &self.func
    }

    /// Runs the grid over `args` (one per parameter: a buffer for a pointer, a scalar of
    /// exactly the parameter's type). Every access is bounds-checked.
    pub fn launch(
        &self,
        args: &mut [KernelArg],
        options: &LaunchOptions,
    ) -> Result<(), LaunchError> {
        let raw: Vec<RawArg> = args
            .iter_mut()
            .map(|a| match a {
                KernelArg::Buffer(b) => {
                    let dtype = b.dtype();
                    let (ptr, len) = buffer_raw(b);
                    RawArg::Buffer { ptr, len, dtype }
                }
                KernelArg::Scalar(s) => RawArg::Scalar(*s),
            })
            .collect();
        // SAFETY: the buffers are borrowed mutably for the whole launch.
        unsafe { self.launch_raw(&raw, options) }
    }

    /// [`CpuKernel::launch`] over raw arguments, checked: types and counts are
    /// verified, and a kernel compiled checked verifies every access.
    ///
    /// # Safety
    /// Every buffer must be valid for reads and writes of `len` elements of its dtype for
    /// the whole launch, and not be accessed by anything else meanwhile. Buffers of
    /// distinct parameters that overlap (C's `restrict` rule) give unspecified results
    /// if the kernel writes one of them: the generated code may read a load's elements
    /// while it stores another parameter's, as the interpreter, which loads a whole
    /// tile first, never does. It is still memory-safe.
    pub unsafe fn launch_raw(
        &self,
        args: &[RawArg],
        options: &LaunchOptions,
    ) -> Result<(), LaunchError> {
        if !self.checked {
            return Err(LaunchError::Unchecked { kernel: self.func.name.clone() });
        }
        self.run(args, options)
    }

    /// Launches a kernel compiled without bounds checks: zero overhead, and an
    /// out-of-bounds access is undefined behavior.
    ///
    /// # Safety
    /// As [`CpuKernel::launch_raw`], and every access the kernel makes for this launch
    /// must be in bounds.
    pub unsafe fn launch_raw_unchecked(
        &self,
        args: &[RawArg],
        options: &LaunchOptions,
    ) -> Result<(), LaunchError> {
        self.run(args, options)
    }

    fn run(&self, args: &[RawArg], options: &LaunchOptions) -> Result<(), LaunchError> {
        let f = &self.func;
        let params = f.params();
        if args.len() != params.len() {
            return Err(LaunchError::ArgCount {
                kernel: f.name.clone(),
                expected: params.len(),
                got: args.len(),
            });
        }
        if options.grid.contains(&0) {
            return Err(LaunchError::BadGrid(options.grid));
        }
        let mut slots = vec![0u64; 2 * args.len()];
        let mut lens = vec![0u64; args.len()];
        for (i, (arg, &p)) in args.iter().zip(params).enumerate() {
            let ty = &f.values[p].ty;
            let mismatch = |got: String| LaunchError::ArgType {
                kernel: f.name.clone(),
                index: i,
                param: f.param_names.get(i).cloned().unwrap_or_default(),
                expected: ty.to_string(),
                got,
            };
            match (*arg, ty.elem) {
                (RawArg::Buffer { ptr, len, dtype }, ElemType::Ptr(t)) if dtype == t => {
                    slots[2 * i] = ptr as u64;
                    slots[2 * i + 1] = len as u64;
                    lens[i] = len as u64;
                }
                (RawArg::Scalar(s), ElemType::Scalar(t))
                    if s.dtype() == t && ty.shape.is_empty() =>
                {
                    slots[2 * i] = scalar_bits(s);
                }
                (RawArg::Buffer { dtype, .. }, _) => {
                    return Err(mismatch(format!("a buffer of {dtype}")))
                }
                (RawArg::Scalar(s), _) => return Err(mismatch(format!("a {} scalar", s.dtype()))),
            }
        }
        let launch = tessera_rt::Launch {
            instance: self.entry,
            args: slots.as_ptr(),
            grid: options.grid,
            threads: options.threads,
            scratch_bytes: self.scratch_bytes,
            flags: if options.check_asserts { FLAG_CHECK_ASSERTS } else { 0 },
        };
        // SAFETY: the arguments were checked against the kernel's parameters; every
        // buffer access of checked code is bounds-checked against the lengths in
        // `slots` (unchecked code is the caller's responsibility); `slots` outlives the
        // launch.
        let outcome = unsafe { tessera_rt::launch(&launch) };
        let kernel = f.name.clone();
        match outcome {
            Ok(()) => Ok(()),
            Err(LaunchFailure::Instance(failure)) => {
                Err(self.describe(failure.record, failure.program, &lens))
            }
            Err(LaunchFailure::BadGrid) => Err(LaunchError::BadGrid(options.grid)),
            Err(LaunchFailure::OutOfMemory) => {
                Err(LaunchError::OutOfMemory { kernel, bytes: self.scratch_bytes })
            }
            Err(LaunchFailure::Internal) => Err(LaunchError::Internal { kernel }),
        }
    }

    fn describe(&self, rec: InstanceRecord, program: [u32; 3], lens: &[u64]) -> LaunchError {
        use tessera_ir::entity::EntityRef;
        let f = &self.func;
        let loc = f.loc(Inst::new(rec.inst as usize));
        let (kernel, line, col) = (f.name.clone(), loc.line, loc.col);
        let buffer = f.param_names.get(rec.buffer as usize).cloned().unwrap_or_default();
        let len = lens.get(rec.buffer as usize).copied().unwrap_or(0);
        let oob = |what| LaunchError::OutOfBounds {
            kernel: kernel.clone(),
            line,
            col,
            what,
            buffer: buffer.clone(),
            index: rec.index,
            len,
            program,
        };
        match Status::from_code(rec.code as i32) {
            Some(Status::LoadOutOfBounds) => oob("load"),
            Some(Status::StoreOutOfBounds) => oob("store"),
            Some(Status::AtomicOutOfBounds) => oob("atomic"),
            Some(Status::AssertFailed) => LaunchError::AssertFailed { kernel, line, col, program },
            Some(Status::BadStep) => {
                LaunchError::BadStep { kernel, line, col, step: rec.index, program }
            }
            // Generated code returns only the five codes above.
            Some(Status::Ok | Status::BadGrid | Status::OutOfMemory | Status::Internal) | None => {
                LaunchError::Internal { kernel }
            }
        }
    }
}

/// What [`listing`] prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listing {
    /// The Cranelift IR of the instance function, before optimization.
    Clif,
    /// Cranelift's machine-code listing (VCode) for this host.
    Asm,
}

/// The Cranelift IR or machine code of `func`'s instance function (checked).
pub fn listing(func: &Function, what: Listing) -> Result<String, CompileError> {
    let keep = Keep { clif: what == Listing::Clif, vcode: what == Listing::Asm };
    let built = build(func, true, keep)?;
    Ok(match what {
        Listing::Clif => built.clif.unwrap_or_default(),
        Listing::Asm => built.vcode.unwrap_or_default(),
    })
}

struct Built {
    module: JITModule,
    id: cranelift_module::FuncId,
    scratch_bytes: usize,
    clif: Option<String>,
    vcode: Option<String>,
}

/// Lowers `func`, compiles it into a fresh JIT module and finalizes it.
fn build(func: &Function, checked: bool, keep: Keep) -> Result<Built, CompileError> {
    let isa = host_isa(Placement::Jit)?;
    let mut builder = JITBuilder::with_isa(isa, default_libcall_names());
    for (name, ptr) in runtime::symbols() {
        builder.symbol(name, ptr);
    }
    let mut module = JITModule::new(builder);
    let symbol = format!("tessera_{}", func.name);
    let instance = define_instance(&mut module, func, &symbol, Linkage::Local, checked, keep)?;
    module.finalize_definitions().map_err(cranelift)?;
    Ok(Built {
        module,
        id: instance.id,
        scratch_bytes: instance.scratch_bytes as usize,
        clif: instance.clif,
        vcode: instance.vcode,
    })
}

/// A buffer's data address and length in elements.
fn buffer_raw(b: &mut Buffer) -> (*mut u8, usize) {
    match b {
        Buffer::Bool(v) => (v.as_mut_ptr().cast(), v.len()),
        Buffer::I8(v) => (v.as_mut_ptr().cast(), v.len()),
        Buffer::I16(v) => (v.as_mut_ptr().cast(), v.len()),
        Buffer::I32(v) => (v.as_mut_ptr().cast(), v.len()),
        Buffer::I64(v) => (v.as_mut_ptr().cast(), v.len()),
        Buffer::U8(v) => (v.as_mut_ptr().cast(), v.len()),
        Buffer::U16(v) => (v.as_mut_ptr().cast(), v.len()),
        Buffer::U32(v) => (v.as_mut_ptr().cast(), v.len()),
        Buffer::U64(v) => (v.as_mut_ptr().cast(), v.len()),
        Buffer::F16(v) => (v.as_mut_ptr().cast(), v.len()),
        Buffer::BF16(v) => (v.as_mut_ptr().cast(), v.len()),
        Buffer::F32(v) => (v.as_mut_ptr().cast(), v.len()),
        Buffer::F64(v) => (v.as_mut_ptr().cast(), v.len()),
    }
}

/// A scalar's bits, zero-extended (the generated code loads its own width).
fn scalar_bits(s: Scalar) -> u64 {
    match s {
        Scalar::Bool(v) => u64::from(v),
        Scalar::I8(v) => u64::from(v as u8),
        Scalar::I16(v) => u64::from(v as u16),
        Scalar::I32(v) => u64::from(v as u32),
        Scalar::I64(v) => v as u64,
        Scalar::U8(v) => u64::from(v),
        Scalar::U16(v) => u64::from(v),
        Scalar::U32(v) => u64::from(v),
        Scalar::U64(v) => v,
        Scalar::F16(v) => u64::from(v.to_bits()),
        Scalar::BF16(v) => u64::from(v.to_bits()),
        Scalar::F32(v) => u64::from(v.to_bits()),
        Scalar::F64(v) => v.to_bits(),
    }
}

#[allow(dead_code)]
fn dtype_name(t: ScalarType) -> String {
    t.to_string()
}
