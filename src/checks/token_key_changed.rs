//! `token-key-changed`: the values pin a token signing key other than the one running, so the
//! upgrade switches keys while core pods roll.

use super::{Context, Findings, Rule};
use crate::chart::behaviour::{token_pair_source, TokenPairSource};
use crate::pki::{fingerprint, parse_private_key};
use crate::report::{Finding, Severity};

/// The values pin another token pair than the one running.
pub struct TokenKeyChanged;

impl Rule for TokenKeyChanged {
    fn id(&self) -> &'static str {
        "token-key-changed"
    }
    fn severity(&self) -> Severity {
        Severity::Warning
    }
    fn summary(&self) -> &'static str {
        "`core.tokenKey` pins another token signing key than the one running: keys switch mid-rollout"
    }
    fn explain(&self) -> &'static str {
        "Core signs every token (`docker login`, robot accounts, the UI's registry calls) with the \
private key mounted from `tls.key` of the `<fullname>-core` Secret, and verifies the tokens it is \
shown with the same key. When the values pin `core.tokenKey`/`core.tokenCert` to a pair other than \
the one in the live Secret (a pair copied from another install, or an old backup), the upgrade \
writes the new key into the Secret and the core Deployment rolls. Pods that have not restarted yet \
keep the old key until they are replaced; pods that have restarted use the new one. While both \
run, a token issued by one pod is rejected by the other with `crypto/rsa: verification error` and \
clients get intermittent 401s, more often the more core replicas there are. After the rollout, \
every token issued before it is invalid (30 minutes by default), and in charts up to 1.12 \
notary-server verifies with the new certificate while old core pods still sign with the old key. \
This is the 401 storm of upgrades that changed the key without meaning to.\n\n\
The key is compared by its public key, so the same key in another PEM encoding is not a change; \
a new certificate for the same key is not a change either.\n\n\
**Fix:** if the switch is not intended, set `core.tokenKey` and `core.tokenCert` to the pair in \
the live Secret (`harbor-upgrade keys backup` keeps a copy) so the upgrade keeps the key. To \
rotate on purpose, do it in a `helm upgrade` of its own that changes nothing else, with \
`core.replicas: 1` (one old and one new pod overlap for seconds instead of a whole rollout), \
then raise `core.replicas` again; clients log in again afterwards.\n\n\
With `--rendered`, the key compared is the one the rendered core Deployment mounts, so a pair \
the chart generates anew (a client-side `helm template`, charts that do not look the live Secret \
up) is reported too."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        if let Some(pair) = ctx.token_pairs.iter().find(|p| p.rendered) {
            rendered_switch(self, ctx, pair, out);
            return;
        }
        let key_field = ctx.field("core.tokenKey");
        let Some(pinned_text) = key_field.set_str() else {
            return;
        };
        // A Secret named by `core.secretName` replaces the values; a target that predates
        // `core.tokenKey` ignores it (`token-key-ignored`).
        if ctx.setting("core.secretName").is_some() {
            return;
        }
        if ctx
            .target()
            .is_some_and(|t| token_pair_source(t.release.chart) == TokenPairSource::StaticPublic)
        {
            return;
        }
        let Some(live_text) = ctx.live_core("tls.key") else {
            match ctx.core_secret() {
                Some(core) => out.skip(
                    self.id(),
                    format!("the live Secret `{}` holds no `tls.key`: the running key comes from the Secret the deployed `core.secretName` names", core.name),
                ),
                None if !ctx.secrets.is_empty() => {
                    out.skip(self.id(), ctx.core_secret_missing_reason());
                }
                None => {}
            }
            return;
        };
        // Unreadable keys are `token-key-invalid`'s; without both public keys there is nothing to
        // compare.
        let Ok(pinned) = parse_private_key(pinned_text) else {
            return;
        };
        let Ok(live) = parse_private_key(&String::from_utf8_lossy(live_text)) else {
            out.skip(
                self.id(),
                "the live `tls.key` is not a readable private key: the keys were not compared",
            );
            return;
        };
        let (Some(pinned_spki), Some(live_spki)) = (&pinned.spki_der, &live.spki_der) else {
            return;
        };
        if pinned_spki == live_spki {
            return;
        }
        let core = ctx
            .core_secret()
            .map_or("<fullname>-core", |s| s.name.as_str());
        let replicas = ctx.number("core.replicas", 1);
        let rollout = if replicas > 1 {
            format!(
                "`core.replicas` is {replicas}: during the rollout the pods of Deployment `{core}` not yet replaced keep signing and verifying with the old key while the new pods use the new one, so a token issued by one is rejected by the other (`crypto/rsa: verification error`, 401 on `docker login`, pull and push) until the last old pod is gone"
            )
        } else {
            "with one core replica the old pod keeps the old key until the new pod replaces it; tokens issued before the switch are rejected afterwards".to_string()
        };
        let finding = Finding::new(
                self.id(),
                self.severity(),
                format!("`core.tokenKey` is not the token signing key running now (`tls.key` of Secret `{core}`): the upgrade switches keys while core pods roll"),
            )
            .path("core.tokenKey")
            .at(key_field.span())
            .note(format!(
                "pinned: {}, public key {}",
                pinned.describe(),
                fingerprint(pinned_spki)
            ))
            .note(format!(
                "running: {}, public key {}",
                live.describe(),
                fingerprint(live_spki)
            ))
            .note(rollout)
            .note("every token issued before the upgrade becomes invalid (30 minutes by default): clients log in again")
            .help(format!(
                "to keep the key, set `core.tokenKey`/`core.tokenCert` to `tls.key`/`tls.crt` of Secret `{core}`; to rotate on purpose, do it in an upgrade of its own with `core.replicas: 1`, then scale back"
            ));
        out.push(finding);
    }
}

/// With the rendered stream: the key core will mount, compared with the running one.
fn rendered_switch(
    rule: &TokenKeyChanged,
    ctx: &Context<'_>,
    pair: &super::TokenPair<'_>,
    out: &mut Findings,
) {
    let (Some(material), Some(rendered)) = (&pair.key, pair.key_info()) else {
        return;
    };
    let Some(live_text) = ctx.live_core("tls.key") else {
        if ctx.core_secret().is_none() && !ctx.secrets.is_empty() {
            out.skip(rule.id(), ctx.core_secret_missing_reason());
        }
        return;
    };
    let Ok(live) = parse_private_key(&String::from_utf8_lossy(live_text)) else {
        out.skip(
            rule.id(),
            "the live `tls.key` is not a readable private key: the keys were not compared",
        );
        return;
    };
    let (Some(new_spki), Some(live_spki)) = (&rendered.spki_der, &live.spki_der) else {
        return;
    };
    if new_spki == live_spki {
        return;
    }
    let core = ctx
        .core_secret()
        .map_or("<fullname>-core", |s| s.name.as_str());
    let replicas = ctx
        .rendered()
        .and_then(crate::rendered::Stream::core)
        .map_or(1, crate::rendered::Object::replicas);
    let cause = if ctx.field("core.tokenKey").set_str().is_some() {
        "the values pin another pair than the running one"
    } else {
        "nothing pins the pair, and the rendering generated a new one (`helm template` cannot look the live Secret up; charts before 1.14 never do)"
    };
    out.push(
        material
            .finding(
                rule.id(),
                rule.severity(),
                format!("the rendered token signing key ({}) is not the key running now (`tls.key` of Secret `{core}`): the upgrade switches keys while core pods roll", material.name()),
            )
            .note(cause)
            .note(format!("rendered: {}, public key {}", rendered.describe(), fingerprint(new_spki)))
            .note(format!("running: {}, public key {}", live.describe(), fingerprint(live_spki)))
            .note(format!("the rendered core Deployment has {replicas} replica(s): while old and new pods run together, a token issued by one is rejected by the other (`crypto/rsa: verification error`)"))
            .help(format!("to keep the key, set `core.tokenKey`/`core.tokenCert` to `tls.key`/`tls.crt` of Secret `{core}` (or name a Secret holding them in `core.secretName`); to rotate on purpose, do it in an upgrade of its own with `core.replicas: 1`")),
    );
}
