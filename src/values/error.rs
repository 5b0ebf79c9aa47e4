//! Errors of the values module: reading, parsing and unwrapping values files, `--set` arguments
//! and Secret manifests.
//!
//! Values may hold passwords and keys, so no message ever contains value text: errors name the
//! file (as the user gave it, or `<stdin>`), the line and column, and what is wrong.

/// Why values or a Secret manifest could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read (missing, no permission …).
    #[error("cannot read {path}")]
    Io {
        /// The path as the user gave it.
        path: String,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },

    /// The input was refused by the bounded reader: not a regular file, over its size cap,
    /// or binary.
    #[error(transparent)]
    Input(#[from] crate::input::Error),

    /// The YAML parser rejected the text.
    #[error("{file}:{line}:{column}: invalid YAML: {message}")]
    Yaml {
        /// The file name as the user gave it.
        file: String,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error, in characters.
        column: usize,
        /// The parser's description (never contains value text).
        message: String,
    },

    /// A values document is not a mapping.
    #[error("{file}: values must be a map, found a {found}")]
    NotAMap {
        /// The file name as the user gave it.
        file: String,
        /// What was found instead (`list`, `string` …).
        found: &'static str,
    },

    /// A `--set`, `--set-string` or `--set-file` argument is malformed or its file unreadable.
    #[error("invalid {flag} argument #{index}: {reason}")]
    InvalidSet {
        /// `--set`, `--set-string` or `--set-file`.
        flag: &'static str,
        /// 1-based position among the arguments of that flag.
        index: usize,
        /// What is wrong; may name the key path, never the value.
        reason: String,
    },

    /// `--values-root` names a key that no values file has.
    #[error("{file}: --values-root `{key}` not found")]
    ValuesRoot {
        /// The file name(s) as the user gave them.
        file: String,
        /// The dotted key path given to `--values-root`.
        key: String,
    },

    /// A `--secret` file holds no Kubernetes Secret.
    #[error("{file}: no Secret found")]
    NoSecret {
        /// The file name as the user gave it.
        file: String,
    },

    /// A Secret in a `--secret` file is malformed (names the Secret and key, never the value).
    #[error("{file}: invalid Secret: {reason}")]
    InvalidSecret {
        /// The file name as the user gave it.
        file: String,
        /// What is wrong.
        reason: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_lowercase_without_trailing_period() {
        let errors = [
            Error::Io {
                path: "a.yaml".into(),
                source: std::io::Error::other("x"),
            },
            Error::Yaml {
                file: "v.yaml".into(),
                line: 3,
                column: 7,
                message: "bad".into(),
            },
            Error::NotAMap {
                file: "v.yaml".into(),
                found: "list",
            },
            Error::InvalidSet {
                flag: "--set",
                index: 2,
                reason: "missing `=`".into(),
            },
            Error::ValuesRoot {
                file: "v.yaml".into(),
                key: "harbor".into(),
            },
            Error::NoSecret {
                file: "s.yaml".into(),
            },
            Error::InvalidSecret {
                file: "s.yaml".into(),
                reason: "bad".into(),
            },
        ];
        for e in &errors {
            let msg = e.to_string();
            assert!(!msg.ends_with('.'), "{msg}");
            assert_eq!(
                msg.chars().next().map(char::is_uppercase),
                Some(false),
                "{msg}"
            );
        }
        assert_eq!(errors[0].to_string(), "cannot read a.yaml");
        assert_eq!(errors[1].to_string(), "v.yaml:3:7: invalid YAML: bad");
        assert_eq!(
            errors[2].to_string(),
            "v.yaml: values must be a map, found a list"
        );
        assert_eq!(
            errors[3].to_string(),
            "invalid --set argument #2: missing `=`"
        );
        assert_eq!(
            errors[4].to_string(),
            "v.yaml: --values-root `harbor` not found"
        );
    }
}
