#!/usr/bin/env bash
# Installs the Debian tools the test suite drives as independent peers (browser, ffmpeg, sipp) when missing.
# Runs apt-get only as root and only when something is missing.
set -u
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v ffmpeg >/dev/null || need+=(ffmpeg)
command -v sipp >/dev/null || need+=(sip-tester)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "test tools missing (${need[*]}); run as root or install them: apt-get install ${need[*]}" >&2
  exit 0
fi
echo "installing test tools: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || apt-get update
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || apt-get install -y --no-install-recommends "${need[@]}"
