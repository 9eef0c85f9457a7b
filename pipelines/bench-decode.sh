#!/usr/bin/env bash
# Decode speed of our reader next to the ffmpeg CLI on the same file, at 1 and 2 codec threads,
# plus the cost of one 16x224x224 pre-training clip (decode + multi-scale crop + resize).
# Usage: pipelines/bench-decode.sh [FILE]   (default: a 10 s, 30 fps, 568x320 H.264 (x264 needs an even width) testsrc2 clip made here)
set -euo pipefail
cd "$(dirname "$0")/.."

FILE="${1:-/tmp/mvd-bench-568x320.mp4}"
if [ ! -f "$FILE" ]; then
  ffmpeg -nostdin -y -loglevel error -f lavfi -i testsrc2=size=568x320:rate=30:duration=10 \
    -c:v libx264 -preset medium -pix_fmt yuv420p "$FILE"
fi

swift build -c release --product mvd
.build/release/mvd bench-decode --file "$FILE" --threads 1 2 --repeats 3 --clips 20 --input-size 224

FRAMES=$(ffprobe -v error -count_packets -select_streams v:0 -show_entries stream=nb_read_packets -of csv=p=0 "$FILE")
for THREADS in 1 2; do
  for RUN in 1 2 3; do
    ffmpeg -nostdin -benchmark -threads "$THREADS" -i "$FILE" -f null - 2>&1 | grep -o 'rtime=[0-9.]*s' \
      | tr -d 'rtimes=' | awk -v n="$FRAMES" -v t="$THREADS" '{ printf "ffmpeg -threads %d -f null: %d frames in %.3f s = %.0f frames/s\n", t, n, $1, n / $1 }'
  done
done
