//! What the chart and Harbor do per version, beyond which keys exist: how the token pair and the
//! internal secrets are made, the internal `PostgreSQL` major, the JWT leeway, the supported upgrade
//! hops, renamed keys and removed components. Sources: `harbor-facts.md` §2.0, §5.2, §6, §7.

use super::version::{Release, Version};

/// Where the token signing pair comes from when nothing in the values pins it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPairSource {
    /// The pair shipped inside the chart (`cert/tls.key`), identical for every install and public.
    StaticPublic,
    /// `genCA` on every render: a new pair each time.
    GeneratedEveryRender,
}

/// Charts before 1.9.6, and 1.10.0–1.10.3 and 1.11.0, ship the static pair and have no
/// `core.tokenKey`/`core.tokenCert`; the fix (harbor-helm #1389) landed in 1.12.0 and was
/// back-ported as 1.9.6, 1.10.4 and 1.11.1.
pub fn token_pair_source(chart: Version) -> TokenPairSource {
    let static_pair = chart < Version::new(1, 9, 6)
        || (chart >= Version::new(1, 10, 0) && chart <= Version::new(1, 10, 3))
        || chart == Version::new(1, 11, 0);
    if static_pair {
        TokenPairSource::StaticPublic
    } else {
        TokenPairSource::GeneratedEveryRender
    }
}

/// From chart 1.14.0 a blank `core.secret`, `jobservice.secret`, `registry.secret` and
/// `core.xsrfKey` keep the live value through `lookup` (only when Helm talks to the cluster).
pub fn preserves_internal_secrets(chart: Version) -> bool {
    chart >= Version::new(1, 14, 0)
}

/// Chart 1.4.0 writes `CSRF_KEY: {{ randAlphaNum 32 }}` into the core `ConfigMap` and never reads
/// `core.xsrfKey`; 1.4.1 and later take the pinned value (verified by rendering 1.4.0–1.4.6).
pub fn ignores_pinned_xsrf_key(chart: Version) -> bool {
    chart == Version::new(1, 4, 0)
}

/// Up to chart 1.12 notary-server mounts the token certificate (when notary is enabled).
pub fn notary_reads_token_cert(chart: Version) -> bool {
    chart < Version::new(1, 13, 0)
}

/// The `PostgreSQL` major of the internal database image (`goharbor/harbor-db`), and the major its
/// entrypoint can `pg_upgrade` from. Known from Harbor 2.5 to 2.15; `None` outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Postgres {
    /// The major the image runs.
    pub major: u32,
    /// The major whose data directory the image upgrades at start, if any.
    pub upgrades_from: Option<u32>,
}

/// The internal `PostgreSQL` of a Harbor version (§7.2).
pub fn postgres(harbor: Version) -> Option<Postgres> {
    if harbor.major != 2 {
        return None;
    }
    match harbor.minor {
        // 2.5 and 2.6 bundle 9.6 binaries, but refuse a 9.6 layout at start: nothing to upgrade.
        5..=8 => Some(Postgres {
            major: 13,
            upgrades_from: None,
        }),
        9 | 10 => Some(Postgres {
            major: 14,
            upgrades_from: Some(13),
        }),
        11..=15 => Some(Postgres {
            major: 15,
            upgrades_from: Some(14),
        }),
        _ => None,
    }
}

/// Whether going straight from `from` to `to` with the internal database makes the new image
/// find no data directory it can upgrade and start an empty cluster: from `PostgreSQL` 13
/// (Harbor ≤ 2.8) straight to 15 (Harbor ≥ 2.11), which only upgrades from 14.
pub fn internal_database_starts_empty(from: Version, to: Version) -> bool {
    from < Version::new(2, 9, 0) && to >= Version::new(2, 11, 0)
}

/// Harbor 2.11 and later accept tokens up to 60 s off (`common.JwtLeeway`); earlier versions
/// have no leeway at all.
pub fn has_jwt_leeway(harbor: Version) -> bool {
    harbor >= Version::new(2, 11, 0)
}

/// The hops of a supported upgrade: at most one Harbor minor skipped per hop (N-2 → N), so a
/// longer way goes through every second minor, each at the newest patch `latest` knows.
/// The result starts after `from` and ends with `to`.
pub fn upgrade_hops(from: Release, to: Release, latest: &[Release]) -> Vec<Release> {
    let mut hops = Vec::new();
    let mut minor = from.harbor.minor;
    while to.harbor.minor > minor + 2 {
        minor += 2;
        let hop = latest
            .iter()
            .find(|r| r.harbor.major == to.harbor.major && r.harbor.minor == minor)
            .copied()
            .unwrap_or(Release {
                chart: Version::new(1, minor + 4, 0),
                harbor: Version::new(2, minor, 0),
            });
        hops.push(hop);
    }
    hops.push(to);
    hops
}

/// Whether one hop from `from` to `to` is inside the documented window (at most one minor
/// skipped).
pub fn is_supported_hop(from: Version, to: Version) -> bool {
    from.major == to.major && to.minor <= from.minor + 2
}

/// A component the chart dropped, with what is lost.
#[derive(Debug, Clone, Copy)]
pub struct RemovedComponent {
    /// The values key of the component (`notary`).
    pub key: &'static str,
    /// Its switch (`notary.enabled`).
    pub enabled: &'static str,
    /// The first chart without it.
    pub removed_in: Version,
    /// What its data was.
    pub data: &'static str,
    /// How to keep it.
    pub help: &'static str,
}

impl RemovedComponent {
    /// Whether a values key belongs to the component: its section, or a key elsewhere named
    /// after it (`expose.ingress.hosts.notary`, `expose.tls.secret.notarySecretName`,
    /// `redis.external.chartmuseumDatabaseIndex`).
    pub fn owns(&self, path: &str) -> bool {
        path.split('.')
            .any(|segment| segment.to_ascii_lowercase().starts_with(self.key))
    }
}

/// Components whose data is lost when the target chart drops them.
pub static REMOVED_COMPONENTS: &[RemovedComponent] = &[
    RemovedComponent {
        key: "chartmuseum",
        enabled: "chartmuseum.enabled",
        removed_in: Version::new(1, 12, 0),
        data: "Helm charts stored in ChartMuseum are no longer served (Harbor 2.8 removed it)",
        help: "before upgrading, push every chart again as an OCI artifact (`helm push chart.tgz oci://HARBOR/PROJECT`) and point clients at `oci://`; then set `chartmuseum.enabled: false` (or remove the `chartmuseum` settings)",
    },
    RemovedComponent {
        key: "notary",
        enabled: "notary.enabled",
        removed_in: Version::new(1, 13, 0),
        data: "Docker Content Trust signatures stored in notary are lost (Harbor 2.9 removed it)",
        help: "before upgrading, sign the images you rely on with Cosign or Notation (stored as OCI artifacts next to the image) and switch enforcement to them; then set `notary.enabled: false` (or remove the `notary` settings)",
    },
];

/// Keys that moved: `(old path, new paths, first chart with the new layout)`.
pub static RENAMES: &[(&str, &[&str], Version)] = &[
    (
        "expose.tls.secretName",
        &["expose.tls.secret.secretName"],
        Version::new(1, 5, 0),
    ),
    (
        "expose.tls.notarySecretName",
        &["expose.tls.secret.notarySecretName"],
        Version::new(1, 5, 0),
    ),
    (
        "expose.tls.commonName",
        &["expose.tls.auto.commonName"],
        Version::new(1, 5, 0),
    ),
    (
        "redis.external.host",
        &["redis.external.addr"],
        Version::new(1, 5, 0),
    ),
    (
        "redis.external.port",
        &["redis.external.addr"],
        Version::new(1, 5, 0),
    ),
    (
        "jobservice.jobLogger",
        &["jobservice.jobLoggers"],
        Version::new(1, 6, 0),
    ),
    (
        "notary.affinity",
        &["notary.server.affinity", "notary.signer.affinity"],
        Version::new(1, 6, 0),
    ),
    (
        "notary.nodeSelector",
        &["notary.server.nodeSelector", "notary.signer.nodeSelector"],
        Version::new(1, 6, 0),
    ),
    (
        "notary.podAnnotations",
        &[
            "notary.server.podAnnotations",
            "notary.signer.podAnnotations",
        ],
        Version::new(1, 6, 0),
    ),
    (
        "notary.tolerations",
        &["notary.server.tolerations", "notary.signer.tolerations"],
        Version::new(1, 6, 0),
    ),
    (
        "registry.credentials.htpasswd",
        &["registry.credentials.htpasswdString"],
        Version::new(1, 8, 0),
    ),
    (
        "persistence.persistentVolumeClaim.jobservice.accessMode",
        &["persistence.persistentVolumeClaim.jobservice.jobLog.accessMode"],
        Version::new(1, 10, 0),
    ),
    (
        "persistence.persistentVolumeClaim.jobservice.annotations",
        &["persistence.persistentVolumeClaim.jobservice.jobLog.annotations"],
        Version::new(1, 10, 0),
    ),
    (
        "persistence.persistentVolumeClaim.jobservice.existingClaim",
        &["persistence.persistentVolumeClaim.jobservice.jobLog.existingClaim"],
        Version::new(1, 10, 0),
    ),
    (
        "persistence.persistentVolumeClaim.jobservice.size",
        &["persistence.persistentVolumeClaim.jobservice.jobLog.size"],
        Version::new(1, 10, 0),
    ),
    (
        "persistence.persistentVolumeClaim.jobservice.storageClass",
        &["persistence.persistentVolumeClaim.jobservice.jobLog.storageClass"],
        Version::new(1, 10, 0),
    ),
    (
        "persistence.persistentVolumeClaim.jobservice.subPath",
        &["persistence.persistentVolumeClaim.jobservice.jobLog.subPath"],
        Version::new(1, 10, 0),
    ),
    (
        "expose.ingress.harbor.annotations",
        &["expose.ingress.annotations"],
        Version::new(1, 15, 0),
    ),
    (
        "expose.ingress.harbor.labels",
        &["expose.ingress.labels"],
        Version::new(1, 15, 0),
    ),
];

/// Where a removed key went, if it moved.
pub fn renamed_to(path: &str) -> Option<&'static [&'static str]> {
    RENAMES
        .iter()
        .find(|(old, _, _)| *old == path)
        .map(|(_, new, _)| *new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::catalog;

    #[test]
    fn the_static_pair_goes_with_the_missing_token_key() {
        let c = catalog();
        for (i, r) in c.releases().iter().enumerate() {
            let has_key = c.key("core.tokenKey").is_some_and(|k| k.active.contains(i));
            assert_eq!(
                token_pair_source(r.chart) == TokenPairSource::StaticPublic,
                !has_key,
                "chart {}",
                r.chart
            );
        }
    }

    #[test]
    fn hops_skip_at_most_one_minor() {
        let latest = catalog().latest_of_each_minor();
        let at = |h: &str| crate::chart::parse_release(h).unwrap();
        let hops: Vec<String> = upgrade_hops(at("2.5.6"), at("2.14.4"), &latest)
            .iter()
            .map(|r| format!("{}.{}", r.harbor.major, r.harbor.minor))
            .collect();
        assert_eq!(hops, ["2.7", "2.9", "2.11", "2.13", "2.14"]);
        assert_eq!(
            upgrade_hops(at("2.8.4"), at("2.10.2"), &latest),
            [at("2.10.2")]
        );
        assert!(is_supported_hop(
            Version::new(2, 8, 4),
            Version::new(2, 10, 2)
        ));
        assert!(!is_supported_hop(
            Version::new(2, 8, 4),
            Version::new(2, 11, 0)
        ));
    }

    #[test]
    fn postgres_majors_and_the_empty_cluster_trap() {
        let major = |m| postgres(Version::new(2, m, 0)).map(|p| p.major);
        assert_eq!(
            [major(8), major(9), major(10), major(11), major(15)],
            [Some(13), Some(14), Some(14), Some(15), Some(15)]
        );
        assert_eq!(major(4), None);
        assert!(internal_database_starts_empty(
            Version::new(2, 8, 4),
            Version::new(2, 11, 0)
        ));
        assert!(!internal_database_starts_empty(
            Version::new(2, 9, 0),
            Version::new(2, 11, 0)
        ));
    }

    #[test]
    fn renames_point_from_a_vanished_key_to_one_that_exists() {
        let c = catalog();
        for (old, new, since) in RENAMES {
            let i = c.index_of(*since).expect("known release");
            let old_key = c.key(old).unwrap_or_else(|| panic!("{old} unknown"));
            assert!(old_key.presence(i).is_none(), "{old} still in {since}");
            assert!(
                old_key.presence(i - 1).is_some(),
                "{old} not in the release before {since}"
            );
            // The new key exists from then on (`htpasswdString` is documented from 1.9.0).
            for n in *new {
                assert!(
                    c.key(n).is_some_and(|k| k
                        .active
                        .iter()
                        .chain(k.commented.iter())
                        .any(|j| j >= i)),
                    "{n} does not replace {old} from {since}"
                );
            }
        }
    }
}
