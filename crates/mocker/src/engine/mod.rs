//! The simulated engine: configuration, scheduler, KV cache, timing and routing.

mod config;

pub use config::{EngineConfig, PoolConfig, PreemptionMode, RouterConfig, RouterMode, TimingModel};
