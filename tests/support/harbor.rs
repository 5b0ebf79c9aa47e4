//! A Harbor release as the goharbor/harbor chart and Helm 3 leave it in a namespace, and a way
//! to run the binary against the test API server with nothing from the environment.

use base64::Engine as _;
use serde_json::{json, Value};

use super::{deployment, helm_release_secret, secret, ApiServer};
use crate::common::{self, key, Run, Scratch};

pub const NS: &str = "harbor";
pub const SECRET_KEY: &[u8] = b"Q7v2Lm9Xc4Rt8Wz1";
pub const CORE_SECRET: &[u8] = b"cOr3SeCr3tV4lu3x";
pub const XSRF: &[u8] = b"xsrfxsrfxsrfxsrfxsrfxsrfxsrf1234";
pub const JOB_SECRET: &[u8] = b"j0bS3cr3tV4lu3yy";
pub const REG_SECRET: &[u8] = b"r3gS3cr3tV4lu3zz";
pub const DB_PASSWORD: &[u8] = b"db-P4ssw0rd-Live";
pub const ADMIN_PASSWORD: &[u8] = b"Adm1n-P4ssw0rd-Live";

/// Every secret value the fixtures hold, to check that none ever appears in output.
pub fn secret_values() -> Vec<Vec<u8>> {
    let mut all: Vec<Vec<u8>> = [
        SECRET_KEY,
        CORE_SECRET,
        XSRF,
        JOB_SECRET,
        REG_SECRET,
        DB_PASSWORD,
        ADMIN_PASSWORD,
    ]
    .iter()
    .map(|v| v.to_vec())
    .collect();
    // A line of each private key is enough to catch a leak.
    for k in ["rsa2048.key", "other-rsa2048.key"] {
        let text = key(k);
        all.push(text.lines().nth(3).expect("key line").as_bytes().to_vec());
    }
    let encoded: Vec<Vec<u8>> = all
        .iter()
        .map(|v| {
            base64::engine::general_purpose::STANDARD
                .encode(v)
                .into_bytes()
        })
        .collect();
    all.extend(encoded);
    all
}

pub fn assert_no_secret(run: &Run) {
    for value in secret_values() {
        let v = String::from_utf8_lossy(&value);
        assert!(
            !run.stdout.contains(v.as_ref()),
            "secret in stdout: {v}\n{}",
            run.stdout
        );
        assert!(
            !run.stderr.contains(v.as_ref()),
            "secret in stderr: {v}\n{}",
            run.stderr
        );
    }
}

/// The deployed values of the fixture release: a pinned `secretKey` and database password.
pub fn deployed_values() -> Value {
    json!({
        "expose": {"type": "ingress", "ingress": {"hosts": {"core": "harbor.example.com"}}},
        "externalURL": "https://harbor.example.com",
        "secretKey": std::str::from_utf8(SECRET_KEY).unwrap(),
        "harborAdminPassword": std::str::from_utf8(ADMIN_PASSWORD).unwrap(),
        "database": {"internal": {"password": std::str::from_utf8(DB_PASSWORD).unwrap()}},
        "core": {"secret": std::str::from_utf8(CORE_SECRET).unwrap(), "xsrfKey": std::str::from_utf8(XSRF).unwrap()},
        "jobservice": {"secret": std::str::from_utf8(JOB_SECRET).unwrap()},
        "registry": {"secret": std::str::from_utf8(REG_SECRET).unwrap()},
    })
}

/// A Harbor release `release` (chart 1.12.4, revision 2 deployed) with `config` as its values and
/// the chart's Secrets; the core Secret's token pair is `tls_key` / `tls_crt` (fixture names).
pub fn install(server: &ApiServer, release: &str, config: &Value, tls_key: &str, tls_crt: &str) {
    let mut st = server.state();
    let fullname = if release.contains("harbor") {
        release.to_string()
    } else {
        format!("{release}-harbor")
    };
    for component in ["core", "jobservice", "registry", "portal"] {
        st.put_deployment(deployment(
            NS,
            release,
            &format!("{fullname}-{component}"),
            component,
        ));
    }
    st.put_secret(helm_release_secret(
        NS,
        release,
        1,
        "superseded",
        "1.12.3",
        "2.8.3",
        config,
    ));
    st.put_secret(helm_release_secret(
        NS, release, 2, "deployed", "1.12.4", "2.8.4", config,
    ));
    let (k, c) = (key(tls_key), key(tls_crt));
    st.put_secret(secret(
        NS,
        release,
        &format!("{fullname}-core"),
        &[
            ("secretKey", SECRET_KEY),
            ("secret", CORE_SECRET),
            ("CSRF_KEY", XSRF),
            ("tls.key", k.as_bytes()),
            ("tls.crt", c.as_bytes()),
            ("HARBOR_ADMIN_PASSWORD", ADMIN_PASSWORD),
            ("POSTGRESQL_PASSWORD", DB_PASSWORD),
        ],
    ));
    st.put_secret(secret(
        NS,
        release,
        &format!("{fullname}-jobservice"),
        &[("JOBSERVICE_SECRET", JOB_SECRET)],
    ));
    st.put_secret(secret(
        NS,
        release,
        &format!("{fullname}-registry"),
        &[("REGISTRY_HTTP_SECRET", REG_SECRET)],
    ));
    st.put_secret(secret(
        NS,
        release,
        &format!("{fullname}-database"),
        &[("POSTGRES_PASSWORD", DB_PASSWORD)],
    ));
    // A Secret of another namespace with the same name: must never be read.
    st.put_secret(secret(
        "other",
        release,
        &format!("{fullname}-core"),
        &[("secretKey", b"other-namespace!")],
    ));
}

pub fn standard() -> (ApiServer, Scratch) {
    let server = ApiServer::start();
    install(
        &server,
        "harbor",
        &deployed_values(),
        "rsa2048.key",
        "rsa2048.crt",
    );
    (server, Scratch::new())
}

/// Runs the binary with a kubeconfig for `server` and nothing from the environment that could
/// send it elsewhere (no `KUBECONFIG`, no proxy, no home kubeconfig, not in a pod, no
/// `HELM_DRIVER`).
pub fn run_with(server_kubeconfig: &std::path::Path, home: &std::path::Path, args: &[&str]) -> Run {
    run_with_env(server_kubeconfig, home, &[], args)
}

/// [`run_with`], with extra environment variables.
pub fn run_with_env(
    server_kubeconfig: &std::path::Path,
    home: &std::path::Path,
    env: &[(&str, &str)],
    args: &[&str],
) -> Run {
    run_with_stdin(server_kubeconfig, home, env, args, None)
}

/// [`run_with_env`], with `stdin` on standard input when given.
pub fn run_with_stdin(
    server_kubeconfig: &std::path::Path,
    home: &std::path::Path,
    env: &[(&str, &str)],
    args: &[&str],
    stdin: Option<&str>,
) -> Run {
    let mut cmd = common::bin();
    cmd.env("HOME", home)
        .env_remove("HELM_DRIVER")
        .env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("KUBERNETES_SERVICE_PORT");
    for proxy in [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        cmd.env_remove(proxy);
    }
    cmd.envs(env.iter().copied());
    cmd.arg(args[0]).arg(args[1]);
    cmd.arg("--kubeconfig").arg(server_kubeconfig);
    cmd.args(&args[2..]);
    if let Some(stdin) = stdin {
        cmd.write_stdin(stdin);
    }
    let out = cmd.output().expect("run binary");
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
