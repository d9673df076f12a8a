//! The sandbox helper for this crate's tests: what `lamina sandbox-init` does, so that environments can
//! be sandboxed without the `lamina` binary.

fn main() {
    lamina_sandbox::init::run_from_args(std::env::args_os().skip(1))
}
