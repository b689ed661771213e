//! The PE-grid compiler: tile IR → [`Program`]s.
//!
//! [`compile_kernel`] takes one kernel of an optimized, verified module (helpers
//! inlined: run the `-O1` pipeline or above first) and produces a launch-independent
//! SPMD program plus a [`Footprint`] report. The stages:
//!
//! 1. [`affine`] decides, for every load/store/atomic, whether addresses are affine in
//!    the tile indices (a strided DMA descriptor over symbolic [`symexpr`] expressions)
//!    or need gather/scatter, and turns edge masks into descriptor extents.
//! 2. [`demand`] decides which IR values the program materializes at all (address
//!    arithmetic consumed only by strided descriptors is never built as tiles).
//! 3. `lower` walks the structured IR once, assigning registers and circular buffers
//!    and emitting commands (see its module docs for the placement rules, loops and
//!    the instance-to-PE mapping).
//! 4. The CBs are checked against the machine's local memory; a kernel that does not
//!    fit is [`CompileError::DoesNotFit`], naming every tile and its bytes.
//!
//! Engines: `dot` with `f16`/`bf16`/`i8` inputs runs on the DPE (padded to its native
//! tiles by the hardware), other `dot`s on the vector core; `sum`/`max`/`min`
//! reductions on the reduction engine; elementwise ops and math functions on the SIMD
//! engine (64-bit types on the vector core); `argmax`/`argmin` and scans on the vector
//! core; layout ops and copies on the MLU. DMA-filled CBs inside loops get
//! [`CompileOptions::loop_cb_depth`] slots (double buffering by default).

mod cleanup;
mod lower;
mod pack;

pub use tessera_passes::analysis::{affine, demand, symexpr};

use std::collections::BTreeMap;
use std::fmt;

use tessera_ir::{Function, Module};
use thiserror::Error;

use crate::machine::Machine;
use crate::program::{CbId, Op, Param, ParamKind, Program, ScalarType};

/// Knobs of the compiler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileOptions {
    /// Slots of a CB filled by DMA inside a loop (2 = double buffering; at least 1).
    pub loop_cb_depth: u32,
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions { loop_cb_depth: 2 }
    }
}

/// How program instances are spread over the PEs of a launch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mapping {
    /// PE `p` (row-major) runs instances `p, p + P, …` of the flattened grid.
    Linear,
    /// PE `(r, c)` runs instances `(r + i·rows, c + j·cols)`: rows share
    /// `program_id(0)`, columns share `program_id(1)`.
    Grid2d,
}

/// One tile the compiler placed in local memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TileAlloc {
    /// The CB holding it (tiles with disjoint lifetimes share CBs).
    pub cb: CbId,
    /// The IR value it holds and where it comes from (`%67 = load @13:22`).
    pub what: String,
    pub shape: Vec<u64>,
    pub dtype: ScalarType,
    pub slot_bytes: u64,
    pub depth: u32,
}

impl TileAlloc {
    /// `slot_bytes · depth` of the tile itself.
    pub fn bytes(&self) -> u64 {
        self.slot_bytes.saturating_mul(u64::from(self.depth))
    }
}

impl fmt::Display for TileAlloc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shape: Vec<String> = self.shape.iter().map(u64::to_string).collect();
        write!(
            f,
            "{} [{}] {} x{} = {} B",
            self.what,
            shape.join(", "),
            self.dtype,
            self.depth,
            self.bytes()
        )
    }
}

/// What a compiled kernel occupies and uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Footprint {
    pub tiles: Vec<TileAlloc>,
    /// Local memory per PE, in bytes.
    pub total_bytes: u64,
    /// The machine's local memory per PE, in bytes.
    pub capacity: u64,
    /// Commands in the program per engine (static count, not executions).
    pub engines: BTreeMap<&'static str, usize>,
    pub mapping: Mapping,
}

/// A compiled kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compiled {
    pub program: Program,
    pub footprint: Footprint,
}

/// Why a kernel could not be compiled for the PE grid.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum CompileError {
    #[error("no kernel named `{0}` in the module")]
    NoKernel(String),
    #[error("kernel `{kernel}` {line}:{col}: {what} is not supported on the pegrid target")]
    Unsupported { kernel: String, line: u32, col: u32, what: String },
    #[error(
        "kernel `{kernel}` needs {needed} bytes of local memory per PE, but machine `{machine}` \
         has {capacity}; its circular buffers and the tiles they hold:\n{}",
        list_tiles(.cbs, .tiles)
    )]
    DoesNotFit {
        kernel: String,
        machine: String,
        needed: u64,
        capacity: u64,
        /// The CB declarations (index = CB id).
        cbs: Vec<crate::program::CbDecl>,
        tiles: Vec<TileAlloc>,
    },
    #[error("internal compiler error: {0}")]
    Internal(String),
}

/// One line per CB, largest first, with the tiles it holds.
pub fn list_tiles(cbs: &[crate::program::CbDecl], tiles: &[TileAlloc]) -> String {
    let mut order: Vec<usize> = (0..cbs.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(cbs[i].slot_bytes * u64::from(cbs[i].depth)), i));
    let mut out = Vec::new();
    for i in order {
        let d = cbs[i];
        let held: Vec<String> =
            tiles.iter().filter(|t| t.cb.0 as usize == i).map(|t| t.to_string()).collect();
        out.push(format!(
            "  cb{i}: {} B x{} = {} B, holds {}",
            d.slot_bytes,
            d.depth,
            d.slot_bytes * u64::from(d.depth),
            held.join("; ")
        ));
    }
    out.join("\n")
}

/// Compiles kernel `kernel` of `module` for `machine`.
pub fn compile_kernel(
    module: &Module,
    kernel: &str,
    machine: &Machine,
    options: &CompileOptions,
) -> Result<Compiled, CompileError> {
    let f = module
        .kernels()
        .find(|f| f.name == kernel)
        .ok_or_else(|| CompileError::NoKernel(kernel.to_string()))?;
    compile_function(f, machine, options)
}

/// Compiles one kernel function.
pub fn compile_function(
    f: &Function,
    machine: &Machine,
    options: &CompileOptions,
) -> Result<Compiled, CompileError> {
    let accesses = affine::analyze_function(f);
    let demand = demand::Demand::new(f, &accesses);
    let mut params = Vec::new();
    for (name, &v) in f.param_names.iter().zip(f.params()) {
        let ty = &f.values[v].ty;
        let kind = match (ty.shape.is_empty(), ty.elem.scalar(), ty.elem.pointee()) {
            (true, Some(s), _) => ParamKind::Scalar(s),
            (true, _, Some(s)) => ParamKind::Buffer(s),
            _ => {
                return Err(CompileError::Unsupported {
                    kernel: f.name.clone(),
                    line: 0,
                    col: 0,
                    what: format!("the tile parameter `{name}`"),
                })
            }
        };
        params.push(Param { name: sanitize(name), kind });
    }
    let mut lw = lower::Lowerer::new(f, machine, options, demand);
    lw.lower_kernel()?;
    let mut code = cleanup::simplify(lw.code);
    let regs = cleanup::renumber_registers(&mut code);
    let (cbs, map) = pack::pack(&mut code, &lw.cbs);
    let mut tiles = lw.tiles;
    for t in &mut tiles {
        t.cb = map.get(t.cb.0 as usize).copied().unwrap_or(t.cb);
    }
    let program = Program { kernel: sanitize(&f.name), params, cbs, regs, code };
    program.validate().map_err(|e| CompileError::Internal(format!("invalid program: {e}")))?;
    let total_bytes = program.local_mem_bytes();
    let capacity = machine.local_mem.bytes;
    if total_bytes > capacity {
        return Err(CompileError::DoesNotFit {
            kernel: f.name.clone(),
            machine: machine.name.clone(),
            needed: total_bytes,
            capacity,
            cbs: program.cbs,
            tiles,
        });
    }
    let mut engines = BTreeMap::new();
    for c in &program.code {
        let engine = match &c.op {
            Op::Tile { engine, .. } => engine.name(),
            Op::DmaIn { .. }
            | Op::DmaOut { .. }
            | Op::Gather { .. }
            | Op::Scatter { .. }
            | Op::AtomicRmw { .. }
            | Op::Prefetch { .. }
            | Op::BcastLoad { .. } => "dma",
            _ => "core",
        };
        *engines.entry(engine).or_insert(0) += 1;
    }
    Ok(Compiled {
        program,
        footprint: Footprint { tiles, total_bytes, capacity, engines, mapping: lw.mapping },
    })
}

/// A name as a program identifier (kernel and parameter names already are).
fn sanitize(name: &str) -> String {
    let s: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        s
    } else {
        format!("_{s}")
    }
}
