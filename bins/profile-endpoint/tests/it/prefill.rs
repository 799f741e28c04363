//! Prefill sweep of the embedded engine: the quadratic fit recovers the engine's polynomial.

use servebench_profiler_fit::fit::quadratic;
use servebench_profiler_fit::npz::NpyData;

use crate::support::{PREFILL_POLY, numpy_available, numpy_listing, profile, read_npz, within};

/// The engine runs 4× slower than the model (speed-up 0.25), so client and HTTP overheads
/// (constant per request) weigh 4× less against the model's times; the fit is compared with the
/// polynomial divided by 0.25.
#[test]
fn profiling_the_mocker_recovers_its_prefill_coefficients_within_5_percent() {
    let dir = tempfile::tempdir().expect("test setup");
    // Three profiles; per ISL the smallest TTFT: scheduling delays on a busy machine only ever
    // add time, so the minimum of three is the least disturbed measurement.
    let mut runs = Vec::new();
    let mut stderr = String::new();
    for run in 0..3 {
        let work = dir.path().join(format!("prefill{run}"));
        stderr = profile(&[
            "--mode",
            "prefill",
            "--work_dir",
            work.to_str().expect("test setup"),
            "--max_context_length",
            "8704",
            "--interpolation_granularity",
            "8",
            "--warmup-request-count",
            "1",
            "--mocker-speedup-ratio",
            "0.25",
        ]);
        runs.push(work);
    }
    let work = &runs[0];
    let npz = read_npz(&work.join("raw_data.npz"));
    // §8.3's grid for max_context_length 8704, g 8: mcl 8192, range(100, 8192, 1011).
    let NpyData::I64(isl) = npz.get("prefill_isl").expect("test setup").data() else {
        panic!("prefill_isl is not <i8>");
    };
    assert_eq!(isl, &[100, 1111, 2122, 3133, 4144, 5155, 6166, 7177, 8188]);
    let xs: Vec<f64> = isl.iter().map(|&v| v as f64).collect();
    let mut ttft = npz.get("prefill_ttft").expect("test setup").to_f64();
    for other in &runs[1..] {
        let t = read_npz(&other.join("raw_data.npz"))
            .get("prefill_ttft")
            .expect("test setup")
            .to_f64();
        for (a, b) in ttft.iter_mut().zip(t) {
            *a = a.min(b);
        }
    }
    let fit = quadratic(&xs, &ttft).expect("test setup");
    let got = fit.coefficients_highest_first();
    for (k, name) in ["x²", "x", "1"].iter().enumerate() {
        let expected = PREFILL_POLY[k] / 0.25;
        assert!(
            within(got[k], expected, 0.05),
            "coefficient of {name}: fitted {:e}, engine {:e} (TTFT {ttft:?})",
            got[k],
            expected
        );
    }
    // Throughput per GPU is isl / ttft · 1000 for one GPU.
    let thpt = npz
        .get("prefill_thpt_per_gpu")
        .expect("test setup")
        .to_f64();
    let first_ttft = npz.get("prefill_ttft").expect("test setup").to_f64();
    for i in 0..isl.len() {
        assert!((thpt[i] - xs[i] / first_ttft[i] * 1000.0).abs() < 1e-6 * thpt[i]);
    }
    assert!(stderr.contains("Quadratic fit: "), "{stderr}");
    for png in [
        "prefill_ttft_interpolation.png",
        "prefill_throughput_interpolation.png",
    ] {
        let bytes = std::fs::read(work.join(png)).expect("test setup");
        assert_eq!(&bytes[1..4], b"PNG", "{png}");
    }
    let json: serde_json::Value = serde_json::from_slice(
        &std::fs::read(work.join("prefill_raw_data.json")).expect("test setup"),
    )
    .expect("test setup");
    assert_eq!(json["prefill_isl"][8], 8188);
    assert_eq!(
        json["prefill_ttft"].as_array().expect("test setup").len(),
        9
    );

    if numpy_available() {
        assert_eq!(
            numpy_listing(&work.join("raw_data.npz")),
            "prefill_isl <i8 (9,)\nprefill_ttft <f8 (9,)\nprefill_thpt_per_gpu <f8 (9,)\n"
        );
    } else {
        println!(
            "python3 with numpy is not available: raw_data.npz checked with the Rust reader only"
        );
    }
}
