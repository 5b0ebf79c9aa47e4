//! One log line taken apart: the `kubectl logs --prefix` pod and container, and the time it was
//! written, from whichever timestamp the line carries (kubectl `--timestamps`, Harbor's own
//! `2023-10-12T07:10:59Z [ERROR] …`, logrus `time="…"` of the registry, the database's
//! `2024-06-01 10:00:00.123 UTC`).

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, PrimitiveDateTime};

/// What the front of a line says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineHead<'a> {
    /// The pod of a `[pod/NAME/CONTAINER] ` prefix.
    pub pod: Option<&'a str>,
    /// The container of that prefix.
    pub container: Option<&'a str>,
    /// When the line was written, if it says.
    pub time: Option<OffsetDateTime>,
}

/// Takes a line apart; never fails (a line with nothing recognisable has no pod and no time).
pub fn parse_head(line: &str) -> LineHead<'_> {
    let mut rest = line;
    let mut pod = None;
    let mut container = None;
    if let Some(after) = rest.strip_prefix("[pod/") {
        if let Some(close) = after.find("] ") {
            if let Some((p, c)) = after[..close].split_once('/') {
                pod = Some(p);
                container = Some(c);
                rest = &after[close + 2..];
            }
        }
    }
    let time = leading_rfc3339(rest)
        .or_else(|| logrus_time(rest))
        .or_else(|| postgres_time(rest));
    LineHead {
        pod,
        container,
        time,
    }
}

/// An RFC 3339 timestamp at the start (kubectl `--timestamps`, then Harbor's own format).
fn leading_rfc3339(text: &str) -> Option<OffsetDateTime> {
    let first = text.split([' ', '\t']).next()?;
    if !first.as_bytes().first().is_some_and(u8::is_ascii_digit) || !first.contains('T') {
        return None;
    }
    OffsetDateTime::parse(first, &Rfc3339).ok()
}

/// logrus text format: `time="2024-06-01T10:00:00.123456789Z" level=error msg=…`.
fn logrus_time(text: &str) -> Option<OffsetDateTime> {
    let start = text.find("time=\"")? + "time=\"".len();
    let end = text[start..].find('"')? + start;
    OffsetDateTime::parse(&text[start..end], &Rfc3339).ok()
}

/// The database's (`PostgreSQL`) default `log_line_prefix`: `2024-06-01 10:00:00.123 UTC [42] FATAL: …`.
fn postgres_time(text: &str) -> Option<OffsetDateTime> {
    let head = text.get(..19)?;
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let at = PrimitiveDateTime::parse(head, &format).ok()?;
    let after = &text[19..];
    let after = after.strip_prefix('.').map_or(after, |r| {
        r.trim_start_matches(|c: char| c.is_ascii_digit())
    });
    // Only UTC is certain; another zone name would need a table.
    after.starts_with(" UTC").then(|| at.assume_utc())
}

/// RFC 3339 text of a time, whole seconds unless it has a fraction.
pub fn format_time(t: OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> OffsetDateTime {
        OffsetDateTime::parse(text, &Rfc3339).expect("time")
    }

    #[test]
    fn harbor_format() {
        let h = parse_head("2023-10-12T07:10:59Z [ERROR] [/pkg/token/token.go:66]: parse token error, token is not valid yet");
        assert_eq!(h.time, Some(at("2023-10-12T07:10:59Z")));
        assert_eq!(h.pod, None);
    }

    #[test]
    fn kubectl_prefix_and_timestamps() {
        let h = parse_head("[pod/harbor-core-7d9c/core] 2024-06-03T08:15:02.123456789Z 2024-06-03T08:15:02Z [ERROR] x");
        assert_eq!(h.pod, Some("harbor-core-7d9c"));
        assert_eq!(h.container, Some("core"));
        assert_eq!(h.time, Some(at("2024-06-03T08:15:02.123456789Z")));
    }

    #[test]
    fn registry_logrus_and_postgres() {
        let h = parse_head(
            r#"time="2024-06-03T08:15:02.5Z" level=error msg="error authenticating user \"harbor_registry_user\": authentication failure""#,
        );
        assert_eq!(h.time, Some(at("2024-06-03T08:15:02.5Z")));
        let h = parse_head(
            r#"2024-06-03 08:15:02.512 UTC [88] FATAL:  password authentication failed for user "postgres""#,
        );
        assert_eq!(h.time, Some(at("2024-06-03T08:15:02Z")));
    }

    #[test]
    fn nothing_recognisable() {
        let h = parse_head(r#"Response: {"error":"invalid_grant"}"#);
        assert_eq!(
            h,
            LineHead {
                pod: None,
                container: None,
                time: None
            }
        );
        let h = parse_head("[pod/broken prefix");
        assert_eq!(h.pod, None);
    }
}
