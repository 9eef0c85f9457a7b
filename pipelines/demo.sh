#!/usr/bin/env bash
# The README's demo: the experiment of docs/experiment/README.md, one seed on a smaller two-task world (~20-30 minutes
# on 2 cores after the build, the four students' fine-tuning included). It shows the transfer check (a supervised
# teacher distilled into a student through the feature cache, against an untrained teacher) and a one-seed version of
# the paper's comparisons, under frozen probes and fine-tuning.
# Usage: pipelines/demo.sh [OUTPUT_DIR]   (default: demo-out)
set -euo pipefail
cd "$(dirname "$0")/.."
exec ./pipelines/experiment.sh --quick --out "${1:-demo-out}"
