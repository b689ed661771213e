//! The `tessera` command-line compiler: check kernels, dump pipeline stages, run kernels
//! on the interpreter, the CPU or the PE-grid simulator, build `.peo` programs, explain
//! error codes.

mod cli;

fn main() -> std::process::ExitCode {
    // Output piped into `head` and the like: end quietly when the reader goes away, as
    // Unix tools do, instead of panicking on a failed print.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    cli::main()
}
