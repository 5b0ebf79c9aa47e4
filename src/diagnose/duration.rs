//! The Go durations of log lines (`token is expired by 25m6s`) and of `--since`, read with the
//! crate's one Go-duration parser ([`crate::duration`]).

pub use crate::duration::{parse_seconds as parse_go_duration, prefix as duration_prefix};
