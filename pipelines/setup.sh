#!/usr/bin/env bash
# Installs the Debian packages MVD needs, only when some are missing. Safe to run any number of times.
set -euo pipefail

packages=(
  pkg-config
  libopenblas-dev libdnnl-dev
  libhdf5-dev hdf5-tools
  libavformat-dev libavcodec-dev libswscale-dev libavutil-dev
  ffmpeg
  zlib1g-dev
  libssl-dev
  # Open MPI: a build-time dependency (the CollectiveMPI target links it); mpirun runs distill and extract-features
  # over several processes or machines. A single-process run never starts MPI.
  libopenmpi-dev openmpi-bin
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all system packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
