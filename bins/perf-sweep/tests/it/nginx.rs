//! A real nginx (`/usr/sbin/nginx`, deploy/nginx.conf with its ports templated) in front of two
//! simulated engines on loopback ports, and a short perf-sweep through it: both engines must
//! receive requests, and together every one of them.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use servebench_mocker::{EmbeddedServer, TokenizerSpec};

use crate::support::{finished_requests, run_in, shown};

const NGINX: &str = "/usr/sbin/nginx";

/// deploy/nginx.conf with the listen port and upstream servers replaced, and temp paths and the
/// access log inside `prefix` (so nginx needs no root and touches nothing outside the tempdir).
fn templated_config(listen: u16, upstreams: &[u16], prefix: &Path) -> String {
    let shipped = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/nginx.conf"),
    )
    .unwrap();
    let mut out = String::new();
    let mut upstreams_written = false;
    for line in shipped.lines() {
        if line.contains("# TEMPLATE upstream") {
            if !upstreams_written {
                for port in upstreams {
                    out.push_str(&format!(
                        "        server 127.0.0.1:{port} max_fails=3 fail_timeout=10000s;\n"
                    ));
                }
                upstreams_written = true;
            }
        } else if line.contains("# TEMPLATE listen") {
            out.push_str(&format!("        listen 127.0.0.1:{listen};\n"));
        } else if line.trim() == "http {" {
            out.push_str(line);
            out.push('\n');
            let p = prefix.display();
            for dir in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"] {
                out.push_str(&format!("    {dir}_temp_path {p}/tmp/{dir};\n"));
            }
            out.push_str(&format!("    access_log {p}/access.log;\n"));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert!(
        upstreams_written,
        "deploy/nginx.conf has no TEMPLATE upstream lines"
    );
    assert!(
        out.contains(&format!("listen 127.0.0.1:{listen};")),
        "no TEMPLATE listen line"
    );
    out
}

/// nginx in the foreground, one process; killed when dropped (also when the test fails).
struct Nginx {
    child: Child,
    error_log: PathBuf,
}

impl Nginx {
    fn start(prefix: &Path, listen: u16, upstreams: &[u16]) -> Self {
        assert!(
            Path::new(NGINX).exists(),
            "{NGINX} is missing: install nginx (.ci/run does so with apt-get)"
        );
        std::fs::create_dir_all(prefix.join("tmp")).unwrap();
        std::fs::create_dir_all(prefix.join("logs")).unwrap();
        let conf = prefix.join("nginx.conf");
        std::fs::write(&conf, templated_config(listen, upstreams, prefix)).unwrap();
        let error_log = prefix.join("error.log");
        let globals = format!(
            "daemon off; master_process off; pid {}; error_log {} info;",
            prefix.join("nginx.pid").display(),
            error_log.display()
        );
        let child = Command::new(NGINX)
            .arg("-p")
            .arg(prefix)
            .arg("-e")
            .arg(&error_log)
            .arg("-c")
            .arg(&conf)
            .arg("-g")
            .arg(globals)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut nginx = Self { child, error_log };
        nginx.wait_listening(listen);
        nginx
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.error_log).unwrap_or_default()
    }

    fn wait_listening(&mut self, port: u16) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("nginx exited with {status} at start:\n{}", self.log());
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "nginx is not listening:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn a_sweep_through_nginx_least_conn_reaches_both_servers() {
    let model = "Qwen/Qwen3-0.6B";
    let engines: Vec<EmbeddedServer> = (0..2)
        .map(|_| EmbeddedServer::simulated(1.0, model, TokenizerSpec::Builtin).unwrap())
        .collect();
    let ports: Vec<u16> = engines.iter().map(|e| e.local_addr().port()).collect();
    let before: Vec<u64> = engines.iter().map(|e| finished_requests(e.url())).collect();
    let tmp = tempfile::tempdir().unwrap();
    let listen = free_port();
    let nginx = Nginx::start(&tmp.path().join("nginx"), listen, &ports);

    let url = format!("http://127.0.0.1:{listen}");
    let out = run_in(
        tmp.path(),
        &[
            "--url",
            &url,
            "--tp",
            "1",
            "--dp",
            "2",
            "--deployment-kind",
            "vllm_serve",
            "--model",
            model,
            "--tokenizer",
            "builtin",
            "--concurrency",
            "2,4",
            "--isl",
            "128",
            "--osl",
            "8",
            "--allow-client-saturation",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\nnginx log:\n{}",
        shown(&out),
        nginx.log()
    );
    let served: Vec<u64> = engines
        .iter()
        .zip(&before)
        .map(|(e, b)| finished_requests(e.url()) - b)
        .collect();
    // Both servers took part, and together they served every request: (10 + 2) x (2 + 4).
    assert!(served.iter().all(|&n| n > 0), "per server: {served:?}");
    assert_eq!(served.iter().sum::<u64>(), 72, "per server: {served:?}");
    let summary = tmp
        .path()
        .join("artifacts_root/artifacts_0/Qwen_Qwen3-0.6B-openai-chat-concurrency4/profile_export_aiperf.json");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(summary).unwrap()).unwrap();
    assert_eq!(summary["request_count"]["avg"], 40.0);
    // No request failed on the way through nginx.
    assert!(
        summary.get("error_request_count").is_none(),
        "{}",
        summary["error_summary"]
    );
    drop(nginx);
}
