//! AIPerf's custom JSONL dataset formats: `single_turn`, `multi_turn` and `random_pool`
//! (`aiperf profile --input-file F --custom-dataset-type T`). The Mooncake format is in
//! [`crate::mooncake`].
//!
//! Checks follow AIPerf's own model validators: at least one modality (text, image, audio,
//! video) per turn or entry; `text`/`texts` (and each modality's single/list pair) not both set;
//! `timestamp` and `delay` not both set (non-zero); a `multi_turn` line has at least one turn; an
//! optional `type` key must name the format.

use std::fmt;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::error::{FieldProblem, ReadOptions, RecordErrorKind};
use crate::jsonl::{
    CheckState, FieldKind, FieldSpec, JsonlReader, JsonlRecord, JsonlWriter, diagnose_fields,
};

/// One item of a `texts`/`images`/`audios`/`videos` list: a plain string, or a named batch.
#[derive(Debug, Clone, PartialEq)]
pub enum ContentItem {
    /// A plain string.
    Plain(String),
    /// `{"name": ..., "contents": [...]}`.
    Named {
        /// Name of the field (AIPerf defaults: `text`, `image_url`, ...).
        name: String,
        /// Batched contents.
        contents: Vec<String>,
    },
}

impl Serialize for ContentItem {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Plain(s) => serializer.serialize_str(s),
            Self::Named { name, contents } => {
                let mut st = serializer.serialize_struct("Named", 2)?;
                st.serialize_field("name", name)?;
                st.serialize_field("contents", contents)?;
                st.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for ContentItem {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ItemVisitor;
        impl<'de> Visitor<'de> for ItemVisitor {
            type Value = ContentItem;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a {name, contents} object")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ContentItem, E> {
                Ok(ContentItem::Plain(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<ContentItem, E> {
                Ok(ContentItem::Plain(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ContentItem, A::Error> {
                let mut name = None;
                let mut contents = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "name" => name = Some(map.next_value::<String>()?),
                        "contents" => contents = Some(map.next_value::<Vec<String>>()?),
                        _ => {
                            map.next_value::<de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(ContentItem::Named {
                    name: name.unwrap_or_default(),
                    contents: contents.unwrap_or_default(),
                })
            }
            fn visit_seq<A: SeqAccess<'de>>(self, _seq: A) -> Result<ContentItem, A::Error> {
                Err(de::Error::invalid_type(de::Unexpected::Seq, &self))
            }
        }
        deserializer.deserialize_any(ItemVisitor)
    }
}

/// One line of an AIPerf `single_turn` file, and one turn of a `multi_turn` session.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SingleTurn {
    /// Optional `type` tag; must be `single_turn` when present on a `single_turn` line.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub record_type: Option<String>,
    /// Prompt text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Batched or named prompt texts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub texts: Option<Vec<ContentItem>>,
    /// One image (URL or data URI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images: Option<Vec<ContentItem>>,
    /// One audio clip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<String>,
    /// Audio clips.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audios: Option<Vec<ContentItem>>,
    /// One video.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video: Option<String>,
    /// Videos.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub videos: Option<Vec<ContentItem>>,
    /// Absolute send time in milliseconds (fixed schedule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<u64>,
    /// Milliseconds to wait before sending (after the previous turn of the session).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<u64>,
    /// Message role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Session the turn belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Output tokens to request (overrides `--osl`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_length: Option<u64>,
    /// Extra keys merged into the request body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Map<String, Value>>,
}

/// One line of an AIPerf `multi_turn` file: a session whose turns are sent in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MultiTurn {
    /// Optional `type` tag; must be `multi_turn` when present.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub record_type: Option<String>,
    /// Session identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// The turns, at least one.
    pub turns: Vec<SingleTurn>,
}

/// One line of an AIPerf `random_pool` file: content only, no timing (entries are sampled).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RandomPoolEntry {
    /// Optional `type` tag; must be `random_pool` when present.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub record_type: Option<String>,
    /// Prompt text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Batched or named prompt texts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub texts: Option<Vec<ContentItem>>,
    /// One image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images: Option<Vec<ContentItem>>,
    /// One audio clip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<String>,
    /// Audio clips.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audios: Option<Vec<ContentItem>>,
    /// One video.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video: Option<String>,
    /// Videos.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub videos: Option<Vec<ContentItem>>,
}

impl SingleTurn {
    /// A turn with just a prompt text.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: Some(text.into()),
            ..Self::default()
        }
    }
}

impl MultiTurn {
    /// A session with the given turns.
    pub fn new(session_id: Option<String>, turns: Vec<SingleTurn>) -> Self {
        Self {
            record_type: None,
            session_id,
            turns,
        }
    }
}

impl RandomPoolEntry {
    /// An entry with just a prompt text.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: Some(text.into()),
            ..Self::default()
        }
    }
}

/// Streaming reader of AIPerf `single_turn` JSONL.
pub type SingleTurnReader<R> = JsonlReader<R, SingleTurn>;
/// Streaming reader of AIPerf `multi_turn` JSONL.
pub type MultiTurnReader<R> = JsonlReader<R, MultiTurn>;
/// Streaming reader of AIPerf `random_pool` JSONL.
pub type RandomPoolReader<R> = JsonlReader<R, RandomPoolEntry>;
/// Streaming writer of AIPerf `single_turn` JSONL.
pub type SingleTurnWriter<W> = JsonlWriter<W, SingleTurn>;
/// Streaming writer of AIPerf `multi_turn` JSONL.
pub type MultiTurnWriter<W> = JsonlWriter<W, MultiTurn>;
/// Streaming writer of AIPerf `random_pool` JSONL.
pub type RandomPoolWriter<W> = JsonlWriter<W, RandomPoolEntry>;

const CONTENT_FIELDS: [FieldSpec; 8] = [
    FieldSpec::optional("text", FieldKind::Str),
    FieldSpec::optional("texts", FieldKind::ContentList),
    FieldSpec::optional("image", FieldKind::Str),
    FieldSpec::optional("images", FieldKind::ContentList),
    FieldSpec::optional("audio", FieldKind::Str),
    FieldSpec::optional("audios", FieldKind::ContentList),
    FieldSpec::optional("video", FieldKind::Str),
    FieldSpec::optional("videos", FieldKind::ContentList),
];

const TURN_FIELDS: [FieldSpec; 7] = [
    FieldSpec::optional("type", FieldKind::Str),
    FieldSpec::optional("timestamp", FieldKind::UInt),
    FieldSpec::optional("delay", FieldKind::UInt),
    FieldSpec::optional("role", FieldKind::Str),
    FieldSpec::optional("session_id", FieldKind::Str),
    FieldSpec::optional("output_length", FieldKind::UInt),
    FieldSpec::optional("extra", FieldKind::Object),
];

fn diagnose_turn(value: &Value, prefix: &str) -> Option<FieldProblem> {
    diagnose_fields(value, &CONTENT_FIELDS, prefix)
        .or_else(|| diagnose_fields(value, &TURN_FIELDS, prefix))
}

/// Borrowed view of the six-plus-two modality fields shared by turns and pool entries.
struct Modalities<'a> {
    pairs: [(&'static str, bool, &'static str, Option<&'a [ContentItem]>); 4],
}

impl Modalities<'_> {
    fn check(&self, prefix: &str) -> Result<(), FieldProblem> {
        for (single, single_set, list, list_value) in self.pairs {
            if single_set && list_value.is_some_and(|l| !l.is_empty()) {
                return Err(FieldProblem::new(
                    format!("{prefix}{list}"),
                    RecordErrorKind::InvalidValue,
                    format!("`{single}` and `{list}` cannot be set together"),
                ));
            }
        }
        let any = self
            .pairs
            .iter()
            .any(|(_, single_set, _, list)| *single_set || list.is_some_and(|l| !l.is_empty()));
        if !any {
            return Err(FieldProblem::new(
                format!("{prefix}text"),
                RecordErrorKind::MissingField,
                "at least one modality (text, texts, image(s), audio(s), video(s)) must be provided",
            ));
        }
        Ok(())
    }
}

fn non_empty(s: &Option<String>) -> bool {
    s.as_deref().is_some_and(|s| !s.is_empty())
}

fn check_type_tag(tag: &Option<String>, expected: &str, field: &str) -> Result<(), FieldProblem> {
    match tag.as_deref() {
        Some(t) if t != expected => Err(FieldProblem::new(
            field,
            RecordErrorKind::InvalidValue,
            format!("expected {expected:?}, found {t:?}"),
        )),
        _ => Ok(()),
    }
}

impl SingleTurn {
    fn modalities(&self) -> Modalities<'_> {
        Modalities {
            pairs: [
                (
                    "text",
                    non_empty(&self.text),
                    "texts",
                    self.texts.as_deref(),
                ),
                (
                    "image",
                    non_empty(&self.image),
                    "images",
                    self.images.as_deref(),
                ),
                (
                    "audio",
                    non_empty(&self.audio),
                    "audios",
                    self.audios.as_deref(),
                ),
                (
                    "video",
                    non_empty(&self.video),
                    "videos",
                    self.videos.as_deref(),
                ),
            ],
        }
    }

    fn check_turn(
        &self,
        prefix: &str,
        state: &mut CheckState,
        options: &ReadOptions,
        expected_type: &str,
    ) -> Result<(), FieldProblem> {
        check_type_tag(&self.record_type, expected_type, &format!("{prefix}type"))?;
        self.modalities().check(prefix)?;
        if self.timestamp.is_some_and(|t| t != 0) && self.delay.is_some_and(|d| d != 0) {
            return Err(FieldProblem::new(
                format!("{prefix}delay"),
                RecordErrorKind::InvalidValue,
                "`timestamp` and `delay` cannot be set together",
            ));
        }
        if let Some(ts) = self.timestamp {
            state.check_timestamp(
                &format!("{prefix}timestamp"),
                ts,
                options.monotonic_timestamps,
            )?;
        }
        Ok(())
    }
}

impl JsonlRecord for SingleTurn {
    const FORMAT: &'static str = "single_turn";

    fn check(&self, state: &mut CheckState, options: &ReadOptions) -> Result<(), FieldProblem> {
        let mut scratch = state.clone();
        self.check_turn("", &mut scratch, options, "single_turn")?;
        *state = scratch;
        Ok(())
    }

    fn diagnose(value: &Value) -> Option<FieldProblem> {
        diagnose_turn(value, "")
    }
}

impl JsonlRecord for MultiTurn {
    const FORMAT: &'static str = "multi_turn";

    /// Turn timestamps are checked for order within the session only.
    fn check(&self, _state: &mut CheckState, options: &ReadOptions) -> Result<(), FieldProblem> {
        check_type_tag(&self.record_type, "multi_turn", "type")?;
        if self.turns.is_empty() {
            return Err(FieldProblem::new(
                "turns",
                RecordErrorKind::MissingField,
                "at least one turn must be provided",
            ));
        }
        let mut session = CheckState::default();
        for (i, turn) in self.turns.iter().enumerate() {
            // AIPerf parses turns as SingleTurn models, whose tag defaults to single_turn.
            turn.check_turn(
                &format!("turns[{i}]."),
                &mut session,
                options,
                "single_turn",
            )?;
        }
        Ok(())
    }

    fn diagnose(value: &Value) -> Option<FieldProblem> {
        let specs = [
            FieldSpec::optional("type", FieldKind::Str),
            FieldSpec::optional("session_id", FieldKind::Str),
        ];
        if let Some(p) = diagnose_fields(value, &specs, "") {
            return Some(p);
        }
        match value.get("turns") {
            None => Some(FieldProblem::new(
                "turns",
                RecordErrorKind::MissingField,
                "missing required field",
            )),
            Some(Value::Array(turns)) => turns
                .iter()
                .enumerate()
                .find_map(|(i, t)| diagnose_turn(t, &format!("turns[{i}]."))),
            Some(other) => Some(FieldProblem::new(
                "turns",
                RecordErrorKind::InvalidValue,
                format!(
                    "expected an array of turns, found {}",
                    crate::jsonl::describe(other)
                ),
            )),
        }
    }
}

impl JsonlRecord for RandomPoolEntry {
    const FORMAT: &'static str = "random_pool";

    fn check(&self, _state: &mut CheckState, _options: &ReadOptions) -> Result<(), FieldProblem> {
        check_type_tag(&self.record_type, "random_pool", "type")?;
        Modalities {
            pairs: [
                (
                    "text",
                    non_empty(&self.text),
                    "texts",
                    self.texts.as_deref(),
                ),
                (
                    "image",
                    non_empty(&self.image),
                    "images",
                    self.images.as_deref(),
                ),
                (
                    "audio",
                    non_empty(&self.audio),
                    "audios",
                    self.audios.as_deref(),
                ),
                (
                    "video",
                    non_empty(&self.video),
                    "videos",
                    self.videos.as_deref(),
                ),
            ],
        }
        .check("")
    }

    fn diagnose(value: &Value) -> Option<FieldProblem> {
        diagnose_fields(value, &CONTENT_FIELDS, "")
            .or_else(|| diagnose_fields(value, &[FieldSpec::optional("type", FieldKind::Str)], ""))
    }
}
