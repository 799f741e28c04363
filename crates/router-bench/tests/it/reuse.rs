//! Theoretical reuse against hand-counted blocks; achieved reuse from scraped counters.

use servebench_loadgen_core::DatasetEntry;
use servebench_loadgen_core::server_metrics::{EndpointMetrics, ServerMetrics, parse};
use servebench_router_bench::reuse::{AchievedReuse, entry_text, theoretical_reuse};

#[test]
fn theoretical_reuse_counts_leading_blocks_seen_before() {
    // Blocks of 4 tokens. a: 3 blocks [0..4) [4..8) [8,9] (10 tokens).
    let a: Vec<u32> = (0..10).collect();
    // b shares a's first two blocks, then differs: hit 2 of 3 blocks, 8 of 11 tokens.
    let mut b: Vec<u32> = (0..8).collect();
    b.extend([90, 91, 92]);
    // c shares nothing: hit 0.
    let c: Vec<u32> = vec![50, 51, 52, 53];
    let t = theoretical_reuse(&[a, b, c], 4).unwrap();
    assert_eq!(t.requests, 3);
    assert_eq!(t.block_size, 4);
    // datagen: per-row 0/3, 2/3, 0/1 -> mean 2/9.
    assert!((t.mean_hit_rate - 2.0 / 9.0).abs() < 1e-12, "{t:?}");
    // tokens: 8 hit of 10 + 11 + 4 = 25.
    assert!((t.token_hit_rate - 8.0 / 25.0).abs() < 1e-12, "{t:?}");
    assert!(theoretical_reuse(&[vec![1]], 0).is_err());
}

#[test]
fn a_whole_repeated_prompt_hits_all_its_tokens_but_a_partial_block_only_as_tokens() {
    let p: Vec<u32> = (0..6).collect();
    let t = theoretical_reuse(&[p.clone(), p], 4).unwrap();
    // second row: both blocks seen -> hit rate 1, tokens min(2*4, 6) = 6 of 6.
    assert!((t.mean_hit_rate - 0.5).abs() < 1e-12);
    assert!((t.token_hit_rate - 0.5).abs() < 1e-12);
}

#[test]
fn entry_text_is_the_prompt_the_server_sees() {
    let mut e = DatasetEntry::new("hello world".into(), 2, Some(4));
    assert_eq!(entry_text(&e), "hello world");
    e.system_prompt = Some("sys".into());
    assert_eq!(entry_text(&e), "sys hello world");
}

fn scrape(texts: &[&str]) -> EndpointMetrics {
    EndpointMetrics {
        url: "http://x/metrics".into(),
        snapshots: texts
            .iter()
            .enumerate()
            .map(|(i, t)| (i as f64, parse(t).unwrap()))
            .collect(),
        errors: Vec::new(),
    }
}

fn exposition(hits: [u64; 2], queries: [u64; 2]) -> String {
    format!(
        "# TYPE vllm:prefix_cache_hits_total counter\n\
         vllm:prefix_cache_hits_total{{model_name=\"m\"}} {}\n\
         # TYPE vllm:prefix_cache_queries_total counter\n\
         vllm:prefix_cache_queries_total{{model_name=\"m\"}} {}\n\
         # TYPE servebench:worker_prefix_cache_hits_total counter\n\
         servebench:worker_prefix_cache_hits_total{{model_name=\"m\",worker=\"0\"}} {}\n\
         servebench:worker_prefix_cache_hits_total{{model_name=\"m\",worker=\"1\"}} {}\n\
         # TYPE servebench:worker_prefix_cache_queries_total counter\n\
         servebench:worker_prefix_cache_queries_total{{model_name=\"m\",worker=\"0\"}} {}\n\
         servebench:worker_prefix_cache_queries_total{{model_name=\"m\",worker=\"1\"}} {}\n",
        hits[0] + hits[1],
        queries[0] + queries[1],
        hits[0],
        hits[1],
        queries[0],
        queries[1]
    )
}

#[test]
fn achieved_reuse_is_the_counter_delta_over_the_run_overall_and_per_worker() {
    let before = exposition([100, 0], [400, 50]);
    let after = exposition([700, 30], [1400, 350]);
    let m = ServerMetrics {
        endpoints: vec![scrape(&[&before, &after])],
    };
    let a = AchievedReuse::from_scrape(&m).unwrap();
    assert_eq!(a.hits, 630.0);
    assert_eq!(a.queries, 1300.0);
    assert_eq!(a.workers.len(), 2);
    assert_eq!(a.workers[0].worker, "0");
    assert_eq!((a.workers[0].hits, a.workers[0].queries), (600.0, 1000.0));
    assert_eq!((a.workers[1].hits, a.workers[1].queries), (30.0, 300.0));
    assert!((a.workers[1].rate() - 0.1).abs() < 1e-12);
}

#[test]
fn vllm_engine_labels_give_per_engine_reuse_and_no_counters_give_none() {
    let text = |h0: u64, h1: u64| {
        format!(
            "# TYPE vllm:prefix_cache_hits_total counter\n\
             vllm:prefix_cache_hits_total{{engine=\"0\"}} {h0}\n\
             vllm:prefix_cache_hits_total{{engine=\"1\"}} {h1}\n\
             # TYPE vllm:prefix_cache_queries_total counter\n\
             vllm:prefix_cache_queries_total{{engine=\"0\"}} {}\n\
             vllm:prefix_cache_queries_total{{engine=\"1\"}} {}\n",
            h0 * 2,
            h1 * 4
        )
    };
    let m = ServerMetrics {
        endpoints: vec![scrape(&[&text(0, 0), &text(10, 20)])],
    };
    let a = AchievedReuse::from_scrape(&m).unwrap();
    assert_eq!((a.hits, a.queries), (30.0, 100.0));
    let rates: Vec<f64> = a.workers.iter().map(|w| w.rate()).collect();
    assert_eq!(rates, [0.5, 0.25]);
    let none = ServerMetrics {
        endpoints: vec![scrape(&["# TYPE x counter\nx 1\n"])],
    };
    assert!(AchievedReuse::from_scrape(&none).is_none());
}
