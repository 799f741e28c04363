//! Parsers for command-line values that shape requests: AIPerf's `--extra-inputs` and
//! `-H/--header`.

use http::{HeaderName, HeaderValue};
use serde_json::{Map, Number, Value};

/// A command-line value that could not be parsed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RequestOptionError {
    /// An `--extra-inputs` item is neither a JSON object nor `key:value` pairs.
    #[error("invalid --extra-inputs item {item:?}: {reason}")]
    ExtraInput {
        /// The item as given.
        item: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A `--header` value is not `Name: value` with a valid name and value.
    #[error("invalid --header {item:?}: {reason}")]
    Header {
        /// The value as given, a secret header's value redacted.
        item: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Parses `--extra-inputs` items into the JSON object merged into every request body.
///
/// Each item is either
/// - a JSON object (`'{"nvext": {"ignore_eos": true}}'`), whose keys are merged in, or
/// - one or more comma-separated `key:value` pairs (`ignore_eos:true,min_tokens:100`), split at the
///   first colon, with AIPerf's value inference: `true`/`false` (any case) are booleans,
///   `none`/`null` is null, integers without leading zeros are integers, numbers with one `.` are
///   floats, anything else is a string. Beyond AIPerf, a value starting with `{`, `[` or `"` is a
///   JSON literal running to the end of the item (`nvext:{"ignore_eos":true}`).
///
/// Later items override earlier ones key by key (a shallow merge, as in AIPerf).
///
/// # Errors
/// [`RequestOptionError::ExtraInput`] naming the item: invalid JSON, a JSON value that is not an object, a pair
/// without a colon, or an empty key.
pub fn parse_extra_inputs(items: &[String]) -> Result<Map<String, Value>, RequestOptionError> {
    let mut out = Map::new();
    for item in items {
        let fail = |reason: String| RequestOptionError::ExtraInput {
            item: item.clone(),
            reason,
        };
        let trimmed = item.trim();
        if trimmed.starts_with('{') {
            match serde_json::from_str::<Value>(trimmed) {
                Ok(Value::Object(map)) => out.extend(map),
                Ok(_) => return Err(fail("expected a JSON object".to_owned())),
                Err(e) => return Err(fail(format!("invalid JSON: {e}"))),
            }
            continue;
        }
        let mut rest = trimmed;
        loop {
            let Some((key, value)) = rest.split_once(':') else {
                return Err(fail(format!("expected key:value, got {rest:?}")));
            };
            let key = key.trim();
            if key.is_empty() {
                return Err(fail("empty key".to_owned()));
            }
            let value = value.trim_start();
            if value.starts_with(['{', '[', '"']) {
                let json = serde_json::from_str::<Value>(value)
                    .map_err(|e| fail(format!("invalid JSON value for {key}: {e}")))?;
                out.insert(key.to_owned(), json);
                break;
            }
            match value.split_once(',') {
                Some((v, tail)) => {
                    out.insert(key.to_owned(), infer_value(v.trim()));
                    rest = tail;
                }
                None => {
                    out.insert(key.to_owned(), infer_value(value.trim()));
                    break;
                }
            }
        }
    }
    Ok(out)
}

/// AIPerf's value inference for `key:value` items.
fn infer_value(s: &str) -> Value {
    let lower = s.to_ascii_lowercase();
    match lower.as_str() {
        "true" => return Value::Bool(true),
        "false" => return Value::Bool(false),
        "none" | "null" => return Value::Null,
        _ => {}
    }
    let digits = s.strip_prefix('-').unwrap_or(s);
    let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if all_digits(digits) && (!digits.starts_with('0') || digits == "0") {
        if let Ok(i) = s.parse::<i64>() {
            return Value::Number(i.into());
        }
        if let Ok(u) = s.parse::<u64>() {
            return Value::Number(u.into());
        }
        // Beyond 64 bits: keep the digits rather than lose precision.
        return Value::String(s.to_owned());
    }
    if digits.matches('.').count() == 1
        && all_digits(&digits.replace('.', ""))
        && let Some(n) = s.parse::<f64>().ok().and_then(Number::from_f64)
    {
        return Value::Number(n);
    }
    Value::String(s.to_owned())
}

/// Parses a `-H/--header` value, `Name: value` or `Name:value` (split at the first colon, both
/// sides trimmed). The values of credential headers ([`crate::redact::is_secret_header`]) are
/// marked sensitive, so their `Debug` output does not show them.
///
/// # Errors
/// [`RequestOptionError::Header`] naming the value: no colon, an empty or invalid header name, or a value with
/// characters not allowed in HTTP headers (such as a newline).
pub fn parse_header(item: &str) -> Result<(HeaderName, HeaderValue), RequestOptionError> {
    let fail = |reason: String| RequestOptionError::Header {
        item: crate::redact::redact_header_item(item),
        reason,
    };
    let (name, value) = item
        .split_once(':')
        .ok_or_else(|| fail("expected Name: value".to_owned()))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(fail("empty header name".to_owned()));
    }
    let name =
        HeaderName::from_bytes(name.as_bytes()).map_err(|e| fail(format!("bad name: {e}")))?;
    let mut value =
        HeaderValue::from_str(value.trim()).map_err(|e| fail(format!("bad value: {e}")))?;
    value.set_sensitive(crate::redact::is_secret_header(name.as_str()));
    Ok((name, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(items: &[&str]) -> Result<Value, RequestOptionError> {
        let items: Vec<String> = items.iter().map(|s| (*s).to_owned()).collect();
        parse_extra_inputs(&items).map(Value::Object)
    }

    #[test]
    fn key_value_items_infer_types_like_aiperf() {
        let v = parse(&[
            "ignore_eos:true",
            "min_tokens:100",
            "temperature:0.7",
            "flag:FALSE",
            "neg:-5",
            "negf:-0.25",
            "stop:none",
            "nul:null",
            "model:llama-3",
            "zip:007",
            "exp:1e5",
            "ver:1.2.3",
            "empty:",
            "url:http://x:80/y",
            "half:.5",
        ])
        .unwrap();
        assert_eq!(
            v,
            json!({
                "ignore_eos": true, "min_tokens": 100, "temperature": 0.7, "flag": false,
                "neg": -5, "negf": -0.25, "stop": null, "nul": null, "model": "llama-3",
                "zip": "007", "exp": "1e5", "ver": "1.2.3", "empty": "",
                "url": "http://x:80/y", "half": 0.5,
            })
        );
    }

    #[test]
    fn comma_separated_pairs_and_spaces() {
        let v = parse(&["ignore_eos:true, min_tokens : 100"]).unwrap();
        assert_eq!(v, json!({"ignore_eos": true, "min_tokens": 100}));
    }

    #[test]
    fn json_objects_and_json_values_merge_later_wins() {
        let v = parse(&[
            r#"{"nvext": {"ignore_eos": true}, "a": 1}"#,
            r#"nvext:{"agent_hints": {"osl": 200}, "x": [1, 2]}"#,
            "list:[1, 2, 3]",
            r#"quoted:"a,b:c""#,
            "a:2",
        ])
        .unwrap();
        assert_eq!(
            v,
            json!({
                "nvext": {"agent_hints": {"osl": 200}, "x": [1, 2]},
                "a": 2, "list": [1, 2, 3], "quoted": "a,b:c",
            })
        );
    }

    #[test]
    fn huge_integers_keep_their_digits() {
        let v = parse(&[
            "big:18446744073709551615",
            "bigger:123456789012345678901234567890",
        ])
        .unwrap();
        assert_eq!(
            v,
            json!({"big": 18446744073709551615u64, "bigger": "123456789012345678901234567890"})
        );
    }

    #[test]
    fn errors_name_the_item() {
        for bad in [
            "no_colon",
            ":value",
            "a:1,oops",
            "{not json",
            "[1,2]",
            "k:{broken",
            r#"{"a":1} trailing"#,
        ] {
            let err = parse(&["ok:1", bad]).unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains(&format!("{bad:?}")), "{msg}");
            assert!(msg.starts_with("invalid --extra-inputs item"), "{msg}");
        }
    }

    #[test]
    fn headers_parse_with_or_without_space() {
        let (n, v) = parse_header("Authorization: Bearer abc:def").unwrap();
        assert!(v.is_sensitive() && !format!("{v:?}").contains("abc"));
        assert!(!parse_header("X-Trace: 1").unwrap().1.is_sensitive());
        assert_eq!(n.as_str(), "authorization");
        assert_eq!(v.to_str().unwrap(), "Bearer abc:def");
        let (n, v) = parse_header("X-Request-Id:42").unwrap();
        assert_eq!((n.as_str(), v.to_str().unwrap()), ("x-request-id", "42"));
        let (_, v) = parse_header("X-Empty:").unwrap();
        assert_eq!(v.to_str().unwrap(), "");
    }

    #[test]
    fn bad_headers_name_the_value() {
        // Without a colon the name is unknown and the item may be a bare secret: not echoed.
        let err = parse_header("Bearer sk-NoColon").unwrap_err().to_string();
        assert!(
            err.contains("<redacted>") && !err.contains("sk-NoColon"),
            "{err}"
        );
        let err = parse_header("X-Api-Key: a\nb").unwrap_err().to_string();
        assert!(err.contains("X-Api-Key") && !err.contains("a\nb"), "{err}");
        for bad in [": value", "Bad Name: x", "X-A: line\nbreak", "Ünï: x"] {
            let err = parse_header(bad).unwrap_err();
            assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
        }
    }
}
