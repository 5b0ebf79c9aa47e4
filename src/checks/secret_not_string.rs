//! `secret-not-string`: a credential written as a number, boolean, map, list or null.

use super::fields::CREDENTIAL_FIELDS;
use super::{Context, FieldState, Findings, Rule};
use crate::report::{Finding, Severity};

/// A credential field is a number, boolean, map or null.
pub struct SecretNotString;

impl Rule for SecretNotString {
    fn id(&self) -> &'static str {
        "secret-not-string"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "a credential field is a number, boolean, map or null: Helm renders it changed"
    }
    fn explain(&self) -> &'static str {
        "Helm reads values through JSON, so an unquoted credential is not the text you wrote: \
`1234567890123456` becomes the float `1.234567890123456e+15`, `0123` loses its zero, `yes` and \
`on` become `true`, and `~` or an empty value is null, which deletes the key so the chart \
default (for `secretKey` the public `not-a-secure-key`) is used instead. The rendered Secret then \
holds something else than the operator thinks, and comparing it with the running installation \
fails in confusing ways.\n\n**Fix:** quote every credential: `secretKey: \"1234567890123456\"`."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        for field in CREDENTIAL_FIELDS {
            let f = ctx.field(field.path);
            let message = match f.state() {
                FieldState::NotString(kind) => {
                    let rendered = match kind {
                        "number" => "Helm renders it as a JSON number (large integers in float notation such as `1.234567890123456e+15`)",
                        "boolean" => "Helm renders it as `true` or `false`",
                        _ => "the chart cannot render it as a string",
                    };
                    format!("`{}` is a {kind}, not a string: {rendered}", field.path)
                }
                FieldState::Null if field.default.is_some() => format!(
                    "`{}` is null: Helm deletes the key and the chart's default {} is used",
                    field.path,
                    field.kind.describe()
                ),
                _ => continue,
            };
            out.push(
                Finding::new(self.id(), self.severity(), message)
                    .path(field.path)
                    .at(f.span())
                    .help("write the credential as a quoted string"),
            );
        }
    }
}
