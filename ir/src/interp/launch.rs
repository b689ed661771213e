//! Launching a kernel: checking the arguments against the parameters, binding buffers
//! and scalars, and walking the grid (axis 0 fastest, sequentially).

use std::rc::Rc;

use super::error::InterpError;
use super::exec::Machine;
use super::memory::Memory;
use super::tile::{Ptr, TileData, Val};
use super::value::{Buffer, Scalar};
use super::{KernelArg, LaunchOptions};
use crate::function::{Function, FunctionKind, Module};
use crate::types::ElemType;

/// Stack for the interpreter thread: deep block nesting recurses (about 1–5 KiB per
/// level), and the caller's thread may be a 2 MiB test thread. Only touched pages are
/// committed.
const STACK_BYTES: usize = 64 << 20;

/// See [`run_kernel`](super::run_kernel). Runs the launch on a scoped thread with a
/// large stack, so that nesting up to the machine's depth limit cannot overflow the
/// caller's stack; a panic there (an interpreter bug) becomes an internal error.
pub(super) fn run_kernel(
    module: &Module,
    kernel_name: &str,
    args: &mut [KernelArg],
    options: &LaunchOptions,
) -> Result<(), InterpError> {
    std::thread::scope(|scope| {
        let thread = std::thread::Builder::new()
            .name("tessera-interp".to_string())
            .stack_size(STACK_BYTES)
            .spawn_scoped(scope, || launch(module, kernel_name, args, options));
        match thread {
            Ok(handle) => handle.join().unwrap_or_else(|_| {
                Err(InterpError::Internal {
                    kernel: kernel_name.to_string(),
                    message: "the interpreter panicked (a bug in tessera_ir::interp)".to_string(),
                })
            }),
            Err(spawn_error) => Err(InterpError::Internal {
                kernel: kernel_name.to_string(),
                message: format!("cannot start the interpreter thread: {spawn_error}"),
            }),
        }
    })
}

fn launch(
    module: &Module,
    kernel_name: &str,
    args: &mut [KernelArg],
    options: &LaunchOptions,
) -> Result<(), InterpError> {
    let kernel = module
        .function(kernel_name)
        .ok_or_else(|| InterpError::NoSuchKernel { kernel: kernel_name.to_string() })?;
    match kernel.kind {
        FunctionKind::Kernel => {}
        FunctionKind::Helper => {
            return Err(InterpError::NotAKernel { kernel: kernel_name.to_string() })
        }
    }
    check_grid(kernel, options.grid)?;
    let (memory, params) = bind_args(kernel, args)?;
    let mut machine = Machine::new(module, kernel, memory, options);
    let [nx, ny, nz] = options.grid;
    for z in 0..nz {
        for y in 0..ny {
            for x in 0..nx {
                machine.run_program([x, y, z], &params)?;
            }
        }
    }
    Ok(())
}

fn check_grid(kernel: &Function, grid: [u32; 3]) -> Result<(), InterpError> {
    let max = i32::MAX.unsigned_abs();
    if grid.iter().any(|&n| n == 0 || n > max) {
        return Err(InterpError::BadGrid { kernel: kernel.name.clone(), grid });
    }
    Ok(())
}

/// Checks `args` against the kernel's parameters; returns the memory (the buffer
/// arguments) and the parameter values (pointers to offset 0, or scalars).
fn bind_args<'a>(
    kernel: &Function,
    args: &'a mut [KernelArg],
) -> Result<(Memory<'a>, Vec<Val>), InterpError> {
    let params = kernel.params();
    if params.len() != args.len() {
        return Err(InterpError::ArgCount {
            kernel: kernel.name.clone(),
            expected: params.len(),
            got: args.len(),
        });
    }
    let mut memory = Memory { buffers: Vec::new(), names: Vec::new() };
    let mut values = Vec::with_capacity(args.len());
    for (index, (arg, &param)) in args.iter_mut().zip(params).enumerate() {
        let name = kernel.param_names.get(index).cloned().unwrap_or_else(|| format!("#{index}"));
        let ty =
            kernel.values.get(param).map(|data| &data.ty).ok_or_else(|| InterpError::Internal {
                kernel: kernel.name.clone(),
                message: format!("parameter {param} does not exist"),
            })?;
        let mismatch = |got: String| InterpError::ArgType {
            kernel: kernel.name.clone(),
            param: name.clone(),
            expected: ty.clone(),
            got,
        };
        let value = match (arg, ty.elem) {
            (KernelArg::Buffer(buffer), ElemType::Ptr(pointee)) => {
                if !ty.is_scalar() || buffer.dtype() != pointee {
                    return Err(mismatch(describe_buffer(buffer)));
                }
                let buffer_index = u32::try_from(memory.buffers.len()).unwrap_or(u32::MAX);
                memory.buffers.push(buffer);
                memory.names.push(name.clone());
                TileData::Ptrs(vec![Ptr { buffer: buffer_index, offset: 0 }])
            }
            (KernelArg::Scalar(scalar), ElemType::Scalar(dtype)) => {
                if !ty.is_scalar() || scalar.dtype() != dtype {
                    return Err(mismatch(describe_scalar(scalar)));
                }
                TileData::Scalars(scalar.splat(1))
            }
            (KernelArg::Buffer(buffer), ElemType::Scalar(_)) => {
                return Err(mismatch(describe_buffer(buffer)))
            }
            (KernelArg::Scalar(scalar), ElemType::Ptr(_)) => {
                return Err(mismatch(describe_scalar(scalar)))
            }
        };
        values.push(Rc::new(value));
    }
    Ok((memory, values))
}

fn describe_scalar(scalar: &Scalar) -> String {
    format!("a scalar of type {}", scalar.dtype())
}

fn describe_buffer(buffer: &Buffer) -> String {
    format!("a buffer of {} ({} elements)", buffer.dtype(), buffer.len())
}
