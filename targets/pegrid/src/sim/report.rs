//! Performance reports of timed runs: [`Report`] derives, from a [`Timing`] and the
//! machine, the time at the clock, achieved rates, each roofline ceiling's minimum
//! time for the work done and which one binds; it renders as text or JSON.
//! [`chrome_trace`] writes the timeline in the Chrome / Perfetto trace format, one
//! process per PE and one thread per engine.

use serde::Serialize;

use super::timing::{Timing, Unit};
use crate::machine::Machine;
use crate::program::ScalarType;

/// One roofline ceiling: the fewest cycles the run's work needs at that resource's
/// peak on the launch's PEs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Ceiling {
    /// `dpe`, `se`, `dram`, `sram` or `local`.
    pub name: &'static str,
    /// The work: operations or bytes.
    pub amount: u64,
    /// The resource's peak, per cycle, over the launch's PEs (or the chip, for the
    /// shared memories).
    pub peak_per_cycle: f64,
    pub min_cycles: f64,
}

/// Busy and stall cycles of one unit kind, summed over PEs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UnitLine {
    pub unit: &'static str,
    pub commands: u64,
    pub busy: u64,
    /// Busy cycles as a share of `cycles × PEs`.
    pub utilization: f64,
    pub cb_empty_stall: u64,
    pub cb_full_stall: u64,
}

/// The report of a timed run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub machine: String,
    pub pes: u64,
    pub cycles: u64,
    pub seconds: f64,
    pub dram_bytes: u64,
    pub sram_bytes: u64,
    pub local_bytes: u64,
    pub bcast_saved_bytes: u64,
    /// 2 per DPE multiply-accumulate plus the vector engines' element ops.
    pub ops: u64,
    pub ops_per_second: f64,
    pub dram_bytes_per_second: f64,
    /// DPE MACs per cycle achieved over its peak on the launch's PEs (0 without DPE work).
    pub dpe_utilization: f64,
    pub ceilings: Vec<Ceiling>,
    /// The ceiling with the largest minimum time.
    pub binding: &'static str,
    /// That ceiling's minimum over the actual cycles.
    pub of_binding: f64,
    pub units: Vec<UnitLine>,
}

fn dpe_rate(m: &Machine, t: ScalarType) -> u64 {
    match t {
        ScalarType::F16 => m.dpe.fp16_mac_per_cycle,
        ScalarType::BF16 => m.dpe.bf16_mac_per_cycle,
        _ => m.dpe.int8_mac_per_cycle,
    }
}

impl Report {
    /// The report of `timing`, a run on `pes` PEs of `machine`.
    pub fn new(timing: &Timing, machine: &Machine, pes: u64) -> Report {
        let pes_f = pes.max(1) as f64;
        let cycles = timing.cycles.max(1);
        let seconds = timing.cycles as f64 / machine.clock_hz;
        // The DPE ceiling: cycles for the MACs of each dtype at that dtype's rate.
        let dpe_cycles: f64 = timing
            .dpe_macs
            .iter()
            .map(|(&t, &m)| m as f64 / (dpe_rate(machine, t).max(1) as f64 * pes_f))
            .sum();
        let macs: u64 = timing.dpe_macs.values().fold(0, |a, &m| a.saturating_add(m));
        let se_peak = 2.0 * machine.se.lanes as f64 * pes_f;
        let dram_bytes = timing.dram_read.saturating_add(timing.dram_written);
        let sram_bytes = timing.sram_read.saturating_add(timing.sram_written);
        let dram_peak = machine.dram.bw_bytes_per_cycle as f64 * machine.dram.efficiency;
        let sram_peak = machine.sram.bw_bytes_per_cycle as f64;
        let local_peak = machine.local_mem.bw_bytes_per_cycle as f64 * pes_f;
        let mut ceilings = vec![
            Ceiling {
                name: "dpe",
                amount: macs.saturating_mul(2),
                peak_per_cycle: if dpe_cycles > 0.0 { 2.0 * macs as f64 / dpe_cycles } else { 0.0 },
                min_cycles: dpe_cycles,
            },
            Ceiling {
                name: "se",
                amount: timing.vector_ops,
                peak_per_cycle: se_peak,
                min_cycles: timing.vector_ops as f64 / se_peak,
            },
            Ceiling {
                name: "dram",
                amount: dram_bytes,
                peak_per_cycle: dram_peak,
                min_cycles: dram_bytes as f64 / dram_peak.max(1e-9),
            },
            Ceiling {
                name: "sram",
                amount: sram_bytes,
                peak_per_cycle: sram_peak,
                min_cycles: sram_bytes as f64 / sram_peak.max(1e-9),
            },
            Ceiling {
                name: "local",
                amount: timing.local_bytes,
                peak_per_cycle: local_peak,
                min_cycles: timing.local_bytes as f64 / local_peak.max(1e-9),
            },
        ];
        ceilings.retain(|c| c.amount > 0);
        let bind = ceilings
            .iter()
            .max_by(|a, b| a.min_cycles.total_cmp(&b.min_cycles))
            .map_or(("none", 0.0), |c| (c.name, c.min_cycles));
        let units = Unit::ALL
            .iter()
            .filter_map(|u| timing.units.get(u).map(|s| (u, s)))
            .map(|(u, s)| UnitLine {
                unit: u.name(),
                commands: s.commands,
                busy: s.busy,
                utilization: s.busy as f64 / (cycles as f64 * pes_f),
                cb_empty_stall: s.cb_empty_stall,
                cb_full_stall: s.cb_full_stall,
            })
            .collect();
        let dpe_peak: f64 =
            timing.dpe_macs.keys().map(|&t| dpe_rate(machine, t) as f64).fold(0.0, f64::max)
                * pes_f;
        Report {
            machine: machine.name.clone(),
            pes,
            cycles: timing.cycles,
            seconds,
            dram_bytes,
            sram_bytes,
            local_bytes: timing.local_bytes,
            bcast_saved_bytes: timing.bcast_saved,
            ops: timing.ops(),
            ops_per_second: timing.ops() as f64 / seconds.max(1e-30),
            dram_bytes_per_second: dram_bytes as f64 / seconds.max(1e-30),
            dpe_utilization: if dpe_peak > 0.0 {
                macs as f64 / (cycles as f64 * dpe_peak)
            } else {
                0.0
            },
            ceilings,
            binding: bind.0,
            of_binding: bind.1 / cycles as f64,
            units,
        }
    }

    /// A human-readable table.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "{} cycles = {:.3} us on `{}` ({} PEs)\n",
            self.cycles,
            self.seconds * 1e6,
            self.machine,
            self.pes
        ));
        out.push_str(&format!(
            "roofline: {} binds, {:.1} % of its ceiling reached\n",
            self.binding,
            100.0 * self.of_binding
        ));
        out.push_str("  ceiling        work     minimum cycles   % of the run\n");
        for c in &self.ceilings {
            out.push_str(&format!(
                "  {:<6} {:>14} {:>18.0} {:>13.1}\n",
                c.name,
                c.amount,
                c.min_cycles,
                100.0 * c.min_cycles / self.cycles.max(1) as f64
            ));
        }
        out.push_str(&format!(
            "achieved: {:.3} Gop/s, DRAM {:.3} GB/s, DPE at {:.1} % of peak; {} B DRAM, {} B SRAM, {} B local, {} B saved by broadcast\n",
            self.ops_per_second / 1e9,
            self.dram_bytes_per_second / 1e9,
            100.0 * self.dpe_utilization,
            self.dram_bytes,
            self.sram_bytes,
            self.local_bytes,
            self.bcast_saved_bytes
        ));
        out.push_str("  unit   commands         busy   util %   cb-empty stall   cb-full stall\n");
        for u in &self.units {
            out.push_str(&format!(
                "  {:<5} {:>9} {:>12} {:>8.1} {:>16} {:>15}\n",
                u.unit,
                u.commands,
                u.busy,
                100.0 * u.utilization,
                u.cb_empty_stall,
                u.cb_full_stall
            ));
        }
        out
    }

    /// The report as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}

/// The timeline of `timing` (which must have been recorded with `Launch::trace`) as a
/// Chrome / Perfetto trace: times in microseconds at `clock_hz`, one process per PE,
/// one thread per unit.
pub fn chrome_trace(timing: &Timing, clock_hz: f64) -> String {
    let us = |c: u64| c as f64 * 1e6 / clock_hz;
    let mut events = Vec::new();
    let mut pes: Vec<(u32, u32)> = timing.pe_cycles.keys().copied().collect();
    pes.sort_unstable();
    let pid = |pe: (u32, u32)| pes.binary_search(&pe).unwrap_or(0);
    for &pe in &pes {
        events.push(serde_json::json!({
            "name": "process_name", "ph": "M", "pid": pid(pe),
            "args": {"name": format!("PE ({}, {})", pe.0, pe.1)}
        }));
        for u in Unit::ALL {
            events.push(serde_json::json!({
                "name": "thread_name", "ph": "M", "pid": pid(pe), "tid": u as usize,
                "args": {"name": u.name()}
            }));
        }
    }
    for e in timing.trace.iter().flatten() {
        events.push(serde_json::json!({
            "name": e.name, "ph": "X", "pid": pid(e.pe), "tid": e.unit as usize,
            "ts": us(e.start), "dur": us(e.end.saturating_sub(e.start)),
            "args": {"command": e.index, "start_cycle": e.start, "end_cycle": e.end}
        }));
    }
    serde_json::json!({ "traceEvents": events, "displayTimeUnit": "ns" }).to_string()
}
