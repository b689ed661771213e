//! Tests of PE programs on one hand-written program that uses every operation, operand
//! kind, tile op, DMA mask, token and label form: the assembly and `.peo` round trips,
//! printed lines checked verbatim, assembly errors with their positions, and truncated,
//! corrupted and foreign `.peo` files.

/// Named `program` so `cargo test -p tessera-pegrid program` selects these tests.
mod program {
    use tessera_pegrid::program::asm::{parse_program, print_program, AsmError, AsmErrorKind};
    use tessera_pegrid::program::binary::{
        fnv1a64, load, save, LoadError, FORMAT_VERSION, HEADER_LEN, MAGIC,
    };
    use tessera_pegrid::program::*;

    fn cmd(op: Op) -> Command {
        Command::new(op)
    }

    fn with_token(op: Op, token: u32) -> Command {
        Command { op, token: Some(Token(token)) }
    }

    fn cb(i: u32) -> Operand {
        Operand::Cb(CbId(i))
    }

    fn reg(i: u32) -> Operand {
        Operand::Reg(Reg(i))
    }

    fn imm(value: Scalar) -> Operand {
        Operand::Imm(Imm::from_scalar(value))
    }

    fn imm_bits(dtype: ScalarType, bits: u64) -> Operand {
        Operand::Imm(Imm { dtype, bits })
    }

    fn special(s: Special) -> Operand {
        Operand::Special(s)
    }

    /// Parameter indices of [`sample`].
    const X: u32 = 0;
    const OUT: u32 = 1;
    const IDX: u32 = 2;
    const N: u32 = 3;
    const STRIDE_M: u32 = 4;
    const SCALE: u32 = 5;

    fn desc(level: MemLevel, buffer: u32, base: Operand, mask: DmaMask) -> DmaDesc {
        DmaDesc {
            level,
            buffer,
            base,
            shape: vec![64, 32],
            strides: vec![Operand::Param(STRIDE_M), imm(Scalar::I64(1))],
            mask,
        }
    }

    fn tile(
        engine: Engine,
        op: TileOp,
        out: Dst,
        shape: &[u64],
        dtype: ScalarType,
        inputs: &[Operand],
    ) -> Command {
        let shape = shape.to_vec();
        cmd(Op::Tile { engine, op, out, shape, dtype, inputs: inputs.to_vec() })
    }

    fn scalar(op: TileOp, dtype: ScalarType, dst: u32, operands: &[Operand]) -> Op {
        Op::Scalar { op, dtype, dst: Reg(dst), inputs: operands.to_vec() }
    }

    fn index(level: MemLevel, mask: Option<u32>) -> IndexDesc {
        IndexDesc { level, buffer: IDX, index: CbId(3), mask: mask.map(CbId) }
    }

    const F32: ScalarType = ScalarType::F32;
    const PUSH4: Dst = Dst::Push(CbId(4));
    const TILE: [u64; 2] = [64, 32];

    /// Index of the loop head, a backward branch target.
    const LOOP: u32 = 2;
    /// Index of the `brz` that leaves the loop (its target, the end, is patched in).
    const EXIT_BRANCH: usize = 3;

    /// Compute commands: every tile op on every engine that runs it at least once.
    fn compute() -> Vec<Command> {
        use Engine::{Dpe, Mlu, Re, Se, Vec as VecCore};
        use ScalarType::{Bool, BF16, F16, I32};
        use TileOp as T;
        let cb5 = Dst::Push(CbId(5));
        let cb3 = Dst::Push(CbId(3));
        let sum = T::Reduce { op: ReduceOp::Sum, axis: 1 };
        let argmax = T::Reduce { op: ReduceOp::ArgMax, axis: 0 };
        let cumsum = T::Scan { op: ScanOp::Cumsum, axis: 0 };
        let bf16_1_5 = imm(Scalar::BF16(half::bf16::from_f32(1.5)));
        vec![
            tile(Dpe, T::Dot, Dst::Update(CbId(6)), &TILE, F32, &[cb(0), cb(1), cb(6)]),
            tile(Re, sum, cb5, &[64], F32, &[cb(6)]),
            tile(Re, cumsum, cb5, &[64], F32, &[cb(5)]),
            tile(Re, T::Binary(BinaryOp::Add), Dst::Update(CbId(5)), &[64], F32, &[cb(5), cb(5)]),
            tile(Se, T::Unary(UnaryOp::Exp), PUSH4, &TILE, F32, &[cb(0)]),
            tile(Se, T::Unary(UnaryOp::Neg), PUSH4, &TILE, F32, &[cb(0)]),
            tile(Se, T::Binary(BinaryOp::Mul), PUSH4, &TILE, F32, &[cb(0), imm(Scalar::F32(2.5))]),
            tile(
                Se,
                T::Cmp(CmpPred::Ge),
                Dst::Push(CbId(7)),
                &TILE,
                Bool,
                &[cb(0), Operand::Param(SCALE)],
            ),
            tile(Se, T::Select, PUSH4, &TILE, F32, &[cb(7), cb(0), imm(Scalar::F32(-0.0))]),
            tile(Se, T::Cast, PUSH4, &TILE, F16, &[cb(0)]),
            tile(Se, T::Fma, PUSH4, &TILE, F32, &[cb(0), cb(0), imm_bits(F32, 0x7fc0_0001)]),
            tile(Se, T::Arange { start: 0, end: 64 }, cb3, &[64], I32, &[]),
            tile(Se, T::Splat, cb3, &[64], I32, &[reg(1)]),
            tile(Se, T::Copy, PUSH4, &TILE, F32, &[cb(4)]),
            tile(Mlu, T::ExpandDims { axis: 1 }, PUSH4, &[64, 1], F32, &[cb(5)]),
            tile(Mlu, T::Broadcast, PUSH4, &TILE, F32, &[cb(4)]),
            tile(Mlu, T::Reshape, PUSH4, &[32, 64], F32, &[cb(4)]),
            tile(Mlu, T::Trans { perm: vec![1, 0] }, PUSH4, &TILE, F32, &[cb(4)]),
            tile(Mlu, T::Copy, Dst::Update(CbId(4)), &TILE, F32, &[cb(4)]),
            tile(VecCore, argmax, cb3, &[32], I32, &[cb(4)]),
            tile(VecCore, T::Unary(UnaryOp::Sigmoid), PUSH4, &TILE, BF16, &[cb(4)]),
            tile(VecCore, T::Binary(BinaryOp::Max), PUSH4, &TILE, BF16, &[cb(4), bf16_1_5]),
            tile(VecCore, T::Dot, Dst::Update(CbId(6)), &[], F32, &[cb(0), cb(1), cb(6)]),
        ]
    }

    /// Scalar commands, with an immediate of every dtype.
    fn scalars() -> Vec<Command> {
        use ScalarType as S;
        use TileOp as T;
        vec![
            cmd(scalar(T::Reduce { op: ReduceOp::Max, axis: 0 }, F32, 3, &[cb(5)])),
            cmd(scalar(
                T::Binary(BinaryOp::Max),
                F32,
                3,
                &[reg(3), imm(Scalar::F32(f32::INFINITY))],
            )),
            cmd(scalar(T::Cast, S::F16, 4, &[imm(Scalar::F16(half::f16::from_f32(0.1)))])),
            cmd(scalar(T::Copy, S::U64, 4, &[imm(Scalar::U64(u64::MAX))])),
            cmd(scalar(
                T::Select,
                S::I8,
                5,
                &[imm(Scalar::Bool(true)), imm(Scalar::I8(-128)), special(Special::Grid(0))],
            )),
            cmd(scalar(T::Unary(UnaryOp::Not), S::U8, 5, &[imm(Scalar::U8(255))])),
            cmd(scalar(
                T::Fma,
                S::F64,
                3,
                &[imm(Scalar::F64(1e300)), imm(Scalar::I16(-300)), imm(Scalar::U32(7))],
            )),
            cmd(scalar(
                T::Binary(BinaryOp::Sub),
                S::I64,
                0,
                &[imm(Scalar::I64(i64::MIN)), imm(Scalar::U16(65535))],
            )),
            cmd(scalar(T::Splat, S::F32, 3, &[imm_bits(F32, 0xffc0_0000)])),
            cmd(scalar(
                T::Trans { perm: vec![] },
                S::F64,
                3,
                &[imm_bits(S::F64, 0x7ff0_0000_0000_0001)],
            )),
            cmd(scalar(T::ExpandDims { axis: 0 }, S::F16, 4, &[imm_bits(S::F16, 0x7c01)])),
            cmd(scalar(T::Scan { op: ScanOp::Cumsum, axis: 0 }, S::I32, 0, &[reg(0)])),
            cmd(scalar(T::Broadcast, S::I32, 0, &[special(Special::PeRows)])),
            cmd(scalar(T::Reshape, S::I32, 0, &[special(Special::PeCols)])),
            cmd(scalar(
                T::Cmp(CmpPred::Eq),
                S::Bool,
                2,
                &[special(Special::Grid(1)), imm(Scalar::I32(0))],
            )),
            cmd(scalar(T::Dot, F32, 3, &[reg(3), reg(3), reg(3)])),
        ]
    }

    /// Memory, neighbour and synchronization commands.
    fn memory() -> Vec<Command> {
        use MemLevel::{Dram, Sram};
        let rank0 = DmaDesc {
            level: Sram,
            buffer: OUT,
            base: imm(Scalar::U64(u64::MAX)),
            shape: vec![],
            strides: vec![],
            mask: DmaMask::Extents(vec![]),
        };
        vec![
            with_token(
                Op::DmaIn {
                    cb: CbId(0),
                    src: desc(
                        Dram,
                        X,
                        reg(0),
                        DmaMask::Extents(vec![reg(1), imm(Scalar::I32(32))]),
                    ),
                },
                0,
            ),
            cmd(Op::Wait { token: Token(0) }),
            cmd(Op::BcastLoad {
                cb: CbId(1),
                src: desc(Sram, X, special(Special::Grid(2)), DmaMask::Tile(CbId(7))),
                group: Group::Row,
            }),
            cmd(Op::BcastLoad { cb: CbId(1), src: rank0, group: Group::Col }),
            cmd(Op::Prefetch {
                buffer: X,
                base: special(Special::PeCol),
                len: imm(Scalar::I32(4096)),
            }),
            with_token(Op::Gather { cb: CbId(2), src: index(Dram, Some(4)) }, 1),
            cmd(Op::Scatter { cb: CbId(2), dst: index(Sram, None) }),
            cmd(Op::AtomicRmw {
                op: AtomicOp::Add,
                cb: CbId(2),
                dst: index(Dram, Some(4)),
                old: Some(CbId(5)),
            }),
            cmd(Op::AtomicRmw {
                op: AtomicOp::Max,
                cb: CbId(2),
                dst: index(Dram, None),
                old: None,
            }),
            cmd(Op::Assert { cond: reg(2), message: "bad \"row\"\\\n; x\t\u{1}é".into() }),
            cmd(Op::Assert { cond: cb(7), message: String::new() }),
            with_token(
                Op::DmaOut {
                    cb: CbId(4),
                    dst: desc(Dram, OUT, special(Special::Grid(1)), DmaMask::All),
                },
                2,
            ),
            cmd(Op::Pop { cb: CbId(4) }),
            cmd(Op::ReSend { dir: Dir::North, cb: CbId(5) }),
            cmd(Op::ReRecv { dir: Dir::South, cb: CbId(5) }),
            with_token(Op::Send { dir: Dir::East, cb: CbId(4) }, u32::MAX),
            cmd(Op::Recv { dir: Dir::West, cb: CbId(4) }),
            cmd(Op::Wait { token: Token(u32::MAX) }),
            cmd(Op::Fence),
            cmd(Op::Barrier { set: PeSet::All }),
            cmd(Op::Barrier { set: PeSet::Row }),
            cmd(Op::Barrier { set: PeSet::Col }),
            cmd(Op::Barrier { set: PeSet::Rect { row: 0, col: 1, rows: 2, cols: 3 } }),
        ]
    }

    /// A program using every operation, operand kind, tile op and DMA mask, with
    /// tokens, a backward branch, a backward jump and a branch to the end.
    fn sample() -> Program {
        use TileOp as T;
        let mut code = vec![
            cmd(scalar(
                T::Binary(BinaryOp::Mul),
                ScalarType::I32,
                0,
                &[special(Special::PeRow), imm(Scalar::I32(64))],
            )),
            cmd(scalar(T::Arange { start: -5, end: 3 }, ScalarType::I32, 1, &[])),
            cmd(scalar(T::Cmp(CmpPred::Lt), ScalarType::Bool, 2, &[reg(0), Operand::Param(N)])),
            cmd(Op::Branch { cond: reg(2), when: false, target: 0 }),
        ];
        code.extend(memory());
        code.extend(compute());
        code.extend(scalars());
        code.push(cmd(Op::Branch { cond: imm(Scalar::Bool(true)), when: true, target: LOOP }));
        code.push(cmd(Op::Jump { target: LOOP }));
        let end = code.len() as u32;
        code[EXIT_BRANCH].op = Op::Branch { cond: reg(2), when: false, target: end };
        let param = |name: &str, kind| Param { name: name.into(), kind };
        Program {
            kernel: "tile_mix".into(),
            params: vec![
                param("x", ParamKind::Buffer(F32)),
                param("out.v2", ParamKind::Buffer(ScalarType::F16)),
                param("idx", ParamKind::Buffer(ScalarType::I32)),
                param("n", ParamKind::Scalar(ScalarType::I32)),
                param("stride_m", ParamKind::Scalar(ScalarType::I64)),
                param("scale", ParamKind::Scalar(F32)),
            ],
            cbs: (0..8).map(|i| CbDecl { slot_bytes: 8192 << (i % 2), depth: 1 + i % 3 }).collect(),
            regs: 6,
            code,
        }
    }

    #[test]
    fn sample_is_valid_and_complete() {
        let p = sample();
        assert_eq!(p.validate(), Ok(()));
        // Every mnemonic of the operation set appears.
        let mut mnemonics: Vec<&str> = p.code.iter().map(|c| c.op.mnemonic()).collect();
        mnemonics.sort_unstable();
        mnemonics.dedup();
        let all = [
            "assert",
            "atomic",
            "barrier",
            "bcast_load",
            "br",
            "brz",
            "dma_in",
            "dma_out",
            "dpe_mm",
            "fence",
            "gather",
            "jmp",
            "mlu",
            "pop",
            "prefetch",
            "re_op",
            "re_recv",
            "re_send",
            "recv",
            "s_op",
            "scatter",
            "se_lut",
            "se_op",
            "send",
            "vec_op",
            "wait",
        ];
        assert_eq!(mnemonics, all);
    }

    #[test]
    fn assembly_round_trip() {
        let p = sample();
        let text = print_program(&p);
        let q = parse_program(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(q, p);
        assert_eq!(print_program(&q), text);
    }

    /// The printed lines, checked verbatim.
    #[test]
    fn assembly_matches_documented_form() {
        let p = sample();
        let text = print_program(&p);
        let lines: Vec<&str> = text.lines().collect();
        let end = p.code.len();
        assert_eq!(
            lines[..10],
            [
                "kernel tile_mix",
                "param x: *f32",
                "param out.v2: *f16",
                "param idx: *i32",
                "param n: i32",
                "param stride_m: i64",
                "param scale: f32",
                "regs 6",
                "cb_alloc cb0 slot_bytes=8192 depth=1",
                "cb_alloc cb1 slot_bytes=16384 depth=2",
            ]
        );
        assert_eq!(
            lines[16..22],
            [
                "",
                "  s_op mul r0:i32 <- pe.row, 64:i32",
                "  s_op arange r1:i32 <- -5..3",
                "L2:",
                "  s_op lt r2:bool <- r0, %n",
                format!("  brz r2, L{end}").as_str(),
            ]
        );
        assert_eq!(
            lines[lines.len() - 3..],
            ["  br true:bool, L2", "  jmp L2", format!("L{end}:").as_str()]
        );
        for line in [
            concat!(
                "  dma_in cb0 <- dram x[base=r0, shape=[64,32], ",
                "strides=[%stride_m, 1:i64]] mask=[r1, 32:i32] @t0"
            ),
            concat!(
                "  bcast_load cb1 <- sram x[base=grid.2, shape=[64,32], ",
                "strides=[%stride_m, 1:i64]] mask=cb7 group=row"
            ),
            concat!(
                "  bcast_load cb1 <- sram out.v2[base=18446744073709551615:u64, ",
                "shape=[], strides=[]] mask=[] group=col"
            ),
            "  prefetch x base=pe.col len=4096:i32",
            "  gather cb2 <- dram idx[cb3] mask=cb4 @t1",
            "  scatter cb2 -> sram idx[cb3]",
            "  atomic add cb2 -> dram idx[cb3] mask=cb4 old=cb5",
            "  atomic max cb2 -> dram idx[cb3]",
            r#"  assert r2, "bad \"row\"\\\n; x\t\u{1}é""#,
            r#"  assert cb7, """#,
            concat!(
                "  dma_out cb4 -> dram out.v2[base=grid.1, shape=[64,32], ",
                "strides=[%stride_m, 1:i64]] @t2"
            ),
            "  re_send cb5 -> north",
            "  re_recv cb5 <- south",
            "  send cb4 -> east @t4294967295",
            "  recv cb4 <- west",
            "  barrier rect[0,1,2,3]",
            "  dpe_mm dot cb6:[64,32]f32 = cb0, cb1, cb6",
            "  re_op sum axis=1 cb5:[64]f32 <- cb6",
            "  re_op cumsum axis=0 cb5:[64]f32 <- cb5",
            "  re_op add cb5:[64]f32 = cb5, cb5",
            "  se_lut exp cb4:[64,32]f32 <- cb0",
            "  se_op neg cb4:[64,32]f32 <- cb0",
            "  se_op ge cb7:[64,32]bool <- cb0, %scale",
            "  se_op select cb4:[64,32]f32 <- cb7, cb0, -0.0:f32",
            "  se_op fma cb4:[64,32]f32 <- cb0, cb0, 0x7fc00001:f32",
            "  se_op arange cb3:[64]i32 <- 0..64",
            "  mlu trans perm=[1,0] cb4:[64,32]f32 <- cb4",
            "  mlu expand_dims axis=1 cb4:[64,1]f32 <- cb5",
            "  vec_op argmax axis=0 cb3:[32]i32 <- cb4",
            "  vec_op max cb4:[64,32]bf16 <- cb4, 1.5:bf16",
            "  vec_op dot cb6:[]f32 = cb0, cb1, cb6",
            "  s_op max axis=0 r3:f32 <- cb5",
            "  s_op max r3:f32 <- r3, inf:f32",
            "  s_op cast r4:f16 <- 0.1:f16",
            "  s_op copy r4:u64 <- 18446744073709551615:u64",
            "  s_op select r5:i8 <- true:bool, -128:i8, grid.0",
            "  s_op not r5:u8 <- 255:u8",
            "  s_op fma r3:f64 <- 1e300:f64, -300:i16, 7:u32",
            "  s_op sub r0:i64 <- -9223372036854775808:i64, 65535:u16",
            "  s_op splat r3:f32 <- 0xffc00000:f32",
            "  s_op trans perm=[] r3:f64 <- 0x7ff0000000000001:f64",
            "  s_op expand_dims axis=0 r4:f16 <- 0x7c01:f16",
        ] {
            assert!(lines.contains(&line), "missing line {line:?} in\n{text}");
        }
        // Labels stand exactly before branch targets.
        let labels: Vec<&str> = lines.iter().copied().filter(|l| l.ends_with(':')).collect();
        assert_eq!(labels, ["L2:", format!("L{end}:").as_str()]);
    }

    /// The example of the `asm` module docs, verbatim.
    const DOC_EXAMPLE: &str = "\
kernel scale_rows
param x: *f32
param y: *f32
param n: i32
regs 2
cb_alloc cb0 slot_bytes=256 depth=2
cb_alloc cb1 slot_bytes=256 depth=2

  s_op mul r0:i32 <- pe.row, 64:i32
  s_op lt r1:bool <- r0, %n
  brz r1, L10
  s_op sub r1:i32 <- %n, r0
  dma_in cb0 <- dram x[base=r0, shape=[64], strides=[1:i32]] mask=[r1] @t0
  wait t0
  se_op mul cb1:[64]f32 <- cb0, 2.5:f32
  pop cb0
  dma_out cb1 -> dram y[base=r0, shape=[64], strides=[1:i32]] mask=[r1]
  pop cb1
L10:
";

    #[test]
    fn documented_example_is_a_printed_program() {
        let p = parse_program(DOC_EXAMPLE).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(print_program(&p), DOC_EXAMPLE);
        assert_eq!(p.code.len(), 10);
        assert_eq!(p.code[2].op, Op::Branch { cond: reg(1), when: false, target: 10 });
        let Op::DmaIn { src, .. } = &p.code[4].op else { panic!("{:?}", p.code[4]) };
        assert_eq!(src.mask, DmaMask::Extents(vec![reg(1)]));
        assert_eq!(p.code[4].token, Some(Token(0)));
        let asm_source = include_str!("../src/program/asm.rs");
        let documented: String = DOC_EXAMPLE
            .lines()
            .map(|line| format!("//! {line}").trim_end().to_string() + "\n")
            .collect();
        assert!(asm_source.contains(&documented), "the module docs show another example");
    }

    #[test]
    fn assembly_accepts_comments_blank_lines_and_inline_labels() {
        let text = "; a kernel\n\nkernel k ; name\nregs 1\n\nL0: jmp L1 ; forward\nL1:\n  fence\n";
        let p = parse_program(text).unwrap();
        assert_eq!(
            p.code,
            [cmd(Op::Jump { target: 1 }), cmd(Op::Fence)],
            "`L0:` (unused) and `L1:` are accepted"
        );
        assert_eq!(print_program(&p), "kernel k\nregs 1\n\n  jmp L1\nL1:\n  fence\n");
        let p = parse_program("kernel k\nregs 0\n").unwrap();
        assert_eq!(print_program(&p), "kernel k\nregs 0\n");
    }

    #[test]
    fn assembly_reads_immediate_spellings() {
        let text = "kernel k\nregs 1\n  s_op add r0:f32 <- 1e-7:f32, -inf:f32\n  \
                    s_op add r0:f16 <- 0.1:f16, NaN:f16\n  s_op add r0:i8 <- -0:i8, 0x3c00:f16\n";
        let p = parse_program(text).unwrap();
        let operands: Vec<Operand> = p
            .code
            .iter()
            .flat_map(|c| match &c.op {
                Op::Scalar { inputs, .. } => inputs.clone(),
                other => panic!("not a scalar op: {other:?}"),
            })
            .collect();
        assert_eq!(
            operands,
            [
                imm(Scalar::F32(1e-7)),
                imm(Scalar::F32(f32::NEG_INFINITY)),
                imm(Scalar::F16(half::f16::from_f32(0.1))),
                imm(Scalar::F16(half::f16::NAN)),
                imm(Scalar::I8(0)),
                imm(Scalar::F16(half::f16::ONE)),
            ]
        );
        // The hex spelling of a value with a decimal spelling prints as the decimal.
        assert!(print_program(&p).contains("  s_op add r0:i8 <- 0:i8, 1.0:f16\n"));
    }

    const HEADER: &str =
        "kernel k\nparam x: *f32\nparam n: i32\nregs 4\ncb_alloc cb0 slot_bytes=256 depth=2\n";

    fn parse_err(text: &str) -> AsmError {
        match parse_program(text) {
            Ok(p) => panic!("parsed: {p:?}"),
            Err(e) => e,
        }
    }

    /// The error of a body after [`HEADER`] (whose body starts on line 6).
    fn body_err(body: &str) -> AsmError {
        parse_err(&format!("{HEADER}{body}"))
    }

    fn expected(expected: &str, found: &str) -> AsmErrorKind {
        AsmErrorKind::Expected { expected: expected.into(), found: found.into() }
    }

    #[test]
    fn error_positions_lexical() {
        let e = body_err("  fence $\n");
        assert_eq!((e.line, e.col, e.kind), (6, 9, AsmErrorKind::UnexpectedChar('$')));
        let e = body_err("  pop cb99999999999\n");
        assert_eq!(
            (e.line, e.col, e.kind),
            (6, 7, AsmErrorKind::BadNumber("cb99999999999".into()))
        );
        let e = body_err("  assert r0, \"abc\n");
        assert_eq!((e.line, e.col, e.kind), (6, 14, AsmErrorKind::UnterminatedString));
        let e = body_err("  assert r0, \"a\\q\"\n");
        assert_eq!((e.line, e.col, e.kind), (6, 16, AsmErrorKind::BadEscape("\\q".into())));
        let e = body_err("  assert r0, \"\\u{110000}\"\n");
        assert_eq!((e.line, e.col), (6, 15));
        assert_eq!(e.to_string(), "6:15: bad escape `\\u{110000}` in a string");
    }

    #[test]
    fn error_positions_syntax() {
        let e = body_err("  fence\n  frobnicate cb1\n");
        let unknown = AsmErrorKind::Unknown { what: "operation", name: "frobnicate".into() };
        assert_eq!((e.line, e.col, e.kind), (7, 3, unknown));
        let e = body_err("  s_op add r0:i8 <- r1, 300:i8\n");
        let bad = AsmErrorKind::BadImmediate { text: "300".into(), dtype: ScalarType::I8 };
        assert_eq!((e.line, e.col, e.kind), (6, 25, bad));
        let e = body_err("  s_op add r0:f32 <- r1, 1e39:f32\n");
        assert_eq!((e.line, e.col), (6, 26));
        let e = body_err("  s_op add r0:f8 <- r1, r2\n");
        let unknown = AsmErrorKind::Unknown { what: "dtype", name: "f8".into() };
        assert_eq!((e.line, e.col, e.kind), (6, 15, unknown));
        let e = body_err("  se_op add cb0:[4]f32 cb0, cb0\n");
        let kind = expected("`<-` (push) or `=` (update)", "`cb0`");
        assert_eq!((e.line, e.col, e.kind), (6, 24, kind));
        let e = body_err("  re_op sum cb0:[4]f32 <- cb0\n");
        assert_eq!((e.line, e.col, e.kind), (6, 13, expected("`axis`", "`cb0`")));
        let e = body_err("  se_op exp cb0:[4]f32 <- cb0\n");
        let kind = AsmErrorKind::WrongMnemonic { op: "exp", found: "se_op" };
        assert_eq!((e.line, e.col, e.kind), (6, 3, kind));
        let e = body_err("  prefetch y base=0:i32 len=1:i32\n");
        let unknown = AsmErrorKind::Unknown { what: "parameter", name: "y".into() };
        assert_eq!((e.line, e.col, e.kind), (6, 12, unknown));
        let e = body_err("  s_op copy r0:i32 <- grid.3\n");
        let unknown = AsmErrorKind::Unknown { what: "PE register", name: "grid.3".into() };
        assert_eq!((e.line, e.col, e.kind), (6, 23, unknown));
        let e = body_err("  dma_in cb0 <- dram x[base=0:i32, strides=[]]\n");
        assert_eq!((e.line, e.col, e.kind), (6, 36, expected("`shape`", "`strides`")));
        let e = body_err("  fence @t1 t2\n");
        assert_eq!((e.line, e.col, e.kind), (6, 13, expected("end of line", "`t2`")));
        let e = body_err("  barrier rect[1,2]\n");
        assert_eq!((e.line, e.col), (6, 11));
    }

    #[test]
    fn error_positions_labels() {
        let e = body_err("  jmp L9\n");
        assert_eq!((e.line, e.col, e.kind), (6, 7, AsmErrorKind::UndefinedLabel(9)));
        let e = body_err("  fence\nL3:\n  fence\n");
        let kind = AsmErrorKind::MisplacedLabel { label: 3, index: 1 };
        assert_eq!((e.line, e.col, e.kind), (7, 1, kind));
        let e = body_err("L0:\nL0:\n  fence\n");
        assert_eq!((e.line, e.col, e.kind), (7, 1, AsmErrorKind::DuplicateLabel(0)));
    }

    #[test]
    fn error_positions_header() {
        let e = parse_err("");
        assert_eq!((e.line, e.col, e.kind), (1, 1, AsmErrorKind::MissingHeader("kernel")));
        let e = parse_err("kernel k\nparam a: *f32");
        assert_eq!((e.line, e.col, e.kind), (2, 14, AsmErrorKind::MissingHeader("regs")));
        let e = parse_err("regs 1\n");
        assert_eq!((e.line, e.col, e.kind), (1, 1, expected("`kernel`", "`regs`")));
        let e = parse_err("kernel k\nparam a: *f32\nparam a: i32\nregs 1\n");
        let dup = AsmErrorKind::Invalid(ProgramError::DuplicateParam("a".into()));
        assert_eq!((e.line, e.col, e.kind), (3, 7, dup));
        let e = parse_err("kernel k\nregs 1\ncb_alloc cb1 slot_bytes=4 depth=1\n");
        assert_eq!((e.line, e.col, e.kind), (3, 10, expected("`cb0`", "`cb1`")));
        let e = parse_err("kernel k\nregs 1\nparam a: i32\n");
        assert_eq!((e.line, e.col, e.kind), (3, 1, AsmErrorKind::Misplaced("param".into())));
        let e = body_err("  fence\ncb_alloc cb1 slot_bytes=4 depth=1\n");
        assert_eq!((e.line, e.col, e.kind), (7, 1, AsmErrorKind::Misplaced("cb_alloc".into())));
        let e = parse_err("kernel k\nfence\n");
        assert_eq!((e.line, e.col, e.kind), (2, 1, expected("`param` or `regs`", "`fence`")));
    }

    /// Structural errors from [`Program::validate`] point at what they name.
    #[test]
    fn error_positions_validation() {
        let e = body_err("  fence\n  pop cb3\n");
        assert_eq!((e.line, e.col), (7, 3));
        assert!(
            matches!(
                e.kind,
                AsmErrorKind::Invalid(ProgramError::BadCommand { index: 1, mnemonic: "pop", .. })
            ),
            "{e}"
        );
        let e = body_err("  prefetch n base=0:i32 len=1:i32\n");
        assert_eq!((e.line, e.col), (6, 3));
        assert_eq!(e.to_string(), "6:3: command 0 (`prefetch`): parameter `n` is not a buffer");
        let e = body_err("  se_op add cb0:[4]f32 <- cb0\n");
        assert_eq!(e.to_string(), "6:3: command 0 (`se_op`): expects 2 inputs, has 1");
        let e = body_err("  dpe_mm add cb0:[4]f32 <- cb0, cb0\n");
        assert!(matches!(e.kind, AsmErrorKind::Invalid(ProgramError::BadCommand { .. })));
        let cbs = "cb_alloc cb0 slot_bytes=4 depth=1\ncb_alloc cb1 slot_bytes=4 depth=0\n";
        let e = parse_err(&format!("kernel k\nregs 1\n{cbs}"));
        let bad = ProgramError::BadCb { index: 1, what: "depth 0".into() };
        assert_eq!((e.line, e.col, e.kind), (4, 1, AsmErrorKind::Invalid(bad)));
    }

    // ----- binary -----

    /// A payload wrapped in a correct header and checksum, to reach the decoder.
    fn seal(payload: &[u8]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(payload);
        out.extend_from_slice(&fnv1a64(payload).to_le_bytes());
        out
    }

    fn payload(bytes: &[u8]) -> &[u8] {
        &bytes[HEADER_LEN..bytes.len() - 8]
    }

    #[test]
    fn binary_round_trip() {
        let p = sample();
        let bytes = save(&p);
        assert_eq!(&bytes[..8], &MAGIC);
        assert_eq!(bytes[8..12], 2u32.to_le_bytes());
        assert_eq!(load(&bytes), Ok(p.clone()));
        assert_eq!(save(&load(&bytes).unwrap()), bytes);
        assert_eq!(seal(payload(&bytes)), bytes);
    }

    #[test]
    fn binary_header_errors() {
        let bytes = save(&sample());
        let mut b = bytes.clone();
        b[0] = b'P';
        assert_eq!(load(&b), Err(LoadError::BadMagic));
        assert_eq!(load(b"hello"), Err(LoadError::BadMagic));
        assert_eq!(load(&[]), Err(LoadError::BadMagic));
        let mut b = bytes.clone();
        b[8..12].copy_from_slice(&1u32.to_le_bytes());
        assert_eq!(load(&b), Err(LoadError::UnsupportedVersion { found: 1 }));
        let n = bytes.len() as u64;
        assert_eq!(
            load(&bytes[..n as usize - 1]),
            Err(LoadError::LengthMismatch { expected: n, actual: n - 1 })
        );
        assert_eq!(load(&bytes[..10]), Err(LoadError::LengthMismatch { expected: 28, actual: 10 }));
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(load(&longer), Err(LoadError::LengthMismatch { expected: n, actual: n + 1 }));
        let mut b = bytes.clone();
        b[HEADER_LEN + 3] ^= 0x10;
        assert!(matches!(load(&b), Err(LoadError::Checksum { .. })));
    }

    #[test]
    fn binary_every_truncation_and_flip_is_detected() {
        let bytes = save(&sample());
        for n in 0..bytes.len() {
            assert!(load(&bytes[..n]).is_err(), "truncation to {n} bytes loaded");
        }
        for i in 0..bytes.len() {
            for mask in [0x01u8, 0x80, 0xff] {
                let mut b = bytes.clone();
                b[i] ^= mask;
                assert!(load(&b).is_err(), "flip {mask:#x} at byte {i} loaded");
            }
        }
    }

    /// Behind a correct checksum, the decoder itself rejects every truncation, and a
    /// corrupted payload either loads a valid program or fails.
    #[test]
    fn binary_decoder_checks_behind_the_checksum() {
        let bytes = save(&sample());
        let payload = payload(&bytes);
        for n in 0..payload.len() {
            assert!(load(&seal(&payload[..n])).is_err(), "sealed truncation {n} loaded");
        }
        for i in 0..payload.len() {
            let mut p = payload.to_vec();
            p[i] ^= 0xff;
            if let Ok(q) = load(&seal(&p)) {
                assert_eq!(q.validate(), Ok(()));
                assert_eq!(load(&save(&q)), Ok(q));
            }
        }
    }

    /// The payload of `kernel k` with no parameters, CBs or registers, then `code`.
    fn small_payload(code: &[u8]) -> Vec<u8> {
        let mut p = vec![1, 0, 0, 0, b'k'];
        p.extend_from_slice(&[0; 12]);
        p.extend_from_slice(code);
        p
    }

    #[test]
    fn binary_decoder_errors() {
        let mut p = vec![1, 0, 0, 0, b'k'];
        p.extend_from_slice(&u32::MAX.to_le_bytes());
        let huge = LoadError::CountTooLarge { what: "parameter", count: u32::MAX, at: 5 };
        assert_eq!(load(&seal(&p)), Err(huge));
        assert_eq!(load(&seal(&[1, 0, 0, 0, 0xff])), Err(LoadError::BadUtf8 { at: 4 }));
        assert_eq!(
            load(&seal(&small_payload(&[1, 0, 0, 0, 99, 0]))),
            Err(LoadError::BadTag { what: "operation", tag: 99, at: 21 })
        );
        assert_eq!(
            load(&seal(&small_payload(&[1, 0, 0, 0, 18, 2]))),
            Err(LoadError::BadTag { what: "token option", tag: 2, at: 22 })
        );
        assert_eq!(
            load(&seal(&small_payload(&[1, 0, 0, 0, 18, 1, 7]))),
            Err(LoadError::Truncated { at: 23, needed: 3 })
        );
        assert_eq!(
            load(&seal(&small_payload(&[0, 0, 0, 0, 0]))),
            Err(LoadError::TrailingBytes { extra: 1 })
        );
        assert_eq!(load(&seal(&small_payload(&[0, 0, 0, 0]))).map(|p| p.kernel), Ok("k".into()));
    }

    #[test]
    fn binary_validates() {
        let mut p = sample();
        p.code.push(cmd(Op::Pop { cb: CbId(8) }));
        let last = p.code.len() - 1;
        let error = load(&save(&p));
        assert!(
            matches!(
                error,
                Err(LoadError::Invalid(ProgramError::BadCommand { index, mnemonic: "pop", .. }))
                    if index == last
            ),
            "{error:?}"
        );
        let mut p = sample();
        p.code.push(cmd(scalar(
            TileOp::Copy,
            ScalarType::I8,
            0,
            &[imm_bits(ScalarType::I8, 0x100)],
        )));
        assert!(matches!(
            load(&save(&p)),
            Err(LoadError::Invalid(ProgramError::BadCommand { .. }))
        ));
        let mut p = sample();
        p.kernel = "no spaces".into();
        assert_eq!(
            load(&save(&p)),
            Err(LoadError::Invalid(ProgramError::BadName("no spaces".into())))
        );
    }
}
