//! The `harbor-upgrade` binary: parse arguments, run, map the result to an exit status
//! (0 clean, 1 findings at or above `--fail-on`, 2 the tool could not do its job).

use std::process::ExitCode;

use clap::FromArgMatches as _;
use harbor_upgrade::{cli::Cli, redact::clean_message, Outcome};

fn main() -> ExitCode {
    let program = std::env::args_os().next();
    // Helm's plugin runner names the plugin it runs.
    let helm_plugin = std::env::var_os("HELM_PLUGIN_NAME").is_some_and(|n| n == "harbor-upgrade");
    let parsed = harbor_upgrade::cli::command_for(program.as_deref(), helm_plugin)
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) if helm_plugin => cli.with_helm_environment(&helm_environment()),
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version print to stdout and succeed; usage errors exit 2.
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match harbor_upgrade::run(cli) {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::Findings) => ExitCode::from(1),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // Errors quote input (a malformed line, a kubeconfig, a plugin's output): masked and
            // escaped like it.
            let (headline, causes) = harbor_upgrade::error_lines(&e);
            eprintln!("error: {}", clean_message(&headline));
            for cause in causes {
                eprintln!("caused by: {}", clean_message(&cause));
            }
            ExitCode::from(2)
        }
    }
}

/// Helm's namespace and context when Helm runs this binary as its plugin.
fn helm_environment() -> harbor_upgrade::cli::HelmEnvironment {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    harbor_upgrade::cli::HelmEnvironment {
        namespace: var("HELM_NAMESPACE"),
        context: var("HELM_KUBECONTEXT"),
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}
