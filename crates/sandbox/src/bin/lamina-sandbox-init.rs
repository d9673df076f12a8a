//! The sandbox helper on its own: what `lamina sandbox-init` does, for this crate's tests and benchmark.

fn main() {
    lamina_sandbox::init::run_from_args(std::env::args_os().skip(1))
}
