#!/usr/bin/env bash
# Installs the Debian tools the test suite drives as independent peers (browser, ffmpeg, sipp) when missing.
# Runs apt-get only as root and only when something is missing.
set -u
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v ffmpeg >/dev/null || need+=(ffmpeg)
command -v sipp >/dev/null || need+=(sip-tester)
# a CJK font for download/snapshot watermarks (ffmpeg drawtext; user names are often Chinese)
fc-list ':lang=zh' file 2>/dev/null | grep -q . || need+=(fonts-noto-cjk fontconfig)
# GStreamer's RTSP server: the independent RTSP peer the pull tests read from (Debian's python3 with gi bindings)
/usr/bin/python3 -c "import gi; gi.require_version('GstRtspServer','1.0'); from gi.repository import GstRtspServer" 2>/dev/null ||
  need+=(python3-gi python3-gst-1.0 gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "test tools missing (${need[*]}); run as root or install them: apt-get install ${need[*]}" >&2
  exit 0
fi
echo "installing test tools: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || apt-get update
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || apt-get install -y --no-install-recommends "${need[@]}"
