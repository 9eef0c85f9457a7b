#!/usr/bin/env bash
# The whole test suite: installs missing system packages, builds, runs every test. Exit status = tests' status.
set -euo pipefail
cd "$(dirname "$0")/.."
./pipelines/setup.sh
swift build --build-tests
swift test --skip-build "$@"
