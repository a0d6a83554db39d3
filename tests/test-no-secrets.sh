#!/bin/sh
# test-no-secrets.sh: every espy-cli flow that handles a secret (upload,
# check, install with a firmware file, install that builds from a YAML with
# !secret passwords, web server upload), run with known secrets; fails if
# any of them shows up in any output, in the install log (JSON "log"
# events), in the attempt record (JSON "attempt") or in any file written
# under the test's own XDG and HOME directories (TAP).
#
# Copyright 2026 The Espy authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Needs ESPY_CLI, ESPY_SIM and ESPY_ESPHOME (meson sets them).

set -u

: "${ESPY_CLI:?ESPY_CLI must point to espy-cli}"
: "${ESPY_SIM:?ESPY_SIM must point to espy-sim}"
: "${ESPY_ESPHOME:?ESPY_ESPHOME must point to the esphome stand-in}"

OTA_SECRET='Ota-K9x-Known-Secret-4711'
WEB_SECRET='Web-Q2z-Known-Secret-0815'
WRONG_SECRET='Wrong-P7y-Known-Secret-1234'

tmp=$(mktemp -d "${TMPDIR:-/tmp}/espy-no-secrets.XXXXXX") || exit 99
sim_pid=
web_pid=

cleanup () {
  for pid in $sim_pid $web_pid; do
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Everything espy-cli may write goes below $tmp/home.
export HOME="$tmp/home"
export XDG_CONFIG_HOME="$tmp/home/config"
export XDG_DATA_HOME="$tmp/home/data"
export XDG_CACHE_HOME="$tmp/home/cache"
export XDG_STATE_HOME="$tmp/home/state"
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_STATE_HOME"
unset ESPY_PASSWORD

n=0
failed=0
result () {
  n=$((n + 1))
  if [ "$1" -eq 0 ]; then
    echo "ok $n - $2"
  else
    failed=1
    echo "not ok $n - $2"
  fi
}

# Every output of every run is kept, then searched at the end.
runs=0
cli () {
  runs=$((runs + 1))
  timeout 60 "$ESPY_CLI" "$@" >"$tmp/out.$runs" 2>"$tmp/err.$runs"
  rc=$?
}

# has_secret FILE...: TRUE when any known secret is in one of the files.
has_secret () {
  grep -l -F -e "$OTA_SECRET" -e "$WEB_SECRET" -e "$WRONG_SECRET" "$@" 2>/dev/null | sed 's/^/# secret in: /'
  grep -q -F -e "$OTA_SECRET" -e "$WEB_SECRET" -e "$WRONG_SECRET" "$@" 2>/dev/null
}

wait_port () {   # wait_port LOG NAME KIND: the port espy-sim printed
  i=0
  while [ $i -lt 100 ]; do
    p=$(sed -n "s/^espy-sim: $2 .*$3=127\\.0\\.0\\.1:\\([0-9][0-9]*\\).*/\\1/p" "$1" | head -n 1)
    [ -n "$p" ] && { echo "$p"; return 0; }
    sleep 0.1
    i=$((i + 1))
  done
  return 1
}

echo "1..9"

printf '%s\n' "$OTA_SECRET" >"$tmp/ota-password"
printf '%s\n' "$WEB_SECRET" >"$tmp/web-password"
printf '%s\n' "$WRONG_SECRET" >"$tmp/wrong"
{ printf '\351'; head -c 100000 /dev/zero | tr '\0' '\125'; } >"$tmp/firmware.bin"

"$ESPY_SIM" --name ns1 --ota-port 0 --password-file "$tmp/ota-password" --boot-seconds 0 \
  >"$tmp/sim.out" 2>"$tmp/sim.err" &
sim_pid=$!
port=$(wait_port "$tmp/sim.out" ns1 ota) || port=9
FAST="--handshake-timeout-ms 5000 --data-timeout-ms 10000 --retries 0"

# --- the flows ------------------------------------------------------------------
cli upload 127.0.0.1 "$tmp/firmware.bin" --port "$port" --password-file "$tmp/ota-password" --json $FAST
[ $rc -eq 0 ]
result $? "upload with the OTA password (exit $rc)"

# The device restarts after each upload: retry the connection meanwhile.
AFTER_REBOOT="--handshake-timeout-ms 5000 --retries 10 --retry-delay-ms 300"
cli upload 127.0.0.1 "$tmp/firmware.bin" --port "$port" --password-file "$tmp/wrong" --json $AFTER_REBOOT
[ $rc -eq 5 ]
result $? "upload with a wrong password fails (exit $rc)"

cli check 127.0.0.1 --port "$port" --password-file "$tmp/ota-password" --json
[ $rc -eq 0 ]
result $? "check with the OTA password (exit $rc)"

ESPY_PASSWORD="$OTA_SECRET" cli install 127.0.0.1 --firmware "$tmp/firmware.bin" --port "$port" --timeout 0 \
  --no-keyring --reboot-timeout-ms 15000 --verify-timeout-ms 0 --json
[ $rc -eq 0 ] && grep -q '"attempt":' "$tmp/out.$runs"
result $? "install --firmware with ESPY_PASSWORD (exit $rc)"

# A configuration folder whose secrets.yaml has the OTA and web passwords.
mkdir -p "$tmp/cfg"
cat >"$tmp/cfg/secrets.yaml" <<EOS
ota_password: "$OTA_SECRET"
web_password: "$WEB_SECRET"
EOS
cat >"$tmp/cfg/ns1.yaml" <<EOS
esphome:
  name: ns1
esp32:
  board: esp32dev
wifi:
  use_address: 127.0.0.1
web_server:
  port: 9
  auth:
    username: admin
    password: !secret web_password
ota:
  - platform: esphome
    port: $port
    password: !secret ota_password
EOS
cli install "$tmp/cfg/ns1.yaml" --timeout 0 --via ota --reboot-timeout-ms 15000 --verify-timeout-ms 0 --json
[ $rc -eq 0 ] && grep -q '"event":"log"' "$tmp/out.$runs" && grep -q '"built":true' "$tmp/out.$runs"
result $? "install from the YAML: builds, the password comes from secrets.yaml (exit $rc)"

# Wrong password in the YAML's secrets: the failure is reported without it.
sed -i "s/^ota_password: .*/ota_password: \"$WRONG_SECRET\"/" "$tmp/cfg/secrets.yaml"
cli update-all --config-dir "$tmp/cfg" --timeout 0.5 --offline skip --reboot-timeout-ms 15000 \
  --verify-timeout-ms 0 --json
[ $rc -ne 0 ] && grep -q '"event":"summary"' "$tmp/out.$runs"
result $? "update-all with a wrong password in secrets.yaml fails cleanly (exit $rc)"

# The web server: only when espy-sim has one.
if "$ESPY_SIM" --help 2>&1 | grep -q 'web_server port (not implemented'; then
  echo "ok 7 # SKIP espy-sim has no web server yet"
  n=$((n + 1))
else
  "$ESPY_SIM" --name ns2 --ota-port 0 --web-port 0 --web-user admin --web-password-file "$tmp/web-password" \
    --boot-seconds 0 >"$tmp/web.out" 2>"$tmp/web.err" &
  web_pid=$!
  web_port=$(wait_port "$tmp/web.out" ns2 web) || web_port=9
  cli upload 127.0.0.1 "$tmp/firmware.bin" --via web --web-port "$web_port" --web-user admin \
    --web-password-file "$tmp/web-password" --json
  ok_rc=$rc
  sleep 1  # the simulated device restarts after a web upload
  cli upload 127.0.0.1 "$tmp/firmware.bin" --via web --web-port "$web_port" --web-user admin \
    --web-password-file "$tmp/wrong" --json
  [ $ok_rc -eq 0 ] && [ $rc -eq 5 ]
  result $? "web upload with the right credentials (exit $ok_rc) and wrong ones (exit $rc)"
fi

# --- where a secret must never be -------------------------------------------------------
out_files=$(ls "$tmp"/out.* "$tmp"/err.*)
! has_secret $out_files
result $? "no secret in any stdout or stderr of $runs runs (JSON log lines and attempt records included)"

written=$(find "$tmp/home" -type f)
if [ -n "$written" ]; then
  ! has_secret $written
else
  true
fi
result $? "no secret in any file written under HOME and the XDG directories ($(echo "$written" | grep -c .) files)"

exit $failed
