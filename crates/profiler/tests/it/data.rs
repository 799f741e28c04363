//! `raw_data.npz` and JSON forms.

use servebench_profiler::data::{DecodeData, PrefillData};
use servebench_profiler_fit::npz::{NpyData, Npz};

#[test]
fn prefill_npz_has_the_originals_names_and_dtypes() {
    let data = PrefillData {
        prefill_isl: vec![100, 2100],
        prefill_ttft: vec![18.0, 52.5],
        prefill_thpt_per_gpu: vec![5555.5, 40000.0],
    };
    let npz = Npz::from_bytes(&data.to_npz().unwrap()).unwrap();
    assert_eq!(
        npz.names().collect::<Vec<_>>(),
        ["prefill_isl", "prefill_ttft", "prefill_thpt_per_gpu"]
    );
    assert_eq!(
        npz.get("prefill_isl").unwrap().data(),
        &NpyData::I64(vec![100, 2100])
    );
    assert_eq!(
        npz.get("prefill_ttft").unwrap().data(),
        &NpyData::F64(vec![18.0, 52.5])
    );
    let json: serde_json::Value = serde_json::from_str(&data.to_json()).unwrap();
    assert_eq!(json["prefill_isl"], serde_json::json!([100, 2100]));
}

#[test]
fn decode_npz_keeps_max_kv_tokens_as_a_one_element_int_array() {
    let data = DecodeData {
        x_kv_usage: vec![0.1, 0.5],
        y_context_length: vec![350.0, 350.0],
        z_itl: vec![8.0, 20.0],
        z_thpt_per_gpu: vec![100.0, 600.0],
        max_kv_tokens: 4096,
    };
    let npz = Npz::from_bytes(&data.to_npz().unwrap()).unwrap();
    assert_eq!(
        npz.names().collect::<Vec<_>>(),
        [
            "x_kv_usage",
            "y_context_length",
            "z_itl",
            "z_thpt_per_gpu",
            "max_kv_tokens"
        ]
    );
    let kv = npz.get("max_kv_tokens").unwrap();
    assert_eq!(
        (kv.shape(), kv.data()),
        (&[1usize][..], &NpyData::I64(vec![4096]))
    );
    let json: serde_json::Value = serde_json::from_str(&data.to_json()).unwrap();
    assert_eq!(json["max_kv_tokens"], 4096);
}
