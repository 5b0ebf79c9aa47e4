//! What operators install beside the binary: shell completions, the man page, `version`, and the
//! kubectl plugin name (`kubectl-harbor_upgrade` on `PATH` gives `kubectl harbor-upgrade`).

mod common;
mod support;

use std::process::Command;

use common::{run, Scratch};
use serde_json::Value;

/// Every subcommand path of the tool, for checks that each is covered.
const COMMANDS: &[&str] = &[
    "preflight check",
    "preflight rules",
    "preflight explain",
    "keys inspect",
    "keys backup",
    "keys restore",
    "keys diff",
    "keys reset",
    "keys rollback",
    "keys rotate",
    "keys generate",
    "clock check",
    "diagnose",
    "completions",
    "man",
    "version",
];

#[test]
fn completions_for_every_shell_name_every_command() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let r = run(&["completions", shell]);
        assert_eq!(r.status, 0, "{shell}: {}", r.stderr);
        assert!(r.stderr.is_empty(), "{shell}: {}", r.stderr);
        for command in COMMANDS {
            let last = command.rsplit(' ').next().unwrap();
            assert!(r.stdout.contains(last), "{shell} script lacks `{command}`");
        }
        // Flags of nested commands are completed too.
        assert!(
            r.stdout.contains("passphrase-file"),
            "{shell} lacks a keys backup flag"
        );
    }
}

#[test]
fn bash_completion_script_is_valid_bash_and_completes_subcommands() {
    let r = run(&["completions", "bash"]);
    let scratch = Scratch::new();
    let script = scratch.write("harbor-upgrade.bash", &r.stdout);
    // Source it, then ask its completion function what `harbor-upgrade ke<TAB>` offers.
    let probe = format!(
        "source {script} && COMP_WORDS=(harbor-upgrade ke) && COMP_CWORD=1 && \
         COMP_LINE='harbor-upgrade ke' && COMP_POINT=${{#COMP_LINE}} && \
         _harbor__upgrade harbor-upgrade ke harbor-upgrade && printf '%s\\n' \"${{COMPREPLY[@]}}\""
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &probe])
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.trim(), "keys", "completions offered: {stdout:?}");
}

#[test]
fn completions_refuse_an_unknown_shell() {
    let r = run(&["completions", "tcsh"]);
    assert_eq!(r.status, 2);
    assert!(r.stderr.contains("tcsh"), "{}", r.stderr);
}

#[test]
fn man_page_is_roff_and_documents_every_command_and_flag() {
    let r = run(&["man"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(r.stdout.contains(".TH harbor-upgrade 1"), "no title line");
    for command in COMMANDS {
        let heading = format!(".SH \"HARBOR-UPGRADE {}\"", command.to_uppercase());
        assert!(r.stdout.contains(&heading), "man page lacks {heading}");
    }
    // Flags of nested commands, as roff escapes them.
    for flag in [
        r"\-\-passphrase\-file",
        r"\-\-rollback\-file",
        r"\-\-fail\-on",
    ] {
        assert!(r.stdout.contains(flag), "man page lacks {flag}");
    }
    // Every line is a roff request, text, or blank: nothing from a terminal escape.
    assert!(!r.stdout.contains('\u{1b}'));
}

#[test]
fn man_page_renders_with_man_when_available() {
    let Ok(out) = Command::new("man").arg("--version").output() else {
        common::skip("man_page_renders_with_man_when_available: `man` is not installed");
        return;
    };
    if !out.status.success() {
        common::skip("man_page_renders_with_man_when_available: `man --version` failed");
        return;
    }
    let page = run(&["man"]).stdout;
    let scratch = Scratch::new();
    let file = scratch.write("harbor-upgrade.1", &page);
    let out = Command::new("man")
        .args(["-l", &file])
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .env("MANWIDTH", "100")
        .output()
        .expect("man runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("HARBOR-UPGRADE KEYS BACKUP"), "{text}");
}

#[test]
fn version_names_the_tool_the_chart_range_and_the_log_signatures() {
    let r = run(&["version"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let first = r.stdout.lines().next().unwrap();
    assert_eq!(
        first,
        format!("harbor-upgrade {}", env!("CARGO_PKG_VERSION"))
    );
    assert!(
        r.stdout
            .contains("chart releases: 1.4.0 (Harbor 2.0.0) to "),
        "{}",
        r.stdout
    );
    assert!(r
        .stdout
        .contains("log signatures: checked against Harbor 2.5.0 to "));

    let json: Value = serde_json::from_str(&run(&["version", "-o", "json"]).stdout).unwrap();
    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(json["chart"]["first"]["chart"], "1.4.0");
    let last = json["chart"]["last"]["chart"].as_str().unwrap();
    // The newest release is one `preflight check --to` accepts, and nothing newer is.
    let harbor_last = json["chart"]["last"]["harbor"].as_str().unwrap();
    assert!(r.stdout.contains(&format!("{last} (Harbor {harbor_last})")));
    assert!(json["chart"]["releases"].as_u64().unwrap() >= 80);
    assert!(json["logSignatures"]["harborThrough"].is_string());
}

#[test]
fn version_lists_every_chart_release_in_shared_when_present() {
    let dir = common::root().join("../shared/harbor-helm");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        common::skip("version_lists_every_chart_release_in_shared_when_present: ../shared/harbor-helm is absent");
        return;
    };
    let mut versions: Vec<(u64, u64, u64)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let mut parts = name.split('.').map(|p| p.parse::<u64>().ok());
            Some((parts.next()??, parts.next()??, parts.next()??))
        })
        .collect();
    versions.sort_unstable();
    let json: Value = serde_json::from_str(&run(&["version", "-o", "json"]).stdout).unwrap();
    let (a, b, c) = versions.last().copied().unwrap();
    assert_eq!(json["chart"]["last"]["chart"], format!("{a}.{b}.{c}"));
    let (a, b, c) = versions[0];
    assert_eq!(json["chart"]["first"]["chart"], format!("{a}.{b}.{c}"));
}

/// The binary under the kubectl plugin name, in a folder of its own.
fn kubectl_plugin(scratch: &Scratch) -> std::path::PathBuf {
    let bin = scratch.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let plugin = bin.join("kubectl-harbor_upgrade");
    std::fs::copy(assert_cmd::cargo::cargo_bin("harbor-upgrade"), &plugin).unwrap();
    plugin
}

#[test]
fn kubectl_plugin_name_shows_kubectl_harbor_upgrade_in_help() {
    let scratch = Scratch::new();
    let plugin = kubectl_plugin(&scratch);
    let out = Command::new(&plugin)
        .args(["keys", "--help"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.contains("Usage: kubectl harbor-upgrade keys"),
        "{text}"
    );
    let out = Command::new(&plugin).arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Running as a kubectl plugin"), "{text}");
    // Under its own name the binary says nothing about kubectl.
    let r = run(&["--help"]);
    assert!(!r.stdout.contains("kubectl harbor-upgrade"), "{}", r.stdout);
}

#[test]
fn kubectl_runs_the_plugin_from_path() {
    let kubectl = match support::helm::kubectl() {
        Ok(k) => k,
        Err(why) => {
            common::skip(&format!("kubectl_runs_the_plugin_from_path: {why}"));
            return;
        }
    };
    let scratch = Scratch::new();
    let plugin = kubectl_plugin(&scratch);
    let bin = plugin.parent().unwrap();
    let path = match std::env::var_os("PATH") {
        Some(p) => {
            let mut dirs = vec![bin.to_path_buf()];
            dirs.extend(std::env::split_paths(&p));
            std::env::join_paths(dirs).unwrap()
        }
        None => bin.as_os_str().to_owned(),
    };
    let home = scratch.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let list = Command::new(&kubectl)
        .args(["plugin", "list", "--name-only"])
        .env("PATH", &path)
        .env("HOME", &home)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(text.contains("kubectl-harbor_upgrade"), "{text}");
    let out = Command::new(&kubectl)
        .args(["harbor-upgrade", "version", "-o", "json"])
        .env("PATH", &path)
        .env("HOME", &home)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
    let help = Command::new(&kubectl)
        .args(["harbor-upgrade", "preflight", "check", "--help"])
        .env("PATH", &path)
        .env("HOME", &home)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(
        text.contains("Usage: kubectl harbor-upgrade preflight check"),
        "{text}"
    );
}

/// A kubeconfig for `server` whose current context is a dead server; context `test` is the live
/// one, and neither names a namespace Harbor runs in.
fn kubeconfig_with_dead_current_context(
    server: &support::ApiServer,
    dir: &std::path::Path,
) -> std::path::PathBuf {
    let live = std::fs::read_to_string(server.kubeconfig(dir, "default")).unwrap();
    let text = live
        .replace(
            "clusters:\n",
            "clusters:\n- name: dead\n  cluster:\n    server: https://127.0.0.1:1\n",
        )
        .replace(
            "contexts:\n",
            "contexts:\n- name: dead\n  context:\n    cluster: dead\n    user: tester\n",
        )
        .replace("current-context: test", "current-context: dead");
    let path = dir.join("kubeconfig-two-contexts");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn helm_plugin_installs_from_the_checkout_and_takes_helms_namespace_and_context() {
    for major in [4, 3] {
        match support::helm::Helm::find(major) {
            Ok(helm) => helm_plugin_scenario(&helm, major),
            Err(why) => common::skip(&format!(
                "helm_plugin_installs_from_the_checkout_and_takes_helms_namespace_and_context (Helm {major}): {why}"
            )),
        }
    }
}

/// Installs the checkout as a plugin of `helm` and runs the tool through it.
fn helm_plugin_scenario(helm: &support::helm::Helm, major: u32) {
    let (server, scratch) = support::harbor::standard();
    let home = scratch.path().join(format!("home-{major}"));
    std::fs::create_dir_all(&home).unwrap();
    let bin_dir = assert_cmd::cargo::cargo_bin("harbor-upgrade")
        .parent()
        .unwrap()
        .to_path_buf();
    let mut dirs = vec![bin_dir];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let path = std::env::join_paths(dirs).unwrap();
    let path = path.to_str().unwrap();
    let kubeconfig = kubeconfig_with_dead_current_context(&server, &home);
    let kubeconfig = kubeconfig.to_str().unwrap();
    let env = [("PATH", path), ("KUBECONFIG", kubeconfig)];
    let root = common::root();
    let helm_run = |args: &[&str]| helm.run(&server, &home, &env, args);

    let install = helm_run(&["plugin", "install", root.to_str().unwrap()]);
    assert_eq!(
        install.status, 0,
        "Helm {major}: {}{}",
        install.stdout, install.stderr
    );
    assert!(
        install.stderr.contains("harbor-upgrade: using "),
        "{}",
        install.stderr
    );

    let version = helm_run(&["harbor-upgrade", "version", "-o", "json"]);
    assert_eq!(version.status, 0, "Helm {major}: {}", version.stderr);
    let json: Value = serde_json::from_str(&version.stdout).unwrap();
    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));

    let usage = helm_run(&["harbor-upgrade", "keys", "--help"]);
    assert!(
        usage.stdout.contains("Usage: helm harbor-upgrade keys"),
        "{}",
        usage.stdout
    );

    // Helm eats -n and --kube-context; the tool gets them back from Helm's environment.
    let check = [
        "harbor-upgrade",
        "preflight",
        "check",
        "-n",
        "harbor",
        "--kube-context",
        "test",
        "--to",
        "2.10.2",
        "-o",
        "json",
    ];
    let r = helm_run(&check);
    assert!(
        r.stderr.contains("read release `harbor` revision 2"),
        "Helm {major}: {}",
        r.stderr
    );
    assert_eq!(r.status, 0, "Helm {major}: {}{}", r.stdout, r.stderr);
    let requests = server.requests();
    assert!(!requests.is_empty());
    assert!(
        requests.iter().all(|q| q.contains("/namespaces/harbor/")),
        "{requests:?}"
    );

    // Without --kube-context the kubeconfig's current (dead) context is used.
    let r = helm_run(
        &check[..5]
            .iter()
            .chain(&check[7..])
            .copied()
            .collect::<Vec<_>>(),
    );
    assert_eq!(r.status, 2, "Helm {major}: {}", r.stderr);
    assert!(
        r.stderr.contains("127.0.0.1:1"),
        "Helm {major}: {}",
        r.stderr
    );

    // Given only files, the check stays offline, as outside Helm.
    let values = scratch.write(&format!("values-{major}.yaml"), "core:\n  replicas: 1\n");
    let before = server.requests().len();
    let r = helm_run(&[
        "harbor-upgrade",
        "preflight",
        "check",
        &values,
        "--to",
        "2.10.2",
    ]);
    assert_ne!(r.status, 2, "Helm {major}: {}", r.stderr);
    assert_eq!(
        server.requests().len(),
        before,
        "an offline check went to the cluster"
    );
}

#[test]
fn progress_is_drawn_on_a_terminal_and_cleared_after() {
    let available = Command::new("script")
        .args(["-qec", "true", "/dev/null"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        common::skip("progress_is_drawn_on_a_terminal_and_cleared_after: `script` (util-linux) cannot make a terminal here");
        return;
    }
    let scratch = Scratch::new();
    let out_file = scratch.path().join("token.yaml");
    // `script` gives the command a terminal for stdout and stderr and copies what it draws.
    let command = format!(
        "{} keys generate --secret-name harbor-token --bits 2048 --out {}",
        assert_cmd::cargo::cargo_bin("harbor-upgrade").display(),
        out_file.display()
    );
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("TERM", "xterm")
        .output()
        .unwrap();
    let drawn = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{drawn}");
    assert!(drawn.contains("generating an RSA-2048 key"), "{drawn:?}");
    // The line is erased before the result is printed.
    let cleared = drawn
        .rfind("\u{1b}[2K")
        .expect("the progress line is cleared");
    assert!(drawn[cleared..].contains("wrote "), "{drawn:?}");
    assert!(out_file.is_file());
}

#[test]
fn progress_is_silent_when_stderr_is_not_a_terminal() {
    let scratch = Scratch::new();
    let out_file = scratch.path().join("token.yaml");
    let r = run(&[
        "keys",
        "generate",
        "--secret-name",
        "harbor-token",
        "--bits",
        "2048",
        "--out",
        out_file.to_str().unwrap(),
    ]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("generating"), "{}", r.stderr);
    assert!(
        !r.stderr.contains('\r') && !r.stderr.contains('\u{1b}'),
        "{:?}",
        r.stderr
    );
}
