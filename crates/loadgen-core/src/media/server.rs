//! A local HTTP server of generated images at stable URLs.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::media::MediaError;
use crate::media::image::{ImageFormat, encode, render_pattern};
use crate::prompts::seeded_rng;

/// Largest width or height the server generates (a bigger request gets 404).
const MAX_SERVED_SIDE: u32 = 4096;
/// Encoded images kept in memory; the cache is emptied when it would grow past this.
const CACHE_ENTRIES: usize = 256;

/// Key of a served image: width, height, number, format.
type ImageKey = (u32, u32, u64, ImageFormat);

/// What the request handlers share.
#[derive(Default)]
struct Shared {
    cache: Mutex<HashMap<ImageKey, Bytes>>,
    served: AtomicU64,
}

/// A local HTTP/1.1 server of generated PNG and JPEG images, on an ephemeral port of 127.0.0.1.
///
/// `GET /img/<width>x<height>/<n>.png` (or `.jpg` / `.jpeg`) returns a `width` × `height` image,
/// the same bytes every time for the same URL (its pixels depend only on the width, height and
/// `n`, so `n.png` and `n.jpg` show the same picture). Sides go up to 4096 pixels; any other path
/// gets 404. Use [`MediaServer::image_url`] to build the URLs a dataset references, as Dynamo's
/// image benchmark does with its local media server.
///
/// The server runs on its own thread and runtime (so serving never delays a benchmark's client)
/// and stops when the value is dropped.
///
/// ```
/// use servebench_loadgen_core::media::{ImageFormat, MediaServer};
///
/// let server = MediaServer::start().unwrap();
/// let url = server.image_url(640, 424, 0, ImageFormat::Jpeg);
/// assert_eq!(url, format!("{}/img/640x424/0.jpg", server.base_url()));
/// ```
pub struct MediaServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for MediaServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl MediaServer {
    /// Binds 127.0.0.1 on an ephemeral port and starts serving.
    ///
    /// # Errors
    /// [`MediaError::Server`] if the socket, the runtime or the thread cannot be made.
    pub fn start() -> Result<Self, MediaError> {
        let server_error = |what| move |source| MediaError::Server { what, source };
        let std_listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .map_err(server_error("could not bind 127.0.0.1"))?;
        std_listener
            .set_nonblocking(true)
            .map_err(server_error("could not make the socket non-blocking"))?;
        let addr = std_listener
            .local_addr()
            .map_err(server_error("could not read the bound address"))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(server_error("could not build its runtime"))?;
        let shared = Arc::new(Shared::default());
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let thread_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("servebench-media-server".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = TcpListener::from_std(std_listener) else {
                        return;
                    };
                    tokio::select! {
                        () = accept_loop(listener, thread_shared) => {}
                        _ = stop_rx => {}
                    }
                });
                // Dropping the runtime here ends every connection task.
            })
            .map_err(server_error("could not start its thread"))?;
        Ok(Self {
            addr,
            shared,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// The address the server listens on (127.0.0.1 and an ephemeral port).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The URL of image `n` of `width` × `height` pixels in `format`:
    /// `http://127.0.0.1:<port>/img/<width>x<height>/<n>.<png|jpg>`.
    pub fn image_url(&self, width: u32, height: u32, n: u64, format: ImageFormat) -> String {
        format!(
            "{}/img/{width}x{height}/{n}.{}",
            self.base_url(),
            format.extension()
        )
    }

    /// Images served so far (successful `GET`s and `HEAD`s).
    pub fn images_served(&self) -> u64 {
        self.shared.served.load(Ordering::Relaxed)
    }
}

impl Drop for MediaServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors or similar: back off instead of spinning.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let shared = Arc::clone(&shared);
                async move { Ok::<_, Infallible>(respond(&shared, &req)) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// `(width, height, n, format)` of `/img/<w>x<h>/<n>.<ext>`, or `None` for any other path.
fn parse_path(path: &str) -> Option<ImageKey> {
    let rest = path.strip_prefix("/img/")?;
    let (size, file) = rest.split_once('/')?;
    let (w, h) = size.split_once('x')?;
    let (n, ext) = file.split_once('.')?;
    let width: u32 = w.parse().ok()?;
    let height: u32 = h.parse().ok()?;
    let n: u64 = n.parse().ok()?;
    let format = ImageFormat::from_extension(ext)?;
    let side_ok = |s| (1..=MAX_SERVED_SIDE).contains(&s);
    (side_ok(width) && side_ok(height)).then_some((width, height, n, format))
}

fn respond(shared: &Shared, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    let plain = |status: StatusCode, text: &'static str| {
        let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
        *response.status_mut() = status;
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("text/plain"),
        );
        response
    };
    let head = req.method() == Method::HEAD;
    if req.method() != Method::GET && !head {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n");
    }
    let Some(key) = parse_path(req.uri().path()) else {
        return plain(
            StatusCode::NOT_FOUND,
            "not found: images are at /img/<width>x<height>/<n>.png|jpg (sides 1..=4096)\n",
        );
    };
    let Some(bytes) = image_bytes(shared, key) else {
        return plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "could not encode the image\n",
        );
    };
    shared.served.fetch_add(1, Ordering::Relaxed);
    let length = bytes.len();
    let mut response = Response::new(Full::new(if head { Bytes::new() } else { bytes }));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(key.3.mime()),
    );
    headers.insert(header::CONTENT_LENGTH, header::HeaderValue::from(length));
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("public, max-age=86400, immutable"),
    );
    response
}

/// The encoded image of `key`, from the cache or generated (deterministically from the key).
fn image_bytes(shared: &Shared, key: ImageKey) -> Option<Bytes> {
    let cached = shared
        .cache
        .lock()
        .ok()
        .and_then(|cache| cache.get(&key).cloned());
    if let Some(bytes) = cached {
        return Some(bytes);
    }
    let (width, height, n, format) = key;
    let mut rng = seeded_rng(n, &format!("media-server/{width}x{height}"));
    let pixels = render_pattern(width, height, &mut rng);
    let bytes = Bytes::from(encode(&pixels, width, height, format).ok()?);
    if let Ok(mut cache) = shared.cache.lock() {
        if cache.len() >= CACHE_ENTRIES {
            cache.clear();
        }
        cache.insert(key, bytes.clone());
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_parse_to_sizes_numbers_and_formats() {
        assert_eq!(
            parse_path("/img/640x424/3.png"),
            Some((640, 424, 3, ImageFormat::Png))
        );
        assert_eq!(
            parse_path("/img/1x4096/0.JPEG"),
            Some((1, 4096, 0, ImageFormat::Jpeg))
        );
        assert_eq!(
            parse_path("/img/8x8/12.jpg"),
            Some((8, 8, 12, ImageFormat::Jpeg))
        );
        for bad in [
            "/",
            "/img/8x8/1",
            "/img/8x8/1.gif",
            "/img/0x8/1.png",
            "/img/8x4097/1.png",
            "/img/8by8/1.png",
            "/img/8x8/-1.png",
            "/img/8x8/a.png",
            "/other/8x8/1.png",
        ] {
            assert_eq!(parse_path(bad), None, "{bad}");
        }
    }
}
