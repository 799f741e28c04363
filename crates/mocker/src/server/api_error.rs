//! OpenAI-style error responses.

use http::StatusCode;

use super::json;

/// An error answered to the client as `{"error":{"message","type","param","code"}}`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
    pub(crate) kind: &'static str,
    pub(crate) param: Option<String>,
}

impl ApiError {
    /// A 400 `invalid_request_error`.
    pub(crate) fn invalid(message: impl Into<String>, param: Option<&str>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            kind: "invalid_request_error",
            param: param.map(str::to_owned),
        }
    }

    /// An error with any status and type.
    pub(crate) fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            kind,
            param: None,
        }
    }

    /// The same error with `prefix` in front of the field it names.
    pub(crate) fn prefixed(mut self, prefix: &str) -> Self {
        self.message = self.message.replacen('\'', &format!("'{prefix}"), 1);
        self.param = self.param.map(|p| format!("{prefix}{p}"));
        self
    }

    /// The JSON body.
    pub(crate) fn body(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.message.len() + 96);
        out.extend_from_slice(br#"{"error":{"message":"#);
        out.extend_from_slice(&json::quoted(&self.message));
        out.extend_from_slice(br#","type":"#);
        out.extend_from_slice(&json::quoted(self.kind));
        out.extend_from_slice(br#","param":"#);
        match &self.param {
            Some(p) => out.extend_from_slice(&json::quoted(p)),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(br#","code":"#);
        json::push_u64(&mut out, u64::from(self.status.as_u16()));
        out.extend_from_slice(b"}}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_is_openai_shaped_json() {
        let e = ApiError::invalid("bad \"x\"", Some("x")).prefixed("nvext.");
        let v: serde_json::Value = serde_json::from_slice(&e.body()).unwrap();
        assert_eq!(v["error"]["message"], "bad \"x\"");
        assert_eq!(v["error"]["type"], "invalid_request_error");
        assert_eq!(v["error"]["param"], "nvext.x");
        assert_eq!(v["error"]["code"], 400);
    }
}
