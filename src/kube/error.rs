//! What can go wrong talking to the API server, with the server and the request named.

use std::fmt;
use std::time::Duration;

use crate::duration::GoDuration;

/// One API request, as messages name it: `get secrets/harbor-core in namespace harbor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The RBAC verb: `get`, `list`, `create`, `update`.
    pub verb: &'static str,
    /// The RBAC resource: `secrets`, `deployments.apps`.
    pub resource: &'static str,
    /// The object name, for requests on one object.
    pub name: Option<String>,
    /// The namespace.
    pub namespace: String,
    /// The label selector of a list.
    pub selector: Option<String>,
}

impl Request {
    /// The virtual source of the object or list, e.g. `cluster://harbor/secret/harbor-core`.
    pub fn address(&self) -> String {
        // Singular, like the live objects' sources: `secrets.` → `secret`, `deployments.apps` → `deployment`.
        let plural = self.resource.split('.').next().unwrap_or(self.resource);
        let kind = plural.strip_suffix('s').unwrap_or(plural);
        match &self.name {
            Some(name) => format!("cluster://{}/{kind}/{name}", self.namespace),
            None => format!("cluster://{}/{kind}", self.namespace),
        }
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` of `{}", self.verb, self.resource)?;
        if let Some(name) = &self.name {
            write!(f, "/{name}")?;
        }
        write!(f, "` in namespace `{}`", self.namespace)?;
        if let Some(selector) = &self.selector {
            write!(f, " (label selector `{selector}`)")?;
        }
        Ok(())
    }
}

/// A failed cluster operation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No usable kubeconfig or in-cluster configuration.
    #[error("cannot load the cluster configuration: {what}")]
    Config {
        /// What was being loaded.
        what: String,
        /// The cause.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// `401`: the credentials are missing, expired or wrong.
    #[error("the API server {server} rejected the credentials (401 Unauthorized) for {request}; log in again or check the user of the kubeconfig context")]
    Unauthorized {
        /// The API server URL.
        server: String,
        /// The request.
        request: Request,
    },
    /// `403`: RBAC does not allow the request.
    #[error("the API server {server} does not allow {request} (403 Forbidden); grant `{verb}` on `{resource}` in namespace `{namespace}` (see docs/rbac.md)", verb = request.verb, resource = request.resource, namespace = request.namespace)]
    Forbidden {
        /// The API server URL.
        server: String,
        /// The request.
        request: Request,
        /// The server's message (names the user).
        message: String,
    },
    /// `404` for a path the server does not serve: not a Kubernetes API server, or a wrong URL.
    #[error("the API server {server} has no such resource for {request} (404 Not Found: {message}); check the server URL of the kubeconfig context")]
    NotFound {
        /// The API server URL.
        server: String,
        /// The request.
        request: Request,
        /// The server's message.
        message: String,
    },
    /// No answer within `--request-timeout`.
    #[error("no answer from the API server {server} within {} for {request}; raise `--request-timeout` or check the network", format_duration(*after))]
    Timeout {
        /// The API server URL.
        server: String,
        /// The request.
        request: Request,
        /// The time waited.
        after: Duration,
    },
    /// Connection refused, DNS failure, TLS failure.
    #[error("cannot reach the API server {server} for {request}: {reason}")]
    Unreachable {
        /// The API server URL.
        server: String,
        /// The request.
        request: Request,
        /// A short reason (`connection refused`, `TLS handshake failed`).
        reason: String,
        /// The kube-rs error, kept for debugging: the reason says it in one line, so it is not
        /// a printed cause.
        cause: Box<::kube::Error>,
    },
    /// The answer is not Kubernetes JSON.
    #[error("the API server {server} answered {request} with something that is not Kubernetes JSON; is the server URL a Kubernetes API server?")]
    Garbage {
        /// The API server URL.
        server: String,
        /// The request.
        request: Request,
        /// The cause.
        #[source]
        source: ::kube::Error,
    },
    /// The Helm release record cannot be decoded.
    #[error("cannot read the Helm release record from the API server {server}")]
    Release {
        /// The API server URL.
        server: String,
        /// The cause.
        #[source]
        source: super::helm::ReleaseError,
    },
    /// Any other refusal (`409 Conflict`, `422 Invalid`, `500`).
    #[error("the API server {server} refused {request}: {code} {reason}: {message}")]
    Api {
        /// The API server URL.
        server: String,
        /// The request.
        request: Request,
        /// HTTP status.
        code: u16,
        /// Kubernetes reason (`Conflict`, `Invalid`).
        reason: String,
        /// The server's message.
        message: String,
    },
}

impl Error {
    /// The request a denied read was for, if this is a `403`.
    pub fn forbidden(&self) -> Option<&Request> {
        match self {
            Error::Forbidden { request, .. } => Some(request),
            _ => None,
        }
    }

    /// Classifies a kube-rs error for one request.
    pub(crate) fn classify(
        source: ::kube::Error,
        server: &str,
        request: Request,
        timeout: Option<Duration>,
    ) -> Self {
        let server = server.to_string();
        match source {
            ::kube::Error::Api(status) => {
                let message = shorten(&status.message);
                match status.code {
                    401 => Error::Unauthorized { server, request },
                    403 => Error::Forbidden {
                        server,
                        request,
                        message,
                    },
                    404 => Error::NotFound {
                        server,
                        request,
                        message,
                    },
                    code => Error::Api {
                        server,
                        request,
                        code,
                        reason: status.reason.clone(),
                        message,
                    },
                }
            }
            ::kube::Error::SerdeError(_) | ::kube::Error::FromUtf8(_) => Error::Garbage {
                server,
                request,
                source,
            },
            other => {
                if let Some(after) = timeout.filter(|_| timed_out(&other)) {
                    return Error::Timeout {
                        server,
                        request,
                        after,
                    };
                }
                if is_parse_error(&other) {
                    return Error::Garbage {
                        server,
                        request,
                        source: other,
                    };
                }
                Error::Unreachable {
                    server,
                    request,
                    reason: reason(&other),
                    cause: Box::new(other),
                }
            }
        }
    }
}

/// The cause of a configuration or connection error as it may be shown: kube-rs quotes the
/// kubeconfig (a YAML error shows the lines around it, `token:` included), an exec plugin's
/// command line and its output. This keeps the first line of the message, says that a failed
/// plugin failed without its arguments or output, and drops every quoted part but file paths.
#[derive(Debug)]
pub struct Scrubbed(pub String);

impl fmt::Display for Scrubbed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Scrubbed {}

impl Scrubbed {
    /// The scrubbed message of `e` and its causes (which it replaces: it has no source).
    pub fn of(e: &(dyn std::error::Error + 'static)) -> Self {
        Scrubbed(scrub(e))
    }
}

/// See [`Scrubbed`].
pub(crate) fn scrub(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in causes(e) {
        let text = cause.to_string();
        if let Some(at) = text.find("auth exec command") {
            let status = text[at..]
                .find("failed with status ")
                .map(|p| {
                    let rest = &text[at + p + "failed with status ".len()..];
                    let end = rest.find(": Output").unwrap_or(rest.len()).min(40);
                    format!(" ({})", unquote(&rest[..end]))
                })
                .unwrap_or_default();
            return format!("the exec credential plugin of the kubeconfig user failed{status}; its arguments and output are not shown: run it by hand to see why");
        }
        if text.contains("auth exec") || text.contains("exec plugin") {
            return "the exec credential plugin of the kubeconfig user failed; its arguments and output are not shown: run it by hand to see why".into();
        }
        let first = unquote(text.lines().next().unwrap_or_default().trim());
        if !first.is_empty() && !parts.iter().any(|p| p.contains(&first)) {
            parts.push(first);
        }
    }
    parts.join(": ")
}

/// `text` with every quoted part (`"…"`, `'…'`, `` `…` ``) replaced by `…`, except file paths.
fn unquote(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find(['"', '\'', '`']) {
        let quote = rest.as_bytes()[open];
        out.push_str(&rest[..=open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find(char::from(quote)) else {
            out.push('…');
            return out;
        };
        let inner = after[..close].trim_matches('"');
        if inner.starts_with('/') || inner.starts_with("./") || inner.starts_with('~') {
            out.push_str(inner);
        } else {
            out.push('…');
        }
        out.push(char::from(quote));
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Server messages are shown on one line and never at length.
fn shorten(message: &str) -> String {
    let one_line: String = message.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 200 {
        let cut: String = one_line.chars().take(200).collect();
        format!("{cut}…")
    } else {
        one_line
    }
}

fn causes<'e>(
    e: &'e (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'e (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(e), |e| e.source())
}

fn timed_out(e: &::kube::Error) -> bool {
    causes(e).any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
            || c.to_string().to_ascii_lowercase().contains("timed out")
            || c.to_string()
                .to_ascii_lowercase()
                .contains("deadline has elapsed")
    })
}

fn is_parse_error(e: &::kube::Error) -> bool {
    // hyper's parse errors: `invalid HTTP version parsed`, `invalid HTTP status-code parsed` …
    causes(e).any(|c| {
        let text = c.to_string();
        text.contains("parsed") || text.contains("invalid HTTP") || text.contains("message head")
    })
}

fn reason(e: &::kube::Error) -> String {
    for c in causes(e) {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return "connection refused".into(),
                std::io::ErrorKind::ConnectionReset => return "connection reset".into(),
                _ => {}
            }
        }
    }
    let last = causes(e).last().map_or_else(String::new, scrub);
    if last.to_ascii_lowercase().contains("certificate") {
        format!("TLS handshake failed ({last})")
    } else {
        last
    }
}

/// `1.5s`, `2m`, `300ms`: the Go duration of `d`, without trailing zero units
/// ([`GoDuration::short`]), so that it reads like the `--request-timeout` the user gave.
pub(crate) fn format_duration(d: Duration) -> String {
    GoDuration::from_std(d).short()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> Request {
        Request {
            verb: "get",
            resource: "secrets",
            name: Some("harbor-core".into()),
            namespace: "harbor".into(),
            selector: None,
        }
    }

    #[test]
    fn requests_read_like_rbac() {
        assert_eq!(
            request().to_string(),
            "`get` of `secrets/harbor-core` in namespace `harbor`"
        );
        assert_eq!(request().address(), "cluster://harbor/secret/harbor-core");
    }

    #[test]
    fn status_codes_map_to_variants() {
        let status = |code: u16| {
            ::kube::Error::Api(
                ::kube::core::Status::failure("denied for user x", "Forbidden")
                    .with_code(code)
                    .boxed(),
            )
        };
        let e = Error::classify(status(403), "https://k", request(), None);
        assert!(e.forbidden().is_some());
        let text = e.to_string();
        assert!(
            text.contains("grant `get` on `secrets` in namespace `harbor`"),
            "{text}"
        );
        assert!(matches!(
            Error::classify(status(401), "https://k", request(), None),
            Error::Unauthorized { .. }
        ));
        assert!(matches!(
            Error::classify(status(404), "https://k", request(), None),
            Error::NotFound { .. }
        ));
        assert!(matches!(
            Error::classify(status(500), "https://k", request(), None),
            Error::Api { code: 500, .. }
        ));
    }

    #[test]
    fn scrubbed_causes_quote_nothing_but_paths() {
        let e = std::io::Error::other(
            "auth exec command 'sh \"-c\" \"echo CANARY\"' failed with status exit status: 1: Output { stdout: \"CANARY\" }",
        );
        let text = scrub(&e);
        assert!(!text.contains("CANARY"), "{text}");
        assert!(text.contains("exit status: 1"), "{text}");
        let e = std::io::Error::other(
            "invalid type: string \"CANARY\", expected a map\n  9 | token: CANARY",
        );
        let text = scrub(&e);
        assert_eq!(text, "invalid type: string \"…\", expected a map");
        let e = std::io::Error::other("failed to read kubeconfig from '\"/tmp/x\"': No such file");
        assert_eq!(
            scrub(&e),
            "failed to read kubeconfig from '/tmp/x': No such file"
        );
    }

    #[test]
    fn durations_print_short() {
        assert_eq!(format_duration(Duration::from_secs(120)), "2m");
        assert_eq!(format_duration(Duration::from_secs(2)), "2s");
        assert_eq!(format_duration(Duration::from_millis(300)), "300ms");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(format_duration(Duration::from_secs(3600)), "1h");
    }
}
