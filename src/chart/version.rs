//! Versions as operators write them: `2.10.2`, `v2.10.2` (Harbor) or `1.14.2` (chart).

use std::fmt;

/// A `major.minor.patch` version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// Major.
    pub major: u32,
    /// Minor.
    pub minor: u32,
    /// Patch.
    pub patch: u32,
}

impl Version {
    /// A version from its parts.
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Version {
            major,
            minor,
            patch,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// A chart release and the Harbor version it ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Release {
    /// The chart version, e.g. 1.14.2.
    pub chart: Version,
    /// The Harbor version, e.g. 2.10.2.
    pub harbor: Version,
}

impl fmt::Display for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.harbor)
    }
}

impl Release {
    /// `Harbor 2.10.2 (chart 1.14.2)`.
    pub fn describe(&self) -> String {
        format!("Harbor {} (chart {})", self.harbor, self.chart)
    }
}

/// Why a version string was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VersionError {
    /// Not `major.minor.patch`.
    #[error("`{0}` is not a version: expected a Harbor version such as `2.10.2` or a chart version such as `1.14.2`")]
    Syntax(String),
    /// A 1.x or 2.x number outside what the chart ever shipped.
    #[error("`{0}` is neither a Harbor 2.x version nor a goharbor/harbor chart 1.x version (1.4.0 and later)")]
    Unknown(String),
}

/// Parses `2.10.2`, `v2.10.2` (Harbor) or `1.14.2` (chart) into a release.
pub fn parse_release(text: &str) -> Result<Release, VersionError> {
    let trimmed = text.trim();
    let bare = trimmed.strip_prefix('v').unwrap_or(trimmed);
    let parts: Vec<&str> = bare.split('.').collect();
    let numbers: Option<Vec<u32>> = match parts.len() {
        2 | 3 => parts.iter().map(|p| p.parse().ok()).collect(),
        _ => None,
    };
    let Some(numbers) = numbers else {
        return Err(VersionError::Syntax(trimmed.to_string()));
    };
    let version = Version::new(numbers[0], numbers[1], numbers.get(2).copied().unwrap_or(0));
    match version.major {
        2 => Ok(Release {
            chart: Version::new(1, version.minor + 4, version.patch),
            harbor: version,
        }),
        1 if version.minor >= 4 => Ok(Release {
            chart: version,
            harbor: Version::new(2, version.minor - 4, version.patch),
        }),
        _ => Err(VersionError::Unknown(trimmed.to_string())),
    }
}

/// A chart version exactly as the embedded table writes it (`1.14.2`), with its Harbor version.
pub(crate) fn parse_chart_version(text: &str) -> Option<Release> {
    parse_release(text)
        .ok()
        .filter(|r| r.chart.major == 1 && r.chart.to_string() == text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn harbor_and_chart_versions_map_both_ways() {
        let r = parse_release("v2.10.2").unwrap();
        assert_eq!(r.chart, Version::new(1, 14, 2));
        assert_eq!(parse_release("1.14.2").unwrap(), r);
        assert_eq!(
            parse_release("1.12.4").unwrap().harbor,
            Version::new(2, 8, 4)
        );
        assert_eq!(parse_release("2.11").unwrap().chart, Version::new(1, 15, 0));
    }

    #[test]
    fn nonsense_is_refused() {
        assert!(matches!(
            parse_release("latest"),
            Err(VersionError::Syntax(_))
        ));
        assert!(matches!(
            parse_release("3.0.0"),
            Err(VersionError::Unknown(_))
        ));
        assert!(matches!(
            parse_release("1.2.0"),
            Err(VersionError::Unknown(_))
        ));
    }
}
