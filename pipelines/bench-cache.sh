#!/usr/bin/env bash
# Feature cache throughput: float16 rows [1568, 768] and [1568, 384] written to and read from the HDF5 cache,
# against plain FileHandle I/O of the same bytes in the same folder. Reads come from the page cache.
# usage: pipelines/bench-cache.sh [FOLDER] [ROWS]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product featurestore-bench
.build/release/featurestore-bench "${1:-$PWD/.build}" "${2:-64}"
