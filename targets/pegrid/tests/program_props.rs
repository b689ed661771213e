//! Property tests of PE programs: random valid programs survive the assembly and `.peo`
//! round trips unchanged, and the printed text is a fixed point.

/// Named `program` so `cargo test -p tessera-pegrid program` selects these tests.
mod program {
    use proptest::prelude::*;
    use tessera_pegrid::program::asm::{parse_program, print_program};
    use tessera_pegrid::program::binary::{load, save};
    use tessera_pegrid::program::*;

    fn dtype() -> impl Strategy<Value = ScalarType> {
        prop::sample::select(ScalarType::ALL.to_vec())
    }
    fn cb() -> impl Strategy<Value = CbId> {
        prop_oneof![0u32..8, Just(u32::MAX)].prop_map(CbId)
    }
    fn dir() -> impl Strategy<Value = Dir> {
        prop::sample::select(vec![Dir::North, Dir::South, Dir::East, Dir::West])
    }
    fn elt() -> impl Strategy<Value = EltFn> {
        prop_oneof![
            prop::sample::select(UnaryOp::ALL.to_vec()).prop_map(EltFn::Unary),
            prop::sample::select(BinaryOp::ALL.to_vec()).prop_map(EltFn::Binary),
        ]
    }
    fn dims(n: usize) -> impl Strategy<Value = Vec<u64>> {
        prop::collection::vec(prop_oneof![0u64..300, Just(u64::MAX)], n)
    }
    fn desc(nbuf: u32) -> impl Strategy<Value = DmaDesc> {
        (1usize..=MAX_RANK).prop_flat_map(move |r| {
            (
                prop::bool::ANY,
                0..nbuf,
                any::<u64>(),
                dims(r),
                prop::collection::vec(any::<i64>(), r),
                dtype(),
                prop::option::of(dims(r)),
            )
                .prop_map(|(sram, buffer, base, shape, strides, dtype, mask)| {
                    DmaDesc {
                        level: if sram { MemLevel::Sram } else { MemLevel::Dram },
                        buffer,
                        base,
                        shape,
                        strides,
                        dtype,
                        mask,
                    }
                })
        })
    }
    fn inputs(n: usize) -> impl Strategy<Value = Vec<CbId>> {
        prop::collection::vec(cb(), n)
    }
    fn mlu() -> BoxedStrategy<MluOp> {
        prop_oneof![
            (cb(), cb(), prop::collection::vec(0u32..4, 1..=4))
                .prop_map(|(out, input, perm)| MluOp::Transpose { out, input, perm }),
            (cb(), cb(), prop::collection::vec(any::<u64>(), 1..=4))
                .prop_map(|(out, input, shape)| MluOp::Reshape { out, input, shape }),
            (cb(), prop::collection::vec(cb(), 1..5), any::<u32>())
                .prop_map(|(out, inputs, axis)| MluOp::Concat { out, inputs, axis }),
            (1usize..=4).prop_flat_map(|r| (cb(), cb(), dims(r), dims(r))).prop_map(
                |(out, input, offsets, sizes)| MluOp::Slice { out, input, offsets, sizes }
            ),
        ]
        .boxed()
    }
    fn vec_op() -> BoxedStrategy<Op> {
        let func = prop_oneof![
            elt().prop_map(VecFn::Elt),
            (prop::sample::select(ReduceOp::ALL.to_vec()), any::<u32>())
                .prop_map(|(op, axis)| VecFn::Reduce { op, axis }),
            Just(VecFn::Copy),
        ];
        (func, dtype(), cb())
            .prop_flat_map(|(func, dtype, out)| {
                inputs(func.arity()).prop_map(move |inputs| Op::VecOp { func, dtype, out, inputs })
            })
            .boxed()
    }
    fn op(nbuf: u32) -> BoxedStrategy<Op> {
        prop_oneof![
            (cb(), any::<u64>(), any::<u32>()).prop_map(|(cb, slot_bytes, depth)| Op::CbAlloc {
                cb,
                slot_bytes,
                depth
            }),
            (cb(), desc(nbuf)).prop_map(|(cb, src)| Op::DmaIn { cb, src }),
            (cb(), desc(nbuf)).prop_map(|(cb, dst)| Op::DmaOut { cb, dst }),
            (0..nbuf, any::<u64>(), any::<u64>(), dtype())
                .prop_map(|(buffer, base, len, dtype)| Op::Prefetch { buffer, base, len, dtype }),
            (cb(), desc(nbuf), prop::bool::ANY).prop_map(|(cb, src, row)| Op::BcastLoad {
                cb,
                src,
                group: if row { Group::Row } else { Group::Col }
            }),
            (cb(), cb(), cb(), any::<[u32; 3]>(), dtype(), prop::bool::ANY).prop_map(
                |(acc, a, b, [m, n, k], dtype, accumulate)| Op::DpeMm {
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
            (elt(), dtype(), cb()).prop_flat_map(|(func, dtype, out)| {
                inputs(func.arity()).prop_map(move |inputs| Op::SeOp { func, dtype, out, inputs })
            }),
            (prop::sample::select(LutFn::ALL.to_vec()), dtype(), cb(), cb())
                .prop_map(|(func, dtype, out, input)| Op::SeLut { func, dtype, out, input }),
            mlu().prop_map(Op::Mlu),
            vec_op(),
            (dir(), cb()).prop_map(|(dir, cb)| Op::Send { dir, cb }),
            (dir(), cb()).prop_map(|(dir, cb)| Op::Recv { dir, cb }),
            any::<u32>().prop_map(|t| Op::Wait { token: Token(t) }),
            Just(Op::Fence),
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
            .prop_map(|set| Op::Barrier { set }),
        ]
        .boxed()
    }
    fn name() -> impl Strategy<Value = String> {
        "[A-Za-z_][A-Za-z0-9_.]{0,8}"
    }
    fn grid_program() -> impl Strategy<Value = GridProgram> {
        (1u32..4, 1u32..4, 1u32..4).prop_flat_map(|(rows, cols, nbuf)| {
            let command = (op(nbuf), prop::option::of(any::<u32>()))
                .prop_map(|(op, t)| Command { op, token: t.map(Token) });
            (
                name(),
                prop::collection::vec((name(), dtype(), any::<u64>()), nbuf as usize),
                prop::collection::vec(
                    prop::collection::vec(command, 0..8),
                    0..=(rows * cols) as usize,
                ),
            )
                .prop_map(move |(kernel, bufs, progs)| GridProgram {
                    kernel,
                    rows,
                    cols,
                    buffers: bufs
                        .into_iter()
                        .map(|(name, dtype, len)| Buffer { name, dtype, len })
                        .collect(),
                    pes: progs
                        .into_iter()
                        .enumerate()
                        .map(|(i, commands)| PeProgram {
                            row: i as u32 / cols,
                            col: i as u32 % cols,
                            commands,
                        })
                        .collect(),
                })
        })
    }

    proptest! {
        #[test]
        fn random_program_round_trips(p in grid_program()) {
            prop_assert_eq!(p.validate(), Ok(()));
            let text = print_program(&p);
            let q = parse_program(&text);
            prop_assert_eq!(q.as_ref(), Ok(&p), "{}", text);
            prop_assert_eq!(print_program(&p), text);
            let bytes = save(&p);
            prop_assert_eq!(load(&bytes), Ok(p));
        }
    }
}
