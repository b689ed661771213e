//! Property tests of the functional simulator: on random programs, arguments and
//! launches (most of them invalid or failing at run time) it never panics, its errors
//! render, and two runs agree exactly (result, statistics and buffers); and random
//! strided DMA copies agree with a plain-Rust model of the descriptor semantics,
//! out-of-bounds reports included.

use proptest::prelude::*;
use tessera_ir::interp::{Buffer, KernelArg, Scalar};
use tessera_ir::{AtomicOp, BinaryOp, CmpPred, ReduceOp, ScalarType, ScanOp, UnaryOp};
use tessera_pegrid::machine::Machine;
use tessera_pegrid::program::{
    CbDecl, CbId, Command, Dir, DmaDesc, DmaMask, Dst, Engine, Group, Imm, IndexDesc, MemLevel, Op,
    Operand, Param, ParamKind, PeSet, Program, Reg, Special, TileOp, Token,
};
use tessera_pegrid::sim::{run, Launch, Mode, SimError};

use ScalarType::{Bool, F16, F32, I32, I64, I8, U8};

const DTYPES: [ScalarType; 7] = [F32, F16, I8, I32, I64, Bool, U8];

/// The parameters of every random program (index 7 and up do not exist).
fn params() -> Vec<Param> {
    let kinds = [
        ("a", ParamKind::Buffer(F32)),
        ("b", ParamKind::Buffer(F16)),
        ("c", ParamKind::Buffer(I8)),
        ("idx", ParamKind::Buffer(I32)),
        ("m", ParamKind::Buffer(Bool)),
        ("n", ParamKind::Scalar(I32)),
        ("w", ParamKind::Buffer(I64)),
    ];
    kinds.iter().map(|&(name, kind)| Param { name: name.into(), kind }).collect()
}

fn dtype() -> impl Strategy<Value = ScalarType> {
    prop::sample::select(DTYPES.to_vec())
}

// Generators take `wild`: when false they produce structurally valid programs (which
// `Program::validate` accepts), so that runs get past validation; when true anything.

fn imm(wild: bool) -> impl Strategy<Value = Imm> {
    prop_oneof![
        3 => (-20i64..40).prop_map(Imm::i64),
        3 => (-20i32..40).prop_map(Imm::i32),
        2 => any::<bool>().prop_map(|b| Imm::from_scalar(Scalar::Bool(b))),
        2 => (-8.0f32..8.0).prop_map(|x| Imm::from_scalar(Scalar::F32(x))),
        1 => (dtype(), any::<u64>()).prop_map(move |(dtype, bits)| {
            let imm = Imm { dtype, bits };
            if wild || imm.to_scalar().is_some() { imm } else { Imm::i64(bits as i64) }
        }),
    ]
}

fn special(wild: bool) -> impl Strategy<Value = Special> {
    let axes = if wild { 4 } else { 3 };
    prop_oneof![
        Just(Special::PeRow),
        Just(Special::PeCol),
        Just(Special::PeRows),
        Just(Special::PeCols),
        (0u8..axes).prop_map(Special::Grid),
    ]
}

fn scalar_operand(wild: bool) -> impl Strategy<Value = Operand> {
    prop_oneof![
        3 => (0u32..5).prop_map(|r| Operand::Reg(Reg(r))),
        4 => imm(wild).prop_map(Operand::Imm),
        1 => (0u32..8).prop_map(move |i| Operand::Param(if wild { i } else { 5 })),
        1 => special(wild).prop_map(Operand::Special),
    ]
}

fn cb(wild: bool) -> impl Strategy<Value = CbId> {
    (0u32..if wild { 5 } else { 4 }).prop_map(CbId)
}

fn operand(wild: bool) -> impl Strategy<Value = Operand> {
    prop_oneof![3 => cb(wild).prop_map(Operand::Cb), 2 => scalar_operand(wild)]
}

/// A buffer parameter (any parameter index when wild).
fn buffer_param(wild: bool) -> impl Strategy<Value = u32> {
    (0u32..8).prop_map(move |i| if wild || matches!(i, 0..=4 | 6) { i } else { 0 })
}

fn dim() -> impl Strategy<Value = u64> {
    prop_oneof![12 => 0u64..5, 1 => Just(1u64 << 31), 1 => Just(u64::MAX)]
}

fn shape() -> impl Strategy<Value = Vec<u64>> {
    prop::collection::vec(dim(), 0..4)
}

fn tile_op() -> impl Strategy<Value = TileOp> {
    prop_oneof![
        (-3i64..3, -2i64..6).prop_map(|(start, end)| TileOp::Arange { start, end }),
        Just(TileOp::Splat),
        (0u32..3).prop_map(|axis| TileOp::ExpandDims { axis }),
        Just(TileOp::Broadcast),
        Just(TileOp::Reshape),
        prop::sample::select(vec![vec![], vec![0], vec![1, 0], vec![0, 2, 1], vec![2, 0]])
            .prop_map(|perm| TileOp::Trans { perm }),
        prop::sample::select(UnaryOp::ALL.to_vec()).prop_map(TileOp::Unary),
        prop::sample::select(BinaryOp::ALL.to_vec()).prop_map(TileOp::Binary),
        prop::sample::select(CmpPred::ALL.to_vec()).prop_map(TileOp::Cmp),
        Just(TileOp::Select),
        Just(TileOp::Cast),
        Just(TileOp::Fma),
        (prop::sample::select(ReduceOp::ALL.to_vec()), 0u32..3)
            .prop_map(|(op, axis)| TileOp::Reduce { op, axis }),
        (0u32..3).prop_map(|axis| TileOp::Scan { op: ScanOp::Cumsum, axis }),
        Just(TileOp::Dot),
        Just(TileOp::Copy),
    ]
}

/// A tile op for a result of `rank`, with its inputs; unless wild, as many inputs as
/// it takes, a permutation of `rank` for `trans` and a nonempty `arange`.
fn op_and_inputs(wild: bool, rank: usize) -> impl Strategy<Value = (TileOp, Vec<Operand>)> {
    (tile_op(), prop::collection::vec(operand(wild), 3)).prop_map(move |(op, inputs)| {
        let op = match op {
            TileOp::Trans { .. } if !wild => {
                TileOp::Trans { perm: (0..rank as u32).rev().collect() }
            }
            TileOp::Arange { start, end } if !wild && end <= start => {
                TileOp::Arange { start, end: start + 1 }
            }
            op => op,
        };
        let arity = if wild { inputs.len() } else { op.arity() };
        (op, inputs.into_iter().take(arity).collect())
    })
}

fn desc(wild: bool) -> impl Strategy<Value = DmaDesc> {
    (0usize..4)
        .prop_flat_map(move |rank| {
            let stride = prop_oneof![
                4 => (-2i64..4).prop_map(|s| Operand::Imm(Imm::i64(s))),
                1 => scalar_operand(wild),
            ];
            let mask = prop_oneof![
                2 => Just(DmaMask::All),
                2 => prop::collection::vec(scalar_operand(wild), rank).prop_map(DmaMask::Extents),
                1 => cb(wild).prop_map(DmaMask::Tile),
            ];
            (
                buffer_param(wild),
                prop_oneof![
                    3 => (0i64..12).prop_map(|b| Operand::Imm(Imm::i64(b))),
                    1 => scalar_operand(wild),
                ],
                prop::collection::vec(prop_oneof![8 => 0u64..5, 1 => dim()], rank),
                prop::collection::vec(stride, rank),
                mask,
                any::<bool>(),
            )
        })
        .prop_map(|(buffer, base, shape, strides, mask, dram)| DmaDesc {
            level: if dram { MemLevel::Dram } else { MemLevel::Sram },
            buffer,
            base,
            shape,
            strides,
            mask,
        })
}

fn index_desc(wild: bool) -> impl Strategy<Value = IndexDesc> {
    (buffer_param(wild), cb(wild), prop::option::of(cb(wild)))
        .prop_map(|(buffer, index, mask)| IndexDesc { level: MemLevel::Dram, buffer, index, mask })
}

fn dir() -> impl Strategy<Value = Dir> {
    prop::sample::select(vec![Dir::North, Dir::South, Dir::East, Dir::West])
}

fn pe_set() -> impl Strategy<Value = PeSet> {
    prop_oneof![
        Just(PeSet::All),
        Just(PeSet::Row),
        Just(PeSet::Col),
        (0u32..3, 0u32..3, 0u32..3, prop_oneof![0u32..3, Just(u32::MAX)])
            .prop_map(|(row, col, rows, cols)| PeSet::Rect { row, col, rows, cols }),
    ]
}

fn tile_command(wild: bool) -> impl Strategy<Value = Op> {
    shape().prop_flat_map(move |shape| {
        let engine = prop::sample::select(Engine::ALL.to_vec());
        (engine, op_and_inputs(wild, shape.len()), any::<bool>(), cb(wild), dtype()).prop_map(
            move |(engine, (op, inputs), push, cb, dtype)| Op::Tile {
                engine: if wild || engine.runs(&op) { engine } else { Engine::Vec },
                op,
                out: if push { Dst::Push(cb) } else { Dst::Update(cb) },
                shape: shape.clone(),
                dtype,
                inputs,
            },
        )
    })
}

/// A command; branch targets are below 18 (the program repairs them unless wild).
fn op(wild: bool) -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (op_and_inputs(wild, 0), dtype(), 0u32..5).prop_map(
            |((op, inputs), dtype, dst)| Op::Scalar { op, dtype, dst: Reg(dst), inputs }
        ),
        1 => (0u32..18).prop_map(|target| Op::Jump { target }),
        1 => (operand(wild), any::<bool>(), 0u32..18)
            .prop_map(|(cond, when, target)| Op::Branch { cond, when, target }),
        1 => operand(wild).prop_map(|cond| Op::Assert { cond, message: "random".into() }),
        1 => cb(wild).prop_map(|cb| Op::Pop { cb }),
        3 => (cb(wild), desc(wild)).prop_map(|(cb, src)| Op::DmaIn { cb, src }),
        2 => (cb(wild), desc(wild)).prop_map(|(cb, dst)| Op::DmaOut { cb, dst }),
        1 => (cb(wild), index_desc(wild)).prop_map(|(cb, src)| Op::Gather { cb, src }),
        1 => (cb(wild), index_desc(wild)).prop_map(|(cb, dst)| Op::Scatter { cb, dst }),
        1 => (any::<bool>(), cb(wild), index_desc(wild), prop::option::of(cb(wild))).prop_map(
            |(add, cb, dst, old)| Op::AtomicRmw {
                op: if add { AtomicOp::Add } else { AtomicOp::Max },
                cb,
                dst,
                old,
            }
        ),
        1 => (buffer_param(wild), scalar_operand(wild), scalar_operand(wild))
            .prop_map(|(buffer, base, len)| Op::Prefetch { buffer, base, len }),
        1 => (cb(wild), desc(wild), any::<bool>()).prop_map(|(cb, src, row)| Op::BcastLoad {
            cb,
            src,
            group: if row { Group::Row } else { Group::Col },
        }),
        5 => tile_command(wild),
        1 => (dir(), cb(wild)).prop_map(|(dir, cb)| Op::ReSend { dir, cb }),
        1 => (dir(), cb(wild)).prop_map(|(dir, cb)| Op::ReRecv { dir, cb }),
        1 => (dir(), cb(wild)).prop_map(|(dir, cb)| Op::Send { dir, cb }),
        1 => (dir(), cb(wild)).prop_map(|(dir, cb)| Op::Recv { dir, cb }),
        1 => (0u32..4).prop_map(|t| Op::Wait { token: Token(t) }),
        1 => Just(Op::Fence),
        1 => pe_set().prop_map(|set| Op::Barrier { set }),
    ]
}

fn command(wild: bool) -> impl Strategy<Value = Command> {
    (op(wild), prop::option::of((0u32..4).prop_map(Token)))
        .prop_map(|(op, token)| Command { op, token })
}

fn cb_decl() -> impl Strategy<Value = CbDecl> {
    let slot_bytes = prop::sample::select(vec![1u64, 16, 64, 64, 256, 256, 256]);
    (slot_bytes, 1u32..4).prop_map(|(slot_bytes, depth)| CbDecl { slot_bytes, depth })
}

/// The CBs of a program: now and then one of depth 0 (invalid) or one too large for
/// local memory.
fn cb_decls(wild: bool) -> impl Strategy<Value = Vec<CbDecl>> {
    (prop::collection::vec(cb_decl(), 4), 0usize..4, 0u32..16).prop_map(
        move |(mut cbs, which, odd)| {
            match odd {
                0 if wild => cbs[which].depth = 0,
                1 => cbs[which].slot_bytes = 1 << 40,
                _ => {}
            }
            cbs
        },
    )
}

/// Register writes and loads that fill CBs 0..3 with small tiles of several dtypes,
/// so that later commands find something to read.
fn prologue() -> Vec<Op> {
    let imm = |v: i64| Operand::Imm(Imm::i64(v));
    let load = |cb: u32, buffer: u32, shape: &[u64], strides: &[i64]| Op::DmaIn {
        cb: CbId(cb),
        src: DmaDesc {
            level: MemLevel::Dram,
            buffer,
            base: imm(0),
            shape: shape.to_vec(),
            strides: strides.iter().map(|&s| imm(s)).collect(),
            mask: DmaMask::All,
        },
    };
    let set = |reg: u32, value: Scalar| Op::Scalar {
        op: TileOp::Copy,
        dtype: value.dtype(),
        dst: Reg(reg),
        inputs: vec![Operand::Imm(Imm::from_scalar(value))],
    };
    vec![
        set(0, Scalar::I32(1)),
        set(1, Scalar::I64(2)),
        set(2, Scalar::Bool(true)),
        set(3, Scalar::F32(0.5)),
        set(4, Scalar::I32(3)),
        load(0, 0, &[2, 2], &[2, 1]),
        load(1, 3, &[4], &[1]),
        load(2, 4, &[2, 2], &[2, 1]),
        load(3, 1, &[], &[]),
    ]
}

fn program_with(wild: bool) -> impl Strategy<Value = Program> {
    (
        cb_decls(wild),
        prop_oneof![8 => Just(5u32), 1 => 0u32..5, 1 => Just(u32::MAX)],
        prop::collection::vec(command(wild), 0..16),
        any::<bool>(),
    )
        .prop_map(move |(cbs, regs, random, with_prologue)| {
            let mut code: Vec<Command> = Vec::new();
            if with_prologue {
                code.extend(prologue().into_iter().map(Command::new));
            }
            code.extend(random);
            let end = code.len() as u32 + 1;
            for command in &mut code {
                if let Op::Jump { target } | Op::Branch { target, .. } = &mut command.op {
                    if !wild {
                        *target %= end;
                    }
                }
            }
            Program { kernel: "fuzz".into(), params: params(), cbs, regs, code }
        })
}

fn program() -> impl Strategy<Value = Program> {
    prop_oneof![9 => program_with(false), 1 => program_with(true)]
}

/// A buffer of `dtype` and `len` elements from `seeds`.
fn buffer(dtype: ScalarType, seeds: &[i64]) -> Buffer {
    let values: Vec<f64> = seeds
        .iter()
        .map(|&s| match dtype {
            Bool => (s & 1) as f64,
            F32 | F16 if s % 11 == 0 => f64::NAN,
            F32 | F16 => s as f64 * 0.37,
            _ => s as f64,
        })
        .collect();
    Buffer::from_f64(dtype, &values)
}

fn args() -> impl Strategy<Value = Vec<KernelArg>> {
    let len = prop_oneof![1 => 0usize..4, 6 => 4usize..24];
    let seeds = len.prop_flat_map(|len| prop::collection::vec(-3i64..24, len));
    (prop::collection::vec(seeds, 7), -2i32..12, 0u32..40).prop_map(|(seeds, n, odd)| {
        let mut args: Vec<KernelArg> = params()
            .iter()
            .zip(&seeds)
            .map(|(param, seeds)| match param.kind {
                ParamKind::Buffer(dtype) => KernelArg::Buffer(buffer(dtype, seeds)),
                ParamKind::Scalar(_) => KernelArg::Scalar(Scalar::I32(n)),
            })
            .collect();
        // Now and then a mismatched or missing argument.
        match odd {
            0 => args[1] = KernelArg::Buffer(Buffer::zeros(ScalarType::F64, 3)),
            1 => args[5] = KernelArg::Scalar(Scalar::I64(i64::from(n))),
            2 => {
                args.pop();
            }
            _ => {}
        }
        args
    })
}

fn launch() -> impl Strategy<Value = Launch> {
    (1u32..3, 1u32..3, 0u64..3000, any::<bool>(), 0u32..24, 0usize..3, any::<bool>()).prop_map(
        |(rows, cols, fuel, check_asserts, odd, mode, trace)| {
            // Every mode: the timing model must not panic on any program either.
            let mode = [Mode::Functional, Mode::Timed, Mode::TimingOnly][mode];
            let sram_buffers = if trace { vec![0, 7] } else { vec![] };
            let launch = Launch {
                grid: [1, 2, 3],
                rows,
                cols,
                fuel,
                check_asserts,
                mode,
                trace,
                sram_buffers,
            };
            // Now and then a launch that does not fit the machine or has an empty grid.
            match odd {
                0 => Launch { rows: 3, ..launch },
                1 => Launch { cols: 0, ..launch },
                2 => Launch { grid: [1, 0, 2], ..launch },
                _ => launch,
            }
        },
    )
}

/// The buffers' elements as bits (so NaNs compare equal to themselves).
fn bits(args: &[KernelArg]) -> Vec<(String, Vec<u64>)> {
    args.iter()
        .map(|arg| match arg {
            KernelArg::Buffer(b) => {
                (b.dtype().to_string(), b.to_f64_vec().iter().map(|x| x.to_bits()).collect())
            }
            KernelArg::Scalar(s) => (format!("{s:?}"), vec![]),
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(768))]

    #[test]
    fn random_programs_never_panic_and_run_deterministically(
        p in program(),
        args in args(),
        launch in launch(),
    ) {
        let machine = Machine::preset("tiny").expect("tiny preset");
        let mut first_args = args.clone();
        let first = run(&p, &machine, &launch, &mut first_args);
        if let Err(e) = &first {
            prop_assert!(!e.to_string().is_empty());
        }
        let mut second_args = args;
        let second = run(&p, &machine, &launch, &mut second_args);
        prop_assert_eq!(&first, &second);
        prop_assert_eq!(bits(&first_args), bits(&second_args));
    }
}

/// A strided copy of `x` into `y`, and the plain-Rust model of what it does.
#[derive(Debug, Clone)]
struct Copy {
    shape: Vec<u64>,
    strides: Vec<i64>,
    base: i64,
    extents: Option<Vec<i64>>,
    len: usize,
}

fn copy() -> impl Strategy<Value = Copy> {
    (1usize..4)
        .prop_flat_map(|rank| {
            (
                prop::collection::vec(0u64..5, rank),
                prop::collection::vec(-3i64..5, rank),
                -4i64..20,
                prop::option::of(prop::collection::vec(-1i64..6, rank)),
                0usize..40,
            )
        })
        .prop_map(|(shape, strides, base, extents, len)| Copy {
            shape,
            strides,
            base,
            extents,
            len,
        })
}

impl Copy {
    /// The loaded tile (`None` for dead lanes), or the first out-of-bounds address.
    fn model(&self) -> Result<Vec<Option<usize>>, i64> {
        let count: u64 = self.shape.iter().product();
        let mut lanes = Vec::new();
        for flat in 0..count {
            let mut rest = flat;
            let mut index = vec![0u64; self.shape.len()];
            for d in (0..self.shape.len()).rev() {
                index[d] = rest % self.shape[d];
                rest /= self.shape[d];
            }
            let live = match &self.extents {
                Some(e) => index.iter().zip(e).all(|(&i, &e)| (i as i64) < e),
                None => true,
            };
            if !live {
                lanes.push(None);
                continue;
            }
            let address = self.base
                + index.iter().zip(&self.strides).map(|(&i, &s)| i as i64 * s).sum::<i64>();
            if address < 0 || address >= self.len as i64 {
                return Err(address);
            }
            lanes.push(Some(address as usize));
        }
        Ok(lanes)
    }

    fn program(&self) -> Program {
        let imm = |v: i64| Operand::Imm(Imm::i64(v));
        let count: u64 = self.shape.iter().product();
        let src = DmaDesc {
            level: MemLevel::Dram,
            buffer: 0,
            base: imm(self.base),
            shape: self.shape.clone(),
            strides: self.strides.iter().map(|&s| imm(s)).collect(),
            mask: match &self.extents {
                Some(e) => DmaMask::Extents(e.iter().map(|&x| imm(x)).collect()),
                None => DmaMask::All,
            },
        };
        let dst = DmaDesc {
            level: MemLevel::Dram,
            buffer: 1,
            base: imm(0),
            shape: vec![count],
            strides: vec![imm(1)],
            mask: DmaMask::All,
        };
        Program {
            kernel: "copy".into(),
            params: vec![
                Param { name: "x".into(), kind: ParamKind::Buffer(F32) },
                Param { name: "y".into(), kind: ParamKind::Buffer(F32) },
            ],
            cbs: vec![CbDecl { slot_bytes: 4 * 64, depth: 1 }],
            regs: 0,
            code: vec![
                Command::new(Op::DmaIn { cb: CbId(0), src }),
                Command::new(Op::DmaOut { cb: CbId(0), dst }),
            ],
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn strided_dma_copies_agree_with_the_model(c in copy()) {
        let machine = Machine::preset("tiny").expect("tiny preset");
        let x: Vec<f32> = (0..c.len).map(|i| i as f32 + 0.5).collect();
        let count = c.shape.iter().product::<u64>() as usize;
        let mut args = [
            KernelArg::Buffer(Buffer::F32(x.clone())),
            KernelArg::Buffer(Buffer::F32(vec![-1.0; count])),
        ];
        let result = run(&c.program(), &machine, &Launch::default(), &mut args);
        match c.model() {
            Ok(lanes) => {
                let stats = result.map_err(|e| TestCaseError::fail(e.to_string()))?;
                let want: Vec<f32> = lanes.iter().map(|l| l.map_or(0.0, |i| x[i])).collect();
                prop_assert_eq!(&args[1], &KernelArg::Buffer(Buffer::F32(want)));
                let live = lanes.iter().filter(|l| l.is_some()).count() as u64;
                prop_assert_eq!(stats.bytes_loaded, 4 * live);
            }
            Err(element) => prop_assert_eq!(
                result,
                Err(SimError::DmaOutOfBounds {
                    pe: (0, 0),
                    index: 0,
                    op: "dma_in",
                    buffer: "x".into(),
                    element,
                    len: c.len as u64,
                })
            ),
        }
    }
}
