//! Keeps the docs honest: every registered error code is listed in docs/language.md
//! with its title, and every code the docs list is registered.

use tessera::frontend::diag::codes;

#[test]
fn language_reference_lists_every_error_code() {
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/language.md"))
        .expect("docs/language.md");
    for code in codes::all() {
        let row = format!("| {} | {} |", code.code, code.title);
        assert!(docs.contains(&row), "docs/language.md lacks the row `{row}`");
    }
    for line in docs.lines().filter(|l| l.starts_with("| E")) {
        let code = line.trim_start_matches("| ").split(' ').next().unwrap_or_default();
        assert!(codes::explain(code).is_some(), "docs list unregistered code {code}");
    }
}

#[test]
fn every_code_has_an_example_and_a_fix() {
    for code in codes::all() {
        let text = code.explanation.to_lowercase();
        assert!(text.contains("example"), "{} has no example", code.code);
        assert!(text.contains("fix"), "{} explains no fix", code.code);
    }
}
