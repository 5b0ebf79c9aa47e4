//! Cluster flags → a kube-rs client, the way kubectl resolves them.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::time::Duration;

use ::kube::config::{KubeConfigOptions, Kubeconfig};

use super::error::{Error, Request, Scrubbed};
use crate::duration::GoDuration;

/// The cluster flags, as given.
#[derive(Debug, Clone, Default)]
pub struct ClusterOptions {
    /// `--kubeconfig`: this file only (kubectl ignores `KUBECONFIG` then).
    pub kubeconfig: Option<PathBuf>,
    /// `--context`.
    pub context: Option<String>,
    /// `-n/--namespace`.
    pub namespace: Option<String>,
    /// `--request-timeout`, already parsed (`None`: no limit beyond kube-rs's connect timeout).
    pub request_timeout: Option<Duration>,
}

/// A connected client and what messages need to know about it.
#[derive(Clone)]
pub struct Cluster {
    pub(crate) client: ::kube::Client,
    /// The API server URL, for messages.
    pub server: String,
    /// The kubeconfig context used (`None` in-cluster).
    pub context: Option<String>,
    /// The namespace every request goes to.
    pub namespace: String,
    pub(crate) timeout: Option<Duration>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("server", &self.server)
            .field("context", &self.context)
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

impl Cluster {
    /// Wraps an existing client (tests build one for a test API server).
    pub fn new(
        client: ::kube::Client,
        server: impl Into<String>,
        namespace: impl Into<String>,
    ) -> Self {
        Cluster {
            client,
            server: server.into(),
            context: None,
            namespace: namespace.into(),
            timeout: None,
        }
    }

    /// Runs one request with the request timeout and classifies its error.
    pub(crate) async fn call<T>(
        &self,
        request: Request,
        fut: impl std::future::Future<Output = Result<T, ::kube::Error>>,
    ) -> Result<T, Error> {
        let result = match self.timeout {
            Some(limit) => match tokio::time::timeout(limit, fut).await {
                Ok(result) => result,
                Err(_) => {
                    return Err(Error::Timeout {
                        server: self.server.clone(),
                        request,
                        after: limit,
                    })
                }
            },
            None => fut.await,
        };
        result.map_err(|e| Error::classify(e, &self.server, request, self.timeout))
    }

    pub(crate) fn request(
        &self,
        verb: &'static str,
        resource: &'static str,
        name: Option<&str>,
        selector: Option<&str>,
    ) -> Request {
        Request {
            verb,
            resource,
            name: name.map(str::to_string),
            namespace: self.namespace.clone(),
            selector: selector.map(str::to_string),
        }
    }
}

/// Parses `--request-timeout` as kubectl does: `0` means no limit, a bare number is seconds,
/// otherwise a Go duration such as `500ms`, `10s`, `1m30s`, `1h` ([`crate::duration`]);
/// a negative one is refused.
pub fn parse_request_timeout(text: &str) -> Result<Option<Duration>, String> {
    let bad = || {
        format!("invalid --request-timeout `{text}`: expected seconds or a duration such as `10s`, `1m`, `500ms`")
    };
    let text = text.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok((seconds > 0).then(|| Duration::from_secs(seconds)));
    }
    let parsed: GoDuration = text.parse().map_err(|_| bad())?;
    let total = parsed.to_std().ok_or_else(bad)?;
    Ok((!total.is_zero()).then_some(total))
}

/// Builds a client from the flags. No request is made yet.
pub async fn connect(opts: &ClusterOptions) -> Result<Cluster, Error> {
    let options = KubeConfigOptions {
        context: opts.context.clone(),
        cluster: None,
        user: None,
    };
    let config_error = |what: String| {
        move |e: ::kube::config::KubeconfigError| Error::Config {
            what,
            source: Some(Box::new(Scrubbed::of(&e))),
        }
    };
    let (kubeconfig, what) = if let Some(path) = &opts.kubeconfig {
        let what = format!("kubeconfig {}", path.display());
        let config = Kubeconfig::read_from(path).map_err(config_error(what.clone()))?;
        (Some(config), what)
    } else if let Some(config) =
        Kubeconfig::from_env().map_err(config_error("the files in KUBECONFIG".into()))?
    {
        (Some(config), "the files in KUBECONFIG".to_string())
    } else if let Some(path) = default_kubeconfig().filter(|p| p.is_file()) {
        let what = format!("kubeconfig {}", path.display());
        let config = Kubeconfig::read_from(&path).map_err(config_error(what.clone()))?;
        (Some(config), what)
    } else {
        (None, "the in-cluster service account".to_string())
    };
    let (mut config, context) = if let Some(kubeconfig) = kubeconfig {
        {
            let context = opts
                .context
                .clone()
                .or_else(|| kubeconfig.current_context.clone());
            if let Some(name) = &context {
                if !kubeconfig.contexts.iter().any(|c| &c.name == name) {
                    return Err(Error::Config {
                        what: format!("context `{name}` is not in {what}"),
                        source: None,
                    });
                }
            }
            let config = ::kube::Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .map_err(config_error(what))?;
            (config, context)
        }
    } else {
        {
            if opts.context.is_some() {
                return Err(Error::Config {
                    what: "`--context` needs a kubeconfig, and none was found (`--kubeconfig`, `KUBECONFIG`, `~/.kube/config`)".into(),
                    source: None,
                });
            }
            // The in-cluster error only says which environment variable is missing: nothing to add.
            let config = ::kube::Config::incluster().map_err(|_| Error::Config {
                what: "no kubeconfig found (`--kubeconfig`, `KUBECONFIG`, `~/.kube/config`) and not running in a pod".into(),
                source: None,
            })?;
            (config, None)
        }
    };
    if let Some(limit) = opts.request_timeout {
        config.read_timeout = Some(limit);
        config.reset_reader_on_write = true;
        config.connect_timeout = Some(config.connect_timeout.map_or(limit, |c| c.min(limit)));
        config.write_timeout = Some(config.write_timeout.map_or(limit, |w| w.min(limit)));
    }
    let namespace = opts
        .namespace
        .clone()
        .unwrap_or_else(|| config.default_namespace.clone());
    let server = display_server(&config.cluster_url);
    if !std::io::stdin().is_terminal() {
        // An exec plugin may only prompt on a terminal; otherwise its stderr is captured (and
        // never shown) instead of written to ours.
        if let Some(exec) = config.auth_info.exec.as_mut() {
            exec.interactive_mode
                .get_or_insert(::kube::config::ExecInteractiveMode::Never);
        }
    }
    let client = ::kube::Client::try_from(config).map_err(|e| Error::Config {
        what: format!("cannot build a client for the API server {server}"),
        source: Some(Box::new(Scrubbed::of(&e))),
    })?;
    Ok(Cluster {
        client,
        server,
        context,
        namespace,
        timeout: opts.request_timeout,
    })
}

/// The API server URL as messages show it: without a user or password (`https://u:PW@host`).
fn display_server(url: &impl std::fmt::Display) -> String {
    let text = url.to_string();
    let text = text.trim_end_matches('/');
    match (text.find("://"), text.find('@')) {
        (Some(scheme), Some(at)) if at > scheme && !text[scheme + 3..at].contains('/') => {
            format!("{}{}", &text[..scheme + 3], &text[at + 1..])
        }
        _ => text.to_string(),
    }
}

fn default_kubeconfig() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE"))?;
    Some(PathBuf::from(home).join(".kube").join("config"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_timeout_like_kubectl() {
        assert_eq!(parse_request_timeout("0"), Ok(None));
        assert_eq!(parse_request_timeout("5"), Ok(Some(Duration::from_secs(5))));
        assert_eq!(
            parse_request_timeout("10s"),
            Ok(Some(Duration::from_secs(10)))
        );
        assert_eq!(
            parse_request_timeout("1m30s"),
            Ok(Some(Duration::from_secs(90)))
        );
        assert_eq!(
            parse_request_timeout("500ms"),
            Ok(Some(Duration::from_millis(500)))
        );
        assert_eq!(
            parse_request_timeout("1h"),
            Ok(Some(Duration::from_secs(3600)))
        );
        assert_eq!(
            parse_request_timeout("1.5h"),
            Ok(Some(Duration::from_secs(5400)))
        );
        assert_eq!(parse_request_timeout("0s"), Ok(None));
        for bad in ["", "s", "10x", "-1s", "1.2.3s", "1d", "-"] {
            assert!(parse_request_timeout(bad).is_err(), "{bad}");
        }
    }
}
