#!/usr/bin/env bash
# End-to-end tests of `hush proxy` with the official SDKs: the Python SDK
# (`anthropic`, pinned in python/requirements.txt, in a virtual
# environment made here) and the TypeScript SDK (`@anthropic-ai/sdk`,
# pinned in node/package.json and node/package-lock.json). Both talk to
# the proxy, which talks to `hush mock-upstream`; everything is on
# loopback, with a fresh data directory for the proxy's key and vault.
#
# Needs: cargo, python3 (3.10 or newer, with venv), node 20 and npm, and
# network access to PyPI and the npm registry (or their packages already
# in tests/sdk/.venv and tests/sdk/node/node_modules).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

say() { printf -- '-- %s\n' "$*"; }

say "building hush (debug)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
cargo build -q -p hush-cli
case "$CARGO_TARGET_DIR" in
  /*) hush="$CARGO_TARGET_DIR/debug/hush" ;;
  *) hush="$root/$CARGO_TARGET_DIR/debug/hush" ;;
esac

say "Python SDK in a virtual environment"
venv="$here/.venv"
req="$here/python/requirements.txt"
if ! cmp -s "$req" "$venv/requirements.txt" 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
  cp "$req" "$venv/requirements.txt"
fi
"$venv/bin/python" -c 'import anthropic; print("anthropic", anthropic.__version__)'

say "TypeScript SDK from the lock file"
(cd "$here/node" && npm ci --no-audit --no-fund --loglevel=error > /dev/null)
node -e 'console.log("@anthropic-ai/sdk", require(process.argv[1]).version)' \
  "$here/node/node_modules/@anthropic-ai/sdk/package.json"

work="$(mktemp -d)"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# The servers get a clean environment: no hush.toml (they run in $work),
# no HUSH_* settings, and a fresh data directory for the key and vault.
server_env=(env -u HUSH_CONFIG -u HUSH_KEY -u HUSH_KEY_FILE -u HUSH_VAULT -u HUSH_SCOPE
  -u HUSH_POLICY -u HUSH_KINDS -u HUSH_MIN_SCORE -u HUSH_DICT -u HUSH_LISTEN -u HUSH_UPSTREAM
  XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config")
mkdir -p "$work/data" "$work/config"

# Waits until something accepts connections on http://HOST:PORT.
wait_for() {
  local url="$1" pid="$2" name="$3" i
  for i in $(seq 1 200); do
    if python3 -c 'import socket, sys, urllib.parse as u
p = u.urlsplit(sys.argv[1])
socket.create_connection((p.hostname, p.port), timeout=1).close()' "$url" 2> /dev/null; then
      return 0
    fi
    if ! kill -0 "$pid" 2> /dev/null; then
      echo "$name exited before accepting connections:" >&2
      cat "$work/$name.err" >&2 || true
      return 1
    fi
    sleep 0.05
  done
  echo "$name did not accept connections in 10 s" >&2
  return 1
}

say "starting the mock upstream"
(cd "$work" && exec "${server_env[@]}" "$hush" mock-upstream --listen 127.0.0.1:0 \
  > "$work/mock.out" 2> "$work/mock.err") &
pids+=($!)
mock_url=""
for _ in $(seq 1 200); do
  mock_url="$(head -n 1 "$work/mock.out" 2> /dev/null || true)"
  [ -n "$mock_url" ] && break
  if ! kill -0 "${pids[0]}" 2> /dev/null; then
    cat "$work/mock.err" >&2
    exit 1
  fi
  sleep 0.05
done
case "$mock_url" in
  http://127.0.0.1:*) ;;
  *) echo "the mock did not print its URL (got '$mock_url')" >&2; exit 1 ;;
esac
wait_for "$mock_url" "${pids[0]}" mock

say "starting the proxy"
# The SDKs' own retries are under test here, so the proxy passes upstream
# failures through at once (its own retries, breaker and fallbacks are
# tested in crates/hush-claude/tests/resilience.rs). The proxy reads
# ./hush.toml from its working directory.
cat > "$work/hush.toml" <<'TOML'
[proxy.retry]
max_attempts = 1
TOML
free_port() {
  python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}
proxy_url=""
# A free port can be taken between the check and the bind: try again then.
for _ in 1 2 3; do
  port="$(free_port)"
  (cd "$work" && exec "${server_env[@]}" "$hush" --quiet proxy --listen "127.0.0.1:$port" \
    --upstream "$mock_url" > "$work/proxy.out" 2> "$work/proxy.err") &
  pid=$!
  if wait_for "http://127.0.0.1:$port" "$pid" proxy; then
    pids+=("$pid")
    proxy_url="http://127.0.0.1:$port"
    break
  fi
done
if [ -z "$proxy_url" ]; then
  echo "the proxy did not start" >&2
  exit 1
fi
echo "mock $mock_url, proxy $proxy_url"

# The SDKs read these; none may point them elsewhere.
unset ANTHROPIC_API_KEY ANTHROPIC_AUTH_TOKEN ANTHROPIC_BASE_URL ANTHROPIC_PROFILE \
  ANTHROPIC_CONFIG_DIR || true
export HUSH_PROXY_URL="$proxy_url" HUSH_MOCK_URL="$mock_url"

status=0
say "Python SDK tests (pytest)"
py=0
(cd "$here/python" && "$venv/bin/python" -m pytest -q -p no:cacheprovider test_sdk.py) || py=$?
if [ "$py" -eq 5 ]; then
  echo "pytest collected no test" >&2
fi
[ "$py" -eq 0 ] || status=1

say "TypeScript SDK tests (node --test)"
(cd "$here/node" && node --test test.mjs) || status=1

if [ "$status" -ne 0 ]; then
  echo "SDK tests failed; proxy log:" >&2
  tail -n 50 "$work/proxy.err" >&2 || true
fi
exit "$status"
