//! `rbac-forbidden`: a read of the cluster was denied, so some checks could not run.

use super::{Context, Findings, Rule};
use crate::report::{Finding, Origin, Severity};

/// RBAC did not allow a read the checks need.
pub struct RbacForbidden;

impl Rule for RbacForbidden {
    fn id(&self) -> &'static str {
        "rbac-forbidden"
    }
    fn severity(&self) -> Severity {
        Severity::Warning
    }
    fn summary(&self) -> &'static str {
        "the API server refused a read (403): the checks that need that object did not run"
    }
    fn explain(&self) -> &'static str {
        "With a cluster, `harbor-upgrade` reads the release's Helm record, its core Deployment and the \
Secrets the chart and the values name, in the release namespace only; `diagnose` lists the \
release's pods, reads their logs (`pods/log`) and lists the namespace's Warning events. When RBAC refuses one of these reads the run goes on without it and this warning names the verb, the resource and what \
was not checked, instead of failing. A clean report with this warning is incomplete.\n\n\
**Fix:** grant the verbs in `docs/rbac.md` (a Role with `get` and `list` on `secrets` and \
`list` on `deployments`, and for `diagnose` `list` on `pods` and `events` and `get` on \
`pods/log`, in the release namespace) to the user or service account, or run with \
a kubeconfig context that has them."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Some(cluster) = ctx.cluster else {
            return;
        };
        for denied in &cluster.denied {
            let what = match &denied.name {
                Some(name) => format!("`{}/{name}`", denied.resource),
                None => format!("`{}`", denied.resource),
            };
            out.push(
                Finding::new(
                    self.id(),
                    self.severity(),
                    format!(
                        "not allowed to `{}` {what} in namespace `{}`: {}",
                        denied.verb, denied.namespace, denied.consequence
                    ),
                )
                .from_object(Origin::Cluster, Some(denied.address.clone()))
                .help(format!(
                    "grant `{}` on `{}` in namespace `{}` (see docs/rbac.md), then run again",
                    denied.verb, denied.resource, denied.namespace
                )),
            );
        }
    }
}
