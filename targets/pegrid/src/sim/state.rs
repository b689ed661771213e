//! The state of a running launch ([`Sim`]: every PE's program counter, registers,
//! CB FIFOs, tokens and incoming links, plus the counters behind
//! [`super::SimStats`]) and the deterministic round-robin scheduler that drives it.
//! What each command does is in `exec.rs` and `dma.rs`.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fmt;

use tessera_ir::interp::{Buffer, KernelArg, Scalar};

use super::error::dir_name;
use super::timing::TimingState;
use super::{BlockedPe, Launch, PeCoord, SimError, SimStats};
use crate::machine::Machine;
use crate::program::{CbId, Dir, Op, Program, Token};

/// Commands a PE runs before the scheduler moves on to the next PE (unless it blocks
/// or finishes first).
const QUANTUM: u32 = 64;

/// Programs with at most this many registers keep them in a dense vector.
const DENSE_REGS: u32 = 1 << 10;

/// A typed tile: a CB slot, or a message on a link. `data.len()` is always the
/// product of `shape`.
#[derive(Clone, Debug)]
pub(crate) struct Tile {
    pub shape: Vec<u64>,
    pub data: Buffer,
}

/// A circular buffer: a FIFO of at most `depth` tiles of at most `slot_bytes` each.
pub(crate) struct Cb {
    pub slot_bytes: u64,
    pub depth: u32,
    pub slots: VecDeque<Tile>,
}

/// Which network a link belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Link {
    /// `send`/`recv`.
    Data,
    /// `re_send`/`re_recv`.
    Reduction,
}

/// Why a command cannot proceed yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wait {
    Empty(CbId),
    Full(CbId),
    /// No message on the `link` network from the neighbour in `dir`.
    Message {
        link: Link,
        dir: Dir,
    },
    Token(Token),
    /// This PE of the barrier's set has not reached the barrier.
    Barrier(PeCoord),
}

impl fmt::Display for Wait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Wait::Empty(cb) => write!(f, "cb{} is empty", cb.0),
            Wait::Full(cb) => write!(f, "cb{} is full", cb.0),
            Wait::Message { link: Link::Data, dir } => {
                write!(f, "no data message from the {}", dir_name(*dir))
            }
            Wait::Message { link: Link::Reduction, dir } => {
                write!(f, "no reduction message from the {}", dir_name(*dir))
            }
            Wait::Token(token) => write!(f, "token t{} is not produced", token.0),
            Wait::Barrier(pe) => write!(f, "PE {pe:?} has not reached the barrier"),
        }
    }
}

/// Where an error happens: the PE, the command index and its mnemonic.
#[derive(Clone, Copy, Debug)]
pub(crate) struct At {
    pub pe: PeCoord,
    pub index: usize,
    pub mnemonic: &'static str,
}

impl At {
    pub fn fault(self, message: impl Into<String>) -> SimError {
        let At { pe, index, mnemonic } = self;
        SimError::Fault { pe, index, mnemonic, message: message.into() }
    }

    pub fn eval(self, message: impl Into<String>) -> SimError {
        let At { pe, index, mnemonic } = self;
        SimError::Eval { pe, index, mnemonic, message: message.into() }
    }

    pub fn out_of_bounds(self, buffer: &str, element: i64, len: usize) -> SimError {
        SimError::DmaOutOfBounds {
            pe: self.pe,
            index: self.index,
            op: self.mnemonic,
            buffer: buffer.to_string(),
            element,
            len: len as u64,
        }
    }
}

/// The scalar registers of one PE; `None` until first written.
pub(crate) enum Regs {
    Dense(Vec<Option<Scalar>>),
    /// For programs declaring more than [`DENSE_REGS`] registers, so that a huge
    /// declared count never allocates.
    Sparse(HashMap<u32, Scalar>),
}

impl Regs {
    fn new(count: u32) -> Regs {
        if count <= DENSE_REGS {
            Regs::Dense(vec![None; count as usize])
        } else {
            Regs::Sparse(HashMap::new())
        }
    }

    pub fn get(&self, reg: u32) -> Option<Scalar> {
        match self {
            Regs::Dense(regs) => regs.get(reg as usize).copied().flatten(),
            Regs::Sparse(regs) => regs.get(&reg).copied(),
        }
    }

    /// Writes `reg`; `false` if it is past a dense register file.
    pub fn set(&mut self, reg: u32, value: Scalar) -> bool {
        match self {
            Regs::Dense(regs) => match regs.get_mut(reg as usize) {
                Some(slot) => {
                    *slot = Some(value);
                    true
                }
                None => false,
            },
            Regs::Sparse(regs) => {
                regs.insert(reg, value);
                true
            }
        }
    }
}

/// One PE of the sub-grid.
pub(crate) struct Pe {
    pub coord: PeCoord,
    pub pc: usize,
    pub regs: Regs,
    pub cbs: Vec<Cb>,
    /// Tokens produced so far.
    pub tokens: HashSet<u32>,
    /// Barriers passed so far.
    pub barriers: u64,
    pub finished: bool,
    /// Commands executed.
    pub executed: u64,
    /// Unbounded incoming FIFOs, `[data, reduction][direction of the sender]`.
    pub inbox: [[VecDeque<Tile>; 4]; 2],
    /// What the PE waited for when it last blocked.
    pub waiting: Option<Wait>,
}

impl Pe {
    pub fn cb(&self, at: At, cb: CbId) -> Result<&Cb, SimError> {
        self.cbs.get(cb.0 as usize).ok_or_else(|| at.fault(format!("cb{} does not exist", cb.0)))
    }

    pub fn cb_mut(&mut self, at: At, cb: CbId) -> Result<&mut Cb, SimError> {
        self.cbs
            .get_mut(cb.0 as usize)
            .ok_or_else(|| at.fault(format!("cb{} does not exist", cb.0)))
    }

    /// The front slot of `cb` (callers have checked that it is not empty).
    pub fn front(&self, at: At, cb: CbId) -> Result<&Tile, SimError> {
        self.cb(at, cb)?.slots.front().ok_or_else(|| at.fault(format!("cb{} is empty", cb.0)))
    }

    pub fn inbox_mut(&mut self, link: Link, from: Dir) -> &mut VecDeque<Tile> {
        let [data, reduction] = &mut self.inbox;
        let by_dir = match link {
            Link::Data => data,
            Link::Reduction => reduction,
        };
        let [north, south, east, west] = by_dir;
        match from {
            Dir::North => north,
            Dir::South => south,
            Dir::East => east,
            Dir::West => west,
        }
    }

    pub fn inbox(&self, link: Link, from: Dir) -> &VecDeque<Tile> {
        let [data, reduction] = &self.inbox;
        let [north, south, east, west] = match link {
            Link::Data => data,
            Link::Reduction => reduction,
        };
        match from {
            Dir::North => north,
            Dir::South => south,
            Dir::East => east,
            Dir::West => west,
        }
    }
}

/// What one scheduling step did.
pub(crate) enum Step {
    Executed,
    Blocked(Wait),
    Finished,
}

/// A launch in progress.
pub(crate) struct Sim<'a> {
    pub program: &'a Program,
    pub machine: &'a Machine,
    pub launch: &'a Launch,
    /// The timing model, in timed modes.
    pub timing: Option<TimingState>,
    pub args: &'a mut [KernelArg],
    /// Row-major over the sub-grid.
    pub pes: Vec<Pe>,
    /// The tile IR op of every `Op::Tile`/`Op::Scalar` command, built once (`None`
    /// for other commands and for `copy`).
    pub ir_ops: Vec<Option<tessera_ir::Op>>,
    /// Commands executed over all PEs.
    pub executed: u64,
    /// Executions of each command index, over all PEs.
    pub per_command: Vec<u64>,
    pub bytes_loaded: u64,
    pub bytes_stored: u64,
    /// Bytes of the messages sent and not yet received, over all links.
    pub in_flight: u64,
}

impl<'a> Sim<'a> {
    /// A launch about to start; the program, launch and arguments are checked.
    pub fn new(
        program: &'a Program,
        machine: &'a Machine,
        launch: &'a Launch,
        args: &'a mut [KernelArg],
    ) -> Sim<'a> {
        let mut pes = Vec::new();
        for row in 0..launch.rows {
            for col in 0..launch.cols {
                pes.push(Pe {
                    coord: (row, col),
                    pc: 0,
                    regs: Regs::new(program.regs),
                    cbs: program
                        .cbs
                        .iter()
                        .map(|decl| Cb {
                            slot_bytes: decl.slot_bytes,
                            depth: decl.depth,
                            slots: VecDeque::new(),
                        })
                        .collect(),
                    tokens: HashSet::new(),
                    barriers: 0,
                    finished: false,
                    executed: 0,
                    inbox: Default::default(),
                    waiting: None,
                });
            }
        }
        let ir_ops = program.code.iter().map(|command| super::exec::ir_op(&command.op)).collect();
        let timing = launch.mode.timed().then(|| {
            let coords: Vec<PeCoord> = pes.iter().map(|pe| pe.coord).collect();
            let cbs: Vec<(u64, u32)> =
                program.cbs.iter().map(|d| (d.slot_bytes, d.depth)).collect();
            TimingState::new(machine, &coords, launch.cols, &cbs, launch.trace)
        });
        Sim {
            program,
            machine,
            launch,
            timing,
            args,
            pes,
            ir_ops,
            executed: 0,
            per_command: vec![0; program.code.len()],
            bytes_loaded: 0,
            bytes_stored: 0,
            in_flight: 0,
        }
    }

    /// Runs every PE to the end: round-robin in row-major order, each PE until it
    /// blocks, finishes or has run [`QUANTUM`] commands; in timed modes, always the
    /// runnable PE whose control core is earliest (ties: row-major), one command at a
    /// time, so that requests reach the shared memories in time order.
    pub fn run(&mut self) -> Result<(), SimError> {
        if self.timing.is_some() {
            return self.run_in_time_order();
        }
        loop {
            let mut progress = false;
            let mut unfinished = false;
            for p in 0..self.pes.len() {
                if self.pes[p].finished {
                    continue;
                }
                unfinished = true;
                for _ in 0..QUANTUM {
                    match self.step(p)? {
                        Step::Executed => progress = true,
                        Step::Blocked(wait) => {
                            self.pes[p].waiting = Some(wait);
                            break;
                        }
                        Step::Finished => {
                            self.pes[p].finished = true;
                            progress = true;
                            break;
                        }
                    }
                }
            }
            if !unfinished {
                return Ok(());
            }
            if !progress {
                return Err(self.deadlock());
            }
        }
    }

    fn run_in_time_order(&mut self) -> Result<(), SimError> {
        // A PE that blocked is skipped until some other PE executes a command.
        let mut blocked_at: Vec<Option<u64>> = vec![None; self.pes.len()];
        loop {
            let mut best: Option<(u64, usize)> = None;
            let mut unfinished = false;
            for (p, pe) in self.pes.iter().enumerate() {
                if pe.finished {
                    continue;
                }
                unfinished = true;
                if blocked_at[p] == Some(self.executed) {
                    continue;
                }
                let core = self.timing.as_ref().map_or(0, |t| t.core(p));
                if best.is_none_or(|(c, _)| core < c) {
                    best = Some((core, p));
                }
            }
            if !unfinished {
                return Ok(());
            }
            let Some((_, p)) = best else { return Err(self.deadlock()) };
            match self.step(p)? {
                Step::Executed => blocked_at[p] = None,
                Step::Blocked(wait) => {
                    self.pes[p].waiting = Some(wait);
                    blocked_at[p] = Some(self.executed);
                }
                Step::Finished => self.pes[p].finished = true,
            }
        }
    }

    /// Tries the command at `p`'s program counter once.
    fn step(&mut self, p: usize) -> Result<Step, SimError> {
        let program = self.program;
        let pe = &self.pes[p];
        let index = pe.pc;
        let Some(command) = program.code.get(index) else {
            return Ok(Step::Finished);
        };
        let at = At { pe: pe.coord, index, mnemonic: command.op.mnemonic() };
        if let Some(wait) = self.blocked(p, at, &command.op)? {
            return Ok(Step::Blocked(wait));
        }
        if self.executed >= self.launch.fuel {
            return Err(SimError::FuelExhausted { fuel: self.launch.fuel });
        }
        let mut facts = match self.timing {
            Some(_) => Some(self.facts(p, at, &command.op)?),
            None => None,
        };
        if let (Some(f), Some(timing), Op::Recv { dir, .. } | Op::ReRecv { dir, .. }) =
            (facts.as_mut(), self.timing.as_mut(), &command.op)
        {
            let link = usize::from(matches!(command.op, Op::ReRecv { .. }));
            f.extra_ready = timing.receive(p, link, dir_slot(*dir));
        }
        let barrier_arrivals = match (&self.timing, &command.op) {
            (Some(t), Op::Barrier { set }) => {
                let n = self.pes[p].barriers;
                let members = self.barrier_members(p, at, *set)?;
                Some((members.iter().map(|&q| t.barrier_arrival(q, n)).collect::<Vec<_>>(), {
                    let rows: std::collections::BTreeSet<u32> =
                        members.iter().map(|&q| self.pes[q].coord.0).collect();
                    let cols: std::collections::BTreeSet<u32> =
                        members.iter().map(|&q| self.pes[q].coord.1).collect();
                    (rows.len() + cols.len()).saturating_sub(2) as u64
                }))
            }
            _ => None,
        };
        let next = if self.launch.mode.computes() {
            self.execute(p, at, &command.op)?
        } else {
            self.execute_shapes_only(p, at, &command.op)?
        };
        let send_to = match &command.op {
            Op::Send { dir, .. } | Op::ReSend { dir, .. } if self.timing.is_some() => {
                Some((self.neighbour(p, at, *dir)?, *dir))
            }
            _ => None,
        };
        if let (Some(f), Some(timing)) = (facts, self.timing.as_mut()) {
            let coord = self.pes[p].coord;
            let done = match barrier_arrivals {
                Some((arrivals, diameter)) => {
                    timing.barrier(p, coord, index, &arrivals, diameter);
                    timing.core(p)
                }
                None => timing.commit(p, coord, index, at.mnemonic, &f),
            };
            if let Some(token) = command.token {
                timing.token(p, token.0, done);
            }
            if let Some((q, dir)) = send_to {
                let link = usize::from(matches!(command.op, Op::ReSend { .. }));
                let bytes = f.local_bytes;
                timing.send(q, link, dir_slot(super::exec::opposite(dir)), bytes, done);
            }
        }
        self.executed += 1;
        if let Some(count) = self.per_command.get_mut(index) {
            *count += 1;
        }
        let pe = &mut self.pes[p];
        pe.executed += 1;
        pe.pc = next.unwrap_or(index + 1);
        if let Some(token) = command.token {
            pe.tokens.insert(token.0);
        }
        Ok(Step::Executed)
    }

    fn deadlock(&self) -> SimError {
        let blocked = self
            .pes
            .iter()
            .filter(|pe| !pe.finished)
            .map(|pe| BlockedPe {
                pe: pe.coord,
                index: pe.pc,
                mnemonic: self.program.code.get(pe.pc).map_or("end", |c| c.op.mnemonic()),
                reason: pe.waiting.map_or_else(String::new, |wait| wait.to_string()),
            })
            .collect();
        SimError::Deadlock { blocked }
    }

    /// The statistics of the run so far.
    pub fn stats(&self) -> SimStats {
        let mut commands_per_op = BTreeMap::new();
        for (command, &count) in self.program.code.iter().zip(&self.per_command) {
            if count > 0 {
                *commands_per_op.entry(command.op.mnemonic()).or_default() += count;
            }
        }
        let coords: Vec<PeCoord> = self.pes.iter().map(|pe| pe.coord).collect();
        SimStats {
            timing: self.timing.clone().map(|t| t.finish(&coords)),
            commands: self.executed,
            commands_per_pe: self.pes.iter().map(|pe| (pe.coord, pe.executed)).collect(),
            commands_per_op,
            bytes_loaded: self.bytes_loaded,
            bytes_stored: self.bytes_stored,
        }
    }

    /// The row-major index of the PE at `(row, col)`, if it is in the sub-grid.
    pub fn pe_index(&self, row: i64, col: i64) -> Option<usize> {
        let rows = i64::from(self.launch.rows);
        let cols = i64::from(self.launch.cols);
        if (0..rows).contains(&row) && (0..cols).contains(&col) {
            usize::try_from(row * cols + col).ok()
        } else {
            None
        }
    }
}

/// The index of a direction in an inbox (`north, south, east, west`).
pub(crate) fn dir_slot(dir: Dir) -> usize {
    match dir {
        Dir::North => 0,
        Dir::South => 1,
        Dir::East => 2,
        Dir::West => 3,
    }
}
