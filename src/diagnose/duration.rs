//! Go's `time.Duration` text (`25m6s`, `309h12m44s`, `1.5s`, `500ms`): what golang-jwt v4 prints
//! after `token is expired by`, and what `--since` accepts.

/// Seconds in a Go duration such as `25m6s`, `1h0m0.5s`, `750ms`, `-3s`; `None` when `text` is
/// not one.
pub fn parse_go_duration(text: &str) -> Option<f64> {
    let (negative, mut rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest == "0" {
        return Some(0.0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let number: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += number * scale;
        rest = &rest[unit_len..];
    }
    Some(if negative { -total } else { total })
}

/// The longest prefix of `text` that is a Go duration (`25m6s` of `25m6s, more`).
pub fn duration_prefix(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == 'µ' || c == 'μ'))
        .unwrap_or(text.len());
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_golang_jwt_prints() {
        assert_eq!(parse_go_duration("25m6s"), Some(1506.0));
        assert_eq!(
            parse_go_duration("309h12m44s"),
            Some(309.0 * 3600.0 + 12.0 * 60.0 + 44.0)
        );
        assert_eq!(parse_go_duration("1.5s"), Some(1.5));
        assert_eq!(parse_go_duration("500ms"), Some(0.5));
        assert_eq!(parse_go_duration("0"), Some(0.0));
        assert!(parse_go_duration("2µs").is_some_and(|s| (s - 2e-6).abs() < 1e-12));
        assert_eq!(parse_go_duration("1d"), None);
        assert_eq!(parse_go_duration(""), None);
        assert_eq!(parse_go_duration("h"), None);
    }

    #[test]
    fn prefix_stops_at_punctuation() {
        assert_eq!(duration_prefix("25m6s, more"), "25m6s");
        assert_eq!(duration_prefix("3.2s\""), "3.2s");
    }
}
