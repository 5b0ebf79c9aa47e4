//! A Kubernetes API server for tests, on 127.0.0.1 with an ephemeral port, speaking HTTPS with
//! a CA made for each server (rcgen), serving real Kubernetes JSON (k8s-openapi objects
//! serialised). It answers what the tool and real Helm 3 and Helm 4 ask of a cluster:
//! discovery, `/version` and `/openapi/v3` (`discovery.rs`); objects of every kind the Harbor chart
//! renders, by namespace, with label and field selectors, create, update, delete, merge,
//! strategic-merge and JSON patches and server-side apply with managed fields (`objects.rs`,
//! `fields.rs`, `patch.rs`); pod exec, logs and node Leases (`exec.rs`, `logs.rs`, `lease.rs`);
//! RBAC refusals (`403` with a Kubernetes `Status`) on chosen verbs and resources; and broken
//! behaviours: `401` for every request, a bare `404` page, a body that is not JSON, and a
//! server that accepts connections and never answers. `helm.rs` runs real Helm against it.
//!
//! It records every request line so tests can check what was asked (never Secrets across
//! namespaces), and every request it could not answer. The kubeconfig it writes names only
//! 127.0.0.1.
#![allow(dead_code)]
// A test fixture: one long routing function reads better than many small ones.
#![allow(
    clippy::too_many_lines,
    clippy::needless_pass_by_value,
    clippy::assigning_clones
)]

pub mod claims;
pub mod discovery;
pub mod events;
pub mod exec;
pub mod fields;
pub mod harbor;
pub mod helm;
pub mod lease;
pub mod logs;
pub mod objects;
pub mod patch;
pub mod protobuf;
pub mod rollout;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use base64::Engine as _;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Pod, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ManagedFieldsEntry, ObjectMeta, Time};
use k8s_openapi::ByteString;
use serde_json::{json, Value};

/// The bearer token the kubeconfig carries and the server accepts.
pub const TOKEN: &str = "test-token-for-the-loopback-server";

/// How the server behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// A working API server.
    #[default]
    Normal,
    /// Every request gets `401 Unauthorized`.
    Unauthorized,
    /// Every request gets a plain-text `404 page not found` (not an API server).
    NotFound,
    /// Every request gets `200` with an HTML body.
    Garbage,
    /// Connections are accepted and never answered.
    Hang,
}

/// The objects and switches of one server.
#[derive(Default)]
pub struct State {
    /// Secrets by (namespace, name).
    pub secrets: BTreeMap<(String, String), Secret>,
    /// Deployments by (namespace, name).
    pub deployments: BTreeMap<(String, String), Deployment>,
    /// Pods by (namespace, name).
    pub pods: BTreeMap<(String, String), Pod>,
    /// Container logs (see `logs.rs`).
    pub logs: logs::Logs,
    /// Behaviour.
    pub mode: Mode,
    /// Refused requests: (verb, resource, name or any).
    pub forbidden: Vec<(String, String, Option<String>)>,
    /// Every request line, `GET /api/v1/...`.
    pub requests: Vec<String>,
    /// Nodes, clocks and mounted keys behind exec and the node Leases (`exec.rs`, `lease.rs`).
    pub sim: exec::Sim,
    /// Objects of every other kind, and the requests nobody answered (`objects.rs`).
    pub store: objects::Store,
    /// The simulated controllers' switches: rollouts that stay stuck (`rollout.rs`).
    pub rollout: rollout::Rollout,
    next_version: u64,
}

impl State {
    fn stamp(&mut self, meta: &mut ObjectMeta) {
        self.next_version += 1;
        meta.resource_version = Some(self.next_version.to_string());
        if meta.uid.is_none() {
            meta.uid = Some(format!("00000000-0000-4000-8000-{:012}", self.next_version));
            meta.creation_timestamp =
                Some(Time("2024-05-01T10:00:00Z".parse().expect("timestamp")));
        }
        // What the real API server adds: tests check that the tool drops it.
        meta.managed_fields = Some(vec![ManagedFieldsEntry {
            manager: Some("kubectl-client-side-apply".into()),
            operation: Some("Update".into()),
            api_version: Some("v1".into()),
            ..Default::default()
        }]);
    }

    /// Adds or replaces a Secret, stamped like the API server does.
    pub fn put_secret(&mut self, mut secret: Secret) {
        self.stamp(&mut secret.metadata);
        let key = (
            secret.metadata.namespace.clone().unwrap_or_default(),
            secret.metadata.name.clone().unwrap_or_default(),
        );
        self.secrets.insert(key, secret);
    }

    /// Adds a Deployment.
    pub fn put_deployment(&mut self, mut deployment: Deployment) {
        self.stamp(&mut deployment.metadata);
        let key = (
            deployment.metadata.namespace.clone().unwrap_or_default(),
            deployment.metadata.name.clone().unwrap_or_default(),
        );
        self.deployments.insert(key, deployment);
    }

    /// Adds a Pod.
    pub fn put_pod(&mut self, mut pod: Pod) {
        self.stamp(&mut pod.metadata);
        let key = (
            pod.metadata.namespace.clone().unwrap_or_default(),
            pod.metadata.name.clone().unwrap_or_default(),
        );
        self.pods.insert(key, pod);
    }
}

/// A running server; stops when dropped.
pub struct ApiServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The CA that issued its certificate (PEM).
    pub ca_pem: String,
    /// Objects and switches, shared with the server thread.
    pub state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ApiServer {
    /// Starts a server on 127.0.0.1 with an ephemeral port.
    pub fn start() -> Self {
        let (ca_pem, tls) = tls_config();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let state = Arc::clone(&state);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut held = Vec::new();
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    if state.lock().expect("state").mode == Mode::Hang {
                        // Accept, then never read or answer.
                        held.push(stream);
                        continue;
                    }
                    let state = Arc::clone(&state);
                    let tls = Arc::clone(&tls);
                    std::thread::spawn(move || {
                        let _ = serve(stream, &tls, &state);
                    });
                }
            })
        };
        ApiServer {
            addr,
            ca_pem,
            state,
            stop,
            thread: Some(thread),
        }
    }

    /// The server URL.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// Writes a kubeconfig for this server (context `test`, namespace `namespace`) into `dir`.
    pub fn kubeconfig(&self, dir: &Path, namespace: &str) -> PathBuf {
        let ca = base64::engine::general_purpose::STANDARD.encode(&self.ca_pem);
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: {url}\n    certificate-authority-data: {ca}\n\
             users:\n- name: tester\n  user:\n    token: {TOKEN}\ncontexts:\n- name: test\n  context:\n    cluster: test\n    user: tester\n    namespace: {namespace}\n\
             current-context: test\n",
            url = self.url()
        );
        let path = dir.join("kubeconfig");
        std::fs::write(&path, text).expect("write kubeconfig");
        path
    }

    /// Locks the state.
    pub fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("state")
    }

    /// Sets the behaviour.
    pub fn set_mode(&self, mode: Mode) {
        self.state().mode = mode;
    }

    /// Refuses `verb` on `resource` (`secrets`, `deployments`, `pods`), for one name or all.
    pub fn forbid(&self, verb: &str, resource: &str, name: Option<&str>) {
        self.state()
            .forbidden
            .push((verb.into(), resource.into(), name.map(str::to_string)));
    }

    /// Every request line so far.
    pub fn requests(&self) -> Vec<String> {
        self.state().requests.clone()
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A CA and a server certificate for 127.0.0.1 and localhost, made fresh.
fn tls_config() -> (String, Arc<rustls::ServerConfig>) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose, SanType,
    };
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "harbor-upgrade test CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA cert");
    let issuer = Issuer::from_params(&ca_params, &ca_key);

    let key = KeyPair::generate().expect("server key");
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).expect("params");
    params
        .subject_alt_names
        .push(SanType::IpAddress(std::net::IpAddr::from([127, 0, 0, 1])));
    params
        .distinguished_name
        .push(DnType::CommonName, "kube-apiserver");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let cert = params.signed_by(&key, &issuer).expect("server cert");

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone(), ca_cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .expect("server config");
    (ca_cert.pem(), Arc::new(config))
}

struct Response {
    code: u16,
    content_type: &'static str,
    body: Vec<u8>,
}

fn json_response(code: u16, body: &Value) -> Response {
    Response {
        code,
        content_type: "application/json",
        body: serde_json::to_vec(body).expect("json"),
    }
}

fn status(code: u16, reason: &str, message: String, details: Value) -> Response {
    json_response(
        code,
        &json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "details": details, "code": code,
        }),
    )
}

fn serve(
    stream: TcpStream,
    tls: &Arc<rustls::ServerConfig>,
    state: &Mutex<State>,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    let conn = rustls::ServerConnection::new(Arc::clone(tls)).map_err(std::io::Error::other)?;
    let mut tls_stream = rustls::StreamOwned::new(conn, stream);
    let (method, target, headers, body) = {
        let mut reader = BufReader::new(&mut tls_stream);
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_string();
        let target = parts.next().unwrap_or_default().to_string();
        let mut headers = BTreeMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        let len: usize = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        reader.read_exact(&mut body)?;
        (method, target, headers, body)
    };
    // Streams: exec upgrades to WebSocket (`exec.rs`), the node Lease list and watch (`lease.rs`).
    if exec::wants(&target, &headers) || lease::wants(&method, &target) {
        state
            .lock()
            .expect("state")
            .requests
            .push(format!("{method} {target}"));
        return if lease::wants(&method, &target) {
            lease::serve(tls_stream, &target, &headers, state)
        } else {
            exec::serve(tls_stream, &target, &headers, state)
        };
    }
    let response = {
        let mut state = state.lock().expect("state");
        state.requests.push(format!("{method} {target}"));
        respond(&mut state, &method, &target, &headers, &body)
    };
    let reason = match response.code {
        200 => "OK",
        201 => "Created",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        _ => "Error",
    };
    let head = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        response.code,
        response.content_type,
        response.body.len()
    );
    tls_stream.write_all(head.as_bytes())?;
    tls_stream.write_all(&response.body)?;
    tls_stream.flush()?;
    tls_stream.conn.send_close_notify();
    let _ = tls_stream.flush();
    Ok(())
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("00");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether labels match a selector of `k=v`, `k==v`, `k!=v`, `k` and `!k` terms.
pub fn selector_matches(selector: &str, labels: Option<&BTreeMap<String, String>>) -> bool {
    let empty = BTreeMap::new();
    let labels = labels.unwrap_or(&empty);
    selector.split(',').filter(|t| !t.is_empty()).all(|term| {
        if let Some((k, v)) = term.split_once("!=") {
            labels.get(k.trim()).map(String::as_str) != Some(v.trim())
        } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
            labels.get(k.trim()).map(String::as_str) == Some(v.trim())
        } else if let Some(k) = term.strip_prefix('!') {
            !labels.contains_key(k.trim())
        } else {
            labels.contains_key(term.trim())
        }
    })
}

fn respond(
    state: &mut State,
    method: &str,
    target: &str,
    headers: &BTreeMap<String, String>,
    body: &[u8],
) -> Response {
    match state.mode {
        Mode::Unauthorized => {
            return status(401, "Unauthorized", "Unauthorized".into(), json!({}));
        }
        Mode::NotFound => {
            return Response {
                code: 404,
                content_type: "text/plain; charset=utf-8",
                body: b"404 page not found\n".to_vec(),
            }
        }
        Mode::Garbage => {
            return Response {
                code: 200,
                content_type: "text/html",
                body: b"<html><body>Welcome to nginx!</body></html>".to_vec(),
            }
        }
        Mode::Normal | Mode::Hang => {}
    }
    if headers.get("authorization").map(String::as_str) != Some(&format!("Bearer {TOKEN}")) {
        return status(401, "Unauthorized", "Unauthorized".into(), json!({}));
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let host = headers.get("host").map_or("127.0.0.1", String::as_str);
    if let Some(response) = discovery::respond(method, path, host) {
        return response;
    }
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    if let ["api", "v1", "namespaces", ns, "pods", pod, "log"] = segments.as_slice() {
        return logs::respond(state, ns, pod, query);
    }
    if let ("GET", ["api", "v1", "namespaces", ns, "events"]) = (method, segments.as_slice()) {
        return events::list(state, ns, query);
    }
    objects::respond(state, method, target, headers, body)
}

// ---------------------------------------------------------------------------------------------
// Objects as the goharbor/harbor chart and Helm 3 make them.

/// Metadata with a name, namespace and labels.
pub fn meta(namespace: &str, name: &str, labels: &[(&str, &str)]) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        namespace: Some(namespace.into()),
        labels: (!labels.is_empty()).then(|| {
            labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        }),
        ..Default::default()
    }
}

/// A Secret with the chart's labels.
pub fn secret(namespace: &str, release: &str, name: &str, data: &[(&str, &[u8])]) -> Secret {
    let mut metadata = meta(
        namespace,
        name,
        &[
            ("app", "harbor"),
            ("chart", "harbor"),
            ("heritage", "Helm"),
            ("release", release),
        ],
    );
    metadata.annotations = Some(BTreeMap::from([
        ("meta.helm.sh/release-name".to_string(), release.to_string()),
        (
            "meta.helm.sh/release-namespace".to_string(),
            namespace.to_string(),
        ),
    ]));
    Secret {
        metadata,
        type_: Some("Opaque".into()),
        data: Some(
            data.iter()
                .map(|(k, v)| (k.to_string(), ByteString(v.to_vec())))
                .collect(),
        ),
        ..Default::default()
    }
}

/// A Harbor component Deployment with the chart's labels.
pub fn deployment(namespace: &str, release: &str, name: &str, component: &str) -> Deployment {
    Deployment {
        metadata: meta(
            namespace,
            name,
            &[
                ("app", "harbor"),
                ("chart", "harbor"),
                ("heritage", "Helm"),
                ("release", release),
                ("component", component),
            ],
        ),
        ..Default::default()
    }
}

/// A Harbor component Pod.
pub fn pod(namespace: &str, release: &str, name: &str, component: &str) -> Pod {
    Pod {
        metadata: meta(
            namespace,
            name,
            &[
                ("app", "harbor"),
                ("release", release),
                ("component", component),
            ],
        ),
        ..Default::default()
    }
}

/// The same record as `helm_release_secret`, as Helm's `configmap` storage driver
/// (`HELM_DRIVER=configmap`) writes it: a `ConfigMap` whose `data.release` is the base64 text.
pub fn helm_release_config_map(
    namespace: &str,
    release: &str,
    revision: u64,
    status: &str,
    chart_version: &str,
    app_version: &str,
    config: &Value,
) -> k8s_openapi::api::core::v1::ConfigMap {
    let secret = helm_release_secret(
        namespace,
        release,
        revision,
        status,
        chart_version,
        app_version,
        config,
    );
    let payload = secret
        .data
        .as_ref()
        .and_then(|d| d.get("release"))
        .map(|p| String::from_utf8(p.0.clone()).expect("base64 text"))
        .expect("payload");
    k8s_openapi::api::core::v1::ConfigMap {
        metadata: secret.metadata,
        data: Some(BTreeMap::from([("release".to_string(), payload)])),
        ..Default::default()
    }
}

/// The Secret in which Helm 3 stores a release revision: the release JSON, gzip-compressed,
/// base64-encoded, as data key `release` (which the API base64-encodes once more).
pub fn helm_release_secret(
    namespace: &str,
    release: &str,
    revision: u64,
    status: &str,
    chart_version: &str,
    app_version: &str,
    config: &Value,
) -> Secret {
    let manifest = "---\n# Source: harbor/templates/core/core-secret.yaml\n";
    helm_release_secret_with_manifest(
        namespace,
        release,
        (revision, status),
        (chart_version, app_version),
        config,
        manifest,
    )
}

/// [`helm_release_secret`] whose record holds `manifest` (what Helm applied).
pub fn helm_release_secret_with_manifest(
    namespace: &str,
    release: &str,
    (revision, status): (u64, &str),
    (chart_version, app_version): (&str, &str),
    config: &Value,
    manifest: &str,
) -> Secret {
    use std::io::Write as _;
    let record = json!({
        "name": release,
        "namespace": namespace,
        "version": revision,
        "info": {"status": status, "first_deployed": "2024-05-01T10:00:00Z", "last_deployed": "2024-05-01T10:00:00Z", "description": "Upgrade complete"},
        "chart": {
            "metadata": {"name": "harbor", "version": chart_version, "appVersion": app_version, "apiVersion": "v2"},
            "values": {"secretKey": "not-a-secure-key", "core": {"replicas": 1}},
            "templates": [],
        },
        "config": config,
        "manifest": manifest,
    });
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&serde_json::to_vec(&record).expect("json"))
        .expect("gzip");
    let payload = base64::engine::general_purpose::STANDARD.encode(gz.finish().expect("gzip"));
    let name = format!("sh.helm.release.v1.{release}.v{revision}");
    Secret {
        metadata: meta(
            namespace,
            &name,
            &[
                ("owner", "helm"),
                ("name", release),
                ("status", status),
                ("version", &revision.to_string()),
            ],
        ),
        type_: Some("helm.sh/release.v1".into()),
        data: Some(BTreeMap::from([(
            "release".to_string(),
            ByteString(payload.into_bytes()),
        )])),
        ..Default::default()
    }
}
