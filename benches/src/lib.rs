//! Criterion micro-benchmarks of servebench's hot paths (`cargo bench -p servebench-benches`).
//! The benchmarks are the files in `benches/benches/`; this library is empty.
