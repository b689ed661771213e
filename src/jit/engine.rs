//! The [`Engine`] (owner of the compiled-kernel cache) and the [`Program`]s it checks:
//! one source text whose kernels can be looked up and specialized.

use std::path::Path;
use std::sync::Arc;

use tessera_frontend::{CompileOptions, Diagnostic, KernelSignature};

use super::cache::{hash_source, Cache};
use super::error::CompileError;
use super::kernel::KernelBuilder;

/// Compiles programs and caches their specialized kernels. Cheap to clone (an `Arc`):
/// clones share the cache. `Send + Sync`.
#[derive(Clone, Debug, Default)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

#[derive(Debug, Default)]
struct EngineInner {
    cache: Cache,
}

/// A checked source text: its kernels' signatures, ready to specialize. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Program {
    inner: Arc<ProgramInner>,
}

#[derive(Debug)]
struct ProgramInner {
    engine: Engine,
    /// The name diagnostics show for the source (`<string>` or the file's path).
    file_name: String,
    source: Arc<str>,
    source_hash: u64,
    kernels: Vec<KernelSignature>,
}

impl Engine {
    /// An engine with an empty cache.
    pub fn new() -> Engine {
        Engine::default()
    }

    /// Parses and checks `source` (every kernel with its default const values; consts
    /// without one are checked as unknown). Errors are
    /// [`CompileError::Diagnostics`], rendered against the name `<string>`.
    pub fn compile_str(&self, source: &str) -> Result<Program, CompileError> {
        self.compile_named(source, "<string>")
    }

    /// Reads `path` and compiles it as [`Engine::compile_str`] does; diagnostics name
    /// the path.
    pub fn compile_file(&self, path: impl AsRef<Path>) -> Result<Program, CompileError> {
        let path = path.as_ref();
        let source = std::fs::read_to_string(path)
            .map_err(|e| CompileError::Io { path: path.to_path_buf(), source: Arc::new(e) })?;
        self.compile_named(&source, &path.display().to_string())
    }

    /// `(hits, misses)` of the kernel cache: builds served from it, and compilations.
    pub fn cache_stats(&self) -> (u64, u64) {
        self.inner.cache.stats()
    }

    /// Empties the kernel cache; kernels already built stay valid.
    pub fn clear_cache(&self) {
        self.inner.cache.clear();
    }

    pub(crate) fn cache(&self) -> &Cache {
        &self.inner.cache
    }

    fn compile_named(&self, source: &str, file_name: &str) -> Result<Program, CompileError> {
        let render = |diagnostics: Vec<Diagnostic>| CompileError::Diagnostics {
            rendered: tessera_frontend::render(&diagnostics, file_name, source, false),
            diagnostics,
        };
        let kernels = tessera_frontend::kernel_signatures(source).map_err(render)?;
        let diagnostics = tessera_frontend::check(source, &CompileOptions::default());
        if !diagnostics.is_empty() {
            return Err(render(diagnostics));
        }
        let inner = ProgramInner {
            engine: self.clone(),
            file_name: file_name.to_string(),
            source: source.into(),
            source_hash: hash_source(source),
            kernels,
        };
        Ok(Program { inner: Arc::new(inner) })
    }
}

impl Program {
    /// The kernels' signatures, in source order.
    pub fn kernels(&self) -> &[KernelSignature] {
        &self.inner.kernels
    }

    /// The kernels' names, in source order.
    pub fn kernel_names(&self) -> Vec<&str> {
        self.inner.kernels.iter().map(|k| k.name.as_str()).collect()
    }

    /// Starts specializing kernel `name`.
    pub fn kernel(&self, name: &str) -> Result<KernelBuilder, CompileError> {
        let Some(signature) = self.inner.kernels.iter().find(|k| k.name == name) else {
            return Err(CompileError::UnknownKernel {
                name: name.to_string(),
                available: self.kernel_names().iter().map(|n| n.to_string()).collect(),
            });
        };
        Ok(KernelBuilder::new(self.clone(), signature.clone()))
    }

    /// The source text.
    pub fn source(&self) -> &str {
        &self.inner.source
    }

    /// The engine this program compiles through.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    pub(crate) fn source_arc(&self) -> Arc<str> {
        Arc::clone(&self.inner.source)
    }

    pub(crate) fn source_hash(&self) -> u64 {
        self.inner.source_hash
    }

    /// A specialization's diagnostics as an error, rendered against this program's name.
    pub(crate) fn diagnostics_error(&self, diagnostics: Vec<Diagnostic>) -> CompileError {
        let inner = &self.inner;
        CompileError::Diagnostics {
            rendered: tessera_frontend::render(
                &diagnostics,
                &inner.file_name,
                &inner.source,
                false,
            ),
            diagnostics,
        }
    }
}
