//! The `tessera` command-line compiler: check kernels, dump pipeline stages, run kernels
//! on the reference interpreter, explain error codes.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
