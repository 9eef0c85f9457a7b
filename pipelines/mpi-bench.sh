#!/usr/bin/env bash
# One process × 2 threads against 2 processes × 1 thread on this machine, at the same total batch (2 clips): the
# students' step time (clips/s) and, for 2 processes, the gradient sum per step (MB, ms, share of the step), for
# ViT-S and ViT-B students with pixel targets (16×224², the default precision). Interleaved, REPEATS times each,
# so that drifts of a shared machine hit both alike.
# Usage: pipelines/mpi-bench.sh [OUT] [REPEATS]   (default: mpi-bench-out, 2)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-mpi-bench-out}" REPEATS="${2:-2}"
./pipelines/setup.sh
swift build -c release --product mvd
B=.build/release/mvd
mkdir -p "$OUT"
[ -f "$OUT/data/train.csv" ] || "$B" synth --out "$OUT/data" --videos-per-class 2 --val-videos-per-class 1 --size 128 --frames 40 > /dev/null
[ -f "$OUT/views.h5" ] || "$B" extract-features --teacher none --store-pixels --manifest "$OUT/data/train.csv" \
  --data-root "$OUT/data" --out "$OUT/views.h5" --views-per-video 1 --view random --sampling-rate 2 --seed 0 > "$OUT/views.log"
# Running as root needs Open MPI's consent; given to these children only.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
for arch in vit_small vit_base; do
  for rep in $(seq 1 "$REPEATS"); do
    rm -rf "$OUT/one" "$OUT/two"
    "$B" distill --cache "$OUT/views.h5" --target pixels --student "$arch" --out "$OUT/one" --batch-size 2 --epochs 1 \
      --threads 2 --log-every 1 --seed 1 > "$OUT/$arch-1x2-$rep.log" 2>&1
    mpirun -n 2 --oversubscribe "$B" distill --cache "$OUT/views.h5" --target pixels --student "$arch" --out "$OUT/two" \
      --batch-size 1 --epochs 1 --threads 1 --log-every 1 --seed 1 > "$OUT/$arch-2x1-$rep.log" 2>&1
    one=$(grep -oE '[0-9.]+ clips/s' "$OUT/$arch-1x2-$rep.log" | tail -n 1)
    two=$(grep -oE '[0-9.]+ clips/s' "$OUT/$arch-2x1-$rep.log" | tail -n 1)
    echo "$arch repeat $rep: 1 process × 2 threads $one, 2 processes × 1 thread $two"
    grep -E "^gradient sum" "$OUT/$arch-2x1-$rep.log" | sed 's/^/  /'
  done
done
