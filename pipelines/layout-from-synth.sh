#!/usr/bin/env bash
# Lays out the classic `mvd synth` dataset (10 classes: 4 appearance, 6 motion; 64×64, 48 frames, other objects and
# motions than the two-task world) as an experiment dataset, to run pipelines/experiment.sh on data it was not
# designed on:
#   DIR/unlabeled.csv          the videos of a second, independently seeded synth dataset (labels unused)
#   DIR/appearance/*.csv       the appearance classes (disk, square, triangle, checkered square), labels 0-3
#   DIR/motion/*.csv           the motion classes (bar moving right/left, rotating cw/ccw, growing/shrinking), labels 0-5
# Usage: pipelines/layout-from-synth.sh DIR   (then: pipelines/experiment.sh --data DIR --out OUT)
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="${1:?usage: pipelines/layout-from-synth.sh DIR}"
[ -e "$DIR" ] && { echo "layout-from-synth: $DIR exists; choose a new folder" >&2; exit 2; }
./pipelines/setup.sh
swift build -c release --product mvd
B=.build/release/mvd
"$B" synth --out "$DIR/labelled" --videos-per-class 32 --val-videos-per-class 32 --seed 0 --nuisance low --objects 4
"$B" synth --out "$DIR/pool" --videos-per-class 150 --val-videos-per-class 0 --seed 1 --nuisance low --objects 4
awk '{ print "pool/" $1, 0 }' "$DIR/pool/train.csv" > "$DIR/unlabeled.csv"
mkdir -p "$DIR/appearance" "$DIR/motion"
for split in train val; do
  awk '$2 < 4 { print "labelled/" $1, $2 }' "$DIR/labelled/$split.csv" > "$DIR/appearance/$split.csv"
  awk '$2 >= 4 { print "labelled/" $1, $2 - 4 }' "$DIR/labelled/$split.csv" > "$DIR/motion/$split.csv"
done
wc -l "$DIR/unlabeled.csv" "$DIR"/appearance/*.csv "$DIR"/motion/*.csv
