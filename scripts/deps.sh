#!/usr/bin/env bash
# Installs the system packages nmc needs when they are missing (Debian).
# Sourced by scripts/quickstart and scripts/test; safe to run repeatedly.
set -euo pipefail

# Debian packages nmc builds against: a C compiler for -sys crates, HDF5 for SONATA files.
NMC_APT_PACKAGES=(gcc libhdf5-dev pkg-config)
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
command -v cargo >/dev/null || { echo "nmc: cargo not found; install Rust from https://rustup.rs" >&2; exit 2; }
