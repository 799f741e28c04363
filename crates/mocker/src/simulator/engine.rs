//! The engine core: vLLM-style continuous batching over a paged, prefix-cached KV store, driven by
//! whatever clock calls [`Engine::step`] (a virtual one in tests and simulations, the real one in
//! [`super::EnginePool`]).

use std::collections::VecDeque;
use std::time::Duration;

use super::config::{BlockSize, EngineConfig, PreemptionMode};
use super::error::EngineError;
use super::kv_cache::{KvCache, KvEvent};
use super::metrics::EngineMetrics;
use super::prompt::HashedPrompt;
use super::sequence::{RequestId, Sequence};
use super::timing::{StepShape, StepTimer};
use crate::protocol::{FinishReason, GenerateEvent, GenerateRequest, ServerTimings};
use rustc_hash::FxHashMap as FastMap;

/// What one step did. Its events happen at [`StepOutput::end`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepOutput {
    /// When the step started.
    pub start: Duration,
    /// When the step ends: `start` plus the modelled step time.
    pub end: Duration,
    /// Tokens and completions, in order, per request.
    pub events: Vec<(RequestId, GenerateEvent)>,
    /// KV blocks stored and evicted since the previous step.
    pub kv_events: Vec<KvEvent>,
    /// Sequences that prefilled (whole prompts or chunks).
    pub prefills: usize,
    /// New prompt tokens computed by those prefills.
    pub prefill_tokens: u64,
    /// Sequences that decoded one token.
    pub decodes: usize,
    /// Requests preempted in this step.
    pub preemptions: usize,
    /// Requests whose first token is among `events` (a driver's router then stops counting
    /// their prompt as pending prefill).
    pub first_tokens: Vec<RequestId>,
}

#[derive(Debug, Clone, Copy)]
struct Scheduled {
    slot: usize,
    tokens: u32,
    prefill: bool,
}

/// One simulated engine (worker).
#[derive(Debug)]
pub struct Engine {
    worker_id: u32,
    block_size: BlockSize,
    max_num_seqs: usize,
    max_num_batched_tokens: u32,
    chunked_prefill: bool,
    preemption: PreemptionMode,
    watermark_blocks: f64,
    timer: StepTimer,
    kv: KvCache,
    slots: Vec<Option<Sequence>>,
    free_slots: Vec<usize>,
    index: FastMap<RequestId, usize>,
    waiting: VecDeque<usize>,
    running: Vec<usize>,
    scheduled: Vec<Scheduled>,
    counters: EngineMetrics,
    out: StepOutput,
}

impl Engine {
    /// Builds an engine (loading the timing file, if any).
    pub fn new(config: &EngineConfig, worker_id: u32) -> Result<Self, EngineError> {
        config.validate()?;
        let capacity = config.num_gpu_blocks as usize;
        Ok(Self {
            worker_id,
            block_size: config.block_size,
            max_num_seqs: config.max_num_seqs as usize,
            max_num_batched_tokens: config.max_num_batched_tokens,
            chunked_prefill: config.enable_chunked_prefill,
            preemption: config.preemption_mode,
            watermark_blocks: config.watermark * capacity as f64,
            timer: StepTimer::new(config)?,
            kv: KvCache::new(capacity, config.enable_prefix_caching),
            slots: Vec::new(),
            free_slots: Vec::new(),
            index: FastMap::default(),
            waiting: VecDeque::new(),
            running: Vec::new(),
            scheduled: Vec::new(),
            counters: EngineMetrics::default(),
            out: StepOutput::default(),
        })
    }

    /// The worker id reported in [`ServerTimings::worker_id`].
    pub fn worker_id(&self) -> u32 {
        self.worker_id
    }

    /// Queues a request that arrived at `arrival`. Returns false (and ignores it) if `id` is
    /// already in the engine.
    pub fn add_request(
        &mut self,
        id: RequestId,
        request: GenerateRequest,
        arrival: Duration,
    ) -> bool {
        let prompt = HashedPrompt::from_tokens(&request.prompt_tokens, self.block_size);
        self.add_hashed(id, prompt, request.output_tokens, arrival)
    }

    /// [`Engine::add_request`] with the prompt already hashed (with this engine's block size),
    /// as the KV router hashed it.
    pub fn add_hashed(
        &mut self,
        id: RequestId,
        prompt: HashedPrompt,
        output_tokens: u32,
        arrival: Duration,
    ) -> bool {
        if self.index.contains_key(&id) {
            return false;
        }
        let seq = Sequence::new(id, prompt, output_tokens, arrival);
        self.enqueue(id, seq);
        true
    }

    /// Queues a request whose prompt was prefilled on another engine and whose KV blocks arrive
    /// at `arrival` (disaggregated serving). Its first output token counts as already emitted
    /// (at `arrival`, by whoever drives the engines); on admission the engine allocates blocks
    /// for the prompt (reusing its own cached prefix) without prefill compute, and then decodes
    /// the remaining `request.output_tokens - 1` tokens. Returns false (and ignores it) if `id`
    /// is already in the engine or nothing is left to generate.
    pub fn add_prefilled(
        &mut self,
        id: RequestId,
        request: GenerateRequest,
        arrival: Duration,
    ) -> bool {
        let prompt = HashedPrompt::from_tokens(&request.prompt_tokens, self.block_size);
        self.add_prefilled_hashed(id, prompt, request.output_tokens, arrival)
    }

    /// [`Engine::add_prefilled`] with the prompt already hashed (with this engine's block size).
    pub fn add_prefilled_hashed(
        &mut self,
        id: RequestId,
        prompt: HashedPrompt,
        output_tokens: u32,
        arrival: Duration,
    ) -> bool {
        if self.index.contains_key(&id) || output_tokens < 2 {
            return false;
        }
        let mut seq = Sequence::new(id, prompt, output_tokens, arrival);
        seq.transferred = true;
        seq.first_token = Some(arrival);
        seq.push_generated(self.block_size);
        self.enqueue(id, seq);
        true
    }

    /// Puts `seq` in a free slot and at the back of the waiting queue.
    fn enqueue(&mut self, id: RequestId, seq: Sequence) {
        let slot = match self.free_slots.pop() {
            Some(slot) => {
                self.slots[slot] = Some(seq);
                slot
            }
            None => {
                self.slots.push(Some(seq));
                self.slots.len() - 1
            }
        };
        self.index.insert(id, slot);
        self.waiting.push_back(slot);
    }

    /// Drops a request (the client went away); its blocks are released at once. Returns whether
    /// the request was in the engine.
    pub fn cancel(&mut self, id: RequestId) -> bool {
        let Some(&slot) = self.index.get(&id) else {
            return false;
        };
        if let Some(pos) = self.running.iter().position(|&s| s == slot) {
            self.running.remove(pos);
        } else if let Some(pos) = self.waiting.iter().position(|&s| s == slot) {
            self.waiting.remove(pos);
        }
        self.release_blocks(slot);
        self.remove(slot);
        self.counters.requests_cancelled_total += 1;
        true
    }

    /// Whether any request is waiting or running.
    pub fn has_work(&self) -> bool {
        !self.running.is_empty() || !self.waiting.is_empty()
    }

    /// Requests in the running batch.
    pub fn num_running(&self) -> usize {
        self.running.len()
    }

    /// Requests waiting for admission.
    pub fn num_waiting(&self) -> usize {
        self.waiting.len()
    }

    /// Ids of the waiting requests, in admission order.
    pub fn waiting_ids(&self) -> impl Iterator<Item = RequestId> + '_ {
        self.waiting
            .iter()
            .filter_map(|&s| self.slots[s].as_ref().map(|q| q.id))
    }

    /// A snapshot of this engine's gauges and counters.
    pub fn metrics(&self) -> EngineMetrics {
        let capacity = self.kv.capacity();
        EngineMetrics {
            num_workers: 1,
            requests_running: self.running.len() as u64,
            requests_waiting: self.waiting.len() as u64,
            kv_cache_usage: self.kv.active_blocks() as f64 / capacity as f64,
            kv_blocks_active: self.kv.active_blocks() as u64,
            kv_blocks_cached: self.kv.inactive_blocks() as u64,
            kv_blocks_total: capacity as u64,
            ..self.counters
        }
    }

    /// What the last [`Engine::step`] did.
    pub fn step_output(&self) -> &StepOutput {
        &self.out
    }

    /// Swaps the last step's events with `buffer` (which should be empty), so a driver can
    /// deliver them without copying while still calling `&mut self` methods such as
    /// [`Engine::cancel`].
    pub fn swap_events(&mut self, buffer: &mut Vec<(RequestId, GenerateEvent)>) {
        std::mem::swap(&mut self.out.events, buffer);
    }

    /// Runs one step starting at `now`: schedules running and waiting requests within the token,
    /// sequence and block budgets (preempting when blocks run out), computes the step time, and
    /// returns what happened by [`StepOutput::end`]. With no work it returns an empty step with
    /// `end == now`.
    pub fn step(&mut self, now: Duration) -> &StepOutput {
        self.out.events.clear();
        self.out.kv_events.clear();
        self.out.first_tokens.clear();
        self.out.start = now;
        self.out.end = now;
        self.out.prefills = 0;
        self.out.prefill_tokens = 0;
        self.out.decodes = 0;
        self.out.preemptions = 0;
        self.scheduled.clear();
        if self.has_work() {
            self.counters.steps_total += 1;
            let mut budget = self.max_num_batched_tokens;
            self.schedule_running(&mut budget, now);
            if self.out.preemptions == 0 {
                self.schedule_waiting(&mut budget, now);
            }
            self.execute();
        }
        self.kv.drain_events(&mut self.out.kv_events);
        &self.out
    }

    fn schedule_running(&mut self, budget: &mut u32, now: Duration) {
        let mut i = 0;
        'seqs: while i < self.running.len() {
            let slot = self.running[i];
            let Some(seq) = self.slots[slot].as_ref() else {
                self.running.remove(i);
                continue;
            };
            let (pending, decoding, computed) = (seq.pending(), seq.decoding, seq.computed);
            let n = if decoding || !self.chunked_prefill {
                pending
            } else {
                pending.min(*budget)
            };
            if n > *budget || (n == 0 && pending > 0) {
                i += 1;
                continue;
            }
            while !self.ensure_blocks(slot, computed + n) {
                let victim_pos = match self.preemption {
                    PreemptionMode::Lifo => self.running.len() - 1,
                    PreemptionMode::Fifo => 0,
                };
                let victim = self.running.remove(victim_pos);
                self.preempt(victim, budget, now);
                if victim == slot {
                    continue 'seqs;
                }
                if victim_pos < i {
                    i -= 1;
                }
            }
            self.scheduled.push(Scheduled {
                slot,
                tokens: n,
                prefill: !decoding,
            });
            *budget -= n;
            i += 1;
        }
    }

    fn schedule_waiting(&mut self, budget: &mut u32, now: Duration) {
        let bs = self.block_size.get();
        while let Some(&slot) = self.waiting.front() {
            if self.running.len() >= self.max_num_seqs {
                break;
            }
            let Some(seq) = self.slots[slot].as_ref() else {
                self.waiting.pop_front();
                continue;
            };
            // With the budget spent, only a prompt found wholly cached (it needs no token) could
            // still be admitted; one whose last block is partial (or whose KV arrives by
            // transfer) always needs a token. Skipping its prefix lookup changes nothing and
            // saves hundreds of hash probes per step while a long prompt waits.
            if *budget == 0
                && ((seq.transferred && seq.first_scheduled.is_none())
                    || !seq.len().is_multiple_of(bs))
            {
                break;
            }
            let hit = self.kv.lookup_prefix(&seq.block_hashes);
            let len = seq.len();
            let cached = hit.blocks as u32 * bs;
            // A transferred prompt (not yet admitted) brings its KV: only its first generated
            // token is left to compute, as a decode. A preempted one recomputes like any other.
            let transferred = seq.transferred && seq.first_scheduled.is_none();
            let computed_at_admission = if transferred { len - 1 } else { cached };
            let pending = len - computed_at_admission;
            let n = if self.chunked_prefill {
                pending.min(*budget)
            } else {
                pending
            };
            let budget_untouched =
                self.scheduled.is_empty() && *budget == self.max_num_batched_tokens;
            if n > *budget && !budget_untouched {
                break;
            }
            if n == 0 && pending > 0 {
                break;
            }
            let need = len.div_ceil(bs) as usize - hit.active;
            let reserve = if self.running.is_empty() {
                0.0
            } else {
                self.watermark_blocks
            };
            if need as f64 > self.kv.reclaimable() as f64 - reserve {
                if self.running.is_empty() && need > self.kv.capacity() {
                    // Larger than the whole cache: it can never run, so end it instead of
                    // blocking the queue forever.
                    self.waiting.pop_front();
                    self.counters.requests_truncated_total += 1;
                    self.finish(slot, now);
                    continue;
                }
                break;
            }
            self.waiting.pop_front();
            self.attach_cached(slot, hit.blocks);
            if !self.ensure_blocks(slot, computed_at_admission + n) {
                // Cannot happen after the check above; undo and wait rather than lose it.
                self.release_blocks(slot);
                self.waiting.push_front(slot);
                break;
            }
            if let Some(seq) = self.slots[slot].as_mut() {
                seq.computed = computed_at_admission;
                seq.decoding = transferred;
                if seq.first_scheduled.is_none() {
                    seq.first_scheduled = Some(now);
                    seq.cached_tokens = cached;
                    // A decode engine receives a transferred prompt's KV: it prefills nothing,
                    // so only the prefill engine counts those tokens.
                    if !transferred {
                        self.counters.prompt_tokens_total += u64::from(seq.prompt_len);
                    }
                }
            }
            if !transferred {
                self.counters.prefix_cache_queries_tokens += u64::from(len);
                self.counters.prefix_cache_hits_tokens += u64::from(cached);
            }
            self.running.push(slot);
            self.scheduled.push(Scheduled {
                slot,
                tokens: n,
                prefill: !transferred,
            });
            *budget = budget.saturating_sub(n);
        }
    }

    /// Times the scheduled batch and applies its results.
    fn execute(&mut self) {
        let mut shape = StepShape {
            active_blocks: self.kv.active_blocks(),
            ..StepShape::default()
        };
        for s in &self.scheduled {
            if s.prefill {
                shape.prefills += 1;
                shape.prefill_tokens += u64::from(s.tokens);
            } else if let Some(seq) = self.slots[s.slot].as_ref() {
                shape.decodes += 1;
                shape.decode_context_tokens += u64::from(seq.len());
            }
        }
        let end = self.out.start + self.timer.step_duration(&shape);
        self.out.end = end;
        self.out.prefills = shape.prefills;
        self.out.prefill_tokens = shape.prefill_tokens;
        self.out.decodes = shape.decodes;

        let block_size = self.block_size;
        let bs = block_size.get();
        let mut any_finished = false;
        for k in 0..self.scheduled.len() {
            let Scheduled { slot, tokens, .. } = self.scheduled[k];
            let Some(seq) = self.slots[slot].as_mut() else {
                continue;
            };
            seq.computed += tokens;
            while seq.promoted < seq.blocks.len()
                && seq.promoted < seq.block_hashes.len()
                && (seq.promoted as u32 + 1) * bs <= seq.computed
            {
                let p = seq.promoted;
                seq.blocks[p] = self.kv.promote(seq.blocks[p], seq.block_hashes[p]);
                seq.promoted += 1;
            }
            if seq.computed < seq.len() {
                continue;
            }
            seq.decoding = true;
            if seq.first_token.is_none() {
                seq.first_token = Some(end);
                self.out.first_tokens.push(seq.id);
            }
            if seq.generated < seq.output_target {
                let token_id = seq.push_generated(block_size);
                self.out
                    .events
                    .push((seq.id, GenerateEvent::Token { token_id }));
                self.counters.generation_tokens_total += 1;
            }
            if seq.generated >= seq.output_target {
                self.counters.requests_finished_total += 1;
                self.finish(slot, end);
                any_finished = true;
            }
        }
        if any_finished {
            let slots = &self.slots;
            self.running.retain(|&s| slots[s].is_some());
        }
    }

    /// Takes references on the first `blocks` cached blocks of a sequence being admitted.
    fn attach_cached(&mut self, slot: usize, blocks: usize) {
        let Some(seq) = self.slots[slot].as_mut() else {
            return;
        };
        for j in 0..blocks {
            match self.kv.acquire_cached(seq.block_hashes[j]) {
                Some(key) => seq.blocks.push(key),
                None => break,
            }
        }
        seq.promoted = seq.blocks.len();
    }

    /// Gives the sequence enough blocks for its first `tokens` tokens; false if the cache is full.
    fn ensure_blocks(&mut self, slot: usize, tokens: u32) -> bool {
        let Some(seq) = self.slots[slot].as_mut() else {
            return false;
        };
        let need = tokens.div_ceil(self.block_size.get()) as usize;
        while seq.blocks.len() < need {
            match self.kv.allocate() {
                Some(key) => seq.blocks.push(key),
                None => return false,
            }
        }
        true
    }

    /// Frees a running sequence's blocks and sends it back to the head of the queue to recompute;
    /// a sequence that alone outgrows the whole cache is ended instead.
    fn preempt(&mut self, slot: usize, budget: &mut u32, now: Duration) {
        if let Some(pos) = self.scheduled.iter().position(|s| s.slot == slot) {
            *budget += self.scheduled.remove(pos).tokens;
        }
        self.release_blocks(slot);
        self.counters.preemptions_total += 1;
        self.out.preemptions += 1;
        let Some(seq) = self.slots[slot].as_mut() else {
            return;
        };
        seq.computed = 0;
        seq.decoding = false;
        let needed = (seq.len() + 1).div_ceil(self.block_size.get()) as usize;
        if needed > self.kv.capacity() {
            self.counters.requests_truncated_total += 1;
            self.finish(slot, now);
        } else {
            self.waiting.push_front(slot);
        }
    }

    fn release_blocks(&mut self, slot: usize) {
        let Some(seq) = self.slots[slot].as_mut() else {
            return;
        };
        // Tail first, so a prompt's later blocks are evicted before its head.
        for key in seq.blocks.drain(..).rev() {
            self.kv.release(key);
        }
        seq.promoted = 0;
    }

    /// Ends a request at `at`: releases its blocks and emits `Finished`.
    fn finish(&mut self, slot: usize, at: Duration) {
        self.release_blocks(slot);
        let Some(seq) = self.remove(slot) else { return };
        let scheduled = seq.first_scheduled.unwrap_or(at);
        let first_token = seq.first_token.unwrap_or(at);
        let timings = ServerTimings {
            worker_id: self.worker_id,
            queue_wait: scheduled.saturating_sub(seq.arrival),
            prefill: first_token.saturating_sub(scheduled),
            cached_tokens: seq.cached_tokens,
            prompt_tokens: seq.prompt_len,
        };
        self.out.events.push((
            seq.id,
            GenerateEvent::Finished {
                reason: FinishReason::Length,
                timings,
            },
        ));
    }

    fn remove(&mut self, slot: usize) -> Option<Sequence> {
        let seq = self.slots[slot].take()?;
        self.index.remove(&seq.id);
        self.free_slots.push(slot);
        Some(seq)
    }
}
