//! Where `keys diff` and `keys restore` find today's Secrets: the cluster, or Secret manifests
//! (`--secret FILE`, as `kubectl get secret -o yaml` prints them) for `GitOps` users who cannot
//! reach the cluster from where they work.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::ByteString;

use super::cluster;
use super::keys_restore::options_for;
use crate::backup::Backup;
use crate::cli::ClusterArgs;
use crate::kube;
use crate::values::{load_secret_file, Sources};

/// Today's Secrets.
pub(super) enum Live {
    /// Read one by one from the cluster.
    Cluster {
        /// The runtime the requests run on.
        runtime: tokio::runtime::Runtime,
        /// The connected client.
        cluster: kube::Cluster,
    },
    /// Read from manifests, by name.
    Files {
        /// The files, as given.
        names: Vec<String>,
        /// Every Secret in them, by `metadata.name` (a later file wins).
        secrets: BTreeMap<String, Secret>,
    },
}

impl Live {
    /// The cluster from the flags (namespace defaulting to the backup's), or the manifests;
    /// both at once is an error.
    pub(super) fn open(args: &ClusterArgs, files: &[String], b: &Backup) -> anyhow::Result<Live> {
        if files.is_empty() {
            let options = options_for(args, b)?;
            let runtime = cluster::runtime()?;
            let cluster = runtime.block_on(kube::connect(&options))?;
            return Ok(Live::Cluster { runtime, cluster });
        }
        if cluster::wants_cluster(args) {
            anyhow::bail!("give either `--secret` files or the cluster flags (`--release`, `-n`, `--kubeconfig`, `--context`), not both");
        }
        let mut sources = Sources::new();
        let mut secrets = BTreeMap::new();
        let mut stdin = std::io::stdin().lock();
        for file in files {
            for object in load_secret_file(file, &mut sources, &mut stdin)? {
                let data = object
                    .data
                    .into_iter()
                    .map(|(k, v)| (k, ByteString(v.bytes)))
                    .collect();
                let mut secret = Secret {
                    data: Some(data),
                    type_: object.secret_type,
                    ..Secret::default()
                };
                secret.metadata.name = Some(object.name.clone());
                secret.metadata.namespace = object.namespace;
                secrets.insert(object.name, secret);
            }
        }
        Ok(Live::Files {
            names: files.to_vec(),
            secrets,
        })
    }

    /// Where the Secrets come from, for the report's first line.
    pub(super) fn describe(&self) -> String {
        match self {
            Live::Cluster { cluster, .. } => {
                format!("namespace `{}` at {}", cluster.namespace, cluster.server)
            }
            Live::Files { names, .. } => format!("the Secret manifests {}", names.join(", ")),
        }
    }

    /// Where a Secret that is not there is missing from.
    pub(super) fn place(&self) -> &'static str {
        match self {
            Live::Cluster { .. } => "the cluster",
            Live::Files { .. } => "the Secret manifests",
        }
    }

    /// The namespace and server, or the files, as JSON.
    pub(super) fn json(&self) -> serde_json::Value {
        match self {
            Live::Cluster { cluster, .. } => serde_json::json!({
                "namespace": cluster.namespace,
                "server": cluster.server,
            }),
            Live::Files { names, .. } => serde_json::json!({ "files": names }),
        }
    }

    /// Creates a Secret (the cluster only: manifests are never written).
    pub(super) fn create(&self, secret: &Secret) -> anyhow::Result<()> {
        match self {
            Live::Cluster { runtime, cluster } => {
                runtime.block_on(kube::create_secret(cluster, secret))?;
                Ok(())
            }
            Live::Files { .. } => {
                anyhow::bail!("Secret manifests are only compared, never written")
            }
        }
    }

    /// Replaces a Secret (the cluster only).
    pub(super) fn replace(&self, secret: &Secret) -> anyhow::Result<()> {
        match self {
            Live::Cluster { runtime, cluster } => {
                runtime.block_on(kube::replace_secret(cluster, secret))?;
                Ok(())
            }
            Live::Files { .. } => {
                anyhow::bail!("Secret manifests are only compared, never written")
            }
        }
    }

    /// Today's Secret of that name, if it exists.
    pub(super) fn get(&self, name: &str) -> anyhow::Result<Option<Secret>> {
        match self {
            Live::Cluster { runtime, cluster } => {
                Ok(runtime.block_on(kube::get_secret(cluster, name))?)
            }
            Live::Files { secrets, .. } => Ok(secrets.get(name).cloned()),
        }
    }
}
