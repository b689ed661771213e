//! Diagnostics: the one type every user error becomes, and its one renderer.
//!
//! A [`Diagnostic`] has an error code (`E0001`…), a message, a primary span with a
//! label, secondary labels and an optional help line. [`render`] turns a list of them
//! into rustc-style text with codespan-reporting, colored only when asked (the CLI asks
//! when stderr is a terminal). Codes and their long explanations (for
//! `tessera explain`) are registered in [`codes`].

pub mod codes;

use crate::ast::Span;
use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label as CsLabel};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor};

/// A secondary label: a span and what it says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// One user-facing error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// `"E0001"`…; must be registered in [`codes::CODES`].
    pub code: &'static str,
    pub message: String,
    pub primary: Label,
    pub secondary: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error `code` with `message`, pointing at `span` with `label`.
    pub fn error(
        code: &'static str,
        message: impl Into<String>,
        span: Span,
        label: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            code,
            message: message.into(),
            primary: Label { span, message: label.into() },
            secondary: Vec::new(),
            help: None,
        }
    }

    /// Adds a secondary label.
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label { span, message: message.into() });
        self
    }

    /// Sets the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }
}

/// Renders diagnostics rustc-style against `source` named `file_name`.
pub fn render(diagnostics: &[Diagnostic], file_name: &str, source: &str, color: bool) -> String {
    let file = SimpleFile::new(file_name, source);
    let mut buffer = if color { termcolor::Buffer::ansi() } else { termcolor::Buffer::no_color() };
    let config = term::Config::default();
    for diag in diagnostics {
        let cs = to_codespan(diag, source.len());
        // Rendering into memory cannot fail except on a span outside the file, which
        // `to_codespan` clamps away.
        let _ = term::emit_to_write_style(&mut buffer, &config, &file, &cs);
    }
    String::from_utf8_lossy(buffer.as_slice()).into_owned()
}

fn to_codespan(diag: &Diagnostic, len: usize) -> CsDiagnostic<()> {
    let clamp = |span: Span| {
        let start = (span.start as usize).min(len);
        let end = (span.end as usize).clamp(start, len);
        start..end
    };
    let mut labels =
        vec![CsLabel::primary((), clamp(diag.primary.span)).with_message(&diag.primary.message)];
    for label in &diag.secondary {
        labels.push(CsLabel::secondary((), clamp(label.span)).with_message(&label.message));
    }
    let mut cs =
        CsDiagnostic::error().with_code(diag.code).with_message(&diag.message).with_labels(labels);
    if let Some(help) = &diag.help {
        cs = cs.with_notes(vec![format!("help: {help}")]);
    }
    cs
}
