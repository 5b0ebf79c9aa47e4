//! `redis-sentinel-address`: an external Redis reached through Sentinel, with an `addr` the
//! components cannot use, or a target Harbor whose registry cannot use Sentinel.
//!
//! What the chart does with the two keys (charts 1.5.0–1.19.1, rendered with Helm): a non-empty
//! `redis.external.sentinelMasterSet` makes the scheme `redis+sentinel` (`rediss+sentinel` with
//! `tlsOptions.enable`, 1.17.0+), and `addr` goes verbatim into the URLs of core
//! (`_REDIS_URL_CORE`, `_REDIS_URL_REG`), jobservice (`redis_url`) and trivy (`redisURL`) as
//! `redis+sentinel://:<password>@<addr>/<master>/<db>`, and into the registry's `config.yml` as
//! `redis.addr` next to `sentinelMasterSet` (left out when the scheme is `rediss+sentinel`).
//! With the master set empty, the same `addr` becomes `redis://:<password>@<addr>/<db>`.

use super::upgrade_values::{new_value, span_of, truthy};
use super::{Context, Findings, Rule};
use crate::chart::Version;
use crate::report::{Finding, Severity};
use crate::values::placeholder::find_placeholder;

/// External Redis Sentinel addresses that break, or a registry that cannot use them.
pub struct RedisSentinelAddress;

/// An entry as messages quote it: credentials written into it (`user:pass@host`) are replaced
/// by `<credentials>`, so that no password reaches the report.
fn shown(entry: &str) -> String {
    match entry.rsplit_once('@') {
        Some((before, host)) => {
            let scheme = before.find("://").map_or("", |i| &before[..i + 3]);
            format!("{scheme}<credentials>@{host}")
        }
        None => entry.to_string(),
    }
}

/// Why one comma-separated entry of `addr` is not a Sentinel `host:port`, if it is not.
fn entry_problem(entry: &str) -> Option<&'static str> {
    if entry.is_empty() {
        return Some("an empty entry (a doubled or trailing comma)");
    }
    if entry.chars().any(char::is_whitespace) {
        return Some("white space (the URL host may not contain it)");
    }
    if entry.contains("://") {
        return Some("a scheme (the chart adds `redis+sentinel://` itself)");
    }
    if entry.contains('/') {
        return Some("a path (the chart appends `/<sentinelMasterSet>/<db>` itself)");
    }
    if entry.contains('@') {
        return Some("credentials (they belong in `redis.external.password` or `existingSecret`)");
    }
    let port = if let Some(rest) = entry.strip_prefix('[') {
        // [IPv6]:port
        match rest.split_once("]:") {
            Some((host, port)) if !host.is_empty() => port,
            _ => return Some("no port (`host:26379`)"),
        }
    } else {
        match entry.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() && !host.contains(':') => port,
            Some((host, _)) if host.contains(':') => {
                return Some("an IPv6 address without brackets (`[fd00::1]:26379`)")
            }
            _ => return Some("no port (`host:26379`)"),
        }
    };
    match port.parse::<u16>() {
        Ok(p) if p > 0 => None,
        _ => Some("a port that is not a number from 1 to 65535"),
    }
}

impl Rule for RedisSentinelAddress {
    fn id(&self) -> &'static str {
        "redis-sentinel-address"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "external Redis: `addr` lists several hosts without `sentinelMasterSet`, or is not a comma-separated `host:port` list with it (error); the target registry cannot use Sentinel (Harbor 2.5.0, 2.13 and later: warning)"
    }
    fn explain(&self) -> &'static str {
        "Charts from 1.5.0 (Harbor 2.1) reach an external Redis through Sentinel when \
`redis.external.sentinelMasterSet` names the master set; `redis.external.addr` is then the \
Sentinels, `<host1>:<port1>,<host2>:<port2>,<host3>:<port3>`. The chart copies `addr` verbatim \
into `redis+sentinel://:<password>@<addr>/<master>/<db>` for core, jobservice and trivy, and into \
the registry's `config.yml` as `redis.addr` with `sentinelMasterSet`.\n\n\
What breaks:\n\n\
- **Several hosts, no master set.** The scheme stays `redis`, and every component dials the \
whole list as one address: `dial tcp: address h1:26379,h2:26379: too many colons in address` \
(goharbor/harbor#13614). Error.\n\
- **An entry that is not `host:port`.** A scheme (`redis://`), the master name as a path \
(`h1:26379/mymaster`), credentials, spaces after the commas, a missing port or an empty entry end \
up inside the URL the components parse, and none of them connects. Error.\n\
- **Harbor 2.13 and later** (chart 1.17.0+). The registry of 2.13 dials the whole `addr` as one \
address (`error connecting to redis instance h1:26379,h2:26379,h3:26379: … too many colons in \
address`), and with a single Sentinel it talks to the Sentinel as if it were Redis (`ERR unknown \
command 'SELECT'`), while core and jobservice keep working (goharbor/harbor#22327, a regression \
from 2.11, open). With `tlsOptions.enable` the chart also leaves `sentinelMasterSet` out of the \
registry's `config.yml` (its test compares the scheme with `redis+sentinel`, not \
`rediss+sentinel`). Warning: the registry loses its Redis, the rest of Harbor does not.\n\
- **Harbor 2.5.0** (chart 1.9.0). The registry of 2.5.0 could not use Sentinel (`too many \
colons in address`); fixed in 2.5.1, chart 1.9.1 (goharbor/harbor#16777). Warning.\n\n\
Values a deploy tool substitutes later (`${REDIS_SENTINELS}`) are not judged.\n\n\
**Fix:** set `sentinelMasterSet` to the name the Sentinels monitor (`sentinel monitor <name> …`) \
and write `addr` as `host:port` entries separated by commas only. For the registry of Harbor \
2.13 and later, until goharbor/harbor#22327 is fixed, stay on Harbor 2.12 (chart 1.16) or give \
Harbor one Redis entry point that follows the master (for example HAProxy checking \
`role:master`) as a plain `addr` without `sentinelMasterSet`."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Some(target) = ctx.target() else {
            return;
        };
        if target.release.chart < Version::new(1, 5, 0)
            || new_value(ctx, "redis.type").as_deref() != Some("external")
        {
            return;
        }
        let Some(addr) = new_value(ctx, "redis.external.addr")
            .filter(|a| !a.is_empty() && find_placeholder(a).is_none())
        else {
            return;
        };
        let master = new_value(ctx, "redis.external.sentinelMasterSet").unwrap_or_default();
        if find_placeholder(&master).is_some() {
            return;
        }
        let at = span_of(ctx, "redis.external.addr").or_else(|| span_of(ctx, "redis.external"));
        let entries: Vec<&str> = addr.split(',').collect();
        if master.is_empty() {
            if entries.len() > 1 {
                out.push(
                    Finding::new(
                        self.id(),
                        Severity::Error,
                        format!("`redis.external.addr` lists {} addresses but `redis.external.sentinelMasterSet` is empty: Harbor dials the whole list as one Redis address", entries.len()),
                    )
                    .path("redis.external.addr")
                    .at(at)
                    .note("without a master set the chart writes `redis://…@<addr>/<db>`: core, jobservice, registry and trivy fail with `too many colons in address`")
                    .help("if these are Sentinels, set `redis.external.sentinelMasterSet` to the master set they monitor; otherwise give one `host:port`"),
                );
            }
            return;
        }
        let bad: Vec<String> = entries
            .iter()
            .filter_map(|e| entry_problem(e).map(|why| format!("`{}` has {why}", shown(e))))
            .collect();
        if !bad.is_empty() {
            out.push(
                Finding::new(
                    self.id(),
                    Severity::Error,
                    format!(
                        "`redis.external.addr` is not a comma-separated list of Sentinel `host:port` entries: {}",
                        bad.join("; ")
                    ),
                )
                .path("redis.external.addr")
                .at(at)
                .note(format!("the chart writes `redis+sentinel://:<password>@{}/{master}/<db>` for core, jobservice and trivy, and `addr` into the registry's `config.yml`: none of them can connect", entries.iter().map(|e| shown(e)).collect::<Vec<_>>().join(",")))
                .help("write `addr` as `host1:26379,host2:26379,host3:26379`: Sentinel hosts and ports only, separated by commas without spaces"),
            );
            return;
        }
        let tls = target.release.chart >= Version::new(1, 17, 0)
            && truthy(new_value(ctx, "redis.external.tlsOptions.enable").as_deref());
        let harbor = target.release.harbor;
        if harbor >= Version::new(2, 13, 0) {
            let mut finding = Finding::new(
                self.id(),
                Severity::Warning,
                format!("the registry of the target Harbor {harbor} ({}) cannot reach Redis through Sentinel: it dials `redis.external.addr` as one address", target.label()),
            )
            .path("redis.external.sentinelMasterSet")
            .at(span_of(ctx, "redis.external.sentinelMasterSet").or(at))
            .note("reported for 2.13.1, open (goharbor/harbor#22327): `error connecting to redis instance …: too many colons in address`, or `ERR unknown command 'SELECT'` with a single Sentinel; core and jobservice keep working");
            if tls {
                finding = finding.note("with `redis.external.tlsOptions.enable` the chart also leaves `sentinelMasterSet` out of the registry's `config.yml`");
            }
            out.push(finding.help("until goharbor/harbor#22327 is fixed, stay on Harbor 2.12 (chart 1.16) or give Harbor one Redis entry point that follows the master (e.g. HAProxy checking `role:master`) as `addr` without `sentinelMasterSet`"));
        } else if target.release.chart == Version::new(1, 9, 0) {
            out.push(
                Finding::new(
                    self.id(),
                    Severity::Warning,
                    "the registry of Harbor 2.5.0 (chart 1.9.0) cannot reach Redis through Sentinel: it dials `redis.external.addr` as one address",
                )
                .path("redis.external.sentinelMasterSet")
                .at(span_of(ctx, "redis.external.sentinelMasterSet").or(at))
                .note("`too many colons in address` in the registry log; fixed in Harbor 2.5.1 (goharbor/harbor#16777)")
                .help("upgrade to chart 1.9.1 (Harbor 2.5.1) or later instead"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentinel_entries_are_host_and_port() {
        for good in ["redis-0.redis:26379", "10.0.0.1:26379", "[fd00::1]:26379"] {
            assert_eq!(entry_problem(good), None, "{good}");
        }
        for bad in [
            "",
            " redis-1:26379",
            "redis://redis-0:26379",
            "redis-0:26379/mymaster",
            "user:pw@redis-0:26379",
            "redis-0",
            "redis-0:http",
            "redis-0:0",
            "fd00::1:26379",
            "[fd00::1]",
        ] {
            assert!(entry_problem(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn credentials_in_an_entry_are_never_quoted() {
        assert_eq!(
            shown("redis://:s3cret@h:26379"),
            "redis://<credentials>@h:26379"
        );
        assert_eq!(shown("user:s3cret@h:26379"), "<credentials>@h:26379");
        assert_eq!(shown("h:26379"), "h:26379");
    }
}
