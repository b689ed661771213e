//! The timing model (PEGRID.md §4): cycle counts for a run, computed alongside the
//! functional execution.
//!
//! # Model
//!
//! Every PE has a control core and one in-order queue per engine (DMA, DPE, RE, SE,
//! MLU, vector core). The core executes scalar instructions, branches and `pop`s
//! itself (one cycle each) and issues every other command to its engine, which costs
//! `cmd_issue_cycles`. A command starts at the latest of: its engine being free, its
//! issue, the data it reads being ready (the producer of each CB slot it reads has
//! finished) and, for a command that pushes, a free slot in its CB (the slot's last
//! reader has finished and it has been popped). It then runs for its duration:
//!
//! - DPE: `ceil(M/tm)·ceil(N/tn)·ceil(K·bytes/tk_bytes)·(tm·tn·tk)/MAC_per_cycle + fill`;
//! - SE: `ceil(elements/lanes)·cost + latency` (cost 1; 4 for divide and remainder;
//!   math functions through the LUTs cost 1);
//! - vector core: the SE formula with 64-byte vectors (`64 / element bytes` lanes), and
//!   `ceil(M·N·K / lanes)` for `dot`;
//! - RE: `ceil(input elements / SE lanes) + SE latency` [A];
//! - MLU: `ceil(bytes / local-memory bytes per cycle)` [A];
//! - DMA: `setup + bytes / rate`, where the rate is the PE's DMA rate capped by the
//!   share left on the memory level's bandwidth server (below); DRAM and SRAM reads add
//!   their latency before the data is ready. Strided transfers charge the bytes of the
//!   live extents (edge masks) or of the whole descriptor (tile masks: the engine moves
//!   whole rows); indexed transfers charge every lane.
//!
//! A core that reads a CB (`s_op copy r <- cb`, a branch on an engine's result) waits
//! for the data; `wait t` waits for the command producing `t`; `fence` for every
//! engine; a barrier completes `2·diameter·hop_cycles` after the last PE of its set
//! arrives; a message between neighbours arrives `hop_cycles + bytes / link rate`
//! after it was sent.
//!
//! **Shared bandwidth.** DRAM (`bw · efficiency`) and SRAM are servers with a capacity
//! in bytes per cycle. A transfer reserves, from its start, the smaller of its PE's DMA
//! rate and the capacity still free, over time, until its bytes are moved: earlier
//! requests keep their reservation, later ones fill what is left. The scheduler steps
//! the PE whose core clock is earliest, so requests arrive roughly in time order. A
//! broadcast load is read once per PE row (or column) of the sub-grid: the first PE of
//! the group to issue its `n`-th `bcast_load` moves the bytes; the others receive the
//! data when it arrives (plus one hop per PE of distance) without using the server.
//!
//! Everything is integer cycles and deterministic: the same program, launch and
//! (for data-dependent control flow) data give the same counts on every run.

use std::collections::{BTreeMap, HashMap, VecDeque};

use crate::machine::Machine;
use crate::program::{CbId, Group, MemLevel, ScalarType};

use super::PeCoord;

/// How much of the simulation to do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Results only, no timing.
    #[default]
    Functional,
    /// Results and cycle counts.
    Timed,
    /// Cycle counts only: no arithmetic and no data movement (fast what-if runs).
    /// Control flow that depends on data is an error in this mode.
    TimingOnly,
}

impl Mode {
    /// Whether the mode computes values.
    pub fn computes(self) -> bool {
        !matches!(self, Mode::TimingOnly)
    }

    /// Whether the mode models time.
    pub fn timed(self) -> bool {
        !matches!(self, Mode::Functional)
    }
}

/// A track of the timeline: the control core or one engine of a PE.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unit {
    Core,
    Dma,
    Dpe,
    Re,
    Se,
    Mlu,
    Vec,
}

impl Unit {
    /// Every unit, in track order.
    pub const ALL: [Unit; 7] =
        [Unit::Core, Unit::Dma, Unit::Dpe, Unit::Re, Unit::Se, Unit::Mlu, Unit::Vec];

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Unit::Core => "core",
            Unit::Dma => "dma",
            Unit::Dpe => "dpe",
            Unit::Re => "re",
            Unit::Se => "se",
            Unit::Mlu => "mlu",
            Unit::Vec => "vec",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Busy and stall cycles of one kind of unit, summed over the PEs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UnitStats {
    /// Commands executed.
    pub commands: u64,
    /// Cycles spent executing.
    pub busy: u64,
    /// Cycles a ready engine (or the core) waited for a CB slot's data to be produced.
    pub cb_empty_stall: u64,
    /// Cycles a ready engine waited for a free slot in the CB it pushes to.
    pub cb_full_stall: u64,
}

/// One command on the timeline (for traces).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceEvent {
    pub pe: PeCoord,
    pub unit: Unit,
    /// The command's mnemonic.
    pub name: &'static str,
    /// Command index in the program.
    pub index: usize,
    pub start: u64,
    pub end: u64,
}

/// Cycle counts and traffic of a timed run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Timing {
    /// Cycles from the launch until the last command of the last PE completes.
    pub cycles: u64,
    /// Per PE, the cycle its last command completes.
    pub pe_cycles: BTreeMap<PeCoord, u64>,
    /// Per unit kind (core, dma, dpe, …), summed over the PEs.
    pub units: BTreeMap<Unit, UnitStats>,
    /// Bytes read from DRAM (once per broadcast).
    pub dram_read: u64,
    /// Bytes written to DRAM.
    pub dram_written: u64,
    pub sram_read: u64,
    pub sram_written: u64,
    /// Bytes delivered to PEs by broadcasts beyond the one read that served them.
    pub bcast_saved: u64,
    /// Bytes engines read from and wrote to local memory (compute and DMA).
    pub local_bytes: u64,
    /// Multiply-accumulates on the DPE, by input dtype.
    pub dpe_macs: BTreeMap<ScalarType, u64>,
    /// Element operations on the SE, RE and vector core (a MAC counts 2).
    pub vector_ops: u64,
    /// Every command, when a trace was asked for.
    pub trace: Option<Vec<TraceEvent>>,
}

impl Timing {
    /// Floating-point (or integer) operations: 2 per DPE MAC plus the vector ops.
    pub fn ops(&self) -> u64 {
        self.dpe_macs
            .values()
            .fold(0u64, |a, m| a.saturating_add(m.saturating_mul(2)))
            .saturating_add(self.vector_ops)
    }
}

/// What a command does, as far as timing is concerned (computed before it executes,
/// from the state the functional model has then).
#[derive(Clone, Debug, Default)]
pub(crate) struct Facts {
    pub unit: Option<Unit>,
    /// Cycles of work on the unit (for DMA: the setup only).
    pub cycles: u64,
    /// CBs whose front slot the command reads.
    pub reads: Vec<CbId>,
    /// The CB the command pushes a new slot to.
    pub push: Option<CbId>,
    /// The CB whose front slot the command overwrites.
    pub update: Option<CbId>,
    /// The CB the command pops.
    pub pop: Option<CbId>,
    /// A transfer: memory level, bytes, and whether it reads memory.
    pub transfer: Option<(MemLevel, u64, bool)>,
    /// A broadcast load's group.
    pub bcast: Option<Group>,
    pub dpe_macs: Option<(ScalarType, u64)>,
    pub vector_ops: u64,
    pub local_bytes: u64,
    /// `wait` on a token / `fence`.
    pub wait_token: Option<u32>,
    pub fence: bool,
    /// Data that arrives from elsewhere (a message) at this cycle.
    pub extra_ready: u64,
}

/// A CB slot's times.
#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    /// When its data is ready.
    ready: u64,
    /// When its last reader so far finishes.
    read_end: u64,
}

#[derive(Clone, Debug, Default)]
struct CbTimes {
    slots: VecDeque<Slot>,
    /// When each free slot became free (oldest first); `depth - occupancy` entries.
    free: VecDeque<u64>,
}

#[derive(Clone, Debug, Default)]
struct PeTimes {
    core: u64,
    engines: [u64; 7],
    cbs: Vec<CbTimes>,
    tokens: HashMap<u32, u64>,
    bcasts: u64,
    barrier_arrivals: Vec<u64>,
    /// Message arrival times, `[data, reduction][direction of the sender]`.
    inbox: [[VecDeque<u64>; 4]; 2],
    end: u64,
}

/// A shared bandwidth server: `capacity` bytes per cycle, with reservations.
#[derive(Clone, Debug)]
struct Server {
    capacity: f64,
    /// `time → bytes per cycle reserved from that time on` (piecewise constant).
    used: BTreeMap<u64, f64>,
}

impl Server {
    fn new(capacity: f64) -> Server {
        let mut used = BTreeMap::new();
        used.insert(0, 0.0);
        Server { capacity: capacity.max(1e-9), used }
    }

    fn used_at(&self, t: u64) -> f64 {
        self.used.range(..=t).next_back().map_or(0.0, |(_, &u)| u)
    }

    fn split(&mut self, t: u64) {
        if !self.used.contains_key(&t) {
            let u = self.used_at(t);
            self.used.insert(t, u);
        }
    }

    /// Moves `bytes` from `start` at up to `rate` bytes per cycle within the free
    /// capacity; returns the cycle the last byte moves.
    fn reserve(&mut self, start: u64, bytes: u64, rate: f64) -> u64 {
        if bytes == 0 {
            return start;
        }
        let mut remaining = bytes as f64;
        let mut t = start;
        self.split(t);
        loop {
            let next = self.used.range(t + 1..).next().map(|(&k, _)| k);
            let free = (self.capacity - self.used_at(t)).max(0.0);
            let r = rate.min(free);
            let span = next.map(|n| (n - t) as f64);
            if r > 1e-9 {
                let need = remaining / r;
                if span.is_none_or(|s| need <= s) {
                    let end = t.saturating_add((need.ceil() as u64).max(1));
                    self.split(end);
                    for (_, u) in self.used.range_mut(t..end) {
                        *u += r;
                    }
                    return end;
                }
            }
            let Some(n) = next else {
                // No capacity left forever after `t`: cannot happen with capacity > 0
                // and finite reservations, but stay total.
                return t.saturating_add((remaining / rate.max(1e-9)).ceil() as u64);
            };
            if r > 1e-9 {
                for (_, u) in self.used.range_mut(t..n) {
                    *u += r;
                }
                remaining -= r * (n - t) as f64;
            }
            t = n;
        }
    }

    /// Forgets breakpoints before `t` (no request will start earlier).
    fn prune(&mut self, t: u64) {
        let keep_from = self.used.range(..=t).next_back().map(|(&k, _)| k).unwrap_or(0);
        let old: Vec<u64> = self.used.range(..keep_from).map(|(&k, _)| k).collect();
        for k in old {
            self.used.remove(&k);
        }
    }
}

/// The timing state of a run.
#[derive(Clone, Debug)]
pub(crate) struct TimingState {
    machine: Machine,
    pes: Vec<PeTimes>,
    cols: u32,
    dram: Server,
    sram: Server,
    /// `(group, row or column, n) →` when the `n`-th broadcast of that group's data is
    /// in the first receiver's local memory.
    bcasts: HashMap<(Group, u32, u64), u64>,
    out: Timing,
    reservations: u64,
}

impl TimingState {
    pub fn new(
        machine: &Machine,
        pes: &[PeCoord],
        cols: u32,
        cbs: &[(u64, u32)],
        trace: bool,
    ) -> TimingState {
        let cb_times: Vec<CbTimes> = cbs
            .iter()
            .map(|&(_, depth)| CbTimes {
                slots: VecDeque::new(),
                free: std::iter::repeat_n(0, depth as usize).collect(),
            })
            .collect();
        let dram = machine.dram.bw_bytes_per_cycle as f64 * machine.dram.efficiency;
        TimingState {
            machine: machine.clone(),
            pes: pes
                .iter()
                .map(|_| PeTimes { cbs: cb_times.clone(), ..PeTimes::default() })
                .collect(),
            cols,
            dram: Server::new(dram),
            sram: Server::new(machine.sram.bw_bytes_per_cycle as f64),
            bcasts: HashMap::new(),
            out: Timing { trace: trace.then(Vec::new), ..Timing::default() },
            reservations: 0,
        }
    }

    /// The control-core clock of PE `p` (the scheduler runs the earliest PE).
    pub fn core(&self, p: usize) -> u64 {
        self.pes.get(p).map_or(u64::MAX, |pe| pe.core)
    }

    fn slot(&self, p: usize, cb: CbId) -> Slot {
        self.pes[p]
            .cbs
            .get(cb.0 as usize)
            .and_then(|c| c.slots.front().copied())
            .unwrap_or_default()
    }

    fn event(
        &mut self,
        pe: PeCoord,
        unit: Unit,
        name: &'static str,
        index: usize,
        start: u64,
        end: u64,
    ) {
        if let Some(trace) = &mut self.out.trace {
            trace.push(TraceEvent { pe, unit, name, index, start, end });
        }
    }

    /// Accounts command `index` (`name`) of PE `p` at `pe`, described by `facts`, which
    /// the functional model has just executed; returns the cycle its effect is complete.
    pub fn commit(
        &mut self,
        p: usize,
        pe: PeCoord,
        index: usize,
        name: &'static str,
        f: &Facts,
    ) -> u64 {
        let m = &self.machine;
        let issue_cost = m.cmd_issue_cycles;
        let data_ready = f
            .reads
            .iter()
            .chain(f.update.iter())
            .map(|&cb| self.slot(p, cb).ready)
            .max()
            .unwrap_or(0)
            .max(f.extra_ready);
        self.out.local_bytes = self.out.local_bytes.saturating_add(f.local_bytes);
        if let Some((dtype, macs)) = f.dpe_macs {
            let e = self.out.dpe_macs.entry(dtype).or_default();
            *e = e.saturating_add(macs);
        }
        self.out.vector_ops = self.out.vector_ops.saturating_add(f.vector_ops);
        let Some(unit) = f.unit.filter(|u| *u != Unit::Core) else {
            // The control core itself.
            let t = &mut self.pes[p];
            let mut start = t.core.max(data_ready);
            if let Some(tok) = f.wait_token {
                start = start.max(t.tokens.get(&tok).copied().unwrap_or(0));
            }
            if f.fence {
                start = start.max(t.engines.iter().copied().max().unwrap_or(0));
            }
            let stats = self.out.units.entry(Unit::Core).or_default();
            stats.cb_empty_stall =
                stats.cb_empty_stall.saturating_add(data_ready.saturating_sub(t.core));
            stats.commands += 1;
            stats.busy += 1;
            let end = start.saturating_add(1);
            t.core = end;
            t.end = t.end.max(end);
            for &cb in &f.reads {
                if let Some(s) = t.cbs.get_mut(cb.0 as usize).and_then(|c| c.slots.front_mut()) {
                    s.read_end = s.read_end.max(end);
                }
            }
            if let Some(cb) = f.pop {
                if let Some(c) = t.cbs.get_mut(cb.0 as usize) {
                    if let Some(s) = c.slots.pop_front() {
                        c.free.push_back(end.max(s.read_end));
                    }
                }
            }
            self.event(pe, Unit::Core, name, index, start, end);
            return end;
        };
        // An engine command: issued by the core, then queued on its engine.
        let issue = self.pes[p].core;
        self.pes[p].core = issue.saturating_add(issue_cost);
        let free_engine = self.pes[p].engines[unit.index()];
        let space = match f.push {
            Some(cb) => {
                self.pes[p].cbs.get_mut(cb.0 as usize).and_then(|c| c.free.pop_front()).unwrap_or(0)
            }
            None => 0,
        };
        let ready_to_run = free_engine.max(issue);
        let start = ready_to_run.max(data_ready).max(space);
        let mut end = start.saturating_add(f.cycles);
        let mut data_at = end;
        if let Some((level, bytes, read)) = f.transfer {
            let rate = m.dma.bytes_per_cycle_per_pe.max(1) as f64;
            let latency = match level {
                MemLevel::Dram => m.dram.latency_cycles,
                MemLevel::Sram => m.sram.latency_cycles,
            };
            let shared =
                match f.bcast {
                    Some(group) => {
                        let (line, dist) = match group {
                            Group::Row => (pe.0, pe.1),
                            Group::Col => (pe.1, pe.0),
                        };
                        let n = self.pes[p].bcasts;
                        self.pes[p].bcasts += 1;
                        let key = (group, line, n);
                        match self.bcasts.get(&key) {
                            Some(&arrived) => {
                                self.out.bcast_saved = self.out.bcast_saved.saturating_add(bytes);
                                Some(arrived.max(end).saturating_add(
                                    m.noc.hop_cycles.saturating_mul(u64::from(dist)),
                                ))
                            }
                            None => None,
                        }
                    }
                    None => None,
                };
            match shared {
                Some(done) => {
                    end = done;
                    data_at = done;
                }
                None => {
                    let server = match level {
                        MemLevel::Dram => &mut self.dram,
                        MemLevel::Sram => &mut self.sram,
                    };
                    end = server.reserve(end, bytes, rate);
                    data_at = if read { end.saturating_add(latency) } else { end };
                    let counter = match (level, read) {
                        (MemLevel::Dram, true) => &mut self.out.dram_read,
                        (MemLevel::Dram, false) => &mut self.out.dram_written,
                        (MemLevel::Sram, true) => &mut self.out.sram_read,
                        (MemLevel::Sram, false) => &mut self.out.sram_written,
                    };
                    *counter = counter.saturating_add(bytes);
                    if let Some(group) = f.bcast {
                        let line = match group {
                            Group::Row => pe.0,
                            Group::Col => pe.1,
                        };
                        let n = self.pes[p].bcasts - 1;
                        self.bcasts.insert((group, line, n), data_at);
                    }
                    self.reservations += 1;
                    if self.reservations.is_multiple_of(1024) {
                        let horizon = self.pes.iter().map(|t| t.core).min().unwrap_or(0);
                        self.dram.prune(horizon);
                        self.sram.prune(horizon);
                    }
                }
            }
        }
        let t = &mut self.pes[p];
        t.engines[unit.index()] = end;
        t.end = t.end.max(data_at);
        for &cb in &f.reads {
            if let Some(s) = t.cbs.get_mut(cb.0 as usize).and_then(|c| c.slots.front_mut()) {
                s.read_end = s.read_end.max(end);
            }
        }
        if let Some(cb) = f.push {
            if let Some(c) = t.cbs.get_mut(cb.0 as usize) {
                c.slots.push_back(Slot { ready: data_at, read_end: data_at });
            }
        }
        if let Some(cb) = f.update {
            if let Some(s) = t.cbs.get_mut(cb.0 as usize).and_then(|c| c.slots.front_mut()) {
                *s = Slot { ready: data_at, read_end: data_at };
            }
        }
        let stats = self.out.units.entry(unit).or_default();
        stats.commands += 1;
        stats.busy = stats.busy.saturating_add(end - start);
        stats.cb_empty_stall =
            stats.cb_empty_stall.saturating_add(data_ready.saturating_sub(ready_to_run));
        stats.cb_full_stall =
            stats.cb_full_stall.saturating_add(space.saturating_sub(ready_to_run.max(data_ready)));
        self.event(pe, unit, name, index, start, end);
        data_at
    }

    /// Records that `token` of PE `p` is produced at cycle `done`.
    pub fn token(&mut self, p: usize, token: u32, done: u64) {
        self.pes[p].tokens.insert(token, done);
    }

    /// PE `p` passes its `n`-th barrier, whose set's PEs arrived at `arrivals`
    /// (this PE included); `diameter` is the set's hop diameter.
    pub fn barrier(
        &mut self,
        p: usize,
        pe: PeCoord,
        index: usize,
        arrivals: &[u64],
        diameter: u64,
    ) {
        let hop = self.machine.noc.hop_cycles;
        let t = &mut self.pes[p];
        let arrive = t.core;
        t.barrier_arrivals.push(arrive);
        let last = arrivals.iter().copied().max().unwrap_or(arrive).max(arrive);
        let done = last.saturating_add(diameter.saturating_mul(2).saturating_mul(hop));
        t.core = done;
        t.end = t.end.max(done);
        let stats = self.out.units.entry(Unit::Core).or_default();
        stats.commands += 1;
        stats.busy += 1;
        self.event(pe, Unit::Core, "barrier", index, arrive, done);
    }

    /// When PE `q` arrived (or will have arrived: its core clock) at its `n`-th barrier.
    pub fn barrier_arrival(&self, q: usize, n: u64) -> u64 {
        let t = &self.pes[q];
        t.barrier_arrivals.get(n as usize).copied().unwrap_or(t.core)
    }

    /// A message of `bytes` sent at cycle `sent` arrives in PE `q`'s inbox `link`
    /// (0 data, 1 reduction) from direction `from`.
    pub fn send(&mut self, q: usize, link: usize, from: usize, bytes: u64, sent: u64) {
        let noc = self.machine.noc;
        let arrive = sent
            .saturating_add(noc.hop_cycles)
            .saturating_add(bytes.div_ceil(noc.link_bytes_per_cycle.max(1)));
        if let Some(q) = self.pes.get_mut(q) {
            q.inbox[link][from].push_back(arrive);
        }
    }

    /// The arrival time of the next message in PE `p`'s inbox, removing it.
    pub fn receive(&mut self, p: usize, link: usize, from: usize) -> u64 {
        self.pes[p].inbox[link][from].pop_front().unwrap_or(0)
    }

    /// The finished timing report.
    pub fn finish(mut self, coords: &[PeCoord]) -> Timing {
        for (t, &c) in self.pes.iter().zip(coords) {
            let end = t.end.max(t.core).max(t.engines.iter().copied().max().unwrap_or(0));
            self.out.pe_cycles.insert(c, end);
            self.out.cycles = self.out.cycles.max(end);
        }
        let _ = self.cols;
        self.out
    }
}

/// Cycles of an SE/vector elementwise op over `elements` with `lanes` lanes.
pub(crate) fn lanes_cycles(elements: u64, lanes: u64, cost: u64, latency: u64) -> u64 {
    elements.div_ceil(lanes.max(1)).saturating_mul(cost).saturating_add(latency)
}
