//! No engine setting panics: any values either fail validation naming a setting, or build an
//! engine that serves a request to the end on a virtual clock.

use std::time::Duration;

use proptest::prelude::*;
use servebench_mocker::{
    BlockSize, Engine, EngineConfig, EngineError, GenerateEvent, GenerateRequest, PoolConfig,
    PreemptionMode, RouterConfig,
};

/// Mostly values from `valid`, sometimes anything (NaN, infinities, negatives, extremes).
fn mostly(valid: impl Strategy<Value = f64> + 'static) -> impl Strategy<Value = f64> {
    prop_oneof![
        12 => valid,
        1 => any::<f64>(),
        1 => Just(1e-300),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(-1.0),
    ]
}

fn any_u32() -> impl Strategy<Value = u32> {
    prop_oneof![12 => 1u32..64, 1 => Just(0u32), 1 => Just(u32::MAX), 1 => any::<u32>()]
}

prop_compose! {
    fn pool()(
        block_size in 1u32..=4096,
        num_gpu_blocks in any_u32(),
        max_num_seqs in any_u32(),
        max_num_batched_tokens in any_u32(),
        watermark in mostly(0.0f64..0.5),
        speedup_ratio in mostly(prop_oneof![Just(0.0), 0.001f64..1e6]),
        decode_speedup_ratio in mostly(prop_oneof![Just(0.0), 0.001f64..1e6]),
        fifo in any::<bool>(),
        num_workers in any_u32(),
        temperature in mostly(0.0f64..10.0),
        overlap_score_weight in mostly(0.0f64..10.0),
    ) -> PoolConfig {
        PoolConfig {
            engine: EngineConfig {
                block_size: BlockSize::new(block_size).unwrap(),
                num_gpu_blocks,
                max_num_seqs,
                max_num_batched_tokens,
                watermark,
                speedup_ratio,
                decode_speedup_ratio,
                preemption_mode: if fifo { PreemptionMode::Fifo } else { PreemptionMode::Lifo },
                ..EngineConfig::default()
            },
            num_workers,
            router: RouterConfig { temperature, overlap_score_weight, ..RouterConfig::default() },
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
    ))]

    #[test]
    fn any_settings_are_refused_by_name_or_serve_a_request(config in pool(), prompt in 1usize..300) {
        match config.validate() {
            Err(EngineError::Config { field, reason }) => {
                prop_assert!(!field.is_empty() && !reason.is_empty());
            }
            Err(other) => prop_assert!(false, "unexpected error {other}"),
            Ok(()) => {
                let mut engine = Engine::new(&config.engine, 0).unwrap();
                let tokens: Vec<u32> = (0..prompt as u32).collect();
                engine.add_request(1, GenerateRequest { prompt_tokens: tokens, output_tokens: 3 }, Duration::ZERO);
                let mut now = Duration::ZERO;
                let mut finished = false;
                for _ in 0..2000 {
                    let out = engine.step(now);
                    now = out.end;
                    if out.events.iter().any(|(_, e)| matches!(e, GenerateEvent::Finished { .. })) {
                        finished = true;
                        break;
                    }
                }
                prop_assert!(finished, "the request never finished");
            }
        }
    }
}
