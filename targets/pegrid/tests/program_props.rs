//! Property tests of PE programs: random valid programs using every operation survive
//! the assembly and `.peo` round trips unchanged, and corrupted texts and files never
//! panic the assembler or the loader; whatever they accept round-trips exactly.

/// Named `program` so `cargo test -p tessera-pegrid program` selects these tests.
mod program {
    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::sample::{select, Index};
    use tessera_pegrid::program::asm::{parse_program, print_program};
    use tessera_pegrid::program::binary::{fnv1a64, load, save, FORMAT_VERSION, MAGIC};
    use tessera_pegrid::program::*;

    /// What a generated program declares, which its commands refer to. Parameter 0 is
    /// a buffer and parameter 1 a scalar, so DMA and `%name` operands always exist.
    #[derive(Clone, Debug)]
    struct Decls {
        params: Vec<Param>,
        cbs: Vec<CbDecl>,
        regs: u32,
        n_commands: u32,
    }

    impl Decls {
        fn indices(&self, buffer: bool) -> Vec<u32> {
            let is_buffer = |p: &Param| matches!(p.kind, ParamKind::Buffer(_));
            (0..self.params.len() as u32)
                .filter(|&i| is_buffer(&self.params[i as usize]) == buffer)
                .collect()
        }
    }

    fn name() -> impl Strategy<Value = String> {
        "[A-Za-z_][A-Za-z0-9_.]{0,8}"
    }

    fn dtype() -> impl Strategy<Value = ScalarType> {
        select(ScalarType::ALL.to_vec())
    }

    fn decls() -> impl Strategy<Value = Decls> {
        let extra = vec((name(), any::<bool>(), dtype()), 0..4);
        let cbs = vec((1u64..1 << 20, 1u32..5), 1..9);
        (name(), dtype(), name(), dtype(), extra, cbs, 1u32..9, 0u32..14)
            .prop_map(|(buf, buf_t, scalar, scalar_t, extra, cbs, regs, n_commands)| {
                let mut params = vec![
                    Param { name: buf, kind: ParamKind::Buffer(buf_t) },
                    Param { name: scalar, kind: ParamKind::Scalar(scalar_t) },
                ];
                params.extend(extra.into_iter().map(|(name, buffer, t)| Param {
                    name,
                    kind: if buffer { ParamKind::Buffer(t) } else { ParamKind::Scalar(t) },
                }));
                let cbs = cbs
                    .into_iter()
                    .map(|(slot_bytes, depth)| CbDecl { slot_bytes, depth })
                    .collect();
                Decls { params, cbs, regs, n_commands }
            })
            .prop_filter("parameter names are unique", |d| {
                let mut names: Vec<&str> = d.params.iter().map(|p| p.name.as_str()).collect();
                names.sort_unstable();
                names.windows(2).all(|w| w[0] != w[1])
            })
    }

    fn cb(d: &Decls) -> impl Strategy<Value = CbId> {
        (0..d.cbs.len() as u32).prop_map(CbId)
    }

    fn dim() -> impl Strategy<Value = u64> {
        prop_oneof![0u64..300, Just(u64::MAX)]
    }

    /// Interesting float bits: NaN payloads and signs, zeros, infinities, subnormals.
    fn special_imm() -> impl Strategy<Value = Imm> {
        use ScalarType::{BF16, F16, F32, F64};
        select(vec![
            Imm { dtype: F32, bits: 0x7fc0_0000 },
            Imm { dtype: F32, bits: 0xffc0_0000 },
            Imm { dtype: F32, bits: 0x7f80_0001 },
            Imm { dtype: F32, bits: 0x8000_0000 },
            Imm { dtype: F32, bits: 0xff80_0000 },
            Imm { dtype: F32, bits: 0x0000_0001 },
            Imm { dtype: F64, bits: 0x7ff8_0000_0000_0000 },
            Imm { dtype: F64, bits: 0xfff0_0000_0000_0001 },
            Imm { dtype: F64, bits: 0x8000_0000_0000_0000 },
            Imm { dtype: F64, bits: 1 },
            Imm { dtype: F16, bits: 0x7e00 },
            Imm { dtype: F16, bits: 0xfc01 },
            Imm { dtype: F16, bits: 0x8000 },
            Imm { dtype: F16, bits: 0x0001 },
            Imm { dtype: F16, bits: 0x7bff },
            Imm { dtype: BF16, bits: 0x7fc0 },
            Imm { dtype: BF16, bits: 0xff81 },
            Imm { dtype: BF16, bits: 0x0001 },
            Imm { dtype: BF16, bits: 0x7f7f },
        ])
    }

    /// An immediate: random bits of a random dtype, or an interesting float.
    fn imm() -> impl Strategy<Value = Imm> {
        let random = (dtype(), any::<u64>()).prop_map(|(dtype, bits)| {
            let bits = match dtype.bits() {
                _ if dtype == ScalarType::Bool => bits & 1,
                64 => bits,
                width => bits & ((1u64 << width) - 1),
            };
            Imm { dtype, bits }
        });
        prop_oneof![3 => random, 1 => special_imm()]
    }

    fn special() -> impl Strategy<Value = Special> {
        prop_oneof![
            Just(Special::PeRow),
            Just(Special::PeCol),
            Just(Special::PeRows),
            Just(Special::PeCols),
            (0u8..=2).prop_map(Special::Grid),
        ]
    }

    fn scalar_operand(d: &Decls) -> BoxedStrategy<Operand> {
        prop_oneof![
            (0..d.regs).prop_map(|r| Operand::Reg(Reg(r))),
            imm().prop_map(Operand::Imm),
            select(d.indices(false)).prop_map(Operand::Param),
            special().prop_map(Operand::Special),
        ]
        .boxed()
    }

    fn operand(d: &Decls) -> BoxedStrategy<Operand> {
        prop_oneof![1 => cb(d).prop_map(Operand::Cb), 4 => scalar_operand(d)].boxed()
    }

    /// A tile op whose result has rank `rank` (which only `trans` depends on).
    fn tile_op(rank: usize) -> BoxedStrategy<TileOp> {
        let arange = (any::<i64>(), any::<i64>()).prop_filter_map("a non-empty range", |(a, b)| {
            (a != b).then(|| TileOp::Arange { start: a.min(b), end: a.max(b) })
        });
        let perm = Just((0..rank as u32).collect::<Vec<u32>>()).prop_shuffle();
        prop_oneof![
            arange,
            Just(TileOp::Splat),
            any::<u32>().prop_map(|axis| TileOp::ExpandDims { axis }),
            Just(TileOp::Broadcast),
            Just(TileOp::Reshape),
            perm.prop_map(|perm| TileOp::Trans { perm }),
            select(UnaryOp::ALL.to_vec()).prop_map(TileOp::Unary),
            select(BinaryOp::ALL.to_vec()).prop_map(TileOp::Binary),
            select(CmpPred::ALL.to_vec()).prop_map(TileOp::Cmp),
            Just(TileOp::Select),
            Just(TileOp::Cast),
            Just(TileOp::Fma),
            (select(ReduceOp::ALL.to_vec()), any::<u32>())
                .prop_map(|(op, axis)| TileOp::Reduce { op, axis }),
            any::<u32>().prop_map(|axis| TileOp::Scan { op: ScanOp::Cumsum, axis }),
            Just(TileOp::Dot),
            Just(TileOp::Copy),
        ]
        .boxed()
    }

    fn scalar_op(d: &Decls) -> BoxedStrategy<Op> {
        let d = d.clone();
        tile_op(0)
            .prop_flat_map(move |op| {
                let inputs = vec(operand(&d), op.arity());
                (Just(op), dtype(), 0..d.regs, inputs)
            })
            .prop_map(|(op, dtype, dst, inputs)| Op::Scalar { op, dtype, dst: Reg(dst), inputs })
            .boxed()
    }

    /// A compute command on a random engine among those that run its op.
    fn tile(d: &Decls) -> BoxedStrategy<Op> {
        let d = d.clone();
        (0..=MAX_RANK)
            .prop_flat_map(|rank| (vec(dim(), rank), tile_op(rank)))
            .prop_flat_map(move |(shape, op)| {
                let engines: Vec<Engine> =
                    Engine::ALL.into_iter().filter(|e| e.runs(&op)).collect();
                let inputs = vec(operand(&d), op.arity());
                let out = (cb(&d), any::<bool>()).prop_map(|(cb, update)| {
                    if update {
                        Dst::Update(cb)
                    } else {
                        Dst::Push(cb)
                    }
                });
                (select(engines), Just(op), out, Just(shape), dtype(), inputs)
            })
            .prop_map(|(engine, op, out, shape, dtype, inputs)| Op::Tile {
                engine,
                op,
                out,
                shape,
                dtype,
                inputs,
            })
            .boxed()
    }

    fn level() -> impl Strategy<Value = MemLevel> {
        prop_oneof![Just(MemLevel::Dram), Just(MemLevel::Sram)]
    }

    fn desc(d: &Decls) -> BoxedStrategy<DmaDesc> {
        let d = d.clone();
        (0..=MAX_RANK)
            .prop_flat_map(move |rank| {
                let mask = prop_oneof![
                    Just(DmaMask::All),
                    vec(scalar_operand(&d), rank).prop_map(DmaMask::Extents),
                    cb(&d).prop_map(DmaMask::Tile),
                ];
                let strides = vec(scalar_operand(&d), rank);
                let buffer = select(d.indices(true));
                (level(), buffer, scalar_operand(&d), vec(dim(), rank), strides, mask)
            })
            .prop_map(|(level, buffer, base, shape, strides, mask)| DmaDesc {
                level,
                buffer,
                base,
                shape,
                strides,
                mask,
            })
            .boxed()
    }

    fn index(d: &Decls) -> impl Strategy<Value = IndexDesc> {
        (level(), select(d.indices(true)), cb(d), prop::option::of(cb(d)))
            .prop_map(|(level, buffer, index, mask)| IndexDesc { level, buffer, index, mask })
    }

    fn dir() -> impl Strategy<Value = Dir> {
        select(vec![Dir::North, Dir::South, Dir::East, Dir::West])
    }

    fn pe_set() -> impl Strategy<Value = PeSet> {
        prop_oneof![
            Just(PeSet::All),
            Just(PeSet::Row),
            Just(PeSet::Col),
            any::<[u32; 4]>().prop_map(|[row, col, rows, cols]| PeSet::Rect {
                row,
                col,
                rows,
                cols
            }),
        ]
    }

    /// Any characters, control characters, quotes and backslashes included.
    fn message() -> impl Strategy<Value = String> {
        vec(any::<char>(), 0..12).prop_map(String::from_iter)
    }

    fn neighbour(d: &Decls) -> impl Strategy<Value = Op> {
        (dir(), cb(d), 0..4).prop_map(|(dir, cb, which)| match which {
            0 => Op::ReSend { dir, cb },
            1 => Op::ReRecv { dir, cb },
            2 => Op::Send { dir, cb },
            _ => Op::Recv { dir, cb },
        })
    }

    fn op(d: &Decls) -> BoxedStrategy<Op> {
        let target = 0..=d.n_commands;
        let buffer = select(d.indices(true));
        let group = prop_oneof![Just(Group::Row), Just(Group::Col)];
        let atomic = prop_oneof![Just(AtomicOp::Add), Just(AtomicOp::Max)];
        prop_oneof![
            scalar_op(d),
            target.clone().prop_map(|target| Op::Jump { target }),
            (operand(d), any::<bool>(), target).prop_map(|(cond, when, target)| Op::Branch {
                cond,
                when,
                target
            }),
            (operand(d), message()).prop_map(|(cond, message)| Op::Assert { cond, message }),
            cb(d).prop_map(|cb| Op::Pop { cb }),
            (cb(d), desc(d)).prop_map(|(cb, src)| Op::DmaIn { cb, src }),
            (cb(d), desc(d)).prop_map(|(cb, dst)| Op::DmaOut { cb, dst }),
            (cb(d), index(d)).prop_map(|(cb, src)| Op::Gather { cb, src }),
            (cb(d), index(d)).prop_map(|(cb, dst)| Op::Scatter { cb, dst }),
            (atomic, cb(d), index(d), prop::option::of(cb(d)))
                .prop_map(|(op, cb, dst, old)| Op::AtomicRmw { op, cb, dst, old }),
            (buffer, scalar_operand(d), scalar_operand(d))
                .prop_map(|(buffer, base, len)| Op::Prefetch { buffer, base, len }),
            (cb(d), desc(d), group).prop_map(|(cb, src, group)| Op::BcastLoad { cb, src, group }),
            tile(d),
            tile(d),
            neighbour(d),
            any::<u32>().prop_map(|t| Op::Wait { token: Token(t) }),
            Just(Op::Fence),
            pe_set().prop_map(|set| Op::Barrier { set }),
        ]
        .boxed()
    }

    /// A random valid program.
    fn program() -> impl Strategy<Value = Program> {
        (decls(), name())
            .prop_flat_map(|(decls, kernel)| {
                let command = (op(&decls), prop::option::of(any::<u32>()))
                    .prop_map(|(op, token)| Command { op, token: token.map(Token) });
                let code = vec(command, decls.n_commands as usize);
                (Just(decls), Just(kernel), code)
            })
            .prop_map(|(decls, kernel, code)| Program {
                kernel,
                params: decls.params,
                cbs: decls.cbs,
                regs: decls.regs,
                code,
            })
    }

    /// A payload wrapped in a correct header and checksum, to reach the decoder.
    fn seal(payload: &[u8]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(payload);
        out.extend_from_slice(&fnv1a64(payload).to_le_bytes());
        out
    }

    /// Whatever the loader accepts is valid and re-encodes to the same bytes (the
    /// encoding is canonical).
    fn check_loaded(bytes: &[u8]) -> Result<(), TestCaseError> {
        if let Ok(q) = load(bytes) {
            prop_assert_eq!(q.validate(), Ok(()));
            prop_assert_eq!(save(&q), bytes);
        }
        Ok(())
    }

    /// Whatever the assembler accepts is valid and round-trips through its printed form.
    fn check_parsed(text: &str) -> Result<(), TestCaseError> {
        if let Ok(q) = parse_program(text) {
            prop_assert_eq!(q.validate(), Ok(()));
            let printed = print_program(&q);
            prop_assert_eq!(parse_program(&printed), Ok(q), "{}", printed);
        }
        Ok(())
    }

    #[derive(Clone, Debug)]
    enum Edit {
        Replace(Index, char),
        Insert(Index, char),
        Delete(Index),
    }

    /// Characters likely to keep a text almost parseable.
    fn text_char() -> impl Strategy<Value = char> {
        prop_oneof![
            select("0123456789-:.,[]=<>@%\"\\;_ \nrcbtLx".chars().collect::<Vec<char>>()),
            any::<char>(),
        ]
    }

    fn edit() -> impl Strategy<Value = Edit> {
        prop_oneof![
            (any::<Index>(), text_char()).prop_map(|(i, c)| Edit::Replace(i, c)),
            (any::<Index>(), text_char()).prop_map(|(i, c)| Edit::Insert(i, c)),
            any::<Index>().prop_map(Edit::Delete),
        ]
    }

    fn apply(text: &str, edits: &[Edit]) -> String {
        let mut chars: Vec<char> = text.chars().collect();
        for edit in edits {
            match edit {
                Edit::Insert(i, c) => chars.insert(i.index(chars.len() + 1), *c),
                Edit::Replace(i, c) if !chars.is_empty() => {
                    let at = i.index(chars.len());
                    chars[at] = *c;
                }
                Edit::Delete(i) if !chars.is_empty() => {
                    chars.remove(i.index(chars.len()));
                }
                Edit::Replace(..) | Edit::Delete(_) => {}
            }
        }
        chars.into_iter().collect()
    }

    const SOUP_HEADER: &str =
        "kernel k\nparam x: *f32\nparam n: i32\nregs 2\ncb_alloc cb0 slot_bytes=64 depth=2\n";

    /// Words of the assembly, mostly of the code, to shuffle into near-programs
    /// (separated by `|`).
    const SOUP_WORDS: &str = concat!(
        "\n|\n|\n| | |L0:|L1:|L2:|jmp|L1|br|brz|fence|pop|dma_in|cb0|r1|<-|->|=|dram|x|[|]|",
        "base=|shape=[4]|strides=|mask=|,|1:i32|%n|-|..|@t1|se_op|se_lut|add|exp|sum|axis=0|",
        ":[4]f32|assert|\"s\\\"\"|99999999999999999999|1e39:f32|NaN:f16|regs 1\n|cb_alloc|wait t1",
    );

    fn soup_word() -> impl Strategy<Value = &'static str> {
        select(SOUP_WORDS.split('|').collect::<Vec<&str>>())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        #[test]
        fn assembly_round_trips(p in program()) {
            prop_assert_eq!(p.validate(), Ok(()));
            let text = print_program(&p);
            // Equal programs print equal texts, so the printed text is also a fixed point.
            prop_assert_eq!(parse_program(&text), Ok(p), "{}", text);
        }

        #[test]
        fn binary_round_trips(p in program()) {
            let bytes = save(&p);
            prop_assert_eq!(load(&bytes), Ok(p));
            check_loaded(&bytes)?;
        }

        #[test]
        fn corrupted_binary_is_rejected_or_valid(
            p in program(),
            flips in vec((any::<Index>(), 1u8..=255), 1..4),
            cut in any::<Index>(),
        ) {
            let bytes = save(&p);
            prop_assert!(load(&bytes[..cut.index(bytes.len())]).is_err());
            let mut flipped = bytes.clone();
            for (i, mask) in &flips {
                flipped[i.index(bytes.len())] ^= mask;
            }
            check_loaded(&flipped)?;
            // Behind a correct checksum the decoder itself sees the damage.
            let payload = &bytes[20..bytes.len() - 8];
            prop_assert!(load(&seal(&payload[..cut.index(payload.len())])).is_err());
            if !payload.is_empty() {
                let mut damaged = payload.to_vec();
                for (i, mask) in &flips {
                    damaged[i.index(payload.len())] ^= mask;
                }
                check_loaded(&seal(&damaged))?;
            }
        }

        #[test]
        fn random_bytes_are_rejected_or_valid(bytes in vec(any::<u8>(), 0..256)) {
            check_loaded(&bytes)?;
            check_loaded(&seal(&bytes))?;
        }

        #[test]
        fn edited_assembly_is_rejected_or_round_trips(
            p in program(),
            edits in vec(edit(), 1..4),
        ) {
            check_parsed(&apply(&print_program(&p), &edits))?;
        }

        #[test]
        fn random_text_is_rejected_or_round_trips(text in "\\PC{0,200}") {
            check_parsed(&text)?;
        }

        #[test]
        fn token_soup_is_rejected_or_round_trips(words in vec(soup_word(), 0..40)) {
            check_parsed(&format!("{SOUP_HEADER}{}", words.concat()))?;
        }
    }
}
