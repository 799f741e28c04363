//! Criterion micro-benchmarks of servebench's hot paths (`cargo bench -p servebench-benches`).
//! The benchmarks are the files in `benches/benches/`; this library is empty. `src/bin/client_cpu.rs`
//! is an end-to-end harness for client CPU per streamed token
//! (`cargo run --release -p servebench-benches --bin client_cpu -- [args]`, listed in its source
//! header).
