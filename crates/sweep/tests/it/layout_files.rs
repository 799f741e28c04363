//! `artifacts_N` selection, earlier configs and `deployment_config.json` as files.

use servebench_sweep::layout::{create_next, earlier_configs};
use servebench_sweep::{DeploymentConfig, Mode, Parallelism};

#[test]
fn the_smallest_free_index_is_taken_and_earlier_configs_are_listed() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    // The root is created.
    let first = create_next(&root).unwrap();
    assert_eq!(first.index, 0);
    assert!(root.join("artifacts_0").is_dir());
    // A gap is filled first: artifacts_2 exists, artifacts_1 does not.
    std::fs::create_dir(root.join("artifacts_2")).unwrap();
    let second = create_next(&root).unwrap();
    assert_eq!((second.index, second.path), (1, root.join("artifacts_1")));
    let third = create_next(&root).unwrap();
    assert_eq!(third.index, 3);

    std::fs::write(
        root.join("artifacts_0/deployment_config.json"),
        "{\"kind\":\"a\"}",
    )
    .unwrap();
    let earlier = earlier_configs(&root, 3);
    assert_eq!(earlier.len(), 3);
    assert_eq!(earlier[0].1.as_deref().unwrap(), "{\"kind\":\"a\"}");
    assert!(earlier[1].1.is_err());
    assert!(earlier[2].0.ends_with("artifacts_2/deployment_config.json"));
}

#[test]
fn deployment_config_keys_are_in_perf_sh_order() {
    let tmp = tempfile::tempdir().unwrap();
    let p = Parallelism {
        tp: 0,
        dp: 0,
        prefill_tp: 1,
        prefill_dp: 4,
        decode_tp: 4,
        decode_dp: 1,
    };
    let config = DeploymentConfig::new(
        "dynamo_vllm",
        "Qwen/Qwen3-0.6B",
        3000,
        150,
        p,
        Mode::Disaggregated,
    );
    config.write(tmp.path()).unwrap();
    let text = std::fs::read_to_string(tmp.path().join("deployment_config.json")).unwrap();
    // The keys as they appear in the file, in file order.
    let keys: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix('"'))
        .filter_map(|l| l.split('"').next())
        .collect();
    assert_eq!(
        keys,
        [
            "kind",
            "model",
            "input_sequence_length",
            "output_sequence_length",
            "tensor_parallelism",
            "data_parallelism",
            "prefill_tensor_parallelism",
            "prefill_data_parallelism",
            "decode_tensor_parallelism",
            "decode_data_parallelism",
            "mode",
        ]
    );
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["kind"], "dynamo_vllm");
    assert_eq!(value["input_sequence_length"], 3000);
    assert_eq!(value["prefill_data_parallelism"], 4);
    assert_eq!(value["mode"], "disaggregated");
    assert_eq!(DeploymentConfig::read(tmp.path()).unwrap(), config);
}

#[test]
fn a_malformed_deployment_config_names_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("deployment_config.json"),
        "{\n  \"kind\": \"x\",\n  \"model\": 3\n}\n",
    )
    .unwrap();
    let err = DeploymentConfig::read(tmp.path()).unwrap_err();
    let shown = format!("{err}");
    assert!(
        shown.contains("deployment_config.json:3: model: expected a string"),
        "{shown}"
    );
    std::fs::write(
        tmp.path().join("deployment_config.json"),
        "{\"kind\": \"x\"}",
    )
    .unwrap();
    let shown = DeploymentConfig::read(tmp.path()).unwrap_err().to_string();
    assert!(shown.contains(":1: model: missing"), "{shown}");
    std::fs::write(tmp.path().join("deployment_config.json"), "{\n\n  oops").unwrap();
    let shown = DeploymentConfig::read(tmp.path()).unwrap_err().to_string();
    assert!(shown.contains("deployment_config.json:3: -: "), "{shown}");
}
