#!/usr/bin/env bash
# Headless check of the Neovim set-up (editors/nvim/nmc.lua): Neovim opens
# a broken .mod file, nmc's language server runs, and its diagnostics
# arrive in Neovim. Prints the Neovim version, the filetype and every
# diagnostic; exits 0 when the expected one (E0201, an undefined name, on
# line 12) arrived, 1 otherwise. Usage: editors/nvim/check.sh [NMC]
# (default: target/release/nmc; build it first).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
nmc="$(realpath "${1:-$root/target/release/nmc}")"
command -v nvim >/dev/null || { echo "check: nvim not found (Debian: apt-get install neovim)" >&2; exit 2; }
[ -x "$nmc" ] || { echo "check: $nmc not found; cargo build --release" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# A channel whose conductance uses a name declared nowhere.
cat >"$work/broken.mod" <<'MOD'
NEURON {
    SUFFIX leakish
    NONSPECIFIC_CURRENT i
    RANGE g, e
}
UNITS { (mA) = (milliamp) (mV) = (millivolt) (S) = (siemens) }
PARAMETER { g = 0.001 (S/cm2) e = -65 (mV) }
ASSIGNED { v (mV) i (mA/cm2) }
BREAKPOINT {
    i = g*(v - e)
    : `gmax` is declared nowhere
    i = gmax*(v - e)
}
MOD
cat >"$work/report.lua" <<'LUA'
local buf = vim.api.nvim_get_current_buf()
local v = vim.version()
print(string.format("nvim %d.%d.%d, filetype %s", v.major, v.minor, v.patch, vim.bo[buf].filetype))
local arrived = vim.wait(15000, function() return #vim.diagnostic.get(buf) > 0 end, 100)
local found = false
for _, d in ipairs(vim.diagnostic.get(buf)) do
  print(string.format("%d:%d %s %s", d.lnum + 1, d.col + 1, tostring(d.code), d.message))
  if d.code == "E0201" and d.lnum + 1 == 12 then found = true end
end
if not arrived then print("no diagnostics arrived in 15 s") end
vim.cmd(found and "qall!" or "cquit!")
LUA
cd "$work"
# The same set-up a user's init.lua gets, with this nmc.
nvim --headless --clean \
  --cmd "let g:nmc_cmd = ['$nmc', 'lsp']" \
  -u "$root/editors/nvim/nmc.lua" \
  -c "source $work/report.lua" \
  broken.mod 2>&1 | tr '\r' '\n'
status=${PIPESTATUS[0]}
echo
if [ "$status" -eq 0 ]; then echo "check: nmc's diagnostics arrived in Neovim"; else echo "check: FAILED" >&2; fi
exit "$status"
