//! `--chart DIR|TGZ`: a real chart read from disk, used as the target's keys and version.
//!
//! A directory holds `Chart.yaml` and `values.yaml` (or has them under `harbor/`, as
//! `helm pull --untar` leaves them); an archive is the `.tgz` that `helm pull` writes, with a
//! top-level `harbor/` folder. Nothing is extracted to disk and only the two files are read.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::schema::{extract, ValuesKeys};
use super::version::{parse_release, Release, Version};
use super::Error;
use crate::input::Kind;
use crate::values::{parse_named, SourceId, Value};

/// Neither file of a chart comes anywhere near this; a larger one is not a chart.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// A chart read with `--chart`.
#[derive(Debug, Clone)]
pub struct LocalChart {
    /// Its version (`version`) and Harbor version (`appVersion`).
    pub release: Release,
    /// The keys and defaults of its `values.yaml`.
    pub keys: ValuesKeys,
    /// The path as given, for messages.
    pub origin: String,
}

/// Reads a chart directory or `.tgz`.
pub fn read_chart(path: &Path) -> Result<LocalChart, Error> {
    let origin = path.display().to_string();
    let (chart_yaml, values_yaml) = if path.is_dir() {
        read_dir(path, &origin)?
    } else {
        read_archive(path, &origin)?
    };
    let release = chart_release(&chart_yaml, &origin)?;
    let keys = extract(&values_yaml).map_err(|source| Error::ChartYaml {
        path: format!("{origin} (values.yaml)"),
        source,
    })?;
    if keys.keys.is_empty() {
        return Err(invalid(&origin, "its values.yaml declares no keys"));
    }
    Ok(LocalChart {
        release,
        keys,
        origin,
    })
}

fn invalid(origin: &str, reason: impl Into<String>) -> Error {
    Error::ChartInvalid {
        path: origin.to_string(),
        reason: reason.into(),
    }
}

fn read_dir(path: &Path, origin: &str) -> Result<(String, String), Error> {
    let dir: PathBuf = if path.join("Chart.yaml").is_file() {
        path.to_path_buf()
    } else if path.join("harbor").join("Chart.yaml").is_file() {
        path.join("harbor")
    } else {
        return Err(invalid(origin, "no Chart.yaml in it (nor in harbor/)"));
    };
    let read = |name: &str| -> Result<String, Error> {
        let file = dir.join(name);
        let display = file.display().to_string();
        Ok(crate::input::read_text(&file, &display, Kind::ChartFile)?)
    };
    Ok((read("Chart.yaml")?, read("values.yaml")?))
}

fn read_text(reader: impl Read, origin: &str) -> Result<String, Error> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| match crate::input::carried(e) {
            Ok(refused) => Error::Input(refused),
            Err(source) => Error::ChartIo {
                path: origin.to_string(),
                source,
            },
        })?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(invalid(origin, "file larger than 16 MiB"));
    }
    String::from_utf8(bytes).map_err(|_| invalid(origin, "not UTF-8 text"))
}

fn read_archive(path: &Path, origin: &str) -> Result<(String, String), Error> {
    let file = crate::input::open(path, origin, Kind::ChartArchive)?;
    let not_archive = |e: std::io::Error| match crate::input::carried(e) {
        Ok(refused) => Error::Input(refused),
        Err(e) => invalid(
            origin,
            format!("not a chart directory or a gzip-compressed tar archive ({e})"),
        ),
    };
    // The uncompressed tar is capped too: a small archive can expand without bound.
    let unpacked = crate::input::Limited::new(
        flate2::read::GzDecoder::new(file),
        &format!("{origin} (uncompressed)"),
        Kind::ChartArchive,
    );
    let mut archive = tar::Archive::new(unpacked);
    // Files by top-level folder: `helm pull` writes `harbor/`, a renamed chart another name.
    let mut found: Vec<(String, Option<String>, Option<String>)> = Vec::new();
    for entry in archive.entries().map_err(not_archive)? {
        let entry = entry.map_err(not_archive)?;
        let entry_path = entry.path().map_err(not_archive)?.into_owned();
        let parts: Vec<String> = entry_path
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let [top, name] = parts.as_slice() else {
            continue;
        };
        if name != "Chart.yaml" && name != "values.yaml" {
            continue;
        }
        let text = read_text(entry, &format!("{origin} ({top}/{name})"))?;
        let index = if let Some(i) = found.iter().position(|(t, _, _)| t == top) {
            i
        } else {
            found.push((top.clone(), None, None));
            found.len() - 1
        };
        let slot = &mut found[index];
        if name == "Chart.yaml" {
            slot.1 = Some(text);
        } else {
            slot.2 = Some(text);
        }
    }
    let pick = found
        .iter()
        .position(|(top, _, _)| top == "harbor")
        .or_else(|| (found.len() == 1).then_some(0));
    let Some((top, chart, values)) = pick.map(|i| found.swap_remove(i)) else {
        return Err(invalid(
            origin,
            "the archive has no `harbor/Chart.yaml` (expected the `.tgz` that `helm pull` writes)",
        ));
    };
    match (chart, values) {
        (Some(c), Some(v)) => Ok((c, v)),
        (None, _) => Err(invalid(
            origin,
            format!("the archive has no `{top}/Chart.yaml`"),
        )),
        (_, None) => Err(invalid(
            origin,
            format!("the archive has no `{top}/values.yaml`"),
        )),
    }
}

/// `version` and `appVersion` of `Chart.yaml`; the chart must be goharbor/harbor (`name: harbor`).
fn chart_release(text: &str, origin: &str) -> Result<Release, Error> {
    let docs = parse_named(SourceId(0), "Chart.yaml", text).map_err(|source| Error::ChartYaml {
        path: format!("{origin} (Chart.yaml)"),
        source,
    })?;
    let root = docs
        .first()
        .ok_or_else(|| invalid(origin, "Chart.yaml is empty"))?;
    let field = |key: &str| match root.get(key).map(|n| &n.value) {
        Some(Value::String(s) | Value::Number(s)) => Some(s.trim().to_string()),
        _ => None,
    };
    match field("name").as_deref() {
        Some("harbor") => {}
        Some(other) => {
            return Err(invalid(
                origin,
                format!("Chart.yaml names chart `{other}`, not the goharbor/harbor chart `harbor`"),
            ))
        }
        None => return Err(invalid(origin, "Chart.yaml has no `name`")),
    }
    let version = field("version").ok_or_else(|| invalid(origin, "Chart.yaml has no `version`"))?;
    let mut release = parse_release(&version)
        .ok()
        .filter(|r| r.chart.major == 1 && !version.trim_start_matches('v').starts_with('2'))
        .ok_or_else(|| {
            invalid(
                origin,
                format!("Chart.yaml `version` `{version}` is not a goharbor/harbor chart version (1.x.y)"),
            )
        })?;
    // `appVersion` says which Harbor it ships; trust it over the 1.N ↔ 2.(N-4) rule.
    if let Some(app) = field("appVersion") {
        let bare = app.strip_prefix('v').unwrap_or(&app);
        let parts: Vec<u32> = bare.split('.').filter_map(|p| p.parse().ok()).collect();
        if let [major @ 2, minor, patch] = parts.as_slice() {
            release.harbor = Version::new(*major, *minor, *patch);
        }
    }
    Ok(release)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_yaml_gives_chart_and_harbor_versions() {
        let r = chart_release("name: harbor\nversion: 1.20.0\nappVersion: 2.16.0\n", "x").unwrap();
        assert_eq!(r.chart, Version::new(1, 20, 0));
        assert_eq!(r.harbor, Version::new(2, 16, 0));
        let e = chart_release("name: nginx\nversion: 1.2.3\n", "x").unwrap_err();
        assert!(
            e.to_string().contains("not the goharbor/harbor chart"),
            "{e}"
        );
        assert!(chart_release("name: harbor\nversion: 2.10.0\n", "x").is_err());
    }
}
