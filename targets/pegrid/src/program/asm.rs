//! The PE assembly: a readable text form of a [`GridProgram`], one command per line.
//!
//! [`print_program`] and [`parse_program`] are inverses: `parse(print(p)) == p` for every
//! valid program, and printing a parsed text gives back the printed text.
//!
//! # Grammar
//!
//! A `;` starts a comment that runs to the end of the line; blank lines are ignored.
//! Tokens are identifiers `[A-Za-z_][A-Za-z0-9_.]*`, integers `-?[0-9]+` and the
//! symbols `<- -> += = [ ] , * :`. Lines come in this order:
//!
//! ```text
//! kernel NAME
//! grid rows=R cols=C
//! buffer bufI NAME DTYPE[LEN]          ; I counts 0, 1, 2, … in order
//! pe row=R col=C:                       ; starts the program of one PE
//!   COMMAND [-> tN]                     ; the optional token the command produces
//! ```
//!
//! Commands (`cbN` is a circular buffer, `tN` a token, `DESC` a DMA descriptor
//! `LEVEL bufI[base=B, shape=[..], strides=[..], DTYPE]` with `LEVEL` `dram` or `sram`,
//! `MASK` an optional `mask=[..]` of per-dimension valid extents, `DIR` one of
//! `north south east west`):
//!
//! ```text
//! cb_alloc cbN slot_bytes=S depth=D
//! dma_in cbN <- DESC MASK
//! dma_out cbN -> DESC MASK
//! prefetch bufI[base=B, len=L, DTYPE]
//! bcast_load cbN <- DESC MASK group=row|col
//! dpe_mm cbACC += cbA * cbB [m=M, n=N, k=K, DTYPE]     ; `=` instead of `+=`: overwrite
//! re_acc cbACC += cbIN
//! re_send DIR cbN          re_recv DIR cbN
//! re_drain cbOUT <- cbACC
//! se_op FN DTYPE cbOUT <- cbIN[, cbIN]                  ; FN: a tessera unary/binary op
//! se_lut LUT DTYPE cbOUT <- cbIN                        ; LUT: exp log tanh sigmoid erf rsqrt recip gelu silu
//! mlu transpose cbOUT <- cbIN perm=[..]
//! mlu reshape cbOUT <- cbIN shape=[..]
//! mlu concat cbOUT <- cbIN, cbIN… axis=A
//! mlu slice cbOUT <- cbIN offsets=[..] sizes=[..]
//! vec_op VFN DTYPE cbOUT <- cbIN[, cbIN]                ; VFN: FN, copy, or reduce_OP axis=A
//! send DIR cbN             recv DIR cbN
//! wait tN
//! fence
//! barrier all|row|col|rect[ROW, COL, ROWS, COLS]
//! ```
//!
//! Errors ([`AsmError`]) carry the 1-based line and column of the offending token.

use std::fmt::{self, Write as _};

use thiserror::Error;

use super::{
    check_op, is_ident, BinaryOp, Buffer, CbId, Command, Dir, DmaDesc, EltFn, GridProgram, Group,
    LutFn, MemLevel, MluOp, Op, PeProgram, PeSet, ProgramError, ReduceOp, ScalarType, Token,
    UnaryOp, VecFn,
};

/// What went wrong in an assembly text.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum AsmErrorKind {
    #[error("unexpected character `{0}`")]
    UnexpectedChar(char),
    #[error("unknown operation `{0}`")]
    UnknownOp(String),
    #[error("bad number `{0}`")]
    BadNumber(String),
    #[error("expected {expected}, found {found}")]
    Expected { expected: String, found: String },
    #[error("unknown {what} `{name}`")]
    Unknown { what: &'static str, name: String },
    #[error("a command before any `pe` header")]
    CommandOutsidePe,
    #[error("missing `{0}` line")]
    MissingHeader(&'static str),
    #[error("{0}")]
    Invalid(ProgramError),
}

/// An assembly error at a 1-based line and column.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{line}:{col}: {kind}")]
pub struct AsmError {
    pub line: usize,
    pub col: usize,
    pub kind: AsmErrorKind,
}

// ---------------------------------------------------------------------------------------
// Printer
// ---------------------------------------------------------------------------------------

/// Prints a program in assembly form.
pub fn print_program(p: &GridProgram) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "kernel {}", p.kernel);
    let _ = writeln!(s, "grid rows={} cols={}", p.rows, p.cols);
    for (i, b) in p.buffers.iter().enumerate() {
        let _ = writeln!(s, "buffer buf{i} {} {}[{}]", b.name, b.dtype, b.len);
    }
    for pe in &p.pes {
        let _ = writeln!(s, "pe row={} col={}:", pe.row, pe.col);
        for c in &pe.commands {
            let _ = writeln!(s, "  {}", CommandDisplay(c));
        }
    }
    s
}

/// Prints one command (without indentation or newline).
pub fn print_command(c: &Command) -> String {
    CommandDisplay(c).to_string()
}

struct CommandDisplay<'a>(&'a Command);

fn list<T: fmt::Display>(xs: &[T]) -> String {
    let items: Vec<String> = xs.iter().map(|x| x.to_string()).collect();
    format!("[{}]", items.join(","))
}

fn cbs(xs: &[CbId]) -> String {
    let items: Vec<String> = xs.iter().map(|x| format!("cb{}", x.0)).collect();
    items.join(", ")
}

fn level_name(l: MemLevel) -> &'static str {
    match l {
        MemLevel::Dram => "dram",
        MemLevel::Sram => "sram",
    }
}

fn dir_name(d: Dir) -> &'static str {
    match d {
        Dir::North => "north",
        Dir::South => "south",
        Dir::East => "east",
        Dir::West => "west",
    }
}

fn elt_name(f: EltFn) -> &'static str {
    match f {
        EltFn::Unary(u) => u.name(),
        EltFn::Binary(b) => b.name(),
    }
}

fn desc(d: &DmaDesc) -> String {
    let mut s = format!(
        "{} buf{}[base={}, shape={}, strides={}, {}]",
        level_name(d.level),
        d.buffer,
        d.base,
        list(&d.shape),
        list(&d.strides),
        d.dtype
    );
    if let Some(m) = &d.mask {
        let _ = write!(s, " mask={}", list(m));
    }
    s
}

impl fmt::Display for CommandDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0.op {
            Op::CbAlloc { cb, slot_bytes, depth } => {
                write!(f, "cb_alloc cb{} slot_bytes={slot_bytes} depth={depth}", cb.0)?
            }
            Op::DmaIn { cb, src } => write!(f, "dma_in cb{} <- {}", cb.0, desc(src))?,
            Op::DmaOut { cb, dst } => write!(f, "dma_out cb{} -> {}", cb.0, desc(dst))?,
            Op::Prefetch { buffer, base, len, dtype } => {
                write!(f, "prefetch buf{buffer}[base={base}, len={len}, {dtype}]")?
            }
            Op::BcastLoad { cb, src, group } => {
                let g = match group {
                    Group::Row => "row",
                    Group::Col => "col",
                };
                write!(f, "bcast_load cb{} <- {} group={g}", cb.0, desc(src))?
            }
            Op::DpeMm { acc, a, b, m, n, k, dtype, accumulate } => {
                let eq = if *accumulate { "+=" } else { "=" };
                write!(
                    f,
                    "dpe_mm cb{} {eq} cb{} * cb{} [m={m}, n={n}, k={k}, {dtype}]",
                    acc.0, a.0, b.0
                )?
            }
            Op::ReAcc { acc, input } => write!(f, "re_acc cb{} += cb{}", acc.0, input.0)?,
            Op::ReSend { dir, cb } => write!(f, "re_send {} cb{}", dir_name(*dir), cb.0)?,
            Op::ReRecv { dir, cb } => write!(f, "re_recv {} cb{}", dir_name(*dir), cb.0)?,
            Op::ReDrain { out, acc } => write!(f, "re_drain cb{} <- cb{}", out.0, acc.0)?,
            Op::SeOp { func, dtype, out, inputs } => {
                write!(f, "se_op {} {dtype} cb{} <- {}", elt_name(*func), out.0, cbs(inputs))?
            }
            Op::SeLut { func, dtype, out, input } => {
                write!(f, "se_lut {} {dtype} cb{} <- cb{}", func.name(), out.0, input.0)?
            }
            Op::Mlu(m) => match m {
                MluOp::Transpose { out, input, perm } => {
                    write!(f, "mlu transpose cb{} <- cb{} perm={}", out.0, input.0, list(perm))?
                }
                MluOp::Reshape { out, input, shape } => {
                    write!(f, "mlu reshape cb{} <- cb{} shape={}", out.0, input.0, list(shape))?
                }
                MluOp::Concat { out, inputs, axis } => {
                    write!(f, "mlu concat cb{} <- {} axis={axis}", out.0, cbs(inputs))?
                }
                MluOp::Slice { out, input, offsets, sizes } => write!(
                    f,
                    "mlu slice cb{} <- cb{} offsets={} sizes={}",
                    out.0,
                    input.0,
                    list(offsets),
                    list(sizes)
                )?,
            },
            Op::VecOp { func, dtype, out, inputs } => {
                let name = match func {
                    VecFn::Elt(e) => elt_name(*e).to_string(),
                    VecFn::Reduce { op, axis } => format!("reduce_{} axis={axis}", op.name()),
                    VecFn::Copy => "copy".to_string(),
                };
                write!(f, "vec_op {name} {dtype} cb{} <- {}", out.0, cbs(inputs))?
            }
            Op::Send { dir, cb } => write!(f, "send {} cb{}", dir_name(*dir), cb.0)?,
            Op::Recv { dir, cb } => write!(f, "recv {} cb{}", dir_name(*dir), cb.0)?,
            Op::Wait { token } => write!(f, "wait t{}", token.0)?,
            Op::Fence => f.write_str("fence")?,
            Op::Barrier { set } => match set {
                PeSet::All => f.write_str("barrier all")?,
                PeSet::Row => f.write_str("barrier row")?,
                PeSet::Col => f.write_str("barrier col")?,
                PeSet::Rect { row, col, rows, cols } => {
                    write!(f, "barrier rect[{row},{col},{rows},{cols}]")?
                }
            },
        }
        if let Some(t) = self.0.token {
            write!(f, " -> t{}", t.0)?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Lexer
// ---------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Ident(String),
    Int(String),
    Sym(&'static str),
}

const SYMS: [&str; 9] = ["<-", "->", "+=", "=", "[", "]", ",", "*", ":"];

fn lex(line: &str, lineno: usize) -> Result<Vec<(Tok, usize)>, AsmError> {
    let chars: Vec<char> = line.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        if c == ';' {
            break;
        }
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let word = |start: usize| {
            let mut j = start;
            while j < chars.len()
                && (chars[j].is_ascii_alphanumeric() || chars[j] == '_' || chars[j] == '.')
            {
                j += 1;
            }
            j
        };
        if c.is_ascii_alphabetic() || c == '_' {
            let j = word(i);
            toks.push((Tok::Ident(chars[i..j].iter().collect()), col));
            i = j;
            continue;
        }
        let neg_num = c == '-' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit());
        if c.is_ascii_digit() || neg_num {
            let j = word(if neg_num { i + 1 } else { i });
            toks.push((Tok::Int(chars[i..j].iter().collect()), col));
            i = j;
            continue;
        }
        let mut matched = false;
        for s in SYMS {
            let n = s.chars().count();
            if i + n <= chars.len() && chars[i..i + n].iter().copied().eq(s.chars()) {
                toks.push((Tok::Sym(s), col));
                i += n;
                matched = true;
                break;
            }
        }
        if !matched {
            return Err(AsmError { line: lineno, col, kind: AsmErrorKind::UnexpectedChar(c) });
        }
    }
    Ok(toks)
}

// ---------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------

struct Cursor {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    line: usize,
    end_col: usize,
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Ident(s) | Tok::Int(s) => format!("`{s}`"),
        Tok::Sym(s) => format!("`{s}`"),
    }
}

impl Cursor {
    fn col(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end_col, |t| t.1)
    }

    fn err(&self, kind: AsmErrorKind) -> AsmError {
        AsmError { line: self.line, col: self.col(), kind }
    }

    fn err_at(&self, col: usize, kind: AsmErrorKind) -> AsmError {
        AsmError { line: self.line, col, kind }
    }

    fn expected(&self, what: &str) -> AsmError {
        let found = self.toks.get(self.pos).map_or("end of line".to_string(), |t| describe(&t.0));
        self.err(AsmErrorKind::Expected { expected: what.to_string(), found })
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.0)
    }

    fn at_sym(&self, s: &str) -> bool {
        matches!(self.peek(), Some(Tok::Sym(x)) if *x == s)
    }

    fn at_kw(&self, s: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(x)) if x == s)
    }

    fn sym(&mut self, s: &str) -> Result<(), AsmError> {
        if self.at_sym(s) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.expected(&format!("`{s}`")))
        }
    }

    fn kw(&mut self, s: &str) -> Result<(), AsmError> {
        if self.at_kw(s) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.expected(&format!("`{s}`")))
        }
    }

    /// `name=`
    fn field(&mut self, s: &str) -> Result<(), AsmError> {
        self.kw(s)?;
        self.sym("=")
    }

    fn ident(&mut self, what: &str) -> Result<(String, usize), AsmError> {
        match self.toks.get(self.pos) {
            Some((Tok::Ident(s), col)) => {
                let r = (s.clone(), *col);
                self.pos += 1;
                Ok(r)
            }
            _ => Err(self.expected(what)),
        }
    }

    fn int<T: std::str::FromStr>(&mut self) -> Result<T, AsmError> {
        match self.toks.get(self.pos) {
            Some((Tok::Int(s), col)) => {
                let col = *col;
                let v = s
                    .parse::<T>()
                    .map_err(|_| self.err_at(col, AsmErrorKind::BadNumber(s.clone())))?;
                self.pos += 1;
                Ok(v)
            }
            _ => Err(self.expected("a number")),
        }
    }

    fn prefixed(&mut self, prefix: &str, what: &str) -> Result<u32, AsmError> {
        let (s, col) = self.ident(what)?;
        match s.strip_prefix(prefix) {
            Some(d) if !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()) => {
                d.parse::<u32>().map_err(|_| self.err_at(col, AsmErrorKind::BadNumber(s.clone())))
            }
            _ => {
                self.pos -= 1;
                Err(self.expected(what))
            }
        }
    }

    fn cb(&mut self) -> Result<CbId, AsmError> {
        self.prefixed("cb", "a circular buffer `cbN`").map(CbId)
    }

    fn buf(&mut self) -> Result<u32, AsmError> {
        self.prefixed("buf", "a buffer `bufN`")
    }

    fn dtype(&mut self) -> Result<ScalarType, AsmError> {
        let (s, col) = self.ident("a dtype")?;
        ScalarType::from_name(&s)
            .ok_or_else(|| self.err_at(col, AsmErrorKind::Unknown { what: "dtype", name: s }))
    }

    fn dir(&mut self) -> Result<Dir, AsmError> {
        let (s, col) = self.ident("a direction")?;
        match s.as_str() {
            "north" => Ok(Dir::North),
            "south" => Ok(Dir::South),
            "east" => Ok(Dir::East),
            "west" => Ok(Dir::West),
            _ => Err(self.err_at(col, AsmErrorKind::Unknown { what: "direction", name: s })),
        }
    }

    fn list<T: std::str::FromStr>(&mut self) -> Result<Vec<T>, AsmError> {
        self.sym("[")?;
        let mut v = Vec::new();
        if self.at_sym("]") {
            self.pos += 1;
            return Ok(v);
        }
        loop {
            v.push(self.int()?);
            if self.at_sym(",") {
                self.pos += 1;
            } else {
                self.sym("]")?;
                return Ok(v);
            }
        }
    }

    fn cb_list(&mut self) -> Result<Vec<CbId>, AsmError> {
        let mut v = vec![self.cb()?];
        while self.at_sym(",") {
            self.pos += 1;
            v.push(self.cb()?);
        }
        Ok(v)
    }

    fn desc(&mut self) -> Result<DmaDesc, AsmError> {
        let (lv, col) = self.ident("`dram` or `sram`")?;
        let level = match lv.as_str() {
            "dram" => MemLevel::Dram,
            "sram" => MemLevel::Sram,
            _ => {
                return Err(
                    self.err_at(col, AsmErrorKind::Unknown { what: "memory level", name: lv })
                )
            }
        };
        let buffer = self.buf()?;
        self.sym("[")?;
        self.field("base")?;
        let base = self.int()?;
        self.sym(",")?;
        self.field("shape")?;
        let shape = self.list()?;
        self.sym(",")?;
        self.field("strides")?;
        let strides = self.list()?;
        self.sym(",")?;
        let dtype = self.dtype()?;
        self.sym("]")?;
        let mask = if self.at_kw("mask") {
            self.field("mask")?;
            Some(self.list()?)
        } else {
            None
        };
        Ok(DmaDesc { level, buffer, base, shape, strides, dtype, mask })
    }

    fn end(&self) -> Result<(), AsmError> {
        if self.pos == self.toks.len() {
            Ok(())
        } else {
            Err(self.expected("end of line"))
        }
    }
}

fn elt_fn(name: &str) -> Option<EltFn> {
    UnaryOp::from_name(name)
        .map(EltFn::Unary)
        .or_else(|| BinaryOp::from_name(name).map(EltFn::Binary))
}

fn parse_command(c: &mut Cursor) -> Result<Command, AsmError> {
    let (name, col) = c.ident("an operation")?;
    let op = match name.as_str() {
        "cb_alloc" => {
            let cb = c.cb()?;
            c.field("slot_bytes")?;
            let slot_bytes = c.int()?;
            c.field("depth")?;
            let depth = c.int()?;
            Op::CbAlloc { cb, slot_bytes, depth }
        }
        "dma_in" => {
            let cb = c.cb()?;
            c.sym("<-")?;
            Op::DmaIn { cb, src: c.desc()? }
        }
        "dma_out" => {
            let cb = c.cb()?;
            c.sym("->")?;
            Op::DmaOut { cb, dst: c.desc()? }
        }
        "prefetch" => {
            let buffer = c.buf()?;
            c.sym("[")?;
            c.field("base")?;
            let base = c.int()?;
            c.sym(",")?;
            c.field("len")?;
            let len = c.int()?;
            c.sym(",")?;
            let dtype = c.dtype()?;
            c.sym("]")?;
            Op::Prefetch { buffer, base, len, dtype }
        }
        "bcast_load" => {
            let cb = c.cb()?;
            c.sym("<-")?;
            let src = c.desc()?;
            c.field("group")?;
            let (g, gcol) = c.ident("`row` or `col`")?;
            let group = match g.as_str() {
                "row" => Group::Row,
                "col" => Group::Col,
                _ => return Err(c.err_at(gcol, AsmErrorKind::Unknown { what: "group", name: g })),
            };
            Op::BcastLoad { cb, src, group }
        }
        "dpe_mm" => {
            let acc = c.cb()?;
            let accumulate = if c.at_sym("+=") {
                true
            } else if c.at_sym("=") {
                false
            } else {
                return Err(c.expected("`+=` or `=`"));
            };
            c.pos += 1;
            let a = c.cb()?;
            c.sym("*")?;
            let b = c.cb()?;
            c.sym("[")?;
            c.field("m")?;
            let m = c.int()?;
            c.sym(",")?;
            c.field("n")?;
            let n = c.int()?;
            c.sym(",")?;
            c.field("k")?;
            let k = c.int()?;
            c.sym(",")?;
            let dtype = c.dtype()?;
            c.sym("]")?;
            Op::DpeMm { acc, a, b, m, n, k, dtype, accumulate }
        }
        "re_acc" => {
            let acc = c.cb()?;
            c.sym("+=")?;
            Op::ReAcc { acc, input: c.cb()? }
        }
        "re_send" => Op::ReSend { dir: c.dir()?, cb: c.cb()? },
        "re_recv" => Op::ReRecv { dir: c.dir()?, cb: c.cb()? },
        "re_drain" => {
            let out = c.cb()?;
            c.sym("<-")?;
            Op::ReDrain { out, acc: c.cb()? }
        }
        "se_op" => {
            let (f, fcol) = c.ident("an elementwise op")?;
            let func = elt_fn(&f).ok_or_else(|| {
                c.err_at(fcol, AsmErrorKind::Unknown { what: "elementwise op", name: f })
            })?;
            let dtype = c.dtype()?;
            let out = c.cb()?;
            c.sym("<-")?;
            Op::SeOp { func, dtype, out, inputs: c.cb_list()? }
        }
        "se_lut" => {
            let (f, fcol) = c.ident("a LUT function")?;
            let func = LutFn::from_name(&f).ok_or_else(|| {
                c.err_at(fcol, AsmErrorKind::Unknown { what: "LUT function", name: f })
            })?;
            let dtype = c.dtype()?;
            let out = c.cb()?;
            c.sym("<-")?;
            Op::SeLut { func, dtype, out, input: c.cb()? }
        }
        "mlu" => {
            let (k, kcol) = c.ident("an MLU operation")?;
            let out = c.cb()?;
            c.sym("<-")?;
            let m = match k.as_str() {
                "transpose" => {
                    let input = c.cb()?;
                    c.field("perm")?;
                    MluOp::Transpose { out, input, perm: c.list()? }
                }
                "reshape" => {
                    let input = c.cb()?;
                    c.field("shape")?;
                    MluOp::Reshape { out, input, shape: c.list()? }
                }
                "concat" => {
                    let inputs = c.cb_list()?;
                    c.field("axis")?;
                    MluOp::Concat { out, inputs, axis: c.int()? }
                }
                "slice" => {
                    let input = c.cb()?;
                    c.field("offsets")?;
                    let offsets = c.list()?;
                    c.field("sizes")?;
                    MluOp::Slice { out, input, offsets, sizes: c.list()? }
                }
                _ => {
                    return Err(
                        c.err_at(kcol, AsmErrorKind::Unknown { what: "MLU operation", name: k })
                    )
                }
            };
            Op::Mlu(m)
        }
        "vec_op" => {
            let (f, fcol) = c.ident("a vector function")?;
            let func = if f == "copy" {
                VecFn::Copy
            } else if let Some(r) = f.strip_prefix("reduce_").and_then(ReduceOp::from_name) {
                c.field("axis")?;
                VecFn::Reduce { op: r, axis: c.int()? }
            } else if let Some(e) = elt_fn(&f) {
                VecFn::Elt(e)
            } else {
                return Err(
                    c.err_at(fcol, AsmErrorKind::Unknown { what: "vector function", name: f })
                );
            };
            let dtype = c.dtype()?;
            let out = c.cb()?;
            c.sym("<-")?;
            Op::VecOp { func, dtype, out, inputs: c.cb_list()? }
        }
        "send" => Op::Send { dir: c.dir()?, cb: c.cb()? },
        "recv" => Op::Recv { dir: c.dir()?, cb: c.cb()? },
        "wait" => Op::Wait { token: Token(c.prefixed("t", "a token `tN`")?) },
        "fence" => Op::Fence,
        "barrier" => {
            let (s, scol) = c.ident("a PE set")?;
            let set = match s.as_str() {
                "all" => PeSet::All,
                "row" => PeSet::Row,
                "col" => PeSet::Col,
                "rect" => {
                    c.sym("[")?;
                    let row = c.int()?;
                    c.sym(",")?;
                    let col = c.int()?;
                    c.sym(",")?;
                    let rows = c.int()?;
                    c.sym(",")?;
                    let cols = c.int()?;
                    c.sym("]")?;
                    PeSet::Rect { row, col, rows, cols }
                }
                _ => return Err(c.err_at(scol, AsmErrorKind::Unknown { what: "PE set", name: s })),
            };
            Op::Barrier { set }
        }
        _ => return Err(c.err_at(col, AsmErrorKind::UnknownOp(name))),
    };
    let token = if c.at_sym("->") {
        c.pos += 1;
        Some(Token(c.prefixed("t", "a token `tN`")?))
    } else {
        None
    };
    c.end()?;
    Ok(Command { op, token })
}

/// Parses an assembly text into a validated program.
pub fn parse_program(text: &str) -> Result<GridProgram, AsmError> {
    let mut kernel: Option<String> = None;
    let mut grid: Option<(u32, u32)> = None;
    let mut buffers: Vec<Buffer> = Vec::new();
    let mut pes: Vec<PeProgram> = Vec::new();
    let mut last_line = 1;
    for (idx, raw) in text.lines().enumerate() {
        let line = idx + 1;
        last_line = line;
        let toks = lex(raw, line)?;
        if toks.is_empty() {
            continue;
        }
        let end_col = raw.chars().count() + 1;
        let mut c = Cursor { toks, pos: 0, line, end_col };
        let invalid = |c: &Cursor, e: ProgramError| c.err_at(1, AsmErrorKind::Invalid(e));
        if kernel.is_none() {
            c.kw("kernel")?;
            let (name, col) = c.ident("a kernel name")?;
            c.end()?;
            if !is_ident(&name) {
                return Err(c.err_at(col, AsmErrorKind::Invalid(ProgramError::BadName(name))));
            }
            kernel = Some(name);
            continue;
        }
        let Some((rows, cols)) = grid else {
            c.kw("grid")?;
            c.field("rows")?;
            let rows = c.int()?;
            c.field("cols")?;
            let cols = c.int()?;
            c.end()?;
            if rows == 0 || cols == 0 {
                return Err(invalid(&c, ProgramError::EmptyGrid { rows, cols }));
            }
            grid = Some((rows, cols));
            continue;
        };
        if pes.is_empty() && c.at_kw("buffer") {
            c.pos += 1;
            let idx = c.buf()?;
            if idx as usize != buffers.len() {
                return Err(c.err_at(
                    c.toks[1].1,
                    AsmErrorKind::Expected {
                        expected: format!("`buf{}`", buffers.len()),
                        found: format!("`buf{idx}`"),
                    },
                ));
            }
            let (name, ncol) = c.ident("a buffer name")?;
            if !is_ident(&name) {
                return Err(c.err_at(ncol, AsmErrorKind::Invalid(ProgramError::BadName(name))));
            }
            let dtype = c.dtype()?;
            c.sym("[")?;
            let len = c.int()?;
            c.sym("]")?;
            c.end()?;
            buffers.push(Buffer { name, dtype, len });
            continue;
        }
        if c.at_kw("pe") {
            c.pos += 1;
            c.field("row")?;
            let row = c.int()?;
            c.field("col")?;
            let col = c.int()?;
            c.sym(":")?;
            c.end()?;
            if row >= rows || col >= cols {
                return Err(invalid(&c, ProgramError::PeOutOfGrid { row, col, rows, cols }));
            }
            if pes.iter().any(|p| p.row == row && p.col == col) {
                return Err(invalid(&c, ProgramError::DuplicatePe { row, col }));
            }
            pes.push(PeProgram { row, col, commands: Vec::new() });
            continue;
        }
        let cmd = parse_command(&mut c)?;
        let Some(pe) = pes.last_mut() else {
            return Err(c.err_at(1, AsmErrorKind::CommandOutsidePe));
        };
        if let Err(msg) = check_op(&cmd.op, buffers.len()) {
            let e = ProgramError::BadCommand {
                row: pe.row,
                col: pe.col,
                index: pe.commands.len(),
                msg,
            };
            return Err(c.err_at(1, AsmErrorKind::Invalid(e)));
        }
        pe.commands.push(cmd);
    }
    let at_end = |kind| AsmError { line: last_line, col: 1, kind };
    let kernel = kernel.ok_or_else(|| at_end(AsmErrorKind::MissingHeader("kernel")))?;
    let (rows, cols) = grid.ok_or_else(|| at_end(AsmErrorKind::MissingHeader("grid")))?;
    let p = GridProgram { kernel, rows, cols, buffers, pes };
    p.validate().map_err(|e| at_end(AsmErrorKind::Invalid(e)))?;
    Ok(p)
}
