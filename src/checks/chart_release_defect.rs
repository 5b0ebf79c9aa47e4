//! `chart-release-defect`: the target chart release has a known defect that the values trigger
//! (the table is `chart::defects`).

use super::upgrade_values::{new_value, span_of};
use super::{Context, Findings, Rule};
use crate::chart::defects::{Trigger, RELEASE_DEFECTS};
use crate::cli::Renderer;
use crate::report::{Finding, Severity};

/// The target chart release has a known defect.
pub struct ChartReleaseDefect;

impl Rule for ChartReleaseDefect {
    fn id(&self) -> &'static str {
        "chart-release-defect"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "the target chart release has a known defect that these values trigger (1.14.0 database password, 1.10.0 registry credentials Secret, 1.13.1–1.18.4 Redis Secret under client-side rendering)"
    }
    fn explain(&self) -> &'static str {
        "Some chart releases shipped a template bug that only bites with certain values. Each range \
below was read from the packaged templates of every release:\n\n\
- **1.14.0**, internal database: when the `<fullname>-database` Secret already exists (every \
upgrade), `harbor.database.rawPassword` runs the plain `database.internal.password` (default \
`changeit`) through `b64dec`. `POSTGRES_PASSWORD` becomes `illegal base64 data at input byte 3` \
and core fails with `password authentication failed for user \"postgres\"`. Fixed in 1.14.1; on \
1.14.0, an empty `database.internal.password` keeps the live password.\n\
- **1.10.0**, `registry.credentials.existingSecret`: the registry Deployment mounts a Secret \
literally named `.Values.registry.credentials.existingSecret`, so the pod waits on \
`secret \".Values.registry.credentials.existingSecret\" not found`. Fixed in 1.10.1.\n\
- **1.13.1 to 1.18.4**, `redis.type: external` with `redis.external.existingSecret`, rendered \
client-side (`helm template`, Argo CD; `--renderer template`): `lookup` returns nothing and the \
render fails with `nil pointer evaluating interface {}.REDIS_PASSWORD`. Fixed in 1.19.0.\n\n\
**Fix:** target the release that fixed the defect (named in the finding), or apply the \
workaround it prints for this release."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Some(target) = ctx.target() else {
            return;
        };
        let chart = target.release.chart;
        for defect in RELEASE_DEFECTS.iter().filter(|d| d.affects(chart)) {
            let triggered = match defect.trigger {
                Trigger::InternalDatabasePassword => {
                    ctx.settings.renderer == Renderer::Helm
                        && new_value(ctx, "database.type").as_deref() == Some("internal")
                        && new_value(ctx, defect.path).is_some_and(|p| !p.is_empty())
                }
                Trigger::RegistryCredentialsExistingSecret => {
                    new_value(ctx, defect.path).is_some_and(|s| !s.is_empty())
                }
                Trigger::RedisExistingSecretClientSide => {
                    ctx.settings.renderer == Renderer::Template
                        && new_value(ctx, "redis.type").as_deref() == Some("external")
                        && new_value(ctx, defect.path).is_some_and(|s| !s.is_empty())
                }
            };
            if !triggered {
                continue;
            }
            out.push(
                Finding::new(
                    self.id(),
                    self.severity(),
                    format!(
                        "the target {} has a known defect with `{}`: {}",
                        target.label(),
                        defect.path,
                        defect.what
                    ),
                )
                .path(defect.path)
                .at(span_of(ctx, defect.path))
                .note(defect.symptom)
                .note(format!(
                    "affected releases: chart {} to {}; fixed in {}",
                    defect.first, defect.last, defect.fixed_in
                ))
                .help(format!(
                    "target chart {} or later; on this release, {}",
                    defect.fixed_in, defect.workaround
                )),
            );
        }
    }
}
