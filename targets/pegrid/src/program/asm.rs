//! The PE assembly: a readable listing of a [`Program`], one command per line.
//!
//! [`print_program`] and [`parse_program`] are inverses: `parse(print(p)) == p` for every
//! valid program, and printing a parsed printed text gives the text back. The parser
//! runs [`Program::validate`], so it only returns valid programs. Every error (lexical,
//! syntactic or structural) is an [`AsmError`] at a 1-based line and column; a
//! structural error points at the command, CB declaration or parameter it names.
//!
//! ```text
//! kernel scale_rows
//! param x: *f32
//! param y: *f32
//! param n: i32
//! regs 2
//! cb_alloc cb0 slot_bytes=256 depth=2
//! cb_alloc cb1 slot_bytes=256 depth=2
//!
//!   s_op mul r0:i32 <- pe.row, 64:i32
//!   s_op lt r1:bool <- r0, %n
//!   brz r1, L10
//!   s_op sub r1:i32 <- %n, r0
//!   dma_in cb0 <- dram x[base=r0, shape=[64], strides=[1:i32]] mask=[r1] @t0
//!   wait t0
//!   se_op mul cb1:[64]f32 <- cb0, 2.5:f32
//!   pop cb0
//!   dma_out cb1 -> dram y[base=r0, shape=[64], strides=[1:i32]] mask=[r1]
//!   pop cb1
//! L10:
//! ```
//!
//! # Grammar
//!
//! A `;` outside a string starts a comment that runs to the end of the line; blank
//! lines are ignored; whitespace separates tokens. Tokens are
//! - identifiers `[A-Za-z_][A-Za-z0-9_.]*` (mnemonics, names, `cb3`, `r4`, `t2`, `L7`,
//!   `pe.row`, `grid.0`, dtypes);
//! - numbers: a digit, or `-` followed by a letter or digit, then letters, digits and
//!   `_`, a `.` followed by a digit, and a `+`/`-` right after an `e` or `E` (`12`,
//!   `-1.5e-7`, `-inf`, `0x7fc00001`);
//! - `%NAME`, a scalar parameter; `"…"`, a string with the escapes `\"` `\\` `\n` `\t`
//!   `\r` and `\u{HEX}`;
//! - the symbols `<- -> .. [ ] , : = * @`.
//!
//! A program is a header, then the code (`INT` is a decimal integer, `OP` an operand):
//!
//! ```text
//! kernel NAME
//! param NAME: *DTYPE                 ; a buffer parameter (one line per parameter,
//! param NAME: DTYPE                  ; in order); NAME is unique
//! regs INT                           ; number of scalar registers
//! cb_alloc cbI slot_bytes=INT depth=INT      ; I counts 0, 1, 2, … in order
//! LN:                                ; a label, on its own line or before a command
//!   COMMAND [@tN]                    ; @tN: the token the command produces
//! ```
//!
//! Label numbers are command indices: `LN:` must stand right before command `N` (or
//! after the last command when `N` is the command count), so labels parse back
//! exactly. The printer puts a label before every branch target and nowhere else.
//!
//! Operands: `cbN` (the front slot of a CB), `rN` (a register), `VALUE:DTYPE` (an
//! immediate), `%NAME` (a scalar parameter), and the PE-id registers `pe.row`,
//! `pe.col`, `pe.rows`, `pe.cols`, `grid.0`, `grid.1`, `grid.2`. Immediate values are
//! `true`/`false` for `bool`, decimal integers in the dtype's range, and for floats a
//! decimal (`1.5`, `-0.0`, `1e-7`, `inf`, `-inf`, `NaN`, rounded once to the dtype;
//! overflow to infinity is an error) or `0x…` raw bits, which the printer uses when no
//! decimal spelling gives back the exact bits (NaN payloads, a negative NaN).
//!
//! Commands (`DIR` is `north south east west`, `LEVEL` is `dram` or `sram`, `BUF` the
//! name of a buffer parameter, `[…]` after `mask=` or `old=` means optional):
//!
//! ```text
//! s_op TOP rN:DTYPE <- SRCS                  ; scalar op into a register
//! jmp LN
//! br OP, LN                                  ; jump if OP is true
//! brz OP, LN                                 ; jump if OP is false
//! assert OP, "MESSAGE"
//! pop cbN
//! dma_in cbN <- DESC
//! dma_out cbN -> DESC
//! bcast_load cbN <- DESC group=row|col
//! gather cbN <- LEVEL BUF[cbI] [mask=cbM]
//! scatter cbN -> LEVEL BUF[cbI] [mask=cbM]
//! atomic add|max cbN -> LEVEL BUF[cbI] [mask=cbM] [old=cbO]
//! prefetch BUF base=OP len=OP
//! ENGINE TOP cbN:[D,…]DTYPE <- SRCS          ; push the result as a new slot
//! ENGINE TOP cbN:[D,…]DTYPE = SRCS           ; overwrite the front slot in place
//! re_send cbN -> DIR        re_recv cbN <- DIR
//! send cbN -> DIR           recv cbN <- DIR
//! wait tN
//! fence
//! barrier all|row|col|rect[ROW,COL,ROWS,COLS]
//!
//! DESC   := LEVEL BUF[base=OP, shape=[D,…], strides=[OP,…]] [mask=[OP,…] | mask=cbM]
//! ENGINE := dpe_mm | re_op | se_op | se_lut | mlu | vec_op
//! TOP    := arange | splat | expand_dims axis=A | broadcast | reshape
//!         | trans perm=[P,…] | UNARY | BINARY | CMP | select | cast | fma
//!         | REDUCE axis=A | cumsum axis=A | dot | copy
//! SRCS   := OP, OP, …        ; in the tile IR's operand order
//!         | START..END       ; for arange, its bounds
//! ```
//!
//! `UNARY`, `BINARY`, `CMP` (`eq ne lt le gt ge`) and `REDUCE` (`sum max min argmax
//! argmin`) are the tile IR's mnemonics; a reduction always carries `axis=`, which
//! tells `max axis=0` from the binary `max`. Without a mask a DMA moves every element;
//! `mask=[…]` gives per-dimension extents and `mask=cbM` a `bool` tile. The SIMD
//! engine's mnemonic says whether it uses its lookup tables: `se_lut` runs exactly
//! the unary ops [`super::is_lut`] accepts, `se_op` everything else the SIMD engine runs.

use std::collections::HashSet;
use std::fmt::Write as _;

use half::{bf16, f16};
use thiserror::Error;

use super::{
    is_lut, AtomicOp, BinaryOp, CbDecl, CbId, CmpPred, Command, Dir, DmaDesc, DmaMask, Dst, Engine,
    Group, Imm, IndexDesc, MemLevel, Op, Operand, Param, ParamKind, PeSet, Program, ProgramError,
    ReduceOp, Reg, ScalarType, ScanOp, Special, TileOp, Token, UnaryOp,
};

/// What went wrong in an assembly text.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum AsmErrorKind {
    #[error("unexpected character `{0}`")]
    UnexpectedChar(char),
    #[error("unterminated string")]
    UnterminatedString,
    #[error("bad escape `{0}` in a string")]
    BadEscape(String),
    #[error("bad number `{0}`")]
    BadNumber(String),
    #[error("`{text}` is not a {dtype} immediate")]
    BadImmediate { text: String, dtype: ScalarType },
    #[error("expected {expected}, found {found}")]
    Expected { expected: String, found: String },
    #[error("unknown {what} `{name}`")]
    Unknown { what: &'static str, name: String },
    #[error(
        "`{found}` does not run `{op}`: `se_lut` runs the lookup-table unary ops, `se_op` the rest"
    )]
    WrongMnemonic { op: &'static str, found: &'static str },
    #[error("`{0}` is out of place: the header is `kernel`, `param`s, `regs`, `cb_alloc`s")]
    Misplaced(String),
    #[error("missing `{0}` line")]
    MissingHeader(&'static str),
    #[error("label L{label} stands before command {index}; a label is the index it marks")]
    MisplacedLabel { label: u32, index: usize },
    #[error("label L{0} is defined twice")]
    DuplicateLabel(u32),
    #[error("label L{0} is not defined")]
    UndefinedLabel(u32),
    #[error("{0}")]
    Invalid(ProgramError),
}

/// An assembly error at a 1-based line and column (columns count characters).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{line}:{col}: {kind}")]
pub struct AsmError {
    pub line: usize,
    pub col: usize,
    pub kind: AsmErrorKind,
}

/// Prints a program as assembly (see the module docs for the syntax).
pub fn print_program(program: &Program) -> String {
    let mut out = String::new();
    print_header(&mut out, program);
    if !program.code.is_empty() {
        out.push('\n');
    }
    let targets = branch_targets(&program.code);
    let names = Names(&program.params);
    for (index, command) in program.code.iter().enumerate() {
        if targets.contains(&index) {
            let _ = writeln!(out, "L{index}:");
        }
        let _ = writeln!(out, "  {}", names.command(command));
    }
    if targets.contains(&program.code.len()) {
        let _ = writeln!(out, "L{}:", program.code.len());
    }
    out
}

/// Parses an assembly text into a validated program.
pub fn parse_program(text: &str) -> Result<Program, AsmError> {
    let mut parser = Parser::new();
    for (index, raw) in text.lines().enumerate() {
        let toks = lex(raw, index + 1)?;
        if toks.is_empty() {
            continue;
        }
        let end_col = raw.chars().count() + 1;
        parser.line(Cursor { toks, pos: 0, line: index + 1, end_col })?;
    }
    let end = match text.lines().enumerate().last() {
        Some((index, raw)) => (index + 1, raw.chars().count() + 1),
        None => (1, 1),
    };
    parser.finish(end)
}

// ---------------------------------------------------------------------------------------
// Printer
// ---------------------------------------------------------------------------------------

fn print_header(out: &mut String, program: &Program) {
    let _ = writeln!(out, "kernel {}", program.kernel);
    for param in &program.params {
        let _ = match param.kind {
            ParamKind::Buffer(dtype) => writeln!(out, "param {}: *{dtype}", param.name),
            ParamKind::Scalar(dtype) => writeln!(out, "param {}: {dtype}", param.name),
        };
    }
    let _ = writeln!(out, "regs {}", program.regs);
    for (index, cb) in program.cbs.iter().enumerate() {
        let _ = writeln!(out, "cb_alloc cb{index} slot_bytes={} depth={}", cb.slot_bytes, cb.depth);
    }
}

/// Command indices that a jump or branch targets.
fn branch_targets(code: &[Command]) -> HashSet<usize> {
    code.iter()
        .filter_map(|command| match command.op {
            Op::Jump { target } | Op::Branch { target, .. } => Some(target as usize),
            _ => None,
        })
        .collect()
}

/// Prints commands, resolving parameter indices to names.
struct Names<'a>(&'a [Param]);

impl Names<'_> {
    fn command(&self, command: &Command) -> String {
        let mut text = self.op(&command.op);
        if let Some(token) = command.token {
            let _ = write!(text, " @t{}", token.0);
        }
        text
    }

    fn op(&self, op: &Op) -> String {
        let mnemonic = op.mnemonic();
        match op {
            Op::Scalar { op: tile_op, dtype, dst, inputs } => format!(
                "{mnemonic} {} r{}:{dtype} <-{}",
                tile_op_text(tile_op),
                dst.0,
                self.sources(tile_op, inputs)
            ),
            Op::Jump { target } => format!("{mnemonic} L{target}"),
            Op::Branch { cond, target, .. } => {
                format!("{mnemonic} {}, L{target}", self.operand(*cond))
            }
            Op::Assert { cond, message } => {
                format!("{mnemonic} {}, {}", self.operand(*cond), quote(message))
            }
            Op::Pop { cb } => format!("{mnemonic} cb{}", cb.0),
            Op::DmaIn { cb, src } => format!("{mnemonic} cb{} <- {}", cb.0, self.desc(src)),
            Op::DmaOut { cb, dst } => format!("{mnemonic} cb{} -> {}", cb.0, self.desc(dst)),
            Op::BcastLoad { cb, src, group } => {
                let desc = self.desc(src);
                format!("{mnemonic} cb{} <- {desc} group={}", cb.0, group_name(*group))
            }
            Op::Gather { cb, src } => format!("{mnemonic} cb{} <- {}", cb.0, self.index(src)),
            Op::Scatter { cb, dst } => format!("{mnemonic} cb{} -> {}", cb.0, self.index(dst)),
            Op::AtomicRmw { op, cb, dst, old } => {
                let mut text =
                    format!("{mnemonic} {} cb{} -> {}", op.name(), cb.0, self.index(dst));
                if let Some(old) = old {
                    let _ = write!(text, " old=cb{}", old.0);
                }
                text
            }
            Op::Prefetch { buffer, base, len } => format!(
                "{mnemonic} {} base={} len={}",
                self.param(*buffer),
                self.operand(*base),
                self.operand(*len)
            ),
            Op::Tile { op: tile_op, out, shape, dtype, inputs, .. } => {
                let (cb, arrow) = match out {
                    Dst::Push(cb) => (cb, "<-"),
                    Dst::Update(cb) => (cb, "="),
                };
                format!(
                    "{mnemonic} {} cb{}:{}{dtype} {arrow}{}",
                    tile_op_text(tile_op),
                    cb.0,
                    int_list(shape),
                    self.sources(tile_op, inputs)
                )
            }
            Op::ReSend { dir, cb } | Op::Send { dir, cb } => {
                format!("{mnemonic} cb{} -> {}", cb.0, dir_name(*dir))
            }
            Op::ReRecv { dir, cb } | Op::Recv { dir, cb } => {
                format!("{mnemonic} cb{} <- {}", cb.0, dir_name(*dir))
            }
            Op::Wait { token } => format!("{mnemonic} t{}", token.0),
            Op::Fence => mnemonic.to_string(),
            Op::Barrier { set } => format!("{mnemonic} {}", pe_set_text(*set)),
        }
    }

    /// The sources after an arrow, with their leading space (none when empty).
    fn sources(&self, op: &TileOp, inputs: &[Operand]) -> String {
        if let TileOp::Arange { start, end } = op {
            return format!(" {start}..{end}");
        }
        if inputs.is_empty() {
            return String::new();
        }
        format!(" {}", self.operands(inputs))
    }

    fn operands(&self, operands: &[Operand]) -> String {
        let items: Vec<String> = operands.iter().map(|&x| self.operand(x)).collect();
        items.join(", ")
    }

    fn operand(&self, operand: Operand) -> String {
        match operand {
            Operand::Cb(cb) => format!("cb{}", cb.0),
            Operand::Reg(reg) => format!("r{}", reg.0),
            Operand::Imm(imm) => format!("{}:{}", imm_value_text(imm), imm.dtype),
            Operand::Param(index) => format!("%{}", self.param(index)),
            Operand::Special(special) => special_name(special),
        }
    }

    /// A parameter's name; an index out of range (an invalid program) prints as
    /// `<param N>`, which does not parse.
    fn param(&self, index: u32) -> String {
        match self.0.get(index as usize) {
            Some(param) => param.name.clone(),
            None => format!("<param {index}>"),
        }
    }

    fn desc(&self, desc: &DmaDesc) -> String {
        let mut text = format!(
            "{} {}[base={}, shape={}, strides=[{}]]",
            level_name(desc.level),
            self.param(desc.buffer),
            self.operand(desc.base),
            int_list(&desc.shape),
            self.operands(&desc.strides)
        );
        match &desc.mask {
            DmaMask::All => {}
            DmaMask::Extents(extents) => {
                let _ = write!(text, " mask=[{}]", self.operands(extents));
            }
            DmaMask::Tile(cb) => {
                let _ = write!(text, " mask=cb{}", cb.0);
            }
        }
        text
    }

    fn index(&self, desc: &IndexDesc) -> String {
        let mut text =
            format!("{} {}[cb{}]", level_name(desc.level), self.param(desc.buffer), desc.index.0);
        if let Some(mask) = desc.mask {
            let _ = write!(text, " mask=cb{}", mask.0);
        }
        text
    }
}

/// The name of a tile op with its attributes (`sum axis=1`, `trans perm=[1,0]`).
fn tile_op_text(op: &TileOp) -> String {
    let name = tile_op_name(op);
    match op {
        TileOp::ExpandDims { axis } | TileOp::Reduce { axis, .. } | TileOp::Scan { axis, .. } => {
            format!("{name} axis={axis}")
        }
        TileOp::Trans { perm } => format!("{name} perm={}", int_list(perm)),
        TileOp::Arange { .. }
        | TileOp::Splat
        | TileOp::Broadcast
        | TileOp::Reshape
        | TileOp::Unary(_)
        | TileOp::Binary(_)
        | TileOp::Cmp(_)
        | TileOp::Select
        | TileOp::Cast
        | TileOp::Fma
        | TileOp::Dot
        | TileOp::Copy => name.to_string(),
    }
}

fn int_list<T: std::fmt::Display>(items: &[T]) -> String {
    let items: Vec<String> = items.iter().map(|x| x.to_string()).collect();
    format!("[{}]", items.join(","))
}

/// The value part of an immediate: the shortest decimal that parses back to the
/// exact bits, else the raw bits in hex (floats only; an immediate whose bits do not
/// fit its dtype, which validation rejects, also prints as hex and does not parse).
fn imm_value_text(imm: Imm) -> String {
    let hex = || format!("0x{:0width$x}", imm.bits, width = (imm.dtype.bits() / 4) as usize);
    if imm.to_scalar().is_none() {
        return hex();
    }
    let bits = imm.bits;
    let decimal = match imm.dtype {
        ScalarType::Bool => return (bits == 1).to_string(),
        ScalarType::I8 => return (bits as u8 as i8).to_string(),
        ScalarType::I16 => return (bits as u16 as i16).to_string(),
        ScalarType::I32 => return (bits as u32 as i32).to_string(),
        ScalarType::I64 => return (bits as i64).to_string(),
        ScalarType::U8 | ScalarType::U16 | ScalarType::U32 | ScalarType::U64 => {
            return bits.to_string()
        }
        ScalarType::F32 => format!("{:?}", f32::from_bits(bits as u32)),
        ScalarType::F64 => format!("{:?}", f64::from_bits(bits)),
        ScalarType::F16 => shortest_decimal(f16::from_bits(bits as u16).to_f64(), imm.dtype),
        ScalarType::BF16 => shortest_decimal(bf16::from_bits(bits as u16).to_f64(), imm.dtype),
    };
    if float_bits(&decimal, imm.dtype) == Some(bits) {
        decimal
    } else {
        hex()
    }
}

/// The decimal with the fewest significant digits that rounds to `value` in the
/// 16-bit float type `dtype` (Rust's `{:?}` is shortest only for f32 and f64).
fn shortest_decimal(value: f64, dtype: ScalarType) -> String {
    let fallback = format!("{value:?}");
    for digits in 0..17 {
        let Ok(rounded) = format!("{value:.digits$e}").parse::<f64>() else {
            return fallback;
        };
        let text = format!("{rounded:?}");
        if float_bits(&text, dtype) == float_bits(&fallback, dtype) {
            return text;
        }
    }
    fallback
}

fn level_name(level: MemLevel) -> &'static str {
    match level {
        MemLevel::Dram => "dram",
        MemLevel::Sram => "sram",
    }
}

fn dir_name(dir: Dir) -> &'static str {
    match dir {
        Dir::North => "north",
        Dir::South => "south",
        Dir::East => "east",
        Dir::West => "west",
    }
}

fn group_name(group: Group) -> &'static str {
    match group {
        Group::Row => "row",
        Group::Col => "col",
    }
}

fn special_name(special: Special) -> String {
    match special {
        Special::PeRow => "pe.row".into(),
        Special::PeCol => "pe.col".into(),
        Special::PeRows => "pe.rows".into(),
        Special::PeCols => "pe.cols".into(),
        Special::Grid(axis) => format!("grid.{axis}"),
    }
}

fn pe_set_text(set: PeSet) -> String {
    match set {
        PeSet::All => "all".into(),
        PeSet::Row => "row".into(),
        PeSet::Col => "col".into(),
        PeSet::Rect { row, col, rows, cols } => format!("rect[{row},{col},{rows},{cols}]"),
    }
}

/// A double-quoted string with `\" \\ \n \t \r` escapes and `\u{…}` for other
/// control characters, so any message fits on one line.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

// ---------------------------------------------------------------------------------------
// Names shared by the printer and the parser
// ---------------------------------------------------------------------------------------

const LEVELS: [MemLevel; 2] = [MemLevel::Dram, MemLevel::Sram];
const DIRS: [Dir; 4] = [Dir::North, Dir::South, Dir::East, Dir::West];
const GROUPS: [Group; 2] = [Group::Row, Group::Col];
const ATOMIC_OPS: [AtomicOp; 2] = [AtomicOp::Add, AtomicOp::Max];
const SPECIALS: [Special; 7] = [
    Special::PeRow,
    Special::PeCol,
    Special::PeRows,
    Special::PeCols,
    Special::Grid(0),
    Special::Grid(1),
    Special::Grid(2),
];

/// The engine an engine mnemonic names (`se_op` and `se_lut` both name the SIMD engine).
fn engine_of(mnemonic: &str) -> Option<Engine> {
    Some(match mnemonic {
        "dpe_mm" => Engine::Dpe,
        "re_op" => Engine::Re,
        "se_op" | "se_lut" => Engine::Se,
        "mlu" => Engine::Mlu,
        "vec_op" => Engine::Vec,
        _ => return None,
    })
}

/// The exact bits of float text `text` in `dtype`: `0x…` is raw bits (at most the
/// dtype's width), anything else a decimal rounded once to the dtype; `None` when the
/// text is not a float or a finite decimal overflows.
fn float_bits(text: &str, dtype: ScalarType) -> Option<u64> {
    if let Some(hex) = text.strip_prefix("0x") {
        let bits = u64::from_str_radix(hex, 16).ok()?;
        return (dtype.bits() == 64 || bits >> dtype.bits() == 0).then_some(bits);
    }
    let spelled_infinite = text.to_ascii_lowercase().contains("inf");
    let (bits, infinite) = match dtype {
        ScalarType::F32 => text.parse::<f32>().ok().map(|v| (v.to_bits() as u64, v.is_infinite())),
        ScalarType::F64 => text.parse::<f64>().ok().map(|v| (v.to_bits(), v.is_infinite())),
        ScalarType::F16 => text
            .parse::<f64>()
            .ok()
            .map(f16::from_f64)
            .map(|v| (v.to_bits() as u64, v.is_infinite())),
        ScalarType::BF16 => text
            .parse::<f64>()
            .ok()
            .map(bf16::from_f64)
            .map(|v| (v.to_bits() as u64, v.is_infinite())),
        _ => None,
    }?;
    (infinite == spelled_infinite).then_some(bits)
}

/// The immediate of `dtype` that value text `text` spells, if any.
fn parse_imm(text: &str, dtype: ScalarType) -> Option<Imm> {
    let bits = match dtype {
        ScalarType::Bool => match text {
            "true" => 1,
            "false" => 0,
            _ => return None,
        },
        _ if dtype.is_float() => float_bits(text, dtype)?,
        _ => int_bits(text, dtype)?,
    };
    Some(Imm { dtype, bits })
}

/// A decimal integer in the range of the integer type `dtype`, as its zero-extended bits.
fn int_bits(text: &str, dtype: ScalarType) -> Option<u64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: i128 = text.parse().ok()?;
    let width = dtype.bits();
    let (min, max) = if dtype.is_signed_int() {
        (-(1i128 << (width - 1)), (1i128 << (width - 1)) - 1)
    } else {
        (0, (1i128 << width) - 1)
    };
    if value < min || value > max {
        return None;
    }
    let mask = if width == 64 { u64::MAX } else { (1u64 << width) - 1 };
    Some(value as u64 & mask)
}

// ---------------------------------------------------------------------------------------
// Lexer
// ---------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Ident(String),
    Num(String),
    /// `%name`; holds `name`.
    Param(String),
    /// A string literal, escapes resolved.
    Str(String),
    Sym(&'static str),
}

const SYMS: [&str; 10] = ["<-", "->", "..", "[", "]", ",", ":", "=", "*", "@"];

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

/// Splits one line into tokens with their 1-based columns.
fn lex(line: &str, lineno: usize) -> Result<Vec<(Tok, usize)>, AsmError> {
    let chars: Vec<char> = line.chars().collect();
    let error = |col: usize, kind| AsmError { line: lineno, col, kind };
    let mut toks = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let col = i + 1;
        let next = chars.get(i + 1).copied();
        let (tok, end) = if c == ';' {
            break;
        } else if c.is_whitespace() {
            i += 1;
            continue;
        } else if is_ident_start(c) {
            let end = ident_end(&chars, i);
            (Tok::Ident(chars[i..end].iter().collect()), end)
        } else if c.is_ascii_digit()
            || (c == '-' && next.is_some_and(|n| n.is_ascii_alphanumeric()))
        {
            let end = number_end(&chars, i);
            (Tok::Num(chars[i..end].iter().collect()), end)
        } else if c == '%' && next.is_some_and(is_ident_start) {
            let end = ident_end(&chars, i + 1);
            (Tok::Param(chars[i + 1..end].iter().collect()), end)
        } else if c == '"' {
            let (text, end) = string(&chars, i).map_err(|(at, kind)| error(at + 1, kind))?;
            (Tok::Str(text), end)
        } else {
            let sym = SYMS.into_iter().find(|s| {
                let n = s.chars().count();
                chars.get(i..i + n).is_some_and(|w| w.iter().copied().eq(s.chars()))
            });
            let Some(sym) = sym else {
                return Err(error(col, AsmErrorKind::UnexpectedChar(c)));
            };
            (Tok::Sym(sym), i + sym.len())
        };
        toks.push((tok, col));
        i = end;
    }
    Ok(toks)
}

fn ident_end(chars: &[char], start: usize) -> usize {
    let mut end = start;
    while chars.get(end).copied().is_some_and(is_ident_char) {
        end += 1;
    }
    end
}

/// The end of the number starting at `start` (a digit, or `-` before a letter or digit).
fn number_end(chars: &[char], start: usize) -> usize {
    let digits = start + usize::from(chars[start] == '-');
    let hex = chars.get(digits) == Some(&'0') && chars.get(digits + 1) == Some(&'x');
    let mut end = start + 1;
    while let Some(&c) = chars.get(end) {
        let prev = chars[end - 1];
        let next_is_digit = chars.get(end + 1).is_some_and(|n| n.is_ascii_digit());
        let continues = c.is_ascii_alphanumeric()
            || c == '_'
            || (c == '.' && next_is_digit)
            || (matches!(c, '+' | '-') && matches!(prev, 'e' | 'E') && !hex);
        if !continues {
            break;
        }
        end += 1;
    }
    end
}

/// The string literal opening at `start`: its text and the index after the closing
/// quote, or the index and kind of the error.
fn string(chars: &[char], start: usize) -> Result<(String, usize), (usize, AsmErrorKind)> {
    let mut out = String::new();
    let mut i = start + 1;
    loop {
        match chars.get(i) {
            None => return Err((start, AsmErrorKind::UnterminatedString)),
            Some('"') => return Ok((out, i + 1)),
            Some('\\') => {
                let (c, end) = escape(chars, i)?;
                out.push(c);
                i = end;
            }
            Some(&c) => {
                out.push(c);
                i += 1;
            }
        }
    }
}

/// The escape starting with the backslash at `start`.
fn escape(chars: &[char], start: usize) -> Result<(char, usize), (usize, AsmErrorKind)> {
    let simple = match chars.get(start + 1) {
        Some('"') => Some('"'),
        Some('\\') => Some('\\'),
        Some('n') => Some('\n'),
        Some('t') => Some('\t'),
        Some('r') => Some('\r'),
        None => return Err((start, AsmErrorKind::UnterminatedString)),
        Some(_) => None,
    };
    if let Some(c) = simple {
        return Ok((c, start + 2));
    }
    let close = chars.iter().skip(start).position(|&c| c == '}').map(|p| start + p);
    let bad = |end: usize| {
        let end = end.min(chars.len());
        (start, AsmErrorKind::BadEscape(chars[start..end].iter().collect()))
    };
    if chars.get(start + 1) != Some(&'u') || chars.get(start + 2) != Some(&'{') {
        return Err(bad(start + 2));
    }
    let Some(close) = close else { return Err(bad(start + 3)) };
    let digits: String = chars[start + 3..close].iter().collect();
    let code = (!digits.is_empty() && digits.len() <= 6)
        .then(|| u32::from_str_radix(&digits, 16).ok().and_then(char::from_u32))
        .flatten();
    code.map(|c| (c, close + 1)).ok_or_else(|| bad(close + 1))
}

// ---------------------------------------------------------------------------------------
// Token cursor
// ---------------------------------------------------------------------------------------

/// The tokens of one line and a position in them.
struct Cursor {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    line: usize,
    /// The column just past the line, where "end of line" errors point.
    end_col: usize,
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Ident(s) | Tok::Num(s) => format!("`{s}`"),
        Tok::Param(s) => format!("`%{s}`"),
        Tok::Str(s) => format!("string {}", quote(s)),
        Tok::Sym(s) => format!("`{s}`"),
    }
}

impl Cursor {
    fn col(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end_col, |t| t.1)
    }

    fn err_at(&self, col: usize, kind: AsmErrorKind) -> AsmError {
        AsmError { line: self.line, col, kind }
    }

    fn expected(&self, what: &str) -> AsmError {
        let found = self.toks.get(self.pos).map_or("end of line".to_string(), |t| describe(&t.0));
        self.err_at(self.col(), AsmErrorKind::Expected { expected: what.to_string(), found })
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

    fn at_end(&self) -> bool {
        self.pos == self.toks.len()
    }

    /// Consumes symbol `s` if it is next.
    fn eat_sym(&mut self, s: &str) -> bool {
        let found = self.at_sym(s);
        self.pos += usize::from(found);
        found
    }

    fn sym(&mut self, s: &str) -> Result<(), AsmError> {
        if self.eat_sym(s) {
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
    fn field(&mut self, name: &str) -> Result<(), AsmError> {
        self.kw(name)?;
        self.sym("=")
    }

    fn ident(&mut self, what: &str) -> Result<(String, usize), AsmError> {
        match self.toks.get(self.pos) {
            Some((Tok::Ident(s), col)) => {
                let found = (s.clone(), *col);
                self.pos += 1;
                Ok(found)
            }
            _ => Err(self.expected(what)),
        }
    }

    /// A decimal integer of type `T`.
    fn int<T: std::str::FromStr>(&mut self) -> Result<T, AsmError> {
        let Some((Tok::Num(text), col)) = self.toks.get(self.pos) else {
            return Err(self.expected("a number"));
        };
        let digits = text.strip_prefix('-').unwrap_or(text);
        let parsed = digits.bytes().all(|b| b.is_ascii_digit()).then(|| text.parse::<T>().ok());
        match parsed.flatten() {
            Some(value) => {
                self.pos += 1;
                Ok(value)
            }
            None => Err(self.err_at(*col, AsmErrorKind::BadNumber(text.clone()))),
        }
    }

    /// `[INT,…]`, possibly empty.
    fn int_list<T: std::str::FromStr>(&mut self) -> Result<Vec<T>, AsmError> {
        self.sym("[")?;
        let mut items = Vec::new();
        if self.eat_sym("]") {
            return Ok(items);
        }
        loop {
            items.push(self.int()?);
            if !self.eat_sym(",") {
                self.sym("]")?;
                return Ok(items);
            }
        }
    }

    /// An identifier `PREFIX` + decimal digits (`cb3`, `r4`, `t0`, `L7`).
    fn numbered(&mut self, prefix: &str, what: &str) -> Result<u32, AsmError> {
        match self.toks.get(self.pos) {
            Some((Tok::Ident(s), col)) if numbered_suffix(s, prefix).is_some() => {
                let col = *col;
                let digits = numbered_suffix(s, prefix).unwrap_or_default();
                let value = digits
                    .parse::<u32>()
                    .map_err(|_| self.err_at(col, AsmErrorKind::BadNumber(s.clone())))?;
                self.pos += 1;
                Ok(value)
            }
            _ => Err(self.expected(what)),
        }
    }

    fn cb(&mut self) -> Result<CbId, AsmError> {
        self.numbered("cb", "a circular buffer `cbN`").map(CbId)
    }

    fn dtype(&mut self) -> Result<ScalarType, AsmError> {
        let (name, col) = self.ident("a dtype")?;
        ScalarType::from_name(&name)
            .ok_or_else(|| self.err_at(col, AsmErrorKind::Unknown { what: "dtype", name }))
    }

    /// An identifier naming one of `items` by `name_of`.
    fn one_of<T: Copy>(
        &mut self,
        what: &'static str,
        items: &[T],
        name_of: impl Fn(T) -> String,
    ) -> Result<T, AsmError> {
        let (name, col) = self.ident(what)?;
        let found = items.iter().copied().find(|&x| name_of(x) == name);
        found.ok_or_else(|| self.err_at(col, AsmErrorKind::Unknown { what, name }))
    }

    fn end(&self) -> Result<(), AsmError> {
        if self.at_end() {
            Ok(())
        } else {
            Err(self.expected("end of line"))
        }
    }
}

/// The digits after `prefix` when `s` is `prefix` followed by one or more digits.
fn numbered_suffix<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    s.strip_prefix(prefix).filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

// ---------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------

/// Which part of the text comes next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Kernel,
    Params,
    Cbs,
    Code,
}

/// A 1-based line and column.
type Pos = (usize, usize);

struct Parser {
    stage: Stage,
    program: Program,
    kernel_pos: Pos,
    param_pos: Vec<Pos>,
    cb_pos: Vec<Pos>,
    command_pos: Vec<Pos>,
    labels: HashSet<u32>,
    /// Every label operand with where it was written.
    label_refs: Vec<(u32, Pos)>,
}

const HEADER_KEYWORDS: [&str; 4] = ["kernel", "param", "regs", "cb_alloc"];

impl Parser {
    fn new() -> Parser {
        let program =
            Program { kernel: String::new(), params: vec![], cbs: vec![], regs: 0, code: vec![] };
        Parser {
            stage: Stage::Kernel,
            program,
            kernel_pos: (1, 1),
            param_pos: Vec::new(),
            cb_pos: Vec::new(),
            command_pos: Vec::new(),
            labels: HashSet::new(),
            label_refs: Vec::new(),
        }
    }

    fn line(&mut self, mut c: Cursor) -> Result<(), AsmError> {
        let pos = (c.line, c.col());
        let first = match c.peek() {
            Some(Tok::Ident(word)) => word.clone(),
            _ => String::new(),
        };
        match (self.stage, first.as_str()) {
            (Stage::Kernel, _) => {
                c.kw("kernel")?;
                self.program.kernel = c.ident("a kernel name")?.0;
                self.kernel_pos = pos;
                self.stage = Stage::Params;
            }
            (Stage::Params, "param") => self.param(&mut c, pos)?,
            (Stage::Params, "regs") => {
                c.pos += 1;
                self.program.regs = c.int()?;
                self.stage = Stage::Cbs;
            }
            (Stage::Cbs, "cb_alloc") => self.cb_alloc(&mut c, pos)?,
            (Stage::Params | Stage::Cbs | Stage::Code, word) if HEADER_KEYWORDS.contains(&word) => {
                return Err(c.err_at(pos.1, AsmErrorKind::Misplaced(word.to_string())));
            }
            (Stage::Params, _) => return Err(c.expected("`param` or `regs`")),
            (Stage::Cbs | Stage::Code, _) => {
                self.stage = Stage::Code;
                return self.code_line(c);
            }
        }
        c.end()
    }

    fn param(&mut self, c: &mut Cursor, pos: Pos) -> Result<(), AsmError> {
        c.pos += 1;
        let (name, name_col) = c.ident("a parameter name")?;
        c.sym(":")?;
        let buffer = c.eat_sym("*");
        let dtype = c.dtype()?;
        if self.program.params.iter().any(|p| p.name == name) {
            let kind = AsmErrorKind::Invalid(ProgramError::DuplicateParam(name));
            return Err(c.err_at(name_col, kind));
        }
        let kind = if buffer { ParamKind::Buffer(dtype) } else { ParamKind::Scalar(dtype) };
        self.program.params.push(Param { name, kind });
        self.param_pos.push(pos);
        Ok(())
    }

    fn cb_alloc(&mut self, c: &mut Cursor, pos: Pos) -> Result<(), AsmError> {
        c.pos += 1;
        let expected = self.program.cbs.len();
        let index_col = c.col();
        if c.cb()?.0 as usize != expected {
            let found = describe(&c.toks[c.pos - 1].0);
            let kind = AsmErrorKind::Expected { expected: format!("`cb{expected}`"), found };
            return Err(c.err_at(index_col, kind));
        }
        c.field("slot_bytes")?;
        let slot_bytes = c.int()?;
        c.field("depth")?;
        let depth = c.int()?;
        self.program.cbs.push(CbDecl { slot_bytes, depth });
        self.cb_pos.push(pos);
        Ok(())
    }

    /// A label definition, a command, or a label followed by a command.
    fn code_line(&mut self, mut c: Cursor) -> Result<(), AsmError> {
        let label = match c.toks.get(..2) {
            Some([(Tok::Ident(s), col), (Tok::Sym(":"), _)]) => {
                numbered_suffix(s, "L").map(|_| *col)
            }
            _ => None,
        };
        if let Some(col) = label {
            let label = c.numbered("L", "a label")?;
            c.pos += 1;
            let index = self.program.code.len();
            if label as usize != index {
                return Err(c.err_at(col, AsmErrorKind::MisplacedLabel { label, index }));
            }
            if !self.labels.insert(label) {
                return Err(c.err_at(col, AsmErrorKind::DuplicateLabel(label)));
            }
            if c.at_end() {
                return Ok(());
            }
        }
        let pos = (c.line, c.col());
        let mut line = LineParser { c, params: &self.program.params, label_refs: Vec::new() };
        let command = line.command()?;
        self.label_refs.append(&mut line.label_refs);
        self.program.code.push(command);
        self.command_pos.push(pos);
        Ok(())
    }

    fn finish(self, end: Pos) -> Result<Program, AsmError> {
        let at = |(line, col): Pos, kind| AsmError { line, col, kind };
        match self.stage {
            Stage::Kernel => return Err(at(end, AsmErrorKind::MissingHeader("kernel"))),
            Stage::Params => return Err(at(end, AsmErrorKind::MissingHeader("regs"))),
            Stage::Cbs | Stage::Code => {}
        }
        if let Some(&(label, pos)) = self.label_refs.iter().find(|r| !self.labels.contains(&r.0)) {
            return Err(at(pos, AsmErrorKind::UndefinedLabel(label)));
        }
        if let Err(error) = self.program.validate() {
            return Err(at(self.locate(&error), AsmErrorKind::Invalid(error)));
        }
        Ok(self.program)
    }

    /// Where the entity a validation error names was written.
    fn locate(&self, error: &ProgramError) -> Pos {
        let param_named = |name: &str| {
            let index = self.program.params.iter().rposition(|p| p.name == name)?;
            self.param_pos.get(index).copied()
        };
        let found = match error {
            ProgramError::BadName(name) | ProgramError::DuplicateParam(name) => param_named(name),
            ProgramError::BadCb { index, .. } => self.cb_pos.get(*index).copied(),
            ProgramError::BadCommand { index, .. } => self.command_pos.get(*index).copied(),
        };
        found.unwrap_or(self.kernel_pos)
    }
}

/// Parses one command from a line's tokens.
struct LineParser<'a> {
    c: Cursor,
    params: &'a [Param],
    label_refs: Vec<(u32, Pos)>,
}

impl LineParser<'_> {
    fn command(&mut self) -> Result<Command, AsmError> {
        let op = self.op()?;
        let token = if self.c.eat_sym("@") {
            Some(Token(self.c.numbered("t", "a token `tN`")?))
        } else {
            None
        };
        self.c.end()?;
        Ok(Command { op, token })
    }

    fn op(&mut self) -> Result<Op, AsmError> {
        let (mnemonic, col) = self.c.ident("an operation")?;
        Ok(match mnemonic.as_str() {
            "s_op" => self.scalar_op()?,
            "jmp" => Op::Jump { target: self.label()? },
            "br" | "brz" => {
                let cond = self.operand()?;
                self.c.sym(",")?;
                Op::Branch { cond, when: mnemonic == "br", target: self.label()? }
            }
            "assert" => {
                let cond = self.operand()?;
                self.c.sym(",")?;
                Op::Assert { cond, message: self.string()? }
            }
            "pop" => Op::Pop { cb: self.c.cb()? },
            "dma_in" | "dma_out" | "bcast_load" => self.dma(&mnemonic)?,
            "gather" | "scatter" | "atomic" => self.indexed(&mnemonic)?,
            "prefetch" => {
                let buffer = self.buffer()?;
                self.c.field("base")?;
                let base = self.operand()?;
                self.c.field("len")?;
                Op::Prefetch { buffer, base, len: self.operand()? }
            }
            "re_send" | "re_recv" | "send" | "recv" => self.neighbour(&mnemonic)?,
            "wait" => Op::Wait { token: Token(self.c.numbered("t", "a token `tN`")?) },
            "fence" => Op::Fence,
            "barrier" => Op::Barrier { set: self.pe_set()? },
            word if HEADER_KEYWORDS.contains(&word) => {
                return Err(self.c.err_at(col, AsmErrorKind::Misplaced(mnemonic)));
            }
            _ => match engine_of(&mnemonic) {
                Some(engine) => self.tile(engine, &mnemonic, col)?,
                None => {
                    let kind = AsmErrorKind::Unknown { what: "operation", name: mnemonic };
                    return Err(self.c.err_at(col, kind));
                }
            },
        })
    }

    /// `s_op TOP rN:DTYPE <- SRCS`
    fn scalar_op(&mut self) -> Result<Op, AsmError> {
        let mut op = self.tile_op()?.0;
        let dst = Reg(self.c.numbered("r", "a register `rN`")?);
        self.c.sym(":")?;
        let dtype = self.c.dtype()?;
        self.c.sym("<-")?;
        let inputs = self.sources(&mut op)?;
        Ok(Op::Scalar { op, dtype, dst, inputs })
    }

    /// `ENGINE TOP cbN:[D,…]DTYPE <-|= SRCS`
    fn tile(&mut self, engine: Engine, mnemonic: &str, col: usize) -> Result<Op, AsmError> {
        let (mut op, op_name) = self.tile_op()?;
        if engine == Engine::Se {
            let expected = match op {
                TileOp::Unary(unary) if is_lut(unary) => "se_lut",
                _ => "se_op",
            };
            if expected != mnemonic {
                let found = if expected == "se_op" { "se_lut" } else { "se_op" };
                let kind = AsmErrorKind::WrongMnemonic { op: op_name, found };
                return Err(self.c.err_at(col, kind));
            }
        }
        let cb = self.c.cb()?;
        self.c.sym(":")?;
        let shape = self.c.int_list()?;
        let dtype = self.c.dtype()?;
        let out = if self.c.eat_sym("<-") {
            Dst::Push(cb)
        } else if self.c.eat_sym("=") {
            Dst::Update(cb)
        } else {
            return Err(self.c.expected("`<-` (push) or `=` (update)"));
        };
        let inputs = self.sources(&mut op)?;
        Ok(Op::Tile { engine, op, out, shape, dtype, inputs })
    }

    /// A tile op with its attributes, and its base name; `arange` gets its bounds from
    /// [`Self::sources`].
    fn tile_op(&mut self) -> Result<(TileOp, &'static str), AsmError> {
        let (name, col) = self.c.ident("a tile op")?;
        let fixed = [
            TileOp::Arange { start: 0, end: 0 },
            TileOp::Splat,
            TileOp::Broadcast,
            TileOp::Reshape,
            TileOp::Select,
            TileOp::Cast,
            TileOp::Fma,
            TileOp::Dot,
            TileOp::Copy,
        ];
        if let Some(op) = fixed.into_iter().find(|op| tile_op_name(op) == name) {
            let op_name = tile_op_name(&op);
            return Ok((op, op_name));
        }
        let op = match name.as_str() {
            "expand_dims" => TileOp::ExpandDims { axis: self.axis()? },
            "trans" => {
                self.c.field("perm")?;
                TileOp::Trans { perm: self.c.int_list()? }
            }
            _ => {
                let reduce = ReduceOp::from_name(&name).filter(|_| self.c.at_kw("axis"));
                if let Some(op) = reduce {
                    TileOp::Reduce { op, axis: self.axis()? }
                } else if let Some(op) = ScanOp::from_name(&name) {
                    TileOp::Scan { op, axis: self.axis()? }
                } else if let Some(op) = UnaryOp::from_name(&name) {
                    TileOp::Unary(op)
                } else if let Some(op) = BinaryOp::from_name(&name) {
                    TileOp::Binary(op)
                } else if let Some(pred) = CmpPred::from_name(&name) {
                    TileOp::Cmp(pred)
                } else if ReduceOp::from_name(&name).is_some() {
                    return Err(self.c.expected("`axis`"));
                } else {
                    let kind = AsmErrorKind::Unknown { what: "tile op", name };
                    return Err(self.c.err_at(col, kind));
                }
            }
        };
        let op_name = tile_op_name(&op);
        Ok((op, op_name))
    }

    /// `axis=A`
    fn axis(&mut self) -> Result<u32, AsmError> {
        self.c.field("axis")?;
        self.c.int()
    }

    /// The sources after the arrow: `START..END` for `arange` (filled into `op`), else
    /// a possibly empty operand list.
    fn sources(&mut self, op: &mut TileOp) -> Result<Vec<Operand>, AsmError> {
        if let TileOp::Arange { start, end } = op {
            *start = self.c.int()?;
            self.c.sym("..")?;
            *end = self.c.int()?;
            return Ok(Vec::new());
        }
        if self.c.at_end() || self.c.at_sym("@") {
            return Ok(Vec::new());
        }
        self.operand_list()
    }

    fn operand_list(&mut self) -> Result<Vec<Operand>, AsmError> {
        let mut operands = vec![self.operand()?];
        while self.c.eat_sym(",") {
            operands.push(self.operand()?);
        }
        Ok(operands)
    }

    /// `[OP, …]`, possibly empty.
    fn operand_brackets(&mut self) -> Result<Vec<Operand>, AsmError> {
        self.c.sym("[")?;
        if self.c.eat_sym("]") {
            return Ok(Vec::new());
        }
        let operands = self.operand_list()?;
        self.c.sym("]")?;
        Ok(operands)
    }

    fn operand(&mut self) -> Result<Operand, AsmError> {
        let Some((tok, col)) = self.c.toks.get(self.c.pos).cloned() else {
            return Err(self.c.expected("an operand"));
        };
        let imm_follows = matches!(self.c.toks.get(self.c.pos + 1), Some((Tok::Sym(":"), _)));
        match tok {
            Tok::Param(name) => {
                self.c.pos += 1;
                self.param_index(name, col).map(Operand::Param)
            }
            Tok::Ident(s) if numbered_suffix(&s, "cb").is_some() => self.c.cb().map(Operand::Cb),
            Tok::Ident(s) if numbered_suffix(&s, "r").is_some() => {
                self.c.numbered("r", "a register").map(|r| Operand::Reg(Reg(r)))
            }
            Tok::Ident(s) if s.starts_with("grid.") || s.starts_with("pe.") => {
                self.c.pos += 1;
                special(&s).map(Operand::Special).ok_or_else(|| {
                    self.c.err_at(col, AsmErrorKind::Unknown { what: "PE register", name: s })
                })
            }
            Tok::Num(text) | Tok::Ident(text) if imm_follows => {
                self.c.pos += 2;
                let dtype = self.c.dtype()?;
                let imm = parse_imm(&text, dtype);
                let kind = AsmErrorKind::BadImmediate { text, dtype };
                imm.map(Operand::Imm).ok_or_else(|| self.c.err_at(col, kind))
            }
            Tok::Num(_) => {
                self.c.pos += 1;
                Err(self.c.expected("`:` and a dtype after the immediate"))
            }
            _ => Err(self.c.expected("an operand")),
        }
    }

    fn param_index(&self, name: String, col: usize) -> Result<u32, AsmError> {
        match self.params.iter().position(|p| p.name == name) {
            Some(index) => Ok(index as u32),
            None => Err(self.c.err_at(col, AsmErrorKind::Unknown { what: "parameter", name })),
        }
    }

    /// A buffer parameter by name (validation checks that it is a buffer).
    fn buffer(&mut self) -> Result<u32, AsmError> {
        let (name, col) = self.c.ident("a buffer parameter")?;
        self.param_index(name, col)
    }

    fn label(&mut self) -> Result<u32, AsmError> {
        let pos = (self.c.line, self.c.col());
        let label = self.c.numbered("L", "a label `LN`")?;
        self.label_refs.push((label, pos));
        Ok(label)
    }

    fn string(&mut self) -> Result<String, AsmError> {
        match self.c.peek() {
            Some(Tok::Str(text)) => {
                let text = text.clone();
                self.c.pos += 1;
                Ok(text)
            }
            _ => Err(self.c.expected("a string")),
        }
    }

    fn level(&mut self) -> Result<MemLevel, AsmError> {
        self.c.one_of("memory level", &LEVELS, |l| level_name(l).into())
    }

    /// `dma_in cbN <- DESC`, `dma_out cbN -> DESC`, `bcast_load cbN <- DESC group=G`.
    fn dma(&mut self, mnemonic: &str) -> Result<Op, AsmError> {
        let cb = self.c.cb()?;
        self.c.sym(if mnemonic == "dma_out" { "->" } else { "<-" })?;
        let desc = self.desc()?;
        Ok(match mnemonic {
            "dma_in" => Op::DmaIn { cb, src: desc },
            "dma_out" => Op::DmaOut { cb, dst: desc },
            _ => {
                self.c.field("group")?;
                let group = self.c.one_of("group", &GROUPS, |g| group_name(g).into())?;
                Op::BcastLoad { cb, src: desc, group }
            }
        })
    }

    /// `LEVEL BUF[base=OP, shape=[…], strides=[…]] [mask=…]`
    fn desc(&mut self) -> Result<DmaDesc, AsmError> {
        let level = self.level()?;
        let buffer = self.buffer()?;
        self.c.sym("[")?;
        self.c.field("base")?;
        let base = self.operand()?;
        self.c.sym(",")?;
        self.c.field("shape")?;
        let shape = self.c.int_list()?;
        self.c.sym(",")?;
        self.c.field("strides")?;
        let strides = self.operand_brackets()?;
        self.c.sym("]")?;
        let mask = if !self.c.at_kw("mask") {
            DmaMask::All
        } else {
            self.c.field("mask")?;
            if self.c.at_sym("[") {
                DmaMask::Extents(self.operand_brackets()?)
            } else {
                DmaMask::Tile(self.c.cb()?)
            }
        };
        Ok(DmaDesc { level, buffer, base, shape, strides, mask })
    }

    /// `gather cbN <- IDX`, `scatter cbN -> IDX`, `atomic OP cbN -> IDX [old=cbO]`.
    fn indexed(&mut self, mnemonic: &str) -> Result<Op, AsmError> {
        let atomic = match mnemonic {
            "atomic" => Some(self.c.one_of("atomic op", &ATOMIC_OPS, |a| a.name().into())?),
            _ => None,
        };
        let cb = self.c.cb()?;
        self.c.sym(if mnemonic == "gather" { "<-" } else { "->" })?;
        let desc = self.index_desc()?;
        Ok(match (mnemonic, atomic) {
            ("gather", _) => Op::Gather { cb, src: desc },
            (_, Some(op)) => {
                let old = if self.c.at_kw("old") {
                    self.c.field("old")?;
                    Some(self.c.cb()?)
                } else {
                    None
                };
                Op::AtomicRmw { op, cb, dst: desc, old }
            }
            _ => Op::Scatter { cb, dst: desc },
        })
    }

    /// `LEVEL BUF[cbI] [mask=cbM]`
    fn index_desc(&mut self) -> Result<IndexDesc, AsmError> {
        let level = self.level()?;
        let buffer = self.buffer()?;
        self.c.sym("[")?;
        let index = self.c.cb()?;
        self.c.sym("]")?;
        let mask = if self.c.at_kw("mask") {
            self.c.field("mask")?;
            Some(self.c.cb()?)
        } else {
            None
        };
        Ok(IndexDesc { level, buffer, index, mask })
    }

    /// `re_send cbN -> DIR`, `re_recv cbN <- DIR`, `send cbN -> DIR`, `recv cbN <- DIR`.
    fn neighbour(&mut self, mnemonic: &str) -> Result<Op, AsmError> {
        let cb = self.c.cb()?;
        let sends = mnemonic.ends_with("send");
        self.c.sym(if sends { "->" } else { "<-" })?;
        let dir = self.c.one_of("direction", &DIRS, |d| dir_name(d).into())?;
        Ok(match mnemonic {
            "re_send" => Op::ReSend { dir, cb },
            "re_recv" => Op::ReRecv { dir, cb },
            "send" => Op::Send { dir, cb },
            _ => Op::Recv { dir, cb },
        })
    }

    /// `all`, `row`, `col` or `rect[ROW,COL,ROWS,COLS]`.
    fn pe_set(&mut self) -> Result<PeSet, AsmError> {
        let (name, name_col) = self.c.ident("a PE set")?;
        Ok(match name.as_str() {
            "all" => PeSet::All,
            "row" => PeSet::Row,
            "col" => PeSet::Col,
            "rect" => {
                let list: Vec<u32> = self.c.int_list()?;
                let [row, col, rows, cols] = list[..] else {
                    let kind = AsmErrorKind::Expected {
                        expected: "4 numbers `[ROW,COL,ROWS,COLS]`".into(),
                        found: format!("{} numbers", list.len()),
                    };
                    return Err(self.c.err_at(name_col, kind));
                };
                PeSet::Rect { row, col, rows, cols }
            }
            _ => {
                let kind = AsmErrorKind::Unknown { what: "PE set", name };
                return Err(self.c.err_at(name_col, kind));
            }
        })
    }
}

/// The base name of a tile op, without attributes (`sum`, `trans`).
fn tile_op_name(op: &TileOp) -> &'static str {
    match op {
        TileOp::Arange { .. } => "arange",
        TileOp::Splat => "splat",
        TileOp::ExpandDims { .. } => "expand_dims",
        TileOp::Broadcast => "broadcast",
        TileOp::Reshape => "reshape",
        TileOp::Trans { .. } => "trans",
        TileOp::Unary(op) => op.name(),
        TileOp::Binary(op) => op.name(),
        TileOp::Cmp(pred) => pred.name(),
        TileOp::Select => "select",
        TileOp::Cast => "cast",
        TileOp::Fma => "fma",
        TileOp::Reduce { op, .. } => op.name(),
        TileOp::Scan { op, .. } => op.name(),
        TileOp::Dot => "dot",
        TileOp::Copy => "copy",
    }
}

/// The PE-id register named `name`.
fn special(name: &str) -> Option<Special> {
    SPECIALS.into_iter().find(|&s| special_name(s) == name)
}
