//! Buckets in Redis, so a fleet of proxies shares one set of limits. All
//! the bucket arithmetic of one admission runs in a single Lua script
//! (atomic in Redis, sent by EVALSHA with an EVAL fallback) on Redis's
//! own clock (`TIME`), so proxies with skewed clocks still agree. The
//! script mirrors `bucket.rs`; change both together.
//!
//! Each client key is one hash `{prefix}:k:<key id>` and the global
//! limits one hash `{prefix}:g`, with fields `<d>t` (tokens) and `<d>l`
//! (last update, ms) for d in r, i, o. The `{prefix}` hash tag keeps both
//! in one cluster slot. Each hash expires when its buckets would be full
//! again: a missing hash is a full bucket, so expiry loses nothing.

use std::fmt;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Script;

use crate::limiter::{BoxFuture, BucketSpec, LimitScope, LimiterBackend};
use crate::limiter::{Dimension, Take, Via};
use crate::local::InProcessBackend;
use crate::GuardError;

const SCRIPT: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local give = ARGV[1] == 'give'
local n = tonumber(ARGV[2])
local lv = {}
local worst, worst_wait = 0, -1
for i = 1, n do
  local b = 2 + (i - 1) * 5
  local key = KEYS[tonumber(ARGV[b + 1])]
  local f = ARGV[b + 2]
  local cap = tonumber(ARGV[b + 3])
  local rate = tonumber(ARGV[b + 4])
  local amt = tonumber(ARGV[b + 5])
  local v = redis.call('HMGET', key, f .. 't', f .. 'l')
  local tok, last = tonumber(v[1]), tonumber(v[2])
  local level = cap
  if tok ~= nil and last ~= nil and tok < cap then
    local dt = now - last
    if dt < 0 then dt = 0 end
    level = math.min(cap, tok + dt * rate)
  end
  lv[i] = level
  if not give and amt > 0 then
    local wait = nil
    if cap <= 0 then
      wait = 60000
    else
      local need = math.min(amt, cap)
      if level + 1e-9 < need then
        if rate > 0 then wait = (need - level) / rate else wait = 60000 end
      end
    end
    if wait ~= nil and wait > worst_wait then worst, worst_wait = i, wait end
  end
end
if worst > 0 then
  return {0, worst - 1, string.format('%.17g', worst_wait)}
end
local ttl = {-1, -1}
for i = 1, n do
  local b = 2 + (i - 1) * 5
  local s = tonumber(ARGV[b + 1])
  local f = ARGV[b + 2]
  local cap = tonumber(ARGV[b + 3])
  local rate = tonumber(ARGV[b + 4])
  local amt = tonumber(ARGV[b + 5])
  local new = lv[i] + amt
  if not give then new = lv[i] - amt end
  if new > cap then new = cap end
  if new < -cap then new = -cap end
  redis.call('HSET', KEYS[s], f .. 't', string.format('%.17g', new),
    f .. 'l', string.format('%.17g', now))
  local full_in = 60000
  if rate > 0 then full_in = (cap - new) / rate end
  if full_in < 0 then full_in = 0 end
  if full_in > ttl[s] then ttl[s] = full_in end
end
for s = 1, 2 do
  if ttl[s] >= 0 then
    redis.call('PEXPIRE', KEYS[s], math.ceil(ttl[s]) + 1000)
  end
end
return {1, 0, '0'}
"#;

/// What the limiter does while Redis is unreachable or too slow.
///
/// ```
/// assert_eq!(hush_guard::FailureMode::default(),
///            hush_guard::FailureMode::Closed);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FailureMode {
    /// `admit` returns [`GuardError::Unavailable`]: the proxy answers
    /// 503 and no request passes unmetered. The default.
    #[default]
    Closed,
    /// Requests pass unmetered until Redis answers again.
    Open,
    /// Each proxy falls back to its own in-process buckets with the same
    /// limits (so the fleet admits up to N times the limit) until Redis
    /// answers again.
    Local,
}

/// Connection settings of the Redis backend.
///
/// ```
/// let o = hush_guard::RedisOptions::default();
/// assert_eq!(o.timeout.as_millis(), 250);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RedisOptions {
    /// What to do while Redis is unreachable.
    pub failure: FailureMode,
    /// The longest one admission or settlement waits for Redis before
    /// counting it as unreachable.
    pub timeout: Duration,
    /// The longest a (re)connection attempt takes.
    pub connect_timeout: Duration,
}

impl Default for RedisOptions {
    fn default() -> Self {
        RedisOptions {
            failure: FailureMode::Closed,
            timeout: Duration::from_millis(250),
            connect_timeout: Duration::from_secs(1),
        }
    }
}

/// Token buckets in Redis (see [`crate::RateLimiter::redis`]).
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// // A URL that is not one is a configuration error.
/// let e = hush_guard::RedisBackend::connect("http://x", "p",
///     Default::default()).await.unwrap_err();
/// assert!(matches!(e, hush_guard::GuardError::Config(_)));
/// # });
/// ```
pub struct RedisBackend {
    conn: ConnectionManager,
    prefix: String,
    script: Script,
    options: RedisOptions,
    fallback: InProcessBackend,
}

impl fmt::Debug for RedisBackend {
    // The URL (which may hold a password) is not kept.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisBackend")
            .field("prefix", &self.prefix)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// A Redis error as a message without addresses or credentials.
fn describe(e: &redis::RedisError) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connection_refusal() {
        "connection refused".into()
    } else if e.is_connection_dropped() || e.is_io_error() {
        "connection lost".into()
    } else {
        format!("redis error ({:?})", e.kind())
    }
}

impl RedisBackend {
    /// Connects to `url` and keeps the connection up (reconnecting in the
    /// background after a failure).
    ///
    /// # Errors
    /// [`GuardError::Config`] for a malformed URL,
    /// [`GuardError::Unavailable`] when Redis cannot be reached within
    /// `options.connect_timeout`.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let opts = hush_guard::RedisOptions {
    ///     connect_timeout: std::time::Duration::from_millis(100),
    ///     ..Default::default() };
    /// let e = hush_guard::RedisBackend::connect("redis://127.0.0.1:1",
    ///     "p", opts).await.unwrap_err();
    /// assert!(e.is_unavailable());
    /// # });
    /// ```
    pub async fn connect(
        url: &str,
        prefix: &str,
        options: RedisOptions,
    ) -> Result<RedisBackend, GuardError> {
        let client = redis::Client::open(url).map_err(|_| {
            GuardError::Config("not a usable redis:// URL".into())
        })?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(options.connect_timeout))
            .set_response_timeout(Some(options.timeout))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_secs(1));
        let conn = tokio::time::timeout(
            options.connect_timeout + options.timeout,
            ConnectionManager::new_with_config(client, config),
        )
        .await
        .map_err(|_| GuardError::Unavailable("connect timed out".into()))?
        .map_err(|e| GuardError::Unavailable(describe(&e)))?;
        Ok(RedisBackend {
            conn,
            prefix: prefix.to_owned(),
            script: Script::new(SCRIPT),
            options,
            fallback: InProcessBackend::new(),
        })
    }

    /// Runs the script once; `Ok(None)` when every bucket had enough.
    async fn run(
        &self,
        mode: &str,
        key_id: &str,
        specs: &[BucketSpec],
    ) -> Result<Option<(usize, Duration)>, GuardError> {
        let mut inv = self.script.prepare_invoke();
        inv.key(format!("{{{}}}:k:{key_id}", self.prefix))
            .key(format!("{{{}}}:g", self.prefix))
            .arg(mode)
            .arg(specs.len());
        for s in specs {
            let scope = match s.scope {
                LimitScope::Key => 1,
                LimitScope::Global => 2,
            };
            let field = match s.dimension {
                Dimension::Requests => "r",
                Dimension::InputTokens => "i",
                Dimension::OutputTokens => "o",
            };
            inv.arg(scope)
                .arg(field)
                .arg(s.capacity)
                .arg(s.per_sec / 1000.0)
                .arg(s.amount);
        }
        let mut conn = self.conn.clone();
        let reply: (i64, i64, String) = tokio::time::timeout(
            self.options.timeout,
            inv.invoke_async(&mut conn),
        )
        .await
        .map_err(|_| GuardError::Unavailable("timed out".into()))?
        .map_err(|e| GuardError::Unavailable(describe(&e)))?;
        if reply.0 == 1 {
            return Ok(None);
        }
        let index = usize::try_from(reply.1).unwrap_or(0);
        let ms: f64 = reply.2.parse().unwrap_or(60_000.0);
        let wait = Duration::try_from_secs_f64(ms / 1000.0)
            .unwrap_or(Duration::from_secs(60));
        Ok(Some((index, wait)))
    }
}

impl LimiterBackend for RedisBackend {
    fn take<'a>(
        &'a self,
        key_id: &'a str,
        specs: &'a [BucketSpec],
    ) -> BoxFuture<'a, Result<Take, GuardError>> {
        Box::pin(async move {
            match self.run("take", key_id, specs).await {
                Ok(None) => Ok(Take::Taken(Via::Store)),
                Ok(Some((index, wait))) => Ok(Take::Short { index, wait }),
                Err(e) => match self.options.failure {
                    FailureMode::Closed => Err(e),
                    FailureMode::Open => Ok(Take::Taken(Via::Unmetered)),
                    FailureMode::Local => {
                        Ok(match self.fallback.take_now(key_id, specs) {
                            Take::Taken(_) => Take::Taken(Via::Local),
                            short => short,
                        })
                    }
                },
            }
        })
    }

    fn give<'a>(
        &'a self,
        key_id: &'a str,
        specs: &'a [BucketSpec],
        via: Via,
    ) -> BoxFuture<'a, Result<(), GuardError>> {
        Box::pin(async move {
            match via {
                Via::Store => {
                    self.run("give", key_id, specs).await.map(|_| ())
                }
                Via::Local => {
                    self.fallback.give_now(key_id, specs);
                    Ok(())
                }
                Via::Unmetered => Ok(()),
            }
        })
    }
}
