//! One chart's keys and defaults, whether embedded or read from disk with `--chart`.

use super::catalog::catalog;
use super::local::LocalChart;
use super::schema::Presence;
use super::version::Release;

/// A chart release as the rules see it: its version, keys and defaults.
#[derive(Debug, Clone, Copy)]
pub struct ChartView<'a> {
    /// The chart and Harbor version.
    pub release: Release,
    keys: Keys<'a>,
}

#[derive(Debug, Clone, Copy)]
enum Keys<'a> {
    /// A release of the embedded table, by index.
    Embedded(usize),
    /// A chart read with `--chart`.
    Local(&'a LocalChart),
}

impl<'a> ChartView<'a> {
    /// The embedded release, if the table has it.
    pub fn embedded(release: Release) -> Option<Self> {
        let index = catalog().index_of(release.chart)?;
        Some(ChartView {
            release,
            keys: Keys::Embedded(index),
        })
    }

    /// A chart read from disk.
    pub fn local(chart: &'a LocalChart) -> Self {
        ChartView {
            release: chart.release,
            keys: Keys::Local(chart),
        }
    }

    /// Whether the key exists in this chart, and how.
    pub fn presence(&self, path: &str) -> Option<Presence> {
        match self.keys {
            Keys::Embedded(index) => catalog().key(path)?.presence(index),
            Keys::Local(chart) => chart.keys.get(path).map(|k| k.presence),
        }
    }

    /// Whether the key exists in this chart (active or as a documented comment).
    pub fn has(&self, path: &str) -> bool {
        self.presence(path).is_some()
    }

    /// The chart's default for a key that decides rules (`notary.enabled`, `database.type`,
    /// replicas, credentials); `None` when absent, `null` or not recorded.
    pub fn default(&self, path: &str) -> Option<&'a str> {
        match self.keys {
            Keys::Embedded(index) => catalog().default_at(path, index),
            Keys::Local(chart) => chart.keys.defaults.get(path)?.as_deref(),
        }
    }

    /// Every key the chart's `values.yaml` sets (not the documented comments), sorted.
    pub fn active_keys(&self) -> Vec<String> {
        match self.keys {
            Keys::Embedded(index) => catalog()
                .keys_of(index)
                .into_iter()
                .filter(|(_, p)| *p == Presence::Active)
                .map(|(k, _)| k)
                .collect(),
            Keys::Local(chart) => chart
                .keys
                .keys
                .iter()
                .filter(|(_, k)| k.presence == Presence::Active)
                .map(|(k, _)| k.clone())
                .collect(),
        }
    }

    /// `chart 1.14.2`, or `chart 1.20.0 (read from PATH)` for `--chart`.
    pub fn label(&self) -> String {
        match self.keys {
            Keys::Embedded(_) => format!("chart {}", self.release.chart),
            Keys::Local(chart) => {
                format!("chart {} (read from {})", self.release.chart, chart.origin)
            }
        }
    }
}
