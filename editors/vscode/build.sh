#!/usr/bin/env bash
# Builds the VS Code extension: installs the locked npm dependencies and
# compiles the TypeScript client to out/. Needs node and npm (and the npm
# registry). Package it for installation with `npx @vscode/vsce package`.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
npm run compile
npm run check
test -f out/extension.js
echo "editors/vscode: built out/extension.js"
