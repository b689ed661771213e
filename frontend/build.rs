//! Build script: generates the LR(1) parser from `src/grammar.lalrpop` (the only
//! grammar under `src/`) into `OUT_DIR`
//! (included by `src/parser/mod.rs` through `lalrpop_mod!`).

fn main() {
    let result = lalrpop::Configuration::new()
        .use_cargo_dir_conventions()
        .emit_rerun_directives(true)
        .process();
    if let Err(error) = result {
        // A grammar error is a bug in this crate: fail the build with lalrpop's report.
        eprintln!("{error}");
        std::process::exit(1);
    }
}
