//! `cargo xtask proxy-bench`: what the redacting proxy adds to a Claude
//! call. Starts the mock upstream and `hush proxy` (release builds, as
//! separate processes), then drives both with the same load: C concurrent
//! clients posting a ~10 KB prompt with PII for D seconds, first straight
//! to the mock, then through the proxy. Reports latency percentiles and
//! requests per second of each, the difference (the proxy's added
//! latency), and the time to first byte of a streamed answer, direct and
//! through the proxy. The load generator shares the machine with both
//! servers, so on a 2-core VM the figures include that contention.
//!
//! `--audit` adds a second proxy keeping an audit log (the log's cost on
//! latency; the two proxies take turns in slices so that the machine's
//! drift does not fall on one of them; with `--paired` they get the same
//! call at the same moment instead, so that a stall of the host falls on
//! both calls of a pair); `--fail-rate 0.3 --fail-status 529` makes the mock fail that
//! share of calls (what the proxy's retries recover, and at what
//! latency).

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

#[derive(clap::Args)]
pub struct Args {
    /// Concurrent clients.
    #[arg(long, default_value_t = 50)]
    concurrency: usize,
    /// Seconds of load per target (after one second of warm-up).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// The corpus the prompt comes from: chat (about one value per 100
    /// bytes) or prose (one per 2 KB).
    #[arg(long, default_value = "chat")]
    set: String,
    /// Prompt size in bytes.
    #[arg(long, default_value_t = 10_000)]
    prompt_bytes: usize,
    /// Total request rate for the paced run (requests per second over all
    /// clients); 0 skips it. The closed-loop run (each client sends as
    /// fast as answers come) saturates the machine and measures requests
    /// per second; the paced run measures latency below saturation.
    #[arg(long, default_value_t = 500)]
    rate: u64,
    /// Only the paced run (with `--rate`): the latency figures without
    /// the closed-loop throughput run.
    #[arg(long)]
    paced_only: bool,
    /// Streamed requests for the time-to-first-byte figure.
    #[arg(long, default_value_t = 300)]
    ttfb_requests: usize,
    /// Also run a second proxy that keeps an audit log (`--audit-log`,
    /// default fsync policy) and report what the log adds to the latency.
    #[arg(long)]
    audit: bool,
    /// With `--audit`: the proxies with and without the log take turns in
    /// this many slices of `seconds / slices` each (pooled per proxy).
    #[arg(long, default_value_t = 10)]
    slices: u64,
    /// With `--audit`: also run a third proxy, identical to the first
    /// (no log), in the same turns, and report how far two identical
    /// proxies differ: the noise floor of the audit figure on this
    /// machine.
    #[arg(long)]
    control: bool,
    /// With `--audit`: instead of taking turns, the plain proxy and the
    /// audited one get the same call at the same moment (each client
    /// sends to both at every tick of its schedule, each at `--rate`), so
    /// that a stall of the host falls on both calls of a pair; with
    /// `--control` the plain proxy and the control are paired the same
    /// way in alternate slices. Reports each side's percentiles and the
    /// difference (see `paired_run`).
    #[arg(long)]
    paired: bool,
    /// The mock fails this fraction of calls (0 to 1) with
    /// `--fail-status`: the direct run shows what clients get without
    /// the proxy, the proxy run what its retries make of it.
    #[arg(long, default_value_t = 0.0)]
    fail_rate: f64,
    /// The status of the mock's failures.
    #[arg(long, default_value_t = 529)]
    fail_status: u16,
    /// A hush.toml for the proxies (`[proxy.retry]`, `[proxy.breaker]`,
    /// ...); without it they run with the defaults.
    #[arg(long, value_name = "FILE")]
    hush_config: Option<std::path::PathBuf>,
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_ready(addr: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if TcpStream::connect(addr).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!("{addr} did not start listening")
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A prompt of about `bytes` bytes from a corpus.
fn prompt(root: &Path, set: &str, bytes: usize) -> anyhow::Result<String> {
    let mut out = String::new();
    for t in crate::cli_bench::corpus_texts(root, set)? {
        if out.len() >= bytes {
            break;
        }
        out.push_str(&t);
        out.push('\n');
    }
    Ok(out)
}

/// A Messages API call with the bench's key and headers.
fn post(
    client: &reqwest::Client,
    url: &str,
    body: Vec<u8>,
) -> reqwest::RequestBuilder {
    client
        .post(url)
        .header("x-api-key", "sk-ant-bench")
        .header("anthropic-version", "2023-06-01")
        .header("content-type", "application/json")
        .body(body)
}

/// A client for `conc` concurrent callers.
fn bench_client(conc: usize) -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(conc * 2)
        .tcp_nodelay(true)
        .build()
        .expect("client")
}

/// One call: when it started and when its whole answer was in, or `None`
/// when it failed or was not a success.
async fn call(
    client: &reqwest::Client,
    url: &str,
    body: &[u8],
) -> Option<(Instant, Instant)> {
    let t = Instant::now();
    let resp = post(client, url, body.to_vec()).send().await.ok()?;
    if !resp.status().is_success() {
        return None;
    }
    resp.bytes().await.ok()?;
    Some((t, Instant::now()))
}

/// The median and quartiles of per-slice differences in per cent.
fn median_quartiles(mut r: Vec<f64>) -> String {
    r.sort_unstable_by(f64::total_cmp);
    if r.is_empty() {
        return "no slices".to_string();
    }
    let q = |f: f64| quantile(&r, f).unwrap_or(f64::NAN);
    format!(
        "median {:+.1}% (quartiles {:+.1}% to {:+.1}%)",
        q(0.5),
        q(0.25),
        q(0.75)
    )
}

/// p50 and p99 of sorted latencies `x` against `p`, in ms and per cent.
fn versus(x: &[u64], p: &[u64]) -> String {
    let d = |q| percentile(x, q) - percentile(p, q);
    let pct = |q| 100.0 * (percentile(x, q) / percentile(p, q) - 1.0);
    format!(
        "p50 {:+.3} ms ({:+.1}%), p99 {:+.3} ms ({:+.1}%)",
        d(0.5),
        pct(0.5),
        d(0.99),
        pct(0.99)
    )
}

/// The element at quantile `p` (0 to 1) of a sorted slice, nearest rank.
fn quantile<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
    let last = sorted.len().checked_sub(1)?;
    Some(sorted[(last as f64 * p).round() as usize])
}

/// Quantile `p` of sorted latencies in µs, in ms (NaN when empty).
fn percentile(sorted: &[u64], p: f64) -> f64 {
    quantile(sorted, p).map_or(f64::NAN, |us| us as f64 / 1000.0)
}

struct Load {
    /// When each answered call started and ended: its latency, and what
    /// to compare with the host probe's windows.
    calls: Vec<(Instant, Instant)>,
    errors: u64,
    secs: f64,
}

async fn load(
    url: String,
    body: Arc<Vec<u8>>,
    conc: usize,
    secs: u64,
    rate: u64,
) -> Load {
    // With a rate, each client sends every `conc / rate` seconds, on a
    // fixed schedule.
    let period =
        (rate > 0).then(|| Duration::from_secs_f64(conc as f64 / rate as f64));
    let client = bench_client(conc);
    let run = |until: Instant| {
        let mut tasks = Vec::new();
        for _ in 0..conc {
            let (client, url, body) =
                (client.clone(), url.clone(), body.clone());
            let offset =
                period.map(|p| p.mul_f64(tasks.len() as f64 / conc as f64));
            tasks.push(tokio::spawn(async move {
                let mut calls = Vec::new();
                let mut errors = 0u64;
                let mut next = Instant::now() + offset.unwrap_or_default();
                while Instant::now() < until {
                    if let Some(p) = period {
                        tokio::time::sleep_until(next.into()).await;
                        next += p;
                    }
                    match call(&client, &url, &body).await {
                        Some(c) => calls.push(c),
                        None => errors += 1,
                    }
                }
                (calls, errors)
            }));
        }
        tasks
    };
    for t in run(Instant::now() + Duration::from_secs(1)) {
        let _ = t.await;
    }
    let start = Instant::now();
    let mut all = Load::empty();
    for t in run(start + Duration::from_secs(secs)) {
        if let Ok((c, e)) = t.await {
            all.calls.extend(c);
            all.errors += e;
        }
    }
    all.secs = start.elapsed().as_secs_f64();
    all
}

/// [`load`] against two targets at once: every client sends the same
/// body to `a` and `b` at each tick of its schedule (which one is asked
/// first alternates), each through its own connection pool, and the
/// calls of each target are kept apart.
async fn load_paired(
    a: String,
    b: String,
    body: Arc<Vec<u8>>,
    conc: usize,
    secs: u64,
    rate: u64,
) -> (Load, Load) {
    let period = Duration::from_secs_f64(conc as f64 / rate.max(1) as f64);
    let (ca, cb) = (bench_client(conc), bench_client(conc));
    let run = |until: Instant| {
        (0..conc)
            .map(|k| {
                let (ca, cb, a, b, body) = (
                    ca.clone(),
                    cb.clone(),
                    a.clone(),
                    b.clone(),
                    body.clone(),
                );
                let offset = period.mul_f64(k as f64 / conc as f64);
                tokio::spawn(async move {
                    let mut out = [Load::empty(), Load::empty()];
                    let mut next = Instant::now() + offset;
                    let mut tick = 0u64;
                    while Instant::now() < until {
                        tokio::time::sleep_until(next.into()).await;
                        next += period;
                        tick += 1;
                        let (ra, rb) = if (tick + k as u64) % 2 == 0 {
                            tokio::join!(
                                call(&ca, &a, &body),
                                call(&cb, &b, &body)
                            )
                        } else {
                            let (rb, ra) = tokio::join!(
                                call(&cb, &b, &body),
                                call(&ca, &a, &body)
                            );
                            (ra, rb)
                        };
                        for (l, r) in out.iter_mut().zip([ra, rb]) {
                            match r {
                                Some(c) => l.calls.push(c),
                                None => l.errors += 1,
                            }
                        }
                    }
                    out
                })
            })
            .collect::<Vec<_>>()
    };
    for t in run(Instant::now() + Duration::from_secs(1)) {
        let _ = t.await;
    }
    let start = Instant::now();
    let (mut la, mut lb) = (Load::empty(), Load::empty());
    for t in run(start + Duration::from_secs(secs)) {
        if let Ok([a, b]) = t.await {
            la.absorb(a);
            lb.absorb(b);
        }
    }
    la.secs = start.elapsed().as_secs_f64();
    lb.secs = la.secs;
    (la, lb)
}

impl Load {
    fn empty() -> Load {
        Load { calls: Vec::new(), errors: 0, secs: 0.0 }
    }

    /// Adds `other`'s calls, errors and seconds to these.
    fn absorb(&mut self, other: Load) {
        self.calls.extend(other.calls);
        self.errors += other.errors;
        self.secs += other.secs;
    }

    /// The answered calls' latencies in µs, sorted; with `outside`, only
    /// those of calls that overlap none of the host probe's windows.
    fn latencies(
        &self,
        outside: Option<&crate::host_probe::Windows>,
    ) -> Vec<u64> {
        let mut v: Vec<u64> = self
            .calls
            .iter()
            .filter(|(a, b)| outside.is_none_or(|w| !w.overlaps(*a, *b)))
            .map(|(a, b)| (*b - *a).as_micros() as u64)
            .collect();
        v.sort_unstable();
        v
    }
}

/// The proxy's own overhead histogram (`hush_overhead_seconds`: each
/// call's latency less its wait on the upstream), read from its
/// `/metrics`: the mean, and the bucket bounds holding p50 and p99. It
/// leaves out the time the load generator and the mock take, and so the
/// machine's noise on that leg.
async fn overhead(base: &str) -> Option<String> {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let mut buckets = Vec::new();
    let (mut sum, mut count) = (0.0, 0.0);
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("hush_overhead_seconds") else {
            continue;
        };
        let (key, value) = rest.rsplit_once(' ')?;
        let value: f64 = value.parse().ok()?;
        if let Some(le) = key.strip_prefix("_bucket{le=\"") {
            let le = le.trim_end_matches("\"}");
            buckets.push((le.parse::<f64>().unwrap_or(f64::INFINITY), value));
        } else if key == "_sum" {
            sum = value;
        } else if key == "_count" {
            count = value;
        }
    }
    if count == 0.0 {
        return None;
    }
    let bound = |q: f64| {
        buckets
            .iter()
            .find(|(_, c)| *c >= q * count)
            .map_or(f64::INFINITY, |(le, _)| le * 1000.0)
    };
    Some(format!(
        "{count} calls, mean {:.3} ms, p50 <= {} ms, p99 <= {} ms",
        1000.0 * sum / count,
        bound(0.5),
        bound(0.99)
    ))
}

async fn ttfb(url: String, body: Vec<u8>, n: usize) -> Vec<u64> {
    let client =
        reqwest::Client::builder().tcp_nodelay(true).build().expect("client");
    let mut out = Vec::new();
    for i in 0..n + 10 {
        let t = Instant::now();
        let Ok(mut resp) = post(&client, &url, body.clone()).send().await
        else {
            continue;
        };
        let first = resp.chunk().await;
        let el = t.elapsed().as_micros() as u64;
        // The rest of the answer (thousands of small deltas for a 10 KB
        // echo) is not part of the figure: close the connection.
        drop(resp);
        if i >= 10 && matches!(first, Ok(Some(_))) {
            out.push(el);
        }
    }
    out.sort_unstable();
    out
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let root = crate::project_root();
    let hush = crate::cli_bench::build_hush(&root)?;
    let data = tempfile_dir()?;
    let mut mock = Command::new(&hush)
        .args(["mock-upstream", "--listen", "127.0.0.1:0"])
        .args([
            "--fail-rate",
            &args.fail_rate.to_string(),
            "--fail-status",
            &args.fail_status.to_string(),
        ])
        .stdout(Stdio::piped())
        .spawn()
        .context("starting the mock")?;
    let mut line = String::new();
    {
        use std::io::BufRead;
        let out = mock.stdout.take().context("mock stdout")?;
        std::io::BufReader::new(out).read_line(&mut line)?;
    }
    let _mock = Killed(mock);
    let mock_url = line.trim().to_string();
    wait_ready(mock_url.trim_start_matches("http://"))?;
    let start_proxy = |extra: &[String]| -> anyhow::Result<(Killed, String)> {
        let listen = format!("127.0.0.1:{}", free_port()?);
        let mut cmd = Command::new(&hush);
        if let Some(c) = &args.hush_config {
            cmd.arg("--config").arg(c);
        }
        let child = cmd
            .args([
                "--quiet",
                "proxy",
                "--listen",
                &listen,
                "--upstream",
                &mock_url,
            ])
            .args(extra)
            .env("XDG_DATA_HOME", &data)
            .env_remove("HUSH_KEY")
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting the proxy")?;
        let child = Killed(child);
        wait_ready(&listen)?;
        Ok((child, listen))
    };
    let (_proxy, listen) = start_proxy(&[])?;
    let audited = if args.audit {
        let dir = data.join("audit");
        Some(start_proxy(&[
            "--audit-log".into(),
            dir.display().to_string(),
            "--audit-key".into(),
            data.join("audit.key").display().to_string(),
        ])?)
    } else {
        None
    };
    let control = if args.audit && args.control {
        Some(start_proxy(&[])?)
    } else {
        None
    };

    let text = prompt(&root, &args.set, args.prompt_bytes)?;
    let body = serde_json::json!({"model": "claude-bench", "max_tokens": 64, "messages": [{"role": "user", "content": text}]});
    let body = Arc::new(serde_json::to_vec(&body)?);
    let mut sbody: serde_json::Value = serde_json::from_slice(&body)?;
    sbody["stream"] = serde_json::Value::Bool(true);
    let sbody = serde_json::to_vec(&sbody)?;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    println!(
        "prompt {} bytes, {} concurrent clients, {} s per target (after 1 s warm-up), prompt from {}; mock {mock_url}, proxy http://{listen}",
        text.len(),
        args.concurrency,
        args.seconds,
        args.set
    );
    // Calls overlapping the host's interference are reported apart: see
    // host_probe.rs.
    let probe = crate::host_probe::HostProbe::start();
    if args.paired {
        let Some((_, a)) = &audited else {
            bail!("--paired needs --audit");
        };
        let pairs: Vec<(&str, String)> = std::iter::once(("audited", a))
            .chain(control.as_ref().map(|(_, c)| ("control", c)))
            .map(|(n, u)| (n, format!("http://{u}/v1/messages")))
            .collect();
        paired_run(
            &rt,
            &args,
            &format!("http://{listen}/v1/messages"),
            &pairs,
            &body,
            &probe,
        );
        let _ = std::fs::remove_dir_all(&data);
        return Ok(());
    }
    let paced = args.rate > 0;
    let mut runs: Vec<(&str, u64)> = Vec::new();
    if !(paced && args.paced_only) {
        runs.push(("closed loop", 0));
    }
    if paced {
        runs.push(("paced", args.rate));
    }
    for (mode, rate) in runs {
        if rate > 0 {
            println!("{mode}: {rate} req/s in total");
        } else {
            println!("{mode}: every client sends as soon as its answer is in");
        }
        let mut rows = Vec::new();
        let mut cleans: Vec<Vec<u64>> = Vec::new();
        let mut targets = vec![
            ("direct", mock_url.clone()),
            ("proxy", format!("http://{listen}")),
        ];
        if let Some((_, a)) = &audited {
            targets.push(("audited", format!("http://{a}")));
        }
        if let Some((_, c)) = &control {
            targets.push(("control", format!("http://{c}")));
        }
        // With the audited proxy, the proxies take turns in slices
        // (A B B A A B ..., or A B C C B A ... with the control) and each
        // one's latencies are pooled, so that a drift of the machine's
        // load over the run falls on all alike.
        let slices = if audited.is_some() { args.slices.max(1) } else { 1 };
        let slice_secs = (args.seconds / slices).max(1);
        let mut pooled: Vec<Option<Load>> =
            (1..targets.len()).map(|_| None).collect();
        // Each slice's p99 per proxy (all calls; outside host stalls),
        // for the paired per-slice comparison below.
        let mut slice_p99: Vec<Vec<(f64, f64)>> =
            (1..targets.len()).map(|_| Vec::new()).collect();
        if slices > 1 {
            for i in 0..slices {
                let mut order: Vec<usize> = (1..targets.len()).collect();
                if i % 2 == 1 {
                    order.reverse();
                }
                for t in order {
                    let l = rt.block_on(load(
                        format!("{}/v1/messages", targets[t].1),
                        body.clone(),
                        args.concurrency,
                        slice_secs,
                        rate,
                    ));
                    slice_p99[t - 1].push((
                        percentile(&l.latencies(None), 0.99),
                        percentile(&l.latencies(Some(&probe.windows())), 0.99),
                    ));
                    let slot = &mut pooled[t - 1];
                    match slot {
                        None => *slot = Some(l),
                        Some(p) => p.absorb(l),
                    }
                }
            }
        }
        for (i, (name, base)) in targets.into_iter().enumerate() {
            let l =
                match pooled.get_mut(i.wrapping_sub(1)).and_then(Option::take)
                {
                    Some(l) => l,
                    None => rt.block_on(load(
                        format!("{base}/v1/messages"),
                        body.clone(),
                        args.concurrency,
                        args.seconds,
                        rate,
                    )),
                };
            let all = l.latencies(None);
            let rps = all.len() as f64 / l.secs;
            let ok = all.len() as f64;
            println!(
                "{name:>7}: {:>7} ok, {} errors ({:.2}% succeeded), {:.0} req/s, latency ms p50 {:.3} p90 {:.3} p99 {:.3} max {:.3}",
                all.len(),
                l.errors,
                100.0 * ok / (ok + l.errors as f64).max(1.0),
                rps,
                percentile(&all, 0.5),
                percentile(&all, 0.9),
                percentile(&all, 0.99),
                percentile(&all, 1.0)
            );
            let clean = l.latencies(Some(&probe.windows()));
            println!(
                "{:>9}outside host stalls: {} calls ({:.1}%), latency ms p50 {:.3} p90 {:.3} p99 {:.3} max {:.3}",
                "",
                clean.len(),
                100.0 * clean.len() as f64 / ok.max(1.0),
                percentile(&clean, 0.5),
                percentile(&clean, 0.9),
                percentile(&clean, 0.99),
                percentile(&clean, 1.0)
            );
            cleans.push(clean);
            if name != "direct" {
                if let Some(o) = rt.block_on(overhead(&base)) {
                    println!("{:>9}hush's own overhead (its /metrics, whole run): {o}", "");
                }
            }
            rows.push(all);
        }
        let (d, p) = (&rows[0], &rows[1]);
        println!(
            "  added: p50 {:.3} ms, p99 {:.3} ms",
            percentile(p, 0.5) - percentile(d, 0.5),
            percentile(p, 0.99) - percentile(d, 0.99)
        );
        if let Some(a) = rows.get(2) {
            println!(
                "  audit log adds: {} over the proxy without it",
                versus(a, p)
            );
            println!(
                "    outside host stalls: {}",
                versus(&cleans[2], &cleans[1])
            );
        }
        if let Some(c) = rows.get(3) {
            println!(
                "  noise floor: an identical proxy without the log differs by {}",
                versus(c, p)
            );
            println!(
                "    outside host stalls: {}",
                versus(&cleans[3], &cleans[1])
            );
        }
        // Paired per slice: each slice's p99 of a proxy against the
        // plain proxy's p99 in the same slice (they run back to back), and
        // the median of those ratios. One slice caught by a long host
        // stall moves the pooled p99 but not this median.
        let paired = |t: usize, pick: fn(&(f64, f64)) -> f64| {
            median_quartiles(
                slice_p99[t]
                    .iter()
                    .zip(&slice_p99[0])
                    .map(|(x, p)| 100.0 * (pick(x) / pick(p) - 1.0))
                    .filter(|r| r.is_finite())
                    .collect(),
            )
        };
        for (t, what) in [(1, "audit log adds"), (2, "control differs by")] {
            if slice_p99.get(t).is_some_and(|s| !s.is_empty()) {
                println!(
                    "  per slice ({} pairs), p99 {what}: all calls {}; outside host stalls {}",
                    slice_p99[t].len(),
                    paired(t, |s| s.0),
                    paired(t, |s| s.1)
                );
            }
        }
        println!("  host probe: {}", probe.windows().summary());
    }
    if args.fail_rate > 0.0 {
        // Failures make the first-byte figure meaningless.
        let _ = std::fs::remove_dir_all(&data);
        return Ok(());
    }
    let td = rt.block_on(ttfb(
        format!("{mock_url}/v1/messages"),
        sbody.clone(),
        args.ttfb_requests,
    ));
    let tp = rt.block_on(ttfb(
        format!("http://{listen}/v1/messages"),
        sbody,
        args.ttfb_requests,
    ));
    println!(
        "streamed time to first byte ({} sequential requests): direct p50 {:.3} ms p99 {:.3}; proxy p50 {:.3} ms p99 {:.3}; added p50 {:.3} ms",
        args.ttfb_requests,
        percentile(&td, 0.5),
        percentile(&td, 0.99),
        percentile(&tp, 0.5),
        percentile(&tp, 0.99),
        percentile(&tp, 0.5) - percentile(&td, 0.5)
    );
    let _ = std::fs::remove_dir_all(&data);
    Ok(())
}

/// The paired measurement (`--paired`): in each of `--slices` slices,
/// the plain proxy is paired with each other proxy in turn (the turns'
/// order alternating), both sent the same call at the same moment at
/// `--rate` each. For each pair: each side's pooled percentiles, the
/// difference at p50 and p99 (all calls, and outside the host probe's
/// windows), and the median and quartiles of the per-slice p99 ratios.
/// Because both calls of a pair meet the same moment of the host, the
/// machine's stalls fall on both sides alike and the difference is the
/// other proxy's own; the control pair shows how far two identical
/// proxies still differ.
fn paired_run(
    rt: &tokio::runtime::Runtime,
    args: &Args,
    plain: &str,
    others: &[(&str, String)],
    body: &Arc<Vec<u8>>,
    probe: &crate::host_probe::HostProbe,
) {
    let rate = args.rate.max(1);
    let slices = args.slices.max(1);
    let slice_secs = (args.seconds / slices).max(1);
    println!(
        "paired: the plain proxy and each of {} get the same call at the same moment, {rate} req/s each, {slices} slices of {slice_secs} s per pair",
        others.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
    );
    let mut pooled: Vec<(Load, Load)> =
        others.iter().map(|_| (Load::empty(), Load::empty())).collect();
    let mut ratios: Vec<Vec<f64>> =
        others.iter().map(|_| Vec::new()).collect();
    for i in 0..slices {
        let mut order: Vec<usize> = (0..others.len()).collect();
        if i % 2 == 1 {
            order.reverse();
        }
        for t in order {
            let (p, o) = rt.block_on(load_paired(
                plain.to_string(),
                others[t].1.clone(),
                body.clone(),
                args.concurrency,
                slice_secs,
                rate,
            ));
            let r = percentile(&o.latencies(None), 0.99)
                / percentile(&p.latencies(None), 0.99);
            if r.is_finite() {
                ratios[t].push(100.0 * (r - 1.0));
            }
            pooled[t].0.absorb(p);
            pooled[t].1.absorb(o);
        }
    }
    let windows = probe.windows();
    for (t, (name, _)) in others.iter().enumerate() {
        let (p, o) = &pooled[t];
        for (side, l) in [("proxy", p), (*name, o)] {
            let all = l.latencies(None);
            println!(
                "  {side:>7} (paired with {}): {} ok, {} errors, latency ms p50 {:.3} p90 {:.3} p99 {:.3} max {:.3}",
                if side == "proxy" { name } else { "proxy" },
                all.len(),
                l.errors,
                percentile(&all, 0.5),
                percentile(&all, 0.9),
                percentile(&all, 0.99),
                percentile(&all, 1.0)
            );
        }
        println!(
            "  {name} against the proxy at the same moments: {}",
            versus(&o.latencies(None), &p.latencies(None))
        );
        println!(
            "    outside host stalls: {}",
            versus(&o.latencies(Some(&windows)), &p.latencies(Some(&windows)))
        );
        let r = std::mem::take(&mut ratios[t]);
        println!(
            "    per slice ({} pairs), p99: {}",
            r.len(),
            median_quartiles(r)
        );
    }
    println!("  host probe: {}", windows.summary());
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let d = std::env::temp_dir()
        .join(format!("hush-proxy-bench-{}", std::process::id()));
    std::fs::create_dir_all(&d)?;
    Ok(d)
}
