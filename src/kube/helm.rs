//! The Helm 3 (and Helm 4) release record: `sh.helm.release.v1.<release>.v<revision>`, labels
//! `owner=helm,name=<release>,status=<status>`, key `release` = base64 of the gzip of the release
//! JSON. The default `secret` storage driver keeps it in a Secret (whose `data` the API
//! base64-encodes once more); `HELM_DRIVER=configmap` keeps the same payload in a `ConfigMap`'s
//! `data`. The `sql` driver keeps it in a database the tool cannot read. Pure decoding.

use std::io::Read as _;

use base64::Engine as _;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use serde::Deserialize;

/// Where Helm stored a release record (its storage driver).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// The `secret` driver, Helm's default.
    Secret,
    /// The `configmap` driver (`HELM_DRIVER=configmap`).
    ConfigMap,
}

impl Storage {
    /// The object kind, for messages.
    pub fn kind(self) -> &'static str {
        match self {
            Storage::Secret => "Secret",
            Storage::ConfigMap => "ConfigMap",
        }
    }
}

/// A release record decoded far enough for the checks and backups.
#[derive(Debug, Clone)]
pub struct HelmRelease {
    /// Release name.
    pub name: String,
    /// Release namespace.
    pub namespace: String,
    /// Revision number.
    pub revision: u64,
    /// `deployed`, `superseded`, `failed` …
    pub status: String,
    /// When this revision was deployed (`info.last_deployed`, RFC 3339 as Helm writes it).
    pub last_deployed: Option<String>,
    /// The chart name (`harbor`).
    pub chart_name: String,
    /// The chart version (`1.14.2`).
    pub chart_version: String,
    /// The chart's appVersion (`2.10.2`).
    pub app_version: Option<String>,
    /// The user-supplied values of this revision (`{}` when none).
    pub config: serde_json::Value,
    /// The manifest Helm applied (`helm get manifest`; secret: it holds the rendered Secrets).
    pub manifest: String,
    /// The name of the Secret or `ConfigMap` holding it.
    pub record_name: String,
    /// Which of the two.
    pub storage: Storage,
}

/// Why a release record could not be read; each names the object (Secret or `ConfigMap`, by
/// name).
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// No `release` key.
    #[error("{0} has no `release` key")]
    NoPayload(String),
    /// Not base64.
    #[error("the `release` key of {0} is not base64")]
    Base64(String),
    /// Corrupt gzip.
    #[error("the `release` key of {0} is not valid gzip")]
    Gzip(String, #[source] std::io::Error),
    /// Larger than any real release.
    #[error("the release in {0} decompresses to more than 64 MiB")]
    TooLarge(String),
    /// Not the release JSON.
    #[error("the release in {0} is not Helm release JSON")]
    Json(String, #[source] serde_json::Error),
}

#[derive(Deserialize)]
struct Raw {
    #[serde(default)]
    name: String,
    #[serde(default)]
    namespace: String,
    #[serde(default)]
    version: u64,
    #[serde(default)]
    info: Option<RawInfo>,
    #[serde(default)]
    chart: Option<RawChart>,
    #[serde(default)]
    config: Option<serde_json::Value>,
    #[serde(default)]
    manifest: String,
}

#[derive(Deserialize)]
struct RawInfo {
    #[serde(default)]
    status: String,
    #[serde(default)]
    last_deployed: Option<String>,
}

#[derive(Deserialize)]
struct RawChart {
    #[serde(default)]
    metadata: Option<RawMetadata>,
}

#[derive(Deserialize)]
struct RawMetadata {
    #[serde(default)]
    name: String,
    #[serde(default)]
    version: String,
    #[serde(default, rename = "appVersion")]
    app_version: Option<String>,
}

const MAX_RELEASE: u64 = 64 << 20;

/// Decodes a release record of the `secret` driver.
pub fn decode_release(secret: &Secret) -> Result<HelmRelease, ReleaseError> {
    let name = secret.metadata.name.clone().unwrap_or_default();
    let payload = secret
        .data
        .as_ref()
        .and_then(|d| d.get("release"))
        .map(|p| p.0.as_slice());
    decode_payload(name, Storage::Secret, payload)
}

/// Decodes a release record of the `configmap` driver: the same payload, as the text of
/// `data.release`.
pub fn decode_release_config_map(map: &ConfigMap) -> Result<HelmRelease, ReleaseError> {
    let name = map.metadata.name.clone().unwrap_or_default();
    let payload = map
        .data
        .as_ref()
        .and_then(|d| d.get("release"))
        .map(String::as_bytes);
    decode_payload(name, Storage::ConfigMap, payload)
}

fn decode_payload(
    record_name: String,
    storage: Storage,
    payload: Option<&[u8]>,
) -> Result<HelmRelease, ReleaseError> {
    let object = format!("{} `{record_name}`", storage.kind());
    let payload = payload.ok_or_else(|| ReleaseError::NoPayload(object.clone()))?;
    let compact: Vec<u8> = payload
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|_| ReleaseError::Base64(object.clone()))?;
    // Helm gzips the JSON; very old records (and some tools) store it plain.
    let json = if bytes.starts_with(&[0x1f, 0x8b, 0x08]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes.as_slice())
            .take(MAX_RELEASE + 1)
            .read_to_end(&mut out)
            .map_err(|e| ReleaseError::Gzip(object.clone(), e))?;
        if out.len() as u64 > MAX_RELEASE {
            return Err(ReleaseError::TooLarge(object));
        }
        out
    } else {
        bytes
    };
    let raw: Raw = serde_json::from_slice(&json).map_err(|e| ReleaseError::Json(object, e))?;
    let metadata = raw.chart.and_then(|c| c.metadata);
    let config = match raw.config {
        Some(v @ serde_json::Value::Object(_)) => v,
        _ => serde_json::Value::Object(serde_json::Map::new()),
    };
    Ok(HelmRelease {
        name: raw.name,
        namespace: raw.namespace,
        revision: raw.version,
        status: raw
            .info
            .as_ref()
            .map(|i| i.status.clone())
            .unwrap_or_default(),
        last_deployed: raw.info.and_then(|i| i.last_deployed),
        chart_name: metadata
            .as_ref()
            .map(|m| m.name.clone())
            .unwrap_or_default(),
        chart_version: metadata
            .as_ref()
            .map(|m| m.version.clone())
            .unwrap_or_default(),
        app_version: metadata.and_then(|m| m.app_version),
        config,
        manifest: raw.manifest,
        record_name,
        storage,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::ByteString;
    use std::io::Write as _;

    fn release_secret(json: &str, gzip: bool) -> Secret {
        let bytes = if gzip {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(json.as_bytes()).unwrap();
            enc.finish().unwrap()
        } else {
            json.as_bytes().to_vec()
        };
        let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
        Secret {
            metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                name: Some("sh.helm.release.v1.harbor.v3".into()),
                ..Default::default()
            },
            data: Some([("release".to_string(), ByteString(encoded.into_bytes()))].into()),
            ..Default::default()
        }
    }

    const JSON: &str = r#"{"name":"harbor","namespace":"harbor","version":3,"info":{"status":"deployed","last_deployed":"2026-03-01T10:00:00.123456789Z"},
        "chart":{"metadata":{"name":"harbor","version":"1.12.4","appVersion":"2.8.4"}},
        "config":{"secretKey":"abc","core":{"replicas":2}},"manifest":"---"}"#;

    #[test]
    fn decodes_gzip_and_plain() {
        for gzip in [true, false] {
            let r = decode_release(&release_secret(JSON, gzip)).unwrap();
            assert_eq!(r.name, "harbor");
            assert_eq!(r.revision, 3);
            assert_eq!(r.status, "deployed");
            assert_eq!(
                r.last_deployed.as_deref(),
                Some("2026-03-01T10:00:00.123456789Z")
            );
            assert_eq!(r.chart_version, "1.12.4");
            assert_eq!(r.app_version.as_deref(), Some("2.8.4"));
            assert_eq!(r.config["core"]["replicas"], 2);
        }
    }

    #[test]
    fn a_config_map_record_holds_the_same_payload_as_text() {
        let secret = release_secret(JSON, true);
        let payload = String::from_utf8(secret.data.unwrap()["release"].0.clone()).unwrap();
        let map = ConfigMap {
            metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                name: Some("sh.helm.release.v1.harbor.v3".into()),
                ..Default::default()
            },
            data: Some([("release".to_string(), payload)].into()),
            ..Default::default()
        };
        let r = decode_release_config_map(&map).unwrap();
        assert_eq!((r.revision, r.storage), (3, Storage::ConfigMap));
        assert_eq!(r.chart_version, "1.12.4");
        let mut empty = map.clone();
        empty.data = None;
        let e = decode_release_config_map(&empty).unwrap_err().to_string();
        assert_eq!(
            e,
            "ConfigMap `sh.helm.release.v1.harbor.v3` has no `release` key"
        );
    }

    #[test]
    fn null_config_is_empty_and_errors_name_the_secret() {
        let r = decode_release(&release_secret(r#"{"name":"h","config":null}"#, true)).unwrap();
        assert_eq!(r.config, serde_json::json!({}));
        let e = decode_release(&release_secret("not json", true)).unwrap_err();
        assert!(e.to_string().contains("sh.helm.release.v1.harbor.v3"));
        let mut s = release_secret(JSON, true);
        s.data = Some([("release".to_string(), ByteString(b"%%%".to_vec()))].into());
        assert!(matches!(decode_release(&s), Err(ReleaseError::Base64(_))));
    }
}
