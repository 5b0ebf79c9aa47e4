//! `external-url-mismatch`: `externalURL` disagrees with how Harbor is exposed (scheme or host).

use super::upgrade_values::{new_value, span_of, truthy};
use super::{Context, Findings, Rule};
use crate::report::{Finding, Severity};
use crate::values::placeholder::find_placeholder;

/// `externalURL`'s scheme or host disagrees with the exposure.
pub struct ExternalUrlMismatch;

/// Scheme and host (lowercase, without port, user info or path) of a URL.
fn scheme_and_host(url: &str) -> Option<(String, String)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        authority.split(':').next().unwrap_or_default()
    };
    Some((scheme.to_ascii_lowercase(), host.to_ascii_lowercase()))
}

impl Rule for ExternalUrlMismatch {
    fn id(&self) -> &'static str {
        "external-url-mismatch"
    }
    fn severity(&self) -> Severity {
        Severity::Warning
    }
    fn summary(&self) -> &'static str {
        "`externalURL`'s scheme or host disagrees with how Harbor is exposed (`http://` with TLS on, another host than the ingress host)"
    }
    fn explain(&self) -> &'static str {
        "Core builds every absolute URL from `externalURL`: the token realm that `docker login` \
is sent to (`<externalURL>/service/token`), redirects after login and OIDC callbacks, and the \
`secure` flag of the session and CSRF cookies. When it says `http://` while the chart serves TLS \
(`expose.tls.enabled`, the ingress redirects HTTP to HTTPS), or names another host than \
`expose.ingress.hosts.core`, clients are sent to an address that is not the one they use: the UI \
answers `{\"errors\":[{\"code\":\"FORBIDDEN\",\"message\":\"CSRF token invalid\"}]}`, redirects \
break, and `docker login` asks a realm on the wrong host or scheme. An `externalURL` without a \
scheme is not a URL to core at all. Values a deploy tool substitutes later (`${DOMAIN}`) are not \
judged.\n\n\
An `https://` URL with chart TLS off is not reported: TLS is often terminated in front of \
Harbor. Routes (`expose.type: route`) and the host of clusterIP, nodePort and loadBalancer \
exposure are not compared: the chart does not know the address clients use there.\n\n\
**Fix:** set `externalURL` to exactly the scheme and host clients use, e.g. \
`https://<expose.ingress.hosts.core>`."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        if ctx.target().is_none() {
            return;
        }
        // A URL or host a deploy tool substitutes later is not judged.
        let Some(url) = new_value(ctx, "externalURL")
            .filter(|u| !u.is_empty() && find_placeholder(u).is_none())
        else {
            return;
        };
        let expose = new_value(ctx, "expose.type").unwrap_or_default();
        if expose == "route" {
            return;
        }
        let finding = |message: String| {
            Finding::new(self.id(), self.severity(), message)
                .path("externalURL")
                .at(span_of(ctx, "externalURL"))
                .note("core builds the token realm, redirects and cookie flags from `externalURL`: clients see `CSRF token invalid` in the UI and broken redirects or token requests")
        };
        let Some((scheme, host)) = scheme_and_host(&url) else {
            out.push(
                finding(format!("`externalURL` `{url}` has no scheme"))
                    .help("write the whole URL clients use, with `https://` or `http://`"),
            );
            return;
        };
        let tls_on = truthy(new_value(ctx, "expose.tls.enabled").as_deref());
        if scheme == "http" && tls_on {
            out.push(
                finding(format!("`externalURL` is `http://` but `expose.tls.enabled` is on: Harbor is served over HTTPS (`expose.type: {expose}`) and sends clients to `http://{host}`"))
                    .help(format!("set `externalURL: https://{host}` (or turn `expose.tls.enabled` off if Harbor really is plain HTTP)")),
            );
        }
        if expose == "ingress" {
            let ingress_host = new_value(ctx, "expose.ingress.hosts.core").unwrap_or_default();
            if !ingress_host.is_empty()
                && find_placeholder(&ingress_host).is_none()
                && !ingress_host.eq_ignore_ascii_case(&host)
            {
                out.push(
                    finding(format!("`externalURL` names host `{host}` but the ingress serves `{ingress_host}` (`expose.ingress.hosts.core`)"))
                        .help(format!("set `externalURL: {scheme}://{ingress_host}`, or `expose.ingress.hosts.core` to the host clients use")),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::scheme_and_host;

    #[test]
    fn hosts_are_compared_without_port_user_or_path() {
        assert_eq!(
            scheme_and_host("HTTPS://Harbor.Example.com:8443/x"),
            Some(("https".into(), "harbor.example.com".into()))
        );
        assert_eq!(
            scheme_and_host("http://u@[::1]:80"),
            Some(("http".into(), "::1".into()))
        );
        assert_eq!(scheme_and_host("harbor.example.com"), None);
    }
}
