//! Tests of the PE-grid address analysis (`compile::affine`): corpus kernels compiled
//! at -O2 and hand-written IR edge cases.

mod affine {
    use std::path::Path;

    use tessera_frontend::{compile, CompileOptions};
    use tessera_ir::{parse_module, verify_module, Function, Module};
    use tessera_passes::cost::DefaultCostModel;
    use tessera_passes::pipeline::{optimize_module, OptLevel, PipelineOptions};
    use tessera_pegrid::compile::affine::{
        analyze_function, Access, AccessKind, EdgeBound, MaskInfo, MemAccess, LOADED_DATA,
    };
    use tessera_pegrid::compile::symexpr::{Atom, ScalarExpr};

    fn corpus(name: &str) -> Module {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/kernels/ok")
            .join(format!("{name}.tsr"));
        let text = std::fs::read_to_string(&path).expect("corpus kernel");
        let mut module = compile(&text, &CompileOptions::default()).expect("compiles");
        let options = PipelineOptions::for_level(OptLevel::O2);
        optimize_module(&mut module, &options, &DefaultCostModel).expect("optimizes");
        module
    }

    fn kernel<'m>(module: &'m Module, name: &str) -> &'m Function {
        module.function(name).expect("kernel present")
    }

    fn p(i: usize) -> ScalarExpr {
        ScalarExpr::atom(Atom::Param(i))
    }

    fn c(v: i64) -> ScalarExpr {
        ScalarExpr::constant(v)
    }

    fn pid(axis: u8) -> ScalarExpr {
        ScalarExpr::atom(Atom::ProgramId(axis))
    }

    fn of_kind(accesses: &[MemAccess], kind: AccessKind) -> Vec<&MemAccess> {
        accesses.iter().filter(|a| a.kind == kind).collect()
    }

    fn edges(m: &MaskInfo) -> &[EdgeBound] {
        match m {
            MaskInfo::Edges(e) => e,
            other => panic!("expected edge mask, got {other:?}"),
        }
    }

    /// The loop variable atom used in an expression, if any.
    fn loop_var(e: &ScalarExpr) -> Option<Atom> {
        e.terms().flat_map(|(k, _)| k.iter().copied()).find(|a| matches!(a, Atom::LoopVar(_)))
    }

    #[test]
    fn softmax_rows_are_unit_stride_with_edge_mask() {
        let m = corpus("softmax");
        let acc = analyze_function(kernel(&m, "softmax"));
        let (loads, stores) = (of_kind(&acc, AccessKind::Load), of_kind(&acc, AccessKind::Store));
        assert_eq!((loads.len(), stores.len()), (1, 1));
        for (a, buffer, stride_param) in [(loads[0], 0, 3), (stores[0], 1, 4)] {
            let aff = a.affine().expect("affine");
            assert_eq!(aff.buffer_param, buffer);
            assert_eq!(aff.shape, vec![1024]);
            assert_eq!(aff.strides, vec![c(1)]);
            assert_eq!(aff.base, pid(0).mul(&p(stride_param)));
            let e = edges(&a.mask);
            assert_eq!(
                e,
                &[EdgeBound { dim: 0, start: c(0), step: c(1), bound: p(2) }],
                "offs < n_cols"
            );
        }
    }

    #[test]
    fn matmul_tiles_have_symbolic_strides() {
        let m = corpus("matmul");
        let acc = analyze_function(kernel(&m, "matmul"));
        let loads = of_kind(&acc, AccessKind::Load);
        let stores = of_kind(&acc, AccessKind::Store);
        assert_eq!((loads.len(), stores.len()), (2, 1));
        let a = loads.iter().find_map(|l| l.affine().filter(|a| a.buffer_param == 0)).unwrap();
        let b = loads.iter().find_map(|l| l.affine().filter(|a| a.buffer_param == 1)).unwrap();
        let cst = stores[0].affine().expect("C store affine");
        assert_eq!(a.strides, vec![p(6), p(7)], "[sam, sak]");
        assert_eq!(b.strides, vec![p(8), p(9)], "[sbk, sbn]");
        assert_eq!(cst.buffer_param, 2);
        assert_eq!(cst.strides, vec![p(10), p(11)], "[scm, scn]");
        assert_eq!(a.shape, vec![64, 32]);
        assert_eq!(b.shape, vec![32, 64]);
        assert_eq!(cst.shape, vec![64, 64]);
        // A base: pid0 * BLOCK_M * sam + k * sak, k the loop induction variable.
        let k = loop_var(&a.base).expect("A base uses the loop variable");
        let expect_a = pid(0).scale(64).mul(&p(6)).add(&ScalarExpr::atom(k).mul(&p(7)));
        assert_eq!(a.base, expect_a, "A base = {}", a.base);
        let expect_c = pid(0).scale(64).mul(&p(10)).add(&pid(1).scale(64).mul(&p(11)));
        assert_eq!(cst.base, expect_c, "C base = {}", cst.base);
        // Masks: rm < M on dim 0 and ka < K on dim 1 for A; rm < M, rn < N for C.
        let a_load =
            loads.iter().find(|l| l.affine().is_some_and(|x| x.buffer_param == 0)).unwrap();
        let a_edges = edges(&a_load.mask);
        assert_eq!(a_edges.len(), 2);
        assert!(a_edges.iter().any(|e| e.dim == 0 && e.bound == p(3) && e.step == c(1)));
        assert!(a_edges.iter().any(|e| e.dim == 1 && e.bound == p(5) && e.step == c(1)));
        let c_edges = edges(&stores[0].mask);
        assert!(c_edges.iter().any(|e| e.dim == 0 && e.bound == p(3)));
        assert!(c_edges.iter().any(|e| e.dim == 1 && e.bound == p(4)));
    }

    #[test]
    fn vector_add_is_unit_stride() {
        let m = corpus("vector_add");
        let acc = analyze_function(kernel(&m, "vector_add"));
        assert_eq!(acc.len(), 3);
        for (i, a) in acc.iter().enumerate() {
            let aff = a.affine().expect("affine");
            assert_eq!(aff.buffer_param, i);
            assert_eq!(aff.strides, vec![c(1)]);
            let e = edges(&a.mask);
            assert_eq!(e.len(), 1);
            assert_eq!(e[0].bound, p(3));
            assert_eq!(e[0].start, aff.base, "mask index and address share offs");
        }
    }

    #[test]
    fn histogram_atomic_is_gather_from_loaded_data() {
        let m = corpus("histogram");
        let acc = analyze_function(kernel(&m, "histogram"));
        let loads = of_kind(&acc, AccessKind::Load);
        assert_eq!(loads[0].affine().map(|a| a.strides.clone()), Some(vec![c(1)]));
        let atomics = of_kind(&acc, AccessKind::Atomic);
        assert_eq!(atomics.len(), 1);
        match &atomics[0].access {
            Access::Gather { buffer_param, reason } => {
                assert_eq!(*buffer_param, Some(1));
                assert_eq!(reason, LOADED_DATA);
            }
            Access::Affine(a) => panic!("expected gather, got {a:?}"),
        }
        assert!(matches!(atomics[0].mask, MaskInfo::Edges(_)));
    }

    #[test]
    fn flash_attention_loads_are_row_strided() {
        let m = corpus("flash_attention");
        let acc = analyze_function(kernel(&m, "flash_attention"));
        let loads = of_kind(&acc, AccessKind::Load);
        let stride_s = p(7);
        for buffer in 0..3 {
            let a = loads
                .iter()
                .find_map(|l| l.affine().filter(|a| a.buffer_param == buffer))
                .unwrap_or_else(|| panic!("load of param {buffer} affine: {acc:?}"));
            assert_eq!(a.strides, vec![stride_s.clone(), c(1)], "buffer {buffer}");
            assert_eq!(a.shape, vec![64, 64]);
        }
        // k and v are offset by head_base + start_n * stride_s.
        let k = loads.iter().find_map(|l| l.affine().filter(|a| a.buffer_param == 1)).unwrap();
        let iv = loop_var(&k.base).expect("k base uses the loop variable");
        assert_eq!(k.base, pid(1).mul(&p(6)).add(&ScalarExpr::atom(iv).mul(&p(7))));
        let stores = of_kind(&acc, AccessKind::Store);
        let o = stores[0].affine().expect("o store affine");
        assert_eq!((o.buffer_param, o.strides.clone()), (3, vec![stride_s, c(1)]));
    }

    #[test]
    fn whole_corpus_analyzes_without_panicking() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/kernels/ok");
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .expect("corpus dir")
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str()?.strip_suffix(".tsr").map(str::to_string))
            .collect();
        names.sort();
        let mut total = 0;
        for name in names {
            let m = corpus(&name);
            for f in &m.functions {
                for a in analyze_function(f) {
                    total += 1;
                    if let Some(aff) = a.affine() {
                        assert_eq!(aff.strides.len(), aff.shape.len(), "{name}/{}", f.name);
                    }
                }
            }
        }
        assert!(total > 20);
    }

    fn hand(text: &str) -> Vec<MemAccess> {
        let module = parse_module(text).expect("parses");
        verify_module(&module).expect("verifies");
        analyze_function(&module.functions[0])
    }

    #[test]
    fn product_of_two_varying_indices_is_gather() {
        let acc = hand(
            r#"kernel @k(%0 "x": ptr<f32>) {
  %1 = arange 0, 16 : tile<[16], i32>
  %2 = mul %1, %1 : tile<[16], i32>
  %3 = splat %0 : tile<[16], ptr<f32>>
  %4 = ptr_add %3, %2 : tile<[16], ptr<f32>>
  %5 = load %4 : tile<[16], f32>
  return
}"#,
        );
        match &acc[0].access {
            Access::Gather { buffer_param, reason } => {
                assert_eq!(*buffer_param, Some(0));
                assert!(reason.contains("non-linear"), "{reason}");
            }
            Access::Affine(a) => panic!("expected gather, got {a:?}"),
        }
        assert_eq!(acc[0].mask, MaskInfo::None);
    }

    #[test]
    fn transposed_index_and_shifted_stride() {
        // x[j * 8 + i] for a [4, 8] tile built as trans of [8, 4]; shl by 3 scales.
        let acc = hand(
            r#"kernel @k(%0 "x": ptr<f32>, %1 "n": i32) {
  %2 = arange 0, 8 : tile<[8], i32>
  %3 = arange 0, 4 : tile<[4], i32>
  %4 = const 3 : i32
  %5 = splat %4 : tile<[4], i32>
  %6 = shl %3, %5 : tile<[4], i32>
  %7 = expand_dims %2, axis 1 : tile<[8, 1], i32>
  %8 = broadcast %7 : tile<[8, 4], i32>
  %9 = expand_dims %6, axis 0 : tile<[1, 4], i32>
  %10 = broadcast %9 : tile<[8, 4], i32>
  %11 = add %8, %10 : tile<[8, 4], i32>
  %12 = trans %11, [1, 0] : tile<[4, 8], i32>
  %13 = splat %0 : tile<[4, 8], ptr<f32>>
  %14 = ptr_add %13, %12 : tile<[4, 8], ptr<f32>>
  %15 = splat %1 : tile<[1, 4], i32>
  %16 = cmp le %9, %15 : tile<[1, 4], bool>
  %17 = broadcast %16 : tile<[8, 4], bool>
  %18 = trans %17, [1, 0] : tile<[4, 8], bool>
  %19 = load %14, mask %18 : tile<[4, 8], f32>
  return
}"#,
        );
        let a = acc[0].affine().expect("affine");
        assert_eq!(a.strides, vec![c(8), c(1)]);
        assert_eq!(a.base, c(0));
        assert_eq!(
            edges(&acc[0].mask),
            &[EdgeBound { dim: 0, start: c(0), step: c(8), bound: p(1).add(&c(1)) }]
        );
    }

    #[test]
    fn symbolic_shift_and_scalar_div_and_general_masks() {
        let acc = hand(
            r#"kernel @k(%0 "x": ptr<f32>, %1 "s": i32, %2 "n": i32) {
  %3 = arange 0, 16 : tile<[16], i32>
  %4 = splat %1 : tile<[16], i32>
  %5 = shl %3, %4 : tile<[16], i32>
  %6 = splat %0 : tile<[16], ptr<f32>>
  %7 = ptr_add %6, %5 : tile<[16], ptr<f32>>
  %8 = cmp eq %3, %4 : tile<[16], bool>
  %9 = load %7, mask %8 : tile<[16], f32>
  %10 = div %2, %1 : i32
  %11 = splat %10 : tile<[16], i32>
  %12 = add %11, %3 : tile<[16], i32>
  %13 = ptr_add %6, %12 : tile<[16], ptr<f32>>
  %14 = cmp lt %3, %12 : tile<[16], bool>
  store %13, %9, mask %14
  return
}"#,
        );
        match &acc[0].access {
            Access::Gather { reason, .. } => assert!(reason.contains("shift"), "{reason}"),
            Access::Affine(a) => panic!("expected gather, got {a:?}"),
        }
        assert!(matches!(&acc[0].mask, MaskInfo::General(r) if r.contains("equality")));
        // n / s is tile-invariant: an opaque atom in the base, unit stride.
        let st = acc[1].affine().expect("affine store");
        assert_eq!(st.strides, vec![c(1)]);
        assert!(st.base.as_atom().is_some_and(|a| matches!(a, Atom::Opaque(_))), "{}", st.base);
        assert!(matches!(&acc[1].mask, MaskInfo::General(_)), "bound varies: {:?}", acc[1].mask);
    }
}
