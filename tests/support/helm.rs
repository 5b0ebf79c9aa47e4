//! Real Helm (and kubectl) against the test API server. The binaries come from the environment,
//! never from a path of this machine: `HARBOR_UPGRADE_TEST_HELM4`, `HARBOR_UPGRADE_TEST_HELM3`
//! and `HARBOR_UPGRADE_TEST_KUBECTL` name them (a file, or a folder holding `helm`/`kubectl`);
//! `.ci/run` fetches them. The real charts come from `../shared/harbor-helm/` beside the clone.
//! When either is missing, [`Helm::find`] and [`chart`] say why, and the test skips with that
//! reason.
//!
//! Every run is sealed off from the machine: its own `HOME`, Helm cache, config and data folders
//! and kubeconfig (written for the test server), no proxy, no `KUBECONFIG` from outside, so Helm
//! talks only to 127.0.0.1.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

use super::{discovery, ApiServer};

/// A Helm binary of a known major version.
#[derive(Debug, Clone)]
pub struct Helm {
    /// The binary.
    pub bin: PathBuf,
    /// 3 or 4.
    pub major: u32,
    /// `v4.1.4`.
    pub version: String,
}

/// The outcome of one Helm run.
#[derive(Debug)]
pub struct HelmRun {
    /// Exit status (-1 when killed).
    pub status: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl HelmRun {
    /// Panics with Helm's output unless it succeeded.
    pub fn ok(self, what: &str) -> Self {
        assert_eq!(
            self.status, 0,
            "{what} failed ({})\nstdout:\n{}\nstderr:\n{}",
            self.status, self.stdout, self.stderr
        );
        self
    }
}

/// The environment variable naming Helm of `major`.
pub fn variable(major: u32) -> String {
    format!("HARBOR_UPGRADE_TEST_HELM{major}")
}

/// The environment variable naming kubectl.
pub const KUBECTL: &str = "HARBOR_UPGRADE_TEST_KUBECTL";

/// The binary an environment variable names: the file, or `name` inside the folder.
fn binary(var: &str, name: &str) -> Result<PathBuf, String> {
    let value = std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("{var} is not set (`.ci/run` fetches the binary and sets it)"))?;
    let mut path = PathBuf::from(value);
    if path.is_dir() {
        path = path.join(name);
    }
    if !path.is_file() {
        return Err(format!(
            "{var} names {}, which is not a file",
            path.display()
        ));
    }
    Ok(path)
}

impl Helm {
    /// Helm of `major` from its variable, checked to be that major version.
    pub fn find(major: u32) -> Result<Helm, String> {
        let var = variable(major);
        let bin = binary(&var, "helm")?;
        let out = Command::new(&bin)
            .args(["version", "--short"])
            .env("HOME", std::env::temp_dir())
            .output()
            .map_err(|e| format!("{var}: cannot run {}: {e}", bin.display()))?;
        let text = String::from_utf8_lossy(&out.stdout);
        let version = text
            .split('+')
            .next()
            .unwrap_or_default()
            .trim()
            .to_string();
        let found: u32 = version
            .trim_start_matches('v')
            .split('.')
            .next()
            .and_then(|m| m.parse().ok())
            .ok_or_else(|| format!("{var}: `helm version` printed {text:?}"))?;
        // A variable that names the wrong Helm is a broken setup, not a reason to skip.
        assert_eq!(
            found,
            major,
            "{var} names {} which is Helm {version}",
            bin.display()
        );
        Ok(Helm {
            bin,
            major,
            version,
        })
    }

    /// Runs Helm with `args` against `server`, in `home`, with `env` added.
    pub fn run(
        &self,
        server: &ApiServer,
        home: &Path,
        env: &[(&str, &str)],
        args: &[&str],
    ) -> HelmRun {
        run_sealed(&self.bin, server, home, env, args)
    }
}

/// kubectl from `HARBOR_UPGRADE_TEST_KUBECTL`.
pub fn kubectl() -> Result<PathBuf, String> {
    binary(KUBECTL, "kubectl")
}

/// Runs kubectl with `args` against `server`, sealed like Helm.
pub fn run_kubectl(kubectl: &Path, server: &ApiServer, home: &Path, args: &[&str]) -> HelmRun {
    run_sealed(kubectl, server, home, &[], args)
}

fn run_sealed(
    program: &Path,
    server: &ApiServer,
    home: &Path,
    env: &[(&str, &str)],
    args: &[&str],
) -> HelmRun {
    let mut cmd = Command::new(program);
    sealed(&mut cmd, server, home);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args);
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    HelmRun {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Nothing from this machine's environment reaches the child: only `PATH`, and folders and a
/// kubeconfig inside `home`.
fn sealed(cmd: &mut Command, server: &ApiServer, home: &Path) {
    let kubeconfig = server.kubeconfig(home, "default");
    cmd.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    let dir = |name: &str| {
        let d = home.join(name);
        std::fs::create_dir_all(&d).expect("helm folder");
        d
    };
    cmd.env("HOME", home)
        .env("KUBECONFIG", &kubeconfig)
        .env("XDG_CACHE_HOME", dir(".cache"))
        .env("XDG_CONFIG_HOME", dir(".config"))
        .env("XDG_DATA_HOME", dir(".local/share"))
        .env("HELM_CACHE_HOME", dir(".cache/helm"))
        .env("HELM_CONFIG_HOME", dir(".config/helm"))
        .env("HELM_DATA_HOME", dir(".local/share/helm"))
        .env("KUBECACHEDIR", dir(".kube/cache"))
        .env("NO_PROXY", "127.0.0.1,localhost")
        .current_dir(home);
}

/// The real chart `version` from `../shared/harbor-helm/`, or why it is not there.
pub fn chart(version: &str) -> Result<PathBuf, String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/harbor-helm");
    let path = dir.join(version).join(format!("harbor-{version}.tgz"));
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "{} is absent (the shared chart folder is not beside this clone)",
            path.display()
        ))
    }
}

/// The manifest in Helm's output: all of `helm template`'s, the `MANIFEST:` section of
/// `helm install|upgrade --dry-run` (up to `NOTES:`).
pub fn manifest_section(output: &str) -> &str {
    let manifest = output
        .split_once("\nMANIFEST:\n")
        .map_or(output, |(_, m)| m);
    manifest
        .split_once("\nNOTES:\n")
        .map_or(manifest, |(m, _)| m)
}

/// The documents of a YAML stream (a manifest as `helm template` or `helm get manifest` prints
/// it) as JSON, read with the tool's own YAML reader.
pub fn yaml_documents(text: &str) -> Vec<Value> {
    harbor_upgrade::values::parse_documents(harbor_upgrade::values::SourceId(0), text)
        .unwrap_or_else(|e| panic!("manifest is not YAML: {e}"))
        .iter()
        .map(harbor_upgrade::values::emit::to_json)
        .filter(|v| !v.is_null())
        .collect()
}

/// A test API server with real Helm pointed at it: the fixture of every test that lets Helm
/// write a release. [`HelmCluster::start`] prints the skip line and gives `None` when Helm or
/// the shared charts are absent.
pub struct HelmCluster {
    /// The Helm in use.
    pub helm: Helm,
    /// The API server Helm writes to.
    pub server: ApiServer,
    /// `HOME` of Helm and of the tool, with the values files of the test.
    pub home: tempfile::TempDir,
    /// Extra environment for every Helm run (`HELM_DRIVER=configmap`).
    pub env: Vec<(String, String)>,
}

/// The namespace every release goes to.
pub const NAMESPACE: &str = "harbor";

impl HelmCluster {
    /// Helm `major` against a fresh server, or `None` (after printing `skipped: <test>: <why>`)
    /// when Helm or any of `charts` is missing.
    pub fn start(test: &str, major: u32, charts: &[&str]) -> Option<Self> {
        let found = Helm::find(major).and_then(|helm| {
            for version in charts {
                chart(version)?;
            }
            Ok(helm)
        });
        match found {
            Ok(helm) => Some(HelmCluster {
                helm,
                server: ApiServer::start(),
                home: tempfile::tempdir().expect("tempdir"),
                env: Vec::new(),
            }),
            Err(why) => {
                crate::common::skip(&format!("{test}: {why}"));
                None
            }
        }
    }

    /// The folder Helm and the tool run in.
    pub fn path(&self) -> &Path {
        self.home.path()
    }

    /// Writes a file into the home folder and returns its path.
    pub fn write(&self, name: &str, content: impl AsRef<[u8]>) -> String {
        let path = self.path().join(name);
        std::fs::write(&path, content).expect("write test file");
        path.to_string_lossy().into_owned()
    }

    /// Runs Helm with `args` in the release namespace.
    pub fn helm(&self, args: &[&str]) -> HelmRun {
        let env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut all = args.to_vec();
        all.extend_from_slice(&["--namespace", NAMESPACE]);
        self.helm.run(&self.server, self.path(), &env, &all)
    }

    /// `helm install|upgrade RELEASE <chart version> -f VALUES...`, which must succeed.
    pub fn deploy(&self, verb: &str, release: &str, version: &str, values: &[&str]) -> HelmRun {
        let chart = chart(version).expect("chart checked at start");
        let chart = chart.to_string_lossy().into_owned();
        let mut args = vec![verb, release, chart.as_str()];
        for v in values {
            args.extend_from_slice(&["--values", v]);
        }
        let what = format!("helm {} {verb} {release} {version}", self.helm.version);
        self.helm(&args).ok(&what)
    }

    /// A kubeconfig for the tool, with the release namespace as its default.
    pub fn kubeconfig(&self) -> PathBuf {
        let dir = self.path().join("tool");
        std::fs::create_dir_all(&dir).expect("tool folder");
        self.server.kubeconfig(&dir, NAMESPACE)
    }

    /// Runs the tool (`harbor-upgrade SUBCOMMAND VERB --kubeconfig … ARGS`) against the server.
    pub fn tool(&self, args: &[&str]) -> crate::common::Run {
        super::harbor::run_with(&self.kubeconfig(), self.path(), args)
    }

    /// [`Self::tool`] with `stdin` on standard input.
    pub fn tool_stdin(&self, args: &[&str], stdin: &str) -> crate::common::Run {
        super::harbor::run_with_stdin(&self.kubeconfig(), self.path(), &[], args, Some(stdin))
    }

    /// Panics when the server was asked anything it could not answer, or dropped a field it
    /// does not know (a real server would have warned).
    pub fn assert_all_served(&self) {
        let st = self.server.state();
        assert!(
            st.store.unhandled.is_empty(),
            "the test API server could not answer Helm {}: {:#?}",
            self.helm.version,
            st.store.unhandled
        );
        assert!(
            st.store.warnings.is_empty(),
            "the test API server dropped fields Helm {} sent: {:#?}",
            self.helm.version,
            st.store.warnings
        );
    }

    /// Every object of `helm get manifest RELEASE` is stored as the API server stores that
    /// manifest: the typed object plus the ownership metadata Helm adds, nothing more or less
    /// (server-set metadata and status aside). Returns the objects checked.
    pub fn assert_stored_as_rendered(&self, release: &str) -> Vec<Value> {
        let manifest = self
            .helm(&["get", "manifest", release])
            .ok("helm get manifest");
        let documents = yaml_documents(&manifest.stdout);
        assert!(
            !documents.is_empty(),
            "empty manifest:\n{}",
            manifest.stdout
        );
        let st = self.server.state();
        for document in &documents {
            let api_version = document["apiVersion"].as_str().unwrap_or_default();
            let kind_name = document["kind"].as_str().unwrap_or_default();
            let name = document["metadata"]["name"].as_str().unwrap_or_default();
            let kind = discovery::by_kind(api_version, kind_name)
                .unwrap_or_else(|| panic!("the manifest has {api_version} {kind_name}"));
            let mut expected = document.clone();
            expected["metadata"]["namespace"] = Value::String(NAMESPACE.into());
            let meta = expected["metadata"].as_object_mut().expect("metadata");
            let labels = meta.entry("labels").or_insert_with(|| json!({}));
            labels["app.kubernetes.io/managed-by"] = json!("Helm");
            let annotations = meta.entry("annotations").or_insert_with(|| json!({}));
            annotations["meta.helm.sh/release-name"] = json!(release);
            annotations["meta.helm.sh/release-namespace"] = json!(NAMESPACE);
            let mut expected = (kind.decode)(expected).expect("manifest object decodes");
            let mut stored = st
                .object(kind, NAMESPACE, name)
                .unwrap_or_else(|| panic!("{kind_name} {name} was not stored"));
            for object in [&mut expected, &mut stored] {
                let map = object.as_object_mut().expect("object");
                map.remove("status");
                let meta = map["metadata"].as_object_mut().expect("metadata");
                for field in [
                    "uid",
                    "resourceVersion",
                    "creationTimestamp",
                    "generation",
                    "managedFields",
                ] {
                    meta.remove(field);
                }
            }
            assert_eq!(
                stored, expected,
                "{kind_name} {name} as stored (left) and as Helm {} rendered it (right)",
                self.helm.version
            );
        }
        documents
    }

    /// The release records of `release`, by revision: `(revision, status label)` from
    /// the Secrets or, with `HELM_DRIVER=configmap`, the `ConfigMaps` Helm wrote.
    pub fn records(&self, release: &str) -> Vec<(u64, String)> {
        let st = self.server.state();
        let labels: Vec<BTreeMap<String, String>> = if self
            .env
            .iter()
            .any(|(k, v)| k == "HELM_DRIVER" && v == "configmap")
        {
            st.configmaps(NAMESPACE)
                .into_iter()
                .filter_map(|c| c.metadata.labels)
                .collect()
        } else {
            st.secrets
                .iter()
                .filter(|((ns, _), _)| ns == NAMESPACE)
                .filter_map(|(_, s)| s.metadata.labels.clone())
                .collect()
        };
        let mut out: Vec<(u64, String)> = labels
            .into_iter()
            .filter(|l| {
                l.get("owner").map(String::as_str) == Some("helm")
                    && l.get("name").map(String::as_str) == Some(release)
            })
            .map(|l| {
                (
                    l.get("version").and_then(|v| v.parse().ok()).unwrap_or(0),
                    l.get("status").cloned().unwrap_or_default(),
                )
            })
            .collect();
        out.sort();
        out
    }
}
