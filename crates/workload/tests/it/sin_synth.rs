//! The sine synthesizer: reproducible with a seed, counts follow the sine-shaped mean.

use rand::SeedableRng;
use rand::rngs::StdRng;
use servebench_trace_formats::{
    JsonStyle, MooncakeReader, MooncakeRecord, MooncakeWriter, ReadOptions,
};
use servebench_workload::{SinSynthConfig, sine_value};

fn generate(cfg: &SinSynthConfig, seed: u64) -> (Vec<u8>, Vec<u64>) {
    let mut w = MooncakeWriter::new(Vec::new(), "mem", JsonStyle::Python);
    let summary = cfg
        .generate(&mut StdRng::seed_from_u64(seed), &mut w, &mut |_| {})
        .unwrap();
    (w.finish().unwrap(), summary.per_interval)
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let cfg = SinSynthConfig::default();
    let (a, _) = generate(&cfg, 7);
    let (b, _) = generate(&cfg, 7);
    let (c, _) = generate(&cfg, 8);
    assert!(a == b);
    assert!(a != c);
}

#[test]
fn records_are_well_formed_evenly_spaced_and_chained() {
    let cfg = SinSynthConfig::default();
    let (bytes, per_interval) = generate(&cfg, 3);
    let records: Vec<MooncakeRecord> =
        MooncakeReader::new(&bytes[..], "sin", ReadOptions::default())
            .collect::<Result<_, _>>()
            .expect("valid, time-ordered Mooncake");
    assert_eq!(records.len() as u64, per_interval.iter().sum::<u64>());
    assert!(
        records
            .iter()
            .all(|r| r.hash_ids.len() as u64 == r.input_length.div_ceil(512))
    );
    assert!(
        records
            .iter()
            .all(|r| (r.input_length, r.output_length) == (100, 2000)
                || (r.input_length, r.output_length) == (5000, 100))
    );
    // one shared hasher: ids are assigned in order of first appearance
    assert_eq!(
        records[0].hash_ids,
        (0..records[0].hash_ids.len() as u64).collect::<Vec<_>>()
    );
    // interval t holds n requests at t + k/n seconds
    let mut i = 0;
    for (t, n) in per_interval.iter().enumerate() {
        for k in 0..*n {
            let want = ((t as f64 + k as f64 / *n as f64) * 1000.0) as u64;
            assert_eq!(
                records[i].timestamp,
                Some(want),
                "interval {t}, request {k}"
            );
            i += 1;
        }
    }
}

#[test]
fn interval_counts_follow_the_sine_mean() {
    let mut cfg = SinSynthConfig::default();
    cfg.time_duration = 6000;
    cfg.isl1 = 1;
    cfg.isl2 = 1;
    let (_, per_interval) = generate(&cfg, 11);
    assert_eq!(per_interval.len(), 6000);
    // Group intervals by phase (t mod 10): each phase has 600 Poisson draws of mean rate(phase).
    for phase in 0..10 {
        let counts: Vec<u64> = per_interval
            .iter()
            .skip(phase)
            .step_by(10)
            .copied()
            .collect();
        let mean = counts.iter().sum::<u64>() as f64 / counts.len() as f64;
        let want = sine_value(phase as f64, 5.0, 10.0, 10.0);
        let sigma = (want / counts.len() as f64).sqrt();
        assert!(
            (mean - want).abs() < 5.0 * sigma,
            "phase {phase}: mean {mean}, expected {want} ± {sigma}"
        );
    }
    let overall = per_interval.iter().sum::<u64>() as f64 / 6000.0;
    assert!((overall - 7.5).abs() < 0.2, "{overall}");
}

#[test]
fn pair_choice_follows_the_ratio_sine() {
    let mut cfg = SinSynthConfig::default();
    cfg.time_duration = 3000;
    cfg.isl1 = 1;
    cfg.isl2 = 2;
    let (bytes, _) = generate(&cfg, 5);
    let records: Vec<MooncakeRecord> =
        MooncakeReader::new(&bytes[..], "sin", ReadOptions::default())
            .collect::<Result<_, _>>()
            .unwrap();
    let (mut observed, mut expected, mut variance) = (0.0, 0.0, 0.0);
    for r in &records {
        let p = sine_value(r.timestamp.unwrap() as f64 / 1000.0, 0.2, 0.8, 10.0);
        observed += f64::from(u8::from(r.input_length == 1));
        expected += p;
        variance += p * (1.0 - p);
    }
    assert!(
        (observed - expected).abs() < 5.0 * variance.sqrt(),
        "{observed} vs {expected} ± {}",
        variance.sqrt()
    );
}
