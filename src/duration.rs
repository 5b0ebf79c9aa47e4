//! Go's `time.Duration` text, the one parser and formatter of the crate: what kubectl takes for
//! `--request-timeout`, what golang-jwt prints after `token is expired by`, what `--since`
//! accepts, and how the tool prints a timeout back.
//!
//! The grammar is `time.ParseDuration`'s: `[-+]?([0-9]*(\.[0-9]*)?(ns|us|µs|μs|ms|s|m|h))+` or a
//! bare `0`, counted in whole nanoseconds in an `i64` (overflow is an error, not a wrap), with
//! Go's exact arithmetic for fractions (`0.3333333333333333333h` is 20 minutes, not a float
//! approximation). [`GoDuration`]'s `Display` is `Duration.String` byte for byte (`1h0m0s`,
//! `1.5s`, `300ms`, `1.1µs`, `0s`).
//!
//! Why not a crate already in the tree: `kube_core::Duration` parses with `f64` arithmetic,
//! accepts `""` and `-`, does not detect overflow and prints `std::time::Duration`'s `Debug`
//! (`9900s` for `2h45m0s`); jiff's "friendly" format also accepts `1 hour`, `2d` and spaces,
//! and refuses fractions outside the last unit (`1.5h30m`), so neither is Go's grammar.

use std::fmt;
use std::str::FromStr;

/// A Go `time.Duration`: signed nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct GoDuration(i64);

/// Why a text is not a Go duration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Not the grammar: empty, no number, a number without a unit.
    #[error("not a duration: expected a number and a unit such as `300ms`, `1.5h`, `2h45m`")]
    Invalid,
    /// A unit Go does not know (`1d`, `5sec`).
    #[error("unknown unit `{0}`: expected one of ns, us, µs, ms, s, m, h")]
    UnknownUnit(String),
    /// More than `i64::MAX` nanoseconds (about 292 years).
    #[error("out of range: at most 2562047h47m16.854775807s")]
    Overflow,
}

const NANOSECOND: u64 = 1;
const MICROSECOND: u64 = 1_000;
const MILLISECOND: u64 = 1_000_000;
const SECOND: u64 = 1_000_000_000;
const MINUTE: u64 = 60 * SECOND;
const HOUR: u64 = 60 * MINUTE;
/// `1 << 63`: the magnitude of `i64::MIN`, the largest a negative duration may reach.
const LIMIT: u64 = 1 << 63;

fn unit(name: &str) -> Option<u64> {
    Some(match name {
        "ns" => NANOSECOND,
        // U+00B5 micro sign and U+03BC Greek small letter mu, as Go accepts both
        "us" | "\u{b5}s" | "\u{3bc}s" => MICROSECOND,
        "ms" => MILLISECOND,
        "s" => SECOND,
        "m" => MINUTE,
        "h" => HOUR,
        _ => return None,
    })
}

/// The leading `[0-9]*` of `s` as an integer, and the rest; `Err` past `1 << 63`.
fn leading_int(s: &str) -> Result<(u64, &str), ParseError> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let mut x: u64 = 0;
    for b in s[..end].bytes() {
        if x > LIMIT / 10 {
            return Err(ParseError::Overflow);
        }
        x = x * 10 + u64::from(b - b'0');
        if x > LIMIT {
            return Err(ParseError::Overflow);
        }
    }
    Ok((x, &s[end..]))
}

/// The leading `[0-9]*` of a fraction: its digits as an integer (as many as fit), the power of
/// ten they are scaled by, and the rest. Digits past what fits are read and dropped, as Go does.
fn leading_fraction(s: &str) -> (u64, f64, &str) {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let mut x: u64 = 0;
    let mut scale = 1.0;
    let mut overflow = false;
    for b in s[..end].bytes() {
        if overflow {
            continue;
        }
        if x > (LIMIT - 1) / 10 {
            overflow = true;
            continue;
        }
        let y = x * 10 + u64::from(b - b'0');
        if y > LIMIT {
            overflow = true;
            continue;
        }
        x = y;
        scale *= 10.0;
    }
    (x, scale, &s[end..])
}

impl FromStr for GoDuration {
    type Err = ParseError;

    /// `time.ParseDuration`.
    fn from_str(text: &str) -> Result<Self, ParseError> {
        let (negative, mut s) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        if s == "0" {
            return Ok(Self(0));
        }
        if s.is_empty() {
            return Err(ParseError::Invalid);
        }
        let mut total: u64 = 0;
        while !s.is_empty() {
            if !s.starts_with(|c: char| c == '.' || c.is_ascii_digit()) {
                return Err(ParseError::Invalid);
            }
            let before = s.len();
            let (whole, rest) = leading_int(s)?;
            s = rest;
            let pre = s.len() != before;
            let (mut fraction, mut scale, mut post) = (0, 1.0, false);
            if let Some(rest) = s.strip_prefix('.') {
                let before = rest.len();
                (fraction, scale, s) = leading_fraction(rest);
                post = s.len() != before;
            }
            if !pre && !post {
                return Err(ParseError::Invalid);
            }
            let unit_len = s
                .find(|c: char| c == '.' || c.is_ascii_digit())
                .unwrap_or(s.len());
            if unit_len == 0 {
                return Err(ParseError::Invalid);
            }
            let name = &s[..unit_len];
            s = &s[unit_len..];
            let unit = unit(name).ok_or_else(|| ParseError::UnknownUnit(name.to_string()))?;
            if whole > LIMIT / unit {
                return Err(ParseError::Overflow);
            }
            let mut v = whole * unit;
            if fraction > 0 {
                // Go: "float64 is needed to be nanosecond accurate for fractions of hours";
                // the product is at most 3.6e12 (ns in an hour), so the cast cannot truncate.
                #[allow(
                    clippy::cast_precision_loss,
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss
                )]
                let part = (fraction as f64 * (unit as f64 / scale)) as u64;
                v += part;
                if v > LIMIT {
                    return Err(ParseError::Overflow);
                }
            }
            total = total.checked_add(v).ok_or(ParseError::Overflow)?;
            if total > LIMIT {
                return Err(ParseError::Overflow);
            }
        }
        if negative {
            // total ≤ 1 << 63, so the negation fits (1 << 63 is i64::MIN).
            return Ok(Self(0i64.wrapping_sub_unsigned(total)));
        }
        i64::try_from(total)
            .map(Self)
            .map_err(|_| ParseError::Overflow)
    }
}

/// Writes `v / 10^precision`'s fraction (`.25`) without trailing zeros, nothing for a whole
/// number, and returns the integer part: Go's `fmtFrac`.
fn push_fraction(out: &mut Vec<u8>, mut v: u64, precision: u32) -> u64 {
    let mut printed = false;
    for _ in 0..precision {
        let digit = v % 10;
        printed = printed || digit != 0;
        if printed {
            out.push(b'0' + u8::try_from(digit).unwrap_or(0));
        }
        v /= 10;
    }
    if printed {
        out.push(b'.');
    }
    v
}

/// Writes the decimal digits of `v` (reversed, like the rest of the buffer): Go's `fmtInt`.
fn push_int(out: &mut Vec<u8>, mut v: u64) {
    loop {
        out.push(b'0' + u8::try_from(v % 10).unwrap_or(0));
        v /= 10;
        if v == 0 {
            break;
        }
    }
}

impl fmt::Display for GoDuration {
    /// `Duration.String`: `72h3m0.5s`, `1.5s`, `300ms`, `1.1µs`, `0s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Built back to front, as Go does, then reversed.
        let mut out: Vec<u8> = Vec::with_capacity(32);
        let mut u = self.0.unsigned_abs();
        if u < SECOND {
            out.push(b's');
            let precision = match u {
                0 => return f.write_str("0s"),
                u if u < MICROSECOND => {
                    out.push(b'n');
                    0
                }
                u if u < MILLISECOND => {
                    // "µ" (U+00B5) is 0xC2 0xB5, pushed reversed
                    out.extend_from_slice(&[0xb5, 0xc2]);
                    3
                }
                _ => {
                    out.push(b'm');
                    6
                }
            };
            u = push_fraction(&mut out, u, precision);
            push_int(&mut out, u);
        } else {
            out.push(b's');
            u = push_fraction(&mut out, u, 9);
            push_int(&mut out, u % 60);
            u /= 60;
            if u > 0 {
                out.push(b'm');
                push_int(&mut out, u % 60);
                u /= 60;
                if u > 0 {
                    out.push(b'h');
                    push_int(&mut out, u);
                }
            }
        }
        if self.0 < 0 {
            out.push(b'-');
        }
        out.reverse();
        f.write_str(std::str::from_utf8(&out).map_err(|_| fmt::Error)?)
    }
}

impl GoDuration {
    /// `nanos` nanoseconds.
    #[must_use]
    pub const fn from_nanos(nanos: i64) -> Self {
        Self(nanos)
    }

    /// The duration in nanoseconds.
    #[must_use]
    pub const fn as_nanos(self) -> i64 {
        self.0
    }

    /// The duration in seconds, as a float (`Duration.Seconds`).
    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }

    /// Whether the duration is below zero.
    #[must_use]
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// A `std::time::Duration` (`None` below zero).
    #[must_use]
    pub fn to_std(self) -> Option<std::time::Duration> {
        u64::try_from(self.0)
            .ok()
            .map(std::time::Duration::from_nanos)
    }

    /// From a `std::time::Duration`, saturating at Go's largest duration.
    #[must_use]
    pub fn from_std(d: std::time::Duration) -> Self {
        Self(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
    }

    /// [`Display`](fmt::Display) without the zero units Go writes after the last non-zero one:
    /// `2m` for `2m0s`, `1h` for `1h0m0s`, `1h30m` for `1h30m0s`; still a valid Go duration,
    /// for messages that quote a limit the user gave.
    #[must_use]
    pub fn short(self) -> String {
        let mut text = self.to_string();
        for zero in ["0s", "0m"] {
            if text.len() > zero.len() && text.ends_with(zero) {
                let cut = text.len() - zero.len();
                if text[..cut].ends_with(['m', 'h']) {
                    text.truncate(cut);
                }
            }
        }
        text
    }
}

/// The longest prefix of `text` that may be a Go duration (`25m6s` of `25m6s, more`): digits,
/// letters, `.`, `µ` and `μ`.
pub fn prefix(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == 'µ' || c == 'μ'))
        .unwrap_or(text.len());
    &text[..end]
}

/// Seconds in a Go duration (`25m6s` → 1506.0), `None` when `text` is not one.
pub fn parse_seconds(text: &str) -> Option<f64> {
    text.parse::<GoDuration>().ok().map(GoDuration::as_secs_f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NS: i64 = 1;
    const US: i64 = 1_000;
    const MS: i64 = 1_000_000;
    const S: i64 = 1_000_000_000;
    const M: i64 = 60 * S;
    const H: i64 = 60 * M;

    fn parse(text: &str) -> Result<i64, ParseError> {
        text.parse::<GoDuration>().map(GoDuration::as_nanos)
    }

    /// Go's `parseDurationTests` (`time/time_test.go`), every row.
    #[test]
    fn parses_what_go_parses() {
        let table: &[(&str, i64)] = &[
            ("0", 0),
            ("5s", 5 * S),
            ("30s", 30 * S),
            ("1478s", 1478 * S),
            ("-5s", -5 * S),
            ("+5s", 5 * S),
            ("-0", 0),
            ("+0", 0),
            ("5.0s", 5 * S),
            ("5.6s", 5 * S + 600 * MS),
            ("5.s", 5 * S),
            (".5s", 500 * MS),
            ("1.0s", S),
            ("1.00s", S),
            ("1.004s", S + 4 * MS),
            ("1.0040s", S + 4 * MS),
            ("100.00100s", 100 * S + MS),
            ("10ns", 10 * NS),
            ("11us", 11 * US),
            ("12µs", 12 * US),
            ("12μs", 12 * US),
            ("13ms", 13 * MS),
            ("14s", 14 * S),
            ("15m", 15 * M),
            ("16h", 16 * H),
            ("3h30m", 3 * H + 30 * M),
            ("10.5s4m", 4 * M + 10 * S + 500 * MS),
            ("-2m3.4s", -(2 * M + 3 * S + 400 * MS)),
            (
                "1h2m3s4ms5us6ns",
                H + 2 * M + 3 * S + 4 * MS + 5 * US + 6 * NS,
            ),
            ("39h9m14.425s", 39 * H + 9 * M + 14 * S + 425 * MS),
            ("52763797000ns", 52_763_797_000 * NS),
            ("0.3333333333333333333h", 20 * M),
            ("9007199254740993ns", (1 << 53) + 1),
            ("9223372036854775807ns", i64::MAX),
            ("9223372036854775.807us", i64::MAX),
            ("9223372036s854ms775us807ns", i64::MAX),
            ("-9223372036854775808ns", i64::MIN),
            ("-9223372036854775.808us", i64::MIN),
            ("-9223372036s854ms775us808ns", i64::MIN),
            ("-2562047h47m16.854775808s", i64::MIN),
            ("0.100000000000000000000h", 6 * M),
            (
                "0.830103483285477580700h",
                49 * M + 48 * S + 372_539_827 * NS,
            ),
            // the grammar examples of the `time.ParseDuration` documentation
            ("300ms", 300 * MS),
            ("-1.5h", -(H + 30 * M)),
            ("2h45m", 2 * H + 45 * M),
        ];
        for &(text, want) in table {
            assert_eq!(parse(text), Ok(want), "{text}");
        }
    }

    /// Go's `parseDurationErrorTests`.
    #[test]
    fn refuses_what_go_refuses() {
        for text in [
            "",
            "3",
            "-",
            "s",
            ".",
            "-.",
            ".s",
            "+.s",
            "1d",
            "\u{85}\u{85}",
            "\u{ff}ff",
            "hello \u{ff}ff world",
            "\u{fffd}",
            "\u{fffd} hello \u{fffd} world",
            "9223372036854775810ns",
            "9223372036854775808ns",
            "-9223372036854775809ns",
            "9223372036854776us",
            "3000000h",
            "9223372036854775.808us",
            "9223372036854ms775us808ns",
            // and what the hand-written parsers of this crate used to refuse
            "1.2.3s",
            "10x",
            "h",
        ] {
            assert!(parse(text).is_err(), "{text:?} parsed");
        }
        assert_eq!(parse("1d"), Err(ParseError::UnknownUnit("d".into())));
        assert_eq!(parse("3000000h"), Err(ParseError::Overflow));
    }

    /// Go's `durationTests`: `Duration.String`, and parsing the text gives the value back.
    #[test]
    fn prints_what_go_prints() {
        let table: &[(&str, i64)] = &[
            ("0s", 0),
            ("1ns", NS),
            ("1.1µs", 1100 * NS),
            ("2.2ms", 2200 * US),
            ("3.3s", 3300 * MS),
            ("4m5s", 4 * M + 5 * S),
            ("4m5.001s", 4 * M + 5001 * MS),
            ("5h6m7.001s", 5 * H + 6 * M + 7001 * MS),
            ("8m0.000000001s", 8 * M + NS),
            ("2562047h47m16.854775807s", i64::MAX),
            ("-2562047h47m16.854775808s", i64::MIN),
            ("1h0m0s", H),
            ("-1.5s", -1500 * MS),
        ];
        for &(want, nanos) in table {
            let d = GoDuration::from_nanos(nanos);
            assert_eq!(d.to_string(), want, "{nanos}");
            assert_eq!(want.parse::<GoDuration>(), Ok(d), "{want}");
        }
    }

    #[test]
    fn short_drops_trailing_zero_units() {
        let short = |nanos| GoDuration::from_nanos(nanos).short();
        assert_eq!(short(2 * M), "2m");
        assert_eq!(short(H), "1h");
        assert_eq!(short(H + 30 * M), "1h30m");
        assert_eq!(short(H + 30 * S), "1h0m30s");
        assert_eq!(short(2 * S), "2s");
        assert_eq!(short(0), "0s");
        assert_eq!(short(10 * S), "10s");
        assert_eq!(short(300 * MS), "300ms");
    }

    #[test]
    fn converts_to_and_from_std() {
        let d: GoDuration = "1m30s".parse().unwrap();
        assert_eq!(d.to_std(), Some(std::time::Duration::from_secs(90)));
        assert_eq!("-1s".parse::<GoDuration>().unwrap().to_std(), None);
        assert_eq!(
            GoDuration::from_std(std::time::Duration::from_secs(u64::MAX)),
            GoDuration::from_nanos(i64::MAX)
        );
        assert_eq!(parse_seconds("25m6s"), Some(1506.0));
        assert_eq!(parse_seconds("500ms"), Some(0.5));
        // what golang-jwt v4 prints after `token is expired by`
        assert_eq!(parse_seconds("309h12m44s"), Some(1_113_164.0));
        assert_eq!(parse_seconds("1d"), None);
    }

    #[test]
    fn prefix_stops_at_punctuation() {
        assert_eq!(prefix("25m6s, more"), "25m6s");
        assert_eq!(prefix("3.2s\""), "3.2s");
        assert_eq!(prefix("2µs)"), "2µs");
    }
}
