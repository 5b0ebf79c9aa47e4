//! `external-database-too-old`: the external PostgreSQL server is older than the target Harbor
//! supports. The tool cannot see the server offline, so its version is an input
//! (`--database-version`).

use std::fmt;
use std::str::FromStr;

use super::upgrade_values::{new_value, span_of};
use super::{Context, Findings, Rule};
use crate::chart::Version;
use crate::report::{Finding, Severity};

/// A PostgreSQL server version as `SHOW server_version` starts: `14.5`, `12`, `9.6.24`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PgVersion {
    /// `14` of `14.5`; `9` of `9.6` (before PostgreSQL 10 the major was two numbers).
    pub major: u32,
    /// `5` of `14.5`, `6` of `9.6`; 0 when not given.
    pub minor: u32,
}

impl FromStr for PgVersion {
    type Err = String;

    /// `MAJOR[.MINOR[.PATCH]]`, digits only (a leading `v` is allowed).
    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || {
            "expected the PostgreSQL server version as MAJOR[.MINOR], such as `14` or `12.17` (`SHOW server_version;`)".to_string()
        };
        let t = text.trim();
        let t = t.strip_prefix(['v', 'V']).unwrap_or(t);
        let parts: Vec<&str> = t.split('.').collect();
        if parts.is_empty()
            || parts.len() > 3
            || parts
                .iter()
                .any(|p| p.is_empty() || p.len() > 4 || !p.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(bad());
        }
        let major: u32 = parts[0].parse().map_err(|_| bad())?;
        let minor: u32 = parts
            .get(1)
            .map_or(Ok(0), |m| m.parse())
            .map_err(|_| bad())?;
        if major == 0 {
            return Err(bad());
        }
        Ok(Self { major, minor })
    }
}

impl fmt::Display for PgVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.major < 10 || self.minor > 0 {
            write!(f, "{}.{}", self.major, self.minor)
        } else {
            write!(f, "{}", self.major)
        }
    }
}

/// `--database-version` for clap: the text, or why it is not a version.
pub fn parse_database_version(text: &str) -> Result<PgVersion, String> {
    text.parse()
}

/// The oldest external PostgreSQL each Harbor release supports, newest first: (first Harbor
/// release, minimum major, where the number comes from, what breaks).
const MINIMUMS: &[(Version, u32, &str, &str)] = &[
    (
        Version::new(2, 9, 0),
        12,
        "Harbor v2.9.0 release notes: \"only PostgreSQL >= 12 is supported for external databases\" (harbor#19318)",
        "the 2.9.0 schema migration (`0120_2.9.0_schema.up.sql`) calls `jsonb_path_exists`, which PostgreSQL 12 introduced: core stops with `failed to migrate the database` and stays down",
    ),
    (
        Version::new(2, 5, 0),
        10,
        "the Harbor 2.5 upgrade guide (goharbor.io/docs/2.5.0/administration/upgrade): PostgreSQL >= 10 from v2.5",
        "Harbor is neither tested nor supported on it; the schema migration may fail half-way",
    ),
];

/// The minimum row for a Harbor release, if one applies.
fn minimum(harbor: Version) -> Option<&'static (Version, u32, &'static str, &'static str)> {
    MINIMUMS.iter().find(|(since, ..)| harbor >= *since)
}

/// `database.type: external` on a PostgreSQL older than the target Harbor supports.
pub struct ExternalDatabaseTooOld;

impl Rule for ExternalDatabaseTooOld {
    fn id(&self) -> &'static str {
        "external-database-too-old"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "`database.type: external` and the PostgreSQL server given with `--database-version` is older than the target Harbor supports (10 from Harbor 2.5, 12 from 2.9)"
    }
    fn explain(&self) -> &'static str {
        "Harbor's core migrates the database schema when it starts, and its migrations use what \
the supported PostgreSQL releases offer. With the internal database the chart ships a matching \
server (`database-major-upgrade` covers its major upgrades); with `database.type: external` the \
operator runs the server, and an upgrade of Harbor can leave it behind.\n\n\
Minimum PostgreSQL for an external database:\n\n\
| target Harbor | PostgreSQL | source |\n\
|---|---|---|\n\
| 2.9 and later | 12 | Harbor v2.9.0 release notes (\"only PostgreSQL >= 12 is supported for external databases\"); goharbor/harbor#19318: the 2.9.0 migration `0120_2.9.0_schema.up.sql` calls `jsonb_path_exists` (PostgreSQL 12), so on 11 core fails with `failed to migrate the database`; the upgrade guides of 2.9 and later were corrected to say so (goharbor/website#536) |\n\
| 2.5 – 2.8 | 10 | the Harbor upgrade guides from 2.5 (`goharbor.io/docs/<version>/administration/upgrade`) |\n\n\
No later Harbor release (up to 2.15) has published a higher minimum in its release notes or \
upgrade guide that this tool knows of; the internal database runs PostgreSQL 15 from 2.11, and \
goharbor/harbor#19512 notes that 15 was verified for 2.11.\n\n\
The tool cannot read the server's version offline: give it with `--database-version \
MAJOR[.MINOR]` (what `SHOW server_version;` prints, e.g. `14.5`). Without it, and with an \
external database, the rule is listed as not checked.\n\n\
**Fix:** upgrade the PostgreSQL server to the supported major first (back up the `registry` \
database with `pg_dump`, then `pg_upgrade` or your provider's major-version upgrade), then \
upgrade Harbor."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        if new_value(ctx, "database.type").as_deref() != Some("external") {
            return;
        }
        let Some(target) = ctx.target() else {
            return;
        };
        let Some(&(since, needed, source, breaks)) = minimum(target.release.harbor) else {
            return;
        };
        let Some(version) = ctx.database_version() else {
            out.skip(
                self.id(),
                format!("`database.type` is `external`: give the server's version with `--database-version` (`SHOW server_version;`); the target Harbor {} ({}) needs PostgreSQL {needed} or later", target.release.harbor, target.label()),
            );
            return;
        };
        if version.major >= needed {
            return;
        }
        let path = if span_of(ctx, "database.external.host").is_some() {
            "database.external.host"
        } else {
            "database.type"
        };
        out.push(
            Finding::new(
                self.id(),
                self.severity(),
                format!(
                    "external PostgreSQL {version} is older than the target Harbor {} ({}) supports: it needs PostgreSQL {needed} or later",
                    target.release.harbor,
                    target.label()
                ),
            )
            .path(path)
            .at(span_of(ctx, path).or_else(|| span_of(ctx, "database.type")))
            .note(format!("Harbor {since} and later: {source}"))
            .note(breaks.to_string())
            .help(format!("upgrade the PostgreSQL server to {needed} or later before upgrading Harbor (back up the `registry` database with `pg_dump` first)")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_like_server_version() {
        let v = |t: &str| t.parse::<PgVersion>();
        assert_eq!(
            v("14"),
            Ok(PgVersion {
                major: 14,
                minor: 0
            })
        );
        assert_eq!(
            v("12.17"),
            Ok(PgVersion {
                major: 12,
                minor: 17
            })
        );
        assert_eq!(v("9.6.24"), Ok(PgVersion { major: 9, minor: 6 }));
        assert_eq!(
            v("v15"),
            Ok(PgVersion {
                major: 15,
                minor: 0
            })
        );
        assert_eq!(
            v(" 14 "),
            Ok(PgVersion {
                major: 14,
                minor: 0
            })
        );
        for bad in [
            "",
            "x",
            "14.",
            ".5",
            "14.5.1.2",
            "0",
            "fourteen",
            "-1",
            "14.5 (Debian)",
        ] {
            assert!(v(bad).is_err(), "{bad:?}");
        }
        assert_eq!(PgVersion { major: 9, minor: 6 }.to_string(), "9.6");
        assert_eq!(
            PgVersion {
                major: 14,
                minor: 0
            }
            .to_string(),
            "14"
        );
    }

    #[test]
    fn minimum_by_target_harbor() {
        assert_eq!(minimum(Version::new(2, 10, 2)).map(|m| m.1), Some(12));
        assert_eq!(minimum(Version::new(2, 9, 0)).map(|m| m.1), Some(12));
        assert_eq!(minimum(Version::new(2, 8, 4)).map(|m| m.1), Some(10));
        assert_eq!(minimum(Version::new(2, 4, 0)), None);
    }
}
