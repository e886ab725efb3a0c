#!/usr/bin/env bash
# Regenerates the media fixtures of test/lib/{h264,h265,aac,ps,mpegts} with Debian ffmpeg (libx264, libx265).
# Small on purpose (committed): 4 s of 640x360 at 25 fps, a keyframe every 25 frames, no B-frames; audio 2 s.
# Single-threaded encodes, so a run reproduces the same bytes. The tests assert properties of these exact encodes
# (sizes, counts, keyframe positions): re-run the tests after regenerating. Streams made only to be probed (10 s
# muxing checks, ffmpeg's own PS with B-frames) are made by the tests themselves in a temporary directory.
set -euo pipefail
cd "$(dirname "$0")/../test/fixtures/media"
ff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }
src=(-f lavfi -i testsrc2=size=640x360:rate=25 -t 4)

# H.264 High, Annex-B, GOP 25, no B-frames (VUI timing: 25 fps)
ff "${src[@]}" -threads 1 -c:v libx264 -preset veryfast -g 25 -keyint_min 25 -sc_threshold 0 -bf 0 \
  -b:v 150k -maxrate 160k -bufsize 160k -pix_fmt yuv420p -f h264 h264-640x360-25fps-gop25.h264

# H.265 Main, Annex-B, GOP 25, no B-frames
ff "${src[@]}" -threads 1 -c:v libx265 -preset veryfast -b:v 100k -pix_fmt yuv420p \
  -x265-params keyint=25:min-keyint=25:scenecut=0:bframes=0:vbv-maxrate=110:vbv-bufsize=110:pools=1:frame-threads=1:log-level=error \
  -f hevc h265-640x360-25fps-gop25.h265

# AAC-LC in ADTS, 44.1 kHz stereo, 2 s
ff -f lavfi -i sine=frequency=440:sample_rate=44100:duration=2 -ac 2 -c:a aac -b:a 48k -f adts aac-44100-stereo.aac

# G.711 A-law, 8 kHz mono, 2 s (raw samples)
ff -f lavfi -i sine=frequency=1000:sample_rate=8000:duration=2 -c:a pcm_alaw -f alaw g711a-8000-mono.alaw

# MPEG-TS with H.264 (320x180, GOP 25) and AAC-LC 48 kHz mono, 2 s
ff -f lavfi -i testsrc2=size=320x180:rate=25 -f lavfi -i sine=frequency=440:sample_rate=48000 -t 2 \
  -threads 1 -c:v libx264 -preset veryfast -g 25 -keyint_min 25 -sc_threshold 0 -bf 0 -b:v 100k -pix_fmt yuv420p \
  -c:a aac -b:a 32k -ac 1 -f mpegts h264-aac.ts

# MPEG-TS with H.265 (320x180, GOP 25), 1 s
ff -f lavfi -i testsrc2=size=320x180:rate=25 -t 1 -threads 1 -c:v libx265 -preset veryfast -b:v 100k -pix_fmt yuv420p \
  -x265-params keyint=25:min-keyint=25:scenecut=0:bframes=0:pools=1:frame-threads=1:log-level=error -f mpegts h265.ts

ls -l
