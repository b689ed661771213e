//! Machine description of a PE-grid accelerator (PEGRID.md §2): a TOML schema with a
//! unit in every field name or doc, the shipped presets (`mtia2` default, `mtia1`,
//! `mtia300`, `tiny`), validation with typed errors naming the offending field, and
//! derived figures (peak FLOP/s, bandwidths in bytes/s, roofline ridge points).
//!
//! Conventions: sizes are bytes, rates are per clock cycle of `clock_hz`, latencies
//! are cycles. Integer fields are unsigned, so a negative value is rejected by the
//! TOML deserializer with an error naming the field; `clock_hz` and
//! `dram.efficiency` are floats and are range-checked explicitly.

use serde::{Deserialize, Serialize};
use std::path::Path;
use thiserror::Error;

/// Name of the default preset.
pub const DEFAULT_PRESET: &str = "mtia2";

/// The shipped presets as `(name, TOML text)`, the default first.
const PRESETS: [(&str, &str); 4] = [
    ("mtia2", include_str!("../presets/mtia2.toml")),
    ("mtia1", include_str!("../presets/mtia1.toml")),
    ("mtia300", include_str!("../presets/mtia300.toml")),
    ("tiny", include_str!("../presets/tiny.toml")),
];

/// A parametric PE-grid machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Machine {
    /// Human-readable name (the preset name for presets); must not be empty.
    pub name: String,
    /// Core clock in Hz; all `*_cycles` and `*_per_cycle` fields refer to it.
    pub clock_hz: f64,
    /// Cycles the scalar core needs to issue one custom instruction to the command processor.
    pub cmd_issue_cycles: u64,
    /// The PE grid.
    pub grid: Grid,
    /// Per-PE local memory (circular buffers live here).
    pub local_mem: LocalMem,
    /// Dot Product Engine (one per PE).
    pub dpe: Dpe,
    /// SIMD engine (one per PE).
    pub se: Se,
    /// DMA engine (one per PE).
    pub dma: Dma,
    /// Network on chip between PEs, SRAM and DRAM.
    pub noc: Noc,
    /// Shared on-chip SRAM.
    pub sram: Sram,
    /// Off-chip DRAM.
    pub dram: Dram,
}

/// The PE grid: `rows × cols` processing elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grid {
    /// Number of PE rows (> 0).
    pub rows: u32,
    /// Number of PE columns (> 0).
    pub cols: u32,
}

/// Per-PE local memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalMem {
    /// Capacity in bytes per PE.
    pub bytes: u64,
    /// Bandwidth in bytes per cycle per PE.
    pub bw_bytes_per_cycle: u64,
}

/// Dot Product Engine: a native `tile_m × tile_n` output tile over `tile_k_bytes` of K.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dpe {
    /// Native tile rows (M), in elements.
    pub tile_m: u32,
    /// Native tile columns (N), in elements.
    pub tile_n: u32,
    /// Native tile reduction depth (K), in bytes of input element (32 B = 16 fp16 = 32 int8).
    pub tile_k_bytes: u32,
    /// fp16-input multiply-accumulates per cycle per PE (fp32 accumulation).
    pub fp16_mac_per_cycle: u64,
    /// bf16-input multiply-accumulates per cycle per PE (fp32 accumulation).
    pub bf16_mac_per_cycle: u64,
    /// int8-input multiply-accumulates per cycle per PE (int32 accumulation).
    pub int8_mac_per_cycle: u64,
    /// Cycles from issuing a tile to its first result (pipeline fill).
    pub fill_latency_cycles: u64,
}

/// SIMD engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Se {
    /// FMA lanes, i.e. fused multiply-adds per cycle per PE (2 ops each).
    pub lanes: u64,
    /// Pipeline latency in cycles.
    pub latency_cycles: u64,
}

/// DMA engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dma {
    /// Transfer rate in bytes per cycle per PE.
    pub bytes_per_cycle_per_pe: u64,
    /// Fixed setup cost in cycles per descriptor.
    pub setup_cycles: u64,
}

/// Network on chip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Noc {
    /// Bandwidth of one link in bytes per cycle.
    pub link_bytes_per_cycle: u64,
    /// Latency of one hop in cycles.
    pub hop_cycles: u64,
}

/// Shared on-chip SRAM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sram {
    /// Capacity in bytes (whole chip).
    pub bytes: u64,
    /// Bandwidth in bytes per cycle (whole chip).
    pub bw_bytes_per_cycle: u64,
    /// Access latency in cycles.
    pub latency_cycles: u64,
}

/// Off-chip DRAM.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dram {
    /// Capacity in bytes.
    pub bytes: u64,
    /// Raw (peak) bandwidth in bytes per cycle (whole chip).
    pub bw_bytes_per_cycle: u64,
    /// Access latency in cycles.
    pub latency_cycles: u64,
    /// Sustained fraction of the raw bandwidth, in (0, 1] (dimensionless).
    pub efficiency: f64,
}

/// Why a machine description was rejected.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum MachineError {
    /// The text is not valid TOML, or a value has the wrong type (e.g. `-1` for an
    /// unsigned field) or a required field is missing.
    #[error("machine TOML error at line {line}, column {column}{}: {message}", field_suffix(.field))]
    Toml {
        /// 1-based line of the error (0 when the parser gave no position).
        line: usize,
        /// 1-based column of the error (0 when the parser gave no position).
        column: usize,
        /// Dotted field path at the error position, when one could be determined.
        field: Option<String>,
        /// The parser's message.
        message: String,
    },
    /// A field not in the schema.
    #[error("unknown machine field `{field}` at line {line}, column {column}")]
    UnknownField {
        /// Dotted path of the unknown field (`section.key` or `key`).
        field: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// A size, bandwidth, rate, grid dimension or the clock is zero, negative or not finite.
    #[error("machine field `{field}` must be positive, got {value}")]
    NotPositive {
        /// Dotted field path.
        field: &'static str,
        /// The rejected value as written.
        value: String,
    },
    /// `dram.efficiency` outside (0, 1].
    #[error("machine field `dram.efficiency` must be in (0, 1], got {value}")]
    Efficiency {
        /// The rejected value.
        value: f64,
    },
    /// `name` is empty.
    #[error("machine field `name` must not be empty")]
    EmptyName,
    /// The DPE's native tile, with double-buffered inputs, does not fit local memory.
    #[error(
        "DPE native tile {m}x{n}x{k_bytes}B needs {needed_bytes} bytes of local memory \
         (2*(m*k_bytes + k_bytes*n) + m*n*4) but `local_mem.bytes` is {local_mem_bytes}"
    )]
    DpeTileTooLarge {
        /// `dpe.tile_m`.
        m: u32,
        /// `dpe.tile_n`.
        n: u32,
        /// `dpe.tile_k_bytes`.
        k_bytes: u32,
        /// Bytes needed.
        needed_bytes: u128,
        /// `local_mem.bytes`.
        local_mem_bytes: u64,
    },
    /// `Machine::preset` / `Machine::load` with a name that is not a preset.
    #[error("unknown machine preset `{name}` (known: {known})")]
    UnknownPreset {
        /// The requested name.
        name: String,
        /// Comma-separated preset names.
        known: String,
    },
    /// A machine file could not be read.
    #[error("cannot read machine file `{path}`: {message}")]
    Io {
        /// The path as given.
        path: String,
        /// The OS error.
        message: String,
    },
    /// Serializing to TOML failed.
    #[error("cannot serialize machine to TOML: {message}")]
    Serialize {
        /// The serializer's message.
        message: String,
    },
}

fn field_suffix(field: &Option<String>) -> String {
    match field {
        Some(f) => format!(" (field `{f}`)"),
        None => String::new(),
    }
}

impl Machine {
    /// Names of the shipped presets, the default (`mtia2`) first.
    pub fn preset_names() -> Vec<&'static str> {
        PRESETS.iter().map(|(n, _)| *n).collect()
    }

    /// The TOML text of a shipped preset, if `name` is one.
    pub fn preset_toml(name: &str) -> Option<&'static str> {
        PRESETS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
    }

    /// A shipped preset by name.
    pub fn preset(name: &str) -> Result<Machine, MachineError> {
        match Self::preset_toml(name) {
            Some(text) => Self::from_toml_str(text),
            None => Err(MachineError::UnknownPreset {
                name: name.to_string(),
                known: Self::preset_names().join(", "),
            }),
        }
    }

    /// The default preset (`mtia2`).
    pub fn default_preset() -> Result<Machine, MachineError> {
        Self::preset(DEFAULT_PRESET)
    }

    /// Parses and validates a machine description.
    pub fn from_toml_str(text: &str) -> Result<Machine, MachineError> {
        let machine: Machine = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
        machine.validate()?;
        Ok(machine)
    }

    /// Reads, parses and validates a machine file at `path`.
    pub fn from_file(path: &Path) -> Result<Machine, MachineError> {
        let text = std::fs::read_to_string(path).map_err(|e| MachineError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::from_toml_str(&text)
    }

    /// `--machine NAME|path.toml`: a preset name, or else a path to a TOML file.
    /// A spec that is neither a preset nor looks like a path (no `.toml` suffix, no
    /// path separator) is reported as an unknown preset.
    pub fn load(spec: &str) -> Result<Machine, MachineError> {
        if Self::preset_toml(spec).is_some() {
            return Self::preset(spec);
        }
        let looks_like_path = spec.ends_with(".toml")
            || spec.contains('/')
            || spec.contains(std::path::MAIN_SEPARATOR);
        if looks_like_path {
            Self::from_file(Path::new(spec))
        } else {
            Err(MachineError::UnknownPreset {
                name: spec.to_string(),
                known: Self::preset_names().join(", "),
            })
        }
    }

    /// Serializes to TOML (parses back to an equal `Machine`).
    pub fn to_toml_string(&self) -> Result<String, MachineError> {
        toml::to_string(self).map_err(|e| MachineError::Serialize { message: e.to_string() })
    }

    /// Checks every constraint of the schema; the first violation is returned.
    pub fn validate(&self) -> Result<(), MachineError> {
        if self.name.trim().is_empty() {
            return Err(MachineError::EmptyName);
        }
        if !(self.clock_hz.is_finite() && self.clock_hz > 0.0) {
            return Err(MachineError::NotPositive {
                field: "clock_hz",
                value: self.clock_hz.to_string(),
            });
        }
        let positive: [(&'static str, u64); 17] = [
            ("grid.rows", u64::from(self.grid.rows)),
            ("grid.cols", u64::from(self.grid.cols)),
            ("local_mem.bytes", self.local_mem.bytes),
            ("local_mem.bw_bytes_per_cycle", self.local_mem.bw_bytes_per_cycle),
            ("dpe.tile_m", u64::from(self.dpe.tile_m)),
            ("dpe.tile_n", u64::from(self.dpe.tile_n)),
            ("dpe.tile_k_bytes", u64::from(self.dpe.tile_k_bytes)),
            ("dpe.fp16_mac_per_cycle", self.dpe.fp16_mac_per_cycle),
            ("dpe.bf16_mac_per_cycle", self.dpe.bf16_mac_per_cycle),
            ("dpe.int8_mac_per_cycle", self.dpe.int8_mac_per_cycle),
            ("se.lanes", self.se.lanes),
            ("dma.bytes_per_cycle_per_pe", self.dma.bytes_per_cycle_per_pe),
            ("noc.link_bytes_per_cycle", self.noc.link_bytes_per_cycle),
            ("sram.bytes", self.sram.bytes),
            ("sram.bw_bytes_per_cycle", self.sram.bw_bytes_per_cycle),
            ("dram.bytes", self.dram.bytes),
            ("dram.bw_bytes_per_cycle", self.dram.bw_bytes_per_cycle),
        ];
        // Latencies and issue costs may legitimately be 0; only sizes and rates are checked.
        if let Some((field, value)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(MachineError::NotPositive { field, value: value.to_string() });
        }
        let eff = self.dram.efficiency;
        if !(eff.is_finite() && eff > 0.0 && eff <= 1.0) {
            return Err(MachineError::Efficiency { value: eff });
        }
        let needed = self.dpe_tile_footprint_bytes();
        if needed > u128::from(self.local_mem.bytes) {
            return Err(MachineError::DpeTileTooLarge {
                m: self.dpe.tile_m,
                n: self.dpe.tile_n,
                k_bytes: self.dpe.tile_k_bytes,
                needed_bytes: needed,
                local_mem_bytes: self.local_mem.bytes,
            });
        }
        Ok(())
    }

    /// Number of PEs (`rows × cols`).
    pub fn num_pes(&self) -> u64 {
        u64::from(self.grid.rows) * u64::from(self.grid.cols)
    }

    /// Local-memory bytes one DPE native tile needs: double-buffered inputs
    /// `2·(m·k_bytes + k_bytes·n)` plus an fp32/int32 accumulator `m·n·4`.
    pub fn dpe_tile_footprint_bytes(&self) -> u128 {
        let m = u128::from(self.dpe.tile_m);
        let n = u128::from(self.dpe.tile_n);
        let k = u128::from(self.dpe.tile_k_bytes);
        2 * (m * k + k * n) + m * n * 4
    }

    fn chip_rate(&self, per_pe_per_cycle: u64) -> f64 {
        per_pe_per_cycle as f64 * self.num_pes() as f64 * self.clock_hz
    }

    /// Peak dense fp16 DPE throughput in FLOP/s (2 · MAC/cycle · PEs · clock).
    pub fn peak_fp16_flops(&self) -> f64 {
        2.0 * self.chip_rate(self.dpe.fp16_mac_per_cycle)
    }

    /// Peak dense bf16 DPE throughput in FLOP/s.
    pub fn peak_bf16_flops(&self) -> f64 {
        2.0 * self.chip_rate(self.dpe.bf16_mac_per_cycle)
    }

    /// Peak dense int8 DPE throughput in OP/s.
    pub fn peak_int8_ops(&self) -> f64 {
        2.0 * self.chip_rate(self.dpe.int8_mac_per_cycle)
    }

    /// Peak SIMD-engine throughput in OP/s (2 ops per FMA lane per cycle).
    pub fn peak_se_ops(&self) -> f64 {
        2.0 * self.chip_rate(self.se.lanes)
    }

    /// Local-memory bandwidth of one PE in bytes/s.
    pub fn local_mem_bytes_per_s(&self) -> f64 {
        self.local_mem.bw_bytes_per_cycle as f64 * self.clock_hz
    }

    /// Whole-chip SRAM bandwidth in bytes/s.
    pub fn sram_bytes_per_s(&self) -> f64 {
        self.sram.bw_bytes_per_cycle as f64 * self.clock_hz
    }

    /// Raw (peak) DRAM bandwidth in bytes/s, without `dram.efficiency`
    /// (this is the figure PEGRID.md §5 tabulates).
    pub fn dram_bytes_per_s(&self) -> f64 {
        self.dram.bw_bytes_per_cycle as f64 * self.clock_hz
    }

    /// Sustained DRAM bandwidth in bytes/s: raw × `dram.efficiency`.
    pub fn dram_effective_bytes_per_s(&self) -> f64 {
        self.dram_bytes_per_s() * self.dram.efficiency
    }

    /// Roofline ridge point of fp16 GEMM against raw DRAM bandwidth, in FLOP/B.
    pub fn ridge_fp16_dram(&self) -> f64 {
        self.peak_fp16_flops() / self.dram_bytes_per_s()
    }

    /// Roofline ridge point of fp16 GEMM against SRAM bandwidth, in FLOP/B.
    pub fn ridge_fp16_sram(&self) -> f64 {
        self.peak_fp16_flops() / self.sram_bytes_per_s()
    }
}

/// 1-based (line, column) of byte offset `at` in `text`.
fn line_col(text: &str, at: usize) -> (usize, usize) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Best-effort dotted field path at byte offset `at`: the last `[section]` header
/// before the line, plus the key before `=` on the line.
fn field_at(text: &str, at: usize) -> Option<String> {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let line = &text[line_start..line_end];
    let key = line.split('=').next()?.trim();
    if key.is_empty() || key.starts_with('[') || key.starts_with('#') || line.find('=').is_none() {
        return None;
    }
    let section = text[..line_start].lines().rev().find_map(|l| {
        let l = l.trim();
        (l.starts_with('[') && !l.starts_with("[["))
            .then(|| l.trim_start_matches('[').split(']').next().unwrap_or("").trim().to_string())
    });
    Some(match section {
        Some(s) if !s.is_empty() => format!("{s}.{key}"),
        _ => key.to_string(),
    })
}

fn toml_error(text: &str, e: &toml::de::Error) -> MachineError {
    let message = e.message().trim().to_string();
    let (line, column, field) = match e.span() {
        Some(span) => {
            let (l, c) = line_col(text, span.start);
            (l, c, field_at(text, span.start))
        }
        None => (0, 0, None),
    };
    if let Some(rest) = message.strip_prefix("unknown field `") {
        if let Some(name) = rest.split('`').next() {
            let full = match &field {
                // `field` ends with the key at the error position; prefer its section.
                Some(f) if f.ends_with(name) => f.clone(),
                _ => name.to_string(),
            };
            return MachineError::UnknownField { field: full, line, column };
        }
    }
    MachineError::Toml { line, column, field, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64, rel: f64) -> bool {
        ((actual - expected) / expected).abs() <= rel
    }

    #[test]
    fn mtia2_derived_figures_match_pegrid_section_5() {
        let m = Machine::preset("mtia2").unwrap();
        assert_eq!(m.num_pes(), 64);
        assert!(close(m.peak_fp16_flops(), 177e12, 0.01), "{}", m.peak_fp16_flops());
        assert!(close(m.peak_int8_ops(), 354e12, 0.01));
        assert!(close(m.sram_bytes_per_s(), 2.7e12, 0.01));
        // §5's 204.8 GB/s is the raw rate: efficiency is NOT applied in the table.
        assert!(close(m.dram_bytes_per_s(), 204.8e9, 0.01));
        assert!(!close(m.dram_effective_bytes_per_s(), 204.8e9, 0.01));
        assert!(close(m.ridge_fp16_dram(), 864.0, 0.01));
        assert!(close(m.ridge_fp16_sram(), 65.6, 0.01));
        assert!(close(m.local_mem_bytes_per_s(), 1.0e12, 0.01));
        assert!(close(m.peak_se_ops(), 5.5e12, 0.01));
    }

    #[test]
    fn mtia1_and_mtia300_derived_figures() {
        let m1 = Machine::preset("mtia1").unwrap();
        assert!(close(m1.peak_fp16_flops(), 51.2e12, 0.01));
        assert!(close(m1.sram_bytes_per_s(), 0.8e12, 0.01));
        assert!(close(m1.dram_bytes_per_s(), 176e9, 0.01));
        assert!(close(m1.ridge_fp16_dram(), 291.0, 0.01));
        assert!(close(m1.ridge_fp16_sram(), 64.0, 0.01));
        let m3 = Machine::preset("mtia300").unwrap();
        assert_eq!(m3.num_pes(), 72);
        assert!(close(m3.peak_fp16_flops(), 560e12, 0.01));
        assert!(close(m3.sram_bytes_per_s(), 11.4e12, 0.01));
        assert!(close(m3.dram_bytes_per_s(), 6.1e12, 0.01));
        assert!(close(m3.ridge_fp16_dram(), 92.0, 0.01));
        assert!(close(m3.ridge_fp16_sram(), 49.0, 0.01));
    }

    #[test]
    fn line_col_and_field_at() {
        let t = "a = 1\n[x]\nb = -1\n";
        let at = t.find("-1").unwrap();
        assert_eq!(line_col(t, at), (3, 5));
        assert_eq!(field_at(t, at).as_deref(), Some("x.b"));
        assert_eq!(field_at(t, 0).as_deref(), Some("a"));
    }
}
