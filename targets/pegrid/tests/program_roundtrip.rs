//! Tests of PE programs: assembly and `.peo` round trips over a program using every
//! operation, assembly parse errors with positions, corrupted and truncated binaries,
//! and proptests asserting the assembler and loader never panic.

/// Named `program` so `cargo test -p tessera-pegrid program` selects these tests.
mod program {
    use proptest::prelude::*;
    use tessera_pegrid::program::asm::{parse_program, print_program, AsmError, AsmErrorKind};
    use tessera_pegrid::program::binary::{load, save, LoadError, FORMAT_VERSION, MAGIC};
    use tessera_pegrid::program::*;

    fn desc(level: MemLevel, buffer: u32, mask: Option<Vec<u64>>) -> DmaDesc {
        DmaDesc {
            level,
            buffer,
            base: 128,
            shape: vec![64, 32],
            strides: vec![1024, 1],
            dtype: ScalarType::F16,
            mask,
        }
    }

    fn cmd(op: Op, token: Option<u32>) -> Command {
        Command { op, token: token.map(Token) }
    }

    /// A program on a 2x2 grid that uses every operation and variant at least once.
    fn sample() -> GridProgram {
        let c = CbId;
        let pe0 = vec![
            cmd(Op::CbAlloc { cb: c(1), slot_bytes: 4096, depth: 2 }, None),
            cmd(Op::DmaIn { cb: c(1), src: desc(MemLevel::Dram, 0, Some(vec![64, 17])) }, Some(3)),
            cmd(Op::DmaOut { cb: c(1), dst: desc(MemLevel::Sram, 1, None) }, Some(4)),
            cmd(Op::Prefetch { buffer: 0, base: 0, len: 4096, dtype: ScalarType::F16 }, Some(5)),
            cmd(
                Op::BcastLoad { cb: c(2), src: desc(MemLevel::Sram, 1, None), group: Group::Row },
                None,
            ),
            cmd(
                Op::BcastLoad {
                    cb: c(2),
                    src: DmaDesc {
                        strides: vec![-1, 0],
                        ..desc(MemLevel::Sram, 1, Some(vec![1, 2]))
                    },
                    group: Group::Col,
                },
                None,
            ),
            cmd(
                Op::DpeMm {
                    acc: c(4),
                    a: c(1),
                    b: c(2),
                    m: 64,
                    n: 64,
                    k: 32,
                    dtype: ScalarType::BF16,
                    accumulate: true,
                },
                Some(6),
            ),
            cmd(
                Op::DpeMm {
                    acc: c(4),
                    a: c(1),
                    b: c(2),
                    m: 1,
                    n: 2,
                    k: 3,
                    dtype: ScalarType::I8,
                    accumulate: false,
                },
                None,
            ),
            cmd(Op::ReAcc { acc: c(5), input: c(4) }, None),
            cmd(Op::ReSend { dir: Dir::North, cb: c(5) }, None),
            cmd(Op::ReRecv { dir: Dir::South, cb: c(5) }, None),
            cmd(Op::ReDrain { out: c(6), acc: c(5) }, Some(7)),
            cmd(
                Op::SeOp {
                    func: EltFn::Binary(BinaryOp::Add),
                    dtype: ScalarType::F32,
                    out: c(3),
                    inputs: vec![c(1), c(2)],
                },
                None,
            ),
            cmd(
                Op::SeOp {
                    func: EltFn::Unary(UnaryOp::Exp),
                    dtype: ScalarType::F32,
                    out: c(3),
                    inputs: vec![c(1)],
                },
                None,
            ),
            cmd(
                Op::SeLut { func: LutFn::Gelu, dtype: ScalarType::F16, out: c(3), input: c(1) },
                None,
            ),
        ];
        let mut pe1 = vec![
            cmd(Op::Mlu(MluOp::Transpose { out: c(3), input: c(1), perm: vec![1, 0] }), None),
            cmd(Op::Mlu(MluOp::Reshape { out: c(3), input: c(1), shape: vec![32, 64] }), None),
            cmd(Op::Mlu(MluOp::Concat { out: c(3), inputs: vec![c(1), c(2)], axis: 0 }), None),
            cmd(
                Op::Mlu(MluOp::Slice {
                    out: c(3),
                    input: c(1),
                    offsets: vec![0, 16],
                    sizes: vec![16, 16],
                }),
                Some(8),
            ),
            cmd(
                Op::VecOp {
                    func: VecFn::Elt(EltFn::Binary(BinaryOp::Max)),
                    dtype: ScalarType::I32,
                    out: c(3),
                    inputs: vec![c(1), c(2)],
                },
                None,
            ),
            cmd(
                Op::VecOp {
                    func: VecFn::Reduce { op: ReduceOp::ArgMax, axis: 1 },
                    dtype: ScalarType::F32,
                    out: c(3),
                    inputs: vec![c(1)],
                },
                None,
            ),
            cmd(
                Op::VecOp {
                    func: VecFn::Copy,
                    dtype: ScalarType::U8,
                    out: c(3),
                    inputs: vec![c(1)],
                },
                None,
            ),
            cmd(Op::Send { dir: Dir::East, cb: c(1) }, None),
            cmd(Op::Recv { dir: Dir::West, cb: c(1) }, Some(9)),
            cmd(Op::Wait { token: Token(9) }, None),
            cmd(Op::Fence, None),
        ];
        for set in
            [PeSet::All, PeSet::Row, PeSet::Col, PeSet::Rect { row: 0, col: 1, rows: 2, cols: 1 }]
        {
            pe1.push(cmd(Op::Barrier { set }, None));
        }
        GridProgram {
            kernel: "matmul_f16".into(),
            rows: 2,
            cols: 2,
            buffers: vec![
                Buffer { name: "a".into(), dtype: ScalarType::F16, len: 1 << 20 },
                Buffer { name: "out.v2".into(), dtype: ScalarType::F32, len: 4096 },
            ],
            pes: vec![
                PeProgram { row: 0, col: 0, commands: pe0 },
                PeProgram { row: 1, col: 1, commands: pe1 },
                PeProgram { row: 0, col: 1, commands: vec![] },
            ],
        }
    }

    #[test]
    fn sample_is_valid() {
        assert_eq!(sample().validate(), Ok(()));
    }

    #[test]
    fn assembly_round_trip() {
        let p = sample();
        let text = print_program(&p);
        let q = parse_program(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(q, p);
        assert_eq!(print_program(&q), text);
    }

    #[test]
    fn assembly_matches_documented_form() {
        let text = print_program(&sample());
        assert!(text.contains(
        "dma_in cb1 <- dram buf0[base=128, shape=[64,32], strides=[1024,1], f16] mask=[64,17] -> t3"
    ));
        assert!(text.contains("dpe_mm cb4 += cb1 * cb2 [m=64, n=64, k=32, bf16] -> t6"));
        assert!(text.contains("vec_op reduce_argmax axis=1 f32 cb3 <- cb1"));
        assert!(text.contains("barrier rect[0,1,2,1]"));
    }

    #[test]
    fn assembly_accepts_comments_and_blank_lines() {
        let text =
            "; a kernel\n\nkernel k ; name\ngrid rows=1 cols=1\npe row=0 col=0:\n  fence ; done\n";
        let p = parse_program(text).unwrap();
        assert_eq!(p.pes[0].commands, vec![Command { op: Op::Fence, token: None }]);
    }

    fn parse_err(body: &str) -> AsmError {
        let text =
            format!("kernel k\ngrid rows=2 cols=2\nbuffer buf0 x f32[64]\npe row=0 col=0:\n{body}");
        match parse_program(&text) {
            Ok(p) => panic!("parsed: {p:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn error_unknown_op() {
        let e = parse_err("  fence\n  frobnicate cb1\n");
        assert_eq!((e.line, e.col), (6, 3));
        assert_eq!(e.kind, AsmErrorKind::UnknownOp("frobnicate".into()));
    }

    #[test]
    fn error_bad_number() {
        let e = parse_err("  cb_alloc cb1 slot_bytes=12x depth=2\n");
        assert_eq!((e.line, e.col), (5, 27));
        assert_eq!(e.kind, AsmErrorKind::BadNumber("12x".into()));
        let e = parse_err("  cb_alloc cb1 slot_bytes=1 depth=99999999999\n");
        assert_eq!(e.kind, AsmErrorKind::BadNumber("99999999999".into()));
        let e = parse_err("  cb_alloc cb1 slot_bytes=-1 depth=2\n");
        assert_eq!(e.kind, AsmErrorKind::BadNumber("-1".into()));
    }

    #[test]
    fn error_missing_field() {
        let e = parse_err("  dma_in cb1 <- dram buf0[base=0, strides=[1], f32]\n");
        assert_eq!(e.line, 5);
        assert_eq!(e.col, 35);
        assert_eq!(
            e.kind,
            AsmErrorKind::Expected { expected: "`shape`".into(), found: "`strides`".into() }
        );
        let e = parse_err("  cb_alloc cb1 slot_bytes=4\n");
        assert!(
            matches!(e.kind, AsmErrorKind::Expected { ref found, .. } if found == "end of line")
        );
        assert_eq!((e.line, e.col), (5, 28));
    }

    #[test]
    fn error_validation_has_line() {
        // Rank mismatch, unknown buffer, wrong arity, out-of-grid PE.
        let e = parse_err("  dma_in cb1 <- dram buf0[base=0, shape=[4], strides=[1,1], f32]\n");
        assert_eq!(e.line, 5);
        assert!(matches!(e.kind, AsmErrorKind::Invalid(ProgramError::BadCommand { .. })));
        let e = parse_err("  fence\n  prefetch buf7[base=0, len=1, f32]\n");
        assert_eq!(e.line, 6);
        let e = parse_err("  se_op add f32 cb3 <- cb1\n");
        assert_eq!(e.line, 5);
        let e = parse_err("pe row=2 col=0:\n");
        assert_eq!(e.line, 5);
        assert!(matches!(e.kind, AsmErrorKind::Invalid(ProgramError::PeOutOfGrid { .. })));
        let e = parse_err("pe row=0 col=0:\n");
        assert!(matches!(e.kind, AsmErrorKind::Invalid(ProgramError::DuplicatePe { .. })));
    }

    #[test]
    fn error_headers() {
        let e = parse_program("grid rows=1 cols=1\n").unwrap_err();
        assert_eq!((e.line, e.col), (1, 1));
        let e = parse_program("").unwrap_err();
        assert_eq!(e.kind, AsmErrorKind::MissingHeader("kernel"));
        let e = parse_program("kernel k\n").unwrap_err();
        assert_eq!(e.kind, AsmErrorKind::MissingHeader("grid"));
        let e = parse_program("kernel k\ngrid rows=1 cols=1\nfence\n").unwrap_err();
        assert_eq!((e.line, e.kind), (3, AsmErrorKind::CommandOutsidePe));
        let e = parse_program("kernel k\ngrid rows=1 cols=1\nbuffer buf1 a f32[1]\n").unwrap_err();
        assert_eq!(e.line, 3);
        let e = parse_program("kernel k\ngrid rows=0 cols=1\n").unwrap_err();
        assert_eq!(e.line, 2);
        let e = parse_program("kernel k$\n").unwrap_err();
        assert_eq!((e.line, e.col, e.kind), (1, 9, AsmErrorKind::UnexpectedChar('$')));
    }

    #[test]
    fn binary_round_trip() {
        let p = sample();
        let bytes = save(&p);
        assert_eq!(&bytes[..8], &MAGIC);
        assert_eq!(load(&bytes), Ok(p.clone()));
        assert_eq!(save(&load(&bytes).unwrap()), bytes);
    }

    #[test]
    fn binary_every_truncation_errors() {
        let bytes = save(&sample());
        for n in 0..bytes.len() {
            assert!(load(&bytes[..n]).is_err(), "truncation to {n} bytes loaded");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(load(&longer), Err(LoadError::LengthMismatch { .. })));
    }

    #[test]
    fn binary_every_byte_flip_detected() {
        let bytes = save(&sample());
        for i in 0..bytes.len() {
            for mask in [0x01u8, 0x80, 0xff] {
                let mut b = bytes.clone();
                b[i] ^= mask;
                assert!(load(&b).is_err(), "flip {mask:#x} at byte {i} loaded");
            }
        }
    }

    #[test]
    fn binary_bad_magic_and_version() {
        let bytes = save(&sample());
        let mut b = bytes.clone();
        b[0] = b'P';
        assert_eq!(load(&b), Err(LoadError::BadMagic));
        let mut b = bytes.clone();
        b[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
        assert_eq!(load(&b), Err(LoadError::UnsupportedVersion { found: FORMAT_VERSION + 1 }));
        assert_eq!(load(b"hello"), Err(LoadError::BadMagic));
    }

    /// Re-seals a payload with a correct header and checksum, to reach the decoder's checks.
    fn seal(payload: &[u8]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(payload);
        out.extend_from_slice(&tessera_pegrid::program::binary::fnv1a64(payload).to_le_bytes());
        out
    }

    #[test]
    fn binary_validation_behind_checksum() {
        // Huge counts are refused without allocating.
        let mut payload = vec![1, 0, 0, 0, b'k', 1, 0, 0, 0, 1, 0, 0, 0];
        payload.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(load(&seal(&payload)), Err(LoadError::CountTooLarge { .. })));
        // Every resealed truncation and byte flip of the payload is an error or a valid program.
        let bytes = save(&sample());
        let payload = &bytes[20..bytes.len() - 8];
        for n in 0..payload.len() {
            assert!(load(&seal(&payload[..n])).is_err(), "sealed truncation {n} loaded");
        }
        for i in 0..payload.len() {
            let mut p = payload.to_vec();
            p[i] ^= 0xff;
            if let Ok(q) = load(&seal(&p)) {
                assert_eq!(q.validate(), Ok(()));
            }
        }
        // A valid grid with a zero dimension fails validation.
        let mut p = sample();
        p.pes.clear();
        p.rows = 0;
        assert!(matches!(load(&save(&p)), Err(LoadError::Invalid(ProgramError::EmptyGrid { .. }))));
    }

    proptest! {
        #[test]
        fn loader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = load(&bytes);
            let _ = load(&seal(&bytes));
        }

        #[test]
        fn assembler_never_panics(s in "\\PC{0,200}") {
            let _ = parse_program(&s);
        }

        #[test]
        fn assembler_never_panics_on_mutated_sample(pos in 0usize..4000, ch in any::<char>()) {
            let text = print_program(&sample());
            let mut chars: Vec<char> = text.chars().collect();
            let i = pos % chars.len();
            chars[i] = ch;
            let mutated: String = chars.into_iter().collect();
            if let Ok(p) = parse_program(&mutated) {
                prop_assert_eq!(parse_program(&print_program(&p)), Ok(p));
            }
        }

        #[test]
        fn assembler_token_soup(words in proptest::collection::vec(
            prop_oneof![
                Just("kernel k\n"), Just("grid rows=2 cols=2\n"), Just("pe row=0 col=0:\n"),
                Just("dma_in"), Just("cb1"), Just("<-"), Just("dram"), Just("buf0"), Just("["),
                Just("]"), Just("base=1"), Just(","), Just("shape=[1]"), Just("-> t1"), Just("\n"),
                Just("mlu"), Just("concat"), Just("=") , Just("-"), Just("99999999999999999999"),
            ], 0..60)) {
            let _ = parse_program(&words.concat());
        }
    }
}
