//! Clock offset estimation from timestamped samples; pure (the samples are taken in `kube/`).
//!
//! Two kinds of samples:
//!
//! - **Exec** ([`Sample`]): the tool notes its own time `sent` before asking a pod for its wall
//!   clock and `received` when the answer arrives; the pod read its clock at some unknown moment
//!   in between. As in NTP, the offset is estimated at the midpoint of the round trip, and the
//!   error of that estimate is at most half the round trip, whatever the asymmetry of the two
//!   legs. Of several samples the one with the smallest round trip is kept. A reading with a
//!   coarse resolution (`date +%s`: whole seconds) adds half its resolution.
//! - **Lease** ([`LeaseSample`]): the kubelet writes its own time into its Lease's
//!   `spec.renewTime` and the tool notes when the watch delivers the change. The write reaches
//!   the tool after an unknown delay, assumed to lie within [`LEASE_MAX_DELAY_NS`]; the offset
//!   is then known to lie in `[renewTime - arrival, renewTime - arrival + max delay]`.
//!
//! Offsets are the node's clock minus the tool's: positive means the node is ahead.

use std::fmt;

/// Nanoseconds per second.
pub const NS: i128 = 1_000_000_000;

/// The assumed bound on the delay between a kubelet taking `renewTime` and the watch delivering
/// the renewed Lease: the kubelet's update request, the API server's write to etcd and the watch
/// fan-out. One second is the Kubernetes API latency objective for mutating calls (99th
/// percentile); a slower API server makes the Lease estimate wrong by more than it says.
pub const LEASE_MAX_DELAY_NS: i128 = NS;

/// How a node's clock was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `date +%s%N` in a pod: nanoseconds (GNU coreutils, recent busybox).
    ExecNanos,
    /// `sh -c 'echo $EPOCHREALTIME'` in a pod: microseconds (bash 5).
    ExecEpochRealtime,
    /// `date +%s` in a pod: whole seconds.
    ExecSeconds,
    /// The node's Lease in `kube-node-lease`, renewed by the kubelet.
    Lease,
}

impl Method {
    /// The exec methods, in the order they are tried.
    pub const EXEC: [Method; 3] = [
        Method::ExecNanos,
        Method::ExecEpochRealtime,
        Method::ExecSeconds,
    ];

    /// The command run in the pod (exec methods only).
    pub fn command(self) -> &'static [&'static str] {
        match self {
            Method::ExecNanos => &["date", "+%s%N"],
            Method::ExecEpochRealtime => &["sh", "-c", "echo $EPOCHREALTIME"],
            Method::ExecSeconds => &["date", "+%s"],
            Method::Lease => &[],
        }
    }

    /// The resolution of one reading, in nanoseconds.
    pub fn resolution_ns(self) -> i128 {
        match self {
            Method::ExecNanos => 1,
            Method::ExecEpochRealtime | Method::Lease => 1_000,
            Method::ExecSeconds => NS,
        }
    }

    /// Parses the output of the command into nanoseconds since the Unix epoch. `None` when the
    /// output is not what the method prints (an old busybox prints `%N` literally; a shell
    /// without `EPOCHREALTIME` prints an empty line).
    pub fn parse(self, output: &str) -> Option<i128> {
        let text = output.trim();
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        match self {
            // 10 digits of seconds and 9 of nanoseconds (until the year 2286).
            Method::ExecNanos if digits(text) && text.len() >= 19 => text.parse().ok(),
            Method::ExecEpochRealtime => {
                // Decimal separator of the locale: `.` or `,`.
                let (secs, frac) = text.split_once(['.', ','])?;
                if !digits(secs) || !digits(frac) || frac.len() > 9 || secs.len() < 9 {
                    return None;
                }
                let secs: i128 = secs.parse().ok()?;
                let frac_ns: i128 = format!("{frac:0<9}").parse().ok()?;
                Some(secs * NS + frac_ns)
            }
            Method::ExecSeconds if digits(text) && (9..=11).contains(&text.len()) => {
                text.parse::<i128>().ok().map(|s| s * NS)
            }
            _ => None,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Method::ExecNanos => "exec `date +%s%N`",
            Method::ExecEpochRealtime => "exec `echo $EPOCHREALTIME`",
            Method::ExecSeconds => "exec `date +%s`",
            Method::Lease => "node Lease",
        })
    }
}

/// One exec reading: the tool's clock before and after, the pod's clock in between
/// (all nanoseconds since the Unix epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// The tool's clock before the request.
    pub sent: i128,
    /// The tool's clock when the answer arrived.
    pub received: i128,
    /// The pod's reading.
    pub remote: i128,
    /// The resolution of the reading (the true time lies in `[remote, remote + resolution)`).
    pub resolution: i128,
}

/// One Lease renewal: the kubelet's `renewTime` and when the tool saw it (nanoseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseSample {
    /// `spec.renewTime`, written with the node's clock (microsecond precision).
    pub renew: i128,
    /// The tool's clock when the watch delivered it.
    pub arrival: i128,
}

/// A node's clock offset from the tool's, with its bound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Node minus tool, seconds.
    pub offset: f64,
    /// The true offset lies within `offset ± uncertainty`, seconds.
    pub uncertainty: f64,
    /// The round trip of the sample used (exec), or the assumed maximum delay (Lease), seconds.
    pub round_trip: f64,
    /// How many samples were taken.
    pub samples: usize,
}

#[allow(clippy::cast_precision_loss)] // differences of nanoseconds: far below 2^52
fn secs(ns: i128) -> f64 {
    ns as f64 / NS as f64
}

/// NTP's estimate: the sample with the smallest round trip, offset at its midpoint, uncertainty
/// half its round trip plus half the reading's resolution. Samples whose answer came before the
/// question (the tool's clock stepped) are ignored. `None` without a usable sample.
pub fn estimate(samples: &[Sample]) -> Option<Estimate> {
    let best = samples
        .iter()
        .filter(|s| s.received >= s.sent && s.resolution > 0)
        .min_by_key(|s| (s.received - s.sent) + s.resolution)?;
    let round_trip = best.received - best.sent;
    // In nanoseconds ×2 to keep the midpoints exact.
    let remote_mid2 = 2 * best.remote + best.resolution;
    let local_mid2 = best.sent + best.received;
    Some(Estimate {
        offset: secs(remote_mid2 - local_mid2) / 2.0,
        uncertainty: secs(round_trip + best.resolution) / 2.0,
        round_trip: secs(round_trip),
        samples: samples.len(),
    })
}

/// The estimate from Lease renewals, with the write → delivery delay assumed within
/// `max_delay` nanoseconds: each renewal bounds the offset to
/// `[renew - arrival, renew - arrival + max_delay + 1 µs]`; the bounds of all renewals are
/// intersected (the smallest delay seen tightens the lower bound). When they do not intersect
/// (a delay beyond the assumption) the widest bounds are used instead.
pub fn estimate_lease(samples: &[LeaseSample], max_delay: i128) -> Option<Estimate> {
    let resolution = Method::Lease.resolution_ns();
    let lows = samples.iter().map(|s| s.renew - s.arrival);
    let mut lo = lows.clone().max()?;
    let mut hi = lows.clone().min()? + max_delay + resolution;
    if lo > hi {
        lo = lows.clone().min()?;
        hi = lows.max()? + max_delay + resolution;
    }
    Some(Estimate {
        offset: secs(lo + hi) / 2.0,
        uncertainty: secs(hi - lo) / 2.0,
        round_trip: secs(max_delay),
        samples: samples.len(),
    })
}

/// The skew between two nodes: the difference of their offsets, and its bound.
#[derive(Debug, Clone, PartialEq)]
pub struct Skew {
    /// One node.
    pub a: String,
    /// The other node.
    pub b: String,
    /// `|offset(a) - offset(b)|`, seconds.
    pub skew: f64,
    /// The sum of both uncertainties, seconds.
    pub uncertainty: f64,
}

impl Skew {
    /// The largest skew consistent with the measurements.
    pub fn upper(&self) -> f64 {
        self.skew + self.uncertainty
    }

    /// The smallest skew consistent with the measurements.
    pub fn lower(&self) -> f64 {
        (self.skew - self.uncertainty).max(0.0)
    }
}

/// Every pair of the given nodes, worst upper bound first.
pub fn pairwise(nodes: &[(&str, Estimate)]) -> Vec<Skew> {
    let mut out = Vec::new();
    for (i, (a, ea)) in nodes.iter().enumerate() {
        for (b, eb) in &nodes[i + 1..] {
            out.push(Skew {
                a: (*a).to_string(),
                b: (*b).to_string(),
                skew: (ea.offset - eb.offset).abs(),
                uncertainty: ea.uncertainty + eb.uncertainty,
            });
        }
    }
    out.sort_by(|x, y| y.upper().total_cmp(&x.upper()));
    out
}

/// A duration in seconds the way the tables print it: `+0.012 s`, `-1.250 s`, `±0.004 s`.
pub fn format_seconds(seconds: f64) -> String {
    if seconds.abs() >= 100.0 {
        format!("{seconds:.1} s")
    } else if seconds.abs() >= 1.0 {
        format!("{seconds:.3} s")
    } else {
        format!("{:.1} ms", seconds * 1000.0)
    }
}

/// One node as `clock check` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeClock {
    /// The node name.
    pub node: String,
    /// The release's pods on that node, `component/pod`.
    pub pods: Vec<String>,
    /// The Harbor components on that node (`core`, `registry` …).
    pub components: Vec<String>,
    /// How the clock was read (the method that worked, or the last one tried).
    pub method: Method,
    /// The pod (exec) or Lease measured.
    pub measured: Option<String>,
    /// The estimate, or why there is none.
    pub result: Result<Estimate, String>,
}

impl NodeClock {
    /// Whether a pod of core, registry or jobservice runs there: the components that issue and
    /// verify tokens.
    pub fn runs_token_components(&self) -> bool {
        self.components
            .iter()
            .any(|c| TOKEN_COMPONENTS.contains(&c.as_str()))
    }
}

/// The components whose clocks take part in token issuing and checking.
pub const TOKEN_COMPONENTS: &[&str] = &["core", "registry", "jobservice"];

/// What a clock measurement found, for the `clock-skew` rule.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClockFacts {
    /// Every node that runs a pod of the release.
    pub nodes: Vec<NodeClock>,
    /// Why the Lease fallback was used, when it was.
    pub fallback: Option<String>,
}

impl ClockFacts {
    /// The measured nodes that run core, registry or jobservice.
    pub fn token_nodes(&self) -> Vec<(&str, Estimate)> {
        self.nodes
            .iter()
            .filter(|n| n.runs_token_components())
            .filter_map(|n| n.result.as_ref().ok().map(|e| (n.node.as_str(), *e)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T: i128 = 1_700_000_000 * NS;

    #[test]
    fn parses_each_method_and_refuses_the_others() {
        assert_eq!(
            Method::ExecNanos.parse("1700000000123456789\n"),
            Some(T + 123_456_789)
        );
        assert_eq!(Method::ExecNanos.parse("1700000000%N"), None);
        assert_eq!(Method::ExecNanos.parse("1700000000N"), None);
        assert_eq!(
            Method::ExecEpochRealtime.parse("1700000000.123456\n"),
            Some(T + 123_456_000)
        );
        assert_eq!(
            Method::ExecEpochRealtime.parse("1700000000,5"),
            Some(T + 500_000_000)
        );
        assert_eq!(Method::ExecEpochRealtime.parse("\n"), None);
        assert_eq!(Method::ExecSeconds.parse("1700000000"), Some(T));
        assert_eq!(Method::ExecSeconds.parse("Tue Jan 1"), None);
    }

    #[test]
    fn midpoint_of_the_shortest_round_trip() {
        let samples = [
            // 200 ms round trip, node 1 s ahead.
            Sample {
                sent: T,
                received: T + 200_000_000,
                remote: T + NS + 100_000_000,
                resolution: 1,
            },
            // 20 ms round trip, node 1 s ahead, read late in the trip.
            Sample {
                sent: T + NS,
                received: T + NS + 20_000_000,
                remote: T + 2 * NS + 15_000_000,
                resolution: 1,
            },
        ];
        let e = estimate(&samples).unwrap();
        assert!((e.offset - 1.005).abs() < 1e-6, "{e:?}");
        assert!((e.uncertainty - 0.010).abs() < 1e-6, "{e:?}");
        assert!((e.round_trip - 0.020).abs() < 1e-9);
        assert_eq!(e.samples, 2);
        assert!((e.offset - 1.0).abs() <= e.uncertainty);
    }

    #[test]
    fn whole_seconds_widen_the_bound() {
        let s = Sample {
            sent: T + 300_000_000,
            received: T + 310_000_000,
            remote: T, // the node read 1700000000 at some point of [T, T+1s)
            resolution: NS,
        };
        let e = estimate(&[s]).unwrap();
        assert!((e.uncertainty - 0.505).abs() < 1e-9, "{e:?}");
        assert!((e.offset - (0.5 - 0.305)).abs() < 1e-9, "{e:?}");
    }

    #[test]
    fn a_stepped_local_clock_is_ignored() {
        let bad = Sample {
            sent: T,
            received: T - NS,
            remote: T,
            resolution: 1,
        };
        assert_eq!(estimate(&[bad]), None);
        assert_eq!(estimate(&[]), None);
    }

    #[test]
    fn lease_bounds_intersect() {
        // Node 2 s ahead; delays 300 ms and 100 ms.
        let samples = [
            LeaseSample {
                renew: T + 2 * NS,
                arrival: T + 300_000_000,
            },
            LeaseSample {
                renew: T + 12 * NS,
                arrival: T + 10 * NS + 100_000_000,
            },
        ];
        let e = estimate_lease(&samples, LEASE_MAX_DELAY_NS).unwrap();
        // [1.9, 1.7 + 1.0] → 2.3 ± 0.4
        assert!((e.offset - 2.3).abs() < 1e-5, "{e:?}");
        assert!((e.uncertainty - 0.4).abs() < 1e-5, "{e:?}");
        assert!((e.offset - 2.0).abs() <= e.uncertainty);
    }

    #[test]
    fn pairs_sorted_worst_first() {
        let est = |offset, uncertainty| Estimate {
            offset,
            uncertainty,
            round_trip: 0.0,
            samples: 1,
        };
        let pairs = pairwise(&[
            ("a", est(0.0, 0.01)),
            ("b", est(0.3, 0.01)),
            ("c", est(0.1, 0.2)),
        ]);
        assert_eq!(pairs.len(), 3);
        assert_eq!((pairs[0].a.as_str(), pairs[0].b.as_str()), ("b", "c"));
        assert!((pairs[0].upper() - 0.41).abs() < 1e-9);
        assert!((pairs[1].upper() - 0.32).abs() < 1e-9);
        assert!(pairs[2].lower().abs() < f64::EPSILON);
    }

    #[test]
    fn seconds_print_with_sensible_units() {
        assert_eq!(format_seconds(0.0123), "12.3 ms");
        assert_eq!(format_seconds(-0.3), "-300.0 ms");
        assert_eq!(format_seconds(1.25), "1.250 s");
    }

    proptest! {
        /// Whatever the asymmetry of the round trip, the true offset lies within the bound.
        #[test]
        fn true_offset_within_the_bound(
            offset in -100_000_000_000i128..100_000_000_000,
            legs in prop::collection::vec((0i128..500_000_000, 0i128..500_000_000), 1..6),
            resolution in prop::sample::select(vec![1i128, 1_000, NS]),
            phase in 0i128..NS,
        ) {
            let mut samples = Vec::new();
            let mut now = T;
            for (out, back) in legs {
                let read_at = now + out; // the tool's time when the node reads its clock
                let node = read_at + offset + phase;
                samples.push(Sample {
                    sent: now,
                    received: read_at + back,
                    remote: node - node.rem_euclid(resolution),
                    resolution,
                });
                now += NS;
            }
            let e = estimate(&samples).unwrap();
            let truth = secs(offset + phase);
            prop_assert!((e.offset - truth).abs() <= e.uncertainty + 1e-9, "{e:?} vs {truth}");
        }

        /// The same for Leases whose delays respect the assumption.
        #[test]
        fn lease_offset_within_the_bound(
            offset in -100_000_000_000i128..100_000_000_000,
            delays in prop::collection::vec(0i128..LEASE_MAX_DELAY_NS, 1..4),
        ) {
            let samples: Vec<_> = delays.iter().enumerate().map(|(i, d)| {
                let tool = T + i128::try_from(i).unwrap() * 10 * NS;
                let renew = tool + offset;
                LeaseSample { renew: renew - renew.rem_euclid(1_000), arrival: tool + d }
            }).collect();
            let e = estimate_lease(&samples, LEASE_MAX_DELAY_NS).unwrap();
            prop_assert!((e.offset - secs(offset)).abs() <= e.uncertainty + 1e-9);
        }
    }
}
