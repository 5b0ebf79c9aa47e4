//! Progress on stderr for the steps that take long (RSA key generation, cluster reads, clock
//! sampling): a spinner or a counter, drawn only when stderr is a terminal and `TERM` is not
//! `dumb`, cleared when the step ends. Pipes, files and CI logs get nothing, so the output
//! stays what the commands document.

use std::borrow::Cow;
use std::io::IsTerminal as _;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// One long step; the line disappears when it is dropped.
pub struct Step(Option<ProgressBar>);

/// Whether progress is drawn at all.
fn shown() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

impl Step {
    /// A spinner with a message, for a step of unknown length.
    pub fn spinner(message: impl Into<Cow<'static, str>>) -> Step {
        if !shown() {
            return Step(None);
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(message);
        bar.enable_steady_tick(Duration::from_millis(120));
        Step(Some(bar))
    }

    /// A counter of `total` items, for a step made of parts.
    pub fn counter(message: impl Into<Cow<'static, str>>, total: u64) -> Step {
        if !shown() {
            return Step(None);
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} {pos}/{len} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(message);
        bar.enable_steady_tick(Duration::from_millis(120));
        Step(Some(bar))
    }

    /// One more part done.
    pub fn inc(&self) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
        }
    }
}

impl Drop for Step {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
