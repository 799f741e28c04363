//! Base URLs: parsing, validation and the request line and headers derived from them.

use http::header::{HeaderMap, HeaderValue};
use http::{Uri, header};

use crate::error::RunConfigError;
use crate::request_body::EndpointConfig;

/// One base URL, ready to send requests to.
#[derive(Debug)]
pub(crate) struct Target {
    /// The URL as configured (used in error messages).
    pub(crate) url: String,
    /// `host:port` to connect to.
    pub(crate) authority: String,
    /// Origin-form request target for HTTP/1.1 (`/v1/chat/completions`).
    pub(crate) path: Uri,
    /// Absolute request URI for HTTP/2 (`:scheme`, `:authority`, `:path`).
    pub(crate) absolute: Uri,
    /// Headers of every request (Host, content type, auth, extras).
    pub(crate) headers: HeaderMap,
}

impl Target {
    /// Parses `url` (scheme `http://` assumed when absent) and joins its path with the endpoint
    /// path.
    pub(crate) fn parse(url: &str, endpoint: &EndpointConfig) -> Result<Self, RunConfigError> {
        let invalid = |reason: String| RunConfigError::InvalidUrl {
            url: url.to_owned(),
            reason,
        };
        let with_scheme = if url.contains("://") {
            url.to_owned()
        } else {
            format!("http://{url}")
        };
        let uri: Uri = with_scheme.parse().map_err(|e| invalid(format!("{e}")))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some("https") => {
                return Err(RunConfigError::HttpsUnsupported {
                    url: url.to_owned(),
                });
            }
            other => {
                return Err(invalid(format!(
                    "unsupported scheme \"{}\" (only http:// is supported)",
                    other.unwrap_or_default()
                )));
            }
        }
        let host = uri.host().ok_or_else(|| invalid("no host".into()))?;
        let port = uri.port_u16().unwrap_or(80);
        let authority = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let endpoint_path = endpoint.request_path();
        if !endpoint_path.starts_with('/') {
            return Err(RunConfigError::InvalidPath {
                path: endpoint_path.to_owned(),
                reason: "must start with '/'".into(),
            });
        }
        let base_path = uri.path().trim_end_matches('/');
        let full_path = format!("{base_path}{endpoint_path}");
        let path: Uri = full_path.parse().map_err(|e| RunConfigError::InvalidPath {
            path: full_path.clone(),
            reason: format!("{e}"),
        })?;
        let absolute: Uri = format!("http://{authority}{full_path}")
            .parse()
            .map_err(|e| invalid(format!("{e}")))?;
        let headers = request_headers(&authority, endpoint)?;
        Ok(Self {
            url: url.to_owned(),
            authority,
            path,
            absolute,
            headers,
        })
    }
}

fn request_headers(
    authority: &str,
    endpoint: &EndpointConfig,
) -> Result<HeaderMap, RunConfigError> {
    let header_error = |name: &str, reason: String| RunConfigError::InvalidHeader {
        name: name.to_owned(),
        reason,
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        header::HOST,
        HeaderValue::from_str(authority.strip_suffix(":80").unwrap_or(authority))
            .map_err(|e| header_error("host", format!("{e}")))?,
    );
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        header::ACCEPT,
        HeaderValue::from_static(if endpoint.streams() {
            "text/event-stream"
        } else {
            "application/json"
        }),
    );
    headers.insert(
        header::USER_AGENT,
        HeaderValue::from_static(concat!("servebench/", env!("CARGO_PKG_VERSION"))),
    );
    if let Some(key) = &endpoint.api_key {
        let mut value = HeaderValue::from_str(&format!("Bearer {key}"))
            .map_err(|e| header_error("authorization", format!("{e}")))?;
        value.set_sensitive(true);
        headers.insert(header::AUTHORIZATION, value);
    }
    for (name, value) in &endpoint.extra_headers {
        headers.insert(name.clone(), value.clone());
    }
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request_body::EndpointKind;

    fn chat() -> EndpointConfig {
        EndpointConfig::new(EndpointKind::Chat, "m")
    }

    #[test]
    fn scheme_is_added_and_paths_join() {
        let t = Target::parse("localhost:8000/prefix/", &chat()).unwrap();
        assert_eq!(t.authority, "localhost:8000");
        assert_eq!(t.path, "/prefix/v1/chat/completions");
        assert_eq!(
            t.absolute,
            "http://localhost:8000/prefix/v1/chat/completions"
        );
        let t = Target::parse("http://example.test", &chat()).unwrap();
        assert_eq!(t.authority, "example.test:80");
        assert_eq!(t.headers[header::HOST], "example.test");
    }

    #[test]
    fn https_and_other_schemes_are_refused() {
        assert!(matches!(
            Target::parse("https://api.example.test", &chat()),
            Err(RunConfigError::HttpsUnsupported { .. })
        ));
        let ftp = Target::parse("ftp://x", &chat()).unwrap_err();
        assert!(matches!(ftp, RunConfigError::InvalidUrl { .. }));
        let message = ftp.to_string();
        assert!(
            message.contains("unsupported scheme \"ftp\"") && !message.contains("Some("),
            "{message}"
        );
    }

    #[test]
    fn auth_and_extra_headers() {
        let mut e = chat();
        e.api_key = Some("sk-1".into());
        e.extra_headers = vec![crate::parse_header("X-Test:  yes ").unwrap()];
        let t = Target::parse("http://127.0.0.1:1", &e).unwrap();
        assert_eq!(t.headers[header::AUTHORIZATION], "Bearer sk-1");
        assert_eq!(t.headers["x-test"], "yes");
        assert!(!format!("{e:?}").contains("sk-1"), "{e:?}");
    }
}
