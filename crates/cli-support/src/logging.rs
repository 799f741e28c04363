//! `tracing` set-up shared by every binary: log lines on stderr, level from `--log-level`, or
//! from the tool's default raised by each `-v`.

use clap::ValueEnum;
use tracing::level_filters::LevelFilter;

/// `--log-level` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogLevel {
    /// Errors only.
    Error,
    /// Warnings and errors.
    Warn,
    /// Progress notes.
    Info,
    /// Details for debugging.
    Debug,
    /// Everything.
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
    /// Log level on stderr [default: the tool's, raised one step by each -v].
    #[arg(long, value_enum, global = true)]
    pub log_level: Option<LogLevel>,
    /// More log detail (-v debug, -vv trace, counted from the tool's default).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
}

impl LogArgs {
    /// The level in force: `--log-level` if given, else `default` raised by each `-v`.
    pub fn level(&self, default: LogLevel) -> LevelFilter {
        if let Some(level) = self.log_level {
            return level.into();
        }
        let order = [
            LogLevel::Error,
            LogLevel::Warn,
            LogLevel::Info,
            LogLevel::Debug,
            LogLevel::Trace,
        ];
        let at = order.iter().position(|l| *l == default).unwrap_or(2);
        order[(at + usize::from(self.verbose)).min(order.len() - 1)].into()
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
    use super::*;

    #[test]
    fn explicit_level_wins_and_verbose_counts_up() {
        let args = |log_level, verbose| LogArgs { log_level, verbose };
        assert_eq!(args(None, 0).level(LogLevel::Info), LevelFilter::INFO);
        assert_eq!(args(None, 1).level(LogLevel::Info), LevelFilter::DEBUG);
        assert_eq!(args(None, 5).level(LogLevel::Warn), LevelFilter::TRACE);
        assert_eq!(
            args(Some(LogLevel::Error), 3).level(LogLevel::Info),
            LevelFilter::ERROR
        );
    }
}
