//! Property test: `Machine::from_toml_str` never panics, on random strings or on
//! mutated preset text, and anything it accepts is valid and round-trips.

/// Named `machine` so `cargo test -p tessera-pegrid machine` selects these tests.
mod machine {
    use proptest::prelude::*;
    use tessera_pegrid::machine::Machine;

    fn check(text: &str) {
        if let Ok(m) = Machine::from_toml_str(text) {
            m.validate().unwrap();
            let again = Machine::from_toml_str(&m.to_toml_string().unwrap()).unwrap();
            assert_eq!(again, m);
            // Derived figures never panic either.
            let _ = (m.peak_fp16_flops(), m.ridge_fp16_dram(), m.ridge_fp16_sram());
            let _ = m.dpe_tile_footprint_bytes();
        }
        // Error formatting never panics.
        if let Err(e) = Machine::from_toml_str(text) {
            let _ = e.to_string();
        }
    }

    fn preset_text() -> impl Strategy<Value = String> {
        prop::sample::select(Machine::preset_names())
            .prop_map(|n| Machine::preset_toml(n).unwrap().to_string())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn random_strings_never_panic(s in "\\PC{0,200}") {
            check(&s);
        }

        #[test]
        fn toml_ish_strings_never_panic(s in "[\\[\\]a-z_=. 0-9\"\n#-]{0,200}") {
            check(&s);
        }

        #[test]
        fn mutated_presets_never_panic(
            text in preset_text(),
            edits in prop::collection::vec((any::<prop::sample::Index>(), 0usize..12, "[0-9a-z=\\[\\]\"\n. -]{0,6}"), 1..6),
        ) {
            let mut bytes = text.into_bytes();
            for (at, del, ins) in edits {
                let start = at.index(bytes.len() + 1);
                let end = (start + del).min(bytes.len());
                bytes.splice(start..end, ins.bytes());
            }
            // Edits insert ASCII only but may split nothing: the presets are ASCII.
            let text = String::from_utf8_lossy(&bytes).into_owned();
            check(&text);
        }

        #[test]
        fn extreme_numbers_never_panic(
            rows in any::<u32>(), cols in any::<u32>(), m in any::<u32>(), k in any::<u32>(),
            bytes in any::<u64>(), clock in any::<f64>(), eff in any::<f64>(),
        ) {
            let text = Machine::preset_toml("tiny").unwrap()
                .replace("rows = 2", &format!("rows = {rows}"))
                .replace("cols = 2", &format!("cols = {cols}"))
                .replace("tile_m = 8", &format!("tile_m = {m}"))
                .replace("tile_k_bytes = 16", &format!("tile_k_bytes = {k}"))
                .replace("bytes = 65536", &format!("bytes = {bytes}"))
                .replace("clock_hz = 1.0e9", &format!("clock_hz = {clock:e}"))
                .replace("efficiency = 1.0", &format!("efficiency = {eff:e}"));
            check(&text);
        }
    }
}
