//! Library settings as command-line flags. Libraries name settings (`min_isl`) and put other
//! setting names inside their messages in backticks; a binary whose flags have the same names
//! shows them as flags (`--min-isl`).

/// The flag of a setting: `isl_osl_ratio_max` → `--isl-osl-ratio-max`.
pub fn flag(setting: &str) -> String {
    format!("--{}", setting.replace('_', "-"))
}

/// `text` with each backticked setting name (`` `request_rate_max` ``) written as its flag; other
/// backticked text (anything but lowercase letters, digits and `_`) is kept as it is.
pub fn settings_to_flags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, part) in text.split('`').enumerate() {
        let quoted = i % 2 == 1;
        let setting = !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if quoted && setting {
            out.push_str(&flag(part));
        } else if quoted {
            out.push('`');
            out.push_str(part);
            out.push('`');
        } else {
            out.push_str(part);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backticked_settings_become_flags() {
        assert_eq!(flag("isl1"), "--isl1");
        assert_eq!(
            settings_to_flags("must not exceed `request_rate_max` (8 > 5)"),
            "must not exceed --request-rate-max (8 > 5)"
        );
        assert_eq!(
            settings_to_flags("(`min_isl` none, `max_isl` 1)"),
            "(--min-isl none, --max-isl 1)"
        );
        assert_eq!(settings_to_flags("no names here"), "no names here");
        assert_eq!(settings_to_flags("keep `Odd Text`"), "keep `Odd Text`");
    }
}
