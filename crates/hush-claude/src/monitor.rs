//! Alerting: rules over what the proxy sees, evaluated on a schedule,
//! sent to a webhook. The rules are the ones an operator of an LLM
//! gateway asks for first: the error rate, prompts of unusual length
//! (z-score against the running mean), and spikes of prompts flagged by
//! injection screening. An alert carries counts and thresholds only,
//! never request text.
//!
//! Observation is cheap (one short lock, a few arithmetic operations per
//! request); evaluation runs off the request path.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Alert thresholds. Defaults are conservative: they fire on a real
/// incident, not on noise.
///
/// # Example
///
/// ```
/// let r: hush_claude::monitor::AlertRules = toml::from_str("error_rate = 0.1").unwrap();
/// assert_eq!(r.error_rate, 0.1);
/// assert_eq!(r.window_secs, 300);
/// ```
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertRules {
    /// The span the rates are measured over, seconds.
    pub window_secs: u64,
    /// Fire when at least this fraction of the window's requests failed
    /// (status 500 and above, hush's own refusals excluded).
    pub error_rate: f64,
    /// Fewest requests in the window for the error rate to count.
    pub min_requests: u64,
    /// Fire for a prompt whose length is this many standard deviations
    /// above the running mean.
    pub prompt_length_z: f64,
    /// Prompts seen before the length rule applies (the mean must settle).
    pub prompt_length_warmup: u64,
    /// Fire when this many prompts are flagged by injection screening in
    /// the window.
    pub flagged_prompts: u64,
    /// The same alert is not sent again within this many seconds.
    pub repeat_secs: u64,
}

impl Default for AlertRules {
    fn default() -> Self {
        AlertRules {
            window_secs: 300,
            error_rate: 0.2,
            min_requests: 20,
            prompt_length_z: 6.0,
            prompt_length_warmup: 100,
            flagged_prompts: 10,
            repeat_secs: 900,
        }
    }
}

/// An alert, as sent to the webhook (JSON).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// `error_rate`, `prompt_length` or `flagged_prompts`.
    pub alert: String,
    /// What happened, in words (numbers only, no request text).
    pub message: String,
    /// The measured value.
    pub value: f64,
    /// The threshold it crossed.
    pub threshold: f64,
    /// Seconds since the epoch.
    pub at: u64,
}

/// One finished request, as the monitor sees it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Observation {
    /// The status returned to the client.
    pub status: u16,
    /// Whether the failure was the upstream's (not a refusal by hush).
    pub upstream_failed: bool,
    /// Bytes of the sanitised request body (0 when there was none).
    pub prompt_bytes: u64,
    /// Whether injection screening flagged the prompt.
    pub flagged: bool,
}

#[derive(Debug, Default)]
struct Second {
    at: u64,
    requests: u64,
    failures: u64,
    flagged: u64,
}

#[derive(Debug, Default)]
struct State {
    seconds: VecDeque<Second>,
    // Welford's running mean and variance of prompt lengths.
    n: u64,
    mean: f64,
    m2: f64,
    // The largest z-score seen since the last evaluation.
    max_z: f64,
    last_sent: Vec<(String, u64)>,
}

/// The monitor: observes requests, evaluates the rules.
///
/// # Example
///
/// ```
/// use hush_claude::monitor::{AlertRules, Monitor, Observation};
///
/// let m = Monitor::new(AlertRules { min_requests: 10, ..AlertRules::default() });
/// for _ in 0..10 {
///     m.observe_at(Observation { status: 529, upstream_failed: true, ..Observation::default() }, 1000);
/// }
/// let alerts = m.evaluate_at(1001);
/// assert_eq!(alerts[0].alert, "error_rate");
/// // Not repeated within repeat_secs.
/// assert!(m.evaluate_at(1002).is_empty());
/// ```
#[derive(Debug)]
pub struct Monitor {
    rules: AlertRules,
    state: Mutex<State>,
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl Monitor {
    /// A monitor with these rules.
    pub fn new(rules: AlertRules) -> Monitor {
        Monitor { rules, state: Mutex::new(State::default()) }
    }

    /// The rules.
    pub fn rules(&self) -> &AlertRules {
        &self.rules
    }

    /// Records a finished request now.
    pub fn observe(&self, o: Observation) {
        self.observe_at(o, now_secs());
    }

    /// Records a finished request at a time (seconds since the epoch).
    pub fn observe_at(&self, o: Observation, at: u64) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if s.seconds.back().is_none_or(|b| b.at != at) {
            s.seconds.push_back(Second { at, ..Second::default() });
        }
        let window = self.rules.window_secs.max(1);
        while s.seconds.front().is_some_and(|f| f.at + window <= at) {
            s.seconds.pop_front();
        }
        if let Some(b) = s.seconds.back_mut() {
            b.requests += 1;
            b.failures += u64::from(o.upstream_failed && o.status >= 500);
            b.flagged += u64::from(o.flagged);
        }
        if o.prompt_bytes > 0 {
            let x = o.prompt_bytes as f64;
            if s.n >= self.rules.prompt_length_warmup && s.n > 1 {
                let sd = (s.m2 / (s.n - 1) as f64).sqrt();
                if sd > 0.0 {
                    let z = (x - s.mean) / sd;
                    if z > s.max_z {
                        s.max_z = z;
                    }
                }
            }
            s.n += 1;
            let d = x - s.mean;
            s.mean += d / s.n as f64;
            s.m2 += d * (x - s.mean);
        }
    }

    /// Evaluates the rules now.
    pub fn evaluate(&self) -> Vec<Alert> {
        self.evaluate_at(now_secs())
    }

    /// Evaluates the rules at a time: the alerts that fire and were not
    /// sent within `repeat_secs`.
    pub fn evaluate_at(&self, at: u64) -> Vec<Alert> {
        let r = &self.rules;
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let window = r.window_secs.max(1);
        let live = s.seconds.iter().filter(|b| b.at + window > at);
        let (mut req, mut fail, mut flag) = (0, 0, 0);
        for b in live {
            req += b.requests;
            fail += b.failures;
            flag += b.flagged;
        }
        let mut out = Vec::new();
        if req >= r.min_requests && req > 0 {
            let rate = fail as f64 / req as f64;
            if rate >= r.error_rate {
                out.push(Alert {
                    alert: "error_rate".into(),
                    message: format!(
                        "{fail} of {req} requests failed upstream in the last {window} s"
                    ),
                    value: rate,
                    threshold: r.error_rate,
                    at,
                });
            }
        }
        if s.max_z >= r.prompt_length_z {
            out.push(Alert {
                alert: "prompt_length".into(),
                message: format!(
                    "a prompt {:.1} standard deviations longer than the mean of {:.0} bytes",
                    s.max_z, s.mean
                ),
                value: s.max_z,
                threshold: r.prompt_length_z,
                at,
            });
        }
        s.max_z = 0.0;
        if flag >= r.flagged_prompts && r.flagged_prompts > 0 {
            out.push(Alert {
                alert: "flagged_prompts".into(),
                message: format!(
                    "{flag} prompts flagged by injection screening in the last {window} s"
                ),
                value: flag as f64,
                threshold: r.flagged_prompts as f64,
                at,
            });
        }
        let repeat = r.repeat_secs;
        out.retain(|a| {
            let recent = s
                .last_sent
                .iter()
                .any(|(name, t)| *name == a.alert && at < t + repeat);
            !recent
        });
        for a in &out {
            s.last_sent.retain(|(n, _)| *n != a.alert);
            s.last_sent.push((a.alert.clone(), at));
        }
        out
    }
}

/// Sends alerts to a webhook as JSON, one POST each, retried a few times;
/// a webhook that stays down is logged, never fatal.
///
/// # Example
///
/// ```no_run
/// # async fn run() {
/// use hush_claude::monitor::{send_alerts, Alert};
/// let http = reqwest::Client::new();
/// send_alerts(&http, "http://127.0.0.1:9/alerts", &[Alert {
///     alert: "error_rate".into(), message: "…".into(), value: 0.5, threshold: 0.2, at: 0 }]).await;
/// # }
/// ```
pub async fn send_alerts(http: &reqwest::Client, url: &str, alerts: &[Alert]) {
    for a in alerts {
        let mut delay = Duration::from_millis(200);
        for attempt in 0..3 {
            match http.post(url).json(a).send().await {
                Ok(r) if r.status().is_success() => break,
                Ok(r) => {
                    tracing::warn!(status = r.status().as_u16(), alert = %a.alert, "alert webhook refused")
                }
                Err(_) => {
                    tracing::warn!(alert = %a.alert, attempt, "alert webhook unreachable")
                }
            }
            tokio::time::sleep(delay).await;
            delay *= 2;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(bytes: u64) -> Observation {
        Observation {
            status: 200,
            prompt_bytes: bytes,
            ..Observation::default()
        }
    }

    #[test]
    fn error_rate_needs_enough_requests_and_counts_only_upstream_failures() {
        let m = Monitor::new(AlertRules::default());
        for i in 0..19 {
            m.observe_at(
                Observation { status: 502, upstream_failed: true, ..ok(10) },
                100 + i,
            );
        }
        assert!(m.evaluate_at(120).is_empty(), "19 requests are too few");
        for _ in 0..30 {
            m.observe_at(Observation { status: 400, ..ok(10) }, 121);
        }
        // 19 of 49 = 39% failed.
        let a = m.evaluate_at(122);
        assert_eq!(a.len(), 1);
        assert!((a[0].value - 19.0 / 49.0).abs() < 1e-9);
        // The window slides: 300 s later nothing counts.
        assert!(m.evaluate_at(122 + 2000).is_empty());
    }

    #[test]
    fn a_long_prompt_stands_out_after_warmup() {
        let m = Monitor::new(AlertRules::default());
        for i in 0..200u64 {
            m.observe_at(ok(1000 + (i % 7) * 50), 10);
        }
        assert!(m.evaluate_at(11).is_empty());
        m.observe_at(ok(200_000), 12);
        let a = m.evaluate_at(13);
        assert_eq!(a[0].alert, "prompt_length");
        assert!(!a[0].message.contains("200000 bytes of"), "{}", a[0].message);
        assert!(m.evaluate_at(14).is_empty());
    }

    #[test]
    fn flagged_spike_fires_once_per_repeat_period() {
        let m = Monitor::new(AlertRules {
            flagged_prompts: 3,
            repeat_secs: 60,
            ..AlertRules::default()
        });
        for t in 0..3 {
            m.observe_at(Observation { flagged: true, ..ok(10) }, 50 + t);
        }
        assert_eq!(m.evaluate_at(53)[0].alert, "flagged_prompts");
        assert!(m.evaluate_at(54).is_empty());
        m.observe_at(Observation { flagged: true, ..ok(10) }, 200);
        m.observe_at(Observation { flagged: true, ..ok(10) }, 200);
        m.observe_at(Observation { flagged: true, ..ok(10) }, 201);
        assert_eq!(m.evaluate_at(202).len(), 1);
    }
}
