//! What the proxy counts, in the Prometheus text format, for `/metrics`.
//!
//! A handful of counters and two latency histograms do not need a metrics
//! framework: labelled counters are a small locked map (a few labels,
//! one short lock per request), the histogram is fixed buckets of atomics.
//! Labels never carry request text, only endpoints, statuses, kinds and
//! reasons chosen by hush.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
/// (The sub-millisecond ones are for hush's own overhead.)
const BUCKETS: [f64; 19] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
    0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];

/// A counter with labels, rendered one line per label set.
#[derive(Debug, Default)]
struct Labelled(Mutex<BTreeMap<String, u64>>);

impl Labelled {
    fn add(&self, labels: String, n: u64) {
        if n == 0 {
            return;
        }
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *m.entry(labels).or_insert(0) += n;
    }

    fn snapshot(&self) -> BTreeMap<String, u64> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[derive(Debug)]
struct Histogram {
    counts: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
            count: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
        }
    }
}

impl Histogram {
    fn observe(&self, d: Duration) {
        let s = d.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|&b| s <= b) {
            self.counts[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(
            u64::try_from(d.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }
}

/// The proxy's metrics.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use hush_claude::metrics::Metrics;
///
/// let m = Metrics::default();
/// m.request("/v1/messages", 200, Duration::from_millis(12));
/// m.entities("EMAIL", 2);
/// let text = m.render();
/// assert!(text.contains("hush_requests_total{endpoint=\"/v1/messages\",status=\"200\"} 1"));
/// assert!(text.contains("hush_entities_pseudonymised_total{kind=\"EMAIL\"} 2"));
/// ```
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Labelled,
    latency: Histogram,
    overhead: Histogram,
    upstream_errors: Labelled,
    retries: AtomicU64,
    rate_limited: Labelled,
    entities: Labelled,
    restored: AtomicU64,
    injections: Labelled,
    fallbacks: Labelled,
    refused: Labelled,
    in_flight: AtomicU64,
    /// 0 unknown, 1 up, 2 down.
    upstream_up: AtomicU64,
}

/// One histogram in the text format: cumulative buckets, sum, count.
fn histogram(s: &mut String, name: &str, help: &str, h: &Histogram) {
    let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} histogram");
    let mut cum = 0;
    for (i, b) in BUCKETS.iter().enumerate() {
        cum += h.counts[i].load(Ordering::Relaxed);
        let _ = writeln!(s, "{name}_bucket{{le=\"{b}\"}} {cum}");
    }
    let count = h.count.load(Ordering::Relaxed);
    let _ = writeln!(s, "{name}_bucket{{le=\"+Inf\"}} {count}");
    let _ = writeln!(
        s,
        "{name}_sum {}",
        h.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
    );
    let _ = writeln!(s, "{name}_count {count}");
}

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

impl Metrics {
    /// A request finished with `status` after `latency`.
    pub fn request(&self, endpoint: &str, status: u16, latency: Duration) {
        self.requests.add(
            format!("endpoint=\"{}\",status=\"{status}\"", esc(endpoint)),
            1,
        );
        self.latency.observe(latency);
    }

    /// What hush added to a call answered whole: its latency less the
    /// time spent waiting on the upstream (`hush_overhead_seconds`).
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// use hush_claude::metrics::Metrics;
    ///
    /// let m = Metrics::default();
    /// m.overhead(Duration::from_micros(700));
    /// assert!(m.render().contains("hush_overhead_seconds_bucket{le=\"0.001\"} 1"));
    /// ```
    pub fn overhead(&self, d: Duration) {
        self.overhead.observe(d);
    }

    /// An upstream failure of a type (`429`, `529`, `5xx`, `connect`,
    /// `timeout`, `stream`).
    pub fn upstream_error(&self, kind: &str) {
        self.upstream_errors.add(format!("type=\"{}\"", esc(kind)), 1);
    }

    /// An upstream retry.
    pub fn retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    /// A rate-limit rejection on a dimension (`requests`, `input_tokens`,
    /// `output_tokens`) and scope (`key`, `global`).
    pub fn rate_limited(&self, dimension: &str, scope: &str) {
        self.rate_limited.add(
            format!(
                "dimension=\"{}\",scope=\"{}\"",
                esc(dimension),
                esc(scope)
            ),
            1,
        );
    }

    /// Values of a kind pseudonymised in requests.
    pub fn entities(&self, kind: &str, n: u64) {
        self.entities.add(format!("kind=\"{}\"", esc(kind)), n);
    }

    /// Pseudonyms restored in answers.
    pub fn restored(&self, n: u64) {
        self.restored.fetch_add(n, Ordering::Relaxed);
    }

    /// A prompt flagged (or stripped, or blocked) by injection screening.
    pub fn injection(&self, action: &str) {
        self.injections.add(format!("action=\"{}\"", esc(action)), 1);
    }

    /// A fallback taken (`model`, `upstream`, `cache`, `static`,
    /// `disabled`).
    pub fn fallback(&self, kind: &str) {
        self.fallbacks.add(format!("kind=\"{}\"", esc(kind)), 1);
    }

    /// A request refused by hush before anything went upstream, by error
    /// type.
    pub fn refused(&self, kind: &str) {
        self.refused.add(format!("type=\"{}\"", esc(kind)), 1);
    }

    /// A request started (`in_flight` gauge up).
    pub fn start(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    /// A request ended (`in_flight` gauge down).
    pub fn end(&self) {
        let _ = self.in_flight.fetch_update(
            Ordering::Relaxed,
            Ordering::Relaxed,
            |v| Some(v.saturating_sub(1)),
        );
    }

    /// The upstream probe's last result.
    pub fn upstream_up(&self, up: bool) {
        self.upstream_up.store(if up { 1 } else { 2 }, Ordering::Relaxed);
    }

    /// Requests finished so far, all statuses.
    pub fn requests_total(&self) -> u64 {
        self.requests.snapshot().values().sum()
    }

    /// The Prometheus text exposition (format 0.0.4).
    pub fn render(&self) -> String {
        let mut s = String::with_capacity(4096);
        let counter =
            |s: &mut String, name: &str, help: &str, c: &Labelled| {
                let _ =
                    writeln!(s, "# HELP {name} {help}\n# TYPE {name} counter");
                for (labels, v) in c.snapshot() {
                    let _ = writeln!(s, "{name}{{{labels}}} {v}");
                }
            };
        counter(
            &mut s,
            "hush_requests_total",
            "Requests answered, by endpoint and status.",
            &self.requests,
        );
        histogram(
            &mut s,
            "hush_request_duration_seconds",
            "Time from request to the end of the answer.",
            &self.latency,
        );
        histogram(
            &mut s,
            "hush_overhead_seconds",
            "Time hush added to a call answered whole: the latency less the time spent waiting on the upstream (redaction, restoration, audit record).",
            &self.overhead,
        );
        counter(
            &mut s,
            "hush_upstream_errors_total",
            "Upstream failures, by type.",
            &self.upstream_errors,
        );
        let _ = writeln!(
            s,
            "# HELP hush_upstream_retries_total Upstream calls retried.\n# TYPE hush_upstream_retries_total counter\nhush_upstream_retries_total {}",
            self.retries.load(Ordering::Relaxed)
        );
        counter(
            &mut s,
            "hush_rate_limited_total",
            "Requests rejected by a rate limit.",
            &self.rate_limited,
        );
        counter(
            &mut s,
            "hush_entities_pseudonymised_total",
            "Values pseudonymised in requests, by kind.",
            &self.entities,
        );
        let _ = writeln!(
            s,
            "# HELP hush_pseudonyms_restored_total Pseudonyms restored in answers.\n# TYPE hush_pseudonyms_restored_total counter\nhush_pseudonyms_restored_total {}",
            self.restored.load(Ordering::Relaxed)
        );
        counter(
            &mut s,
            "hush_injections_total",
            "Prompts caught by injection screening, by action.",
            &self.injections,
        );
        counter(
            &mut s,
            "hush_fallbacks_total",
            "Fallbacks taken, by kind.",
            &self.fallbacks,
        );
        counter(
            &mut s,
            "hush_refused_total",
            "Requests refused before anything went upstream, by error type.",
            &self.refused,
        );
        let _ = writeln!(
            s,
            "# HELP hush_in_flight Requests being served.\n# TYPE hush_in_flight gauge\nhush_in_flight {}",
            self.in_flight.load(Ordering::Relaxed)
        );
        match self.upstream_up.load(Ordering::Relaxed) {
            0 => {}
            v => {
                let _ = writeln!(
                    s,
                    "# HELP hush_upstream_up Whether the last upstream probe reached the API.\n# TYPE hush_upstream_up gauge\nhush_upstream_up {}",
                    u8::from(v == 1)
                );
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative_and_counts_everything() {
        let m = Metrics::default();
        m.request("/v1/messages", 200, Duration::from_micros(500));
        m.request("/v1/messages", 200, Duration::from_millis(30));
        m.request("/v1/messages", 529, Duration::from_secs(500));
        let t = m.render();
        assert!(
            t.contains("hush_request_duration_seconds_bucket{le=\"0.001\"} 1")
        );
        assert!(
            t.contains("hush_request_duration_seconds_bucket{le=\"0.05\"} 2")
        );
        assert!(
            t.contains("hush_request_duration_seconds_bucket{le=\"120\"} 2")
        );
        assert!(
            t.contains("hush_request_duration_seconds_bucket{le=\"+Inf\"} 3")
        );
        assert!(t.contains("hush_request_duration_seconds_count 3"));
        assert!(t.contains(
            "hush_requests_total{endpoint=\"/v1/messages\",status=\"529\"} 1"
        ));
        assert_eq!(m.requests_total(), 3);
    }

    #[test]
    fn labels_are_escaped() {
        let m = Metrics::default();
        m.upstream_error("a\"b\\c\nd");
        assert!(m.render().contains(
            "hush_upstream_errors_total{type=\"a\\\"b\\\\c\\nd\"} 1"
        ));
    }

    #[test]
    fn gauge_never_goes_below_zero() {
        let m = Metrics::default();
        m.end();
        m.start();
        assert!(m.render().contains("hush_in_flight 1"));
    }
}
