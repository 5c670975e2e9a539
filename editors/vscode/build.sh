#!/usr/bin/env bash
# Builds the VS Code extension and packages it: installs the locked npm
# dependencies, type-checks the TypeScript client, bundles it with its
# dependencies into one file (esbuild, out/extension.js), checks the
# grammars, and writes nmc-lsp-<version>.vsix (vsce; .vscodeignore keeps
# sources and node_modules out). Needs node and npm (and the npm registry).
# Install with `code --install-extension nmc-lsp-<version>.vsix`.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
npm run typecheck
npm run bundle
npm run check
test -f out/extension.js
# The licence files go into the package (vsce wants a LICENSE).
{
  echo "nmc is dual-licensed under the MIT licence or the Apache License 2.0, at your option."
  echo
  cat ../../LICENSE-MIT
  echo
  cat ../../LICENSE-APACHE
} > LICENSE
npm run package
vsix=$(ls -t ./*.vsix | head -n1)
echo "editors/vscode: built $vsix"
unzip -l "$vsix"
