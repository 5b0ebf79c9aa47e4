//! `keys inspect`: kind, size, validity and fingerprints of every credential, never the secret.

use std::fmt::Write as _;

use serde_json::{json, Value as Json};

use super::cluster::{self, ValuesMode};
use super::preflight_check::resolve_now;
use super::{inputs, print, Outcome};
use crate::checks::fields::CREDENTIAL_FIELDS;
use crate::checks::{Context, FieldState, Material, Settings, TokenPair};
use crate::cli::{InspectArgs, ListFormat, Renderer};
use crate::pki::{self, fingerprint, format_unix, pair_matches, Validity};
use crate::values::{Sources, Span};

/// Prints the inventory: of the files given, or of the release in the cluster (its values,
/// merged with any given, and its live Secrets).
pub fn run(args: &InspectArgs) -> anyhow::Result<Outcome> {
    let settings = Settings {
        now: resolve_now(args.now.as_deref())?,
        expiry_days: 30,
        renderer: Renderer::Helm,
        from: None,
        to: None,
        secrets_complete: false,
    };
    let (mut inputs, live_fullname) = if cluster::wants_cluster(&args.cluster) {
        let gathered = cluster::runtime()?.block_on(cluster::gather(
            &args.cluster,
            &args.values,
            ValuesMode::Reuse,
        ))?;
        crate::note!("note: {}", cluster::describe(&gathered));
        (gathered.inputs, Some(gathered.fullname))
    } else if args.rendered.is_some() {
        (inputs::load_any(&args.values)?, None)
    } else {
        (inputs::load(&args.values)?, None)
    };
    let rendered = match &args.rendered {
        Some(path) => {
            let stdin_elsewhere = args
                .values
                .values
                .iter()
                .chain(&args.values.values_flag)
                .chain(&args.values.secrets)
                .any(|f| f == "-");
            if stdin_elsewhere && path == "-" {
                anyhow::bail!("standard input (`-`) can be read only once");
            }
            let mut stdin = std::io::stdin().lock();
            Some(
                crate::rendered::load(path, &mut inputs.sources, &mut stdin)
                    .map_err(|e| super::preflight_check::stream_error("--rendered", path, e))?,
            )
        }
        None => None,
    };
    let mut ctx = Context::new(
        &inputs.values.root,
        &inputs.secrets,
        &inputs.sources,
        &settings,
    );
    if let Some(fullname) = &live_fullname {
        ctx = ctx.with_live_fullname(fullname);
    }
    if let Some(stream) = &rendered {
        ctx = ctx.with_rendered(stream);
    }
    let doc = json!({
        "schemaVersion": crate::report::JSON_SCHEMA_VERSION,
        "tool": { "name": env!("CARGO_PKG_NAME"), "version": env!("CARGO_PKG_VERSION") },
        "tokenPairs": ctx.token_pairs.iter().map(|p| token_pair(p, &ctx)).collect::<Vec<_>>(),
        "credentials": credentials(&ctx),
        "secrets": secrets(&ctx),
    });
    let text = match args.output {
        ListFormat::Json => {
            let mut t = serde_json::to_string_pretty(&doc)?;
            t.push('\n');
            t
        }
        ListFormat::Text => render_text(&doc),
    };
    print(&text)?;
    Ok(Outcome::Clean)
}

fn location(span: Option<Span>, sources: &Sources) -> Json {
    span.map_or(Json::Null, |s| {
        json!(format!(
            "{}:{}:{}",
            sources.get(s.source).name,
            s.line,
            s.column
        ))
    })
}

fn material_place(m: &Material<'_>, sources: &Sources) -> Json {
    json!({
        "valuesPath": m.path,
        "object": m.object,
        "location": location(m.span, sources),
    })
}

fn token_pair(pair: &TokenPair<'_>, ctx: &Context<'_>) -> Json {
    let key = pair.key.as_ref().map(|m| {
        let mut v = material_place(m, ctx.sources);
        match pair.parsed_key.as_ref() {
            Some(Ok(info)) => {
                v["kind"] = json!(info.describe());
                v["bits"] = json!(info.bits);
                v["publicKeySha256"] = json!(info.spki_sha256());
            }
            Some(Err(e)) => v["error"] = json!(e.to_string()),
            None => {}
        }
        v
    });
    let cert = pair.cert.as_ref().map(|m| {
        let mut v = material_place(m, ctx.sources);
        match pair.parsed_cert.as_ref() {
            Some(Ok(chain)) => {
                let leaf = &chain.leaf;
                v["subject"] = json!(leaf.subject);
                v["issuer"] = json!(leaf.issuer);
                v["publicKey"] = json!(leaf.public_key);
                v["notBefore"] = json!(format_unix(leaf.not_before));
                v["notAfter"] = json!(format_unix(leaf.not_after));
                v["validity"] = json!(validity_text(leaf.validity(ctx.settings.now)));
                v["publicKeySha256"] = json!(leaf.spki_sha256());
                v["certificateSha256"] = json!(leaf.cert_sha256);
                v["chainLength"] = json!(1 + chain.rest.len());
            }
            Some(Err(e)) => v["error"] = json!(e.to_string()),
            None => {}
        }
        v
    });
    let matches = match (pair.key_info(), pair.cert_chain()) {
        (Some(k), Some(c)) if k.spki_der.is_some() => Some(pair_matches(k, &c.leaf)),
        _ => None,
    };
    let public = pair
        .key_info()
        .and_then(pki::PrivateKeyInfo::spki_sha256)
        .or_else(|| pair.cert_chain().map(|c| c.leaf.spki_sha256()))
        .is_some_and(|s| s == pki::PUBLIC_STATIC_TOKEN_SPKI_SHA256);
    json!({ "source": pair.label, "key": key, "certificate": cert, "matches": matches, "publicChartKey": public })
}

fn validity_text(v: Validity) -> String {
    match v {
        Validity::NotYetValid { starts_in } => {
            format!("not valid yet (starts in {} days)", starts_in / 86_400)
        }
        Validity::Valid { expires_in } => {
            format!("valid (expires in {} days)", expires_in / 86_400)
        }
        Validity::Expired { since } => format!("expired {} days ago", since / 86_400),
    }
}

/// Fields the chart always uses, so they are listed even when not set.
fn always_listed(ctx: &Context<'_>, path: &str) -> bool {
    let db = if ctx.setting("database.type") == Some("external") {
        "database.external.password"
    } else {
        "database.internal.password"
    };
    path == db
        || matches!(
            path,
            "secretKey"
                | "core.tokenKey"
                | "core.tokenCert"
                | "core.secret"
                | "core.xsrfKey"
                | "jobservice.secret"
                | "registry.secret"
                | "harborAdminPassword"
                | "registry.credentials.password"
        )
}

fn credentials(ctx: &Context<'_>) -> Vec<Json> {
    CREDENTIAL_FIELDS
        .iter()
        .filter_map(|f| {
            let field = ctx.field(f.path);
            let (state, bytes) = match field.state() {
                FieldState::Unset | FieldState::Null => match f.default {
                    Some(d) => ("default", Some(d.as_bytes())),
                    None => ("blank", None),
                },
                FieldState::Str("") => ("blank", None),
                FieldState::Str(s) => ("set", Some(s.as_bytes())),
                FieldState::Placeholder => ("placeholder", None),
                FieldState::NotString(_) => ("not-a-string", None),
            };
            if field.entry.is_none() && !always_listed(ctx, f.path) {
                return None;
            }
            Some(json!({
                "valuesPath": f.path,
                "kind": f.kind.describe(),
                "state": state,
                "location": location(field.span(), ctx.sources),
                "length": bytes.map(<[u8]>::len),
                "fingerprint": bytes.map(fingerprint),
            }))
        })
        .collect()
}

/// The Secrets given (or live), then those of the rendered stream.
fn secrets(ctx: &Context<'_>) -> Vec<Json> {
    let rendered = ctx.rendered().map_or(&[][..], |r| r.secrets.as_slice());
    ctx.secrets
        .iter()
        .chain(rendered)
        .map(|s| {
            let keys: Vec<Json> = s
                .data
                .iter()
                .map(|(key, entry)| {
                    let text = String::from_utf8_lossy(&entry.bytes);
                    let kind = if let Ok(k) = pki::parse_private_key(&text) {
                        k.describe()
                    } else if let Ok(c) = pki::parse_certificates(&text) {
                        format!("certificate `{}`, {}, until {}", c.leaf.subject, c.leaf.public_key, format_unix(c.leaf.not_after))
                    } else {
                        "string".to_string()
                    };
                    json!({ "key": key, "kind": kind, "length": entry.bytes.len(), "fingerprint": fingerprint(&entry.bytes) })
                })
                .collect();
            json!({ "name": s.name, "namespace": s.namespace, "file": ctx.sources.get(s.source).name, "keys": keys })
        })
        .collect()
}

fn render_text(doc: &Json) -> String {
    let mut out = String::new();
    let empty = Vec::new();
    let pairs = doc["tokenPairs"].as_array().unwrap_or(&empty);
    if pairs.is_empty() {
        out.push_str("token pair: none set (the chart generates a new pair on every render)\n\n");
    }
    for pair in pairs {
        render_pair(&mut out, pair);
    }
    out.push_str("credentials in values\n");
    let creds = doc["credentials"].as_array().unwrap_or(&empty);
    let width = creds
        .iter()
        .filter_map(|c| c["valuesPath"].as_str())
        .map(str::len)
        .max()
        .unwrap_or(0);
    for c in creds {
        let path = c["valuesPath"].as_str().unwrap_or_default();
        let state = c["state"].as_str().unwrap_or_default();
        let detail = match (c["length"].as_u64(), c["fingerprint"].as_str()) {
            (Some(len), Some(fp)) => format!("{len} bytes, {fp}"),
            _ => String::new(),
        };
        let at = c["location"]
            .as_str()
            .map(|l| format!("  ({l})"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {}",
            format!("{path:<width$}  {state:<12} {detail}{at}").trim_end()
        );
    }
    for secret in doc["secrets"].as_array().unwrap_or(&empty) {
        let _ = writeln!(
            out,
            "\nSecret `{}` ({})",
            secret["name"].as_str().unwrap_or_default(),
            secret["file"].as_str().unwrap_or_default()
        );
        let keys = secret["keys"].as_array().unwrap_or(&empty);
        let width = keys
            .iter()
            .filter_map(|k| k["key"].as_str())
            .map(str::len)
            .max()
            .unwrap_or(0);
        for key in keys {
            let _ = writeln!(
                out,
                "  {:<width$}  {} bytes, {}  {}",
                key["key"].as_str().unwrap_or_default(),
                key["length"],
                key["fingerprint"].as_str().unwrap_or_default(),
                key["kind"].as_str().unwrap_or_default()
            );
        }
    }
    out
}

fn render_pair(out: &mut String, pair: &Json) {
    let _ = writeln!(
        out,
        "token pair from {}",
        pair["source"].as_str().unwrap_or_default()
    );
    for (label, part) in [("key", &pair["key"]), ("cert", &pair["certificate"])] {
        if part.is_null() {
            let _ = writeln!(out, "  {label:<5} not set");
            continue;
        }
        let name = part["valuesPath"]
            .as_str()
            .or(part["object"].as_str())
            .unwrap_or_default();
        let at = part["location"]
            .as_str()
            .map(|l| format!(" at {l}"))
            .unwrap_or_default();
        let _ = writeln!(out, "  {label:<5} {name}{at}");
        if let Some(e) = part["error"].as_str() {
            let _ = writeln!(out, "        invalid: {e}");
            continue;
        }
        if label == "key" {
            let _ = writeln!(out, "        {}", part["kind"].as_str().unwrap_or_default());
        } else {
            let _ = writeln!(
                out,
                "        subject `{}`, issuer `{}`, {}",
                part["subject"].as_str().unwrap_or_default(),
                part["issuer"].as_str().unwrap_or_default(),
                part["publicKey"].as_str().unwrap_or_default()
            );
            let _ = writeln!(
                out,
                "        {} → {}: {}",
                part["notBefore"].as_str().unwrap_or_default(),
                part["notAfter"].as_str().unwrap_or_default(),
                part["validity"].as_str().unwrap_or_default()
            );
            let _ = writeln!(
                out,
                "        certificate sha256:{}",
                part["certificateSha256"].as_str().unwrap_or_default()
            );
        }
        if let Some(spki) = part["publicKeySha256"].as_str() {
            let _ = writeln!(out, "        public key sha256:{spki}");
        }
    }
    let verdict = match pair["matches"].as_bool() {
        Some(true) => "certificate and key match",
        Some(false) => "DO NOT MATCH: the certificate was made from another key",
        None => "cannot be compared",
    };
    let _ = writeln!(out, "  pair  {verdict}");
    if pair["publicChartKey"].as_bool() == Some(true) {
        let _ = writeln!(
            out,
            "  WARNING: this is the public key pair once shipped inside the chart"
        );
    }
    out.push('\n');
}
