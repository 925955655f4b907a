#!/usr/bin/env bash
# Installs the peers that bench/peers.py measures codeloc against, for a fresh Debian 12 machine.
# Idempotent: what is already there is kept.
#
#   supervisord  Debian package `supervisor` (apt-get; needs root)
#   PM2, nodemon npm packages, into build/bench-tools (npm install --prefix)
#
# Dagster itself comes from the example-analytics venv (scripts/python-envs.sh): `dagster
# code-server start` and dagster's gRPC client are part of the `dagster` package.
#
# Debian's `supervisor` package installs and starts a system-wide supervisord service. The
# benchmark runs its own supervisord, so this script keeps the system one from starting (a
# temporary policy-rc.d during the install) and stops it, by the pid in its pidfile, if it runs.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="${CODELOC_BENCH_TOOLS:-$root/build/bench-tools}"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if ! command -v supervisord >/dev/null 2>&1; then
  policy=/usr/sbin/policy-rc.d
  added_policy=0
  if [ ! -e "$policy" ]; then
    # "exit 101": invoke-rc.d must not start any service during this install.
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
    as_root chmod 755 "$policy"
    added_policy=1
  fi
  status=0
  as_root apt-get update && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y \
    --no-install-recommends supervisor || status=$?
  if [ "$added_policy" = 1 ]; then as_root rm -f "$policy"; fi
  [ "$status" = 0 ] || exit "$status"
fi

# The system supervisord, if the package's postinst (or a boot) started it: stop it by its pid.
for pidfile in /run/supervisord.pid /var/run/supervisord.pid; do
  if [ -s "$pidfile" ]; then
    pid="$(cat "$pidfile")"
    if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q supervisord; then
      echo "install-peers: stopping the system supervisord (pid $pid, from $pidfile)" >&2
      as_root kill -TERM "$pid"
      for _ in $(seq 100); do [ -e "/proc/$pid" ] || break; sleep 0.1; done
    fi
  fi
done
# And keep it from starting at the next boot (the benchmark starts its own).
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  as_root systemctl disable --now supervisor >/dev/null 2>&1 || true
fi

if ! command -v npm >/dev/null 2>&1; then
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm
fi
if [ ! -x "$tools/node_modules/.bin/pm2" ] || [ ! -x "$tools/node_modules/.bin/nodemon" ]; then
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-audit --no-fund pm2 nodemon
fi

# Versions from the packages' own files: running `pm2 --version` would start a PM2 daemon.
version() { sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$tools/node_modules/$1/package.json" | head -n 1; }
echo "install-peers: supervisord $(supervisord --version), pm2 $(version pm2)," \
  "nodemon $(version nodemon), in $tools" >&2
