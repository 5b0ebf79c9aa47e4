//! Loading what the values-reading commands share: values files, `--set*`, Secret manifests,
//! and the redaction of every secret byte range before anything is rendered.

use crate::cli::ValuesArgs;
use crate::values::{self, LoadOptions, Node, SecretObject, Sources, Values};

/// Loaded inputs of one run.
pub struct Inputs {
    /// Every source text, with secret ranges marked.
    pub sources: Sources,
    /// The merged values.
    pub values: Values,
    /// The Secret manifests.
    pub secrets: Vec<SecretObject>,
}

/// Loads values and Secrets as the arguments say; `Err` for anything unreadable or malformed.
pub fn load(args: &ValuesArgs) -> anyhow::Result<Inputs> {
    let mut files = args.values.clone();
    files.extend(args.values_flag.iter().cloned());
    let nothing_given = files.is_empty()
        && args.secrets.is_empty()
        && args.set.is_empty()
        && args.set_string.is_empty()
        && args.set_file.is_empty();
    if nothing_given {
        anyhow::bail!("nothing to check: name a values file (or `-` for stdin), `--set` values or `--secret` manifests");
    }
    load_any(args)
}

/// Whether the arguments name any values file or `--set*` flag (the upgrade's new values).
pub fn gives_values(args: &ValuesArgs) -> bool {
    !(args.values.is_empty()
        && args.values_flag.is_empty()
        && args.set.is_empty()
        && args.set_string.is_empty()
        && args.set_file.is_empty())
}

/// Like [`load`], but nothing given is fine (the values then come from the cluster).
pub fn load_any(args: &ValuesArgs) -> anyhow::Result<Inputs> {
    let mut files = args.values.clone();
    files.extend(args.values_flag.iter().cloned());
    let stdin_uses = files
        .iter()
        .chain(&args.secrets)
        .filter(|f| *f == "-")
        .count();
    if stdin_uses > 1 {
        anyhow::bail!("standard input (`-`) can be read only once");
    }
    let options = LoadOptions {
        files,
        set: args.set.clone(),
        set_string: args.set_string.clone(),
        set_file: args.set_file.clone(),
        values_root: args.values_root.clone(),
    };
    let mut sources = Sources::new();
    let mut stdin = std::io::stdin().lock();
    let values = values::load(&options, &mut sources, &mut stdin)?;
    let mut secrets = Vec::new();
    for path in &args.secrets {
        let loaded =
            values::load_secret_file(path, &mut sources, &mut stdin).map_err(|e| match e {
                // The reader's refusal already names the file and the limit.
                values::Error::Input(refused) => anyhow::Error::from(refused),
                other => {
                    anyhow::Error::from(other).context(format!("cannot use Secret manifest {path}"))
                }
            })?;
        secrets.extend(loaded);
    }
    // Each document was redacted before the merge (a value another source replaces is still
    // written there); the merged tree adds the `--set*` values.
    redact_values(&values.root, "", &mut sources);
    if args.values_root.is_none() {
        if let Some(hint) = umbrella_hint(&values.root) {
            crate::note!("warning: {}", crate::redact::escape(&hint));
        }
    }
    Ok(Inputs {
        sources,
        values,
        secrets,
    })
}

/// Marks every secret range of a values tree (see [`crate::redact::values`]).
pub(crate) fn redact_values(node: &Node, path: &str, sources: &mut Sources) {
    crate::redact::values::redact_tree(node, path, sources);
}

/// Values of an umbrella chart carry Harbor's under a key; say so when it looks like that.
fn umbrella_hint(root: &Node) -> Option<String> {
    let harbor_keys = ["expose", "core", "externalURL", "persistence", "database"];
    if harbor_keys.iter().any(|k| root.get(k).is_some()) {
        return None;
    }
    root.as_map()?.iter().find_map(|e| {
        let looks_like_harbor = harbor_keys.iter().filter(|k| e.node.get(k).is_some()).count() >= 2;
        looks_like_harbor.then(|| {
            format!("the values look like an umbrella chart's with Harbor under `{0}`: pass `--values-root {0}`", e.key)
        })
    })
}
