//! The `.peo` binary container: a [`Program`] as bytes.
//!
//! Layout (all integers little-endian):
//!
//! ```text
//! magic     8 bytes  "\x7fTSPEO\r\n"
//! version   u32      FORMAT_VERSION
//! length    u64      payload length in bytes
//! payload   length bytes
//! checksum  u64      FNV-1a 64 of the payload
//! ```
//!
//! The payload is, in order: the kernel name; the parameters (name, kind tag 0 buffer
//! / 1 scalar, dtype); the CB declarations (`u64` slot bytes, `u32` depth); the
//! register count (`u32`); the commands (an operation, then the token as an option).
//!
//! Encoding: strings and lists are a `u32` count then the items (string bytes are
//! UTF-8); enums are a `u8` tag, for [`ScalarType`], [`UnaryOp`], [`BinaryOp`],
//! [`CmpPred`], [`ReduceOp`] and [`Engine`] the index in their `ALL` table, for the
//! others their declaration order (tables below); options are a `u8` 0/1 then the
//! value; CB, register, token, parameter and branch-target numbers are `u32`;
//! immediates are a dtype tag and the `u64` bits; attributes keep their Rust type
//! (`i64` arange bounds, `u32` axes, `u64` shapes).
//!
//! [`load`] checks the magic, version, length, checksum, every tag and count (a count
//! is refused unless the remaining bytes could hold that many items, so a corrupted
//! count never drives a large allocation), that the payload is consumed exactly, and
//! finally [`Program::validate`]. Every failure is a [`LoadError`]; nothing panics.

use thiserror::Error;

use super::{
    AtomicOp, BinaryOp, CbDecl, CbId, CmpPred, Command, Dir, DmaDesc, DmaMask, Dst, Engine, Group,
    Imm, IndexDesc, MemLevel, Op, Operand, Param, ParamKind, PeSet, Program, ProgramError,
    ReduceOp, Reg, ScalarType, ScanOp, Special, TileOp, Token, UnaryOp,
};

/// The magic bytes opening a `.peo` file.
pub const MAGIC: [u8; 8] = *b"\x7fTSPEO\r\n";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 2;
/// Bytes before the payload: magic, version, length.
pub const HEADER_LEN: usize = 8 + 4 + 8;
/// Bytes after the payload: the checksum.
const TRAILER_LEN: usize = 8;

/// Why a `.peo` file could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum LoadError {
    #[error("not a .peo file (bad magic)")]
    BadMagic,
    #[error("unsupported .peo version {found} (this build reads {FORMAT_VERSION})")]
    UnsupportedVersion { found: u32 },
    #[error("file is {actual} bytes, the header says {expected}")]
    LengthMismatch { expected: u64, actual: u64 },
    #[error("checksum mismatch: stored {stored:#018x}, computed {computed:#018x}")]
    Checksum { stored: u64, computed: u64 },
    #[error("payload truncated at byte {at}: need {needed} more bytes")]
    Truncated { at: usize, needed: usize },
    #[error("bad {what} tag {tag} at byte {at}")]
    BadTag { what: &'static str, tag: u8, at: usize },
    #[error("{what} count {count} at byte {at} exceeds the remaining payload")]
    CountTooLarge { what: &'static str, count: u32, at: usize },
    #[error("string at byte {at} is not UTF-8")]
    BadUtf8 { at: usize },
    #[error("{extra} unused bytes at the end of the payload")]
    TrailingBytes { extra: usize },
    #[error("invalid program: {0}")]
    Invalid(ProgramError),
}

/// FNV-1a, 64 bits.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// Encodes a program as a `.peo` file.
pub fn save(program: &Program) -> Vec<u8> {
    let mut w = Writer(Vec::new());
    w.program(program);
    seal(&w.0)
}

/// Loads and validates a `.peo` file.
pub fn load(bytes: &[u8]) -> Result<Program, LoadError> {
    let payload = unseal(bytes)?;
    let mut r = Reader { buf: payload, pos: 0 };
    let program = r.program()?;
    if r.pos != payload.len() {
        return Err(LoadError::TrailingBytes { extra: payload.len() - r.pos });
    }
    program.validate().map_err(LoadError::Invalid)?;
    Ok(program)
}

/// Wraps a payload in the header and checksum.
fn seal(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len() + TRAILER_LEN);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&fnv1a64(payload).to_le_bytes());
    out
}

/// Checks the header, length and checksum; returns the payload.
fn unseal(bytes: &[u8]) -> Result<&[u8], LoadError> {
    if bytes.get(..MAGIC.len()) != Some(&MAGIC[..]) {
        return Err(LoadError::BadMagic);
    }
    let short = LoadError::LengthMismatch {
        expected: (HEADER_LEN + TRAILER_LEN) as u64,
        actual: bytes.len() as u64,
    };
    let mut header = Reader { buf: bytes, pos: MAGIC.len() };
    let version = header.u32().map_err(|_| short.clone())?;
    if version != FORMAT_VERSION {
        return Err(LoadError::UnsupportedVersion { found: version });
    }
    let len = header.u64().map_err(|_| short)?;
    let expected = len.saturating_add((HEADER_LEN + TRAILER_LEN) as u64);
    if expected != bytes.len() as u64 {
        return Err(LoadError::LengthMismatch { expected, actual: bytes.len() as u64 });
    }
    let end = bytes.len() - TRAILER_LEN;
    let payload = &bytes[HEADER_LEN..end];
    let stored = Reader { buf: bytes, pos: end }.u64()?;
    let computed = fnv1a64(payload);
    if stored != computed {
        return Err(LoadError::Checksum { stored, computed });
    }
    Ok(payload)
}

// ---------------------------------------------------------------------------------------
// Tag tables: the tag of a value is its index. Enums without an `ALL` in the IR get one
// here, in declaration order; the encoder's exhaustive matches keep them complete.
// ---------------------------------------------------------------------------------------

const SCAN_OPS: [ScanOp; 1] = [ScanOp::Cumsum];
const ATOMIC_OPS: [AtomicOp; 2] = [AtomicOp::Add, AtomicOp::Max];
const LEVELS: [MemLevel; 2] = [MemLevel::Dram, MemLevel::Sram];
const DIRS: [Dir; 4] = [Dir::North, Dir::South, Dir::East, Dir::West];
const GROUPS: [Group; 2] = [Group::Row, Group::Col];

/// Minimum encoded sizes, for bounding counts: a parameter (empty name, kind, dtype),
/// a CB declaration, a command (`fence` without a token), an operand (`pe.row`).
const MIN_PARAM: usize = 4 + 1 + 1;
const MIN_CB: usize = 8 + 4;
const MIN_COMMAND: usize = 1 + 1;
const MIN_OPERAND: usize = 2;

/// The index of `x` in `all`; `u8::MAX` (an invalid tag) cannot happen for a complete table.
fn tag_of<T: PartialEq>(all: &[T], x: &T) -> u8 {
    all.iter().position(|y| y == x).map_or(u8::MAX, |i| i as u8)
}

fn scan_tag(op: ScanOp) -> u8 {
    match op {
        ScanOp::Cumsum => 0,
    }
}

fn atomic_tag(op: AtomicOp) -> u8 {
    match op {
        AtomicOp::Add => 0,
        AtomicOp::Max => 1,
    }
}

fn level_tag(level: MemLevel) -> u8 {
    match level {
        MemLevel::Dram => 0,
        MemLevel::Sram => 1,
    }
}

fn dir_tag(dir: Dir) -> u8 {
    match dir {
        Dir::North => 0,
        Dir::South => 1,
        Dir::East => 2,
        Dir::West => 3,
    }
}

fn group_tag(group: Group) -> u8 {
    match group {
        Group::Row => 0,
        Group::Col => 1,
    }
}

// ---------------------------------------------------------------------------------------
// Encoder
// ---------------------------------------------------------------------------------------

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }

    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    /// A list length; lists longer than `u32::MAX` (far beyond any program) are not
    /// representable and are cut, which the loader then rejects.
    fn count(&mut self, n: usize) {
        self.u32(u32::try_from(n).unwrap_or(u32::MAX));
    }

    fn str(&mut self, s: &str) {
        self.count(s.len());
        self.0.extend_from_slice(s.as_bytes());
    }

    fn option<T>(&mut self, value: Option<T>, mut write: impl FnMut(&mut Self, T)) {
        match value {
            None => self.u8(0),
            Some(v) => {
                self.u8(1);
                write(self, v);
            }
        }
    }

    fn dtype(&mut self, t: ScalarType) {
        self.u8(tag_of(&ScalarType::ALL, &t));
    }

    fn u64s(&mut self, xs: &[u64]) {
        self.count(xs.len());
        xs.iter().for_each(|&x| self.u64(x));
    }

    fn program(&mut self, program: &Program) {
        self.str(&program.kernel);
        self.count(program.params.len());
        for param in &program.params {
            self.str(&param.name);
            let (kind, dtype) = match param.kind {
                ParamKind::Buffer(t) => (0, t),
                ParamKind::Scalar(t) => (1, t),
            };
            self.u8(kind);
            self.dtype(dtype);
        }
        self.count(program.cbs.len());
        for cb in &program.cbs {
            self.u64(cb.slot_bytes);
            self.u32(cb.depth);
        }
        self.u32(program.regs);
        self.count(program.code.len());
        for command in &program.code {
            self.op(&command.op);
            self.option(command.token, |w, t| w.u32(t.0));
        }
    }

    fn operand(&mut self, operand: Operand) {
        match operand {
            Operand::Cb(cb) => {
                self.u8(0);
                self.u32(cb.0);
            }
            Operand::Reg(reg) => {
                self.u8(1);
                self.u32(reg.0);
            }
            Operand::Imm(imm) => {
                self.u8(2);
                self.dtype(imm.dtype);
                self.u64(imm.bits);
            }
            Operand::Param(index) => {
                self.u8(3);
                self.u32(index);
            }
            Operand::Special(special) => {
                self.u8(4);
                match special {
                    Special::PeRow => self.u8(0),
                    Special::PeCol => self.u8(1),
                    Special::PeRows => self.u8(2),
                    Special::PeCols => self.u8(3),
                    Special::Grid(axis) => {
                        self.u8(4);
                        self.u8(axis);
                    }
                }
            }
        }
    }

    fn operands(&mut self, operands: &[Operand]) {
        self.count(operands.len());
        operands.iter().for_each(|&x| self.operand(x));
    }

    fn tile_op(&mut self, op: &TileOp) {
        match op {
            TileOp::Arange { start, end } => {
                self.u8(0);
                self.i64(*start);
                self.i64(*end);
            }
            TileOp::Splat => self.u8(1),
            TileOp::ExpandDims { axis } => {
                self.u8(2);
                self.u32(*axis);
            }
            TileOp::Broadcast => self.u8(3),
            TileOp::Reshape => self.u8(4),
            TileOp::Trans { perm } => {
                self.u8(5);
                self.count(perm.len());
                perm.iter().for_each(|&p| self.u32(p));
            }
            TileOp::Unary(op) => {
                self.u8(6);
                self.u8(tag_of(&UnaryOp::ALL, op));
            }
            TileOp::Binary(op) => {
                self.u8(7);
                self.u8(tag_of(&BinaryOp::ALL, op));
            }
            TileOp::Cmp(pred) => {
                self.u8(8);
                self.u8(tag_of(&CmpPred::ALL, pred));
            }
            TileOp::Select => self.u8(9),
            TileOp::Cast => self.u8(10),
            TileOp::Fma => self.u8(11),
            TileOp::Reduce { op, axis } => {
                self.u8(12);
                self.u8(tag_of(&ReduceOp::ALL, op));
                self.u32(*axis);
            }
            TileOp::Scan { op, axis } => {
                self.u8(13);
                self.u8(scan_tag(*op));
                self.u32(*axis);
            }
            TileOp::Dot => self.u8(14),
            TileOp::Copy => self.u8(15),
        }
    }

    fn desc(&mut self, desc: &DmaDesc) {
        self.u8(level_tag(desc.level));
        self.u32(desc.buffer);
        self.operand(desc.base);
        self.u64s(&desc.shape);
        self.operands(&desc.strides);
        match &desc.mask {
            DmaMask::All => self.u8(0),
            DmaMask::Extents(extents) => {
                self.u8(1);
                self.operands(extents);
            }
            DmaMask::Tile(cb) => {
                self.u8(2);
                self.u32(cb.0);
            }
        }
    }

    fn index(&mut self, desc: &IndexDesc) {
        self.u8(level_tag(desc.level));
        self.u32(desc.buffer);
        self.u32(desc.index.0);
        self.option(desc.mask, |w, m| w.u32(m.0));
    }

    fn op(&mut self, op: &Op) {
        match op {
            Op::Scalar { op, dtype, dst, inputs } => {
                self.u8(0);
                self.tile_op(op);
                self.dtype(*dtype);
                self.u32(dst.0);
                self.operands(inputs);
            }
            Op::Jump { target } => {
                self.u8(1);
                self.u32(*target);
            }
            Op::Branch { cond, when, target } => {
                self.u8(2);
                self.operand(*cond);
                self.u8(u8::from(*when));
                self.u32(*target);
            }
            Op::Assert { cond, message } => {
                self.u8(3);
                self.operand(*cond);
                self.str(message);
            }
            Op::Pop { cb } => {
                self.u8(4);
                self.u32(cb.0);
            }
            Op::DmaIn { cb, src } => {
                self.u8(5);
                self.u32(cb.0);
                self.desc(src);
            }
            Op::DmaOut { cb, dst } => {
                self.u8(6);
                self.u32(cb.0);
                self.desc(dst);
            }
            Op::Gather { cb, src } => {
                self.u8(7);
                self.u32(cb.0);
                self.index(src);
            }
            Op::Scatter { cb, dst } => {
                self.u8(8);
                self.u32(cb.0);
                self.index(dst);
            }
            Op::AtomicRmw { op, cb, dst, old } => {
                self.u8(9);
                self.u8(atomic_tag(*op));
                self.u32(cb.0);
                self.index(dst);
                self.option(*old, |w, o| w.u32(o.0));
            }
            Op::Prefetch { buffer, base, len } => {
                self.u8(10);
                self.u32(*buffer);
                self.operand(*base);
                self.operand(*len);
            }
            Op::BcastLoad { cb, src, group } => {
                self.u8(11);
                self.u32(cb.0);
                self.desc(src);
                self.u8(group_tag(*group));
            }
            Op::Tile { engine, op, out, shape, dtype, inputs } => {
                self.u8(12);
                self.u8(tag_of(&Engine::ALL, engine));
                self.tile_op(op);
                let (update, cb) = match out {
                    Dst::Push(cb) => (0, cb),
                    Dst::Update(cb) => (1, cb),
                };
                self.u8(update);
                self.u32(cb.0);
                self.u64s(shape);
                self.dtype(*dtype);
                self.operands(inputs);
            }
            Op::ReSend { dir, cb } => self.dir_cb(13, *dir, *cb),
            Op::ReRecv { dir, cb } => self.dir_cb(14, *dir, *cb),
            Op::Send { dir, cb } => self.dir_cb(15, *dir, *cb),
            Op::Recv { dir, cb } => self.dir_cb(16, *dir, *cb),
            Op::Wait { token } => {
                self.u8(17);
                self.u32(token.0);
            }
            Op::Fence => self.u8(18),
            Op::Barrier { set } => {
                self.u8(19);
                self.pe_set(*set);
            }
        }
    }

    fn dir_cb(&mut self, tag: u8, dir: Dir, cb: CbId) {
        self.u8(tag);
        self.u8(dir_tag(dir));
        self.u32(cb.0);
    }

    fn pe_set(&mut self, set: PeSet) {
        match set {
            PeSet::All => self.u8(0),
            PeSet::Row => self.u8(1),
            PeSet::Col => self.u8(2),
            PeSet::Rect { row, col, rows, cols } => {
                self.u8(3);
                [row, col, rows, cols].into_iter().for_each(|v| self.u32(v));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Decoder
// ---------------------------------------------------------------------------------------

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], LoadError> {
        let rest = self.remaining();
        if n > rest {
            return Err(LoadError::Truncated { at: self.pos, needed: n - rest });
        }
        let bytes = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], LoadError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn u8(&mut self) -> Result<u8, LoadError> {
        Ok(self.array::<1>()?[0])
    }

    fn u32(&mut self) -> Result<u32, LoadError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64, LoadError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    fn i64(&mut self) -> Result<i64, LoadError> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    fn cb(&mut self) -> Result<CbId, LoadError> {
        self.u32().map(CbId)
    }

    /// A tag that must be below `limit`, with where it was read.
    fn small_tag(&mut self, what: &'static str, limit: u8) -> Result<u8, LoadError> {
        let at = self.pos;
        let tag = self.u8()?;
        if tag < limit {
            Ok(tag)
        } else {
            Err(LoadError::BadTag { what, tag, at })
        }
    }

    /// The entry of `all` a tag indexes.
    fn tag<T: Copy>(&mut self, what: &'static str, all: &[T]) -> Result<T, LoadError> {
        let at = self.pos;
        let tag = self.u8()?;
        all.get(usize::from(tag)).copied().ok_or(LoadError::BadTag { what, tag, at })
    }

    fn bool(&mut self, what: &'static str) -> Result<bool, LoadError> {
        Ok(self.small_tag(what, 2)? == 1)
    }

    fn option<T>(
        &mut self,
        what: &'static str,
        read: impl FnOnce(&mut Self) -> Result<T, LoadError>,
    ) -> Result<Option<T>, LoadError> {
        if self.bool(what)? {
            read(self).map(Some)
        } else {
            Ok(None)
        }
    }

    /// A count of items of at least `min_size` bytes each, refused when the remaining
    /// bytes could not hold them.
    fn count(&mut self, what: &'static str, min_size: usize) -> Result<usize, LoadError> {
        let at = self.pos;
        let count = self.u32()?;
        if (count as usize).saturating_mul(min_size.max(1)) > self.remaining() {
            return Err(LoadError::CountTooLarge { what, count, at });
        }
        Ok(count as usize)
    }

    /// `count` items read by `item`, the count bounded by `min_size`.
    fn list<T>(
        &mut self,
        what: &'static str,
        min_size: usize,
        mut item: impl FnMut(&mut Self) -> Result<T, LoadError>,
    ) -> Result<Vec<T>, LoadError> {
        let n = self.count(what, min_size)?;
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(item(self)?);
        }
        Ok(items)
    }

    fn str(&mut self, what: &'static str) -> Result<String, LoadError> {
        let n = self.count(what, 1)?;
        let at = self.pos;
        let bytes = self.take(n)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| LoadError::BadUtf8 { at })
    }

    fn dtype(&mut self) -> Result<ScalarType, LoadError> {
        self.tag("dtype", &ScalarType::ALL)
    }

    fn program(&mut self) -> Result<Program, LoadError> {
        let kernel = self.str("kernel name")?;
        let params = self.list("parameter", MIN_PARAM, |r| {
            let name = r.str("parameter name")?;
            let buffer = r.small_tag("parameter kind", 2)? == 0;
            let dtype = r.dtype()?;
            let kind = if buffer { ParamKind::Buffer(dtype) } else { ParamKind::Scalar(dtype) };
            Ok(Param { name, kind })
        })?;
        let cbs = self.list("CB declaration", MIN_CB, |r| {
            Ok(CbDecl { slot_bytes: r.u64()?, depth: r.u32()? })
        })?;
        let regs = self.u32()?;
        let code = self.list("command", MIN_COMMAND, |r| {
            let op = r.op()?;
            let token = r.option("token option", |r| r.u32().map(Token))?;
            Ok(Command { op, token })
        })?;
        Ok(Program { kernel, params, cbs, regs, code })
    }

    fn operand(&mut self) -> Result<Operand, LoadError> {
        let at = self.pos;
        Ok(match self.u8()? {
            0 => Operand::Cb(self.cb()?),
            1 => Operand::Reg(Reg(self.u32()?)),
            2 => Operand::Imm(Imm { dtype: self.dtype()?, bits: self.u64()? }),
            3 => Operand::Param(self.u32()?),
            4 => Operand::Special(self.special()?),
            tag => return Err(LoadError::BadTag { what: "operand", tag, at }),
        })
    }

    fn special(&mut self) -> Result<Special, LoadError> {
        Ok(match self.small_tag("PE register", 5)? {
            0 => Special::PeRow,
            1 => Special::PeCol,
            2 => Special::PeRows,
            3 => Special::PeCols,
            _ => Special::Grid(self.u8()?),
        })
    }

    fn operands(&mut self, what: &'static str) -> Result<Vec<Operand>, LoadError> {
        self.list(what, MIN_OPERAND, Self::operand)
    }

    fn u64s(&mut self, what: &'static str) -> Result<Vec<u64>, LoadError> {
        self.list(what, 8, Self::u64)
    }

    fn tile_op(&mut self) -> Result<TileOp, LoadError> {
        let at = self.pos;
        Ok(match self.u8()? {
            0 => TileOp::Arange { start: self.i64()?, end: self.i64()? },
            1 => TileOp::Splat,
            2 => TileOp::ExpandDims { axis: self.u32()? },
            3 => TileOp::Broadcast,
            4 => TileOp::Reshape,
            5 => TileOp::Trans { perm: self.list("permutation", 4, Self::u32)? },
            6 => TileOp::Unary(self.tag("unary op", &UnaryOp::ALL)?),
            7 => TileOp::Binary(self.tag("binary op", &BinaryOp::ALL)?),
            8 => TileOp::Cmp(self.tag("comparison", &CmpPred::ALL)?),
            9 => TileOp::Select,
            10 => TileOp::Cast,
            11 => TileOp::Fma,
            12 => TileOp::Reduce { op: self.tag("reduction", &ReduceOp::ALL)?, axis: self.u32()? },
            13 => TileOp::Scan { op: self.tag("scan", &SCAN_OPS)?, axis: self.u32()? },
            14 => TileOp::Dot,
            15 => TileOp::Copy,
            tag => return Err(LoadError::BadTag { what: "tile op", tag, at }),
        })
    }

    fn desc(&mut self) -> Result<DmaDesc, LoadError> {
        let level = self.tag("memory level", &LEVELS)?;
        let buffer = self.u32()?;
        let base = self.operand()?;
        let shape = self.u64s("shape")?;
        let strides = self.operands("strides")?;
        let at = self.pos;
        let mask = match self.u8()? {
            0 => DmaMask::All,
            1 => DmaMask::Extents(self.operands("mask extents")?),
            2 => DmaMask::Tile(self.cb()?),
            tag => return Err(LoadError::BadTag { what: "DMA mask", tag, at }),
        };
        Ok(DmaDesc { level, buffer, base, shape, strides, mask })
    }

    fn index(&mut self) -> Result<IndexDesc, LoadError> {
        Ok(IndexDesc {
            level: self.tag("memory level", &LEVELS)?,
            buffer: self.u32()?,
            index: self.cb()?,
            mask: self.option("mask option", Self::cb)?,
        })
    }

    fn op(&mut self) -> Result<Op, LoadError> {
        let at = self.pos;
        Ok(match self.u8()? {
            0 => Op::Scalar {
                op: self.tile_op()?,
                dtype: self.dtype()?,
                dst: Reg(self.u32()?),
                inputs: self.operands("inputs")?,
            },
            1 => Op::Jump { target: self.u32()? },
            2 => Op::Branch {
                cond: self.operand()?,
                when: self.bool("branch sense")?,
                target: self.u32()?,
            },
            3 => Op::Assert { cond: self.operand()?, message: self.str("assert message")? },
            4 => Op::Pop { cb: self.cb()? },
            5 => Op::DmaIn { cb: self.cb()?, src: self.desc()? },
            6 => Op::DmaOut { cb: self.cb()?, dst: self.desc()? },
            7 => Op::Gather { cb: self.cb()?, src: self.index()? },
            8 => Op::Scatter { cb: self.cb()?, dst: self.index()? },
            9 => Op::AtomicRmw {
                op: self.tag("atomic op", &ATOMIC_OPS)?,
                cb: self.cb()?,
                dst: self.index()?,
                old: self.option("old option", Self::cb)?,
            },
            10 => Op::Prefetch { buffer: self.u32()?, base: self.operand()?, len: self.operand()? },
            11 => Op::BcastLoad {
                cb: self.cb()?,
                src: self.desc()?,
                group: self.tag("group", &GROUPS)?,
            },
            12 => self.tile()?,
            13 => Op::ReSend { dir: self.tag("direction", &DIRS)?, cb: self.cb()? },
            14 => Op::ReRecv { dir: self.tag("direction", &DIRS)?, cb: self.cb()? },
            15 => Op::Send { dir: self.tag("direction", &DIRS)?, cb: self.cb()? },
            16 => Op::Recv { dir: self.tag("direction", &DIRS)?, cb: self.cb()? },
            17 => Op::Wait { token: Token(self.u32()?) },
            18 => Op::Fence,
            19 => Op::Barrier { set: self.pe_set()? },
            tag => return Err(LoadError::BadTag { what: "operation", tag, at }),
        })
    }

    fn tile(&mut self) -> Result<Op, LoadError> {
        let engine = self.tag("engine", &Engine::ALL)?;
        let op = self.tile_op()?;
        let update = self.bool("destination kind")?;
        let cb = self.cb()?;
        let out = if update { Dst::Update(cb) } else { Dst::Push(cb) };
        let shape = self.u64s("shape")?;
        let dtype = self.dtype()?;
        let inputs = self.operands("inputs")?;
        Ok(Op::Tile { engine, op, out, shape, dtype, inputs })
    }

    fn pe_set(&mut self) -> Result<PeSet, LoadError> {
        Ok(match self.small_tag("PE set", 4)? {
            0 => PeSet::All,
            1 => PeSet::Row,
            2 => PeSet::Col,
            _ => PeSet::Rect {
                row: self.u32()?,
                col: self.u32()?,
                rows: self.u32()?,
                cols: self.u32()?,
            },
        })
    }
}
