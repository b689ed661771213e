//! Fuzz target: the whole front end (`check`, `compile`, rendering) on arbitrary bytes
//! must never panic, overflow the stack or hang. Run with
//! `cargo +nightly fuzz run check fuzz/corpus tests/kernels/ok tests/kernels/err -- -max_total_time=600` (see README.md).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_frontend::{check, compile, render, CompileOptions};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let options = CompileOptions::default();
    let diagnostics = check(&text, &options);
    let _ = render(&diagnostics, "fuzz.tsr", &text, false);
    if let Err(diagnostics) = compile(&text, &options) {
        let _ = render(&diagnostics, "fuzz.tsr", &text, false);
    }
});
