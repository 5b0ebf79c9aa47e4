//! `completions SHELL` and `man`: generated from the clap command tree, so they always match
//! `--help`.

use clap::CommandFactory as _;

use super::{print, Outcome};
use crate::cli::{Cli, CompletionsArgs};

/// Prints the completion script for one shell.
pub fn run_completions(args: &CompletionsArgs) -> anyhow::Result<Outcome> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "harbor-upgrade", &mut script);
    print(&String::from_utf8(script)?)?;
    Ok(Outcome::Clean)
}

/// Prints the man page: the top-level page followed by one section per subcommand, so that
/// `man harbor-upgrade` documents every flag of every command.
pub fn run_man() -> anyhow::Result<Outcome> {
    let mut command = Cli::command();
    command.build();
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut page)?;
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        render_subcommand(sub, "harbor-upgrade", &mut page)?;
    }
    print(&String::from_utf8(page)?)?;
    Ok(Outcome::Clean)
}

/// Appends `SUBCOMMAND` sections (name, synopsis, options) for one command and its children.
fn render_subcommand(
    command: &clap::Command,
    parent: &str,
    page: &mut Vec<u8>,
) -> std::io::Result<()> {
    // `build()` gave every subcommand its full `bin_name` (`harbor-upgrade keys backup`), which
    // the synopsis prints.
    let path = format!("{parent} {}", command.get_name());
    let man = clap_mangen::Man::new(command.clone());
    page.extend_from_slice(format!(".SH \"{}\"\n", path.to_uppercase()).as_bytes());
    if let Some(about) = command.get_about() {
        page.extend_from_slice(format!("{about}\n").as_bytes());
    }
    man.render_synopsis_section(page)?;
    if command.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(page)?;
    }
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        render_subcommand(sub, &path, page)?;
    }
    Ok(())
}
