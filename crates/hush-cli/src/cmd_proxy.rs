//! `hush proxy`, `hush ask` and the hidden `hush mock-upstream`: wiring
//! of `hush-claude` to arguments, the config file and a tokio runtime.

use std::io::{Read, Write};
use std::process::ExitCode;

use anyhow::{bail, Context};
use hush_claude::proxy::{tls_config, Proxy, ProxyConfig};
use hush_claude::{Client, MediaPolicy, ResponsePii};

use crate::args::{AskArgs, MockArgs, ProxyArgs};
use crate::cmd_redact::configured_redactor;
use crate::config::Config;

const DEFAULT_LISTEN: &str = "127.0.0.1:8787";
const DEFAULT_UPSTREAM: &str = "https://api.anthropic.com";

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn read_key_env(name: &str) -> anyhow::Result<String> {
    match std::env::var(name) {
        Ok(k) if !k.trim().is_empty() => Ok(k.trim().to_string()),
        _ => {
            bail!("environment variable {name} (the API key) is not set")
        }
    }
}

/// Seconds between re-reads of the upstream key (default 300).
fn key_refresh_secs(cfg: &Config) -> u64 {
    cfg.proxy.upstream_key_refresh_secs.unwrap_or(300)
}

/// Where the upstream key comes from: `--upstream-key-file` or
/// `--upstream-key-env`, else `upstream_key_file` / `upstream_key_env` /
/// `[proxy.upstream_key]` in hush.toml (one of them), else nowhere (the
/// client's own key is forwarded).
fn upstream_key_source(
    args: &ProxyArgs,
    cfg: &Config,
) -> anyhow::Result<Option<hush_keys::UpstreamSecret>> {
    use hush_keys::UpstreamSecret;
    let p = &cfg.proxy;
    if let Some(f) = &args.upstream_key_file {
        return Ok(Some(UpstreamSecret::File(f.clone())));
    }
    if let Some(v) = &args.upstream_key_env {
        return Ok(Some(UpstreamSecret::Env(v.clone())));
    }
    let configured = [
        p.upstream_key_file.clone().map(UpstreamSecret::File),
        p.upstream_key_env.clone().map(UpstreamSecret::Env),
        p.upstream_key.clone(),
    ];
    let mut set = configured.into_iter().flatten();
    let first = set.next();
    if set.next().is_some() {
        bail!(
            "hush.toml: give one of upstream_key_file, upstream_key_env and [proxy.upstream_key]"
        );
    }
    Ok(first)
}

pub fn run_proxy(
    args: &ProxyArgs,
    cfg: &Config,
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    let p = &cfg.proxy;
    let listen = args
        .listen
        .clone()
        .or_else(|| p.listen.clone())
        .unwrap_or_else(|| DEFAULT_LISTEN.to_string());
    let upstream = args
        .upstream
        .clone()
        .or_else(|| p.upstream.clone())
        .unwrap_or_else(|| DEFAULT_UPSTREAM.to_string());
    let mut pc = ProxyConfig::new(&upstream)
        .map_err(|e| anyhow::anyhow!("{}", e.message()))?;
    let key_source = upstream_key_source(args, cfg)?;
    let key_refresh = std::time::Duration::from_secs(key_refresh_secs(cfg));
    if let Some(ca) = args.ca_file.as_ref().or(p.ca_file.as_ref()) {
        pc.extra_ca_pem = Some(std::fs::read(ca).with_context(|| {
            format!("{}: cannot read the CA bundle", ca.display())
        })?);
    }
    if let Some(m) = args.media.as_ref().or(p.media.as_ref()) {
        pc.media = m.parse::<MediaPolicy>().map_err(anyhow::Error::msg)?;
    }
    if let Some(m) = args.response_pii.as_ref().or(p.response_pii.as_ref()) {
        pc.response_pii =
            m.parse::<ResponsePii>().map_err(anyhow::Error::msg)?;
    }
    pc.public_url = args.public_url.clone().or_else(|| p.public_url.clone());
    pc.routes = p.route.clone();
    let screen =
        args.screen.as_deref().or(p.screen.as_deref()).unwrap_or("off");
    if screen != "off" {
        let action = screen
            .parse::<hush_screen::Action>()
            .map_err(|e| anyhow::anyhow!("--screen: {e} or off"))?;
        let screener = hush_screen::Screener::new()
            .map_err(|e| anyhow::anyhow!("injection screening rules: {e}"))?;
        let mut policy =
            hush_screen::ScreenPolicy { action, ..Default::default() };
        if let Some(t) = p.screen_threshold {
            policy.threshold = t;
        }
        pc.screening = Some((std::sync::Arc::new(screener), policy));
    }
    let global = p.limits.map(|l| l.limits()).unwrap_or_default();
    pc.client_limits = p.client_limits.map(|l| l.limits()).unwrap_or_default();
    if let Some(rpm) = args.client_rpm {
        pc.client_limits.rpm = Some(rpm);
    }
    let redis_url = args.redis_url.clone().or_else(|| p.redis_url.clone());
    if let Some(path) = args.keys.as_ref().or(p.keys.as_ref()) {
        pc.keys = Some(hush_keys::KeyRing::load(path).with_context(|| {
            format!("{}: cannot load the client keys", path.display())
        })?);
    }
    if let Some(dir) = args.audit_log.as_ref().or(p.audit_log.as_ref()) {
        let to_stdout = dir.as_os_str() == "-";
        let key = match args.audit_key.clone().or_else(|| p.audit_key.clone())
        {
            Some(k) => k,
            None if to_stdout => bail!(
                "--audit-log - (records on standard output) needs --audit-key FILE for its signed checkpoints"
            ),
            None => dir.join("audit.key"),
        };
        // A new log directory (and the key's) is created on first use.
        let log_dir = (!to_stdout).then_some(dir.as_path());
        for d in [log_dir, key.parent()].into_iter().flatten() {
            if !d.as_os_str().is_empty() {
                std::fs::create_dir_all(d).with_context(|| {
                    format!("{}: cannot create the directory", d.display())
                })?;
            }
        }
        let mut ac = if to_stdout {
            hush_audit::AuditConfig::stdout(key)
        } else {
            hush_audit::AuditConfig::files(dir, key)
        };
        ac.fsync = match p.audit_fsync.as_deref() {
            None | Some("batch") => hush_audit::Fsync::Batch,
            Some("always") => hush_audit::Fsync::Always,
            Some("never") => hush_audit::Fsync::Never,
            Some(o) => {
                bail!("proxy.audit_fsync {o:?}: use never, batch or always")
            }
        };
        ac.on_full = match p.audit_on_full.as_deref() {
            None | Some("block") => {
                hush_audit::OnFull::Block(std::time::Duration::from_secs(1))
            }
            Some("fail") => hush_audit::OnFull::Fail,
            Some(o) => bail!("proxy.audit_on_full {o:?}: use block or fail"),
        };
        let log = hush_audit::AuditLog::open(ac).with_context(|| {
            format!("{}: cannot open the audit log", dir.display())
        })?;
        pc.audit = Some(std::sync::Arc::new(log));
    }
    if let Some(url) = &p.alert_webhook {
        pc.alerts = Some((p.alerts.clone().unwrap_or_default(), url.clone()));
    }
    pc.probe_interval = match p.probe_interval_secs {
        Some(0) => None,
        Some(n) => Some(std::time::Duration::from_secs(n)),
        None => Some(std::time::Duration::from_secs(30)),
    };
    if let Some(r) = p.retry {
        let d = hush_guard::RetryPolicy::default();
        let ms = std::time::Duration::from_millis;
        pc.retry = hush_guard::RetryPolicy {
            max_attempts: r.max_attempts.unwrap_or(d.max_attempts),
            base: r.base_ms.map_or(d.base, ms),
            cap: r.cap_ms.map_or(d.cap, ms),
            deadline: r.deadline_ms.map_or(d.deadline, ms),
        };
    }
    if let Some(b) = p.breaker {
        pc.breaker = b.config()?;
    }
    pc.review_dir = match args.review_dir.as_ref().or(p.review_dir.as_ref()) {
        Some(d) => Some(d.clone()),
        None if pc.routes.iter().any(|r| r.hold_for_review) => {
            Some(crate::cmd_review::review_dir(None, cfg)?)
        }
        None => None,
    };
    let tls = match (
        args.tls_cert.as_ref().or(p.tls_cert.as_ref()),
        args.tls_key.as_ref().or(p.tls_key.as_ref()),
    ) {
        (Some(c), Some(k)) => {
            let cert = std::fs::read(c).with_context(|| {
                format!("{}: cannot read the TLS certificate", c.display())
            })?;
            let key = std::fs::read(k).with_context(|| {
                format!("{}: cannot read the TLS key", k.display())
            })?;
            Some(
                tls_config(&cert, &key)
                    .map_err(|e| anyhow::anyhow!("{}", e.message()))?,
            )
        }
        (None, None) => None,
        _ => bail!("proxy TLS needs both a certificate and a key"),
    };
    let limited = !global.is_unlimited() || !pc.client_limits.is_unlimited();
    let limiter_plan = limited.then(|| (redis_url.clone(), global));
    let mut plan =
        plan_text(&pc, &listen, tls.is_some(), key_source.as_ref(), cfg);
    {
        use std::fmt::Write as _;
        let _ = writeln!(plan, "injection screening: {screen}");
        let _ = writeln!(
            plan,
            "client keys: {}",
            match args.keys.as_ref().or(p.keys.as_ref()) {
                Some(k) => format!("only those in {}", k.display()),
                None =>
                    "any (the client's own Anthropic key is the credential)"
                        .into(),
            }
        );
        let _ = writeln!(
            plan,
            "audit log: {}",
            match args.audit_log.as_ref().or(p.audit_log.as_ref()) {
                Some(d) =>
                    format!("{} (hash chain, signed checkpoints)", d.display()),
                None => "off".into(),
            }
        );
        let _ = writeln!(
            plan,
            "alerts: {}; upstream probe: {}",
            match &pc.alerts {
                Some((r, url)) => format!("to {url} ({r:?})"),
                None => "none".into(),
            },
            match pc.probe_interval {
                Some(d) => format!("every {d:?}"),
                None => "off".into(),
            }
        );
        let _ = writeln!(
            plan,
            "rate limits: {}",
            if limited {
                format!(
                    "global {global:?}, each client {:?}{}",
                    pc.client_limits,
                    match &redis_url {
                        Some(_) => ", shared through Redis",
                        None => ", in process",
                    }
                )
            } else {
                "none".into()
            }
        );
        let _ = writeln!(
            plan,
            "retries: {} attempts, backoff {:?} to {:?}, deadline {:?}; circuit breaker: {:?}",
            pc.retry.max_attempts, pc.retry.base, pc.retry.cap, pc.retry.deadline, pc.breaker
        );
    }
    let rt = runtime()?;
    if let Some((url, global)) = limiter_plan {
        let limiter = rt.block_on(async {
            match url {
                Some(u) => hush_guard::RateLimiter::redis(&u, "hush", global)
                    .await
                    .map_err(|e| {
                        anyhow::anyhow!("rate limits through Redis: {e}")
                    }),
                None => Ok(hush_guard::RateLimiter::in_process(global)),
            }
        })?;
        pc.limiter = Some(std::sync::Arc::new(limiter));
    }
    if let Some(src) = key_source {
        let key = rt
            .block_on(hush_keys::UpstreamKey::start(src, key_refresh))
            .map_err(|e| anyhow::anyhow!("the upstream key: {e}"))?;
        pc.upstream_key = Some(key.into());
    }
    let red = configured_redactor(&args.opts, Some(&args.filter), cfg, quiet)?;
    let proxy =
        Proxy::new(pc, red).map_err(|e| anyhow::anyhow!("{}", e.message()))?;
    if args.check {
        print!("{plan}");
        println!("configuration: ok");
        return Ok(ExitCode::SUCCESS);
    }
    rt.block_on(async move {
        let listener =
            tokio::net::TcpListener::bind(&listen).await.with_context(|| format!("cannot listen on {listen}"))?;
        let addr = listener.local_addr()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        if !quiet {
            eprintln!("hush: proxy listening on {scheme}://{addr}, upstream {upstream}");
            eprintln!("hush: point clients at it with ANTHROPIC_BASE_URL={scheme}://{addr}");
        }
        let served = async {
            match tls {
                Some(tls) => proxy.serve_tls(listener, tls).await,
                None => proxy.serve(listener).await,
            }
        };
        tokio::select! {
            r = served => r.context("proxy server failed")?,
            _ = tokio::signal::ctrl_c() => {}
        }
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The plan as configured, for `hush proxy --check`: what is served,
/// where requests go, and what happens when the upstream fails. Names
/// where secrets come from, never the secrets.
fn plan_text(
    pc: &ProxyConfig,
    listen: &str,
    tls: bool,
    key_source: Option<&hush_keys::UpstreamSecret>,
    cfg: &Config,
) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let scheme = if tls { "https" } else { "http" };
    let _ = writeln!(s, "listen: {scheme}://{listen}");
    let _ = writeln!(s, "upstream: {}", pc.upstream());
    let key = match key_source {
        Some(src) => format!(
            "from {}, re-read every {} s",
            src.describe(),
            key_refresh_secs(cfg)
        ),
        None => "the client's own key is forwarded".into(),
    };
    let _ = writeln!(s, "upstream key: {key}");
    let _ = writeln!(
        s,
        "media: {:?}; new personal data in answers: {:?}",
        pc.media, pc.response_pii
    );
    let _ = writeln!(
        s,
        "body limits: {} bytes (batches {})",
        pc.max_body, pc.max_batch_body
    );
    if pc.routes.is_empty() {
        let _ = writeln!(
            s,
            "routes: none (upstream errors go back to the client unchanged)"
        );
    }
    for (i, r) in pc.routes.iter().enumerate() {
        let _ = writeln!(s, "route {} (models {}):", i + 1, r.models);
        if r.fallback.is_empty() {
            let _ = writeln!(s, "  fallback: none");
        }
        for (j, f) in r.fallback.iter().enumerate() {
            let _ = writeln!(s, "  fallback {}: {}", j + 1, f.describe());
        }
        if r.hold_for_review {
            let _ = writeln!(s, "  answers held for review");
        }
        if let Some(schema) = &r.answer_schema {
            let _ = writeln!(
                s,
                "  answers checked against {} ({:?} on failure)",
                schema.display(),
                r.on_schema_error
            );
        }
    }
    if let Some(d) = &pc.review_dir {
        let _ = writeln!(s, "review directory: {}", d.display());
    }
    s
}

pub fn run_ask(
    args: &AskArgs,
    cfg: &Config,
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    let mut prompt = String::new();
    match &args.input {
        Some(path) => {
            prompt = std::fs::read_to_string(path).with_context(|| {
                format!(
                    "{}: cannot read the prompt (it must be UTF-8 text)",
                    path.display()
                )
            })?
        }
        None => {
            std::io::stdin().read_to_string(&mut prompt).context("standard input: cannot read the prompt (it must be UTF-8 text)")?;
        }
    }
    if prompt.trim().is_empty() {
        bail!("the prompt is empty");
    }
    let key = read_key_env(&args.api_key_env)?;
    let upstream = args
        .upstream
        .clone()
        .or_else(|| cfg.proxy.upstream.clone())
        .unwrap_or_else(|| DEFAULT_UPSTREAM.to_string());
    let red = configured_redactor(&args.opts, Some(&args.filter), cfg, quiet)?;
    let client = Client::new(&upstream, &key, red)
        .map_err(|e| anyhow::anyhow!("{}", e.message()))?;
    let mut params = serde_json::json!({
        "model": args.model, "max_tokens": args.max_tokens,
        "messages": [{"role": "user", "content": prompt}],
    });
    if let Some(s) = &args.system {
        params["system"] = serde_json::Value::String(s.clone());
    }
    let rt = runtime()?;
    let mut failed = None;
    let done = rt.block_on(async {
        let mut out = std::io::stdout().lock();
        client
            .stream(params, |t| {
                if failed.is_none() {
                    if let Err(e) =
                        out.write_all(t.as_bytes()).and_then(|()| out.flush())
                    {
                        failed = Some(e);
                    }
                }
            })
            .await
    });
    let done = done.map_err(|e| anyhow::anyhow!("{}", e.message()))?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    println!();
    if !quiet {
        let kinds: Vec<String> = done
            .report
            .kinds
            .iter()
            .map(|(k, n)| format!("{k}={n}"))
            .collect();
        eprintln!(
            "hush: sent with {} value(s) pseudonymised ({})",
            done.report.findings,
            kinds.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_mock(args: &MockArgs) -> anyhow::Result<ExitCode> {
    let rt = runtime()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        println!("http://{}", listener.local_addr()?);
        std::io::stdout().flush()?;
        tokio::select! {
            r = hush_claude::mock::serve_with(listener, (args.fail_rate > 0.0).then_some(hush_claude::mock::Outage {
                status: args.fail_status,
                rate: args.fail_rate,
                model: None,
            })) => r.context("mock server failed")?,
            _ = tokio::signal::ctrl_c() => {}
        }
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
