//! Arbitrary input (NaN, infinities, huge and tiny magnitudes, mismatched lengths, duplicates)
//! gives a value or an `Error`, never a panic.

use proptest::prelude::*;
use servebench_profiler_fit::clough_tocher::{CubicInterpolator2d, griddata_cubic};
use servebench_profiler_fit::griddata::{
    Interpolant2d, LinearInterpolator2d, OutsideHull, griddata_linear,
};
use servebench_profiler_fit::interp1d::{Extrapolation, Interp1d, Method};
use servebench_profiler_fit::planner::{DecodeInterpolator, DecodeProfile, Surface};
use servebench_profiler_fit::{fit, pareto, sla, sweeps};

/// Any f64 at all, with the awkward ones over-represented.
fn wild() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(0.0),
        Just(-0.0),
        Just(1e-300),
        Just(1e300),
        -10.0f64..10.0,
    ]
}

fn wild_vec() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(wild(), 0..12)
}

proptest! {
    #[test]
    fn fits_never_panic(xs in wild_vec(), ys in wild_vec(), degree in 0usize..6, level in wild()) {
        if let Ok(f) = fit::polyfit(&xs, &ys, degree) {
            let _ = f.eval(1.0);
            let _ = f.standard_errors();
            let _ = f.confidence_intervals(level);
        }
    }

    #[test]
    fn interpolants_never_panic(xs in wild_vec(), ys in wild_vec(), q in wild()) {
        for method in [Method::Linear, Method::Pchip, Method::CubicSpline] {
            for extrapolation in [Extrapolation::Clamp, Extrapolation::Linear] {
                if let Ok(f) = Interp1d::new(&xs, &ys, method, extrapolation) {
                    let _ = f.eval(q);
                }
            }
        }
    }

    #[test]
    fn griddata_never_panics(xs in wild_vec(), ys in wild_vec(), zs in wild_vec(), gx in wild_vec(), gy in wild_vec()) {
        let _ = griddata_linear(&xs, &ys, &zs, &gx, &gy, OutsideHull::Nearest);
        if let Ok(f) = LinearInterpolator2d::new(&xs, &ys, &zs) {
            for (&x, &y) in gx.iter().zip(&gy) {
                let _ = f.eval_with(x, y, OutsideHull::Nan);
                let _ = f.nearest(x, y);
            }
        }
        let _ = griddata_cubic(&xs, &ys, &zs, &gx, &gy, OutsideHull::Nan);
        if let Ok(f) = CubicInterpolator2d::new(&xs, &ys, &zs) {
            for (&x, &y) in gx.iter().zip(&gy) {
                let _ = f.eval_with(x, y, OutsideHull::Nearest);
            }
            let _ = f.gradient(usize::MAX);
        }
    }

    #[test]
    fn planner_never_panics(xs in wild_vec(), ys in wild_vec(), zs in wild_vec(), kv in wild(), res in 0usize..6, q in wild()) {
        if let Ok(d) = DecodeInterpolator::new(&xs, &ys, &zs, &zs, kv, res) {
            let _ = d.itl_ms(q, q);
            let _ = d.thpt_per_gpu(q, 1.0);
            let _ = d.find_best_throughput_per_gpu(q, q);
        }
        let profile = DecodeProfile { x_kv_usage: &xs, y_context_length: &ys, z_itl_ms: &zs, z_thpt_per_gpu: &zs, max_kv_tokens: kv };
        if let Ok(d) = DecodeInterpolator::from_profile(&profile, res, Surface::Cubic) {
            let _ = d.itl_ms(q, q);
        }
    }

    #[test]
    fn selection_and_cost_never_panic(a in wild_vec(), b in wild_vec(), c in wild_vec(), d in wild_vec(), t in wild(), n in any::<u64>()) {
        let _ = pareto::pareto_front(&a, &b);
        let _ = sla::select(&a, &b, t);
        let _ = sla::cost_curves(n, n, &a, &b, &c, &d, t);
        let _ = sla::prefill_queue_bounds(t, t);
        let _ = sla::decode_kv_utilization_bounds(n, n, n, n);
        let _ = sla::prefill_cost_per_1000(n, t, t);
    }

    #[test]
    fn sweeps_never_panic(mcl in any::<u64>(), kv in any::<u64>(), g in prop_oneof![0u64..40, Just(1000), Just(1001), any::<u64>()], a in 0u64..64, t in wild()) {
        let _ = sweeps::prefill_isl_points(mcl, g);
        let _ = sweeps::num_request_range(a, kv, g);
        let _ = sweeps::decode_sweep(mcl, kv, g, a);
        let _ = sweeps::prefill_thpt_per_gpu(mcl, t, a, a);
        let _ = sweeps::decode_kv_usage(mcl, kv, a, g);
    }
}
