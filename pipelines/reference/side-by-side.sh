#!/usr/bin/env bash
# Our bench and PyTorch's, side by side on this machine: the same shapes and thread count, alternating rounds (the
# host's speed drifts), then one table with the medians, our speed-up over PyTorch, the fraction of the measured
# arithmetic peak each reaches on the teacher forwards, and the teacher cache's speed-up (step with both teachers
# in it ÷ step from the cache).
#
# Usage: pipelines/reference/side-by-side.sh [--python PY] [--threads N] [--precision fp32,bf16] [--rounds R] [--out DIR]
#   --python PY     a Python with torch (default python3); PyTorch is not needed by the build or the tests
#   --threads N     threads of both (default 2)
#   --precision P   fp32, bf16 or fp32,bf16 (default fp32,bf16; bf16 is PyTorch's CPU autocast)
#   --rounds R      alternating rounds (default 2); each figure is the median over the rounds' medians
#   --out DIR       where the raw JSON lines go (default side-by-side-out)
# The peaks are a 512-bit FMA loop (fp32) and a vdpbf16ps loop (bf16), from `mvd bench --peak`. On CPUs with AMX,
# oneDNN's bf16 products run on the tile unit and can exceed the vdpbf16ps loop.
set -euo pipefail
cd "$(dirname "$0")/../.."

PY=python3 THREADS=2 PRECISION=fp32,bf16 ROUNDS=2 OUT=side-by-side-out
while [ $# -gt 0 ]; do
  case "$1" in
    --python) PY="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --precision) PRECISION="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "side-by-side: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
"$PY" -c "import torch" 2>/dev/null || { echo "side-by-side: $PY cannot import torch; pass --python with one that can" >&2; exit 2; }
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "side-by-side: --rounds must be a positive integer, not '$ROUNDS'" >&2; exit 2; }

swift build -c release --product mvd
mkdir -p "$OUT"
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}; $THREADS threads; $PRECISION; $ROUNDS rounds -> $OUT"
for round in $(seq 1 "$ROUNDS"); do
  echo "round $round: mvd bench"
  .build/release/mvd bench --json --peak --teachers --student --skip-gemm --skip-block --threads "$THREADS" \
    --precision "$PRECISION" > "$OUT/ours-$round.jsonl" 2> "$OUT/ours-$round.log"
  echo "round $round: PyTorch"
  "$PY" pipelines/reference/torch_cpu_bench.py --threads "$THREADS" --what teachers,student --precision "$PRECISION" \
    > "$OUT/torch-$round.jsonl" 2> "$OUT/torch-$round.log"
done

"$PY" - "$OUT" "$ROUNDS" <<'EOF'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])

def lines(name):
    return [json.loads(l) for r in range(1, rounds + 1) for l in open(f"{out}/{name}-{r}.jsonl") if l.startswith("{")]

ours, torch = lines("ours"), lines("torch")
peaks = {r["precision"]: statistics.median(x["gflops"] for x in ours if x["what"] == "peak" and x["precision"] == r["precision"])
         for r in ours if r["what"] == "peak"}

def vit_flops(dim, tokens, patch_values, clips=1):
    # 12 pre-norm blocks (qkv, projection, MLP 4×, two attention products) and the patch embedding
    block = 24 * tokens * dim * dim + 4 * tokens * tokens * dim
    return clips * (12 * block + 2 * tokens * dim * patch_values)

models = {"vit_small": 384, "vit_base": 768}
rows = []
for precision in sorted({r["precision"] for r in ours if r["what"] != "peak"}):
    for model, dim in models.items():
        for kind, torch_what, flops in [("image", "image_teacher", vit_flops(dim, 197, 768, clips=8)),
                                        ("video", "video_teacher", vit_flops(dim, 1568, 1536))]:
            a = [r["seconds"] for r in ours if r["what"] == "teacher-forward" and r["model"] == model and r["kind"] == kind
                 and r["precision"] == precision]
            b = [r["seconds_per_clip"] for r in torch if r["what"] == torch_what and r["arch"] == model and r["precision"] == precision]
            if a and b:
                rows.append((f"{model} {kind} teacher", precision, statistics.median(a), statistics.median(b), flops))
    for batch in (1, 2):
        for kind, torch_what in [("student-from-cache", "student_step_cached"), ("student-with-teachers", "student_step_online_teachers")]:
            a = [r["seconds"] for r in ours if r["what"] == "student-step" and r["kind"] == kind and r.get("batch") == batch
                 and r["precision"] == precision]
            b = [r["seconds"] for r in torch if r["what"] == torch_what and r["batch"] == batch and r["precision"] == precision]
            if a and b:
                rows.append((f"ViT-S {kind} b{batch}", precision, statistics.median(a), statistics.median(b), None))

print("\npeaks (GFLOP/s): " + ", ".join(f"{p} {g:.0f}" for p, g in sorted(peaks.items())))
print(f"\n| what | precision | ours s | PyTorch s | ours ÷ PyTorch speed | ours % of peak | PyTorch % of peak |")
print("|---|---|---|---|---|---|---|")
for what, precision, a, b, flops in rows:
    frac = lambda s: f"{100 * flops / s / 1e9 / peaks[precision]:.0f}%" if flops and precision in peaks else "—"
    print(f"| {what} | {precision} | {a:.3f} | {b:.3f} | {b / a:.2f}× | {frac(a)} | {frac(b)} |")
for precision in sorted({r[1] for r in rows}):
    step = {what: (a, b) for what, p, a, b, _ in rows if p == precision}
    for batch in (1, 2):
        cached, online = step.get(f"ViT-S student-from-cache b{batch}"), step.get(f"ViT-S student-with-teachers b{batch}")
        if cached and online:
            print(f"teacher-cache speed-up, {precision}, batch {batch}: ours {online[0] / cached[0]:.1f}×, PyTorch {online[1] / cached[1]:.1f}×")
EOF
