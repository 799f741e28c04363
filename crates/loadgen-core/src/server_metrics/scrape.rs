//! One HTTP GET of a Prometheus endpoint.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;

/// `base` (`host:port`, `http://host:port[/prefix]`) with `/metrics` appended, `http://`
/// assumed when no scheme is given.
pub fn metrics_url(base: &str) -> String {
    let base = base.trim_end_matches('/');
    if base.contains("://") {
        format!("{base}/metrics")
    } else {
        format!("http://{base}/metrics")
    }
}

/// Fetches `url` (plain `http://`), giving up after `timeout`.
pub(crate) async fn fetch(url: &str, timeout: Duration) -> Result<String, String> {
    tokio::time::timeout(timeout, fetch_inner(url))
        .await
        .map_err(|_| format!("GET {url}: no response within {timeout:?}"))?
}

async fn fetch_inner(url: &str) -> Result<String, String> {
    let uri: http::Uri = url.parse().map_err(|e| format!("invalid URL {url}: {e}"))?;
    if uri.scheme_str() != Some("http") {
        return Err(format!("{url}: only http:// is supported"));
    }
    let host = uri.host().ok_or_else(|| format!("{url}: no host"))?;
    let port = uri.port_u16().unwrap_or(80);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let tcp = tokio::net::TcpStream::connect((host, port))
        .await
        .map_err(|e| format!("GET {url}: connect: {e}"))?;
    let (mut sender, conn) = http1::handshake(TokioIo::new(tcp))
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    let driver = tokio::spawn(conn);
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let request = http::Request::get(path)
        .header(http::header::HOST, format!("{host}:{port}"))
        .header(http::header::ACCEPT, "text/plain")
        .body(Empty::<Bytes>::new())
        .map_err(|e| format!("GET {url}: {e}"))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("GET {url}: reading the body: {e}"))?
        .to_bytes();
    driver.abort();
    if !status.is_success() {
        return Err(format!("GET {url}: HTTP {}", status.as_u16()));
    }
    String::from_utf8(body.to_vec()).map_err(|_| format!("GET {url}: the body is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_url_appends_the_path_and_scheme() {
        assert_eq!(
            metrics_url("localhost:8000"),
            "http://localhost:8000/metrics"
        );
        assert_eq!(
            metrics_url("http://127.0.0.1:9/"),
            "http://127.0.0.1:9/metrics"
        );
    }
}
