//! plot-pareto's library half: GPU counts from deployment_config.json, efficiency per label,
//! results.csv.

use std::fs;

use servebench_report::{ReportError, plot_pareto};

use crate::aiperf::{keep, png_size};
use crate::fixtures::{RUNS, aiperf_sweep, deployment_json, write};

#[test]
fn pareto_from_aiperf_artifacts_with_gpu_counts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("artifacts_root");
    // artifacts_0: aggregated TP2 × DP2 = 4 GPUs; artifacts_1: disaggregated 1×4 + 4×1 = 8.
    let a0 = root.join("artifacts_0");
    aiperf_sweep(&a0, "Qwen/Qwen3-0.6B");
    write(
        &a0.join("deployment_config.json"),
        &deployment_json("vllm_serve", "aggregated", [2, 2, 0, 0, 0, 0]),
    );
    let a1 = root.join("artifacts_1");
    aiperf_sweep(&a1, "Qwen/Qwen3-0.6B");
    write(
        &a1.join("deployment_config.json"),
        &deployment_json("dynamo_vllm", "disaggregated", [0, 0, 1, 4, 4, 1]),
    );
    let out = dir.path().join("out");
    let done = plot_pareto(&root, "Single Node", &out).expect("pareto");
    let csv = fs::read_to_string(out.join("results.csv")).expect("csv");
    let p = |d: &str, c: u64| {
        root.join(d)
            .join(format!("Qwen_Qwen3-0.6B-openai-chat-concurrency{c}"))
            .join("profile_export_aiperf.json")
            .display()
            .to_string()
    };
    // Per-GPU: 225/4, 420/4, 750/4 and 225/8, 420/8, 750/8. Per-user falls as C grows while
    // per-GPU rises, so every point of a label is efficient.
    let expected = format!(
        ",label,configuration,concurrency,output_token_throughput_per_user_avg,\
         output_token_throughput_per_gpu_avg,time_to_first_token_avg,inter_token_latency_avg,\
         is_pareto_efficient\n\
         0,vllm_serve_aggregated,{},1,250.0,56.25,21.5,4.0,True\n\
         1,vllm_serve_aggregated,{},2,222.0,105.0,24.0,4.5,True\n\
         2,vllm_serve_aggregated,{},4,181.0,187.5,30.0,5.5,True\n\
         3,dynamo_vllm_disaggregated,{},1,250.0,28.125,21.5,4.0,True\n\
         4,dynamo_vllm_disaggregated,{},2,222.0,52.5,24.0,4.5,True\n\
         5,dynamo_vllm_disaggregated,{},4,181.0,93.75,30.0,5.5,True\n",
        p("artifacts_0", 1),
        p("artifacts_0", 2),
        p("artifacts_0", 4),
        p("artifacts_1", 1),
        p("artifacts_1", 2),
        p("artifacts_1", 4),
    );
    assert_eq!(csv, expected);
    assert_eq!(done.rows[5].gpus, 8);
    let (w, h) = png_size(&fs::read(out.join("pareto_plot.png")).expect("png"));
    assert_eq!((w, h), (1400, 600));
    keep(&out, "plot-pareto-aiperf");
    assert_eq!(RUNS.len(), 3);
}

#[test]
fn dominated_points_are_marked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let a0 = root.join("artifacts_0");
    let mut runs = RUNS;
    // C = 4 worse than C = 2 on both axes.
    runs[2].per_user = 200.0;
    runs[2].output_token_throughput = 400.0;
    for r in &runs {
        write(
            &a0.join(format!("m-openai-chat-concurrency{}", r.concurrency))
                .join("profile_export_aiperf.json"),
            &crate::fixtures::aiperf_json("m", r),
        );
    }
    write(
        &a0.join("deployment_config.json"),
        &deployment_json("dynamo", "aggregated", [1, 1, 0, 0, 0, 0]),
    );
    let done = plot_pareto(root, "t", &root.join("out")).expect("pareto");
    let flags: Vec<bool> = done.rows.iter().map(|r| r.is_pareto_efficient).collect();
    assert_eq!(flags, [true, true, false]);
}

#[test]
fn missing_deployment_config_is_an_error_naming_the_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a0 = dir.path().join("artifacts_0");
    aiperf_sweep(&a0, "m");
    let err = plot_pareto(dir.path(), "t", &dir.path().join("out")).expect_err("must fail");
    assert!(matches!(err, ReportError::NotFound { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("artifacts_0") && text.contains("deployment_config.json"),
        "{text}"
    );
}
