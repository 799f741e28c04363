//! The HTML reports in a real headless browser (Debian's `chromium`; `.ci/run` installs it):
//! the page renders, every inline `<svg>` plot is laid out with a visible, non-empty box, and a
//! screenshot is kept in `target/report-screenshots/` for a person to look at.
//!
//! Without a browser the test fails, unless `SERVEBENCH_SKIP_BROWSER=1` is set (then it says it
//! was skipped). `SERVEBENCH_CHROMIUM` names the browser binary when it is not on `PATH` as
//! `chromium`, `chromium-browser` or `google-chrome`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use servebench_report::{write_run_report, write_sweep_report};

use crate::fixtures::{RUNS, aiperf_json, deployment_json, our_sweep, write};

fn browser() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SERVEBENCH_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// Runs the browser headless on `page` with `extra` flags; returns stdout. Killed after 120 s.
fn headless(chromium: &Path, profile: &Path, page: &Path, extra: &[String]) -> String {
    let url = format!("file://{}", page.display());
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
            "--force-device-scale-factor=1",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(&url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the browser");
    // Read stdout while the browser runs: a dumped DOM larger than the pipe's buffer would
    // otherwise block the browser until the timeout.
    let mut stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stdout, &mut out);
        out
    });
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("the browser did not finish within 120 s on {url}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = reader.join().expect("stdout reader");
    String::from_utf8_lossy(&out).into_owned()
}

/// A copy of the page with a probe appended that measures every `<svg>` after layout (the
/// report itself has no script; only this test copy does).
fn probed_copy(page: &Path, dir: &Path) -> PathBuf {
    const PROBE: &str = "<script>(function(){var o=[];document.querySelectorAll('svg')\
        .forEach(function(s){var r=s.getBoundingClientRect();var c=getComputedStyle(s);\
        o.push([Math.round(r.width),Math.round(r.height),c.display,c.visibility,\
        s.querySelectorAll('text').length].join(','));});var p=document.createElement('pre');\
        p.id='probe';p.textContent='SVGPROBE['+o.join(';')+']';document.body.appendChild(p);\
        })();</script>";
    let html = fs::read_to_string(page).expect("read page");
    let probed = html.replace("</body>", &format!("{PROBE}</body>"));
    let path = dir.join("probed.html");
    fs::write(&path, probed).expect("write probe copy");
    path
}

/// (width, height, display, visibility, number of text elements) of every svg, as laid out.
fn measured_svgs(dom: &str) -> Vec<(u32, u32, String, String, u32)> {
    // The script's own text holds the marker too; the result is in the <pre> it appended.
    const MARK: &str = "<pre id=\"probe\">SVGPROBE[";
    let start = dom.find(MARK).expect("probe ran") + MARK.len();
    let end = dom[start..].find(']').expect("probe closed") + start;
    dom[start..end]
        .split(';')
        .filter(|s| !s.is_empty())
        .map(|s| {
            let f: Vec<&str> = s.split(',').collect();
            (
                f[0].parse().expect("width"),
                f[1].parse().expect("height"),
                f[2].to_owned(),
                f[3].to_owned(),
                f[4].parse().expect("texts"),
            )
        })
        .collect()
}

/// Pixels of the house palette's first colour (the first series' lines and markers).
fn palette_blue_pixels(png_path: &Path) -> (u32, u32, usize) {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        fs::File::open(png_path).expect("screenshot"),
    ));
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("png frame");
    let channels = info.color_type.samples();
    let blue = buf[..info.buffer_size()]
        .chunks(channels)
        .filter(|p| p[0] == 0x1f && p[1] == 0x77 && p[2] == 0xb4)
        .count();
    (info.width, info.height, blue)
}

fn check_page(chromium: &Path, page: &Path, name: &str, expected_svgs: usize, height: u32) {
    let work = tempfile::tempdir().expect("tempdir");
    let profile = work.path().join("profile");
    let probe = probed_copy(page, work.path());
    let dom = headless(
        chromium,
        &profile,
        &probe,
        &[
            "--dump-dom".to_owned(),
            "--virtual-time-budget=2000".to_owned(),
        ],
    );
    let svgs = measured_svgs(&dom);
    assert_eq!(
        svgs.len(),
        expected_svgs,
        "{name}: svgs in the rendered DOM"
    );
    for (i, (w, h, display, visibility, texts)) in svgs.iter().enumerate() {
        assert!(*w >= 300 && *h >= 150, "{name}: svg {i} is {w}x{h}");
        assert_ne!(display, "none", "{name}: svg {i} hidden");
        assert_eq!(visibility, "visible", "{name}: svg {i}");
        assert!(*texts >= 5, "{name}: svg {i} has {texts} text elements");
    }
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/report-screenshots");
    fs::create_dir_all(&shots).expect("screenshot dir");
    let shot = shots.join(format!("{name}.png"));
    let _ = fs::remove_file(&shot);
    headless(
        chromium,
        &profile,
        page,
        &[
            format!("--screenshot={}", shot.display()),
            format!("--window-size=1280,{height}"),
        ],
    );
    let (w, h, blue) = palette_blue_pixels(&shot);
    assert_eq!((w, h), (1280, height), "{name}: screenshot size");
    // Every plot draws its first series in the palette's blue; a blank or unstyled page has none.
    assert!(
        blue > 200 * expected_svgs,
        "{name}: only {blue} plot-blue pixels in the screenshot"
    );
    fs::copy(page, shots.join(format!("{name}.html"))).expect("keep the page");
}

#[test]
fn reports_render_in_headless_chromium_with_every_plot_visible() {
    let Some(chromium) = browser() else {
        if std::env::var_os("SERVEBENCH_SKIP_BROWSER").is_some_and(|v| v == "1") {
            eprintln!("SKIPPED: no chromium on PATH (SERVEBENCH_SKIP_BROWSER=1)");
            return;
        }
        panic!(
            "no chromium on PATH: install it (apt-get install chromium) or set SERVEBENCH_SKIP_BROWSER=1"
        );
    };
    let dir = tempfile::tempdir().expect("tempdir");

    // A real sweep (our exports) with its deployment description.
    let a0 = dir.path().join("artifacts_0");
    our_sweep(&a0, "Qwen/Qwen3-0.6B", &[1, 2, 4]);
    write(
        &a0.join("deployment_config.json"),
        &deployment_json("servebench_mocker", "aggregated", [1, 1, 0, 0, 0, 0]),
    );
    let sweep = write_sweep_report(&a0).expect("sweep report");
    check_page(&chromium, &sweep, "sweep-report", 6, 4800);

    // An AIPerf run.
    let run = dir.path().join("aiperf-run");
    write(
        &run.join("profile_export_aiperf.json"),
        &aiperf_json("Qwen/Qwen3-0.6B", &RUNS[1]),
    );
    write(&run.join("profile_export.jsonl"), crate::records::JSONL);
    let page = write_run_report(&run).expect("run report");
    check_page(&chromium, &page, "run-report-aiperf", 4, 3900);
}
