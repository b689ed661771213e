//! The kernel corpus (`tests/kernels/ok/*.tsr`, read at run time from the repository)
//! and [`KernelPair`]: one specialization built twice through the public JIT API, with
//! and without bounds checks.

use std::path::PathBuf;

use tessera::jit::{CompileError, Engine, Kernel, Program};

use crate::BenchError;

/// A kernel specialization built checked and unchecked.
#[derive(Clone, Debug)]
pub struct KernelPair {
    pub checked: Kernel,
    pub unchecked: Kernel,
}

/// The corpus directory.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/kernels/ok")
}

/// Every `.tsr` file of the corpus, sorted by name.
pub fn files() -> Result<Vec<PathBuf>, BenchError> {
    let dir = dir();
    let corpus_error = |source| BenchError::Corpus { path: dir.clone(), source };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(corpus_error)? {
        let path = entry.map_err(corpus_error)?.path();
        if path.extension().is_some_and(|extension| extension == "tsr") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Compiles corpus file `file` (`"softmax.tsr"`).
pub fn program(engine: &Engine, file: &str) -> Result<Program, CompileError> {
    engine.compile_file(dir().join(file))
}

impl KernelPair {
    /// Builds kernel `name` of `program` at -O2 with `consts`, checked and unchecked.
    pub fn build(
        program: &Program,
        name: &str,
        consts: &[(&str, i64)],
    ) -> Result<KernelPair, CompileError> {
        let build = |checked: bool| {
            let builder = consts.iter().fold(program.kernel(name)?, |builder, &(name, value)| {
                builder.constant(name, value)
            });
            builder.checked(checked).build()
        };
        Ok(KernelPair { checked: build(true)?, unchecked: build(false)? })
    }
}
