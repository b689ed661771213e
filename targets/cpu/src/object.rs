//! Ahead-of-time compilation: kernels into one relocatable object file for this host,
//! and the C header that declares them ([`compile_object`]).
//!
//! For each kernel the object holds:
//! - its program-instance function (local), lowered by the same
//!   `codegen::define_instance` as the JIT's, position-independent;
//! - a local read-only table of (line, column) pairs indexed by IR instruction, so a
//!   failure names its source location;
//! - an exported function named after the kernel, generated in CLIF with the C signature
//!   of [`crate::cabi`]: it stores the arguments in the slot array an instance function
//!   reads (two `u64`s per parameter: a buffer's address and length, or a scalar's
//!   zero-extended bits and 0) on its stack, and calls the runtime's grid launcher
//!   `tessera_rt_launch` with the instance function, the grid, the thread count, the
//!   scratch size, the flags (device_asserts are checked in checked builds) and the
//!   location table.
//!
//! The object imports `tessera_rt_launch` and the arithmetic helpers from
//! `libtessera_rt.a` (the tessera-rt crate); Cranelift's libcalls (`fmaf`, `ceil`, …)
//! come from the C library.

use cranelift_codegen::ir::{
    types, AbiParam, InstBuilder, MemFlagsData, Signature, StackSlotData, StackSlotKind,
    UserFuncName, Value,
};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_module::{default_libcall_names, DataDescription, DataId, FuncId, Linkage, Module};
use cranelift_object::{ObjectBuilder, ObjectModule};
use tessera_ir::entity::EntityRef;
use tessera_ir::{Function, Inst, ScalarType};
use tessera_rt::FLAG_CHECK_ASSERTS;

use crate::cabi::{c_function, CFunction, CParamKind};
use crate::codegen::{cranelift, define_instance, host_isa, Instance, Keep, Placement};
use crate::header::{write_header, HeaderKernel};
use crate::kernel::CompileError;
use crate::types::clif_type;

/// How to build an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectOptions {
    /// Bounds-check every buffer access and check `device_assert`s.
    pub checked: bool,
    /// The source file as the header names it (say, the path given on the command line).
    pub source_name: String,
    /// The header's file name, for its include guard and first line.
    pub header_name: String,
    /// The object's file name, for the header's link example.
    pub object_name: String,
}

/// An object file and its header.
#[derive(Clone, Debug)]
pub struct ObjectArtifact {
    /// The relocatable object (ELF on Linux, Mach-O on macOS).
    pub bytes: Vec<u8>,
    pub header: String,
    /// What the object exports, in the order given.
    pub kernels: Vec<ObjectKernel>,
}

/// One kernel an object exports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectKernel {
    /// The C function's name (the kernel's).
    pub symbol: String,
    /// Its C prototype.
    pub prototype: String,
    /// Bytes of scratch each worker thread allocates for it.
    pub scratch_bytes: u32,
}

/// Compiles `funcs` (optimized kernels, helpers inlined, distinct names) into one object
/// with an exported C function per kernel, and writes its header.
pub fn compile_object(
    funcs: &[&Function],
    options: &ObjectOptions,
) -> Result<ObjectArtifact, CompileError> {
    let c_functions = funcs.iter().map(|func| c_function(func)).collect::<Result<Vec<_>, _>>()?;
    check_distinct(&c_functions)?;
    let isa = host_isa(Placement::Object)?;
    if isa.pointer_type() != types::I64 {
        return Err(CompileError::Cranelift("objects need a 64-bit host".into()));
    }
    let builder = ObjectBuilder::new(isa, "tessera", default_libcall_names()).map_err(cranelift)?;
    let mut module = ObjectModule::new(builder);
    let launch = declare_launch(&mut module)?;
    let mut kernels = Vec::new();
    for (func, c) in funcs.iter().zip(&c_functions) {
        let symbol = format!("tessera_instance_{}", func.name);
        let keep = Keep::default();
        let instance =
            define_instance(&mut module, func, &symbol, Linkage::Local, options.checked, keep)?;
        let locs = define_locations(&mut module, func)?;
        let flags = if options.checked { FLAG_CHECK_ASSERTS } else { 0 };
        let entry = Entry { c, instance: &instance, locs, launch, flags };
        define_entry(&mut module, &entry)?;
        kernels.push(ObjectKernel {
            symbol: c.name.clone(),
            prototype: c.prototype(),
            scratch_bytes: instance.scratch_bytes,
        });
    }
    let bytes = module.finish().emit().map_err(cranelift)?;
    let header_kernels: Vec<HeaderKernel<'_>> =
        funcs.iter().zip(&c_functions).map(|(&func, c)| HeaderKernel { func, c }).collect();
    let header = write_header(options, &header_kernels);
    Ok(ObjectArtifact { bytes, header, kernels })
}

/// Two kernels of one object cannot share a symbol.
fn check_distinct(c_functions: &[CFunction]) -> Result<(), CompileError> {
    for (index, c) in c_functions.iter().enumerate() {
        if c_functions[..index].iter().any(|earlier| earlier.name == c.name) {
            let message = "two kernels of this name in one object".to_string();
            return Err(CompileError::CAbi { kernel: c.name.clone(), message });
        }
    }
    Ok(())
}

/// A kernel's location table and its number of entries.
#[derive(Clone, Copy)]
struct Locations {
    id: DataId,
    len: u32,
}

/// Declares the runtime's `tessera_rt_launch` (see `tessera_rt::launch`).
fn declare_launch(module: &mut ObjectModule) -> Result<FuncId, CompileError> {
    let mut signature = module.make_signature();
    let (ptr, word) = (AbiParam::new(types::I64), AbiParam::new(types::I32));
    // instance, args, grid_x, grid_y, grid_z, threads, scratch_bytes, flags, locs,
    // n_locs, err.
    let params = [ptr, ptr, word, word, word, word, ptr, word, ptr, word, ptr];
    signature.params.extend(params);
    signature.returns.push(word);
    module.declare_function("tessera_rt_launch", Linkage::Import, &signature).map_err(cranelift)
}

/// Defines the (line, column) table of `func`'s instructions, in host byte order.
fn define_locations(module: &mut ObjectModule, func: &Function) -> Result<Locations, CompileError> {
    let n_insts = func.insts.len();
    let mut bytes = Vec::with_capacity(8 * n_insts.max(1));
    for index in 0..n_insts {
        let loc = func.loc(Inst::new(index));
        bytes.extend(loc.line.to_ne_bytes());
        bytes.extend(loc.col.to_ne_bytes());
    }
    if bytes.is_empty() {
        // An empty data object is not portable; the launcher only reads `len` entries.
        bytes.extend([0; 8]);
    }
    let len = u32::try_from(n_insts).map_err(|_| CompileError::CAbi {
        kernel: func.name.clone(),
        message: "more than 2^32 instructions".into(),
    })?;
    let name = format!("tessera_locations_{}", func.name);
    let id = module.declare_data(&name, Linkage::Local, false, false).map_err(cranelift)?;
    let mut data = DataDescription::new();
    data.define(bytes.into_boxed_slice());
    data.set_align(4);
    module.define_data(id, &data).map_err(cranelift)?;
    Ok(Locations { id, len })
}

/// What the exported function of one kernel ties together.
struct Entry<'a> {
    c: &'a CFunction,
    instance: &'a Instance,
    locs: Locations,
    launch: FuncId,
    flags: u32,
}

/// The C signature of a kernel's exported function.
fn entry_signature(module: &ObjectModule, c: &CFunction) -> Signature {
    let mut signature = module.make_signature();
    for param in &c.params {
        signature.params.extend(param.kind.clif_params().into_iter().map(AbiParam::new));
    }
    let word = AbiParam::new(types::I32);
    signature.params.extend([word, word, word, word, AbiParam::new(types::I64)]);
    signature.returns.push(word);
    signature
}

/// Defines the exported C function of one kernel: argument slots, then the launcher.
fn define_entry(module: &mut ObjectModule, entry: &Entry<'_>) -> Result<FuncId, CompileError> {
    let c = entry.c;
    let signature = entry_signature(module, c);
    let id = module.declare_function(&c.name, Linkage::Export, &signature).map_err(cranelift)?;
    let mut ctx = module.make_context();
    ctx.func.signature = signature;
    ctx.func.name = UserFuncName::user(0, id.as_u32());
    let instance = module.declare_func_in_func(entry.instance.id, &mut ctx.func);
    let launch = module.declare_func_in_func(entry.launch, &mut ctx.func);
    let locs = module.declare_data_in_func(entry.locs.id, &mut ctx.func);
    let config = module.target_config();
    let mut builder_context = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut ctx.func, &mut builder_context);
    let block = b.create_block();
    b.append_block_params_for_function_params(block);
    b.switch_to_block(block);
    b.seal_block(block);
    let params = b.block_params(block).to_vec();
    let (slots, rest) = store_slots(&mut b, c, &params)?;
    let &[grid_x, grid_y, grid_z, threads, err] = rest else {
        return Err(CompileError::Cranelift(
            "entry parameters do not match the C signature".into(),
        ));
    };
    let args = b.ins().stack_addr(types::I64, slots, 0);
    let instance = b.ins().func_addr(types::I64, instance);
    let scratch_bytes = b.ins().iconst(types::I64, i64::from(entry.instance.scratch_bytes));
    let flags = b.ins().iconst(types::I32, i64::from(entry.flags));
    let locs = b.ins().symbol_value(types::I64, locs);
    let n_locs = b.ins().iconst(types::I32, i64::from(entry.locs.len));
    let call = b.ins().call(
        launch,
        &[instance, args, grid_x, grid_y, grid_z, threads, scratch_bytes, flags, locs, n_locs, err],
    );
    let status = b.inst_results(call)[0];
    b.ins().return_(&[status]);
    b.finalize(config);
    module
        .define_function(id, &mut ctx)
        .map_err(|error| CompileError::Cranelift(format!("{error:?}")))?;
    module.clear_context(&mut ctx);
    Ok(id)
}

/// Stores the kernel's arguments into a stack slot array (two `u64`s per parameter);
/// returns it and the trailing parameters.
fn store_slots<'p>(
    b: &mut FunctionBuilder<'_>,
    c: &CFunction,
    params: &'p [Value],
) -> Result<(cranelift_codegen::ir::StackSlot, &'p [Value]), CompileError> {
    let size = u32::try_from(16 * c.params.len().max(1))
        .map_err(|_| CompileError::Cranelift("too many parameters".into()))?;
    let slots = b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, size, 3));
    let zero = b.ins().iconst(types::I64, 0);
    let mut rest = params;
    for (index, param) in c.params.iter().enumerate() {
        let offset = i32::try_from(16 * index)
            .map_err(|_| CompileError::Cranelift("too many parameters".into()))?;
        let (words, tail) = match (&param.kind, rest) {
            (CParamKind::Buffer { .. }, [address, len, tail @ ..]) => ([*address, *len], tail),
            (CParamKind::Scalar(t), [value, tail @ ..]) => {
                ([scalar_bits(b, *t, *value), zero], tail)
            }
            (CParamKind::Buffer { .. } | CParamKind::Scalar(_), _) => {
                return Err(CompileError::Cranelift("entry parameters run short".into()));
            }
        };
        b.ins().stack_store(types::I64, words[0], slots, offset);
        b.ins().stack_store(types::I64, words[1], slots, offset + 8);
        rest = tail;
    }
    Ok((slots, rest))
}

/// A scalar argument's bits, zero-extended to 64 bits (as the JIT's launcher stores
/// them).
fn scalar_bits(b: &mut FunctionBuilder<'_>, t: ScalarType, value: Value) -> Value {
    let ty = clif_type(t);
    let bits = if ty == types::F32 {
        b.ins().bitcast(types::I32, MemFlagsData::new(), value)
    } else if ty == types::F64 {
        b.ins().bitcast(types::I64, MemFlagsData::new(), value)
    } else {
        value
    };
    if b.func.dfg.value_type(bits) == types::I64 {
        bits
    } else {
        b.ins().uextend(types::I64, bits)
    }
}
