//! The exit status of a trace-formats error, with setting names shown as this tool's flags.

use servebench_cli_support::exit::{self, Failure};
use servebench_cli_support::flags::{flag, settings_to_flags};
use servebench_trace_formats::Error;

/// Bad options and malformed input records are the user's to fix ([`exit::USAGE`]); a failed
/// write of the output is [`exit::OUTPUT_FAILED`]; a failed read is [`exit::FAILED`]. An option
/// error names the flag (every conversion setting has a flag of the same name).
pub(crate) fn of_trace_error(error: Error) -> anyhow::Error {
    match error {
        Error::InvalidOption { name, message } => Failure::new(
            exit::USAGE,
            anyhow::anyhow!("invalid {}: {}", flag(name), settings_to_flags(&message)),
        )
        .into(),
        Error::Record(_) => Failure::new(exit::USAGE, error).into(),
        Error::Write { .. } => Failure::new(exit::OUTPUT_FAILED, error).into(),
        _ => Failure::new(exit::FAILED, error).into(),
    }
}
