//! `secret-not-string`: a credential written as a number, boolean, map, list or null.
//!
//! What Helm then does depends on how the chart's template uses the field, verified by rendering
//! every release 1.4.0–1.19.1 with `helm template`: most credentials go through `b64enc`, which
//! refuses anything but a string, so the render fails; the database and Redis passwords and the
//! GCS key are printed as text, so the render succeeds with Helm's rendering of the value
//! instead of the text written.

use super::fields::CREDENTIAL_FIELDS;
use super::{Context, FieldState, Findings, Rule};
use crate::report::{Finding, Severity};

/// A credential field is a number, boolean, map or null.
pub struct SecretNotString;

/// Fields the templates print as text (no `b64enc` of the value itself): a number renders in
/// Helm's notation, null as `<no value>` (the passwords) or as nothing.
const PRINTED_AS_TEXT: &[(&str, NullRenders)] = &[
    ("database.internal.password", NullRenders::NoValue),
    ("database.external.password", NullRenders::NoValue),
    ("redis.external.password", NullRenders::NoValue),
    (
        "persistence.imageChartStorage.gcs.encodedkey",
        NullRenders::Empty,
    ),
];

/// What a null field of [`PRINTED_AS_TEXT`] renders to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NullRenders {
    /// Go's text for a missing value, `<no value>`, becomes the password.
    NoValue,
    /// Nothing: the key or setting is empty.
    Empty,
}

/// The Go type `b64enc` names in its error for a YAML kind.
fn go_type(kind: &str) -> &'static str {
    match kind {
        "number" => "float64",
        "boolean" => "bool",
        "list" => "[]interface {}",
        _ => "map[string]interface {}",
    }
}

impl Rule for SecretNotString {
    fn id(&self) -> &'static str {
        "secret-not-string"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "a credential field is a number, boolean, map, list or null: `helm template` fails (`at <b64enc>: wrong type for value; expected string`) or renders something else than written"
    }
    fn explain(&self) -> &'static str {
        "Helm reads values through YAML 1.1 and JSON, so an unquoted credential is not text: \
`1234567890123456` is a number, `yes`, `on` and `true` are booleans, `0123` is the octal number \
83, and `~` or an empty value is null. Null does not bring the chart default back: Helm deletes \
the key, default included.\n\n\
Most credentials (`secretKey`, `core.secret`, `core.xsrfKey`, `jobservice.secret`, \
`registry.secret`, `harborAdminPassword`, `core.tokenKey`/`core.tokenCert`, \
`registry.credentials.*`, the S3, Swift, Azure and OSS keys …) go through `b64enc` in the \
chart, which accepts only strings. `helm template`, `install` and `upgrade` then fail in every \
chart release 1.4.0–1.19.1:\n\n\
```\nexecuting \"harbor/templates/core/core-secret.yaml\" at <b64enc>:\n    wrong type for value; expected string; got float64\n```\n\n\
(`got bool`, `got map[string]interface {}` for the other kinds). A null field with a chart \
default (`secretKey: ~`, `harborAdminPassword: ~`) fails with `invalid value; expected \
string`; a null field the chart generates (`core.secret: ~`) is harmless.\n\n\
The database and Redis passwords and the GCS key are printed as text, so the render succeeds with Helm's rendering instead of what was written: \
`1.234567890123456e+15` for `1234567890123456`, `83` for `0123`, `true`, `map[a:1]`, and for a \
null password the literal text `<no value>`, which becomes the database password.\n\n\
**Fix:** quote every credential: `secretKey: \"1234567890123456\"`; leave a key out instead of \
writing `~` to use the chart's value."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        for field in CREDENTIAL_FIELDS {
            let f = ctx.field(field.path);
            let as_text = PRINTED_AS_TEXT
                .iter()
                .find(|(p, _)| *p == field.path)
                .map(|(_, null)| *null);
            let path = field.path;
            let message = match (f.state(), as_text) {
                (FieldState::NotString(kind), None) => format!(
                    "`{path}` is a {kind}, not a string: `helm template` fails (`at <b64enc>: wrong type for value; expected string; got {}`)",
                    go_type(kind)
                ),
                (FieldState::NotString(kind), Some(_)) => {
                    let rendered = match kind {
                        "number" => "large integers in float notation such as `1.234567890123456e+15`, `0123` as `83`",
                        "boolean" => "`true` or `false`",
                        _ => "Go's notation, such as `map[a:1]`",
                    };
                    format!("`{path}` is a {kind}, not a string: the chart writes Helm's rendering of it ({rendered}), not the text written")
                }
                (FieldState::Null, None) if field.default.is_some() => format!(
                    "`{path}` is null: Helm deletes the key, chart default included, and `helm template` fails (`at <b64enc>: invalid value; expected string`)"
                ),
                (FieldState::Null, Some(NullRenders::NoValue)) => format!(
                    "`{path}` is null: Helm deletes the key, chart default included, and the chart writes the text `<no value>` as the password"
                ),
                (FieldState::Null, Some(NullRenders::Empty)) if field.default.is_some() => format!(
                    "`{path}` is null: Helm deletes the key, chart default included, and the chart writes an empty {}",
                    field.kind.describe()
                ),
                _ => continue,
            };
            out.push(
                Finding::new(self.id(), self.severity(), message)
                    .path(path)
                    .at(f.span())
                    .help("write the credential as a quoted string, or leave the key out to use the chart's value"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fields::credential_field;

    #[test]
    fn fields_printed_as_text_are_credentials() {
        for (path, _) in PRINTED_AS_TEXT {
            assert!(credential_field(path).is_some(), "{path}");
        }
    }
}
