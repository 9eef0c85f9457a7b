#!/usr/bin/env bash
# The whole MVD pipeline on the built-in synthetic dataset, end to end, on a CPU:
#   set-up and build -> mvd synth -> stage 1 (an image teacher with MAE pixel targets on frames, a video teacher with
#   VideoMAE pixel targets) -> extract-features for both teachers into one cache -> four students with the same
#   budget (image teacher only, video teacher only, both = MVD, pixel-target VideoMAE baseline) -> k-NN and linear
#   probe on the appearance and the motion classes, next to an untrained encoder and the teachers themselves ->
#   one comparison table and PNG plots.
# Usage: pipelines/demo.sh [OUTPUT_DIR]   (default: demo-out)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-demo-out}"
CONFIGS=pipelines/configs
STUDENT_EPOCHS=12
# Learning rates are base values scaled by (samples per step) / 256 as in the original: batch 8 → × 1/32, so
# --lr 3e-2 gives an actual peak of 9.4e-4 (the image model sees 4 clips × 8 frames = 32 samples per step).
# Pixel targets are the pixels themselves (--pixel-norm none, VideoMAE's --normlize_target False): the synthetic
# backgrounds are flat, and per-patch normalisation would turn their faint noise into unpredictable targets.
START=$(date +%s)
stage() { echo; echo "=== [$(( $(date +%s) - START ))s] $*"; }

echo "MVD demo: about 12 minutes on 2 cores (a first release build takes 1-2 of them); results in $OUT/"
stage "set-up and release build"
./pipelines/setup.sh
swift build -c release --product mvd
B=.build/release
mkdir -p "$OUT"

stage "synthetic dataset: 10 classes (4 appearance, 6 motion), 24 train + 8 val videos each, 4 copies of the object per video"
"$B/mvd" synth --out "$OUT/data" --videos-per-class 24 --val-videos-per-class 8 --size 64 --frames 48 --seed 0 \
  --nuisance low --objects 4

stage "baseline: an untrained encoder of the students' shape, k-NN and linear probe"
"$B/mvd" evaluate --random-init --model-config "$CONFIGS/demo_student.json" --protocol knn,linear \
  --train-manifest "$OUT/data/train.csv" --val-manifest "$OUT/data/val.csv" --data-root "$OUT/data" --sampling-rate 2 \
  --seed 0 --out "$OUT/untrained"

stage "views cache: 2 random pre-training views per video, pixels stored"
"$B/mvd" extract-features --teacher none --model-config "$CONFIGS/demo_teacher.json" --manifest "$OUT/data/train.csv" \
  --data-root "$OUT/data" --out "$OUT/cache.h5" --views-per-video 2 --view random --sampling-rate 2 --store-pixels --seed 0

stage "stage 1a: video teacher, VideoMAE pixel targets (tube mask 0.9)"
"$B/mvd" distill --cache "$OUT/cache.h5" --target pixels --pixel-norm none --out "$OUT/teacher-video" --model-config "$CONFIGS/demo_teacher.json" \
  --epochs 16 --batch-size 8 --lr 3e-2 --min-lr 3e-4 --warmup-epochs 2 --drop-path 0 --seed 1 --log-every 10 --save-every 200

stage "stage 1b: image teacher, MAE pixel targets on frames 0, 2, 4, … (random mask 0.75)"
"$B/mvd" distill --cache "$OUT/cache.h5" --target pixels --pixel-norm none --image-model --out "$OUT/teacher-image" \
  --model-config "$CONFIGS/demo_teacher.json" --epochs 12 --batch-size 4 --lr 8e-3 --min-lr 8e-5 --warmup-epochs 2 \
  --drop-path 0 --seed 2 --log-every 10 --save-every 200

stage "the video teacher itself: k-NN and linear probe"
"$B/mvd" evaluate --run "$OUT/teacher-video" --protocol knn,linear --train-manifest "$OUT/data/train.csv" \
  --val-manifest "$OUT/data/val.csv" --data-root "$OUT/data" --sampling-rate 2 --seed 0

stage "export both teachers and extract their features into the cache"
"$B/mvd" export "$OUT/teacher-video" --as video-teacher --format safetensors --out "$OUT/teacher-video.safetensors"
"$B/mvd" export "$OUT/teacher-image" --as image-teacher --format safetensors --out "$OUT/teacher-image.safetensors"
"$B/mvd" extract-features --teacher video --checkpoint "$OUT/teacher-video.safetensors" --model-config "$CONFIGS/demo_teacher.json" \
  --manifest "$OUT/data/train.csv" --data-root "$OUT/data" --out "$OUT/cache.h5" --views-per-video 2 --view random \
  --sampling-rate 2 --store-pixels --seed 0 --batch-size 8
"$B/mvd" extract-features --teacher image --checkpoint "$OUT/teacher-image.safetensors" --model-config "$CONFIGS/demo_teacher.json" \
  --manifest "$OUT/data/train.csv" --data-root "$OUT/data" --out "$OUT/cache.h5" --views-per-video 2 --view random \
  --sampling-rate 2 --store-pixels --seed 0 --batch-size 8
"$B/mvd" inspect "$OUT/cache.h5"

for student in image video both pixels; do
  case "$student" in
    image)  args=(--target features --teachers image) ;;
    video)  args=(--target features --teachers video) ;;
    both)   args=(--target features --teachers image,video) ;;
    pixels) args=(--target pixels --pixel-norm none --position-table sincos-3d) ;;
  esac
  stage "student '$student': $STUDENT_EPOCHS epochs, same model, batch and schedule"
  "$B/mvd" distill --cache "$OUT/cache.h5" "${args[@]}" --out "$OUT/student-$student" --model-config "$CONFIGS/demo_student.json" \
    --epochs "$STUDENT_EPOCHS" --batch-size 8 --lr 3e-2 --min-lr 3e-4 --warmup-epochs 2 --drop-path 0.1 --norm-targets \
    --seed 3 --log-every 10 --save-every 200
  stage "evaluate '$student': k-NN and linear probe on frozen features of the centre view"
  "$B/mvd" evaluate --run "$OUT/student-$student" --protocol knn,linear --train-manifest "$OUT/data/train.csv" \
    --val-manifest "$OUT/data/val.csv" --data-root "$OUT/data" --sampling-rate 2 --seed 0
done

stage "similarity of the two teachers' features over time (the paper's Figure 3)"
"$B/mvd" similarity --subject image --checkpoint "$OUT/teacher-image.safetensors" --model-config "$CONFIGS/demo_teacher.json" \
  --manifest "$OUT/data/val.csv" --data-root "$OUT/data" --max-videos 40 --sampling-rate 2 --out "$OUT/similarity-image-teacher"
"$B/mvd" similarity --subject video --checkpoint "$OUT/teacher-video.safetensors" --model-config "$CONFIGS/demo_teacher.json" \
  --manifest "$OUT/data/val.csv" --data-root "$OUT/data" --max-videos 40 --sampling-rate 2 --out "$OUT/similarity-video-teacher"

stage "plots and the comparison table"
"$B/mvd" plot-metrics "$OUT/teacher-video" "$OUT/teacher-image" --out "$OUT/loss-teachers.png" --title "stage 1 (pixel targets)"
"$B/mvd" plot-metrics "$OUT/student-image" "$OUT/student-video" "$OUT/student-both" "$OUT/student-pixels" \
  --out "$OUT/loss-students.png" --title "students (feature distillation vs pixels)"
"$B/mvd" report "$OUT/untrained" "$OUT/teacher-video" "$OUT/student-image" "$OUT/student-video" "$OUT/student-both" \
  "$OUT/student-pixels" --out "$OUT/comparison"
stage "done in $(( $(date +%s) - START ))s: $OUT/comparison.md, $OUT/*.png"
