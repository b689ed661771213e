//! Property test: the functional simulator never panics on random (structurally
//! valid or not) programs; it returns stats or a typed error.

mod sim {
    use proptest::prelude::*;
    use tessera_ir::interp::Buffer;
    use tessera_ir::{BinaryOp, ReduceOp, ScalarType, UnaryOp};
    use tessera_pegrid::machine::Machine;
    use tessera_pegrid::program::{
        Buffer as Decl, CbId, Command, Dir, DmaDesc, EltFn, GridProgram, Group, LutFn, MemLevel,
        MluOp, Op, PeProgram, PeSet, Token, VecFn,
    };
    use tessera_pegrid::sim::run;

    const DTYPES: [ScalarType; 4] =
        [ScalarType::F32, ScalarType::F16, ScalarType::I8, ScalarType::F64];

    fn cb() -> impl Strategy<Value = CbId> {
        (0u32..4).prop_map(CbId)
    }

    fn dtype() -> impl Strategy<Value = ScalarType> {
        (0usize..4).prop_map(|i| DTYPES[i])
    }

    fn dir() -> impl Strategy<Value = Dir> {
        prop_oneof![Just(Dir::North), Just(Dir::South), Just(Dir::East), Just(Dir::West)]
    }

    fn desc() -> impl Strategy<Value = DmaDesc> {
        (1usize..=3)
            .prop_flat_map(|rank| {
                (
                    0u32..3,
                    0u64..20,
                    prop::collection::vec(0u64..5, rank),
                    prop::collection::vec(-3i64..5, rank),
                    dtype(),
                    prop::option::of(prop::collection::vec(0u64..5, rank)),
                    any::<bool>(),
                )
            })
            .prop_map(|(buffer, base, shape, strides, dtype, mask, dram)| DmaDesc {
                level: if dram { MemLevel::Dram } else { MemLevel::Sram },
                buffer,
                base,
                shape,
                strides,
                dtype,
                mask,
            })
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (4u32..6, prop_oneof![0u64..64, Just(u64::MAX)], 0u32..3).prop_map(
                |(cb, slot_bytes, depth)| Op::CbAlloc { cb: CbId(cb), slot_bytes, depth }
            ),
            (cb(), desc()).prop_map(|(cb, src)| Op::DmaIn { cb, src }),
            (cb(), desc()).prop_map(|(cb, dst)| Op::DmaOut { cb, dst }),
            (cb(), desc(), any::<bool>()).prop_map(|(cb, src, row)| Op::BcastLoad {
                cb,
                src,
                group: if row { Group::Row } else { Group::Col }
            }),
            (0u32..3, 0u64..20, 0u64..20, dtype())
                .prop_map(|(buffer, base, len, dtype)| Op::Prefetch { buffer, base, len, dtype }),
            (cb(), cb(), cb(), 0u32..4, 0u32..4, 0u32..4, dtype(), any::<bool>()).prop_map(
                |(acc, a, b, m, n, k, dtype, accumulate)| Op::DpeMm {
                    acc,
                    a,
                    b,
                    m,
                    n,
                    k,
                    dtype,
                    accumulate
                }
            ),
            (cb(), cb()).prop_map(|(acc, input)| Op::ReAcc { acc, input }),
            (dir(), cb()).prop_map(|(dir, cb)| Op::ReSend { dir, cb }),
            (dir(), cb()).prop_map(|(dir, cb)| Op::ReRecv { dir, cb }),
            (cb(), cb()).prop_map(|(out, acc)| Op::ReDrain { out, acc }),
            (0usize..16, 0usize..12, dtype(), cb(), cb(), cb(), any::<bool>()).prop_map(
                |(u, b, dtype, out, x, y, unary)| {
                    if unary {
                        Op::SeOp {
                            func: EltFn::Unary(UnaryOp::ALL[u]),
                            dtype,
                            out,
                            inputs: vec![x],
                        }
                    } else {
                        Op::SeOp {
                            func: EltFn::Binary(BinaryOp::ALL[b]),
                            dtype,
                            out,
                            inputs: vec![x, y],
                        }
                    }
                }
            ),
            (0usize..9, dtype(), cb(), cb()).prop_map(|(f, dtype, out, input)| Op::SeLut {
                func: LutFn::ALL[f],
                dtype,
                out,
                input
            }),
            (0usize..5, 0u32..4, dtype(), cb(), cb(), any::<bool>()).prop_map(
                |(r, axis, dtype, out, x, copy)| Op::VecOp {
                    func: if copy {
                        VecFn::Copy
                    } else {
                        VecFn::Reduce { op: ReduceOp::ALL[r], axis }
                    },
                    dtype,
                    out,
                    inputs: vec![x]
                }
            ),
            (cb(), cb(), prop::collection::vec(0u32..4, 1..4))
                .prop_map(|(out, input, perm)| Op::Mlu(MluOp::Transpose { out, input, perm })),
            (cb(), cb(), prop::collection::vec(0u64..6, 1..4))
                .prop_map(|(out, input, shape)| Op::Mlu(MluOp::Reshape { out, input, shape })),
            (cb(), prop::collection::vec(cb(), 1..3), 0u32..3)
                .prop_map(|(out, inputs, axis)| Op::Mlu(MluOp::Concat { out, inputs, axis })),
            (cb(), cb(), prop::collection::vec((0u64..3, 0u64..4), 1..4)).prop_map(
                |(out, input, os)| {
                    let (offsets, sizes) = os.into_iter().unzip();
                    Op::Mlu(MluOp::Slice { out, input, offsets, sizes })
                }
            ),
            (dir(), cb()).prop_map(|(dir, cb)| Op::Send { dir, cb }),
            (dir(), cb()).prop_map(|(dir, cb)| Op::Recv { dir, cb }),
            (0u32..4).prop_map(|t| Op::Wait { token: Token(t) }),
            Just(Op::Fence),
            prop_oneof![
                Just(PeSet::All),
                Just(PeSet::Row),
                Just(PeSet::Col),
                (0u32..3, 0u32..3, 0u32..3, prop_oneof![0u32..3, Just(u32::MAX)])
                    .prop_map(|(row, col, rows, cols)| PeSet::Rect { row, col, rows, cols }),
            ]
            .prop_map(|set| Op::Barrier { set }),
        ]
    }

    fn command() -> impl Strategy<Value = Command> {
        (op(), prop::option::of((0u32..4).prop_map(Token)))
            .prop_map(|(op, token)| Command { op, token })
    }

    fn program() -> impl Strategy<Value = GridProgram> {
        prop::collection::vec(((0u32..2, 0u32..2), prop::collection::vec(command(), 0..14)), 1..4)
            .prop_map(|pes| {
                let mut seen = std::collections::HashSet::new();
                let pes = pes
                    .into_iter()
                    .filter(|(rc, _)| seen.insert(*rc))
                    .map(|((row, col), random)| {
                        // Every PE allocates cb0..cb3 so random commands get past allocation.
                        let mut commands: Vec<Command> = (0..4)
                            .map(|c| Command {
                                op: Op::CbAlloc { cb: CbId(c), slot_bytes: 64, depth: 2 },
                                token: None,
                            })
                            .collect();
                        commands.extend(random);
                        PeProgram { row, col, commands }
                    })
                    .collect();
                GridProgram {
                    kernel: "fuzz".into(),
                    rows: 2,
                    cols: 2,
                    buffers: vec![
                        Decl { name: "a".into(), dtype: ScalarType::F32, len: 16 },
                        Decl { name: "b".into(), dtype: ScalarType::F16, len: 16 },
                        Decl { name: "c".into(), dtype: ScalarType::I8, len: 16 },
                    ],
                    pes,
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn random_programs_never_panic(p in program()) {
            let machine = Machine::preset("tiny").expect("tiny preset");
            let mut bufs = vec![
                Buffer::from_f64(ScalarType::F32, &(0..16).map(|i| i as f64 - 4.5).collect::<Vec<_>>()),
                Buffer::from_f64(ScalarType::F16, &(0..16).map(|i| i as f64 * 0.25).collect::<Vec<_>>()),
                Buffer::from_f64(ScalarType::I8, &(0..16).map(|i| i as f64 - 8.0).collect::<Vec<_>>()),
            ];
            let result = run(&p, &machine, &mut bufs);
            if let Err(e) = &result {
                // Errors must render (Display never panics either).
                let _ = e.to_string();
            }
        }
    }
}
