//! `placeholder`: a credential holds a deploy-time placeholder, so its value is not judged.

use super::{Context, Findings, Rule};
use crate::report::Severity;

/// A credential field holds `${VAR}`, `<path:…>` or another deploy-time placeholder.
pub struct Placeholder;

impl Rule for Placeholder {
    fn id(&self) -> &'static str {
        "placeholder"
    }
    fn severity(&self) -> Severity {
        Severity::Info
    }
    fn summary(&self) -> &'static str {
        "a credential holds a deploy-time placeholder (`${VAR}`, `<path:…>`): it is listed as skipped, not judged"
    }
    fn explain(&self) -> &'static str {
        "Deploy tools substitute some values after this tool has read them: Flux `postBuild` \
variables (`${VAR}`), the Argo CD Vault plugin (`<path:secret/data/harbor#secretKey>`), \
envsubst and similar. The text in the file is not the credential Harbor will get, so judging its \
length, default or fingerprint would be wrong either way. Each such field is listed under \
`skipped` with this rule ID and never reported as a finding.\n\n**Fix:** nothing to fix. To \
judge the real values, run the check where they have been substituted: against the cluster \
(`--release`) when Helm stores the substituted values (Flux), or with the live Secrets \
(`--secret`, as `kubectl get secret -o yaml` prints them)."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        ctx.report_placeholders(out);
    }
}
