//! The timing rules of PEGRID.md §4, one test per rule, each against cycle counts
//! worked out by hand here from the `tiny` preset: 1 cycle per command issue; DMA 32
//! B/cycle per PE with 10 cycles of setup; DRAM 16 B/cycle (efficiency 1) with 50
//! cycles of latency; SRAM 128 B/cycle, 10 cycles; SE 8 lanes, 2 cycles of latency;
//! DPE 8×8 tiles of 16 bytes of K at 64 f16 MACs per cycle plus 4 cycles of fill; NoC
//! hops of 1 cycle. Plus determinism and timing-only equality.

use tessera_ir::interp::{Buffer, KernelArg, Scalar};
use tessera_ir::{ReduceOp, ScalarType, UnaryOp};
use tessera_pegrid::machine::Machine;
use tessera_pegrid::program::{
    BinaryOp, CbDecl, CbId, Command, DmaDesc, DmaMask, Dst, Engine, Group, Imm, MemLevel, Op,
    Operand, Param, ParamKind, PeSet, Program, Reg, TileOp, Token,
};
use tessera_pegrid::sim::{run, Launch, Mode, Timing, Unit};

fn tiny() -> Machine {
    Machine::preset("tiny").expect("tiny preset")
}

fn program(params: &[ParamKind], cbs: &[(u64, u32)], code: Vec<Command>) -> Program {
    Program {
        kernel: "k".into(),
        params: params
            .iter()
            .enumerate()
            .map(|(i, &kind)| Param { name: format!("p{i}"), kind })
            .collect(),
        cbs: cbs.iter().map(|&(slot_bytes, depth)| CbDecl { slot_bytes, depth }).collect(),
        regs: 4,
        code,
    }
}

fn c(op: Op) -> Command {
    Command::new(op)
}

fn imm(v: i64) -> Operand {
    Operand::Imm(Imm::i64(v))
}

fn f32_imm(v: f32) -> Operand {
    Operand::Imm(Imm::from_scalar(Scalar::F32(v)))
}

fn f16_imm(v: f32) -> Operand {
    Operand::Imm(Imm::from_scalar(Scalar::F16(half::f16::from_f32(v))))
}

fn line(n: u64) -> DmaDesc {
    DmaDesc {
        level: MemLevel::Dram,
        buffer: 0,
        base: imm(0),
        shape: vec![n],
        strides: vec![imm(1)],
        mask: DmaMask::All,
    }
}

fn tile(
    engine: Engine,
    op: TileOp,
    out: u32,
    shape: &[u64],
    dtype: ScalarType,
    inputs: Vec<Operand>,
) -> Op {
    Op::Tile { engine, op, out: Dst::Push(CbId(out)), shape: shape.to_vec(), dtype, inputs }
}

/// Runs `p` timed on a `rows × cols` sub-grid of `tiny` with one f32 buffer of 4096.
fn timed(p: &Program, rows: u32, cols: u32, sram: bool) -> Timing {
    let launch = Launch {
        rows,
        cols,
        mode: Mode::Timed,
        trace: true,
        sram_buffers: if sram { vec![0] } else { vec![] },
        ..Launch::default()
    };
    let mut args: Vec<KernelArg> = p
        .params
        .iter()
        .map(|q| match q.kind {
            ParamKind::Buffer(t) => KernelArg::Buffer(Buffer::zeros(t, 4096)),
            ParamKind::Scalar(_) => KernelArg::Scalar(Scalar::I32(0)),
        })
        .collect();
    let stats = run(p, &tiny(), &launch, &mut args).expect("runs");
    stats.timing.expect("timed")
}

/// Duration of the first traced command of `unit`.
fn duration(t: &Timing, unit: Unit) -> u64 {
    let e = t.trace.as_ref().unwrap().iter().find(|e| e.unit == unit).expect("event");
    e.end - e.start
}

const F32: ParamKind = ParamKind::Buffer(ScalarType::F32);

#[test]
fn a_dram_load_costs_setup_plus_bytes_at_the_shared_rate_plus_latency() {
    // 256 f32 = 1024 B: issue at 0; setup until 10; DRAM gives 16 B/cycle (less than the
    // PE's 32), so 64 cycles until 74; the data is ready 50 cycles later.
    let p = program(
        &[F32],
        &[(1024, 1)],
        vec![c(Op::DmaIn { cb: CbId(0), src: line(256) }), c(Op::Pop { cb: CbId(0) })],
    );
    let t = timed(&p, 1, 1, false);
    assert_eq!(t.cycles, 124);
    assert_eq!(t.dram_read, 1024);
    assert_eq!(duration(&t, Unit::Dma), 74);
    // From SRAM: the PE's 32 B/cycle binds (32 cycles) and latency is 10: 10 + 32 + 10.
    let t = timed(&p, 1, 1, true);
    assert_eq!(t.cycles, 52);
    assert_eq!((t.sram_read, t.dram_read), (1024, 0));
}

#[test]
fn concurrent_loads_share_dram_bandwidth() {
    // Two PEs load 1024 B each at once. The first reserves all 16 B/cycle over
    // [10, 74); the second gets bandwidth only from 74, until 138, ready at 188.
    let p = program(
        &[F32],
        &[(1024, 1)],
        vec![c(Op::DmaIn { cb: CbId(0), src: line(256) }), c(Op::Pop { cb: CbId(0) })],
    );
    let t = timed(&p, 1, 2, false);
    assert_eq!(t.pe_cycles[&(0, 0)], 124);
    assert_eq!(t.pe_cycles[&(0, 1)], 188);
    assert_eq!(t.cycles, 188);
    assert_eq!(t.dram_read, 2048);
}

#[test]
fn a_broadcast_load_reads_memory_once_per_row() {
    // Both PEs of a row issue the same broadcast: PE (0, 0) moves the bytes (ready at
    // 124 as above); PE (0, 1), one hop away, has them at 125 without touching DRAM.
    let p = program(
        &[F32],
        &[(1024, 1)],
        vec![
            c(Op::BcastLoad { cb: CbId(0), src: line(256), group: Group::Row }),
            c(Op::Pop { cb: CbId(0) }),
        ],
    );
    let t = timed(&p, 1, 2, false);
    assert_eq!(t.pe_cycles[&(0, 0)], 124);
    assert_eq!(t.pe_cycles[&(0, 1)], 125);
    assert_eq!((t.dram_read, t.bcast_saved), (1024, 1024));
}

#[test]
fn dpe_time_counts_native_tiles_plus_fill() {
    // [8,16] x [16,8] f16: K = 16 f16 = 32 B = 2 tiles of 16 B; 1·1·2 tiles of
    // 8·8·8 MACs at 64 MAC/cycle = 16 cycles, plus 4 of fill.
    let h = ScalarType::F16;
    let p = program(
        &[F32],
        &[(256, 1), (256, 1), (256, 1), (256, 1)],
        vec![
            c(tile(Engine::Se, TileOp::Splat, 0, &[8, 16], h, vec![f16_imm(1.0)])),
            c(tile(Engine::Se, TileOp::Splat, 1, &[16, 8], h, vec![f16_imm(1.0)])),
            c(tile(Engine::Se, TileOp::Splat, 2, &[8, 8], ScalarType::F32, vec![f32_imm(0.0)])),
            c(tile(
                Engine::Dpe,
                TileOp::Dot,
                3,
                &[8, 8],
                ScalarType::F32,
                vec![Operand::Cb(CbId(0)), Operand::Cb(CbId(1)), Operand::Cb(CbId(2))],
            )),
        ],
    );
    let t = timed(&p, 1, 1, false);
    assert_eq!(duration(&t, Unit::Dpe), 20);
    assert_eq!(t.dpe_macs[&ScalarType::F16], 8 * 8 * 16);
    // The SE splats: 128 lanes / 8 + 2 = 18, 18, then 64 / 8 + 2 = 10; in order on
    // the SE (issued at 0, 1, 2): 0..18, 18..36, 36..46; the DPE starts at 46.
    let dpe = t.trace.as_ref().unwrap().iter().find(|e| e.unit == Unit::Dpe).unwrap();
    assert_eq!((dpe.start, dpe.end), (46, 66));
    assert_eq!(t.cycles, 66);
}

#[test]
fn vector_engine_times_follow_lanes_and_op_costs() {
    let f = ScalarType::F32;
    let x = Operand::Cb(CbId(0));
    let cases: Vec<(Op, Unit, u64)> = vec![
        // SE: 64 lanes of f32 over 8 lanes = 8 cycles, + 2 latency.
        (tile(Engine::Se, TileOp::Binary(BinaryOp::Add), 1, &[64], f, vec![x, x]), Unit::Se, 10),
        // Divide costs 4 per element group.
        (tile(Engine::Se, TileOp::Binary(BinaryOp::Div), 1, &[64], f, vec![x, x]), Unit::Se, 34),
        // A LUT function costs 1.
        (tile(Engine::Se, TileOp::Unary(UnaryOp::Exp), 1, &[64], f, vec![x]), Unit::Se, 10),
        // Vector core: 64-byte vectors = 16 f32 lanes: 4 cycles + 2.
        (tile(Engine::Vec, TileOp::Binary(BinaryOp::Add), 1, &[64], f, vec![x, x]), Unit::Vec, 6),
        // RE: 64 inputs over 8 lanes + 2.
        (
            tile(Engine::Re, TileOp::Reduce { op: ReduceOp::Sum, axis: 0 }, 1, &[], f, vec![x]),
            Unit::Re,
            10,
        ),
        // MLU: 256 B at 256 B/cycle.
        (tile(Engine::Mlu, TileOp::Copy, 1, &[64], f, vec![x]), Unit::Mlu, 1),
    ];
    for (op, unit, want) in cases {
        let p = program(
            &[F32],
            &[(256, 1), (256, 1)],
            vec![
                c(tile(Engine::Se, TileOp::Splat, 0, &[64], f, vec![f32_imm(2.0)])),
                c(op.clone()),
            ],
        );
        let t = timed(&p, 1, 1, false);
        let e = t.trace.as_ref().unwrap().iter().rev().find(|e| e.unit == unit).unwrap();
        assert_eq!(e.end - e.start, want, "{op:?}");
    }
}

#[test]
fn the_core_pays_issue_and_scalar_instructions() {
    // Eight scalar instructions: one cycle each on the core.
    let code = (0..8)
        .map(|i| {
            c(Op::Scalar {
                op: TileOp::Binary(BinaryOp::Add),
                dtype: ScalarType::I64,
                dst: Reg(i % 4),
                inputs: vec![imm(1), imm(2)],
            })
        })
        .collect();
    let t = timed(&program(&[F32], &[], code), 1, 1, false);
    assert_eq!(t.cycles, 8);
    assert_eq!(t.units[&Unit::Core].busy, 8);
    // On mtia2 an engine command costs 4 cycles to issue: the second SE op is issued
    // at 4 and starts once the SE is free.
    let f = ScalarType::F32;
    let p = program(
        &[F32],
        &[(4096, 2)],
        vec![
            c(tile(Engine::Se, TileOp::Splat, 0, &[1024], f, vec![f32_imm(1.0)])),
            c(tile(Engine::Se, TileOp::Splat, 0, &[1024], f, vec![f32_imm(1.0)])),
        ],
    );
    let m = Machine::preset("mtia2").unwrap();
    let launch = Launch { mode: Mode::Timed, trace: true, ..Launch::default() };
    let mut args = vec![KernelArg::Buffer(Buffer::zeros(f, 1))];
    let t = run(&p, &m, &launch, &mut args).unwrap().timing.unwrap();
    let ev: Vec<(u64, u64)> = t.trace.unwrap().iter().map(|e| (e.start, e.end)).collect();
    // 1024 / 32 lanes + 8 latency = 40 cycles each, back to back on the SE.
    assert_eq!(ev, vec![(0, 40), (40, 80)]);
}

/// A loop of `n` iterations: load 64 f32, exp on the SE, pop both.
fn stream(depth: u32, n: i64) -> Program {
    let f = ScalarType::F32;
    let mut code = vec![c(Op::Scalar {
        op: TileOp::Copy,
        dtype: ScalarType::I64,
        dst: Reg(0),
        inputs: vec![imm(0)],
    })];
    let head = code.len() as u32;
    code.push(c(Op::Scalar {
        op: TileOp::Cmp(tessera_ir::CmpPred::Lt),
        dtype: ScalarType::Bool,
        dst: Reg(1),
        inputs: vec![Operand::Reg(Reg(0)), imm(n)],
    }));
    let exit_at = code.len();
    code.push(c(Op::Branch { cond: Operand::Reg(Reg(1)), when: false, target: 0 }));
    let mut src = line(64);
    src.base = Operand::Reg(Reg(2));
    code.push(c(Op::Scalar {
        op: TileOp::Binary(BinaryOp::Mul),
        dtype: ScalarType::I64,
        dst: Reg(2),
        inputs: vec![Operand::Reg(Reg(0)), imm(64)],
    }));
    code.push(c(Op::DmaIn { cb: CbId(0), src }));
    code.push(c(tile(
        Engine::Se,
        TileOp::Unary(UnaryOp::Exp),
        1,
        &[64],
        f,
        vec![Operand::Cb(CbId(0))],
    )));
    code.push(c(Op::Pop { cb: CbId(0) }));
    code.push(c(Op::Pop { cb: CbId(1) }));
    code.push(c(Op::Scalar {
        op: TileOp::Binary(BinaryOp::Add),
        dtype: ScalarType::I64,
        dst: Reg(0),
        inputs: vec![Operand::Reg(Reg(0)), imm(1)],
    }));
    code.push(c(Op::Jump { target: head }));
    let end = code.len() as u32;
    if let Op::Branch { target, .. } = &mut code[exit_at].op {
        *target = end;
    }
    program(&[F32], &[(256, depth), (256, 1)], code)
}

#[test]
fn double_buffering_overlaps_loads_and_single_buffering_stalls() {
    let single = timed(&stream(1, 16), 1, 1, true);
    let double = timed(&stream(2, 16), 1, 1, true);
    // One SRAM load of 256 B: 10 setup + 8 + 10 latency = 28 cycles; exp: 10 cycles.
    // With one slot, each load waits for the previous exp to finish reading the slot.
    assert!(single.units[&Unit::Dma].cb_full_stall > 0);
    assert!(double.cycles < single.cycles, "{} vs {}", double.cycles, single.cycles);
    assert!(
        double.units[&Unit::Dma].cb_full_stall < single.units[&Unit::Dma].cb_full_stall,
        "{:?} vs {:?}",
        double.units[&Unit::Dma],
        single.units[&Unit::Dma]
    );
    // With two slots the DMA engine runs back to back: 16 loads of 18 cycles of engine
    // time each (setup + transfer), the last one's data 10 cycles later, then its exp.
    let dma = double.trace.as_ref().unwrap().iter().filter(|e| e.unit == Unit::Dma);
    let busy: u64 = dma.map(|e| e.end - e.start).sum();
    assert_eq!(busy, 16 * 18);
}

#[test]
fn a_barrier_completes_after_the_last_arrival_plus_twice_the_diameter() {
    // PE (0, 0): two core instructions (0..2), an SE op issued at 2 (10 cycles, token
    // t0, done at 12), `wait t0` until 13: it arrives at 13. PE (0, 1) branches over the
    // SE op and arrives at 2. The 1x2 set has diameter 1: both leave at 13 + 2·1·1.
    let f = ScalarType::F32;
    let code = vec![
        c(Op::Scalar {
            op: TileOp::Cmp(tessera_ir::CmpPred::Eq),
            dtype: ScalarType::Bool,
            dst: Reg(0),
            inputs: vec![
                Operand::Special(tessera_pegrid::program::Special::PeCol),
                Operand::Imm(Imm::i32(0)),
            ],
        }),
        c(Op::Branch { cond: Operand::Reg(Reg(0)), when: false, target: 4 }),
        Command {
            op: tile(Engine::Se, TileOp::Splat, 0, &[64], f, vec![f32_imm(1.0)]),
            token: Some(Token(0)),
        },
        c(Op::Wait { token: Token(0) }),
        c(Op::Barrier { set: PeSet::All }),
    ];
    let t = timed(&program(&[F32], &[(256, 1)], code), 1, 2, false);
    assert_eq!(t.pe_cycles[&(0, 0)], 15);
    assert_eq!(t.pe_cycles[&(0, 1)], 15);
}

#[test]
fn runs_are_deterministic_and_timing_only_counts_the_same_cycles() {
    let p = stream(2, 8);
    let a = timed(&p, 2, 2, false);
    let b = timed(&p, 2, 2, false);
    assert_eq!(a, b);
    let launch =
        Launch { rows: 2, cols: 2, mode: Mode::TimingOnly, trace: true, ..Launch::default() };
    let mut args = vec![KernelArg::Buffer(Buffer::zeros(ScalarType::F32, 4096))];
    let only = run(&p, &tiny(), &launch, &mut args).unwrap().timing.unwrap();
    assert_eq!(only, a);
}
