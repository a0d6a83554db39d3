#!/bin/sh
# test-cli-devices.sh: espy-cli discover and devices against espy-sim
# devices announced by the sandbox's real avahi-daemon, a configuration
# folder and a device added by address (TAP).
#
# Copyright 2026 The Espy authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Needs ESPY_CLI and ESPY_SIM (meson sets both) and runs inside
# tests/test-env.sh (private system bus with avahi-daemon); skips elsewhere.

set -u

: "${ESPY_CLI:?ESPY_CLI must point to espy-cli}"
: "${ESPY_SIM:?ESPY_SIM must point to espy-sim}"

if [ -z "${DBUS_SYSTEM_BUS_ADDRESS:-}" ]; then
  echo "1..0 # SKIP no private system bus with avahi-daemon (run inside tests/test-env.sh)"
  exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/espy-test-cli-devices.XXXXXX") || exit 99
pid_a=
pid_b=
pid_c=

cleanup () {
  for p in $pid_a $pid_b $pid_c; do
    kill "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Nothing of the user's (or another test's) manual devices: our own list.
XDG_DATA_HOME="$tmp/data"
export XDG_DATA_HOME
mkdir -p "$XDG_DATA_HOME/espy"

n=0
result () {
  n=$((n + 1))
  if [ "$1" -eq 0 ]; then
    echo "ok $n - $2"
  else
    echo "not ok $n - $2"
    for f in "$tmp/out" "$tmp/err"; do
      [ -s "$f" ] && sed 's/^/# /' "$f" | head -20
    done
  fi
}

# cli ARGS...: runs espy-cli, stdout in $tmp/out, stderr in $tmp/err, status in $rc.
cli () {
  timeout 20 "$ESPY_CLI" "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
}

# line NAME: the JSON line of device NAME in $tmp/out (empty when none).
line () {
  grep -F "\"name\":\"$1\"" "$tmp/out" | head -n 1
}

# has NAME FRAGMENT...: device NAME's line contains every FRAGMENT verbatim.
has () {
  l=$(line "$1")
  shift
  [ -n "$l" ] || return 1
  for fragment in "$@"; do
    case $l in
      *"$fragment"*) ;;
      *) echo "# missing $fragment in: $l"; return 1 ;;
    esac
  done
  return 0
}

# start_sim VAR NAME ARGS...: starts espy-sim, sets VAR to its pid and
# port_NAME-ish variable $port to its OTA port once it printed its ready line.
start_sim () {
  var=$1
  name=$2
  shift 2
  "$ESPY_SIM" --name "$name" --ota-port 0 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
  eval "$var=\$!"
  port=
  i=0
  while [ $i -lt 100 ]; do
    port=$(sed -n "s/^espy-sim: $name ota=127\\.0\\.0\\.1:\\([0-9][0-9]*\\).*/\\1/p" "$tmp/$name.out" | head -n 1)
    [ -n "$port" ] && return 0
    eval "kill -0 \$$var" 2>/dev/null || break
    sleep 0.1
    i=$((i + 1))
  done
  sed "s/^/# $name: /" "$tmp/$name.out" "$tmp/$name.err" | head -20
  port=9
  return 1
}

# discover_until COND: runs `discover --json` (up to 4 times) until COND holds.
discover_until () {
  tries=0
  while [ $tries -lt 4 ]; do
    cli discover --timeout 2 --json
    if [ $rc -eq 0 ] && eval "$1"; then
      return 0
    fi
    tries=$((tries + 1))
  done
  return 1
}

echo "1..8"

# --- simulators ------------------------------------------------------------------
start_sim pid_a espy-kitchen --publish --friendly-name "Kitchen Light" --version 2024.2.1 \
  --platform ESP8266 --generation 2024.2 --api-port 6100
result $? "published simulator A started (OTA port $port)"
port_a=$port

start_sim pid_b espy-garage --publish --friendly-name "Garage Door" --version 2026.1.0 \
  --platform ESP32 --board esp32-c3-devkitm-1 --generation 2026.1
result $? "published simulator B started (OTA port $port)"
port_b=$port

# Not announced: only reachable by address.
start_sim pid_c espy-shed --friendly-name "Shed" --version 2025.10.3 --verbose
result $? "unpublished simulator C started (OTA port $port)"
port_c=$port

# --- discover ------------------------------------------------------------------------
discover_until '[ -n "$(line espy-kitchen)" ] && [ -n "$(line espy-garage)" ]'
[ $rc -eq 0 ] && [ "$(grep -c . "$tmp/out")" -ge 2 ] && ! [ -n "$(line espy-shed)" ] \
  && has espy-kitchen '"friendly_name":"Kitchen Light"' '"address":"127.0.0.1"' '"port":6100' \
       '"version":"2024.2.1"' '"platform":"ESP8266"' '"board":"nodemcuv2"' '"network":"wifi"' \
       '"api_encryption":null' \
  && has espy-garage '"friendly_name":"Garage Door"' '"address":"127.0.0.1"' '"port":6053' \
       '"version":"2026.1.0"' '"platform":"ESP32"' '"board":"esp32-c3-devkitm-1"' '"network":"wifi"' \
       '"api_encryption":null' \
  && line espy-kitchen | grep -q '"mac":"[0-9a-f]\{12\}"' \
  && line espy-garage | grep -q '"mac":"[0-9a-f]\{12\}"' \
  && [ "$(line espy-kitchen | sed 's/.*"mac":"\([0-9a-f]*\)".*/\1/')" != \
       "$(line espy-garage | sed 's/.*"mac":"\([0-9a-f]*\)".*/\1/')" ]
result $? "discover --json lists both announced simulators with every field right (not the unannounced one)"

# --- a device that goes away ---------------------------------------------------------------
kill "$pid_a" 2>/dev/null
wait "$pid_a" 2>/dev/null
pid_a=
discover_until '[ -z "$(line espy-kitchen)" ]'
[ $rc -eq 0 ] && [ -z "$(line espy-kitchen)" ] && [ -n "$(line espy-garage)" ]
result $? "after simulator A stops, discover no longer lists it (B still there)"

# --- devices: configuration folder + mDNS + address --------------------------------------------
mkdir -p "$tmp/config"
cat >"$tmp/config/garage.yaml" <<EOF
esphome:
  name: espy-garage
  friendly_name: Garage Door

esp32:
  board: esp32-c3-devkitm-1

ota:
  - platform: esphome
    port: $port_b
EOF
cat >"$XDG_DATA_HOME/espy/manual-devices.json" <<EOF
{
  "version": 1,
  "devices": [
    { "name": "espy-shed", "address": "127.0.0.1", "ota_port": $port_c }
  ]
}
EOF

cli devices --json --timeout 2 --config-dir "$tmp/config"
[ $rc -eq 0 ] && [ "$(grep -c -F '"name":"espy-garage"' "$tmp/out")" -eq 1 ] \
  && has espy-garage '"sources":["mdns","config"]' "\"ota_port\":$port_b" '"online":true' \
       '"version":"2026.1.0"' '"address":"127.0.0.1"' "garage.yaml\"" \
  && line espy-garage | grep -q '"mac":"[0-9a-f]\{12\}"'
result $? "devices merges the config YAML and the mDNS announcement into one device (sources mdns+config)"

has espy-shed '"online":true' '"address":"127.0.0.1"' "\"ota_port\":$port_c" '"sources":["manual","probe"]' \
  && line espy-shed | grep -q '"reachability":"[^"]*OTA port'
result $? "a simulator added by address only is online through the probe, reachability names the OTA port"

# The probe only connects and closes: no OTA session started on the device
# (--verbose would report it "updating" or an upload).
[ -z "$(line espy-kitchen)" ] && kill -0 "$pid_c" 2>/dev/null \
  && ! grep -q -e 'updating' -e 'upload' "$tmp/espy-shed.err"
result $? "the stopped simulator is gone from devices too; the probe spoke no OTA to the probed one"
