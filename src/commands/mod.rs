//! One file per subcommand: glue between parsed arguments and the library, no domain logic.

mod clock_check;
mod clock_measure;
mod cluster;
mod completions;
mod config;
mod diagnose;
mod inputs;
mod keys_backup;
mod keys_diff;
mod keys_edit;
mod keys_generate;
mod keys_inspect;
mod keys_reset;
mod keys_restore;
mod keys_rollback;
mod keys_rotate;
mod live;
mod preflight_check;
mod preflight_explain;
mod preflight_rules;
mod upgrade;
mod verify;
mod version;

use std::io::{IsTerminal, Write};

/// The fields `keys reset` blanks: `--only token`, then `--only internal`.
pub use keys_reset::{INTERNAL_FIELDS, TOKEN_FIELDS};

use crate::cli::{ClockCommand, ColorChoice, Command, KeysCommand, PreflightCommand};
use crate::report::Style;

/// What a command tells `main` about how the run went (errors are `Err`, exit status 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing at or above `--fail-on`: exit 0.
    Clean,
    /// Findings at or above `--fail-on`: exit 1.
    Findings,
}

/// Runs one parsed command line.
pub fn dispatch(command: Command, color: ColorChoice) -> anyhow::Result<Outcome> {
    let style = Style {
        color: use_color(color),
    };
    match command {
        Command::Preflight(PreflightCommand::Check(args)) => preflight_check::run(&args, style),
        Command::Preflight(PreflightCommand::Rules(args)) => preflight_rules::run(&args),
        Command::Preflight(PreflightCommand::Explain(args)) => preflight_explain::run(&args),
        Command::Keys(KeysCommand::Inspect(args)) => keys_inspect::run(&args),
        Command::Keys(KeysCommand::Backup(args)) => keys_backup::run(&args),
        Command::Keys(KeysCommand::Restore(args)) => keys_restore::run(&args),
        Command::Keys(KeysCommand::Diff(args)) => keys_diff::run(&args),
        Command::Keys(KeysCommand::Reset(args)) => keys_reset::run(&args),
        Command::Keys(KeysCommand::Rollback(args)) => keys_rollback::run(&args),
        Command::Keys(KeysCommand::Rotate(args)) => keys_rotate::run(&args),
        Command::Keys(KeysCommand::Generate(args)) => keys_generate::run(&args),
        Command::Clock(ClockCommand::Check(args)) => clock_check::run(&args, style),
        Command::Diagnose(args) => diagnose::run(&args, style),
        Command::Upgrade(args) => upgrade::run(&args, style),
        Command::Verify(args) => verify::run(&args, style),
        Command::Completions(args) => completions::run_completions(&args),
        Command::Man => completions::run_man(),
        Command::Version(args) => version::run(&args),
    }
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var("TERM").map_or(true, |t| t != "dumb")
                && std::io::stdout().is_terminal()
        }
    }
}

/// Writes a command's result to stdout in one go, through the last gate of
/// [`crate::redact::clean_output`] (control characters escaped).
pub(crate) fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(crate::redact::clean_output(text).as_bytes())?;
    out.flush()?;
    Ok(())
}

/// How a report is printed and judged: the format, `--fail-on` and the rule choices.
pub(crate) struct Emit<'a> {
    /// `-o`.
    pub format: crate::cli::OutputFormat,
    /// `--fail-on` as given.
    pub fail_on: Option<crate::cli::FailOn>,
    /// `--select`, `--ignore`, `--config` …
    pub rules: &'a crate::cli::RuleArgs,
    /// Colours.
    pub style: Style,
}

/// Applies the rule choices (flags, configuration file, inline comments) to a report, prints
/// it in the chosen format; the outcome follows `--fail-on`.
pub(crate) fn emit_report(
    mut report: crate::report::Report,
    sources: &crate::values::Sources,
    how: &Emit<'_>,
) -> anyhow::Result<Outcome> {
    use crate::cli::{FailOn, OutputFormat};
    use crate::report::{
        render_github, render_json, render_junit, render_markdown, render_sarif, render_text,
    };
    let (choice, fail_on) = config::resolve(how.rules, how.fail_on, FailOn::Error)?;
    choice.check_inline(sources)?;
    choice.apply(&mut report, sources);
    report.show_suppressed = how.rules.show_suppressed;
    let report = &report;
    let text = match how.format {
        OutputFormat::Text => render_text(report, sources, how.style),
        OutputFormat::Json => render_json(report, sources),
        OutputFormat::Sarif => render_sarif(report, sources),
        OutputFormat::Junit => render_junit(report, sources, threshold(fail_on)),
        OutputFormat::Github => render_github(report, sources),
        OutputFormat::Markdown => render_markdown(report, sources),
    };
    print(&text)?;
    Ok(outcome(report, fail_on))
}

/// The severity `--fail-on` names (`None`: never fail).
fn threshold(fail_on: crate::cli::FailOn) -> Option<crate::report::Severity> {
    use crate::cli::FailOn;
    use crate::report::Severity;
    match fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Never => None,
    }
}

/// `Findings` when the worst finding is at or above `--fail-on`.
pub(crate) fn outcome(report: &crate::report::Report, fail_on: crate::cli::FailOn) -> Outcome {
    match (threshold(fail_on), report.worst()) {
        (Some(t), Some(worst)) if worst >= t => Outcome::Findings,
        _ => Outcome::Clean,
    }
}
