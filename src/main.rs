//! The annexa binary: parse arguments, run, map the outcome to an exit code.
//! Exit codes: 0 clean, 1 failing findings at or above the gate, 2 usage/config/input error,
//! 3 the scan is incomplete (collection errors) and nothing else failed it.

mod cli;

// Evaluation allocates many small CEL values on every rayon worker; glibc's allocator let two
// workers reach only 1.25x one. mimalloc's per-thread heaps scale (see README, benchmarks).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let code = cli::main();
    std::process::exit(code);
}
