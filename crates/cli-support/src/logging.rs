//! `tracing` set-up shared by every binary: log lines on stderr, level from `--log-level` (AIPerf's
//! spellings accepted, e.g. `WARNING`, `CRITICAL`) and `-v` (debug) / `-vv` (trace) as AIPerf's:
//! the more verbose of the two wins; with neither, the tool's default.

use clap::ValueEnum;
use tracing::level_filters::LevelFilter;

/// `--log-level` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogLevel {
    /// Errors only.
    #[value(alias = "ERROR", alias = "critical", alias = "CRITICAL")]
    Error,
    /// Warnings and errors.
    #[value(alias = "WARN", alias = "warning", alias = "WARNING")]
    Warn,
    /// Progress notes.
    #[value(alias = "INFO")]
    Info,
    /// Details for debugging.
    #[value(alias = "DEBUG")]
    Debug,
    /// Everything.
    #[value(alias = "TRACE")]
    Trace,
}

impl From<LogLevel> for LevelFilter {
    fn from(level: LogLevel) -> Self {
        match level {
            LogLevel::Error => LevelFilter::ERROR,
            LogLevel::Warn => LevelFilter::WARN,
            LogLevel::Info => LevelFilter::INFO,
            LogLevel::Debug => LevelFilter::DEBUG,
            LogLevel::Trace => LevelFilter::TRACE,
        }
    }
}

/// The logging flags; flatten into a binary's arguments with `#[command(flatten)]`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct LogArgs {
    /// Log level on stderr [default: the tool's; -v/-vv win when more verbose].
    #[arg(long, value_enum, global = true)]
    pub log_level: Option<LogLevel>,
    /// More log detail: -v debug, -vv trace (as AIPerf; the more verbose of this and
    /// --log-level wins).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
}

impl LogArgs {
    /// The level in force: the more verbose of `--log-level` and `-v` (debug) / `-vv` (trace);
    /// `default` when neither is given.
    pub fn level(&self, default: LogLevel) -> LevelFilter {
        let from_v = match self.verbose {
            0 => None,
            1 => Some(LevelFilter::DEBUG),
            _ => Some(LevelFilter::TRACE),
        };
        let from_flag = self.log_level.map(LevelFilter::from);
        match (from_flag, from_v) {
            (None, None) => default.into(),
            (Some(level), None) | (None, Some(level)) => level,
            // LevelFilter orders more verbose as greater.
            (Some(a), Some(b)) => a.max(b),
        }
    }
}

/// Installs the stderr subscriber (no-op if one is already set, e.g. in tests).
pub fn init(args: &LogArgs, default: LogLevel) {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .with_max_level(args.level(default))
        .try_init();
}

/// As [`init`], with a UTC timestamp on each line (for servers, whose logs outlive a run).
pub fn init_timestamped(args: &LogArgs, default: LogLevel) {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .with_max_level(args.level(default))
        .try_init();
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        log: LogArgs,
    }

    #[test]
    fn aiperf_spellings_of_the_levels_parse() {
        for (given, level) in [
            ("WARNING", LogLevel::Warn),
            ("warning", LogLevel::Warn),
            ("CRITICAL", LogLevel::Error),
            ("DEBUG", LogLevel::Debug),
            ("info", LogLevel::Info),
        ] {
            let cli = Cli::try_parse_from(["tool", "--log-level", given]).unwrap();
            assert_eq!(cli.log.log_level, Some(level), "{given}");
        }
    }

    #[test]
    fn explicit_level_wins_and_verbose_counts_up() {
        let args = |log_level, verbose| LogArgs { log_level, verbose };
        assert_eq!(args(None, 0).level(LogLevel::Info), LevelFilter::INFO);
        assert_eq!(args(None, 0).level(LogLevel::Warn), LevelFilter::WARN);
        // -v is debug and -vv trace whatever the default (AIPerf's meaning).
        assert_eq!(args(None, 1).level(LogLevel::Warn), LevelFilter::DEBUG);
        assert_eq!(args(None, 5).level(LogLevel::Warn), LevelFilter::TRACE);
        // The more verbose of the two wins.
        assert_eq!(
            args(Some(LogLevel::Error), 2).level(LogLevel::Info),
            LevelFilter::TRACE
        );
        assert_eq!(
            args(Some(LogLevel::Trace), 1).level(LogLevel::Info),
            LevelFilter::TRACE
        );
        assert_eq!(
            args(Some(LogLevel::Error), 0).level(LogLevel::Info),
            LevelFilter::ERROR
        );
    }
}
