//! Secrets out of results: API keys and credential headers are replaced by [`REDACTED`] in
//! every echo of the command line, export, log line and error message; header names are kept.
//!
//! ```
//! use servebench_loadgen_core::redact::{redact_command_line, redact_header_item};
//!
//! let cli = ["loadgen", "--api-key", "sk-1", "-H", "X-Token: t0k", "-H", "X-Trace: 7"];
//! assert_eq!(
//!     redact_command_line(cli.iter().map(|s| s.to_string())).join(" "),
//!     "loadgen --api-key <redacted> -H X-Token: <redacted> -H X-Trace: 7"
//! );
//! assert_eq!(redact_header_item("Authorization:Bearer x"), "Authorization:<redacted>");
//! ```

/// What a secret value is replaced with.
pub const REDACTED: &str = "<redacted>";

/// True for headers that carry credentials: `Authorization`, `Cookie`, `Proxy-Authorization`,
/// and any header whose name contains `key`, `token` or `secret` (case-insensitive).
pub fn is_secret_header(name: &str) -> bool {
    let name = name.trim().to_ascii_lowercase();
    matches!(
        name.as_str(),
        "authorization" | "cookie" | "proxy-authorization"
    ) || ["key", "token", "secret"]
        .iter()
        .any(|word| name.contains(word))
}

/// A `Name: value` header item with the value redacted when the header is a secret one (the
/// spacing after the colon is kept). An item without a colon is redacted whole: its name is
/// unknown, so it may be anything.
pub fn redact_header_item(item: &str) -> String {
    match item.split_once(':') {
        Some((name, value)) if is_secret_header(name) => {
            let space = &value[..value.len() - value.trim_start().len()];
            format!("{name}:{space}{REDACTED}")
        }
        Some(_) => item.to_owned(),
        None => REDACTED.to_owned(),
    }
}

/// A command line (program name first) with the value of `--api-key` and of secret headers
/// (`-H` / `--header`, separate or attached) redacted.
pub fn redact_command_line(args: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut next_is: Option<fn(&str) -> String> = None;
    for arg in args {
        if let Some(redact) = next_is.take() {
            out.push(redact(&arg));
            continue;
        }
        let redacted = match arg.as_str() {
            "--api-key" => {
                next_is = Some(|_| REDACTED.to_owned());
                arg
            }
            "-H" | "--header" => {
                next_is = Some(redact_header_item);
                arg
            }
            a if a.starts_with("--api-key=") => format!("--api-key={REDACTED}"),
            a if a.starts_with("--header=") => {
                format!("--header={}", redact_header_item(&a["--header=".len()..]))
            }
            a if a.starts_with("-H") => format!("-H{}", redact_header_item(&a[2..])),
            _ => arg,
        };
        out.push(redacted);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redact(args: &[&str]) -> String {
        redact_command_line(args.iter().map(|s| (*s).to_owned())).join(" ")
    }

    #[test]
    fn secret_header_names() {
        for name in [
            "Authorization",
            "cookie",
            "Proxy-Authorization",
            "X-Api-Key",
            "x-auth-token",
            "Client-Secret",
            " APIKEY ",
        ] {
            assert!(is_secret_header(name), "{name}");
        }
        for name in ["X-Trace", "Accept", "User-Agent", "X-Request-Id"] {
            assert!(!is_secret_header(name), "{name}");
        }
    }

    #[test]
    fn every_spelling_of_the_flags_is_redacted() {
        assert_eq!(
            redact(&[
                "loadgen",
                "--api-key=s1",
                "--header=Cookie: s2",
                "-HX-Key:s3",
                "--url",
                "u"
            ]),
            "loadgen --api-key=<redacted> --header=Cookie: <redacted> -HX-Key:<redacted> --url u"
        );
        assert_eq!(
            redact(&[
                "loadgen",
                "--header",
                "Authorization: Bearer s4",
                "-H",
                "no-colon-s5"
            ]),
            "loadgen --header Authorization: <redacted> -H <redacted>"
        );
    }
}
