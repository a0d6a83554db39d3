#!/bin/sh
# test-cli-logs.sh: espy-cli info and logs (TAP): usage and key-file errors
# everywhere; against espy-sim --api-port (plaintext and Noise, --log-rate)
# when the simulator has the native API, else those cases are skipped.
#
# Copyright 2026 The Espy authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Needs ESPY_CLI and ESPY_SIM (meson sets both).

set -u

: "${ESPY_CLI:?ESPY_CLI must point to espy-cli}"
: "${ESPY_SIM:?ESPY_SIM must point to espy-sim}"

KEY='QRTIErOb/fcE9Ukd/5qA3RGYMn0Y+p06U58SCtOXvPc='
OTHER_KEY='AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8='

tmp=$(mktemp -d "${TMPDIR:-/tmp}/espy-test-cli-logs.XXXXXX") || exit 99
sim_pid=

stop_sim () {
  if [ -n "$sim_pid" ]; then
    kill "$sim_pid" 2>/dev/null
    wait "$sim_pid" 2>/dev/null
    sim_pid=
  fi
}
cleanup () {
  stop_sim
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

n=0
result () {
  n=$((n + 1))
  if [ "$1" -eq 0 ]; then
    echo "ok $n - $2"
  else
    echo "not ok $n - $2"
    for f in "$tmp/out" "$tmp/err"; do
      [ -f "$f" ] && sed 's/^/# /' "$f" | head -20
    done
  fi
}
skip () {
  n=$((n + 1))
  echo "ok $n # SKIP $1"
}

cli () {
  timeout 30 "$ESPY_CLI" "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
}

# No key text in any output.
no_key () {
  ! grep -q -e "$KEY" -e "$OTHER_KEY" -e 'c2VjcmV0' "$tmp/out" "$tmp/err"
}

one_error_line () {
  [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q '^espy-cli: ' "$tmp/err"
}

# A free TCP port on 127.0.0.1 that nothing listens on.
dead_port=1

echo "1..16"

# --- without a device ---------------------------------------------------------
printf '%s\n' "$KEY" >"$tmp/key"
printf 'c2VjcmV0\n' >"$tmp/short-key"       # base64 of "secret": 6 bytes
printf 'not base64 at all!\n' >"$tmp/junk-key"

cli logs 127.0.0.1 --port "$dead_port" --key-file "$tmp/short-key"
[ "$rc" -eq 3 ] && one_error_line && grep -q 'key file' "$tmp/err" && grep -q '32 bytes' "$tmp/err" && no_key
result $? "logs: a key file that is not base64 of 32 bytes: exit 3, clear message, key not shown"

cli info 127.0.0.1 --port "$dead_port" --key-file "$tmp/junk-key" --json
[ "$rc" -eq 3 ] && grep -q '"code":"key-file"' "$tmp/out" && ! grep -q 'not base64 at all' "$tmp/out" "$tmp/err"
result $? "info --json: junk key file: exit 3, code key-file, content not shown"

cli info 127.0.0.1 --port "$dead_port" --key-file "$tmp/missing"
[ "$rc" -eq 3 ] && one_error_line && grep -q 'key file' "$tmp/err"
result $? "info: missing key file: exit 3"

cli logs 127.0.0.1 --port "$dead_port"
[ "$rc" -eq 4 ] && one_error_line && grep -q -i 'connect' "$tmp/err"
result $? "logs: nothing listening: exit 4 (network), one line"

cli info 127.0.0.1 --port "$dead_port" --json
[ "$rc" -eq 4 ] && grep -q '"code":"connect-failed"' "$tmp/out"
result $? "info --json: nothing listening: exit 4, code connect-failed"

cli logs 127.0.0.1 --level chatty
[ "$rc" -eq 2 ] && grep -q 'chatty' "$tmp/err"
result $? "logs: unknown --level is a usage error"

cli logs 127.0.0.1 --port 70000
[ "$rc" -eq 2 ]
result $? "logs: --port out of range is a usage error"

cli info
[ "$rc" -eq 2 ]
result $? "info: HOST is required"

cli logs --help
[ "$rc" -eq 0 ] && grep -q -- '--dump-config' "$tmp/out" && grep -q -- '--no-color' "$tmp/out" && grep -q -- '--duration' "$tmp/out"
result $? "logs --help lists the contract's options"

# --- against the simulator -------------------------------------------------------
if "$ESPY_SIM" --help 2>&1 | grep -q -- '--log-rate' && \
   ! "$ESPY_SIM" --help 2>&1 | grep -- '--api-port' | grep -q 'not implemented'; then
  have_api=1
else
  have_api=0
fi

# start_sim ARGS...: runs espy-sim with a free API port; sets $api_port.
start_sim () {
  api_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$ESPY_SIM" --name logsim --ota-port 0 --api-port "$api_port" --log-rate 50 "$@" \
    >"$tmp/sim.out" 2>"$tmp/sim.err" &
  sim_pid=$!
  for _ in $(seq 50); do
    if python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' \
         "$api_port" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

if [ "$have_api" -eq 0 ]; then
  for t in "info --json over plaintext" "logs --duration --no-color prints plain lines" \
           "logs on a pipe has no ANSI codes" "info --json over Noise with --key-file" \
           "logs without a key on an encrypted device: exit 5" "logs with the wrong key: exit 5" \
           "logs --level error filters"; do
    skip "espy-sim has no native API yet: $t"
  done
  exit 0
fi

start_sim
cli info 127.0.0.1 --port "$api_port" --json
[ "$rc" -eq 0 ] && python3 - "$tmp/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
keys = ["name", "friendly_name", "mac", "esphome_version", "compilation_time", "model", "manufacturer",
        "project_name", "project_version", "webserver_port", "api_encryption_supported", "suggested_area",
        "uses_password", "api_version", "server_info"]
missing = [k for k in keys if k not in d]
assert not missing, missing
assert d["name"] == "logsim", d["name"]
assert d["esphome_version"], d
PY
result $? "info --json over plaintext: every key, the simulator's name"

cli logs 127.0.0.1 --port "$api_port" --duration 1.5 --no-color
[ "$rc" -eq 0 ] && [ "$(grep -c '^\[[EWICDV]' "$tmp/out")" -ge 3 ] && ! grep -q "$(printf '\033')" "$tmp/out"
result $? "logs --duration --no-color prints plain lines and exits 0"

cli logs 127.0.0.1 --port "$api_port" --duration 1
[ "$rc" -eq 0 ] && [ -s "$tmp/out" ] && ! grep -q "$(printf '\033')" "$tmp/out"
result $? "logs on a pipe has no ANSI codes"

cli logs 127.0.0.1 --port "$api_port" --duration 1.5 --level error --no-color
[ "$rc" -eq 0 ] && ! grep -q '^\[[WICDV]\]' "$tmp/out"
result $? "logs --level error filters"
stop_sim

start_sim --api-key "$KEY"
cli info 127.0.0.1 --port "$api_port" --key-file "$tmp/key" --json
[ "$rc" -eq 0 ] && grep -q '"encrypted":true' "$tmp/out" && no_key
result $? "info --json over Noise with --key-file"

cli logs 127.0.0.1 --port "$api_port" --duration 2
[ "$rc" -eq 5 ] && one_error_line && grep -q -- '--key-file' "$tmp/err"
result $? "logs without a key on an encrypted device: exit 5, says --key-file"

printf '%s\n' "$OTHER_KEY" >"$tmp/other-key"
cli logs 127.0.0.1 --port "$api_port" --key-file "$tmp/other-key" --duration 2
[ "$rc" -eq 5 ] && one_error_line && no_key
result $? "logs with the wrong key: exit 5, key not shown"
stop_sim
