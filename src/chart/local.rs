//! `--chart DIR|TGZ`: a real chart read from disk, used as the target's keys and version.
//!
//! A directory holds `Chart.yaml` and `values.yaml` (or has them under `harbor/`, as
//! `helm pull --untar` leaves them); an archive is the `.tgz` that `helm pull` writes, with a
//! top-level `harbor/` folder. Nothing is extracted to disk. Besides the two files, the
//! templates are scanned for the values keys they read that `values.yaml` does not declare
//! (`core.gcTimeWindowHours`), so a chart read here has the same keys as the embedded table.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::schema::{add_template_reads, extract, ValuesKeys};
use super::version::{parse_release, Release, Version};
use super::Error;
use crate::input::Kind;
use crate::values::{parse_named, SourceId, Value};

/// Neither file of a chart comes anywhere near this; a larger one is not a chart.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// All templates together (1.19.1 has about 1 MiB in 100 files); more is not a chart.
const MAX_TEMPLATE_BYTES: u64 = 64 * 1024 * 1024;

/// The files of a chart that are read.
struct ChartFiles {
    chart: String,
    values: String,
    templates: Vec<String>,
}

/// Whether a file under `templates/` is a template (`_helpers.tpl`, `*.yaml`, `NOTES.txt`).
fn is_template(name: &str) -> bool {
    [".yaml", ".yml", ".tpl", ".txt"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// Keeps a running total of template bytes within [`MAX_TEMPLATE_BYTES`].
fn add_template(
    templates: &mut Vec<String>,
    total: &mut u64,
    text: String,
    origin: &str,
) -> Result<(), Error> {
    *total += text.len() as u64;
    if *total > MAX_TEMPLATE_BYTES {
        return Err(invalid(origin, "its templates are larger than 64 MiB"));
    }
    templates.push(text);
    Ok(())
}

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
    let files = if path.is_dir() {
        read_dir(path, &origin)?
    } else {
        read_archive(path, &origin)?
    };
    let release = chart_release(&files.chart, &origin)?;
    let mut keys = extract(&files.values).map_err(|source| Error::ChartYaml {
        path: format!("{origin} (values.yaml)"),
        source,
    })?;
    if keys.keys.is_empty() {
        return Err(invalid(&origin, "its values.yaml declares no keys"));
    }
    for template in &files.templates {
        add_template_reads(&mut keys, template);
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

fn read_dir(path: &Path, origin: &str) -> Result<ChartFiles, Error> {
    let dir: PathBuf = if path.join("Chart.yaml").is_file() {
        path.to_path_buf()
    } else if path.join("harbor").join("Chart.yaml").is_file() {
        path.join("harbor")
    } else {
        return Err(invalid(origin, "no Chart.yaml in it (nor in harbor/)"));
    };
    let read = |file: &Path| -> Result<String, Error> {
        let display = file.display().to_string();
        Ok(crate::input::read_text(file, &display, Kind::ChartFile)?)
    };
    let mut templates = Vec::new();
    let mut total = 0;
    // Regular files only, not following links out of the chart; subfolders of `templates/`
    // (`templates/core/`) one level at a time.
    let mut folders = vec![dir.join("templates")];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let name = entry.file_name().to_string_lossy().into_owned();
            if kind.is_dir() {
                folders.push(entry.path());
            } else if kind.is_file() && is_template(&name) {
                add_template(&mut templates, &mut total, read(&entry.path())?, origin)?;
            }
        }
    }
    Ok(ChartFiles {
        chart: read(&dir.join("Chart.yaml"))?,
        values: read(&dir.join("values.yaml"))?,
        templates,
    })
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

/// The chart files found under one top-level folder of an archive.
#[derive(Default)]
struct Folder {
    top: String,
    chart: Option<String>,
    values: Option<String>,
    templates: Vec<String>,
}

fn read_archive(path: &Path, origin: &str) -> Result<ChartFiles, Error> {
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
    let mut found: Vec<Folder> = Vec::new();
    let mut total = 0;
    for entry in archive.entries().map_err(not_archive)? {
        let entry = entry.map_err(not_archive)?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let entry_path = entry.path().map_err(not_archive)?.into_owned();
        let parts: Vec<String> = entry_path
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let (top, name, template) = match parts.as_slice() {
            [top, name] if name == "Chart.yaml" || name == "values.yaml" => (top, name, false),
            [top, folder, .., name] if folder == "templates" && is_template(name) => {
                (top, name, true)
            }
            _ => continue,
        };
        let text = read_text(entry, &format!("{origin} ({})", parts.join("/")))?;
        let index = if let Some(i) = found.iter().position(|f| &f.top == top) {
            i
        } else {
            found.push(Folder {
                top: top.clone(),
                ..Folder::default()
            });
            found.len() - 1
        };
        let slot = &mut found[index];
        if template {
            add_template(&mut slot.templates, &mut total, text, origin)?;
        } else if name == "Chart.yaml" {
            slot.chart = Some(text);
        } else {
            slot.values = Some(text);
        }
    }
    let pick = found
        .iter()
        .position(|f| f.top == "harbor")
        .or_else(|| (found.len() == 1).then_some(0));
    let Some(Folder {
        top,
        chart,
        values,
        templates,
    }) = pick.map(|i| found.swap_remove(i))
    else {
        return Err(invalid(
            origin,
            "the archive has no `harbor/Chart.yaml` (expected the `.tgz` that `helm pull` writes)",
        ));
    };
    match (chart, values) {
        (Some(chart), Some(values)) => Ok(ChartFiles {
            chart,
            values,
            templates,
        }),
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
