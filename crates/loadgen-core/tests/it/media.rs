//! Images end to end: synthetic data-URI images and media-server URLs reach the simulated engine
//! (which counts image tokens), `inputs.json` shows the bodies sent, and the media server serves
//! decodable images of the requested size.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use servebench_loadgen_core::media::{
    ImageConfig, ImageFormat, ImageFormatChoice, MediaServer, attach_images,
};
use servebench_loadgen_core::profile::{ProfileConfig, profile};
use servebench_loadgen_core::{CancelHandle, DatasetEntry, LoadMode};
use servebench_mocker::{EngineConfig, PoolConfig, RunningServer, ServerConfig, spawn_simulated};
use servebench_tokenize::{BuiltinTokenizer, Tokenizer};
use tokio::net::TcpStream;

use crate::support::{config, run_with};

async fn simulated_engine() -> RunningServer {
    spawn_simulated(
        &PoolConfig {
            engine: EngineConfig {
                speedup_ratio: 0.0,
                ..EngineConfig::default()
            },
            ..PoolConfig::default()
        },
        ServerConfig {
            port: 0,
            ..ServerConfig::default()
        },
    )
    .await
    .unwrap()
}

/// Three entries: two with two synthetic 32×24 PNGs each, one image-only entry with two
/// media-server URLs (the same URL twice, as Dynamo's image benchmark repeats its image).
fn image_dataset(tok: &dyn Tokenizer, media: &MediaServer) -> Vec<DatasetEntry> {
    let mut entries: Vec<DatasetEntry> = ["Describe this image.", "What is shown here?"]
        .into_iter()
        .map(|prompt| DatasetEntry {
            prompt: prompt.into(),
            input_tokens: tok.count_tokens(prompt) as u64,
            max_output_tokens: Some(1),
            ..DatasetEntry::default()
        })
        .collect();
    let images = ImageConfig {
        width_mean: 32.0,
        height_mean: 24.0,
        format: ImageFormatChoice::Png,
        batch_size: 2,
        ..ImageConfig::default()
    };
    attach_images(&mut entries, &images, 5).unwrap();
    let url = media.image_url(64, 48, 0, ImageFormat::Jpeg);
    entries.push(DatasetEntry {
        prompt: String::new(),
        input_tokens: 0,
        max_output_tokens: Some(1),
        images: vec![url.clone(), url],
        ..DatasetEntry::default()
    });
    entries
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulated_engine_accepts_the_images_and_counts_image_tokens() {
    let tok = BuiltinTokenizer::new();
    let media = MediaServer::start().unwrap();
    let entries = image_dataset(&tok, &media);
    let server = simulated_engine().await;
    let per_image = u64::from(ServerConfig::default().tokens_per_image);
    let (report, records) = run_with(
        config(vec![server.base_url()], 6),
        entries.clone().into(),
        LoadMode::Concurrency(1),
        CancelHandle::new(),
    )
    .await;
    assert_eq!(report.profiling.succeeded, 6, "{records:?}");
    for r in &records {
        let entry = &entries[r.session_index as usize];
        assert_eq!(entry.images.len(), 2);
        let expected = tok.count_tokens(&entry.prompt) as u64 + 2 * per_image;
        assert_eq!(
            r.usage.as_ref().unwrap().prompt_tokens,
            Some(expected),
            "entry {}",
            r.session_index
        );
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inputs_json_shows_the_image_parts_sent() {
    let tok = BuiltinTokenizer::new();
    let media = MediaServer::start().unwrap();
    let mut entries = image_dataset(&tok, &media);
    entries[0].system_prompt = Some("You describe images.".into());
    let server = simulated_engine().await;
    let run = config(vec![server.base_url()], 3);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("exports");
    let outcome = profile(
        ProfileConfig::new(
            run,
            entries.clone().into(),
            Arc::new(BuiltinTokenizer::new()),
            dir.clone(),
        ),
        LoadMode::Concurrency(1),
        CancelHandle::new(),
    )
    .await
    .unwrap();
    assert_eq!(outcome.report.profiling.succeeded, 3);
    server.shutdown().await;

    let inputs: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("inputs.json")).unwrap()).unwrap();
    let payloads: Vec<&Value> = inputs["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|session| &session["payloads"][0])
        .collect();
    assert_eq!(payloads.len(), 3);
    let image_part = |url: &String| json!({"type": "image_url", "image_url": {"url": url}});
    assert_eq!(
        payloads[0]["messages"],
        json!([
            {"role": "system", "content": "You describe images."},
            {"role": "user", "content": [
                {"type": "text", "text": "Describe this image."},
                image_part(&entries[0].images[0]),
                image_part(&entries[0].images[1]),
            ]}
        ])
    );
    assert!(
        entries[0].images[0].starts_with("data:image/png;base64,")
            && entries[0].images[0] != entries[0].images[1]
    );
    assert_eq!(
        payloads[2]["messages"],
        json!([{"role": "user", "content": [
            image_part(&entries[2].images[0]),
            image_part(&entries[2].images[1]),
        ]}])
    );
}

/// A plain HTTP/1.1 GET (or HEAD) of `url` on 127.0.0.1.
async fn fetch(method: &str, url: &str) -> (StatusCode, HeaderMap, Bytes) {
    let uri: http::Uri = url.parse().unwrap();
    let authority = uri.authority().unwrap().to_string();
    let stream = TcpStream::connect(&authority).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let request = Request::builder()
        .method(method)
        .uri(uri.path())
        .header("host", authority)
        .body(Empty::<Bytes>::new())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let (parts, body) = response.into_parts();
    (
        parts.status,
        parts.headers,
        body.collect().await.unwrap().to_bytes(),
    )
}

fn png_size(bytes: &[u8]) -> (u32, u32) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    (info.width, info.height)
}

fn jpeg_size(bytes: &[u8]) -> (u32, u32) {
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    let pixels = decoder.decode().unwrap();
    let info = decoder.info().unwrap();
    assert_eq!(pixels.len(), info.width as usize * info.height as usize * 3);
    (u32::from(info.width), u32::from(info.height))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_media_server_serves_decodable_images_at_stable_urls() {
    let media = MediaServer::start().unwrap();
    assert!(media.base_url().starts_with("http://127.0.0.1:"));

    let png_url = media.image_url(640, 424, 3, ImageFormat::Png);
    let (status, headers, first) = fetch("GET", &png_url).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["content-length"], first.len().to_string().as_str());
    assert_eq!(png_size(&first), (640, 424));
    // The same URL gives the same bytes; another number gives another image.
    assert_eq!(fetch("GET", &png_url).await.2, first);
    let other = fetch("GET", &media.image_url(640, 424, 4, ImageFormat::Png))
        .await
        .2;
    assert_ne!(other, first);
    assert_eq!(png_size(&other), (640, 424));

    for (w, h) in [(1, 1), (17, 333), (1024, 768)] {
        let (status, headers, body) =
            fetch("GET", &media.image_url(w, h, 0, ImageFormat::Jpeg)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["content-type"], "image/jpeg");
        assert_eq!(jpeg_size(&body), (w, h));
    }
    let jpeg_alias = format!("{}/img/8x9/0.jpeg", media.base_url());
    assert_eq!(jpeg_size(&fetch("GET", &jpeg_alias).await.2), (8, 9));

    let (status, headers, body) = fetch("HEAD", &png_url).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-length"], first.len().to_string().as_str());
    assert!(body.is_empty());

    for bad in ["/", "/img/0x5/1.png", "/img/5000x5/1.png", "/img/5x5/1.gif"] {
        let (status, _, _) = fetch("GET", &format!("{}{bad}", media.base_url())).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{bad}");
    }
    assert_eq!(
        fetch("POST", &png_url).await.0,
        StatusCode::METHOD_NOT_ALLOWED
    );
    // 3 PNG GETs, 3 + 1 JPEG GETs, 1 HEAD.
    assert_eq!(media.images_served(), 8);

    // Dropping the server stops it: the port no longer accepts connections.
    let addr = media.addr();
    drop(media);
    assert!(TcpStream::connect(addr).await.is_err());
}
