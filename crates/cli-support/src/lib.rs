//! One start-up for every servebench binary (internal, not published): the exit-code table
//! ([`exit`]), output files that never destroy an input nor leave a partial file under the
//! final name ([`output`]), the interrupt waiter ([`signals`]), progress bars ([`progress`]) and
//! the `tracing` set-up with `--log-level` / `-v` ([`logging`]), and library setting names shown
//! as flags ([`flags`]).
//!
//! A binary's `main` is then start-up and exit code only:
//!
//! ```no_run
//! use std::process::ExitCode;
//!
//! fn run() -> anyhow::Result<()> {
//!     Ok(())
//! }
//!
//! fn main() -> ExitCode {
//!     servebench_cli_support::exit::report("my-tool", run())
//! }
//! ```

pub mod exit;
pub mod flags;
pub mod logging;
pub mod output;
pub mod progress;
pub mod signals;
