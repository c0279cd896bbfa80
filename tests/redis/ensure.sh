#!/usr/bin/env bash
# Makes sure `redis-server` is installed, for the hush-guard tests that
# share rate limits through Redis (crates/hush-guard/tests/redis_fleet.rs)
# and for `cargo xtask limiter-accuracy`. Idempotent: does nothing when
# redis-server is already on PATH. Installs Debian's `redis-server`
# package otherwise (needs root and the Debian archive), then checks the
# binary runs. The tests start their own server on a free loopback port;
# this script starts none (and stops the packaged service if installing
# it started one).
set -euo pipefail

if ! command -v redis-server > /dev/null 2>&1; then
  echo "-- installing redis-server (Debian package)"
  if [ "$(id -u)" -ne 0 ]; then
    echo "redis-server is missing and this is not root: install the" \
      "Debian package redis-server, or set HUSH_SKIP_REDIS=1 to skip" \
      "the Redis tests" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends redis-server > /dev/null
  # The package may start its own service; the tests do not use it.
  if command -v service > /dev/null 2>&1; then
    service redis-server stop > /dev/null 2>&1 || true
  fi
fi

redis-server --version
