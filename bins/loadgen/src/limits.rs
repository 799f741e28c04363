//! The open-file limit: raised at start-up, checked against the requested concurrency.

use anyhow::bail;

/// File descriptors the process needs besides its connections (stdio, the runtime's epoll and
/// wake-up descriptors, export files, the tokenizer, the embedded engine's listener).
const BASE_FILES: u64 = 64;

/// Raises the soft `RLIMIT_NOFILE` to the hard limit and returns the resulting soft limit
/// (`None`: unlimited or unknown).
#[cfg(unix)]
pub(crate) fn raise_open_files_limit() -> Option<u64> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let raised = Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        if setrlimit(Resource::Nofile, raised).is_ok() {
            return limit.maximum;
        }
    }
    limit.current
}

/// Not a Unix system: no limit known.
#[cfg(not(unix))]
pub(crate) fn raise_open_files_limit() -> Option<u64> {
    None
}

/// Refuses a number of HTTP/1.1 connections in flight that cannot fit under `limit` open files
/// (each connection is one socket, two when the embedded engine serves it in this process).
pub(crate) fn check_connections_fit(
    connections: usize,
    embedded: bool,
    limit: Option<u64>,
) -> anyhow::Result<()> {
    let Some(limit) = limit else {
        return Ok(());
    };
    let per_connection: u64 = if embedded { 2 } else { 1 };
    let needed = u64::try_from(connections)
        .unwrap_or(u64::MAX)
        .saturating_mul(per_connection)
        .saturating_add(BASE_FILES);
    if needed > limit {
        let sockets = if embedded {
            "two sockets per request in flight: the embedded engine serves them in this process"
        } else {
            "one socket per request in flight"
        };
        bail!(
            "--concurrency {connections} needs about {needed} open files ({sockets}, plus \
             {BASE_FILES}), but this process may open at most {limit} (the hard RLIMIT_NOFILE): \
             lower --concurrency, or raise the limit (e.g. `ulimit -n` as root, or LimitNOFILE= \
             in a systemd unit)"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_must_fit_under_the_limit() {
        assert!(check_connections_fit(100, false, Some(1024)).is_ok());
        assert!(check_connections_fit(1000, false, Some(1024)).is_err());
        // 480 connections served in-process need 2 * 480 + 64 = 1024 descriptors.
        assert!(check_connections_fit(480, true, Some(1024)).is_ok());
        let error = check_connections_fit(481, true, Some(1024)).unwrap_err();
        assert!(error.to_string().contains("--concurrency 481"), "{error}");
        assert!(check_connections_fit(usize::MAX, true, None).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn the_soft_limit_is_raised_to_the_hard_limit() {
        use rustix::process::{Resource, getrlimit};
        let soft = raise_open_files_limit();
        let now = getrlimit(Resource::Nofile);
        assert_eq!(soft, now.current);
        assert_eq!(now.current, now.maximum);
    }
}
