//! Chart releases with a known defect that breaks an upgrade, and the values that trigger it.
//! Every range here was read from the packaged templates of each release
//! (`templates/_helpers.tpl`, `templates/registry/registry-dpl.yaml`) and checked by rendering.

use super::version::Version;

/// What in the values (and the way the chart is rendered) makes a defect bite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The internal database with a non-empty `database.internal.password` (the chart default
    /// `changeit` counts), rendered by `helm upgrade` so that `lookup` finds the live Secret.
    InternalDatabasePassword,
    /// `registry.credentials.existingSecret` is set.
    RegistryCredentialsExistingSecret,
    /// `redis.type: external` with `redis.external.existingSecret`, rendered client-side
    /// (`helm template`, Argo CD), where `lookup` returns nothing.
    RedisExistingSecretClientSide,
}

/// One defective range of releases.
#[derive(Debug, Clone, Copy)]
pub struct ReleaseDefect {
    /// The first chart release with the defect.
    pub first: Version,
    /// The last chart release with the defect.
    pub last: Version,
    /// The release that fixed it.
    pub fixed_in: Version,
    /// The values path findings point at.
    pub path: &'static str,
    /// When it bites.
    pub trigger: Trigger,
    /// What the chart does wrong.
    pub what: &'static str,
    /// What the operator sees, quoted from the reports.
    pub symptom: &'static str,
    /// The way out besides moving to `fixed_in`.
    pub workaround: &'static str,
}

impl ReleaseDefect {
    /// Whether `chart` is in the defective range.
    pub fn affects(&self, chart: Version) -> bool {
        chart >= self.first && chart <= self.last
    }
}

/// The known defects, oldest first.
pub static RELEASE_DEFECTS: &[ReleaseDefect] = &[
    ReleaseDefect {
        first: Version::new(1, 10, 0),
        last: Version::new(1, 10, 0),
        fixed_in: Version::new(1, 10, 1),
        path: "registry.credentials.existingSecret",
        trigger: Trigger::RegistryCredentialsExistingSecret,
        what: "the registry Deployment mounts its htpasswd volume from a Secret literally named `.Values.registry.credentials.existingSecret` instead of the Secret the value names",
        symptom: "the registry pod never starts: `MountVolume.SetUp failed for volume \"registry-htpasswd\" : secret \".Values.registry.credentials.existingSecret\" not found`",
        workaround: "leave `registry.credentials.existingSecret` empty and set `registry.credentials.username`/`password` for this release",
    },
    ReleaseDefect {
        first: Version::new(1, 13, 1),
        last: Version::new(1, 18, 4),
        fixed_in: Version::new(1, 19, 0),
        path: "redis.external.existingSecret",
        trigger: Trigger::RedisExistingSecretClientSide,
        what: "`harbor.redis.pwdfromsecret` reads `(lookup ...).data.REDIS_PASSWORD` without checking that the lookup found anything, and a client-side render never finds anything",
        symptom: "the render fails: `executing \"harbor.redis.pwdfromsecret\" at <.Values.redis.external.existingSecret>: nil pointer evaluating interface {}.REDIS_PASSWORD`",
        workaround: "render with `helm upgrade` against the cluster, or set `redis.external.password` instead of `redis.external.existingSecret` for this release",
    },
    ReleaseDefect {
        first: Version::new(1, 14, 0),
        last: Version::new(1, 14, 0),
        fixed_in: Version::new(1, 14, 1),
        path: "database.internal.password",
        trigger: Trigger::InternalDatabasePassword,
        what: "when the `<fullname>-database` Secret exists, `harbor.database.rawPassword` pipes the plain `database.internal.password` through `b64dec` instead of the Secret's value",
        symptom: "`POSTGRES_PASSWORD` becomes `illegal base64 data at input byte 3` (or another offset) and core stops with `password authentication failed for user \"postgres\"`",
        workaround: "leave `database.internal.password` empty (`\"\"`) for this release: the chart then keeps the live password from the Secret",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_ordered_and_fixed_after_their_last_release() {
        for d in RELEASE_DEFECTS {
            assert!(d.first <= d.last && d.last < d.fixed_in, "{}", d.path);
        }
        assert!(RELEASE_DEFECTS[2].affects(Version::new(1, 14, 0)));
        assert!(!RELEASE_DEFECTS[2].affects(Version::new(1, 14, 1)));
        assert!(RELEASE_DEFECTS[1].affects(Version::new(1, 13, 1)));
        assert!(!RELEASE_DEFECTS[1].affects(Version::new(1, 13, 0)));
        assert!(!RELEASE_DEFECTS[1].affects(Version::new(1, 19, 0)));
    }
}
