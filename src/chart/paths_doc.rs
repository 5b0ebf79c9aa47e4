//! `docs/upgrade-paths.md`, generated from the embedded table and the behaviours (a test keeps
//! the file in step).

use std::fmt::Write as _;

use super::behaviour::{
    has_jwt_leeway, postgres, preserves_internal_secrets, token_pair_source, upgrade_hops,
    TokenPairSource, RENAMES,
};
use super::catalog::catalog;
use super::version::Release;

/// The keys present in release `a` and absent in release `b` (indexes), topmost only, each with
/// the number of keys below it.
fn removed_between(a: usize, b: usize) -> Vec<(String, usize)> {
    let c = catalog();
    let gone: Vec<&str> = c
        .keys()
        .filter(|k| k.presence(a).is_some() && k.presence(b).is_none())
        .map(|k| k.path.as_str())
        .collect();
    gone.iter()
        .filter(|p| {
            !p.rsplit_once('.')
                .is_some_and(|(parent, _)| gone.contains(&parent))
        })
        .map(|p| {
            let prefix = format!("{p}.");
            let below = gone.iter().filter(|q| q.starts_with(&prefix)).count();
            ((*p).to_string(), below)
        })
        .collect()
}

fn minor_label(r: Release) -> String {
    format!("{}.{}", r.chart.major, r.chart.minor)
}

fn harbor_minor(r: Release) -> String {
    format!("{}.{}", r.harbor.major, r.harbor.minor)
}

/// Describes how a run of patches behaves: `a` for all, or `a in x–y; b in z`.
fn by_patches(patches: &[Release], describe: impl Fn(Release) -> String) -> String {
    let mut runs: Vec<(String, Release, Release)> = Vec::new();
    for r in patches {
        let d = describe(*r);
        match runs.last_mut() {
            Some((last, _, end)) if *last == d => *end = *r,
            _ => runs.push((d, *r, *r)),
        }
    }
    if runs.len() == 1 {
        return runs.remove(0).0;
    }
    runs.iter()
        .map(|(d, a, b)| {
            if a == b {
                format!("{d} in {}", a.chart)
            } else {
                format!("{d} in {}–{}", a.chart, b.chart)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The whole document.
pub fn upgrade_paths_markdown() -> String {
    let c = catalog();
    let releases = c.releases();
    let latest = c.latest_of_each_minor();
    let mut out = String::from(
        "# Upgrade paths\n\n<!-- Generated from src/chart by `UPDATE_DOCS=1 cargo test upgrade_paths_doc`; do not edit by hand. -->\n\n\
         What `harbor-upgrade` knows about every release of the goharbor/harbor chart, and what \
         `preflight check --from VERSION --to VERSION` judges with it (`upgrade-path-*`, \
         `database-major-upgrade`, `values-key-*`, `removed-component-data`, `jwt-no-leeway`). \
         Chart 1.N.p ships Harbor 2.(N-4).p. A release newer than these can be checked with \
         `--chart DIR|TGZ`.\n\n## Releases\n\n\
         | chart | Harbor | patches | internal PostgreSQL | JWT clock leeway | token pair when nothing pins it | blank `core.secret`, `jobservice.secret`, `registry.secret`, `core.xsrfKey` |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for newest in latest.iter().rev() {
        let patches: Vec<Release> = releases
            .iter()
            .filter(|r| r.chart.minor == newest.chart.minor)
            .copied()
            .collect();
        let first = patches.first().copied().unwrap_or(*newest);
        let pg = postgres(newest.harbor).map_or_else(
            || "not known".to_string(),
            |p| match p.upgrades_from {
                Some(old) => format!("{} (upgrades {old} at start)", p.major),
                None => p.major.to_string(),
            },
        );
        let leeway = if has_jwt_leeway(newest.harbor) {
            "60 s"
        } else {
            "none"
        };
        let token = by_patches(&patches, |r| match token_pair_source(r.chart) {
            TokenPairSource::StaticPublic => "the public pair shipped in the chart".to_string(),
            TokenPairSource::GeneratedEveryRender => "a new pair on every render".to_string(),
        });
        let secrets = if preserves_internal_secrets(newest.chart) {
            "kept from the live Secrets by `lookup` (not with `helm template`)"
        } else {
            "new random values on every render"
        };
        let _ = writeln!(
            out,
            "| {} | {} | {}–{} | {pg} | {leeway} | {token} | {secrets} |",
            minor_label(*newest),
            harbor_minor(*newest),
            first.chart,
            newest.chart,
        );
    }

    hops_section(&mut out);
    postgres_section(&mut out);
    removals_section(&mut out);
    out
}

fn hops_section(out: &mut String) {
    let c = catalog();
    let latest = c.latest_of_each_minor();
    out.push_str(
        "\n## Supported hops\n\nHarbor's upgrade guide covers a migration from two minors back at most (N-2 → N): \
         one `helm upgrade` may skip one Harbor minor, not more. The database schema cannot be \
         migrated down, so a downgrade (or `helm rollback` across a schema change) means \
         restoring the backup taken before the upgrade. `upgrade-path-skip` prints the hops; \
         each intermediate hop uses the newest patch of its minor.\n\n\
         | from Harbor | furthest single hop | hops to the newest release |\n|---|---|---|\n",
    );
    if let Some(newest) = c.newest() {
        for from in &latest {
            let furthest = latest
                .iter()
                .rev()
                .find(|r| {
                    r.harbor.minor <= from.harbor.minor + 2 && r.harbor.minor > from.harbor.minor
                })
                .map_or_else(|| "—".to_string(), |r| harbor_minor(*r));
            let hops = if from.harbor.minor == newest.harbor.minor {
                "—".to_string()
            } else {
                std::iter::once(*from)
                    .chain(upgrade_hops(*from, newest, &latest))
                    .map(|r| r.harbor.to_string())
                    .collect::<Vec<_>>()
                    .join(" → ")
            };
            let _ = writeln!(out, "| {} | {furthest} | {hops} |", harbor_minor(*from));
        }
    }
}

fn postgres_section(out: &mut String) {
    let latest = catalog().latest_of_each_minor();
    out.push_str(
        "\n## Internal PostgreSQL\n\nWith `database.type: internal` the `harbor-db` image upgrades the data directory of the \
         previous major at its first start (`pg_upgrade` in copy mode: the volume needs room for \
         a second copy of the database). It only knows the one major before its own: going \
         from Harbor 2.8 or older (PostgreSQL 13) straight to 2.11 or newer (PostgreSQL 15, \
         which upgrades only from 14) finds no data directory it can upgrade and **starts an \
         empty cluster** next to the old one — Harbor then looks freshly installed.\n\n\
         | Harbor | PostgreSQL major | upgrades at start from |\n|---|---|---|\n",
    );
    let mut rows: Vec<(String, String)> = Vec::new();
    for r in &latest {
        let Some(pg) = postgres(r.harbor) else {
            continue;
        };
        let from = pg
            .upgrades_from
            .map_or_else(|| "—".to_string(), |m| m.to_string());
        let row = format!("{} | {from}", pg.major);
        match rows.last_mut() {
            Some((minors, last)) if *last == row => {
                let start = minors.split('–').next().unwrap_or_default().to_string();
                *minors = format!("{start}–{}", harbor_minor(*r));
            }
            _ => rows.push((harbor_minor(*r), row)),
        }
    }
    for (minors, row) in rows {
        let _ = writeln!(out, "| {minors} | {row} |");
    }
    out.push_str(
        "\nHarbor before 2.5 is not covered: its PostgreSQL major is not recorded here.\n",
    );
}

fn removals_section(out: &mut String) {
    let releases = catalog().releases();
    out.push_str(
        "\n## What each chart minor removes\n\nKeys present in one release and absent in the next (in release order), \
         as `values-key-removed` reports them: a key set in the values but absent from the \
         target chart is silently ignored. Keys documented only as comments in `values.yaml` \
         count as present. A key followed by (+N) takes N keys below it with it.\n",
    );
    // (chart minor of the later release, its label, lines), in release order.
    let mut sections: Vec<(u32, String, Vec<String>)> = Vec::new();
    for (i, w) in releases.windows(2).enumerate() {
        let removed = removed_between(i, i + 1);
        if removed.is_empty() {
            continue;
        }
        let keys: Vec<String> = removed
            .iter()
            .map(|(p, below)| {
                let mut s = format!("`{p}`");
                if *below > 0 {
                    let _ = write!(s, " (+{below})");
                }
                // Renames of the key itself, or of keys below it that went with it.
                let prefix = format!("{p}.");
                let moved: Vec<String> = RENAMES
                    .iter()
                    .filter(|(old, _, _)| old == p || old.starts_with(&prefix))
                    .flat_map(|(old, new, _)| {
                        let rest = old.strip_prefix(prefix.as_str());
                        new.iter().map(move |n| match rest {
                            Some(rest) => format!("`{rest}` → `{n}`"),
                            None => format!("`{n}`"),
                        })
                    })
                    .collect();
                if !moved.is_empty() {
                    let _ = write!(s, " → {}", moved.join(", "));
                }
                s
            })
            .collect();
        let line = format!("- {} → {}: {}", w[0].chart, w[1].chart, keys.join(", "));
        match sections.last_mut() {
            Some((minor, _, lines)) if *minor == w[1].chart.minor => lines.push(line),
            _ => sections.push((
                w[1].chart.minor,
                format!(
                    "Chart {} (Harbor {})",
                    minor_label(w[1]),
                    harbor_minor(w[1])
                ),
                vec![line],
            )),
        }
    }
    for (_, title, lines) in sections {
        let _ = writeln!(out, "\n### {title}\n\n{}", lines.join("\n"));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn upgrade_paths_doc_is_in_step_with_the_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/upgrade-paths.md");
        let generated = super::upgrade_paths_markdown();
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(path, &generated).expect("write docs/upgrade-paths.md");
        }
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            on_disk == generated,
            "docs/upgrade-paths.md is out of date: run `UPDATE_DOCS=1 cargo test upgrade_paths_doc` and commit it"
        );
    }
}
