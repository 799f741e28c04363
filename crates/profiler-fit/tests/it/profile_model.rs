//! A profile of the mocker's polynomial timing model (spec §9.2), taken over the §8.3 grids and
//! analysed the way the profiler and planner do: the quadratic fit must give the model back, and
//! the interpolants must match it at points that were not sampled.

use servebench_profiler_fit::griddata::{
    Interpolant2d, LinearInterpolator2d, OutsideHull, linspace,
};
use servebench_profiler_fit::interp1d::{Extrapolation, Interp1d};
use servebench_profiler_fit::{fit, sweeps};

/// §9.2 prefill time for `t` new tokens (ms).
fn prefill_ms(t: f64) -> f64 {
    4.209989e-7 * t * t + 1.518344e-2 * t + 16.50142
}

/// §9.2 decode step time at KV usage `p` (ms).
fn decode_ms(p: f64) -> f64 {
    (-25.74 * p * p + 54.01 * p + 5.74).max(1.0)
}

#[test]
fn quadratic_fit_recovers_the_prefill_model() {
    let isls = sweeps::prefill_isl_points(16384, sweeps::SLA_PREFILL_GRANULARITY).expect("grid");
    let xs: Vec<f64> = isls.iter().map(|&i| i as f64).collect();
    let ys: Vec<f64> = xs.iter().map(|&x| prefill_ms(x)).collect();
    let quad = fit::quadratic(&xs, &ys).expect("fit");
    let [a, b, c] = quad.coefficients_highest_first()[..] else {
        panic!("a quadratic has three coefficients");
    };
    assert!((a / 4.209989e-7 - 1.0).abs() < 1e-9, "a = {a}");
    assert!((b / 1.518344e-2 - 1.0).abs() < 1e-9, "b = {b}");
    assert!((c / 16.50142 - 1.0).abs() < 1e-9, "c = {c}");
    assert!(quad.r_squared() > 1.0 - 1e-12);
}

#[test]
fn noisy_prefill_fit_matches_numpy() {
    // ±2% alternating "measurement noise" on the §8.3 prefill grid (16384, g = 16). Expected
    // values from numpy 2 on this machine:
    //   x = [100 + 985k for k in range(17)]; y = model(x) · (1.02 if k even else 0.98)
    //   c = np.polyfit(x, y, 2); r = y − np.polyval(c, x); 1 − Σr² / Σ(y − ȳ)²
    let isls = sweeps::prefill_isl_points(16384, sweeps::SLA_PREFILL_GRANULARITY).expect("grid");
    let xs: Vec<f64> = isls.iter().map(|&i| i as f64).collect();
    let ys: Vec<f64> = xs
        .iter()
        .enumerate()
        .map(|(i, &x)| prefill_ms(x) * if i % 2 == 0 { 1.02 } else { 0.98 })
        .collect();
    let quad = fit::quadratic(&xs, &ys).expect("fit");
    let got = quad.coefficients_highest_first();
    let numpy = [
        4.4566795197271943e-07,
        0.014867025162670697,
        17.109145424085497,
    ];
    for (g, want) in got.iter().zip(numpy) {
        assert!((g / want - 1.0).abs() < 1e-9, "{got:?} vs numpy {numpy:?}");
    }
    assert!((quad.r_squared() - 0.9985732215279101).abs() < 1e-12);
    assert!((quad.sum_squared_residuals() / 275.32086013923544 - 1.0).abs() < 1e-9);
    assert_eq!(quad.residuals().len(), xs.len());
    // np.sqrt(np.diag(np.polyfit(x, y, 2, cov=True)[1])), highest power first.
    let se = quad.standard_errors().expect("14 spare points");
    let numpy_se = [
        5.1913008479557145e-08,
        0.0008579885078751702,
        2.9526171042010207,
    ];
    for (g, want) in se.iter().rev().zip(numpy_se) {
        assert!(
            (g / want - 1.0).abs() < 1e-9,
            "{se:?} vs numpy {numpy_se:?}"
        );
    }
    // 95% interval: ± scipy.stats.t.ppf(0.975, 14) = 2.144786687917804 standard errors, and the
    // true x² coefficient lies inside it.
    let ci = quad
        .confidence_intervals(0.95)
        .expect("level")
        .expect("spare points");
    let (lo, hi) = ci[2];
    assert!(((hi - lo) / 2.0 / (2.144786687917804 * numpy_se[0]) - 1.0).abs() < 1e-9);
    assert!(lo < 4.209989e-7 && 4.209989e-7 < hi);
    // This much noise moves the x² coefficient by about 6% (numpy agrees): a profile meant to
    // recover the model within 5% needs less noise than this or more points.
    assert!((got[0] / 4.209989e-7 - 1.0).abs() > 0.05);
}

#[test]
fn pchip_of_prefill_ttft_matches_the_model_between_samples() {
    let isls = sweeps::prefill_isl_points(16384, sweeps::ENDPOINT_GRANULARITY).expect("grid");
    let xs: Vec<f64> = isls.iter().map(|&i| i as f64).collect();
    let ys: Vec<f64> = xs.iter().map(|&x| prefill_ms(x)).collect();
    let f = Interp1d::pchip(&xs, &ys, Extrapolation::Clamp).expect("interp");
    for w in xs.windows(2) {
        let mid = 0.5 * (w[0] + w[1]);
        let rel = (f.eval(mid) - prefill_ms(mid)).abs() / prefill_ms(mid);
        assert!(
            rel < 0.01,
            "at {mid}: {} vs {}",
            f.eval(mid),
            prefill_ms(mid)
        );
    }
    // The planner clamps queries to the sampled range.
    assert_eq!(f.eval(50_000.0), *ys.last().expect("non-empty"));
}

#[test]
fn griddata_of_decode_itl_matches_the_model_at_held_out_points() {
    let max_kv = 200_000;
    let sweep =
        sweeps::decode_sweep(16384, max_kv, sweeps::SLA_DECODE_GRANULARITY, 1).expect("sweep");
    let (mut xs, mut ys, mut zs) = (Vec::new(), Vec::new(), Vec::new());
    for row in &sweep.rows {
        for &n in &row.num_requests {
            let x = sweeps::decode_kv_usage(row.isl, sweep.osl, n, max_kv);
            xs.push(x);
            ys.push(sweeps::decode_context_length(row.isl, sweep.osl));
            zs.push(decode_ms(x));
        }
    }
    let f = LinearInterpolator2d::new(&xs, &ys, &zs).expect("triangulation");

    // Held out: halfway between neighbouring concurrencies of each row (same context length).
    let mut checked = 0;
    for row in &sweep.rows {
        let y = sweeps::decode_context_length(row.isl, sweep.osl);
        for w in row.num_requests.windows(2) {
            let n_mid = 0.5 * (w[0] + w[1]) as f64;
            let x = y * n_mid / max_kv as f64;
            let z = f
                .eval(x, y)
                .expect("a row's points are on the hull or inside it");
            let rel = (z - decode_ms(x)).abs() / decode_ms(x);
            assert!(rel < 0.05, "at ({x}, {y}): {z} vs {}", decode_ms(x));
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} held-out points");

    // The planner's grid: KV usage 0..1 × context 0..max, nearest fill outside the hull; every
    // cell is defined and within the model's range over the sampled KV usages.
    let y_max = ys.iter().copied().fold(0.0, f64::max);
    let grid = f.grid(
        &linspace(0.0, 1.0, 100),
        &linspace(0.0, y_max, 100),
        OutsideHull::Nearest,
    );
    assert_eq!(grid.nan_count(), 0);
    let (z_lo, z_hi) = zs
        .iter()
        .fold((f64::MAX, f64::MIN), |(l, h), &z| (l.min(z), h.max(z)));
    assert!(
        grid.values()
            .iter()
            .all(|&z| z >= z_lo - 1e-9 && z <= z_hi + 1e-9)
    );
    let nan_grid = f.grid(
        &linspace(0.0, 1.0, 100),
        &linspace(0.0, y_max, 100),
        OutsideHull::Nan,
    );
    assert!(
        nan_grid.nan_count() > 0,
        "the planner grid reaches outside the sampled hull"
    );
}
