#!/usr/bin/env bash
# Installs the system packages nmc needs when they are missing (Debian).
# Sourced (`source scripts/deps.sh`) by scripts/quickstart, scripts/test,
# scripts/release and .ci/run, so that $CMAKE reaches cargo; safe to run
# repeatedly.
set -euo pipefail

# Debian packages nmc builds with: a C compiler and make for the -sys
# crates, which build HDF5 and zlib from their bundled sources and link them
# into the binary (no libhdf5 at run time), cmake for HDF5's build, and
# python3-venv for a newer cmake when the system's is too old (below).
NMC_APT_PACKAGES=(gcc make cmake pkg-config python3-venv)
# With NMC_MPI=1, also what `--features mpi` needs: Open MPI's library,
# headers and launcher (`mpicc`, `mpirun`), and libclang, with which the
# `mpi` crate's build (bindgen) reads `mpi.h`.
if [ "${NMC_MPI:-0}" = "1" ]; then
  NMC_APT_PACKAGES+=(libopenmpi-dev openmpi-bin libclang-dev)
fi

missing=()
for pkg in "${NMC_APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "nmc: installing ${missing[*]} with apt-get" >&2
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi

# HDF5 2.x's build needs cmake 3.26 or newer; Debian 12 ships 3.25. Then a
# newer cmake from PyPI goes into a virtual environment under the user's
# cache, and the cmake crate finds it through $CMAKE.
nmc_cmake_ok() {
  local v
  v=$("$1" --version 2>/dev/null | sed -n 's/^cmake version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
  [ -n "$v" ] && set -- $v && { [ "$1" -gt 3 ] || { [ "$1" -eq 3 ] && [ "$2" -ge 26 ]; }; }
}
if [ -n "${CMAKE:-}" ] && nmc_cmake_ok "$CMAKE"; then
  :
elif nmc_cmake_ok cmake; then
  export CMAKE=cmake
else
  nmc_cmake_venv="${XDG_CACHE_HOME:-$HOME/.cache}/nmc/cmake-venv"
  if ! nmc_cmake_ok "$nmc_cmake_venv/bin/cmake"; then
    echo "nmc: cmake $(cmake --version 2>/dev/null | head -n1 | awk '{print $3}') is older than 3.26 (HDF5's build needs it); installing cmake from PyPI into $nmc_cmake_venv" >&2
    python3 -m venv "$nmc_cmake_venv"
    "$nmc_cmake_venv/bin/pip" install -q "cmake>=3.26,<4"
  fi
  export CMAKE="$nmc_cmake_venv/bin/cmake"
fi
command -v cargo >/dev/null || { echo "nmc: cargo not found; install Rust from https://rustup.rs" >&2; exit 2; }
