#!/usr/bin/env bash
# Our bench and PyTorch's, side by side on this machine: the same shapes and thread count, alternating rounds (the
# host's speed drifts), then one table with the medians, our speed-up over PyTorch, each side's peak resident memory,
# and the fraction of the measured arithmetic peak each reaches on the teacher forwards.
#
# Usage: pipelines/reference/side-by-side.sh [--official DIR] [--python PY] [--threads N] [--precision P]
#                                            [--batches B,...] [--rounds R] [--profile] [--out DIR]
#   --official DIR  a checkout of the original MVD repository: every PyTorch figure then comes from its own modules
#                   (official_bench.py imports modeling_student, modeling_teacher, modeling_video_teacher,
#                   masking_generator and optim_factory from DIR, unmodified; its INSTALL.md pins timm 0.4.12). Without
#                   it, torch_cpu_bench.py's own models stand in (same shapes, no per-row memory).
#   --python PY     a Python with torch (default python3); PyTorch is not needed by the build or the tests
#   --threads N     threads of both (default 2)
#   --precision P   fp32, bf16 or fp32,bf16 (default: fp32,bf16 where the CPU has native bf16, else fp32; bf16 is
#                   PyTorch's CPU autocast)
#   --batches B,... batch sizes of the student step from the cache (default 1,4)
#   --rounds R      alternating rounds (default 2); each figure is the median over the rounds
#   --profile       also break one student step down by operation, ours and PyTorch's profiler (--official only)
#   --out DIR       where the raw JSON lines go (default side-by-side-out)
# Rows: ViT-B image teacher (8 frames of 224²), ViT-B video teacher (16×224²), ViT-S student step from the cache
# (two ViT-B-width targets, tube mask 75%, AdamW). Each row runs in its own process on both sides, so that the peak
# resident memory is the row's. The peaks are a 512-bit FMA loop (fp32; a 256-bit one on CPUs without AVX-512) and a
# vdpbf16ps loop (bf16), from `mvd bench --peak`. On CPUs with AMX, oneDNN's bf16 products run on the tile unit and
# can exceed the vdpbf16ps loop.
set -euo pipefail
cd "$(dirname "$0")/../.."

PY=python3 THREADS=2 PRECISION="" BATCHES=1,4 ROUNDS=2 OUT=side-by-side-out OFFICIAL="" PROFILE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --official) OFFICIAL="$2"; shift 2 ;;
    --python) PY="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --precision) PRECISION="$2"; shift 2 ;;
    --batches) BATCHES="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --profile) PROFILE=1; shift ;;
    --out) OUT="$2"; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "side-by-side: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
"$PY" -c "import torch" 2>/dev/null || { echo "side-by-side: $PY cannot import torch; pass --python with one that can" >&2; exit 2; }
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "side-by-side: --rounds must be a positive integer, not '$ROUNDS'" >&2; exit 2; }
[[ "$BATCHES" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || { echo "side-by-side: --batches must be sizes like 1,4, not '$BATCHES'" >&2; exit 2; }
if [ -n "$OFFICIAL" ]; then
  [ -f "$OFFICIAL/modeling_student.py" ] || { echo "side-by-side: $OFFICIAL has no modeling_student.py; pass a checkout of the original MVD repository" >&2; exit 2; }
  "$PY" -c "import timm, sys; sys.exit(timm.__version__ != '0.4.12')" 2>/dev/null \
    || echo "side-by-side: note: the original pins timm 0.4.12 (pip install timm==0.4.12 --no-deps); others may not import it" >&2
elif [ "$PROFILE" = 1 ]; then
  echo "side-by-side: --profile needs --official (the profile is of the original's step)" >&2; exit 2
fi
if [ -z "$PRECISION" ]; then
  PRECISION=fp32
  grep -qE 'avx512_bf16|amx_bf16' /proc/cpuinfo && PRECISION=fp32,bf16
fi

swift build -c release --product mvd
MVD=.build/release/mvd
mkdir -p "$OUT"
rm -f "$OUT"/*.jsonl
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}; $THREADS threads; $PRECISION; batches $BATCHES; $ROUNDS rounds; PyTorch: ${OFFICIAL:-torch_cpu_bench.py} -> $OUT"
common=(--json --skip-gemm --skip-block --threads "$THREADS")
"$MVD" bench "${common[@]}" --peak --precision "$PRECISION" > "$OUT/peak.jsonl" 2>> "$OUT/ours.log"
for round in $(seq 1 "$ROUNDS"); do
  for p in ${PRECISION//,/ }; do
    if [ -n "$OFFICIAL" ]; then
      for kind in image video; do
        echo "round $round, $p: ViT-B $kind teacher"
        "$MVD" bench "${common[@]}" --precision "$p" --teachers --teacher-models vit_base --teacher-kinds "$kind" \
          >> "$OUT/ours.jsonl" 2>> "$OUT/ours.log"
        "$PY" pipelines/reference/official_bench.py --official "$OFFICIAL" --row "$kind-teacher" --precision "$p" \
          --threads "$THREADS" >> "$OUT/torch.jsonl" 2>> "$OUT/torch.log"
      done
      for b in ${BATCHES//,/ }; do
        echo "round $round, $p: student step, batch $b"
        profile=()
        [ "$PROFILE" = 1 ] && [ "$round" = 1 ] && profile=(--profile)
        "$MVD" bench "${common[@]}" --precision "$p" --student --from-cache-only --student-batches "$b" "${profile[@]}" \
          >> "$OUT/ours.jsonl" 2>> "$OUT/ours.log"
        "$PY" pipelines/reference/official_bench.py --official "$OFFICIAL" --row student --batch "$b" --precision "$p" \
          --threads "$THREADS" "${profile[@]}" >> "$OUT/torch.jsonl" 2>> "$OUT/torch.log"
      done
    else
      echo "round $round, $p: mvd bench, then torch_cpu_bench.py"
      "$MVD" bench "${common[@]}" --precision "$p" --teachers --teacher-models vit_base --student --from-cache-only \
        --student-batches "$BATCHES" >> "$OUT/ours.jsonl" 2>> "$OUT/ours.log"
      "$PY" pipelines/reference/torch_cpu_bench.py --threads "$THREADS" --what teachers,student --precision "$p" \
        --batches "$BATCHES" >> "$OUT/torch.jsonl" 2>> "$OUT/torch.log"
    fi
  done
done

"$PY" - "$OUT" <<'EOF'
import json, os, statistics, sys
out = sys.argv[1]

def lines(name):
    path = f"{out}/{name}.jsonl"
    return [json.loads(l) for l in open(path) if l.startswith("{")] if os.path.exists(path) else []

ours, torch, peak_lines = lines("ours"), lines("torch"), lines("peak")
peaks = {}
for r in peak_lines:
    if r["what"] == "peak":
        peaks.setdefault(r["precision"], []).append(r["gflops"])
peaks = {p: statistics.median(g) for p, g in peaks.items()}

def vit_flops(dim, tokens, patch_values, clips=1):
    # 12 pre-norm blocks (qkv, projection, MLP 4×, two attention products) and the patch embedding
    block = 24 * tokens * dim * dim + 4 * tokens * tokens * dim
    return clips * (12 * block + 2 * tokens * dim * patch_values)

def torch_rows(what, precision, batch=None):
    # official_bench.py names rows image-teacher / video-teacher / student; torch_cpu_bench.py the older names
    names = {"image": ("image-teacher", "image_teacher"), "video": ("video-teacher", "video_teacher"),
             "student": ("student", "student_step_cached")}[what]
    return [r for r in torch if r["what"] in names and r["precision"] == precision
            and r.get("arch", "vit_base") == "vit_base" and (batch is None or r.get("batch") == batch)]

def median(rows, key):
    values = [r[key] for r in rows if key in r]
    return statistics.median(values) if values else None

rows = []
for precision in sorted({r["precision"] for r in ours if r["what"] != "peak"}):
    for kind, flops in [("image", vit_flops(768, 197, 768, clips=8)), ("video", vit_flops(768, 1568, 1536))]:
        a = [r for r in ours if r["what"] == "teacher-forward" and r["model"] == "vit_base" and r["kind"] == kind and r["precision"] == precision]
        b = torch_rows(kind, precision)
        bs = median(b, "seconds") or median(b, "seconds_per_clip")
        if a and bs:
            rows.append((f"ViT-B {kind} teacher, s/clip", precision, median(a, "seconds"), bs, flops, median(a, "peak_rss_mb"), median(b, "peak_rss_mb")))
    for batch in sorted({r["batch"] for r in ours if r["what"] == "student-step"}):
        a = [r for r in ours if r["what"] == "student-step" and r["kind"] == "student-from-cache" and r["batch"] == batch and r["precision"] == precision]
        b = torch_rows("student", precision, batch)
        if a and b:
            rows.append((f"ViT-S student step from the cache, batch {batch}, s/step", precision, median(a, "seconds"), median(b, "seconds"),
                         None, median(a, "peak_rss_mb"), median(b, "peak_rss_mb")))

print("\npeaks (GFLOP/s): " + (", ".join(f"{p} {g:.0f}" for p, g in sorted(peaks.items())) or "not measured"))
print("\n| what | precision | ours | PyTorch | ours ÷ PyTorch speed | ours % of peak | PyTorch % of peak | peak RSS ours | peak RSS PyTorch |")
print("|---|---|---|---|---|---|---|---|---|")
mb = lambda v: f"{v / 1024:.2f} GiB" if v else "—"
for what, precision, a, b, flops, ra, rb in rows:
    frac = lambda s: f"{100 * flops / s / 1e9 / peaks[precision]:.0f}%" if flops and precision in peaks else "—"
    print(f"| {what} | {precision} | {a:.3f} | {b:.3f} | {b / a:.2f}× | {frac(a)} | {frac(b)} | {mb(ra)} | {mb(rb)} |")

# The breakdowns of one step, in the categories both sides can name.
ours_profile = [r for r in ours if r["what"] == "profile"]
torch_profile = [r for r in torch if r["what"] == "profile"]
if ours_profile and torch_profile:
    fold = {"linear products": "linear products", "attention (scores, softmax, weighted sum)": "attention (products and softmax)",
            "layer norm": "layer norm", "GELU": "GELU", "loss": "losses", "AdamW update": "AdamW", "gradient norm": "gradient norm",
            "zeroing gradients": "AdamW"}
    torch_fold = {"attention products": "attention (products and softmax)", "softmax": "attention (products and softmax)",
                  "linear products": "linear products", "layer norm": "layer norm", "gelu": "GELU", "losses": "losses",
                  "optimizer": "AdamW", "grad norm": "gradient norm"}
    order = ["linear products", "attention (products and softmax)", "layer norm", "GELU", "losses", "gradient norm", "AdamW",
             "copies, conversions and the rest"]
    for key in sorted({(r["precision"], r["batch"]) for r in ours_profile}):
        mine, theirs = {}, {}
        for r in ours_profile:
            if (r["precision"], r["batch"]) == key:
                c = fold.get(r["kind"], "copies, conversions and the rest")
                mine[c] = mine.get(c, 0) + r["seconds"]
        for r in torch_profile:
            if (r["precision"], r["batch"]) == key:
                c = torch_fold.get(r["category"], "copies, conversions and the rest")
                theirs[c] = theirs.get(c, 0) + r["seconds"]
        print(f"\none student step, {key[0]}, batch {key[1]}, by operation (self time, ms; PyTorch: its profiler)")
        print("| operation | ours | PyTorch |\n|---|---|---|")
        for c in order:
            print(f"| {c} | {1000 * mine.get(c, 0):.0f} | {1000 * theirs.get(c, 0):.0f} |")
        print(f"| total | {1000 * sum(mine.values()):.0f} | {1000 * sum(theirs.values()):.0f} |")
        sections = {}
        for r in ours_profile:
            if (r["precision"], r["batch"]) == key:
                sections[r["section"]] = sections.get(r["section"], 0) + r["seconds"]
        print("ours by section: " + ", ".join(f"{s} {1000 * v:.0f} ms" for s, v in sorted(sections.items(), key=lambda kv: -kv[1])))
EOF
