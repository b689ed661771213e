//! Functional simulator tests: programs written in PE assembly, run on the `tiny`
//! machine, compared against plain Rust with the interpreter's rounding rules.

mod sim {
    use tessera_ir::interp::Buffer;
    use tessera_ir::ScalarType;
    use tessera_pegrid::machine::Machine;
    use tessera_pegrid::program::asm::parse_program;
    use tessera_pegrid::sim::{run, SimError};

    fn tiny() -> Machine {
        Machine::preset("tiny").expect("tiny preset")
    }

    fn f32s(v: &[f32]) -> Buffer {
        Buffer::F32(v.to_vec())
    }

    #[test]
    fn single_pe_vector_add() {
        let text = "
kernel vadd
grid rows=1 cols=1
buffer buf0 x f32[10]
buffer buf1 y f32[10]
buffer buf2 z f32[10]
pe row=0 col=0:
  cb_alloc cb0 slot_bytes=64 depth=2
  cb_alloc cb1 slot_bytes=64 depth=2
  cb_alloc cb2 slot_bytes=64 depth=2
  dma_in cb0 <- dram buf0[base=0, shape=[10], strides=[1], f32] -> t0
  dma_in cb1 <- dram buf1[base=0, shape=[10], strides=[1], f32] -> t1
  wait t0
  wait t1
  se_op add f32 cb2 <- cb0, cb1
  dma_out cb2 -> dram buf2[base=0, shape=[10], strides=[1], f32]
  fence
";
        let p = parse_program(text).expect("parses");
        let x: Vec<f32> = (0..10).map(|i| i as f32 * 0.1 + 1e-3).collect();
        let y: Vec<f32> = (0..10).map(|i| 1.0 / (i as f32 + 3.0)).collect();
        let mut bufs = vec![f32s(&x), f32s(&y), Buffer::zeros(ScalarType::F32, 10)];
        let stats = run(&p, &tiny(), &mut bufs).expect("runs");
        let want: Vec<f32> = x.iter().zip(&y).map(|(a, b)| a + b).collect();
        assert_eq!(bufs[2], f32s(&want));
        assert_eq!(stats.dma_bytes_in, 80);
        assert_eq!(stats.dma_bytes_out, 40);
        assert_eq!(stats.commands_per_pe[&(0, 0)], 10);
        assert_eq!(stats.commands_per_op["dma_in"], 2);
        assert_eq!(stats.commands_per_op["se_op"], 1);
    }

    #[test]
    fn integer_elementwise_follows_the_interpreter() {
        // i32 division by zero gives -1 and MIN / -1 gives MIN (the language's RISC-V
        // rules); the add wraps. The simulator uses the interpreter's own code for these.
        let text = "
kernel idiv
grid rows=1 cols=1
buffer buf0 a i32[4]
buffer buf1 b i32[4]
buffer buf2 q i32[4]
buffer buf3 s i32[4]
pe row=0 col=0:
  cb_alloc cb0 slot_bytes=16 depth=2
  cb_alloc cb1 slot_bytes=16 depth=2
  cb_alloc cb2 slot_bytes=16 depth=2
  dma_in cb0 <- dram buf0[base=0, shape=[4], strides=[1], i32]
  dma_in cb1 <- dram buf1[base=0, shape=[4], strides=[1], i32]
  se_op div i32 cb2 <- cb0, cb1
  dma_out cb2 -> dram buf2[base=0, shape=[4], strides=[1], i32]
  dma_in cb0 <- dram buf0[base=0, shape=[4], strides=[1], i32]
  dma_in cb1 <- dram buf1[base=0, shape=[4], strides=[1], i32]
  se_op add i32 cb2 <- cb0, cb1
  dma_out cb2 -> dram buf3[base=0, shape=[4], strides=[1], i32]
";
        let p = parse_program(text).expect("parses");
        let a = vec![7, i32::MIN, -9, i32::MAX];
        let b = vec![0, -1, 2, 1];
        let mut bufs = vec![
            Buffer::I32(a),
            Buffer::I32(b),
            Buffer::zeros(ScalarType::I32, 4),
            Buffer::zeros(ScalarType::I32, 4),
        ];
        run(&p, &tiny(), &mut bufs).expect("runs");
        assert_eq!(bufs[2], Buffer::I32(vec![-1, i32::MIN, -4, i32::MAX]));
        assert_eq!(bufs[3], Buffer::I32(vec![7, i32::MAX, -7, i32::MIN]));
    }

    #[test]
    fn lut_functions_round_once_from_f64() {
        let text = "
kernel luts
grid rows=1 cols=1
buffer buf0 x f32[6]
buffer buf1 e f32[6]
buffer buf2 s f32[6]
pe row=0 col=0:
  cb_alloc cb0 slot_bytes=24 depth=2
  cb_alloc cb1 slot_bytes=24 depth=2
  dma_in cb0 <- dram buf0[base=0, shape=[6], strides=[1], f32]
  se_lut exp f32 cb1 <- cb0
  dma_out cb1 -> dram buf1[base=0, shape=[6], strides=[1], f32]
  dma_in cb0 <- dram buf0[base=0, shape=[6], strides=[1], f32]
  se_lut silu f32 cb1 <- cb0
  dma_out cb1 -> dram buf2[base=0, shape=[6], strides=[1], f32]
";
        let p = parse_program(text).expect("parses");
        let x = vec![-3.5f32, -0.0, 0.1, 1.0, 7.25, f32::NEG_INFINITY];
        let mut bufs =
            vec![f32s(&x), Buffer::zeros(ScalarType::F32, 6), Buffer::zeros(ScalarType::F32, 6)];
        run(&p, &tiny(), &mut bufs).expect("runs");
        let exp: Vec<f32> = x.iter().map(|&v| f64::from(v).exp() as f32).collect();
        let silu: Vec<f32> =
            x.iter().map(|&v| (f64::from(v) / (1.0 + (-f64::from(v)).exp())) as f32).collect();
        assert_eq!(bufs[1], f32s(&exp));
        let Buffer::F32(got) = &bufs[2] else { panic!("f32 output") };
        for (g, w) in got.iter().zip(&silu) {
            assert!(g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()), "{g} vs {w}");
        }
    }

    #[test]
    fn masked_ragged_tail() {
        // x has 10 elements, processed in tiles of 4: the last tile is masked to 2.
        let mut text = String::from(
            "kernel sq\ngrid rows=1 cols=1\nbuffer buf0 x f16[10]\nbuffer buf1 z f16[10]\n\
             buffer buf2 w f16[12]\npe row=0 col=0:\n\
             cb_alloc cb0 slot_bytes=8 depth=2\ncb_alloc cb1 slot_bytes=8 depth=2\n\
             cb_alloc cb2 slot_bytes=8 depth=2\n",
        );
        // The tail tile is computed twice: stored masked into z, and unmasked into w
        // (len 12) to observe that masked-off loads read zero.
        for (t, dst) in [(0u64, "buf1"), (1, "buf1"), (2, "buf1"), (2, "buf2")] {
            let base = 4 * t;
            let mask = if t == 2 { " mask=[2]" } else { "" };
            let store_mask = if dst == "buf1" { mask } else { "" };
            text += &format!(
                "dma_in cb0 <- dram buf0[base={base}, shape=[4], strides=[1], f16]{mask}\n\
                 dma_in cb1 <- dram buf0[base={base}, shape=[4], strides=[1], f16]{mask}\n\
                 se_op mul f16 cb2 <- cb0, cb1\n\
                 dma_out cb2 -> dram {dst}[base={base}, shape=[4], strides=[1], f16]{store_mask}\n"
            );
        }
        let p = parse_program(&text).expect("parses");
        let x: Vec<f64> = (0..10).map(|i| 0.3 * i as f64 - 1.1).collect();
        let xb = Buffer::from_f64(ScalarType::F16, &x);
        let xs = xb.to_f64_vec();
        let mut bufs = vec![
            xb,
            Buffer::from_f64(ScalarType::F16, &[7.0; 10]),
            Buffer::from_f64(ScalarType::F16, &[7.0; 12]),
        ];
        run(&p, &tiny(), &mut bufs).expect("runs");
        // f16 mul: computed in f32, rounded once to f16.
        let sq = |v: f64| f64::from((v as f32) * (v as f32));
        let want_z: Vec<f64> = xs.iter().map(|&v| sq(v)).collect();
        assert_eq!(bufs[1], Buffer::from_f64(ScalarType::F16, &want_z));
        let w = bufs[2].to_f64_vec();
        assert_eq!(&w[..8], &[7.0; 8]);
        assert_eq!(w[8], Buffer::from_f64(ScalarType::F16, &[sq(xs[8])]).to_f64_vec()[0]);
        assert_eq!(&w[10..], &[0.0, 0.0], "masked-off loads read zero");
    }

    #[test]
    fn two_by_two_tiled_matmul_f16() {
        // C[8x8] (f32) = A[8x8] @ B[8x8] (f16); PE (r, c) owns the 4x4 tile (r, c) and
        // walks k in two steps of 4 (`=` then `+=`).
        let mut text = String::from(
            "kernel mm\ngrid rows=2 cols=2\nbuffer buf0 a f16[64]\nbuffer buf1 b f16[64]\n\
             buffer buf2 c f32[64]\n",
        );
        for r in 0..2u64 {
            for c in 0..2u64 {
                text += &format!(
                    "pe row={r} col={c}:\ncb_alloc cb0 slot_bytes=32 depth=2\n\
                     cb_alloc cb1 slot_bytes=32 depth=2\ncb_alloc cb2 slot_bytes=64 depth=1\n"
                );
                for kk in 0..2u64 {
                    let (ab, bb) = (r * 32 + kk * 4, kk * 32 + c * 4);
                    let op = if kk == 0 { "=" } else { "+=" };
                    text += &format!(
                        "dma_in cb0 <- dram buf0[base={ab}, shape=[4,4], strides=[8,1], f16]\n\
                         dma_in cb1 <- sram buf1[base={bb}, shape=[4,4], strides=[8,1], f16]\n\
                         dpe_mm cb2 {op} cb0 * cb1 [m=4, n=4, k=4, f16]\n"
                    );
                }
                let cb = r * 32 + c * 4;
                text += &format!(
                    "barrier all\ndma_out cb2 -> dram buf2[base={cb}, shape=[4,4], strides=[8,1], f32]\n"
                );
            }
        }
        let p = parse_program(&text).expect("parses");
        let a = Buffer::from_f64(
            ScalarType::F16,
            &(0..64).map(|i| ((i * 37 % 23) as f64 - 11.0) * 0.173).collect::<Vec<_>>(),
        );
        let b = Buffer::from_f64(
            ScalarType::F16,
            &(0..64).map(|i| ((i * 11 % 19) as f64 - 9.0) * 0.311).collect::<Vec<_>>(),
        );
        let (av, bv) = (a.to_f64_vec(), b.to_f64_vec());
        let mut bufs = vec![a, b, Buffer::zeros(ScalarType::F32, 64)];
        let stats = run(&p, &tiny(), &mut bufs).expect("runs");
        let mut want = vec![0f32; 64];
        for i in 0..8 {
            for j in 0..8 {
                let mut s = 0f32;
                for k in 0..8 {
                    s += (av[i * 8 + k] as f32) * (bv[k * 8 + j] as f32);
                }
                want[i * 8 + j] = s;
            }
        }
        assert_eq!(bufs[2], Buffer::F32(want));
        assert_eq!(stats.commands_per_op["dpe_mm"], 8);
        assert_eq!(stats.commands_per_op["barrier"], 4);
        assert_eq!(stats.commands_per_pe.len(), 4);
    }

    #[test]
    fn dma_out_of_bounds_names_pe_command_buffer_index() {
        let text = "
kernel oob
grid rows=1 cols=2
buffer buf0 x f32[10]
pe row=0 col=1:
  cb_alloc cb0 slot_bytes=16 depth=1
  dma_in cb0 <- dram buf0[base=8, shape=[4], strides=[1], f32]
";
        let p = parse_program(text).expect("parses");
        let mut bufs = vec![Buffer::zeros(ScalarType::F32, 10)];
        let err = run(&p, &tiny(), &mut bufs).unwrap_err();
        assert_eq!(
            err,
            SimError::DmaOutOfBounds {
                pe: (0, 1),
                index: 1,
                buffer: "x".into(),
                element: 10,
                len: 10
            }
        );
        assert!(err.to_string().contains("`x`"), "{err}");
    }

    #[test]
    fn local_memory_overflow() {
        let text = "
kernel big
grid rows=1 cols=1
buffer buf0 x f32[10]
pe row=0 col=0:
  cb_alloc cb0 slot_bytes=40000 depth=1
  cb_alloc cb1 slot_bytes=20000 depth=2
";
        let p = parse_program(text).expect("parses");
        let mut bufs = vec![Buffer::zeros(ScalarType::F32, 10)];
        let err = run(&p, &tiny(), &mut bufs).unwrap_err();
        assert_eq!(err, SimError::LocalMemOverflow { pe: (0, 0), needed: 80000, capacity: 65536 });
    }

    #[test]
    fn recv_without_sender_deadlocks() {
        let text = "
kernel dl
grid rows=1 cols=2
buffer buf0 x f32[4]
pe row=0 col=0:
  cb_alloc cb0 slot_bytes=16 depth=1
  recv east cb0
  dma_out cb0 -> dram buf0[base=0, shape=[4], strides=[1], f32]
pe row=0 col=1:
  fence
";
        let p = parse_program(text).expect("parses");
        let mut bufs = vec![Buffer::zeros(ScalarType::F32, 4)];
        match run(&p, &tiny(), &mut bufs).unwrap_err() {
            SimError::Deadlock { cycle_or_step, blocked } => {
                assert_eq!(cycle_or_step, 2);
                assert_eq!(blocked.len(), 1);
                assert_eq!((blocked[0].0, blocked[0].1), ((0, 0), 1));
                assert!(blocked[0].2.contains("no message"), "{}", blocked[0].2);
            }
            other => panic!("expected a deadlock, got {other}"),
        }
    }

    #[test]
    fn send_recv_between_neighbours() {
        let text = "
kernel hop
grid rows=2 cols=1
buffer buf0 x f32[4]
buffer buf1 y f32[4]
pe row=0 col=0:
  cb_alloc cb0 slot_bytes=16 depth=1
  dma_in cb0 <- dram buf0[base=0, shape=[4], strides=[1], f32]
  send south cb0
pe row=1 col=0:
  cb_alloc cb3 slot_bytes=16 depth=1
  recv north cb3
  dma_out cb3 -> dram buf1[base=0, shape=[4], strides=[-1], f32] mask=[1]
";
        let p = parse_program(text);
        // A negative stride reaching below 0 is only fine when masked off.
        let p = p.expect("parses");
        let mut bufs = vec![f32s(&[1.0, 2.0, 3.0, 4.0]), Buffer::zeros(ScalarType::F32, 4)];
        run(&p, &tiny(), &mut bufs).expect("runs");
        assert_eq!(bufs[1], f32s(&[1.0, 0.0, 0.0, 0.0]));
    }

    #[test]
    fn wrong_buffer_dtype_and_length() {
        let text = "kernel k\ngrid rows=1 cols=1\nbuffer buf0 x f32[4]\npe row=0 col=0:\n  fence\n";
        let p = parse_program(text).expect("parses");
        let mut bufs = vec![Buffer::zeros(ScalarType::F16, 4)];
        assert_eq!(
            run(&p, &tiny(), &mut bufs).unwrap_err(),
            SimError::BufferDtype {
                index: 0,
                name: "x".into(),
                expected: ScalarType::F32,
                got: ScalarType::F16
            }
        );
        let mut bufs = vec![Buffer::zeros(ScalarType::F32, 5)];
        assert!(matches!(
            run(&p, &tiny(), &mut bufs).unwrap_err(),
            SimError::BufferLen { expected: 4, got: 5, .. }
        ));
    }
}
