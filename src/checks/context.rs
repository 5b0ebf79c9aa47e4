//! The prepared context every rule reads: effective values, Secrets, versions and `now`.
//!
//! Preparing is done once per run: token pairs are collected from every place the chart takes
//! them from and parsed once, the live `<fullname>-core` Secret is identified, and fields holding
//! deploy-time placeholders are set aside.

use crate::chart::{ChartView, LocalChart, Release};
use crate::cli::Renderer;
use crate::diagnose::LogScan;
use crate::pki::{self, CertChain, PrivateKeyInfo};
use crate::rendered::Stream;
use crate::report::{Finding, Origin};
use crate::values::placeholder::find_placeholder;
use crate::values::{Entry, Node, SecretEntry, SecretObject, Sources, Span, Value};

use super::fields::{chart_default, CREDENTIAL_FIELDS};
use super::Findings;

/// Run-wide settings that rules may depend on.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The time validity is judged at, Unix seconds.
    pub now: i64,
    /// Certificates expiring within this many days are reported.
    pub expiry_days: u32,
    /// How the chart is rendered.
    pub renderer: Renderer,
    /// The version running now.
    pub from: Option<Release>,
    /// The version the upgrade goes to.
    pub to: Option<Release>,
    /// The Secrets given are all the namespace has.
    pub secrets_complete: bool,
}

/// The state of one values field after merging.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldState<'a> {
    /// Not in the values: the chart default applies.
    Unset,
    /// Explicitly `null`: Helm deletes the key, chart default included (a template that pipes it
    /// through `b64enc` fails, one that prints it writes `<no value>`).
    Null,
    /// A string (possibly empty).
    Str(&'a str),
    /// A string holding a deploy-time placeholder: not checkable.
    Placeholder,
    /// A number, boolean, list or map.
    NotString(&'static str),
}

/// One values field, as looked up in the effective values.
#[derive(Debug, Clone, Copy)]
pub struct Field<'a> {
    /// The dotted path.
    pub path: &'a str,
    /// The entry, if the values have it.
    pub entry: Option<&'a Entry>,
}

impl<'a> Field<'a> {
    /// What the field holds.
    pub fn state(&self) -> FieldState<'a> {
        let Some(entry) = self.entry else {
            return FieldState::Unset;
        };
        match &entry.node.value {
            Value::Null => FieldState::Null,
            Value::String(s) if find_placeholder(s).is_some() => FieldState::Placeholder,
            Value::String(s) => FieldState::Str(s),
            _ => FieldState::NotString(entry.node.type_name()),
        }
    }

    /// The string value if the field is a non-empty string without placeholders.
    pub fn set_str(&self) -> Option<&'a str> {
        match self.state() {
            FieldState::Str(s) if !s.is_empty() => Some(s),
            _ => None,
        }
    }

    /// Whether the field is blank: unset, null or the empty string.
    pub fn is_blank(&self) -> bool {
        matches!(
            self.state(),
            FieldState::Unset | FieldState::Null | FieldState::Str("")
        )
    }

    /// The value the chart will use: the string if set, else the chart default; `None` when not
    /// knowable (placeholder, wrong type, null) or when there is no default.
    pub fn effective(&self) -> Option<&'a str> {
        match self.state() {
            FieldState::Str(s) => Some(s),
            FieldState::Unset => chart_default(self.path),
            FieldState::Null | FieldState::Placeholder | FieldState::NotString(_) => None,
        }
    }

    /// Where findings about this field point: the key if written, else the value.
    pub fn span(&self) -> Option<Span> {
        self.entry.and_then(|e| e.key_span.or(e.node.span))
    }

    /// The span of the value itself.
    pub fn value_span(&self) -> Option<Span> {
        self.entry.and_then(|e| e.node.span)
    }

    /// The style the value was written in.
    pub fn node(&self) -> Option<&'a Node> {
        self.entry.map(|e| &e.node)
    }
}

/// A key or certificate text and where it came from.
#[derive(Debug, Clone)]
pub struct Material<'a> {
    /// The PEM text (secret for keys: never print it).
    pub text: std::borrow::Cow<'a, str>,
    /// Its place in a source file.
    pub span: Option<Span>,
    /// The values path, for values.
    pub path: Option<&'static str>,
    /// The object, for Secrets (`secret/harbor-core`, key `tls.key`).
    pub object: Option<String>,
    /// Values or Secret.
    pub origin: Origin,
}

impl Material<'_> {
    /// Starts a finding located at this material.
    pub fn finding(
        &self,
        rule: &'static str,
        severity: crate::report::Severity,
        message: impl Into<String>,
    ) -> Finding {
        located(
            Finding::new(rule, severity, message),
            self.span,
            self.path,
            self.origin,
            self.object.as_ref(),
        )
    }

    /// How to name it in a message: `` `core.tokenKey` `` or `` `tls.key` of Secret `harbor-core` ``.
    pub fn name(&self) -> String {
        match (self.path, &self.object) {
            (Some(path), _) => format!("`{path}`"),
            (None, Some(object)) => object.clone(),
            (None, None) => "the value".to_string(),
        }
    }
}

/// Places a finding where a value is written: its span, values path and object.
fn located(
    finding: Finding,
    span: Option<Span>,
    path: Option<&'static str>,
    origin: Origin,
    object: Option<&String>,
) -> Finding {
    let finding = finding.at(span).from_object(origin, object.cloned());
    match path {
        Some(path) => finding.path(path),
        None => finding,
    }
}

/// One place a token key pair comes from, parsed.
#[derive(Debug)]
pub struct TokenPair<'a> {
    /// `values` or `Secret harbor-core`.
    pub label: String,
    /// The Secret the pair is read from, for a Secret.
    pub secret_name: Option<&'a str>,
    /// The private key, if present.
    pub key: Option<Material<'a>>,
    /// The certificate, if present.
    pub cert: Option<Material<'a>>,
    /// The parsed key.
    pub parsed_key: Option<Result<PrivateKeyInfo, pki::Error>>,
    /// The parsed certificate chain.
    pub parsed_cert: Option<Result<CertChain, pki::Error>>,
    /// The pair comes from a Secret of the rendered stream (`--rendered`).
    pub rendered: bool,
}

impl TokenPair<'_> {
    /// The key if it parsed.
    pub fn key_info(&self) -> Option<&PrivateKeyInfo> {
        self.parsed_key.as_ref().and_then(|r| r.as_ref().ok())
    }

    /// The certificate chain if it parsed.
    pub fn cert_chain(&self) -> Option<&CertChain> {
        self.parsed_cert.as_ref().and_then(|r| r.as_ref().ok())
    }
}

/// Which live core Secret the `--secret` files hold.
#[derive(Debug, Clone, Copy)]
enum CoreSecret<'a> {
    None,
    Found(&'a SecretObject),
    Ambiguous,
}

/// What reading the cluster found that rules report on.
#[derive(Debug, Clone, Default)]
pub struct ClusterFacts {
    /// The API server URL.
    pub server: String,
    /// The release namespace.
    pub namespace: String,
    /// The release, when one was read.
    pub release: Option<String>,
    /// Reads the API server refused with `403`.
    pub denied: Vec<DeniedRead>,
    /// The nodes' clocks, when they were measured (`preflight check` without `--skip-clock`,
    /// `clock check`).
    pub clock: Option<crate::clock::ClockFacts>,
    /// The token key mounted in each core pod, by digest, when the pods could be read.
    pub token_keys: Option<super::TokenKeyFacts>,
    /// The live Secrets against a backup (`verify --backup`).
    pub backup: Option<super::BackupFacts>,
    /// Workloads whose rollout failed (`verify`: `ProgressDeadlineExceeded`).
    pub failed_rollouts: Vec<super::FailedRollout>,
}

/// One read RBAC did not allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeniedRead {
    /// The verb (`get`, `list`).
    pub verb: String,
    /// The resource (`secrets`, `deployments.apps`).
    pub resource: String,
    /// The object, for a `get`.
    pub name: Option<String>,
    /// The namespace.
    pub namespace: String,
    /// The virtual source, e.g. `cluster://harbor/secret/harbor-core`.
    pub address: String,
    /// What could not be checked because of it.
    pub consequence: String,
}

/// Everything a rule may read.
#[derive(Debug)]
pub struct Context<'a> {
    /// The merged values (a map).
    pub values: &'a Node,
    /// The Secret manifests given.
    pub secrets: &'a [SecretObject],
    /// The sources findings point into.
    pub sources: &'a Sources,
    /// Run-wide settings.
    pub settings: &'a Settings,
    /// Token pairs from values and Secrets, parsed.
    pub token_pairs: Vec<TokenPair<'a>>,
    /// What the cluster said, when the run read one.
    pub cluster: Option<&'a ClusterFacts>,
    /// Log lines matched against the signature table (`diagnose`).
    pub logs: Option<&'a LogScan>,
    core_secret: CoreSecret<'a>,
    /// The chart given with `--chart`: the target's keys and version.
    chart: Option<&'a LocalChart>,
    /// The deployed release's values (`helm get values`, or `--deployed-values`).
    deployed: Option<&'a Node>,
    /// The upgrade reuses the deployed values (`--reuse-values`).
    reuse_values: bool,
    /// The external PostgreSQL server's version (`--database-version`).
    database_version: Option<super::PgVersion>,
    /// What Helm rendered for the upgrade (`--rendered`).
    rendered: Option<&'a Stream>,
    /// Live objects besides Secrets (`--deployed-manifests`, or read from the cluster).
    live_objects: &'a [Stream],
    /// The Secrets by name (the first of a name wins), so that a lookup does not grow with
    /// the number of Secrets.
    secret_index: std::collections::HashMap<&'a str, &'a SecretObject>,
}

/// Where the rendered workloads read each credential the values set: the component whose pod
/// template is searched, and the mount path or environment variable.
const RENDERED_CREDENTIALS: &[(&str, &str, RenderedRead)] = &[
    ("secretKey", "core", RenderedRead::Mount("/etc/core/key")),
    ("core.secret", "core", RenderedRead::Env("CORE_SECRET")),
    ("core.xsrfKey", "core", RenderedRead::Env("CSRF_KEY")),
    (
        "jobservice.secret",
        "core",
        RenderedRead::Env("JOBSERVICE_SECRET"),
    ),
    (
        "registry.secret",
        "registry",
        RenderedRead::Env("REGISTRY_HTTP_SECRET"),
    ),
    (
        "database.internal.password",
        "database",
        RenderedRead::Env("POSTGRES_PASSWORD"),
    ),
    (
        "harborAdminPassword",
        "core",
        RenderedRead::Env("HARBOR_ADMIN_PASSWORD"),
    ),
    (
        "registry.credentials.password",
        "core",
        RenderedRead::Env("REGISTRY_CREDENTIAL_PASSWORD"),
    ),
];

/// The path core reads the token signing key from.
pub const CORE_TOKEN_KEY_PATH: &str = "/etc/core/private_key.pem";

/// How a rendered pod reads a credential.
#[derive(Debug, Clone, Copy)]
enum RenderedRead {
    /// A Secret key mounted (with `subPath`) at this path.
    Mount(&'static str),
    /// An environment variable from a Secret.
    Env(&'static str),
}

/// Keys the chart writes into `<fullname>-core`; a Secret named `*-core` with one of them is the
/// live core Secret.
const CORE_SECRET_KEYS: &[&str] = &[
    "secretKey",
    "tls.key",
    "CSRF_KEY",
    "HARBOR_ADMIN_PASSWORD",
    "secret",
];

impl<'a> Context<'a> {
    /// Prepares the context: identifies the core Secret and parses every token pair.
    pub fn new(
        values: &'a Node,
        secrets: &'a [SecretObject],
        sources: &'a Sources,
        settings: &'a Settings,
    ) -> Self {
        let mut ctx = Context {
            values,
            secrets,
            sources,
            settings,
            token_pairs: Vec::new(),
            cluster: None,
            logs: None,
            core_secret: CoreSecret::None,
            chart: None,
            deployed: None,
            reuse_values: false,
            database_version: None,
            rendered: None,
            live_objects: &[],
            secret_index: std::collections::HashMap::with_capacity(secrets.len()),
        };
        for secret in secrets {
            ctx.secret_index
                .entry(secret.name.as_str())
                .or_insert(secret);
        }
        ctx.core_secret = ctx.find_core_secret();
        ctx.token_pairs = ctx.collect_token_pairs();
        ctx
    }

    /// Uses a chart read with `--chart` as the target (its version should be `settings.to`).
    #[must_use]
    pub fn with_chart(mut self, chart: &'a LocalChart) -> Self {
        self.chart = Some(chart);
        self
    }

    /// The chart read with `--chart`, if any.
    pub fn local_chart(&self) -> Option<&'a LocalChart> {
        self.chart
    }

    /// The target chart: the one read with `--chart`, else the embedded release `--to` names.
    pub fn target(&self) -> Option<ChartView<'a>> {
        match (self.chart, self.settings.to) {
            (Some(chart), _) => Some(ChartView::local(chart)),
            (None, Some(to)) => ChartView::embedded(to),
            (None, None) => None,
        }
    }

    /// The external PostgreSQL server's version, as the operator gave it (`--database-version`).
    #[must_use]
    pub fn with_database_version(mut self, version: Option<super::PgVersion>) -> Self {
        self.database_version = version;
        self
    }

    /// The external PostgreSQL server's version, if given.
    pub fn database_version(&self) -> Option<super::PgVersion> {
        self.database_version
    }

    /// Adds the deployed release's values, and whether the upgrade reuses them
    /// (`--reuse-values`).
    #[must_use]
    pub fn with_deployed(mut self, deployed: &'a Node, reuse_values: bool) -> Self {
        self.deployed = Some(deployed);
        self.reuse_values = reuse_values;
        self
    }

    /// The deployed release's values, when known.
    pub fn deployed(&self) -> Option<&'a Node> {
        self.deployed
    }

    /// Whether the upgrade reuses the deployed values (`--reuse-values`).
    pub fn reuse_values(&self) -> bool {
        self.reuse_values
    }

    /// The chart running now (`--from`), if given.
    pub fn source(&self) -> Option<ChartView<'a>> {
        self.settings.from.and_then(ChartView::embedded)
    }

    /// Adds what the cluster said (denied reads).
    #[must_use]
    pub fn with_cluster(mut self, facts: &'a ClusterFacts) -> Self {
        self.cluster = Some(facts);
        self
    }

    /// Adds the log lines `diagnose` matched.
    #[must_use]
    pub fn with_logs(mut self, logs: &'a LogScan) -> Self {
        self.logs = Some(logs);
        self
    }

    /// Names the release's `<fullname>` as read from the cluster: its `<fullname>-core` Secret
    /// is the live core Secret, whatever other `*-core` Secrets are given.
    #[must_use]
    pub fn with_live_fullname(mut self, fullname: &str) -> Self {
        if let Some(s) = self.secret(&format!("{fullname}-core")) {
            self.core_secret = CoreSecret::Found(s);
            self.token_pairs = self.collect_token_pairs();
        }
        self
    }

    /// Judges what Helm rendered (`--rendered`): the token pair core mounts, the credentials
    /// the pods read and the pod references come from the stream, located at its lines; the live
    /// `<fullname>-core` Secret is the one of the stream's `<fullname>`.
    #[must_use]
    pub fn with_rendered(mut self, rendered: &'a Stream) -> Self {
        self.rendered = Some(rendered);
        if let Some(s) = rendered
            .fullname()
            .and_then(|f| self.secret(&format!("{f}-core")))
        {
            self.core_secret = CoreSecret::Found(s);
        }
        self.token_pairs = self.collect_token_pairs();
        self
    }

    /// What Helm rendered, when given.
    pub fn rendered(&self) -> Option<&'a Stream> {
        self.rendered
    }

    /// Adds live objects besides Secrets (`StatefulSet`s, PVCs, `Deployment`s).
    #[must_use]
    pub fn with_live_objects(mut self, live: &'a [Stream]) -> Self {
        self.live_objects = live;
        self
    }

    /// The live object of `kind` named `name`, when given.
    pub fn live_object(&self, kind: &str, name: &str) -> Option<&'a crate::rendered::Object> {
        self.live_objects.iter().find_map(|s| s.object(kind, name))
    }

    /// The live objects besides Secrets.
    pub fn live_objects(&self) -> &'a [Stream] {
        self.live_objects
    }

    /// Whether any live objects besides Secrets were given.
    pub fn has_live_objects(&self) -> bool {
        !self.live_objects.is_empty()
    }

    /// The Secret `name` as the upgrade leaves it: rendered in the stream, else live.
    pub fn secret_after(&self, name: &str) -> Option<&'a SecretObject> {
        self.rendered
            .and_then(|r| r.secret(name))
            .or_else(|| self.secret(name))
    }

    /// The Secret and key the rendered pods read a credential field from.
    pub fn rendered_read(&self, path: &str) -> Option<(&'a str, String)> {
        let rendered = self.rendered?;
        let &(_, component, read) = RENDERED_CREDENTIALS.iter().find(|(p, ..)| *p == path)?;
        let workload = rendered.component(component)?;
        match read {
            RenderedRead::Mount(at) => {
                let (name, key, _) = workload.pod_spec()?.mounted_secret(at)?;
                Some((name, key))
            }
            RenderedRead::Env(var) => {
                let r = rendered.env_secret(workload, var)?;
                Some((r.secret, r.key?))
            }
        }
    }

    /// The live Secret and bytes of the key the rendered pods read for a credential field.
    pub fn live_credential(&self, path: &str) -> Option<(&'a SecretObject, &'a [u8])> {
        let (secret, key) = self.rendered_read(path)?;
        let live = self.secret(secret)?;
        Some((live, live.data.get(&key)?.bytes.as_slice()))
    }

    /// The value the rendered pods read for a credential field, from a Secret of the stream.
    pub fn rendered_credential(&self, path: &'static str) -> Option<Effective<'a>> {
        let rendered = self.rendered?;
        let (secret, key) = self.rendered_read(path)?;
        let object = rendered.secret(secret)?;
        let entry = object.data.get(&key)?;
        Some(Effective {
            bytes: entry.bytes.as_slice().into(),
            span: entry.span.or(object.name_span),
            path: Some(path),
            object: Some(format!("`{key}` of rendered Secret `{secret}`")),
            origin: Origin::Rendered,
            is_default: false,
        })
    }

    /// The token pair core mounts, from a Secret of the rendered stream.
    fn rendered_token_pair(&self) -> Option<TokenPair<'a>> {
        let rendered = self.rendered?;
        let (secret, key) = rendered
            .core()
            .and_then(crate::rendered::Object::pod_spec)
            .and_then(|p| p.mounted_secret(CORE_TOKEN_KEY_PATH))
            .map(|(name, key, _)| (name.to_string(), key))
            .or_else(|| {
                rendered
                    .fullname()
                    .map(|f| (format!("{f}-core"), "tls.key".into()))
            })?;
        // A Secret the chart does not render (`core.secretName`) is mounted as it is live.
        let (object, whose, origin) = match rendered.secret(&secret) {
            Some(object) => (object, "rendered Secret", Origin::Rendered),
            None => (
                self.secret(&secret)?,
                "Secret (mounted by the rendered core)",
                Origin::Secret,
            ),
        };
        let material = |key: &str| {
            object.data.get(key).map(|entry: &SecretEntry| Material {
                text: String::from_utf8_lossy(&entry.bytes),
                span: entry.span,
                path: None,
                object: Some(format!("`{key}` of {whose} `{}`", object.name)),
                origin,
            })
        };
        let (k, c) = (material(&key), material("tls.crt"));
        if k.is_none() && c.is_none() {
            return None;
        }
        let mut pair = TokenPair::parse(format!("{whose} `{}`", object.name), k, c);
        pair.secret_name = Some(object.name.as_str());
        pair.rendered = true;
        Some(pair)
    }

    /// A values field.
    pub fn field<'p>(&self, path: &'p str) -> Field<'p>
    where
        'a: 'p,
    {
        Field {
            path,
            entry: self.values.entry_path(path),
        }
    }

    /// A non-empty string setting (not a credential): `core.secretName`, `database.type` …,
    /// falling back to the chart default.
    pub fn setting(&self, path: &str) -> Option<&'a str> {
        match self.values.get_path(path).map(|n| &n.value) {
            Some(Value::String(s)) if !s.is_empty() => Some(s),
            Some(Value::String(_) | Value::Null) | None => chart_default(path),
            Some(_) => None,
        }
    }

    /// A boolean setting, with a default.
    pub fn flag(&self, path: &str, default: bool) -> bool {
        match self.values.get_path(path).map(|n| &n.value) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s == "true",
            _ => default,
        }
    }

    /// An integer setting, with a default.
    pub fn number(&self, path: &str, default: i64) -> i64 {
        match self.values.get_path(path).map(|n| &n.value) {
            Some(Value::Number(n) | Value::String(n)) => n.parse().unwrap_or(default),
            _ => default,
        }
    }

    /// The Secret with this name among `--secret`.
    pub fn secret(&self, name: &str) -> Option<&'a SecretObject> {
        self.secret_index.get(name).copied()
    }

    /// The live `<fullname>-core` Secret, if the `--secret` files hold exactly one.
    pub fn core_secret(&self) -> Option<&'a SecretObject> {
        match self.core_secret {
            CoreSecret::Found(s) => Some(s),
            CoreSecret::None | CoreSecret::Ambiguous => None,
        }
    }

    /// A Secret whose name is the core Secret's with `-core` replaced by `suffix`.
    pub fn sibling_secret(&self, suffix: &str) -> Option<&'a SecretObject> {
        let core = self.core_secret()?;
        let base = core.name.strip_suffix("-core")?;
        self.secret(&format!("{base}{suffix}"))
    }

    /// Notes for `skip` when a comparison with the live Secret is impossible.
    pub fn core_secret_missing_reason(&self) -> &'static str {
        match self.core_secret {
            CoreSecret::Ambiguous => {
                "several `*-core` Secrets were given; pass only the release's own"
            }
            _ => "no live `<fullname>-core` Secret was given (use `--secret`)",
        }
    }

    fn find_core_secret(&self) -> CoreSecret<'a> {
        if let Some(full) = self.fullname() {
            if let Some(s) = self.secret(&format!("{full}-core")) {
                return CoreSecret::Found(s);
            }
        }
        let candidates: Vec<&SecretObject> = self
            .secrets
            .iter()
            .filter(|s| {
                s.name.ends_with("-core")
                    && CORE_SECRET_KEYS.iter().any(|k| s.data.contains_key(*k))
            })
            .collect();
        match candidates.as_slice() {
            [] => CoreSecret::None,
            [one] => CoreSecret::Found(one),
            _ => CoreSecret::Ambiguous,
        }
    }

    /// `<fullname>` when the values decide it (`fullnameOverride`); the release name is not known
    /// offline.
    pub fn fullname(&self) -> Option<&'a str> {
        self.setting("fullnameOverride")
            .map(|s| s.trim_end_matches('-'))
    }

    fn collect_token_pairs(&self) -> Vec<TokenPair<'a>> {
        let mut pairs = Vec::new();
        let key = self.field("core.tokenKey");
        let cert = self.field("core.tokenCert");
        let from_values = |field: Field<'a>, path: &'static str| {
            field.set_str().map(|text| Material {
                text: text.into(),
                span: field.span(),
                path: Some(path),
                object: None,
                origin: Origin::Values,
            })
        };
        let (k, c) = (
            from_values(key, "core.tokenKey"),
            from_values(cert, "core.tokenCert"),
        );
        // What core mounts from the rendering replaces what the values ask for.
        // A live Secret the rendered core mounts is judged once, as the rendered pair.
        let mut mounted_live: Option<&str> = None;
        if let Some(pair) = self.rendered_token_pair() {
            if self.rendered.is_some_and(|r| {
                pair.secret_name
                    .is_some_and(|name| r.secret(name).is_none())
            }) {
                mounted_live = pair.secret_name;
            }
            pairs.push(pair);
        } else if k.is_some() || c.is_some() {
            pairs.push(TokenPair::parse("values".into(), k, c));
        }
        let mut secret_names: Vec<&str> = Vec::new();
        if let Some(name) = self.setting("core.secretName") {
            secret_names.push(name);
        }
        if let Some(core) = self.core_secret() {
            if !secret_names.contains(&core.name.as_str()) {
                secret_names.push(&core.name);
            }
        }
        for name in secret_names {
            if mounted_live == Some(name) {
                continue;
            }
            let Some(secret) = self.secret(name) else {
                continue;
            };
            let material = |key: &str| {
                secret.data.get(key).map(|entry: &SecretEntry| Material {
                    text: String::from_utf8_lossy(&entry.bytes),
                    span: entry.span,
                    path: None,
                    object: Some(format!("`{key}` of Secret `{}`", secret.name)),
                    origin: Origin::Secret,
                })
            };
            let (k, c) = (material("tls.key"), material("tls.crt"));
            if k.is_some() || c.is_some() {
                let mut pair = TokenPair::parse(format!("Secret `{}`", secret.name), k, c);
                pair.secret_name = Some(secret.name.as_str());
                pairs.push(pair);
            }
        }
        pairs
    }

    /// Reports every credential field that holds a deploy-time placeholder as not checkable.
    pub fn report_placeholders(&self, out: &mut Findings) {
        for field in CREDENTIAL_FIELDS {
            if self.field(field.path).state() == FieldState::Placeholder {
                out.skip(
                    "placeholder",
                    format!("`{}` holds a deploy-time placeholder; its value is substituted later and is not judged", field.path),
                );
            }
        }
    }
}

/// A credential's effective bytes and where they come from.
#[derive(Debug, Clone)]
pub struct Effective<'a> {
    /// The bytes the chart will use (secret: never print).
    pub bytes: std::borrow::Cow<'a, [u8]>,
    /// Where they are written, if anywhere.
    pub span: Option<Span>,
    /// The values path, when they come from values.
    pub path: Option<&'static str>,
    /// The Secret and key, when they come from a Secret.
    pub object: Option<String>,
    /// Values or Secret.
    pub origin: Origin,
    /// True when nothing sets the field and the chart default applies.
    pub is_default: bool,
}

impl Effective<'_> {
    /// Starts a finding located where the value is written.
    pub fn finding(
        &self,
        rule: &'static str,
        severity: crate::report::Severity,
        message: impl Into<String>,
    ) -> Finding {
        located(
            Finding::new(rule, severity, message),
            self.span,
            self.path,
            self.origin,
            self.object.as_ref(),
        )
    }
}

impl<'a> Context<'a> {
    /// The value a credential field will have: from the Secret named by `override_path` (with
    /// data key `key`) when that is set, else from the values, else the chart default.
    /// `Err` says why it cannot be known.
    pub fn effective(
        &self,
        path: &'static str,
        override_path: Option<&str>,
        key: &str,
    ) -> Result<Effective<'a>, String> {
        if let Some(rendered) = self.rendered_credential(path) {
            return Ok(rendered);
        }
        if let Some(name) = override_path.and_then(|p| self.setting(p)) {
            let override_path = override_path.unwrap_or_default();
            let Some(secret) = self.secret(name) else {
                return Err(format!("`{path}` comes from Secret `{name}` (named by `{override_path}`), which was not given with `--secret`"));
            };
            let Some(entry) = secret.data.get(key) else {
                return Err(format!(
                    "Secret `{name}` (named by `{override_path}`) has no `{key}`"
                ));
            };
            return Ok(Effective {
                bytes: entry.bytes.as_slice().into(),
                span: entry.span,
                path: None,
                object: Some(format!("`{key}` of Secret `{name}`")),
                origin: Origin::Secret,
                is_default: false,
            });
        }
        let field = Field {
            path,
            entry: self.values.entry_path(path),
        };
        let value_of = |bytes: &'a [u8], is_default: bool| Effective {
            bytes: bytes.into(),
            span: field.span(),
            path: Some(path),
            object: None,
            origin: Origin::Values,
            is_default,
        };
        match field.state() {
            FieldState::Str(s) => Ok(value_of(s.as_bytes(), false)),
            FieldState::Unset => match chart_default(path) {
                Some(d) => Ok(value_of(d.as_bytes(), true)),
                None => Err(format!("`{path}` is not set and has no chart default")),
            },
            FieldState::Null => Err(format!(
                "`{path}` is null: Helm deletes the key, chart default included (`secret-not-string`)"
            )),
            FieldState::Placeholder => Err(format!("`{path}` holds a deploy-time placeholder")),
            FieldState::NotString(t) => Err(format!("`{path}` is a {t}, not a string")),
        }
    }

    /// The bytes of `key` in the live core Secret.
    pub fn live_core(&self, key: &str) -> Option<&'a [u8]> {
        self.core_secret()?
            .data
            .get(key)
            .map(|e| e.bytes.as_slice())
    }
}

impl<'a> TokenPair<'a> {
    fn parse(label: String, key: Option<Material<'a>>, cert: Option<Material<'a>>) -> Self {
        let parsed_key = key.as_ref().map(|m| pki::parse_private_key(&m.text));
        let parsed_cert = cert.as_ref().map(|m| pki::parse_certificates(&m.text));
        TokenPair {
            label,
            secret_name: None,
            key,
            cert,
            parsed_key,
            parsed_cert,
            rendered: false,
        }
    }
}
