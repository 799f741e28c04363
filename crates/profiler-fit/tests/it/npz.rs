//! The NPY/NPZ format: Rust round trips always; NumPy reading our files (and us reading
//! NumPy's) when `python3` with `numpy` is available.

use std::process::Command;

use servebench_profiler_fit::npz::{DECODE_ARRAYS, NpyArray, NpyData, Npz, PREFILL_ARRAYS};

/// A decode `raw_data.npz` like the original's, with hand-written values.
fn decode_npz() -> Npz {
    let mut npz = Npz::default();
    npz.insert("x_kv_usage", NpyArray::from_f64(vec![0.05, 0.25, 0.5]))
        .expect("distinct names");
    npz.insert(
        "y_context_length",
        NpyArray::from_f64(vec![350.0, 350.0, 2350.0]),
    )
    .expect("distinct names");
    npz.insert("z_itl", NpyArray::from_f64(vec![6.5, 15.25, 27.125]))
        .expect("distinct names");
    npz.insert("z_thpt_per_gpu", NpyArray::from_f64(vec![150.0, 1e3, -0.0]))
        .expect("distinct names");
    npz.insert("max_kv_tokens", NpyArray::from_i64(vec![1_048_576]))
        .expect("distinct names");
    npz
}

#[test]
fn arrays_of_every_dtype_and_shape_round_trip() {
    let mut npz = decode_npz();
    npz.insert(
        "grid",
        NpyArray::new(
            vec![2, 3],
            NpyData::F32(vec![1.5, -2.0, 0.0, 3.25, 1e-7, 9e9]),
        )
        .unwrap(),
    )
    .unwrap();
    npz.insert(
        "scalar",
        NpyArray::new(vec![], NpyData::I64(vec![-7])).unwrap(),
    )
    .unwrap();
    npz.insert("empty", NpyArray::from_f64(vec![])).unwrap();
    npz.insert(
        "cube",
        NpyArray::new(vec![2, 1, 2], NpyData::I64(vec![i64::MIN, 0, 1, i64::MAX])).unwrap(),
    )
    .unwrap();
    let bytes = npz.to_bytes().unwrap();
    let back = Npz::from_bytes(&bytes).unwrap();
    assert_eq!(back, npz);
    assert_eq!(
        back.names().collect::<Vec<_>>(),
        [
            "x_kv_usage",
            "y_context_length",
            "z_itl",
            "z_thpt_per_gpu",
            "max_kv_tokens",
            "grid",
            "scalar",
            "empty",
            "cube"
        ]
    );
    assert_eq!(back.get("grid").unwrap().shape(), [2, 3]);
    assert_eq!(back.get("max_kv_tokens").unwrap().data().descr(), "<i8");
}

#[test]
fn bad_shapes_and_names_are_refused() {
    assert!(NpyArray::new(vec![2, 2], NpyData::F64(vec![1.0; 3])).is_err());
    let mut npz = decode_npz();
    assert!(npz.insert("z_itl", NpyArray::from_f64(vec![1.0])).is_err());
    assert!(npz.insert("", NpyArray::from_f64(vec![1.0])).is_err());
}

#[test]
fn layouts_name_the_originals_arrays() {
    assert_eq!(
        PREFILL_ARRAYS.map(|(n, _)| n),
        ["prefill_isl", "prefill_ttft", "prefill_thpt_per_gpu"]
    );
    let npz = decode_npz();
    for (name, dtype) in DECODE_ARRAYS {
        assert_eq!(npz.get(name).unwrap().data().descr(), dtype, "{name}");
    }
}

fn numpy_available() -> bool {
    Command::new("python3")
        .args(["-c", "import numpy"])
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn numpy_reads_our_npz_and_we_read_numpys() {
    if !numpy_available() {
        println!(
            "numpy_reads_our_npz_and_we_read_numpys: python3 with numpy is not available; \
             checked the Rust reader only (see arrays_of_every_dtype_and_shape_round_trip)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ours = dir.path().join("raw_data.npz");
    let mut npz = decode_npz();
    npz.insert(
        "grid",
        NpyArray::new(
            vec![2, 3],
            NpyData::F32(vec![1.5, -2.0, 0.0, 3.25, 0.5, 9.0]),
        )
        .unwrap(),
    )
    .unwrap();
    std::fs::write(&ours, npz.to_bytes().unwrap()).unwrap();
    let theirs = dir.path().join("numpy.npz");
    let npy = dir.path().join("one.npy");
    // NumPy prints what it read, and writes its own archive and .npy for us to read.
    let script = r#"
import sys, numpy as np
d = np.load(sys.argv[1])
for k in d.files:
    a = d[k]
    print(k, a.dtype.str, a.shape, repr(a.tolist()))
np.savez(sys.argv[2], prefill_isl=np.array([100, 2100, 4100]),
         prefill_ttft=np.array([18.25, 55.5, 120.0]),
         prefill_thpt_per_gpu=np.array([5479.45, 37837.8, 34166.7]),
         grid=np.arange(6, dtype='<f4').reshape(2, 3))
np.save(sys.argv[3], np.array([[1.0, 2.0], [3.0, 4.5]]))
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&ours)
        .arg(&theirs)
        .arg(&npy)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "numpy failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).unwrap();
    let expected = "\
x_kv_usage <f8 (3,) [0.05, 0.25, 0.5]
y_context_length <f8 (3,) [350.0, 350.0, 2350.0]
z_itl <f8 (3,) [6.5, 15.25, 27.125]
z_thpt_per_gpu <f8 (3,) [150.0, 1000.0, -0.0]
max_kv_tokens <i8 (1,) [1048576]
grid <f4 (2, 3) [[1.5, -2.0, 0.0, 3.25, 0.5, 9.0]]
";
    // NumPy prints a 2-D list row by row.
    let expected = expected.replace(
        "[[1.5, -2.0, 0.0, 3.25, 0.5, 9.0]]",
        "[[1.5, -2.0, 0.0], [3.25, 0.5, 9.0]]",
    );
    assert_eq!(printed, expected);

    let back = Npz::from_bytes(&std::fs::read(&theirs).unwrap()).unwrap();
    assert_eq!(
        back.names().collect::<Vec<_>>(),
        [
            "prefill_isl",
            "prefill_ttft",
            "prefill_thpt_per_gpu",
            "grid"
        ]
    );
    assert_eq!(
        back.get("prefill_isl").unwrap().data(),
        &NpyData::I64(vec![100, 2100, 4100])
    );
    assert_eq!(
        back.get("prefill_ttft").unwrap().data(),
        &NpyData::F64(vec![18.25, 55.5, 120.0])
    );
    let grid = back.get("grid").unwrap();
    assert_eq!(grid.shape(), [2, 3]);
    assert_eq!(
        grid.data(),
        &NpyData::F32(vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    );

    // Their .npy bytes equal ours for the same array, header and all.
    let their_npy = std::fs::read(&npy).unwrap();
    let our_npy = NpyArray::new(vec![2, 2], NpyData::F64(vec![1.0, 2.0, 3.0, 4.5]))
        .unwrap()
        .to_npy();
    assert_eq!(their_npy, our_npy);
    assert_eq!(
        NpyArray::from_npy(&their_npy).unwrap().to_f64(),
        [1.0, 2.0, 3.0, 4.5]
    );
}
