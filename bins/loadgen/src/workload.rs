//! The dataset a run sends: the flags mapped onto
//! [`servebench_loadgen_core::replay::DatasetSpec`], built by
//! [`servebench_loadgen_core::replay::build_dataset`].

use anyhow::Context;
use servebench_loadgen_core::replay::{
    DatasetSpec, DatasetType, FixedSchedule, PreparedDataset, SamplingStrategy, build_dataset,
};
use servebench_tokenize::Tokenizer;

use crate::args::Args;
use crate::compose;

/// The dataset settings the flags describe.
///
/// # Errors
/// An unknown `--dataset-sampling-strategy` or `--custom-dataset-type`.
pub(crate) fn spec(args: &Args) -> anyhow::Result<DatasetSpec> {
    let r = &args.replay;
    let sampling = r
        .dataset_sampling_strategy
        .as_deref()
        .map(str::parse::<SamplingStrategy>)
        .transpose()
        .map_err(anyhow::Error::msg)
        .context("invalid --dataset-sampling-strategy")?;
    let dataset_type = r
        .custom_dataset_type
        .as_deref()
        .map(str::parse::<DatasetType>)
        .transpose()
        .map_err(anyhow::Error::msg)
        .context("invalid --custom-dataset-type")?;
    Ok(DatasetSpec {
        synthetic: compose::dataset(args),
        input_file: r.input_file.clone(),
        dataset_type,
        sampling,
        block_size: r.prompt_input_tokens_block_size,
        fixed_schedule: r.fixed_schedule,
        no_fixed_schedule: r.no_fixed_schedule,
        schedule: FixedSchedule {
            auto_offset: r.fixed_schedule_auto_offset,
            start_offset: r
                .fixed_schedule_start_offset
                .map(std::time::Duration::from_millis),
            end_offset: r
                .fixed_schedule_end_offset
                .map(std::time::Duration::from_millis),
            speedup: r.fixed_schedule_speedup,
        },
        conversation_num: r.conversation_num,
        turn_mean: r.conversation_turn_mean,
        turn_stddev: r.conversation_turn_stddev,
        delay_mean_ms: r.conversation_turn_delay_mean,
        delay_stddev_ms: r.conversation_turn_delay_stddev,
        delay_ratio: r.conversation_turn_delay_ratio,
    })
}

/// Builds the dataset the flags describe.
///
/// # Errors
/// Bad dataset flags or a dataset that cannot be built.
pub(crate) fn build(args: &Args, tokenizer: &dyn Tokenizer) -> anyhow::Result<PreparedDataset> {
    Ok(build_dataset(&spec(args)?, tokenizer)?)
}

/// AIPerf's default artifact directory for the stimuli named here: `fixed_schedule` or
/// `user_centric-users<N>-qps<R>`; `None` for the others (or an explicit `--artifact-dir`).
pub(crate) fn artifact_dir(
    args: &Args,
    endpoint: &servebench_loadgen_core::EndpointConfig,
    fixed_schedule: bool,
) -> Option<std::path::PathBuf> {
    if args.artifact_dir.is_some() {
        return None;
    }
    let stimulus = if fixed_schedule {
        "fixed_schedule".to_owned()
    } else {
        let (rate, users) = args.replay.user_centric_rate.zip(args.replay.num_users)?;
        let rate = if rate.fract() == 0.0 && rate.abs() < 1e16 {
            format!("{rate:.1}")
        } else {
            format!("{rate}")
        };
        format!("user_centric-users{users}-qps{rate}")
    };
    let name = format!(
        "{}-openai-{}-{stimulus}",
        args.model.replace('/', "_"),
        endpoint.kind.name()
    );
    Some(std::path::Path::new("artifacts").join(name))
}
