//! Snapshots of every subcommand's `--help` and of the rendered demo findings. A change to one of
//! these is a change of the user-facing contract: review the diff, never accept it blindly.

mod common;

use common::{bin, root};

fn stdout(args: &[&str]) -> String {
    let out = bin()
        .current_dir(root())
        .env("COLUMNS", "100")
        .args(args)
        .output()
        .expect("run binary");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn help_of_every_command() {
    let commands: &[&[&str]] = &[
        &[],
        &["preflight"],
        &["preflight", "check"],
        &["preflight", "rules"],
        &["preflight", "explain"],
        &["keys"],
        &["keys", "inspect"],
        &["keys", "backup"],
        &["keys", "restore"],
        &["keys", "diff"],
        &["keys", "reset"],
        &["keys", "rollback"],
        &["keys", "rotate"],
        &["keys", "generate"],
        &["clock"],
        &["clock", "check"],
        &["diagnose"],
        &["upgrade"],
        &["verify"],
        &["completions"],
        &["man"],
        &["version"],
    ];
    for command in commands {
        let mut args = command.to_vec();
        args.push("--help");
        let name = if command.is_empty() {
            "help".to_string()
        } else {
            format!("help-{}", command.join("-"))
        };
        insta::assert_snapshot!(name, stdout(&args));
    }
}

#[test]
fn demo_findings_as_text() {
    let text = stdout(&[
        "preflight",
        "check",
        "testdata/demo/values.yaml",
        "--secret",
        "testdata/demo/harbor-core-secret.yaml",
        "--from",
        "2.8.4",
        "--to",
        "2.10.2",
        "--now",
        "2027-06-01T00:00:00Z",
        "--color",
        "never",
    ]);
    insta::assert_snapshot!("demo-text", text);
}

#[test]
fn demo_inventory_as_text() {
    let text = stdout(&[
        "keys",
        "inspect",
        "testdata/demo/values.yaml",
        "--secret",
        "testdata/demo/harbor-core-secret.yaml",
        "--now",
        "2027-06-01T00:00:00Z",
    ]);
    insta::assert_snapshot!("demo-inventory", text);
}
