//! The exit status of a trace-formats error.

use servebench_cli_support::exit::{self, Failure};
use servebench_trace_formats::Error;

/// Bad options and malformed input records are the user's to fix ([`exit::USAGE`]); a failed
/// write of the output is [`exit::OUTPUT_FAILED`]; a failed read is [`exit::FAILED`].
pub(crate) fn of_trace_error(error: Error) -> anyhow::Error {
    let status = match &error {
        Error::InvalidOption { .. } | Error::Record(_) => exit::USAGE,
        Error::Write { .. } => exit::OUTPUT_FAILED,
        _ => exit::FAILED,
    };
    Failure::new(status, error).into()
}
