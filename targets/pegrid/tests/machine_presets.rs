//! Machine presets: every shipped preset loads and validates, round-trips through TOML,
//! `Machine::load` resolves names and paths, and the default preset is `mtia2`.

/// Named `machine` so `cargo test -p tessera-pegrid machine` selects these tests.
mod machine {
    use tessera_pegrid::machine::{Machine, MachineError, DEFAULT_PRESET};

    #[test]
    fn every_preset_loads_and_validates() {
        let names = Machine::preset_names();
        assert_eq!(names, ["mtia2", "mtia1", "mtia300", "tiny"]);
        for name in names {
            let m = Machine::preset(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(m.name, name);
            m.validate().unwrap();
            assert!(m.dpe_tile_footprint_bytes() <= u128::from(m.local_mem.bytes));
        }
    }

    #[test]
    fn default_is_mtia2() {
        assert_eq!(DEFAULT_PRESET, "mtia2");
        assert_eq!(Machine::preset_names()[0], DEFAULT_PRESET);
        assert_eq!(Machine::default_preset().unwrap().name, "mtia2");
    }

    #[test]
    fn toml_round_trip_is_identity() {
        for name in Machine::preset_names() {
            let m = Machine::preset(name).unwrap();
            let text = m.to_toml_string().unwrap();
            let back =
                Machine::from_toml_str(&text).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
            assert_eq!(back, m, "{name}");
            assert_eq!(back.to_toml_string().unwrap(), text, "{name}");
        }
    }

    #[test]
    fn load_accepts_preset_names_and_paths() {
        assert_eq!(Machine::load("tiny").unwrap(), Machine::preset("tiny").unwrap());
        let dir = std::env::temp_dir().join(format!("tessera-machine-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("custom.toml");
        let text =
            Machine::preset_toml("tiny").unwrap().replace("name = \"tiny\"", "name = \"custom\"");
        std::fs::write(&path, text).unwrap();
        let m = Machine::load(path.to_str().unwrap()).unwrap();
        assert_eq!(m.name, "custom");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn load_reports_unknown_preset_and_missing_file() {
        match Machine::load("mtia9") {
            Err(MachineError::UnknownPreset { name, known }) => {
                assert_eq!(name, "mtia9");
                assert!(known.contains("mtia2") && known.contains("tiny"));
            }
            other => panic!("{other:?}"),
        }
        match Machine::load("/nonexistent/dir/machine.toml") {
            Err(MachineError::Io { path, .. }) => assert_eq!(path, "/nonexistent/dir/machine.toml"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(Machine::preset("nope"), Err(MachineError::UnknownPreset { .. })));
    }

    #[test]
    fn derived_figures_are_consistent() {
        for name in Machine::preset_names() {
            let m = Machine::preset(name).unwrap();
            let ridge = m.peak_fp16_flops() / m.dram_bytes_per_s();
            assert!((m.ridge_fp16_dram() - ridge).abs() < 1e-9 * ridge);
            assert!(m.dram_effective_bytes_per_s() <= m.dram_bytes_per_s());
            assert!(m.peak_bf16_flops() > 0.0 && m.peak_int8_ops() > 0.0);
        }
        // `tiny` is deliberately DRAM-bound: its fp16 ridge against DRAM is far above SRAM's.
        let tiny = Machine::preset("tiny").unwrap();
        assert_eq!(tiny.num_pes(), 4);
        assert!((tiny.ridge_fp16_dram() - 32.0).abs() < 1e-9);
    }
}
