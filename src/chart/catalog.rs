//! The embedded table of every chart release this tool knows and the values keys each has.
//!
//! `keys.tsv` and `defaults.tsv` are derived from the default `values.yaml` of every release
//! (1.4.0–1.19.1) by the generator in `generate.rs`; a test regenerates them and fails when they
//! differ. The parser here is lenient on purpose (a line it cannot read is skipped, never a
//! panic): the round-trip test proves the embedded text parses back to exactly what was derived.

use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;

use super::schema::Presence;
use super::version::{Release, Version};

const KEYS_TSV: &str = include_str!("keys.tsv");
const DEFAULTS_TSV: &str = include_str!("defaults.tsv");

/// A set of releases, as indexes into [`Catalog::releases`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReleaseSet {
    words: Vec<u64>,
}

impl ReleaseSet {
    /// Adds a release index.
    pub fn insert(&mut self, index: usize) {
        let word = index / 64;
        if self.words.len() <= word {
            self.words.resize(word + 1, 0);
        }
        self.words[word] |= 1 << (index % 64);
    }

    /// Whether the set holds a release index.
    pub fn contains(&self, index: usize) -> bool {
        self.words
            .get(index / 64)
            .is_some_and(|w| w & (1 << (index % 64)) != 0)
    }

    /// The indexes, ascending.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.words.len() * 64).filter(|&i| self.contains(i))
    }

    /// Whether no release is in the set.
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|w| *w == 0)
    }
}

/// One values key across all releases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// Dotted path.
    pub path: String,
    /// Releases whose `values.yaml` has the key.
    pub active: ReleaseSet,
    /// Releases that only document it in a comment (and read it in the templates).
    pub commented: ReleaseSet,
    /// A free-form map in at least one release: its children are not keys.
    pub open: bool,
}

impl KeyInfo {
    /// The key's presence in one release.
    pub fn presence(&self, index: usize) -> Option<Presence> {
        if self.active.contains(index) {
            Some(Presence::Active)
        } else if self.commented.contains(index) {
            Some(Presence::Commented)
        } else {
            None
        }
    }
}

/// Every known release and its keys.
#[derive(Debug, Default)]
pub struct Catalog {
    releases: Vec<Release>,
    keys: BTreeMap<String, KeyInfo>,
    /// Paths that have at least one known child.
    parents: HashSet<String>,
    /// `path → [(default, releases)]` for the keys whose defaults decide rules.
    defaults: BTreeMap<String, Vec<(Option<String>, ReleaseSet)>>,
}

/// The catalogue embedded in the binary.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog::parse(KEYS_TSV, DEFAULTS_TSV))
}

impl Catalog {
    /// Every release, oldest first.
    pub fn releases(&self) -> &[Release] {
        &self.releases
    }

    /// The newest release.
    pub fn newest(&self) -> Option<Release> {
        self.releases.last().copied()
    }

    /// The oldest release.
    pub fn oldest(&self) -> Option<Release> {
        self.releases.first().copied()
    }

    /// The index of a chart version.
    pub fn index_of(&self, chart: Version) -> Option<usize> {
        self.releases.binary_search_by(|r| r.chart.cmp(&chart)).ok()
    }

    /// A key by path.
    pub fn key(&self, path: &str) -> Option<&KeyInfo> {
        self.keys.get(path)
    }

    /// Every key, by path.
    pub fn keys(&self) -> impl Iterator<Item = &KeyInfo> {
        self.keys.values()
    }

    /// Whether some release has a key below `path`.
    pub fn has_children(&self, path: &str) -> bool {
        self.parents.contains(path)
    }

    /// The default of `path` in the release at `index` (`None`: unknown, absent or `null`).
    pub fn default_at(&self, path: &str, index: usize) -> Option<&str> {
        self.defaults
            .get(path)?
            .iter()
            .find(|(_, set)| set.contains(index))
            .and_then(|(value, _)| value.as_deref())
    }

    /// The keys of one release, as the schema extractor would read them from its `values.yaml`.
    pub fn keys_of(&self, index: usize) -> BTreeMap<String, Presence> {
        self.keys
            .values()
            .filter_map(|k| k.presence(index).map(|p| (k.path.clone(), p)))
            .collect()
    }

    /// The newest release of each Harbor minor, oldest first.
    pub fn latest_of_each_minor(&self) -> Vec<Release> {
        let mut out: Vec<Release> = Vec::new();
        for r in &self.releases {
            match out.last_mut() {
                Some(last) if last.harbor.minor == r.harbor.minor => *last = *r,
                _ => out.push(*r),
            }
        }
        out
    }

    fn parse(keys_tsv: &str, defaults_tsv: &str) -> Self {
        let mut catalog = Catalog::default();
        for line in keys_tsv.lines().filter(|l| !l.starts_with('#')) {
            let cols: Vec<&str> = line.split('\t').collect();
            match cols.as_slice() {
                ["releases", list] => {
                    catalog.releases = list
                        .split(' ')
                        .filter_map(super::version::parse_chart_version)
                        .collect();
                }
                [path, active, commented, flags] => {
                    let info = KeyInfo {
                        path: (*path).to_string(),
                        active: catalog.parse_set(active),
                        commented: catalog.parse_set(commented),
                        open: flags.contains('o'),
                    };
                    catalog.keys.insert(info.path.clone(), info);
                }
                _ => {}
            }
        }
        for path in catalog.keys.keys() {
            let mut rest = path.as_str();
            while let Some((parent, _)) = rest.rsplit_once('.') {
                catalog.parents.insert(parent.to_string());
                rest = parent;
            }
        }
        for line in defaults_tsv.lines().filter(|l| !l.starts_with('#')) {
            let cols: Vec<&str> = line.split('\t').collect();
            if let [path, value, releases] = cols.as_slice() {
                let value = match serde_json::from_str::<serde_json::Value>(value) {
                    Ok(serde_json::Value::String(s)) => Some(s),
                    Ok(serde_json::Value::Null) | Err(_) => None,
                    Ok(other) => Some(other.to_string()),
                };
                let set = catalog.parse_set(releases);
                catalog
                    .defaults
                    .entry((*path).to_string())
                    .or_default()
                    .push((value, set));
            }
        }
        catalog
    }

    /// `1.9.6,1.10.4,1.11.1-1.19.1` → the set of those releases; `-` is the empty set.
    fn parse_set(&self, text: &str) -> ReleaseSet {
        let mut set = ReleaseSet::default();
        for part in text.split(',').filter(|p| !p.is_empty() && *p != "-") {
            let (first, last) = part.split_once('-').unwrap_or((part, part));
            let index = |v: &str| {
                super::version::parse_chart_version(v).and_then(|r| self.index_of(r.chart))
            };
            if let (Some(a), Some(b)) = (index(first), index(last)) {
                for i in a..=b {
                    set.insert(i);
                }
            }
        }
        set
    }

    /// Renders a release set the way `keys.tsv` stores it.
    #[cfg(test)]
    pub(crate) fn format_set(&self, set: &ReleaseSet) -> String {
        format_set(&self.releases, set)
    }
}

/// Renders a release set as comma-separated runs of consecutive releases.
#[cfg(test)]
pub(crate) fn format_set(releases: &[Release], set: &ReleaseSet) -> String {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for i in set.iter() {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == i => *end = i,
            _ => runs.push((i, i)),
        }
    }
    if runs.is_empty() {
        return "-".to_string();
    }
    runs.iter()
        .filter_map(|&(a, b)| {
            let (first, last) = (releases.get(a)?, releases.get(b)?);
            Some(if a == b {
                first.chart.to_string()
            } else {
                format!("{}-{}", first.chart, last.chart)
            })
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_sets_round_trip() {
        let mut set = ReleaseSet::default();
        for i in [0, 1, 2, 5, 64, 65, 80] {
            set.insert(i);
        }
        assert!(set.contains(64) && !set.contains(3));
        assert_eq!(set.iter().collect::<Vec<_>>(), vec![0, 1, 2, 5, 64, 65, 80]);
    }

    #[test]
    fn the_embedded_table_parses() {
        let c = catalog();
        assert_eq!(c.releases().len(), 83);
        assert_eq!(c.oldest().map(|r| r.chart), Some(Version::new(1, 4, 0)));
        assert_eq!(c.newest().map(|r| r.harbor), Some(Version::new(2, 15, 1)));
        let token = c.key("core.tokenKey").unwrap();
        assert_eq!(
            c.format_set(&token.active),
            "1.9.6,1.10.4,1.11.1-1.19.1",
            "harbor-facts §6.2"
        );
        let admin = c.key("existingSecretAdminPassword").unwrap();
        assert_eq!(c.format_set(&admin.commented), "1.12.0-1.17.4");
        assert_eq!(c.format_set(&admin.active), "1.18.0-1.19.1");
        let i = c.index_of(Version::new(1, 12, 4)).unwrap();
        assert_eq!(c.default_at("notary.enabled", i), Some("true"));
        assert_eq!(c.default_at("database.type", i), Some("internal"));
        assert!(c.has_children("persistence.persistentVolumeClaim"));
    }
}
