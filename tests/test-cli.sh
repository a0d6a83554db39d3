#!/bin/sh
# test-cli.sh: espy-cli upload against a real espy-sim over loopback (TAP).
#
# Copyright 2026 The Espy authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Needs ESPY_CLI and ESPY_SIM (meson sets both).

set -u

: "${ESPY_CLI:?ESPY_CLI must point to espy-cli}"
: "${ESPY_SIM:?ESPY_SIM must point to espy-sim}"

PASSWORD='hunter2-Sim-Secret'
WRONG='wrong-XYZZY-guess'

tmp=$(mktemp -d "${TMPDIR:-/tmp}/espy-test-cli.XXXXXX") || exit 99
sim_pid=

cleanup () {
  if [ -n "$sim_pid" ]; then
    kill "$sim_pid" 2>/dev/null
    wait "$sim_pid" 2>/dev/null
  fi
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
    # Show what went wrong as TAP comments.
    for f in "$tmp/out" "$tmp/err"; do
      [ -f "$f" ] && sed 's/^/# /' "$f" | head -20
    done
  fi
}

# cli ARGS...: runs espy-cli, stdout in $tmp/out, stderr in $tmp/err, status in $rc.
# The short timeouts keep a broken run from hanging the suite.
cli () {
  timeout 30 "$ESPY_CLI" "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
}

# Nothing in either output may contain a password.
no_secret () {
  ! grep -q -e "$PASSWORD" -e "$WRONG" "$tmp/out" "$tmp/err"
}

json_code () {
  sed -n 's/.*"event":"result".*"code":"\([^"]*\)".*/\1/p' "$tmp/out"
}

echo "1..24"

# Test inputs.
printf '%s\n' "$PASSWORD" >"$tmp/password"
printf '%s\n' "$WRONG" >"$tmp/wrong"
# An ESP app image: 0xE9, then a filler with nothing at 0x8000 that could
# look like a partition table.
{ printf '\351'; head -c 300000 /dev/zero | tr '\0' '\125'; } >"$tmp/firmware.bin"
# A factory image: app magic and at 0x8000 a partition table whose first entry
# is an app partition at 0x10000 (AA 50, type 0, subtype 0, offset LE).
{ printf '\351'; head -c 32767 /dev/zero; printf '\252\120\000\000\000\000\001\000'; head -c 40000 /dev/zero; } \
  >"$tmp/firmware.factory.bin"

# --- the simulator -------------------------------------------------------------
"$ESPY_SIM" --name t1 --ota-port 0 --password-file "$tmp/password" --boot-seconds 0 \
  >"$tmp/sim.out" 2>"$tmp/sim.err" &
sim_pid=$!

port=
i=0
while [ $i -lt 100 ]; do
  port=$(sed -n 's/^espy-sim: t1 ota=127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$tmp/sim.out" | head -n 1)
  [ -n "$port" ] && break
  kill -0 "$sim_pid" 2>/dev/null || break
  sleep 0.1
  i=$((i + 1))
done
if [ -n "$port" ]; then
  result 0 "espy-sim started, OTA port $port"
else
  result 1 "espy-sim started (no 'espy-sim: t1 ota=127.0.0.1:PORT' line)"
  sed 's/^/# sim: /' "$tmp/sim.out" "$tmp/sim.err" | head -20
  port=9
fi

FAST="--handshake-timeout-ms 5000 --data-timeout-ms 10000 --retries 0"

# --- refused before anything is sent ---------------------------------------------
cli upload 127.0.0.1 "$tmp/firmware.bin" --port "$port" --password "$PASSWORD"
[ $rc -eq 2 ] && grep -q 'ESPY_PASSWORD' "$tmp/err" && no_secret
result $? "--password on the command line is refused (exit 2) without echoing it"

cli upload 127.0.0.1 "$tmp/firmware.bin" --port "$port" --password="$PASSWORD"
[ $rc -eq 2 ] && no_secret
result $? "--password=VALUE is refused too"

cli upload 127.0.0.1 "$tmp/no-such-firmware.bin" --port "$port" --json $FAST
[ $rc -eq 3 ] && grep -q '^espy-cli: .*no-such-firmware\.bin' "$tmp/err" \
  && [ "$(json_code)" = firmware-read ] && ! grep -q '"event":"stage"' "$tmp/out"
result $? "missing firmware file: exit 3, names the file, never connects"

cli upload 127.0.0.1 "$tmp/firmware.factory.bin" --port "$port" $FAST
[ $rc -eq 3 ] && grep -q '^espy-cli: .*factory image' "$tmp/err" && grep -q 'firmware.ota.bin' "$tmp/err" \
  && ! grep -q 'Connecting' "$tmp/out"
result $? "factory image refused with advice (exit 3)"

printf 'esphome:\n  name: t1\n' >"$tmp/t1.yaml"
cli upload 127.0.0.1 "$tmp/t1.yaml" --port "$port" $FAST
[ $rc -eq 3 ] && grep -q '^espy-cli: .*t1\.yaml.*not a firmware image' "$tmp/err"
result $? "a YAML file is not firmware (exit 3)"

cli upload 127.0.0.1 "$tmp/firmware.bin" --port "$port" --password-file "$tmp/no-such-password"
[ $rc -eq 3 ] && grep -q '^espy-cli: .*password file' "$tmp/err"
result $? "unreadable password file: exit 3"

# Port 9 (discard) has no listener on the sandbox's loopback.
cli upload 127.0.0.1 "$tmp/firmware.bin" --via web --web-port 9 --json $FAST
[ $rc -eq 4 ] && [ "$(json_code)" = connect ] && grep -q '"stage":"connect"' "$tmp/out"
result $? "--via web, nothing listening: exit 4, code connect"

cli upload 127.0.0.1 "$tmp/firmware.bin" --via web --web-password-file "$tmp/password"
[ $rc -eq 2 ] && grep -q 'needs --web-user' "$tmp/err" && no_secret
result $? "--web-password-file without --web-user: exit 2"

cli install 127.0.0.1 --timeout 0 --no-keyring
[ $rc -eq 2 ] && grep -q '^espy-cli: nothing to install' "$tmp/err"
result $? "install without --firmware or a configuration: exit 2"

cli update-all
[ $rc -eq 2 ] && grep -q 'needs --config-dir' "$tmp/err"
result $? "update-all without --config-dir: exit 2"

cli frobnicate 127.0.0.1
[ $rc -eq 2 ] && grep -q "^espy-cli: unknown command “frobnicate”" "$tmp/err"
result $? "unknown subcommand: exit 2 with a pointer to --help"

# --- authentication ------------------------------------------------------------------
cli upload 127.0.0.1 "$tmp/firmware.bin" --port "$port" --password-file "$tmp/wrong" --json $FAST
[ $rc -eq 5 ] && [ "$(json_code)" = password-rejected ] && grep -q '"ok":false' "$tmp/out" \
  && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q '^espy-cli: ' "$tmp/err" && no_secret
result $? "wrong password: exit 5, code password-rejected, one stderr line, no password printed"

(unset ESPY_PASSWORD; cli upload 127.0.0.1 "$tmp/firmware.bin" --port "$port" --json $FAST; exit $rc)
rc=$?
[ $rc -eq 5 ] && [ "$(json_code)" = password-required ]
result $? "no password for a device that needs one: exit 5, code password-required"

# --- check: authentication only ------------------------------------------------------
cli check 127.0.0.1 --port "$port" --password-file "$tmp/password"
[ $rc -eq 0 ] && grep -q 'password works' "$tmp/out" && no_secret
result $? "check with the right password: exit 0, says it works"

cli check 127.0.0.1 --port "$port" --password-file "$tmp/wrong" --json
[ $rc -eq 5 ] && [ "$(json_code)" = password-rejected ] && no_secret
result $? "check with a wrong password: exit 5, code password-rejected"

cli check 127.0.0.1 --port "$port" --password "$PASSWORD"
[ $rc -eq 2 ] && no_secret
result $? "check refuses a password on the command line"

# --- a real upload ----------------------------------------------------------------------
cli upload 127.0.0.1 "$tmp/firmware.bin" --port "$port" --password-file "$tmp/password" --json $FAST
[ $rc -eq 0 ] && no_secret
result $? "upload with --password-file and --json succeeds (exit 0)"

stages=$(sed -n 's/.*"event":"stage","stage":"\([a-z]*\)".*/\1/p' "$tmp/out" | tr '\n' ' ')
[ "$stages" = "connect handshake auth prepare upload verify reboot " ]
result $? "stage events in order ($stages)"

last_progress=$(grep '"event":"progress"' "$tmp/out" | tail -n 1)
sent=$(echo "$last_progress" | sed -n 's/.*"sent":\([0-9]*\).*/\1/p')
acked=$(echo "$last_progress" | sed -n 's/.*"acked":\([0-9]*\).*/\1/p')
total=$(echo "$last_progress" | sed -n 's/.*"total":\([0-9]*\).*/\1/p')
[ -n "$total" ] && [ "$total" -gt 0 ] && [ "$sent" = "$total" ] && [ "$acked" = "$total" ]
result $? "progress events end with sent = acked = total ($last_progress)"

tail -n 1 "$tmp/out" | grep -q '^{"event":"result","ok":true}$'
result $? "the last line is the result, ok:true"

# The device reboots after an upload: allow a few connection retries.
ESPY_PASSWORD="$PASSWORD" cli upload 127.0.0.1 "$tmp/firmware.bin" --port "$port" \
  --handshake-timeout-ms 5000 --retries 10 --retry-delay-ms 300
[ $rc -eq 0 ] && grep -q '^Uploading' "$tmp/out" && tail -n 1 "$tmp/out" | grep -q '^Done' \
  && [ ! -s "$tmp/err" ] && no_secret
result $? "ESPY_PASSWORD from the environment, plain output when not a terminal"

# The whole job: upload, wait for the restart, check; the result carries the record.
ESPY_PASSWORD="$PASSWORD" cli install 127.0.0.1 --firmware "$tmp/firmware.bin" --port "$port" --timeout 0 \
  --no-keyring --via ota --reboot-timeout-ms 15000 --verify-timeout-ms 0 --json
[ $rc -eq 0 ] && tail -n 1 "$tmp/out" | grep -q '^{"event":"result","ok":true,"attempt":{' \
  && grep -q '"stage":"restart"' "$tmp/out" && grep -q '"transport":"ota"' "$tmp/out" && no_secret
result $? "install --firmware: stages through restart, ok, attempt record, no secret"

# --- network failure ------------------------------------------------------------------
kill "$sim_pid" 2>/dev/null
wait "$sim_pid" 2>/dev/null
sim_pid=
cli upload 127.0.0.1 "$tmp/firmware.bin" --port "$port" --json $FAST
[ $rc -eq 4 ] && [ "$(json_code)" = connection-refused ]
result $? "nothing listening: exit 4, code connection-refused"
