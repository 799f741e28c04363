//! The exit statuses of every servebench binary, and the one place that turns a run's result into
//! one.
//!
//! | status | constant | meaning |
//! |---:|---|---|
//! | 0 | [`SUCCESS`] | the run finished and everything was written |
//! | 1 | [`FAILED`] | the run failed: every request failed (loadgen), or the input could not be processed (a malformed record, an unreadable file) |
//! | 2 | [`USAGE`] | bad flags or values, an output that is the same file as an input, or the tool could not start |
//! | 3 | [`CLIENT_SATURATED`] | the client itself was saturated, so its latencies are not trustworthy |
//! | 4 | [`ERROR_RATE`] | the error rate was above `--max-error-rate` (after every export was written) |
//! | 5 | [`OUTPUT_FAILED`] | writing an output or export failed after the run |
//! | 130 | [`INTERRUPTED`] | interrupted (Ctrl-C / SIGTERM) before the run could finish |
//!
//! An error carries its status as a [`Failure`] anywhere in its `anyhow` chain (attach one with
//! [`Failure::new`] or the [`WithStatus`] extension); an error with none exits [`FAILED`].

use std::fmt;
use std::process::ExitCode;

/// The run finished and everything was written.
pub const SUCCESS: u8 = 0;
/// The run failed: every request failed, or the input could not be processed.
pub const FAILED: u8 = 1;
/// Bad flags or values, an output that is an input, or the tool could not start.
pub const USAGE: u8 = 2;
/// The client was saturated.
pub const CLIENT_SATURATED: u8 = 3;
/// The error rate was above `--max-error-rate`.
pub const ERROR_RATE: u8 = 4;
/// Writing an output or export failed after the run.
pub const OUTPUT_FAILED: u8 = 5;
/// Interrupted by Ctrl-C or SIGTERM.
pub const INTERRUPTED: u8 = 130;

/// An error with the exit status it should end the process with. Displays as the wrapped error
/// and hands on its sources, so attaching a status changes no message (also under `{:#}`).
pub struct Failure {
    status: u8,
    error: anyhow::Error,
}

impl Failure {
    /// `error`, ending the process with `status` (one of this module's constants).
    pub fn new(status: u8, error: impl Into<anyhow::Error>) -> Self {
        Self {
            status,
            error: error.into(),
        }
    }

    /// The exit status.
    pub fn status(&self) -> u8 {
        self.status
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.error, f)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only the outermost message: the causes follow through `source`.
        write!(f, "{}", self.error)
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}

/// Attaches an exit status to the error of a `Result`.
pub trait WithStatus<T> {
    /// Maps an error to a [`Failure`] with `status`.
    fn status(self, status: u8) -> anyhow::Result<T>;
}

impl<T, E: Into<anyhow::Error>> WithStatus<T> for Result<T, E> {
    fn status(self, status: u8) -> anyhow::Result<T> {
        self.map_err(|e| Failure::new(status, e).into())
    }
}

/// The exit status of `error`: the first [`Failure`] in its chain, else [`FAILED`].
pub fn status_of(error: &anyhow::Error) -> u8 {
    status_or(error, FAILED)
}

/// The exit status of `error`: the first [`Failure`] in its chain, else `default` (for a tool
/// whose unlabelled errors are usage errors, e.g. loadgen's, which happen before the run).
pub fn status_or(error: &anyhow::Error, default: u8) -> u8 {
    error
        .chain()
        .find_map(|cause| cause.downcast_ref::<Failure>())
        .map_or(default, Failure::status)
}

/// Ends a run: prints `tool: error: {error:#}` on stderr for an error and returns its status.
/// A closed stdout (`tool | head`) is not a failure.
pub fn report(tool: &str, result: anyhow::Result<()>) -> ExitCode {
    report_or(tool, result, FAILED)
}

/// As [`report`], with `default` as the status of an error that carries no [`Failure`].
pub fn report_or(tool: &str, result: anyhow::Result<()>, default: u8) -> ExitCode {
    match result {
        Ok(()) => ExitCode::from(SUCCESS),
        Err(e) if is_broken_pipe(&e) => ExitCode::from(SUCCESS),
        Err(e) => {
            eprintln!("{tool}: error: {e:#}");
            ExitCode::from(status_or(&e, default))
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use anyhow::{Context, anyhow};

    use super::*;

    #[test]
    fn status_is_found_through_context_and_defaults_to_failed() {
        let plain = anyhow!("boom");
        assert_eq!(status_of(&plain), FAILED);
        let usage: anyhow::Result<()> = Err(anyhow!("bad flag")).status(USAGE);
        let wrapped = usage.context("while starting").unwrap_err();
        assert_eq!(status_of(&wrapped), USAGE);
        // The status adds nothing to the message.
        assert_eq!(format!("{wrapped:#}"), "while starting: bad flag");
        assert_eq!(status_or(&anyhow!("unlabelled"), USAGE), USAGE);
        assert_eq!(status_or(&wrapped, INTERRUPTED), USAGE);
    }

    #[test]
    fn alternate_display_keeps_the_inner_chain() {
        let inner = anyhow!("root cause").context("outer");
        let failure = Failure::new(OUTPUT_FAILED, inner);
        assert_eq!(failure.status(), OUTPUT_FAILED);
        assert_eq!(format!("{failure}"), "outer");
        let error = anyhow::Error::from(failure).context("top");
        assert_eq!(format!("{error:#}"), "top: outer: root cause");
        assert_eq!(status_of(&error), OUTPUT_FAILED);
    }

    #[test]
    fn broken_pipe_counts_as_success() {
        let e = anyhow::Error::from(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert!(is_broken_pipe(&e));
        assert!(!is_broken_pipe(&anyhow!("x")));
    }
}
