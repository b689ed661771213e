//! The `.peo` binary container: a [`GridProgram`] as bytes.
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
//! The payload is a length-prefixed encoding: strings and lists are a `u32` count then
//! the items; enums are a `u8` tag (for `ScalarType`, `UnaryOp`, `BinaryOp`, `ReduceOp`
//! and [`LutFn`] the index in their `ALL` table); options are a `u8` 0/1 then the value.
//! Counts are `u32`: a list of more than `u32::MAX` items (far beyond any PE program)
//! cannot be represented. [`load`] checks the magic, version, lengths, checksum, every tag and count (a count is
//! refused unless the remaining bytes could hold that many items, so a corrupted length
//! never drives a large allocation), that the payload is consumed exactly, and finally
//! [`GridProgram::validate`]. Every failure is a [`LoadError`]; nothing panics.

use thiserror::Error;

use super::{
    BinaryOp, Buffer, CbId, Command, Dir, DmaDesc, EltFn, GridProgram, Group, LutFn, MemLevel,
    MluOp, Op, PeProgram, PeSet, ProgramError, ReduceOp, ScalarType, Token, UnaryOp, VecFn,
};

/// The magic bytes opening a `.peo` file.
pub const MAGIC: [u8; 8] = *b"\x7fTSPEO\r\n";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
const HEADER_LEN: usize = 8 + 4 + 8;

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
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

// ---------------------------------------------------------------------------------------
// Encoder
// ---------------------------------------------------------------------------------------

struct W(Vec<u8>);

fn idx<T: PartialEq>(all: &[T], x: &T) -> u8 {
    all.iter().position(|y| y == x).unwrap_or(0) as u8
}

impl W {
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
    fn count(&mut self, n: usize) {
        self.u32(n as u32);
    }
    fn str(&mut self, s: &str) {
        self.count(s.len());
        self.0.extend_from_slice(s.as_bytes());
    }
    fn dtype(&mut self, t: ScalarType) {
        self.u8(idx(&ScalarType::ALL, &t));
    }
    fn cb(&mut self, c: CbId) {
        self.u32(c.0);
    }
    fn cbs(&mut self, cs: &[CbId]) {
        self.count(cs.len());
        cs.iter().for_each(|c| self.cb(*c));
    }
    fn u64s(&mut self, xs: &[u64]) {
        self.count(xs.len());
        xs.iter().for_each(|x| self.u64(*x));
    }
    fn u32s(&mut self, xs: &[u32]) {
        self.count(xs.len());
        xs.iter().for_each(|x| self.u32(*x));
    }
    fn dir(&mut self, d: Dir) {
        self.u8(match d {
            Dir::North => 0,
            Dir::South => 1,
            Dir::East => 2,
            Dir::West => 3,
        });
    }
    fn elt(&mut self, f: EltFn) {
        match f {
            EltFn::Unary(u) => {
                self.u8(0);
                self.u8(idx(&UnaryOp::ALL, &u));
            }
            EltFn::Binary(b) => {
                self.u8(1);
                self.u8(idx(&BinaryOp::ALL, &b));
            }
        }
    }
    fn desc(&mut self, d: &DmaDesc) {
        self.u8(match d.level {
            MemLevel::Dram => 0,
            MemLevel::Sram => 1,
        });
        self.u32(d.buffer);
        self.u64(d.base);
        self.u64s(&d.shape);
        self.count(d.strides.len());
        d.strides.iter().for_each(|s| self.i64(*s));
        self.dtype(d.dtype);
        match &d.mask {
            None => self.u8(0),
            Some(m) => {
                self.u8(1);
                self.u64s(m);
            }
        }
    }
    fn op(&mut self, op: &Op) {
        match op {
            Op::CbAlloc { cb, slot_bytes, depth } => {
                self.u8(0);
                self.cb(*cb);
                self.u64(*slot_bytes);
                self.u32(*depth);
            }
            Op::DmaIn { cb, src } => {
                self.u8(1);
                self.cb(*cb);
                self.desc(src);
            }
            Op::DmaOut { cb, dst } => {
                self.u8(2);
                self.cb(*cb);
                self.desc(dst);
            }
            Op::Prefetch { buffer, base, len, dtype } => {
                self.u8(3);
                self.u32(*buffer);
                self.u64(*base);
                self.u64(*len);
                self.dtype(*dtype);
            }
            Op::BcastLoad { cb, src, group } => {
                self.u8(4);
                self.cb(*cb);
                self.desc(src);
                self.u8(match group {
                    Group::Row => 0,
                    Group::Col => 1,
                });
            }
            Op::DpeMm { acc, a, b, m, n, k, dtype, accumulate } => {
                self.u8(5);
                self.cb(*acc);
                self.cb(*a);
                self.cb(*b);
                self.u32(*m);
                self.u32(*n);
                self.u32(*k);
                self.dtype(*dtype);
                self.u8(u8::from(*accumulate));
            }
            Op::ReAcc { acc, input } => {
                self.u8(6);
                self.cb(*acc);
                self.cb(*input);
            }
            Op::ReSend { dir, cb } => {
                self.u8(7);
                self.dir(*dir);
                self.cb(*cb);
            }
            Op::ReRecv { dir, cb } => {
                self.u8(8);
                self.dir(*dir);
                self.cb(*cb);
            }
            Op::ReDrain { out, acc } => {
                self.u8(9);
                self.cb(*out);
                self.cb(*acc);
            }
            Op::SeOp { func, dtype, out, inputs } => {
                self.u8(10);
                self.elt(*func);
                self.dtype(*dtype);
                self.cb(*out);
                self.cbs(inputs);
            }
            Op::SeLut { func, dtype, out, input } => {
                self.u8(11);
                self.u8(idx(&LutFn::ALL, func));
                self.dtype(*dtype);
                self.cb(*out);
                self.cb(*input);
            }
            Op::Mlu(m) => {
                self.u8(12);
                match m {
                    MluOp::Transpose { out, input, perm } => {
                        self.u8(0);
                        self.cb(*out);
                        self.cb(*input);
                        self.u32s(perm);
                    }
                    MluOp::Reshape { out, input, shape } => {
                        self.u8(1);
                        self.cb(*out);
                        self.cb(*input);
                        self.u64s(shape);
                    }
                    MluOp::Concat { out, inputs, axis } => {
                        self.u8(2);
                        self.cb(*out);
                        self.cbs(inputs);
                        self.u32(*axis);
                    }
                    MluOp::Slice { out, input, offsets, sizes } => {
                        self.u8(3);
                        self.cb(*out);
                        self.cb(*input);
                        self.u64s(offsets);
                        self.u64s(sizes);
                    }
                }
            }
            Op::VecOp { func, dtype, out, inputs } => {
                self.u8(13);
                match func {
                    VecFn::Elt(e) => {
                        self.u8(0);
                        self.elt(*e);
                    }
                    VecFn::Reduce { op, axis } => {
                        self.u8(1);
                        self.u8(idx(&ReduceOp::ALL, op));
                        self.u32(*axis);
                    }
                    VecFn::Copy => self.u8(2),
                }
                self.dtype(*dtype);
                self.cb(*out);
                self.cbs(inputs);
            }
            Op::Send { dir, cb } => {
                self.u8(14);
                self.dir(*dir);
                self.cb(*cb);
            }
            Op::Recv { dir, cb } => {
                self.u8(15);
                self.dir(*dir);
                self.cb(*cb);
            }
            Op::Wait { token } => {
                self.u8(16);
                self.u32(token.0);
            }
            Op::Fence => self.u8(17),
            Op::Barrier { set } => {
                self.u8(18);
                match set {
                    PeSet::All => self.u8(0),
                    PeSet::Row => self.u8(1),
                    PeSet::Col => self.u8(2),
                    PeSet::Rect { row, col, rows, cols } => {
                        self.u8(3);
                        self.u32(*row);
                        self.u32(*col);
                        self.u32(*rows);
                        self.u32(*cols);
                    }
                }
            }
        }
    }
}

/// Encodes a program as a `.peo` file.
pub fn save(p: &GridProgram) -> Vec<u8> {
    let mut w = W(Vec::new());
    w.str(&p.kernel);
    w.u32(p.rows);
    w.u32(p.cols);
    w.count(p.buffers.len());
    for b in &p.buffers {
        w.str(&b.name);
        w.dtype(b.dtype);
        w.u64(b.len);
    }
    w.count(p.pes.len());
    for pe in &p.pes {
        w.u32(pe.row);
        w.u32(pe.col);
        w.count(pe.commands.len());
        for c in &pe.commands {
            w.op(&c.op);
            match c.token {
                None => w.u8(0),
                Some(t) => {
                    w.u8(1);
                    w.u32(t.0);
                }
            }
        }
    }
    let payload = w.0;
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len() + 8);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&fnv1a64(&payload).to_le_bytes());
    out
}

// ---------------------------------------------------------------------------------------
// Decoder
// ---------------------------------------------------------------------------------------

struct R<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> R<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], LoadError> {
        let rest = self.buf.len() - self.pos;
        if n > rest {
            return Err(LoadError::Truncated { at: self.pos, needed: n - rest });
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    fn arr<const N: usize>(&mut self) -> Result<[u8; N], LoadError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, LoadError> {
        Ok(self.arr::<1>()?[0])
    }
    fn u32(&mut self) -> Result<u32, LoadError> {
        Ok(u32::from_le_bytes(self.arr()?))
    }
    fn u64(&mut self) -> Result<u64, LoadError> {
        Ok(u64::from_le_bytes(self.arr()?))
    }
    fn i64(&mut self) -> Result<i64, LoadError> {
        Ok(i64::from_le_bytes(self.arr()?))
    }
    fn bool(&mut self, what: &'static str) -> Result<bool, LoadError> {
        let at = self.pos;
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            tag => Err(LoadError::BadTag { what, tag, at }),
        }
    }
    /// A count of items each at least `min_size` bytes, capped by the remaining bytes.
    fn count(&mut self, what: &'static str, min_size: usize) -> Result<usize, LoadError> {
        let at = self.pos;
        let count = self.u32()?;
        let rest = self.buf.len() - self.pos;
        if (count as usize).saturating_mul(min_size.max(1)) > rest {
            return Err(LoadError::CountTooLarge { what, count, at });
        }
        Ok(count as usize)
    }
    fn tag<T: Copy>(&mut self, what: &'static str, all: &[T]) -> Result<T, LoadError> {
        let at = self.pos;
        let tag = self.u8()?;
        all.get(tag as usize).copied().ok_or(LoadError::BadTag { what, tag, at })
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
    fn cb(&mut self) -> Result<CbId, LoadError> {
        self.u32().map(CbId)
    }
    fn cbs(&mut self) -> Result<Vec<CbId>, LoadError> {
        let n = self.count("circular-buffer list", 4)?;
        (0..n).map(|_| self.cb()).collect()
    }
    fn u64s(&mut self, what: &'static str) -> Result<Vec<u64>, LoadError> {
        let n = self.count(what, 8)?;
        (0..n).map(|_| self.u64()).collect()
    }
    fn u32s(&mut self, what: &'static str) -> Result<Vec<u32>, LoadError> {
        let n = self.count(what, 4)?;
        (0..n).map(|_| self.u32()).collect()
    }
    fn dir(&mut self) -> Result<Dir, LoadError> {
        self.tag("direction", &[Dir::North, Dir::South, Dir::East, Dir::West])
    }
    fn elt(&mut self) -> Result<EltFn, LoadError> {
        let at = self.pos;
        match self.u8()? {
            0 => Ok(EltFn::Unary(self.tag("unary op", &UnaryOp::ALL)?)),
            1 => Ok(EltFn::Binary(self.tag("binary op", &BinaryOp::ALL)?)),
            tag => Err(LoadError::BadTag { what: "elementwise function", tag, at }),
        }
    }
    fn desc(&mut self) -> Result<DmaDesc, LoadError> {
        let level = self.tag("memory level", &[MemLevel::Dram, MemLevel::Sram])?;
        let buffer = self.u32()?;
        let base = self.u64()?;
        let shape = self.u64s("shape")?;
        let n = self.count("strides", 8)?;
        let strides = (0..n).map(|_| self.i64()).collect::<Result<_, _>>()?;
        let dtype = self.dtype()?;
        let mask = if self.bool("mask option")? { Some(self.u64s("mask")?) } else { None };
        Ok(DmaDesc { level, buffer, base, shape, strides, dtype, mask })
    }
    fn op(&mut self) -> Result<Op, LoadError> {
        let at = self.pos;
        let tag = self.u8()?;
        Ok(match tag {
            0 => Op::CbAlloc { cb: self.cb()?, slot_bytes: self.u64()?, depth: self.u32()? },
            1 => Op::DmaIn { cb: self.cb()?, src: self.desc()? },
            2 => Op::DmaOut { cb: self.cb()?, dst: self.desc()? },
            3 => Op::Prefetch {
                buffer: self.u32()?,
                base: self.u64()?,
                len: self.u64()?,
                dtype: self.dtype()?,
            },
            4 => Op::BcastLoad {
                cb: self.cb()?,
                src: self.desc()?,
                group: self.tag("group", &[Group::Row, Group::Col])?,
            },
            5 => Op::DpeMm {
                acc: self.cb()?,
                a: self.cb()?,
                b: self.cb()?,
                m: self.u32()?,
                n: self.u32()?,
                k: self.u32()?,
                dtype: self.dtype()?,
                accumulate: self.bool("accumulate flag")?,
            },
            6 => Op::ReAcc { acc: self.cb()?, input: self.cb()? },
            7 => Op::ReSend { dir: self.dir()?, cb: self.cb()? },
            8 => Op::ReRecv { dir: self.dir()?, cb: self.cb()? },
            9 => Op::ReDrain { out: self.cb()?, acc: self.cb()? },
            10 => Op::SeOp {
                func: self.elt()?,
                dtype: self.dtype()?,
                out: self.cb()?,
                inputs: self.cbs()?,
            },
            11 => Op::SeLut {
                func: self.tag("LUT function", &LutFn::ALL)?,
                dtype: self.dtype()?,
                out: self.cb()?,
                input: self.cb()?,
            },
            12 => {
                let at = self.pos;
                Op::Mlu(match self.u8()? {
                    0 => MluOp::Transpose {
                        out: self.cb()?,
                        input: self.cb()?,
                        perm: self.u32s("perm")?,
                    },
                    1 => MluOp::Reshape {
                        out: self.cb()?,
                        input: self.cb()?,
                        shape: self.u64s("shape")?,
                    },
                    2 => MluOp::Concat { out: self.cb()?, inputs: self.cbs()?, axis: self.u32()? },
                    3 => MluOp::Slice {
                        out: self.cb()?,
                        input: self.cb()?,
                        offsets: self.u64s("offsets")?,
                        sizes: self.u64s("sizes")?,
                    },
                    tag => return Err(LoadError::BadTag { what: "MLU operation", tag, at }),
                })
            }
            13 => {
                let at = self.pos;
                let func = match self.u8()? {
                    0 => VecFn::Elt(self.elt()?),
                    1 => VecFn::Reduce {
                        op: self.tag("reduce op", &ReduceOp::ALL)?,
                        axis: self.u32()?,
                    },
                    2 => VecFn::Copy,
                    tag => return Err(LoadError::BadTag { what: "vector function", tag, at }),
                };
                Op::VecOp { func, dtype: self.dtype()?, out: self.cb()?, inputs: self.cbs()? }
            }
            14 => Op::Send { dir: self.dir()?, cb: self.cb()? },
            15 => Op::Recv { dir: self.dir()?, cb: self.cb()? },
            16 => Op::Wait { token: Token(self.u32()?) },
            17 => Op::Fence,
            18 => {
                let at = self.pos;
                let set = match self.u8()? {
                    0 => PeSet::All,
                    1 => PeSet::Row,
                    2 => PeSet::Col,
                    3 => PeSet::Rect {
                        row: self.u32()?,
                        col: self.u32()?,
                        rows: self.u32()?,
                        cols: self.u32()?,
                    },
                    tag => return Err(LoadError::BadTag { what: "PE set", tag, at }),
                };
                Op::Barrier { set }
            }
            tag => return Err(LoadError::BadTag { what: "operation", tag, at }),
        })
    }
}

/// Loads and validates a `.peo` file.
pub fn load(bytes: &[u8]) -> Result<GridProgram, LoadError> {
    if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC {
        return Err(LoadError::BadMagic);
    }
    let mut h = R { buf: bytes, pos: MAGIC.len() };
    let header_err = |e: LoadError| match e {
        LoadError::Truncated { .. } => LoadError::LengthMismatch {
            expected: HEADER_LEN as u64 + 8,
            actual: bytes.len() as u64,
        },
        other => other,
    };
    let version = h.u32().map_err(header_err)?;
    if version != FORMAT_VERSION {
        return Err(LoadError::UnsupportedVersion { found: version });
    }
    let len = h.u64().map_err(header_err)?;
    let expected = len.saturating_add(HEADER_LEN as u64 + 8);
    if expected != bytes.len() as u64 {
        return Err(LoadError::LengthMismatch { expected, actual: bytes.len() as u64 });
    }
    let end = bytes.len() - 8;
    let payload = &bytes[HEADER_LEN..end];
    let mut ck = R { buf: bytes, pos: end };
    let stored = ck.u64()?;
    let computed = fnv1a64(payload);
    if stored != computed {
        return Err(LoadError::Checksum { stored, computed });
    }
    let mut r = R { buf: payload, pos: 0 };
    let kernel = r.str("kernel name")?;
    let rows = r.u32()?;
    let cols = r.u32()?;
    // Minimum encoded sizes: buffer 4+1+8, PE 4+4+4, command 1+1.
    let nb = r.count("buffer", 13)?;
    let mut buffers = Vec::with_capacity(nb);
    for _ in 0..nb {
        buffers.push(Buffer { name: r.str("buffer name")?, dtype: r.dtype()?, len: r.u64()? });
    }
    let np = r.count("PE program", 12)?;
    let mut pes = Vec::with_capacity(np);
    for _ in 0..np {
        let row = r.u32()?;
        let col = r.u32()?;
        let nc = r.count("command", 2)?;
        let mut commands = Vec::with_capacity(nc);
        for _ in 0..nc {
            let op = r.op()?;
            let token = if r.bool("token option")? { Some(Token(r.u32()?)) } else { None };
            commands.push(Command { op, token });
        }
        pes.push(PeProgram { row, col, commands });
    }
    if r.pos != payload.len() {
        return Err(LoadError::TrailingBytes { extra: payload.len() - r.pos });
    }
    let p = GridProgram { kernel, rows, cols, buffers, pes };
    p.validate().map_err(LoadError::Invalid)?;
    Ok(p)
}
