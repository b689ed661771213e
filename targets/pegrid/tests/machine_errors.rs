//! Machine validation errors: one test per rejected input, each checking the typed
//! error and the field it names.

/// Named `machine` so `cargo test -p tessera-pegrid machine` selects these tests.
mod machine {
    use tessera_pegrid::machine::{Machine, MachineError};

    fn tiny_with(from: &str, to: &str) -> String {
        let text = Machine::preset_toml("tiny").unwrap();
        assert!(text.contains(from), "`{from}` not in tiny.toml");
        text.replacen(from, to, 1)
    }

    #[test]
    fn zero_grid_is_rejected() {
        let err = Machine::from_toml_str(&tiny_with("rows = 2", "rows = 0")).unwrap_err();
        assert_eq!(err, MachineError::NotPositive { field: "grid.rows", value: "0".into() });
        assert!(err.to_string().contains("grid.rows"));
    }

    #[test]
    fn zero_sizes_and_bandwidths_are_rejected() {
        let cases = [
            ("bytes = 65536", "bytes = 0", "local_mem.bytes"),
            ("bw_bytes_per_cycle = 128", "bw_bytes_per_cycle = 0", "sram.bw_bytes_per_cycle"),
            (
                "bytes_per_cycle_per_pe = 32",
                "bytes_per_cycle_per_pe = 0",
                "dma.bytes_per_cycle_per_pe",
            ),
            ("lanes = 8", "lanes = 0", "se.lanes"),
        ];
        for (from, to, field) in cases {
            match Machine::from_toml_str(&tiny_with(from, to)) {
                Err(MachineError::NotPositive { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{to}: {other:?}"),
            }
        }
    }

    #[test]
    fn zero_or_negative_clock_is_rejected() {
        for clock in ["0.0", "-1.0e9", "nan", "inf"] {
            let err = Machine::from_toml_str(&tiny_with(
                "clock_hz = 1.0e9",
                &format!("clock_hz = {clock}"),
            ))
            .unwrap_err();
            assert!(
                matches!(err, MachineError::NotPositive { field: "clock_hz", .. }),
                "{clock}: {err:?}"
            );
        }
    }

    #[test]
    fn unknown_field_is_rejected_with_position() {
        let text = tiny_with("lanes = 8", "lanes = 8\nwarp_size = 32");
        let err = Machine::from_toml_str(&text).unwrap_err();
        let line = text.lines().position(|l| l.starts_with("warp_size")).unwrap() + 1;
        match &err {
            MachineError::UnknownField { field, line: l, column } => {
                assert_eq!(field, "se.warp_size");
                assert_eq!(*l, line);
                assert_eq!(*column, 1);
            }
            other => panic!("{other:?}"),
        }
        assert!(err.to_string().contains("se.warp_size"), "{err}");
    }

    #[test]
    fn unknown_top_level_field_and_section_are_rejected() {
        let err = Machine::from_toml_str(&tiny_with(
            "cmd_issue_cycles = 1",
            "cmd_issue_cycles = 1\nturbo = true",
        ))
        .unwrap_err();
        assert!(
            matches!(&err, MachineError::UnknownField { field, .. } if field == "turbo"),
            "{err:?}"
        );
        let text = format!("{}\n[hbm]\nbytes = 1\n", Machine::preset_toml("tiny").unwrap());
        let err = Machine::from_toml_str(&text).unwrap_err();
        assert!(
            matches!(&err, MachineError::UnknownField { field, .. } if field.ends_with("hbm")),
            "{err:?}"
        );
    }

    #[test]
    fn negative_bandwidth_is_a_toml_error_naming_the_field() {
        // Bandwidths are unsigned integers: `-1` fails deserialization, and the error carries
        // the dotted field path recovered from the TOML position.
        let text = tiny_with("bw_bytes_per_cycle = 16", "bw_bytes_per_cycle = -1");
        let err = Machine::from_toml_str(&text).unwrap_err();
        let line = text.lines().position(|l| l.contains("= -1")).unwrap() + 1;
        match &err {
            MachineError::Toml { line: l, field, .. } => {
                assert_eq!(*l, line);
                assert_eq!(field.as_deref(), Some("dram.bw_bytes_per_cycle"));
            }
            other => panic!("{other:?}"),
        }
        assert!(err.to_string().contains("dram.bw_bytes_per_cycle"), "{err}");
    }

    #[test]
    fn dpe_tile_too_big_for_local_memory_is_rejected() {
        // 128x128x128B: 2*(128*128 + 128*128) + 128*128*4 = 131072 bytes > 65536.
        let text = tiny_with(
            "tile_m = 8\ntile_n = 8\ntile_k_bytes = 16",
            "tile_m = 128\ntile_n = 128\ntile_k_bytes = 128",
        );
        match Machine::from_toml_str(&text).unwrap_err() {
            MachineError::DpeTileTooLarge { m, n, k_bytes, needed_bytes, local_mem_bytes } => {
                assert_eq!((m, n, k_bytes), (128, 128, 128));
                assert_eq!(needed_bytes, 131072);
                assert_eq!(local_mem_bytes, 65536);
            }
            other => panic!("{other:?}"),
        }
        // Exactly fitting is fine: 64x64x64B needs 2*(4096+4096) + 16384 = 32768 bytes.
        let text = tiny_with("bytes = 65536", "bytes = 32768").replace(
            "tile_m = 8\ntile_n = 8\ntile_k_bytes = 16",
            "tile_m = 64\ntile_n = 64\ntile_k_bytes = 64",
        );
        Machine::from_toml_str(&text).unwrap();
    }

    #[test]
    fn efficiency_outside_unit_interval_is_rejected() {
        for eff in ["1.5", "0.0", "-0.5", "nan"] {
            let err = Machine::from_toml_str(&tiny_with(
                "efficiency = 1.0",
                &format!("efficiency = {eff}"),
            ))
            .unwrap_err();
            assert!(matches!(err, MachineError::Efficiency { .. }), "{eff}: {err:?}");
            assert!(err.to_string().contains("dram.efficiency"));
        }
    }

    #[test]
    fn malformed_toml_is_rejected_with_position() {
        let err = Machine::from_toml_str("name = \"x\"\nclock_hz = = 3\n").unwrap_err();
        match err {
            MachineError::Toml { line, column, .. } => {
                assert_eq!(line, 2);
                assert!(column > 1);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(Machine::from_toml_str("[grid"), Err(MachineError::Toml { .. })));
    }

    #[test]
    fn missing_field_and_empty_name_are_rejected() {
        let err = Machine::from_toml_str(&tiny_with("hop_cycles = 1\n", "")).unwrap_err();
        assert!(
            matches!(&err, MachineError::Toml { message, .. } if message.contains("hop_cycles")),
            "{err:?}"
        );
        let err = Machine::from_toml_str(&tiny_with("name = \"tiny\"", "name = \"\"")).unwrap_err();
        assert_eq!(err, MachineError::EmptyName);
    }

    #[test]
    fn wrong_type_names_the_field() {
        let err = Machine::from_toml_str(&tiny_with("rows = 2", "rows = \"two\"")).unwrap_err();
        assert!(
            matches!(&err, MachineError::Toml { field: Some(f), .. } if f == "grid.rows"),
            "{err:?}"
        );
    }
}
