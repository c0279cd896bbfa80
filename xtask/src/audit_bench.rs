//! `cargo xtask audit-bench --gb 1`: writes an audit log of realistic
//! 2-12 KB call records to a temporary directory, then times
//! `hush_audit::verify` (what `hush audit verify` runs) and the
//! `hush audit verify` binary on it, and a filtered search; deletes the
//! log afterwards (unless --keep).

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context};
use hush_audit::{
    AuditConfig, AuditLog, Body, CallRecord, Filter, Fsync, Sink,
};

#[derive(clap::Args)]
pub struct Args {
    /// Size of the log to write, in GB (10^9 bytes).
    #[arg(long, default_value_t = 1.0)]
    gb: f64,
    /// Where to put the log.
    #[arg(long, default_value = "/tmp")]
    dir: PathBuf,
    /// Keep the log afterwards.
    #[arg(long)]
    keep: bool,
    /// Skip building and timing the `hush` binary.
    #[arg(long)]
    no_cli: bool,
}

/// A deterministic 2-12 KB record: a pseudonymised chat request and the
/// answer, as the proxy logs them.
fn record(i: u64, rng: &mut u64) -> CallRecord {
    *rng ^= *rng << 13;
    *rng ^= *rng >> 7;
    *rng ^= *rng << 17;
    let len = 1500 + (*rng % 9000) as usize;
    let sentence =
        "Summarise the ticket of <PERSON_12> (<EMAIL_3>), order 4411, \
                    shipped to <LOCATION_7>. ";
    let text: String = sentence.chars().cycle().take(len).collect();
    CallRecord {
        request_id: format!("hush_01J{i:020}"),
        upstream_request_id: Some(format!("req_{i:024}")),
        key_id: Some(format!("k_team_{}", i % 7)),
        method: "POST".into(),
        endpoint: "/v1/messages".into(),
        model: Some(
            if i % 3 == 0 { "claude-haiku-4-5" } else { "claude-sonnet-4-5" }
                .into(),
        ),
        // Bodies as the proxy records them: the JSON text it sent and got.
        request: Some(Body::from_json_bytes(
            serde_json::json!({
                "model": "claude-sonnet-4-5", "max_tokens": 1024,
                "messages": [{"role": "user", "content": text}]
            })
            .to_string()
            .as_bytes(),
        )),
        response: Some(Body::from_json_bytes(
            serde_json::json!({
                "content": [{"type": "text", "text": &text[..len / 3]}]
            })
            .to_string()
            .as_bytes(),
        )),
        entities: [("EMAIL".to_string(), 1), ("PERSON".to_string(), 1)].into(),
        restored: 2,
        usage: Some(
            serde_json::json!({"input_tokens": len / 4, "output_tokens": len / 12}),
        ),
        latency_ms: 300.0 + (*rng % 2000) as f64,
        status: if i % 97 == 0 { 529 } else { 200 },
        ..CallRecord::default()
    }
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let root =
        args.dir.join(format!("hush-audit-bench-{}", std::process::id()));
    let logs = root.join("audit");
    let key = root.join("audit.key");
    let target = (args.gb * 1e9) as u64;
    let result = bench(&args, &root, &logs, &key, target);
    if !args.keep {
        let _ = std::fs::remove_dir_all(&root);
    } else {
        println!("kept {}", root.display());
    }
    result
}

fn dir_bytes(dir: &std::path::Path) -> anyhow::Result<u64> {
    let mut n = 0;
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        if e.file_name().to_string_lossy().ends_with(".jsonl") {
            n += e.metadata()?.len();
        }
    }
    Ok(n)
}

fn bench(
    args: &Args,
    root: &std::path::Path,
    logs: &std::path::Path,
    key: &std::path::Path,
    target: u64,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(root)?;
    let mut cfg = AuditConfig::files(logs, key);
    cfg.sink =
        Sink::Files { dir: logs.to_path_buf(), rotate_bytes: 256 << 20 };
    cfg.fsync = Fsync::Never;
    let log = Arc::new(AuditLog::open(cfg)?);
    let public = log.public_key();
    // Four writers, as concurrent proxy requests would be.
    let t0 = Instant::now();
    let per_thread = target / 4;
    let handles: Vec<_> = (0..4u64)
        .map(|t| {
            let log = log.clone();
            std::thread::spawn(move || -> anyhow::Result<(u64, u64)> {
                let mut rng = 0x9E37_79B9_7F4A_7C15u64 ^ (t + 1);
                let (mut bytes, mut n) = (0u64, 0u64);
                while bytes < per_thread {
                    let rec = record(t << 40 | n, &mut rng);
                    bytes += serde_json::to_vec(&rec)?.len() as u64 + 200;
                    log.append_blocking(rec)?;
                    n += 1;
                }
                Ok((n, bytes))
            })
        })
        .collect();
    let mut records = 0;
    for h in handles {
        let (n, _) =
            h.join().map_err(|_| anyhow::anyhow!("writer thread"))??;
        records += n;
    }
    Arc::try_unwrap(log)
        .map_err(|_| anyhow::anyhow!("log still shared"))?
        .close()?;
    let write_s = t0.elapsed().as_secs_f64();
    let size = dir_bytes(logs)?;
    let mb = size as f64 / 1e6;
    println!(
        "wrote {records} records, {mb:.0} MB in {write_s:.2} s: {:.0} records/s, {:.0} MB/s (4 writers, fsync never)",
        records as f64 / write_s,
        mb / write_s
    );
    // Warm the page cache once, so that reading is not what is timed.
    let _ = hush_audit::verify(logs, None)?;
    let t = Instant::now();
    let report = hush_audit::verify(logs, Some(&public))?;
    let s = t.elapsed().as_secs_f64();
    if !report.is_ok() {
        bail!("verify failed: {report}");
    }
    println!(
        "verify (library, with public key): {} records, {} checkpoints in {s:.2} s: {:.0} MB/s",
        report.records,
        report.checkpoints_verified,
        mb / s
    );
    let t = Instant::now();
    let filter = Filter {
        model: Some("claude-haiku-4-5".into()),
        status_class: Some(5),
        ..Filter::default()
    };
    let hits =
        hush_audit::search(logs, &filter)?.filter(|h| h.is_ok()).count();
    let s = t.elapsed().as_secs_f64();
    println!("search --model claude-haiku-4-5 --status 5xx: {hits} hits in {s:.2} s: {:.0} MB/s", mb / s);
    if !args.no_cli {
        let hush = build_hush()?;
        let t = Instant::now();
        let mut pub_file = key.as_os_str().to_owned();
        pub_file.push(".pub");
        let out = Command::new(&hush)
            .args(["audit", "verify"])
            .arg(logs)
            .arg("--pubkey")
            .arg(&pub_file)
            .output()
            .context("run hush")?;
        let s = t.elapsed().as_secs_f64();
        if !out.status.success() {
            bail!(
                "hush audit verify failed: {}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
        println!("hush audit verify --pubkey (release binary): {s:.2} s: {:.0} MB/s", mb / s);
    }
    Ok(())
}

/// Builds the release `hush` binary into the configured target dir.
fn build_hush() -> anyhow::Result<PathBuf> {
    let root = crate::project_root();
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet", "-p", "hush-cli"])
        .current_dir(&root)
        .status()
        .context("cargo build")?;
    if !status.success() {
        bail!("building hush failed");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    Ok(target.join("release").join("hush"))
}
