//! Integration tests of the `datagen` binary and of the library paths it drives, on the real
//! Mooncake FAST'25 conversation trace and on small hand-written traces.

mod analyze_real_trace;
mod cli;
mod safety;
mod synthesize_real_trace;
mod trace;
