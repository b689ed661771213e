//! Functional simulator tests: SPMD programs built as Rust values, run on the `tiny`
//! machine, each checked against an expected result computed independently in
//! plain Rust (or, for math functions, by the reference interpreter's own
//! elementwise code); then every [`SimError`] variant from a crafted program, with its
//! rendered message.

use tessera_ir::interp::{unary_buffer, Buffer, KernelArg, Scalar};
use tessera_ir::{ScalarType, UnaryOp};
use tessera_pegrid::machine::Machine;
use tessera_pegrid::program::{
    AtomicOp, BinaryOp, CbDecl, CbId, CmpPred, Command, Dir, DmaDesc, DmaMask, Dst, Engine, Group,
    Imm, IndexDesc, MemLevel, Op, Operand, Param, ParamKind, PeSet, Program, ProgramError,
    ReduceOp, Reg, ScanOp, Special, TileOp, Token,
};
use tessera_pegrid::sim::{run, BlockedPe, Launch, SimError, SimStats};

// ----- helpers -----

fn tiny() -> Machine {
    Machine::preset("tiny").expect("tiny preset")
}

fn program(params: &[(&str, ParamKind)], cbs: &[(u64, u32)], regs: u32, code: Vec<Op>) -> Program {
    Program {
        kernel: "k".into(),
        params: params.iter().map(|&(name, kind)| Param { name: name.to_string(), kind }).collect(),
        cbs: cbs.iter().map(|&(slot_bytes, depth)| CbDecl { slot_bytes, depth }).collect(),
        regs,
        code: code.into_iter().map(Command::new).collect(),
    }
}

fn buf(dtype: ScalarType) -> ParamKind {
    ParamKind::Buffer(dtype)
}

fn imm(v: i64) -> Operand {
    Operand::Imm(Imm::i64(v))
}

fn imm32(v: i32) -> Operand {
    Operand::Imm(Imm::i32(v))
}

fn imm_f32(v: f32) -> Operand {
    Operand::Imm(Imm::from_scalar(Scalar::F32(v)))
}

fn imm_bool(v: bool) -> Operand {
    Operand::Imm(Imm::from_scalar(Scalar::Bool(v)))
}

fn reg(r: u32) -> Operand {
    Operand::Reg(Reg(r))
}

fn cb(c: u32) -> Operand {
    Operand::Cb(CbId(c))
}

fn special(s: Special) -> Operand {
    Operand::Special(s)
}

fn desc(buffer: u32, base: Operand, shape: &[u64], strides: &[i64]) -> DmaDesc {
    DmaDesc {
        level: MemLevel::Dram,
        buffer,
        base,
        shape: shape.to_vec(),
        strides: strides.iter().map(|&s| imm(s)).collect(),
        mask: DmaMask::All,
    }
}

/// `n` contiguous elements from `base`.
fn line(buffer: u32, base: Operand, n: u64) -> DmaDesc {
    desc(buffer, base, &[n], &[1])
}

fn masked(mut d: DmaDesc, mask: DmaMask) -> DmaDesc {
    d.mask = mask;
    d
}

fn dma_in(c: u32, src: DmaDesc) -> Op {
    Op::DmaIn { cb: CbId(c), src }
}

fn dma_out(c: u32, dst: DmaDesc) -> Op {
    Op::DmaOut { cb: CbId(c), dst }
}

fn pop(c: u32) -> Op {
    Op::Pop { cb: CbId(c) }
}

fn push(c: u32) -> Dst {
    Dst::Push(CbId(c))
}

/// A compute command on the vector core (which runs every op).
fn vec_op(op: TileOp, out: Dst, shape: &[u64], dtype: ScalarType, inputs: &[Operand]) -> Op {
    on(Engine::Vec, op, out, shape, dtype, inputs)
}

fn on(
    engine: Engine,
    op: TileOp,
    out: Dst,
    shape: &[u64],
    dtype: ScalarType,
    inputs: &[Operand],
) -> Op {
    Op::Tile { engine, op, out, shape: shape.to_vec(), dtype, inputs: inputs.to_vec() }
}

fn s_op(op: TileOp, dtype: ScalarType, dst: u32, inputs: &[Operand]) -> Op {
    Op::Scalar { op, dtype, dst: Reg(dst), inputs: inputs.to_vec() }
}

fn index(buffer: u32, index: u32, mask: Option<u32>) -> IndexDesc {
    IndexDesc { level: MemLevel::Dram, buffer, index: CbId(index), mask: mask.map(CbId) }
}

fn sub_grid(rows: u32, cols: u32) -> Launch {
    Launch { rows, cols, ..Launch::default() }
}

fn run_ok(p: &Program, launch: &Launch, args: &mut [KernelArg]) -> SimStats {
    run(p, &tiny(), launch, args).unwrap_or_else(|e| panic!("run failed: {e}"))
}

fn run_err(p: &Program, launch: &Launch, args: &mut [KernelArg]) -> SimError {
    match run(p, &tiny(), launch, args) {
        Ok(stats) => panic!("expected an error, got {stats:?}"),
        Err(e) => e,
    }
}

fn arg(b: impl Into<Buffer>) -> KernelArg {
    KernelArg::Buffer(b.into())
}

fn f32s(arg: &KernelArg) -> Vec<f32> {
    match arg {
        KernelArg::Buffer(Buffer::F32(v)) => v.clone(),
        other => panic!("expected an f32 buffer, got {other:?}"),
    }
}

fn i32s(arg: &KernelArg) -> Vec<i32> {
    match arg {
        KernelArg::Buffer(Buffer::I32(v)) => v.clone(),
        other => panic!("expected an i32 buffer, got {other:?}"),
    }
}

fn ramp(n: usize, scale: f32, offset: f32) -> Vec<f32> {
    (0..n).map(|i| i as f32 * scale + offset).collect()
}

/// `r{dst} = pe.row * pe.cols + pe.col` (the PE's row-major index), as an i32.
fn pe_index(dst: u32) -> Vec<Op> {
    let i32t = ScalarType::I32;
    vec![
        s_op(
            TileOp::Binary(BinaryOp::Mul),
            i32t,
            dst,
            &[special(Special::PeRow), special(Special::PeCols)],
        ),
        s_op(TileOp::Binary(BinaryOp::Add), i32t, dst, &[reg(dst), special(Special::PeCol)]),
    ]
}

/// `r{dst} = pe.col == col` (a bool).
fn col_is(dst: u32, col: i32) -> Op {
    s_op(TileOp::Cmp(CmpPred::Eq), ScalarType::Bool, dst, &[special(Special::PeCol), imm32(col)])
}

// ----- DMA -----

#[test]
fn strided_2d_dma_with_extents_copies_a_sub_block() {
    use ScalarType::F32;
    let p = program(
        &[("x", buf(F32)), ("y", buf(F32)), ("z", buf(F32))],
        &[(64, 2)],
        0,
        vec![
            // The 4x4 block at (1, 2) of a 6x8 matrix, live where row < 3 and col < 2.
            dma_in(
                0,
                masked(
                    desc(0, imm(10), &[4, 4], &[8, 1]),
                    DmaMask::Extents(vec![imm(3), imm32(2)]),
                ),
            ),
            // The whole tile (dead lanes are zero), transposed into y.
            dma_out(0, desc(1, imm(0), &[4, 4], &[1, 8])),
            // Only rows < 2 and cols < 3, at (2, 4) of z.
            dma_out(
                0,
                masked(desc(2, imm(20), &[4, 4], &[8, 1]), DmaMask::Extents(vec![imm(2), imm(3)])),
            ),
            // A negative extent clamps to 0: nothing is stored.
            dma_out(
                0,
                masked(desc(2, imm(0), &[4, 4], &[8, 1]), DmaMask::Extents(vec![imm(-5), imm(4)])),
            ),
            pop(0),
        ],
    );
    let x = ramp(48, 1.5, -7.0);
    let mut args = [arg(x.clone()), arg(vec![-1f32; 48]), arg(vec![-1f32; 48])];
    let stats = run_ok(&p, &Launch::default(), &mut args);

    let tile = |r: usize, c: usize| if r < 3 && c < 2 { x[(1 + r) * 8 + 2 + c] } else { 0.0 };
    let mut want_y = vec![-1f32; 48];
    let mut want_z = vec![-1f32; 48];
    for r in 0..4 {
        for c in 0..4 {
            want_y[r + 8 * c] = tile(r, c);
            if r < 2 && c < 3 {
                want_z[20 + 8 * r + c] = tile(r, c);
            }
        }
    }
    assert_eq!(f32s(&args[1]), want_y);
    assert_eq!(f32s(&args[2]), want_z);
    assert_eq!(stats.bytes_loaded, 6 * 4, "only live lanes are loaded");
    assert_eq!(stats.bytes_stored, (16 + 6) * 4);
    assert_eq!(stats.commands, 5);
    assert_eq!(stats.commands_per_op["dma_out"], 3);
}

#[test]
fn negative_strides_reverse_and_dead_lanes_may_lie_outside_the_buffer() {
    use ScalarType::F32;
    let u64_base = Operand::Imm(Imm::from_scalar(Scalar::U64(3)));
    let p = program(
        &[("x", buf(F32)), ("y", buf(F32))],
        &[(16, 1)],
        0,
        vec![
            dma_in(0, desc(0, u64_base, &[4], &[-1])),
            // Lanes 2 and 3 would be at -1 and -2, but they are dead.
            dma_out(0, masked(desc(1, imm(1), &[4], &[-1]), DmaMask::Extents(vec![imm(2)]))),
        ],
    );
    let mut args = [arg(vec![1f32, 2.0, 3.0, 4.0]), arg(vec![0f32; 4])];
    run_ok(&p, &Launch::default(), &mut args);
    // The tile is [4, 3, 2, 1]; y[1] = 4, y[0] = 3.
    assert_eq!(f32s(&args[1]), vec![3.0, 4.0, 0.0, 0.0]);
}

#[test]
fn a_bool_tile_masks_a_dma_and_bcast_load_loads_like_dma_in() {
    use ScalarType::{Bool, F32};
    let p = program(
        &[("x", buf(F32)), ("m", buf(Bool)), ("y", buf(F32)), ("z", buf(F32))],
        &[(16, 1), (4, 1), (16, 1)],
        0,
        vec![
            dma_in(1, line(1, imm(0), 4)),
            dma_in(0, masked(line(0, imm(0), 4), DmaMask::Tile(CbId(1)))),
            dma_out(0, line(2, imm(0), 4)),
            Op::BcastLoad { cb: CbId(2), src: line(0, imm(4), 4), group: Group::Row },
            // A masked store through the same mask: dead lanes keep memory as it was.
            dma_out(2, masked(line(3, imm(0), 4), DmaMask::Tile(CbId(1)))),
        ],
    );
    let x = ramp(8, 2.0, 1.0);
    let m = vec![true, false, false, true];
    let mut args = [arg(x.clone()), arg(m), arg(vec![9f32; 4]), arg(vec![9f32; 4])];
    let stats = run_ok(&p, &sub_grid(1, 2), &mut args);
    assert_eq!(f32s(&args[2]), vec![x[0], 0.0, 0.0, x[3]]);
    assert_eq!(f32s(&args[3]), vec![x[4], 9.0, 9.0, x[7]]);
    // Per PE: 4 mask bytes, 2 live f32 lanes, 4 f32 lanes of the broadcast load.
    assert_eq!(stats.bytes_loaded, 2 * (4 + 2 * 4 + 4 * 4));
    assert_eq!(stats.commands_per_op["bcast_load"], 2);
}

#[test]
fn prefetch_only_checks_bounds() {
    use ScalarType::F32;
    let prefetch = |base: i64, len: i64| Op::Prefetch { buffer: 0, base: imm(base), len: imm(len) };
    let ok = program(
        &[("x", buf(F32))],
        &[],
        0,
        vec![prefetch(0, 8), prefetch(100, 0), prefetch(-4, -1)],
    );
    let mut args = [arg(vec![0f32; 8])];
    let stats = run_ok(&ok, &Launch::default(), &mut args);
    assert_eq!((stats.bytes_loaded, stats.commands_per_op["prefetch"]), (0, 3));
    for (base, len, element) in [(4, 8, 8), (-2, 3, -2), (9, 1, 9)] {
        let p = program(&[("x", buf(F32))], &[], 0, vec![prefetch(base, len)]);
        let err = run_err(&p, &Launch::default(), &mut args);
        assert_eq!(
            err,
            SimError::DmaOutOfBounds {
                pe: (0, 0),
                index: 0,
                op: "prefetch",
                buffer: "x".into(),
                element,
                len: 8
            }
        );
    }
}

// ----- control, registers, SPMD -----

#[test]
fn a_loop_with_registers_and_branches_sums_0_to_n() {
    use ScalarType::{Bool, I32};
    let add = TileOp::Binary(BinaryOp::Add);
    let p = program(
        &[("n", ParamKind::Scalar(I32)), ("y", buf(I32))],
        &[(4, 1)],
        3,
        vec![
            s_op(TileOp::Copy, I32, 0, &[imm32(0)]), // 0: i = 0
            s_op(TileOp::Copy, I32, 1, &[imm32(0)]), // 1: sum = 0
            s_op(TileOp::Cmp(CmpPred::Lt), Bool, 2, &[reg(0), Operand::Param(0)]), // 2
            Op::Branch { cond: reg(2), when: false, target: 7 }, // 3: exit
            s_op(add.clone(), I32, 1, &[reg(1), reg(0)]), // 4: sum += i
            s_op(add, I32, 0, &[reg(0), imm32(1)]),  // 5: i += 1
            Op::Jump { target: 2 },                  // 6
            vec_op(TileOp::Splat, push(0), &[1], I32, &[reg(1)]), // 7
            dma_out(0, line(1, imm(0), 1)),          // 8
        ],
    );
    let n = 10;
    let mut args = [KernelArg::Scalar(Scalar::I32(n)), arg(vec![0i32])];
    let stats = run_ok(&p, &Launch::default(), &mut args);
    assert_eq!(i32s(&args[1]), vec![(0..n).sum::<i32>()]);
    let iterations = n as u64;
    assert_eq!(stats.commands, 2 + 5 * iterations + 2 + 2);
    assert_eq!(stats.commands_per_op["jmp"], iterations);
    assert_eq!(stats.commands_per_op["brz"], iterations + 1);
    assert_eq!(stats.commands_per_op["s_op"], 2 + 3 * iterations + 1);
}

#[test]
fn pe_row_and_col_split_a_vector_add_over_a_2x2_sub_grid() {
    use ScalarType::{F32, I32};
    let mut code = pe_index(0);
    code.extend([
        s_op(TileOp::Binary(BinaryOp::Mul), I32, 0, &[reg(0), imm32(4)]),
        dma_in(0, line(0, reg(0), 4)),
        dma_in(1, line(1, reg(0), 4)),
        on(Engine::Se, TileOp::Binary(BinaryOp::Add), push(2), &[4], F32, &[cb(0), cb(1)]),
        dma_out(2, line(2, reg(0), 4)),
        pop(0),
        pop(1),
        pop(2),
    ]);
    let p = program(
        &[("x", buf(F32)), ("y", buf(F32)), ("z", buf(F32))],
        &[(16, 2), (16, 2), (16, 2)],
        1,
        code,
    );
    let x = ramp(16, 0.37, -2.1);
    let y = ramp(16, -1.13, 5.3);
    let mut args = [arg(x.clone()), arg(y.clone()), arg(vec![0f32; 16])];
    let stats = run_ok(&p, &sub_grid(2, 2), &mut args);
    let want: Vec<f32> = x.iter().zip(&y).map(|(a, b)| a + b).collect();
    assert_eq!(f32s(&args[2]), want);
    assert_eq!(stats.commands_per_pe.len(), 4);
    assert!(stats.commands_per_pe.values().all(|&n| n == 10), "{stats:?}");
    assert_eq!(stats.commands_per_op["se_op"], 4);
    assert_eq!((stats.bytes_loaded, stats.bytes_stored), (128, 64));
}

#[test]
fn special_registers_read_the_pe_and_the_launch() {
    use ScalarType::I32;
    let specials = [
        Special::PeRow,
        Special::PeCol,
        Special::PeRows,
        Special::PeCols,
        Special::Grid(0),
        Special::Grid(1),
        Special::Grid(2),
    ];
    let mut code = pe_index(0);
    code.push(s_op(TileOp::Binary(BinaryOp::Mul), I32, 0, &[reg(0), imm32(7)]));
    for s in specials {
        code.extend([
            vec_op(TileOp::Splat, push(0), &[1], I32, &[special(s)]),
            dma_out(0, line(0, reg(0), 1)),
            pop(0),
            s_op(TileOp::Binary(BinaryOp::Add), I32, 0, &[reg(0), imm32(1)]),
        ]);
    }
    let p = program(&[("out", buf(I32))], &[(4, 1)], 1, code);
    let mut args = [arg(vec![-1i32; 28])];
    let launch = Launch { grid: [5, 6, 7], ..sub_grid(2, 2) };
    run_ok(&p, &launch, &mut args);
    let want: Vec<i32> = (0..4).flat_map(|pe| [pe / 2, pe % 2, 2, 2, 5, 6, 7]).collect();
    assert_eq!(i32s(&args[0]), want);
}

#[test]
fn a_cb_with_one_element_is_a_scalar_operand_and_a_branch_condition() {
    use ScalarType::{Bool, F32};
    let p = program(
        &[("x", buf(F32)), ("flag", buf(Bool)), ("y", buf(F32))],
        &[(16, 1), (4, 1), (4, 1), (1, 1)],
        1,
        vec![
            dma_in(0, line(0, imm(0), 4)),
            vec_op(TileOp::Reduce { op: ReduceOp::Max, axis: 0 }, push(1), &[], F32, &[cb(0)]),
            s_op(TileOp::Binary(BinaryOp::Add), F32, 0, &[cb(1), imm_f32(0.5)]),
            dma_in(3, desc(1, imm(0), &[], &[])),
            Op::Branch { cond: cb(3), when: true, target: 6 },
            s_op(TileOp::Copy, F32, 0, &[imm_f32(-1.0)]),
            vec_op(TileOp::Splat, push(2), &[1], F32, &[reg(0)]),
            dma_out(2, line(2, imm(0), 1)),
        ],
    );
    let x = vec![1.5f32, 7.25, -3.0, 2.0];
    for (flag, want) in [(true, 7.75f32), (false, -1.0)] {
        let mut args = [arg(x.clone()), arg(vec![flag]), arg(vec![0f32])];
        run_ok(&p, &Launch::default(), &mut args);
        assert_eq!(f32s(&args[2]), vec![want], "flag {flag}");
    }
}

// ----- compute -----

/// Elements compared bitwise, NaN equal to NaN.
fn same_bits(a: &Buffer, b: &Buffer) -> bool {
    let (a, b) = (a.to_f64_vec(), b.to_f64_vec());
    a.len() == b.len()
        && a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
}

#[test]
fn math_functions_match_the_interpreter_bit_for_bit() {
    use ScalarType::{BF16, F16, F32, F64};
    let values = [-3.5, -0.0, 0.1, 1.0, 7.25, f64::NEG_INFINITY, f64::NAN, 88.8, 1e-3, -0.7];
    for (dtype, op) in [
        (F32, UnaryOp::Exp),
        (F16, UnaryOp::Exp),
        (BF16, UnaryOp::Tanh),
        (F64, UnaryOp::Erf),
        (F32, UnaryOp::Sigmoid),
    ] {
        let n = values.len() as u64;
        let p = program(
            &[("x", buf(dtype)), ("y", buf(dtype))],
            &[(80, 1), (80, 1)],
            0,
            vec![
                dma_in(0, line(0, imm(0), n)),
                on(Engine::Se, TileOp::Unary(op), push(1), &[n], dtype, &[cb(0)]),
                dma_out(1, line(1, imm(0), n)),
            ],
        );
        let x = Buffer::from_f64(dtype, &values);
        let want = unary_buffer(op, &x).expect("the interpreter computes it");
        let mut args =
            [KernelArg::Buffer(x), KernelArg::Buffer(Buffer::zeros(dtype, values.len()))];
        let stats = run_ok(&p, &Launch::default(), &mut args);
        let KernelArg::Buffer(got) = &args[1] else { panic!("buffer") };
        assert!(same_bits(got, &want), "{op:?} on {dtype}: {got:?} vs {want:?}");
        assert_eq!(stats.commands_per_op["se_lut"], 1);
    }
}

#[test]
fn dot_i8_accumulates_in_i32_with_wrapping() {
    use ScalarType::{I32, I8};
    let (m, k, n) = (2usize, 3usize, 2usize);
    let p = program(
        &[("a", buf(I8)), ("b", buf(I8)), ("c", buf(I32)), ("d", buf(I32))],
        &[(6, 1), (6, 1), (16, 1), (16, 1)],
        0,
        vec![
            dma_in(0, desc(0, imm(0), &[2, 3], &[3, 1])),
            dma_in(1, desc(1, imm(0), &[3, 2], &[2, 1])),
            dma_in(2, desc(2, imm(0), &[2, 2], &[2, 1])),
            on(Engine::Dpe, TileOp::Dot, push(3), &[2, 2], I32, &[cb(0), cb(1), cb(2)]),
            dma_out(3, desc(3, imm(0), &[2, 2], &[2, 1])),
        ],
    );
    let a: Vec<i8> = vec![-128, 127, 5, 100, -100, -128];
    let b: Vec<i8> = vec![-128, 3, 127, -7, 77, -128];
    let c: Vec<i32> = vec![i32::MAX - 5, 0, i32::MIN + 3, 42];
    let mut want = c.clone();
    for i in 0..m {
        for j in 0..n {
            for kk in 0..k {
                let product = i32::from(a[i * k + kk]) * i32::from(b[kk * n + j]);
                want[i * n + j] = want[i * n + j].wrapping_add(product);
            }
        }
    }
    let mut args = [arg(a), arg(b), arg(c), arg(vec![0i32; 4])];
    let stats = run_ok(&p, &Launch::default(), &mut args);
    assert_eq!(i32s(&args[3]), want);
    assert_eq!(stats.commands_per_op["dpe_mm"], 1);
}

#[test]
fn dot_f16_accumulates_each_product_and_sum_in_f32() {
    use ScalarType::{F16, F32};
    let p = program(
        &[("a", buf(F16)), ("b", buf(F16)), ("d", buf(F32))],
        &[(32, 1), (32, 1), (64, 1)],
        0,
        vec![
            dma_in(0, desc(0, imm(0), &[4, 4], &[4, 1])),
            dma_in(1, desc(1, imm(0), &[4, 4], &[4, 1])),
            vec_op(TileOp::Splat, push(2), &[4, 4], F32, &[imm_f32(0.0)]),
            on(
                Engine::Dpe,
                TileOp::Dot,
                Dst::Update(CbId(2)),
                &[4, 4],
                F32,
                &[cb(0), cb(1), cb(2)],
            ),
            dma_out(2, desc(2, imm(0), &[4, 4], &[4, 1])),
        ],
    );
    let a = Buffer::from_f64(F16, &(0..16).map(|i| (i as f64 - 7.3) * 0.173).collect::<Vec<_>>());
    let b = Buffer::from_f64(F16, &(0..16).map(|i| (i as f64 * 1.7).sin()).collect::<Vec<_>>());
    let (av, bv) = (a.to_f64_vec(), b.to_f64_vec());
    let mut want = vec![0f32; 16];
    for i in 0..4 {
        for j in 0..4 {
            for kk in 0..4 {
                want[i * 4 + j] += (av[i * 4 + kk] as f32) * (bv[kk * 4 + j] as f32);
            }
        }
    }
    let mut args = [KernelArg::Buffer(a), KernelArg::Buffer(b), arg(vec![0f32; 16])];
    run_ok(&p, &Launch::default(), &mut args);
    assert_eq!(f32s(&args[2]), want);
}

#[test]
fn reductions_and_scans_follow_the_interpreter_orders() {
    use ScalarType::{F32, I32};
    let reduce = |op, axis| TileOp::Reduce { op, axis };
    let p = program(
        &[
            ("x", buf(F32)),
            ("v", buf(I32)),
            ("sums", buf(F32)),
            ("maxes", buf(F32)),
            ("scan", buf(I32)),
            ("arg", buf(I32)),
        ],
        &[(32, 1), (24, 1), (16, 1), (24, 1)],
        0,
        vec![
            dma_in(0, desc(0, imm(0), &[2, 4], &[4, 1])),
            vec_op(reduce(ReduceOp::Sum, 1), push(2), &[2], F32, &[cb(0)]),
            dma_out(2, line(2, imm(0), 2)),
            pop(2),
            vec_op(reduce(ReduceOp::Max, 0), push(2), &[4], F32, &[cb(0)]),
            dma_out(2, line(3, imm(0), 4)),
            pop(2),
            vec_op(reduce(ReduceOp::ArgMax, 1), push(2), &[2], I32, &[cb(0)]),
            dma_out(2, line(5, imm(0), 2)),
            dma_in(1, desc(1, imm(0), &[2, 3], &[3, 1])),
            vec_op(TileOp::Scan { op: ScanOp::Cumsum, axis: 1 }, push(3), &[2, 3], I32, &[cb(1)]),
            dma_out(3, desc(4, imm(0), &[2, 3], &[3, 1])),
        ],
    );
    let x = vec![0.1f32, 1e8, -1e8, 0.7, 3.0, -2.5, 9.0, 9.0];
    let v = vec![i32::MAX, 1, 2, -4, 5, i32::MIN];
    let mut args = [
        arg(x.clone()),
        arg(v.clone()),
        arg(vec![0f32; 2]),
        arg(vec![0f32; 4]),
        arg(vec![0i32; 6]),
        arg(vec![0i32; 2]),
    ];
    run_ok(&p, &Launch::default(), &mut args);
    // The language's float sum of four elements: partials p0..p3 = x0..x3, then
    // halving (the steps w = 8 and 4 only add -0.0): (x0 + x2) + (x1 + x3).
    let row_sum = |r: usize| (x[r * 4] + x[r * 4 + 2]) + (x[r * 4 + 1] + x[r * 4 + 3]);
    assert_eq!(f32s(&args[2]), vec![row_sum(0), row_sum(1)]);
    assert_eq!(f32s(&args[3]), (0..4).map(|c| x[c].max(x[4 + c])).collect::<Vec<_>>());
    let mut scan = v.clone();
    for r in 0..2 {
        for c in 1..3 {
            scan[r * 3 + c] = scan[r * 3 + c - 1].wrapping_add(v[r * 3 + c]);
        }
    }
    assert_eq!(i32s(&args[4]), scan);
    assert_eq!(i32s(&args[5]), vec![1, 2], "the first maximum wins");
}

#[test]
fn update_accumulates_into_the_front_slot() {
    use ScalarType::{Bool, F32, I32};
    let p = program(
        &[("x", buf(F32)), ("y", buf(F32))],
        &[(16, 1), (16, 2)],
        2,
        vec![
            vec_op(TileOp::Splat, push(0), &[4], F32, &[imm_f32(0.0)]), // 0
            s_op(TileOp::Copy, I32, 0, &[imm32(0)]),                    // 1
            dma_in(1, line(0, reg(0), 4)),                              // 2
            on(
                Engine::Re,
                TileOp::Binary(BinaryOp::Add),
                Dst::Update(CbId(0)),
                &[4],
                F32,
                &[cb(0), cb(1)],
            ), // 3
            pop(1),                                                     // 4
            s_op(TileOp::Binary(BinaryOp::Add), I32, 0, &[reg(0), imm32(4)]), // 5
            s_op(TileOp::Cmp(CmpPred::Lt), Bool, 1, &[reg(0), imm32(12)]), // 6
            Op::Branch { cond: reg(1), when: true, target: 2 },         // 7
            dma_out(0, line(1, imm(0), 4)),                             // 8
        ],
    );
    let x = ramp(12, 0.31, -1.7);
    let mut args = [arg(x.clone()), arg(vec![0f32; 4])];
    let stats = run_ok(&p, &Launch::default(), &mut args);
    let want: Vec<f32> = (0..4).map(|j| ((0.0 + x[j]) + x[4 + j]) + x[8 + j]).collect();
    assert_eq!(f32s(&args[1]), want);
    assert_eq!(stats.commands_per_op["re_op"], 3);
}

// ----- gather, scatter, atomics -----

#[test]
fn gather_with_a_mask_and_duplicate_indices_keeps_the_index_shape() {
    use ScalarType::{Bool, F32, I32};
    let p = program(
        &[("x", buf(F32)), ("idx", buf(I32)), ("m", buf(Bool)), ("g", buf(F32))],
        &[(16, 1), (4, 1), (16, 1), (8, 1)],
        0,
        vec![
            dma_in(0, desc(1, imm(0), &[2, 2], &[2, 1])),
            dma_in(1, desc(2, imm(0), &[2, 2], &[2, 1])),
            Op::Gather { cb: CbId(2), src: index(0, 0, Some(1)) },
            // Summing axis 1 only works if the gathered tile is 2x2.
            vec_op(TileOp::Reduce { op: ReduceOp::Sum, axis: 1 }, push(3), &[2], F32, &[cb(2)]),
            dma_out(2, line(3, imm(0), 4)),
            dma_out(3, line(3, imm(4), 2)),
        ],
    );
    let x = ramp(8, 1.25, 0.5);
    let idx = vec![3, 3, 0, 7];
    let m = vec![true, false, true, true];
    let mut args = [arg(x.clone()), arg(idx), arg(m), arg(vec![0f32; 6])];
    let stats = run_ok(&p, &Launch::default(), &mut args);
    let g = [x[3], 0.0, x[0], x[7]];
    assert_eq!(f32s(&args[3]), vec![g[0], g[1], g[2], g[3], g[0] + g[1], g[2] + g[3]]);
    assert_eq!(stats.bytes_loaded, 16 + 4 + 3 * 4);
}

#[test]
fn scatter_stores_lanes_in_order_so_the_last_duplicate_wins() {
    use ScalarType::{F32, I64};
    let p = program(
        &[("v", buf(F32)), ("idx", buf(I64)), ("s", buf(F32))],
        &[(16, 1), (32, 1)],
        0,
        vec![
            dma_in(0, line(0, imm(0), 4)),
            dma_in(1, line(1, imm(0), 4)),
            Op::Scatter { cb: CbId(0), dst: index(2, 1, None) },
        ],
    );
    let mut args =
        [arg(vec![1f32, 2.0, 3.0, 4.0]), arg(vec![5i64, 5, 1, 2]), arg(ramp(8, 1.0, 0.0))];
    let stats = run_ok(&p, &Launch::default(), &mut args);
    assert_eq!(f32s(&args[2]), vec![0.0, 3.0, 4.0, 3.0, 4.0, 2.0, 6.0, 7.0]);
    assert_eq!(stats.bytes_stored, 16);
}

#[test]
fn atomic_add_applies_lanes_in_order_and_returns_old_values() {
    use ScalarType::{Bool, I32, U8};
    let atomic = |mask| Op::AtomicRmw {
        op: AtomicOp::Add,
        cb: CbId(1),
        dst: index(2, 0, mask),
        old: Some(CbId(2)),
    };
    let p = program(
        &[
            ("idx", buf(U8)),
            ("v", buf(I32)),
            ("acc", buf(I32)),
            ("old", buf(I32)),
            ("m", buf(Bool)),
        ],
        &[(4, 1), (16, 1), (16, 1), (4, 1)],
        0,
        vec![
            // Duplicates: lanes 0..3 hit 2, 2, 2, 5.
            dma_in(0, line(0, imm(0), 4)),
            dma_in(1, line(1, imm(0), 4)),
            atomic(None),
            dma_out(2, line(3, imm(0), 4)),
            pop(0),
            pop(2),
            // Distinct indices 0, 1, 3, 4 with lane 2 masked off.
            dma_in(0, line(0, imm(4), 4)),
            dma_in(3, line(4, imm(0), 4)),
            atomic(Some(3)),
            dma_out(2, line(3, imm(4), 4)),
        ],
    );
    let idx: Vec<u8> = vec![2, 2, 2, 5, 0, 1, 3, 4];
    let v = vec![1, 2, 3, 4];
    let mask = vec![true, true, false, true];
    let acc0: Vec<i32> = (0..8).map(|i| i * 10).collect();
    let mut args = [
        arg(idx.clone()),
        arg(v.clone()),
        arg(acc0.clone()),
        arg(vec![0i32; 8]),
        arg(mask.clone()),
    ];
    let stats = run_ok(&p, &Launch::default(), &mut args);
    let mut acc = acc0;
    let mut old = Vec::new();
    for (lane, &i) in idx.iter().enumerate() {
        let live = lane < 4 || mask[lane - 4];
        if live {
            old.push(acc[usize::from(i)]);
            acc[usize::from(i)] += v[lane % 4];
        } else {
            old.push(0);
        }
    }
    assert_eq!(i32s(&args[2]), acc);
    assert_eq!(i32s(&args[3]), old);
    assert_eq!(stats.commands_per_op["atomic"], 2);
    assert_eq!(stats.bytes_stored, (4 + 3) * 4 + 8 * 4, "atomics and the stores of old values");
}

#[test]
fn atomic_max_on_floats_with_duplicates() {
    use ScalarType::{F32, I32};
    let p = program(
        &[("idx", buf(I32)), ("v", buf(F32)), ("x", buf(F32)), ("old", buf(F32))],
        &[(12, 1), (12, 1), (12, 1)],
        0,
        vec![
            dma_in(0, line(0, imm(0), 3)),
            dma_in(1, line(1, imm(0), 3)),
            Op::AtomicRmw {
                op: AtomicOp::Max,
                cb: CbId(1),
                dst: index(2, 0, None),
                old: Some(CbId(2)),
            },
            dma_out(2, line(3, imm(0), 3)),
        ],
    );
    let mut args =
        [arg(vec![0, 0, 1]), arg(vec![5f32, 3.0, -1.0]), arg(vec![4f32, 9.0]), arg(vec![0f32; 3])];
    run_ok(&p, &Launch::default(), &mut args);
    assert_eq!(f32s(&args[2]), vec![5.0, 9.0]);
    assert_eq!(f32s(&args[3]), vec![4.0, 5.0, 9.0]);
}

// ----- neighbours and synchronization -----

#[test]
fn send_and_recv_hand_tiles_to_a_neighbour_in_order() {
    use ScalarType::F32;
    let p = program(
        &[("x", buf(F32)), ("y", buf(F32))],
        &[(16, 2)],
        1,
        vec![
            col_is(0, 0),                                        // 0
            Op::Branch { cond: reg(0), when: false, target: 8 }, // 1
            dma_in(0, line(0, imm(0), 4)),                       // 2: PE (0, 0)
            Op::Send { dir: Dir::East, cb: CbId(0) },            // 3
            pop(0),                                              // 4
            dma_in(0, line(0, imm(4), 4)),                       // 5
            Op::Send { dir: Dir::East, cb: CbId(0) },            // 6
            Op::Jump { target: 13 },                             // 7: to the end
            Op::Recv { dir: Dir::West, cb: CbId(0) },            // 8: PE (0, 1)
            dma_out(0, line(1, imm(0), 4)),                      // 9
            pop(0),                                              // 10
            Op::Recv { dir: Dir::West, cb: CbId(0) },            // 11
            dma_out(0, line(1, imm(4), 4)),                      // 12
        ],
    );
    let x = ramp(8, 0.5, 1.0);
    let mut args = [arg(x.clone()), arg(vec![0f32; 8])];
    let stats = run_ok(&p, &sub_grid(1, 2), &mut args);
    assert_eq!(f32s(&args[1]), x);
    assert_eq!((stats.commands_per_op["send"], stats.commands_per_op["recv"]), (2, 2));
}

#[test]
fn re_send_and_re_recv_add_a_partial_into_the_front_slot() {
    use ScalarType::{F32, I32};
    let code = vec![
        s_op(TileOp::Binary(BinaryOp::Mul), I32, 1, &[special(Special::PeCol), imm32(4)]),
        dma_in(0, line(0, reg(1), 4)),
        col_is(0, 0),
        Op::Branch { cond: reg(0), when: true, target: 6 },
        Op::ReSend { dir: Dir::West, cb: CbId(0) }, // 4: PE (0, 1)
        Op::Jump { target: 8 },
        Op::ReRecv { dir: Dir::East, cb: CbId(0) }, // 6: PE (0, 0)
        dma_out(0, line(1, imm(0), 4)),
    ];
    let p = program(&[("x", buf(F32)), ("y", buf(F32))], &[(16, 1)], 2, code);
    let x = ramp(8, 0.77, -2.0);
    let mut args = [arg(x.clone()), arg(vec![0f32; 4])];
    let stats = run_ok(&p, &sub_grid(1, 2), &mut args);
    assert_eq!(f32s(&args[1]), (0..4).map(|i| x[i] + x[4 + i]).collect::<Vec<_>>());
    assert_eq!((stats.commands_per_op["re_send"], stats.commands_per_op["re_recv"]), (1, 1));
}

/// Each PE writes `(i + 1) * 100` to `a[i]` (`i` its index), optionally waits at a
/// barrier, then copies `a[(i + 1) % 4]` to `out[i]`.
fn exchange(barrier: Option<PeSet>) -> Program {
    use ScalarType::I32;
    let mul = TileOp::Binary(BinaryOp::Mul);
    let add = TileOp::Binary(BinaryOp::Add);
    let mut code = pe_index(0);
    code.extend([
        s_op(add.clone(), I32, 1, &[reg(0), imm32(1)]),
        s_op(mul, I32, 1, &[reg(1), imm32(100)]),
        vec_op(TileOp::Splat, push(0), &[1], I32, &[reg(1)]),
        dma_out(0, line(0, reg(0), 1)),
        pop(0),
    ]);
    code.extend(barrier.map(|set| Op::Barrier { set }));
    code.extend([
        s_op(add, I32, 2, &[reg(0), imm32(1)]),
        s_op(TileOp::Binary(BinaryOp::Rem), I32, 2, &[reg(2), imm32(4)]),
        dma_in(0, line(0, reg(2), 1)),
        dma_out(0, line(1, reg(0), 1)),
    ]);
    program(&[("a", buf(I32)), ("out", buf(I32))], &[(4, 1)], 3, code)
}

#[test]
fn a_barrier_orders_stores_before_loads_of_other_pes() {
    let mut args = [arg(vec![0i32; 4]), arg(vec![-1i32; 4])];
    let stats = run_ok(&exchange(Some(PeSet::All)), &sub_grid(2, 2), &mut args);
    assert_eq!(i32s(&args[1]), vec![200, 300, 400, 100]);
    assert_eq!(stats.commands_per_op["barrier"], 4);
    // Without it, PE (0, 0) runs to the end before PE (0, 1) stores a[1].
    let mut args = [arg(vec![0i32; 4]), arg(vec![-1i32; 4])];
    run_ok(&exchange(None), &sub_grid(2, 2), &mut args);
    assert_eq!(i32s(&args[1])[0], 0);
}

#[test]
fn row_column_and_rectangle_barriers_involve_only_their_pes() {
    // Rows synchronise separately: PE (0, 1)'s store is still seen by PE (0, 0).
    let mut args = [arg(vec![0i32; 4]), arg(vec![-1i32; 4])];
    run_ok(&exchange(Some(PeSet::Row)), &sub_grid(2, 2), &mut args);
    assert_eq!(i32s(&args[1])[0], 200);
    let rect = PeSet::Rect { row: 0, col: 0, rows: 2, cols: 2 };
    let mut args = [arg(vec![0i32; 4]), arg(vec![-1i32; 4])];
    run_ok(&exchange(Some(rect)), &sub_grid(2, 2), &mut args);
    assert_eq!(i32s(&args[1]), vec![200, 300, 400, 100]);
}

#[test]
fn wait_blocks_until_the_token_is_produced() {
    use ScalarType::F32;
    let mut p = program(
        &[("x", buf(F32)), ("y", buf(F32))],
        &[(16, 1)],
        0,
        vec![
            dma_in(0, line(0, imm(0), 4)),
            Op::Wait { token: Token(3) },
            Op::Fence,
            dma_out(0, line(1, imm(0), 4)),
        ],
    );
    p.code[0].token = Some(Token(3));
    let mut args = [arg(vec![1f32, 2.0, 3.0, 4.0]), arg(vec![0f32; 4])];
    run_ok(&p, &Launch::default(), &mut args);
    assert_eq!(f32s(&args[1]), vec![1.0, 2.0, 3.0, 4.0]);
    // A token nobody produces is a deadlock.
    p.code[1].op = Op::Wait { token: Token(9) };
    let err = run_err(&p, &Launch::default(), &mut args);
    assert_eq!(
        err.to_string(),
        "deadlock: PE (0, 0) at command 1 `wait` (token t9 is not produced)"
    );
}

#[test]
fn a_million_commands_run_quickly() {
    use ScalarType::{Bool, I32};
    let p = program(
        &[("y", buf(I32))],
        &[(4, 1)],
        3,
        vec![
            s_op(TileOp::Copy, I32, 0, &[imm32(0)]),
            s_op(TileOp::Copy, I32, 1, &[imm32(0)]),
            s_op(TileOp::Binary(BinaryOp::Xor), I32, 1, &[reg(1), reg(0)]), // 2
            s_op(TileOp::Binary(BinaryOp::Add), I32, 0, &[reg(0), imm32(1)]),
            s_op(TileOp::Cmp(CmpPred::Lt), Bool, 2, &[reg(0), imm32(62_500)]),
            Op::Branch { cond: reg(2), when: true, target: 2 },
            vec_op(TileOp::Splat, push(0), &[1], I32, &[reg(1)]),
            dma_out(0, line(0, imm(0), 1)),
        ],
    );
    let mut args = [arg(vec![0i32])];
    let start = std::time::Instant::now();
    let stats = run_ok(&p, &sub_grid(2, 2), &mut args);
    let elapsed = start.elapsed();
    assert_eq!(stats.commands, 4 * (2 + 4 * 62_500 + 2));
    assert_eq!(i32s(&args[0]), vec![(0..62_500).fold(0, |acc, i| acc ^ i)]);
    assert!(elapsed.as_secs() < 20, "took {elapsed:?}");
}

// ----- errors -----

#[test]
fn out_of_bounds_dma_names_the_pe_command_buffer_and_element() {
    use ScalarType::{F32, I32};
    let p = program(
        &[("x", buf(F32))],
        &[(64, 1)],
        1,
        vec![
            // base = pe.col * 1016: PE (0, 1) reads x[1016 + 15], past 1024.
            s_op(TileOp::Binary(BinaryOp::Mul), I32, 0, &[special(Special::PeCol), imm32(1016)]),
            Op::Fence,
            dma_in(0, desc(0, reg(0), &[4, 4], &[4, 1])),
        ],
    );
    let mut args = [arg(vec![0f32; 1024])];
    let err = run_err(&p, &sub_grid(1, 2), &mut args);
    assert_eq!(
        err,
        SimError::DmaOutOfBounds {
            pe: (0, 1),
            index: 2,
            op: "dma_in",
            buffer: "x".into(),
            element: 1024,
            len: 1024
        }
    );
    assert_eq!(
        err.to_string(),
        "PE (0, 1) command 2 `dma_in`: element 1024 of `x` is out of bounds (len 1024)"
    );
    // Stores and indexed accesses are checked the same way.
    let p = program(
        &[("x", buf(F32)), ("idx", buf(I32))],
        &[(16, 1), (16, 1)],
        0,
        vec![
            dma_in(1, line(1, imm(0), 4)),
            dma_in(0, line(0, imm(0), 4)),
            Op::Scatter { cb: CbId(0), dst: index(0, 1, None) },
        ],
    );
    let mut args = [arg(vec![0f32; 8]), arg(vec![1, 2, -3, 9])];
    let err = run_err(&p, &Launch::default(), &mut args);
    assert_eq!(
        err.to_string(),
        "PE (0, 0) command 2 `scatter`: element -3 of `x` is out of bounds (len 8)"
    );
    assert_eq!(f32s(&args[0]), vec![0f32; 8], "a failing scatter writes nothing");
}

#[test]
fn recv_without_a_sender_deadlocks_and_reports_every_blocked_pe() {
    use ScalarType::F32;
    let p = program(
        &[("x", buf(F32))],
        &[(16, 1)],
        1,
        vec![
            col_is(0, 0),
            Op::Branch { cond: reg(0), when: false, target: 4 },
            Op::Recv { dir: Dir::East, cb: CbId(0) },
            dma_out(0, line(0, imm(0), 4)),
        ],
    );
    let mut args = [arg(vec![0f32; 4])];
    let err = run_err(&p, &sub_grid(2, 2), &mut args);
    let blocked = |row| BlockedPe {
        pe: (row, 0),
        index: 2,
        mnemonic: "recv",
        reason: "no data message from the east".into(),
    };
    assert_eq!(err, SimError::Deadlock { blocked: vec![blocked(0), blocked(1)] });
    assert_eq!(
        err.to_string(),
        "deadlock: PE (0, 0) at command 2 `recv` (no data message from the east); \
         PE (1, 0) at command 2 `recv` (no data message from the east)"
    );
}

#[test]
fn full_cbs_empty_cbs_and_finished_pes_deadlock() {
    use ScalarType::F32;
    let full = program(
        &[("x", buf(F32))],
        &[(16, 1)],
        0,
        vec![dma_in(0, line(0, imm(0), 4)), dma_in(0, line(0, imm(0), 4))],
    );
    let mut args = [arg(vec![0f32; 4])];
    let err = run_err(&full, &Launch::default(), &mut args);
    assert_eq!(err.to_string(), "deadlock: PE (0, 0) at command 1 `dma_in` (cb0 is full)");
    let empty = program(
        &[],
        &[(16, 1)],
        0,
        vec![vec_op(TileOp::Splat, Dst::Update(CbId(0)), &[4], F32, &[imm_f32(1.0)])],
    );
    let err = run_err(&empty, &Launch::default(), &mut []);
    assert_eq!(err.to_string(), "deadlock: PE (0, 0) at command 0 `vec_op` (cb0 is empty)");
    // PE (0, 1) finishes at once; PE (0, 0) waits at the barrier forever.
    let finished = program(
        &[],
        &[],
        1,
        vec![
            col_is(0, 0),
            Op::Branch { cond: reg(0), when: false, target: 3 },
            Op::Barrier { set: PeSet::All },
        ],
    );
    let err = run_err(&finished, &sub_grid(1, 2), &mut []);
    assert_eq!(
        err.to_string(),
        "deadlock: PE (0, 0) at command 2 `barrier` (PE (0, 1) has not reached the barrier)"
    );
}

#[test]
fn fuel_limits_the_commands_executed_over_all_pes() {
    let fences = program(&[], &[], 0, vec![Op::Fence, Op::Fence, Op::Fence]);
    let launch = |fuel| Launch { fuel, ..sub_grid(2, 1) };
    let stats = run_ok(&fences, &launch(6), &mut []);
    assert_eq!(stats.commands, 6);
    let err = run_err(&fences, &launch(5), &mut []);
    assert_eq!(err, SimError::FuelExhausted { fuel: 5 });
    let spin = program(&[], &[], 0, vec![Op::Jump { target: 0 }]);
    let err = run_err(&spin, &launch(1000), &mut []);
    assert_eq!(
        err.to_string(),
        "fuel exhausted after 1000 executed commands (does a loop not terminate?)"
    );
}

#[test]
fn a_tile_larger_than_its_slot_overflows() {
    use ScalarType::F32;
    let p = program(&[("x", buf(F32))], &[(32, 2)], 0, vec![dma_in(0, line(0, imm(0), 16))]);
    let mut args = [arg(vec![0f32; 16])];
    let err = run_err(&p, &Launch::default(), &mut args);
    assert_eq!(
        err,
        SimError::SlotOverflow {
            pe: (0, 0),
            index: 0,
            mnemonic: "dma_in",
            cb: 0,
            bytes: 64,
            slot_bytes: 32
        }
    );
    assert_eq!(
        err.to_string(),
        "PE (0, 0) command 0 `dma_in`: a 64-byte tile does not fit the 32-byte slots of cb0"
    );
    let compute = program(
        &[],
        &[(32, 1)],
        0,
        vec![vec_op(TileOp::Arange { start: 0, end: 9 }, push(0), &[9], ScalarType::I32, &[])],
    );
    assert!(matches!(
        run_err(&compute, &Launch::default(), &mut []),
        SimError::SlotOverflow { bytes: 36, slot_bytes: 32, .. }
    ));
}

#[test]
fn cbs_larger_than_local_memory_are_rejected_before_running() {
    let p = program(&[], &[(40_000, 1), (20_000, 2)], 0, vec![]);
    let err = run_err(&p, &Launch::default(), &mut []);
    assert_eq!(err, SimError::LocalMemOverflow { needed: 80_000, capacity: 65_536 });
    assert_eq!(
        err.to_string(),
        "the CBs need 80000 bytes of local memory per PE, the machine has 65536"
    );
}

#[test]
fn a_false_assert_names_the_first_false_lane_unless_asserts_are_off() {
    use ScalarType::{Bool, I32};
    let p = program(
        &[],
        &[(16, 1), (16, 1), (4, 1)],
        0,
        vec![
            vec_op(TileOp::Arange { start: 0, end: 4 }, push(0), &[4], I32, &[]),
            vec_op(TileOp::Splat, push(1), &[4], I32, &[imm32(2)]),
            vec_op(TileOp::Cmp(CmpPred::Lt), push(2), &[4], Bool, &[cb(0), cb(1)]),
            Op::Assert { cond: cb(2), message: "x < 2".into() },
        ],
    );
    let err = run_err(&p, &Launch::default(), &mut []);
    assert_eq!(
        err,
        SimError::AssertFailed { pe: (0, 0), index: 3, message: "x < 2".into(), lane: 2 }
    );
    assert_eq!(err.to_string(), "PE (0, 0) command 3 `assert`: lane 2 is false: x < 2");
    let off = Launch { check_asserts: false, ..Launch::default() };
    assert_eq!(run_ok(&p, &off, &mut []).commands, 4);
    let scalar =
        program(&[], &[], 0, vec![Op::Assert { cond: imm_bool(false), message: "no".into() }]);
    assert!(matches!(
        run_err(&scalar, &Launch::default(), &mut []),
        SimError::AssertFailed { lane: 0, .. }
    ));
}

#[test]
fn arguments_must_match_the_parameters() {
    use ScalarType::{F16, F32, I32};
    let p = program(&[("x", buf(F32)), ("n", ParamKind::Scalar(I32))], &[], 0, vec![]);
    let n = KernelArg::Scalar(Scalar::I32(3));
    let err = run_err(&p, &Launch::default(), &mut [arg(vec![0f32; 4])]);
    assert_eq!(err, SimError::ArgCount { kernel: "k".into(), expected: 2, got: 1 });
    let err = run_err(&p, &Launch::default(), &mut [KernelArg::Buffer(Buffer::zeros(F16, 4)), n]);
    assert_eq!(
        err,
        SimError::ArgMismatch {
            index: 0,
            param: "x".into(),
            expected: ParamKind::Buffer(F32),
            got: ParamKind::Buffer(F16)
        }
    );
    assert_eq!(err.to_string(), "argument 0 (`x`) must be a buffer of f32, got a buffer of f16");
    let wide = KernelArg::Scalar(Scalar::I64(3));
    let err = run_err(&p, &Launch::default(), &mut [arg(vec![0f32; 4]), wide]);
    assert_eq!(
        err.to_string(),
        "argument 1 (`n`) must be a scalar of type i32, got a scalar of type i64"
    );
    let err = run_err(&p, &Launch::default(), &mut [arg(vec![0f32; 4]), arg(vec![1i32])]);
    assert!(matches!(err, SimError::ArgMismatch { index: 1, got: ParamKind::Buffer(I32), .. }));
    assert!(matches!(err, SimError::ArgMismatch { expected: ParamKind::Scalar(I32), .. }));
}

#[test]
fn reading_an_unset_register_is_an_error() {
    use ScalarType::I32;
    let p = program(
        &[],
        &[],
        2,
        vec![s_op(TileOp::Binary(BinaryOp::Add), I32, 0, &[reg(1), imm32(1)])],
    );
    let err = run_err(&p, &Launch::default(), &mut []);
    assert_eq!(err, SimError::UnsetRegister { pe: (0, 0), index: 0, mnemonic: "s_op", reg: 1 });
    assert_eq!(err.to_string(), "PE (0, 0) command 0 `s_op`: r1 is read before it is written");
}

#[test]
fn a_neighbour_outside_the_sub_grid_is_an_error_even_before_blocking() {
    let send = program(&[], &[(4, 1)], 0, vec![Op::Send { dir: Dir::North, cb: CbId(0) }]);
    let err = run_err(&send, &sub_grid(2, 2), &mut []);
    assert_eq!(
        err,
        SimError::NoNeighbour { pe: (0, 0), index: 0, mnemonic: "send", dir: Dir::North }
    );
    assert_eq!(
        err.to_string(),
        "PE (0, 0) command 0 `send`: no neighbour to the north inside the sub-grid"
    );
    // PE (0, 0) would block on the empty link; PE (0, 1) has no east neighbour.
    let recv = program(&[], &[(4, 1)], 0, vec![Op::ReRecv { dir: Dir::East, cb: CbId(0) }]);
    let err = run_err(&recv, &sub_grid(1, 2), &mut []);
    assert!(matches!(err, SimError::NoNeighbour { pe: (0, 1), dir: Dir::East, .. }), "{err}");
}

#[test]
fn invalid_programs_and_launches_are_rejected_before_running() {
    let bad_cb = program(&[], &[(16, 0)], 0, vec![]);
    let err = run_err(&bad_cb, &Launch::default(), &mut []);
    assert_eq!(err, SimError::Invalid(ProgramError::BadCb { index: 0, what: "depth 0".into() }));
    let ok = program(&[], &[], 0, vec![Op::Fence]);
    let err = run_err(&ok, &sub_grid(3, 1), &mut []);
    assert_eq!(err, SimError::SubGrid { rows: 3, cols: 1, machine_rows: 2, machine_cols: 2 });
    assert!(matches!(run_err(&ok, &sub_grid(1, 0), &mut []), SimError::SubGrid { .. }));
    let err = run_err(&ok, &Launch { grid: [1, 0, 1], ..Launch::default() }, &mut []);
    assert_eq!(err, SimError::BadGrid { grid: [1, 0, 1] });
}

#[test]
fn the_interpreter_rejecting_an_op_is_an_eval_error() {
    use ScalarType::{F32, I32};
    let p = program(
        &[],
        &[(16, 1), (16, 1), (16, 1)],
        0,
        vec![
            vec_op(TileOp::Splat, push(0), &[4], F32, &[imm_f32(1.0)]),
            vec_op(TileOp::Splat, push(1), &[4], I32, &[imm32(1)]),
            vec_op(TileOp::Binary(BinaryOp::Add), push(2), &[4], F32, &[cb(0), cb(1)]),
        ],
    );
    match run_err(&p, &Launch::default(), &mut []) {
        SimError::Eval { pe: (0, 0), index: 2, mnemonic: "vec_op", message } => {
            assert!(message.contains("tile<[4], i32>"), "{message}");
        }
        other => panic!("expected an eval error, got {other}"),
    }
    let exp_of_int = program(
        &[],
        &[(16, 1), (16, 1)],
        0,
        vec![
            vec_op(TileOp::Splat, push(0), &[4], I32, &[imm32(1)]),
            on(Engine::Se, TileOp::Unary(UnaryOp::Exp), push(1), &[4], I32, &[cb(0)]),
        ],
    );
    assert!(matches!(
        run_err(&exp_of_int, &Launch::default(), &mut []),
        SimError::Eval { index: 1, mnemonic: "se_lut", .. }
    ));
}

#[test]
fn run_time_type_mismatches_are_faults() {
    use ScalarType::{F16, F32, I32};
    let fault =
        |p: &Program, launch: &Launch, args: &mut [KernelArg]| match run_err(p, launch, args) {
            SimError::Fault { message, .. } => message,
            other => panic!("expected a fault, got {other}"),
        };
    // An f16 tile stored to an f32 buffer.
    let p = program(
        &[("h", buf(F16)), ("x", buf(F32))],
        &[(8, 1)],
        0,
        vec![dma_in(0, line(0, imm(0), 4)), dma_out(0, line(1, imm(0), 4))],
    );
    let mut args = [KernelArg::Buffer(Buffer::zeros(F16, 4)), arg(vec![0f32; 4])];
    let message = fault(&p, &Launch::default(), &mut args);
    assert!(message.contains("f16") && message.contains("`x`"), "{message}");
    // A float DMA base.
    let p = program(&[("x", buf(F32))], &[(16, 1)], 0, vec![dma_in(0, line(0, imm_f32(1.5), 4))]);
    let mut args = [arg(vec![0f32; 8])];
    let message = fault(&p, &Launch::default(), &mut args);
    assert_eq!(message, "a DMA base must be an integer, got 1.5f32");
    // A branch on an integer.
    let p = program(&[], &[], 0, vec![Op::Branch { cond: imm32(1), when: true, target: 0 }]);
    assert_eq!(fault(&p, &Launch::default(), &mut []), "the condition must be a bool, got 1i32");
    // A CB of four elements read as a scalar.
    let p = program(
        &[],
        &[(16, 1)],
        1,
        vec![
            vec_op(TileOp::Splat, push(0), &[4], I32, &[imm32(1)]),
            s_op(TileOp::Copy, I32, 0, &[cb(0)]),
        ],
    );
    assert_eq!(
        fault(&p, &Launch::default(), &mut []),
        "cb0 holds 4 elements where a scalar is required"
    );
    // A barrier rectangle that does not contain the issuing PE.
    let rect = PeSet::Rect { row: 1, col: 0, rows: 1, cols: 2 };
    let p = program(&[], &[], 0, vec![Op::Barrier { set: rect }]);
    let message = fault(&p, &sub_grid(2, 2), &mut []);
    assert!(message.contains("contain the issuing PE"), "{message}");
    // A copy that changes the dtype.
    let p = program(
        &[],
        &[(16, 1), (16, 1)],
        0,
        vec![
            vec_op(TileOp::Splat, push(0), &[4], I32, &[imm32(1)]),
            vec_op(TileOp::Copy, push(1), &[4], F32, &[cb(0)]),
        ],
    );
    assert_eq!(
        fault(&p, &Launch::default(), &mut []),
        "copy of a tile<[4], i32> as a tile<[4], f32>"
    );
}

#[test]
fn sending_without_receiving_fails_once_too_many_bytes_are_in_flight() {
    use ScalarType::F32;
    let p = program(
        &[],
        &[(65_536, 1)],
        1,
        vec![
            vec_op(TileOp::Splat, push(0), &[16_384], F32, &[imm_f32(1.0)]),
            col_is(0, 0),
            Op::Branch { cond: reg(0), when: false, target: 5 },
            Op::Send { dir: Dir::East, cb: CbId(0) },
            Op::Jump { target: 3 },
        ],
    );
    let err = run_err(&p, &sub_grid(1, 2), &mut []);
    // 1024 tiles of 64 KiB fill the 64 MiB; the 1025th send fails.
    let limit = tessera_pegrid::sim::MAX_IN_FLIGHT_BYTES;
    assert_eq!(limit, 1024 * 65_536);
    assert_eq!(
        err,
        SimError::LinkOverflow {
            pe: (0, 0),
            index: 3,
            mnemonic: "send",
            in_flight: 1025 * 65_536,
            limit
        }
    );
    assert_eq!(
        err.to_string(),
        "PE (0, 0) command 3 `send`: 67174400 bytes would be in flight on the neighbour \
         links, more than the simulator's limit of 67108864"
    );
}

#[test]
fn received_messages_no_longer_count_as_in_flight() {
    use ScalarType::{Bool, F32, I32};
    let count = |dst: u32| s_op(TileOp::Binary(BinaryOp::Add), I32, dst, &[reg(dst), imm32(1)]);
    let more = s_op(TileOp::Cmp(CmpPred::Lt), Bool, 2, &[reg(1), imm32(2200)]);
    // 2200 tiles of 32 KiB (more than the limit in total) go from PE (0, 0) to (0, 1).
    let p = program(
        &[],
        &[(32_768, 1), (32_768, 1)],
        3,
        vec![
            col_is(0, 0),                                                  // 0
            s_op(TileOp::Copy, I32, 1, &[imm32(0)]),                       // 1
            Op::Branch { cond: reg(0), when: false, target: 9 },           // 2
            vec_op(TileOp::Splat, push(0), &[8192], F32, &[imm_f32(1.0)]), // 3
            Op::Send { dir: Dir::East, cb: CbId(0) },                      // 4
            count(1),                                                      // 5
            more.clone(),                                                  // 6
            Op::Branch { cond: reg(2), when: true, target: 4 },            // 7
            Op::Jump { target: 14 },                                       // 8
            Op::Recv { dir: Dir::West, cb: CbId(1) },                      // 9
            pop(1),                                                        // 10
            count(1),                                                      // 11
            more,                                                          // 12
            Op::Branch { cond: reg(2), when: true, target: 9 },            // 13
        ],
    );
    let stats = run_ok(&p, &sub_grid(1, 2), &mut []);
    assert_eq!((stats.commands_per_op["send"], stats.commands_per_op["recv"]), (2200, 2200));
}
