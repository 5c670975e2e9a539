// Checks that both TextMate grammars are valid JSON, that every regex in
// them compiles, and that sample lines get the scopes they should.
"use strict";
const fs = require("fs");
const path = require("path");

function regexes(node, out) {
  if (Array.isArray(node)) node.forEach((n) => regexes(n, out));
  else if (node && typeof node === "object") {
    for (const [k, v] of Object.entries(node)) {
      if ((k === "match" || k === "begin" || k === "end") && typeof v === "string") out.push(v);
      else regexes(v, out);
    }
  }
  return out;
}

let failed = 0;
const samples = {
  "nmodl.tmLanguage.json": [["keyword.other.block.nmodl", "BREAKPOINT {"], ["storage.modifier.neuron.nmodl", "  SUFFIX hh"], ["comment.line.colon.nmodl", ": a comment"]],
  "ndl.tmLanguage.json": [["keyword.other.ndl", "cell Pyr {"], ["comment.line.double-slash.ndl", "// note"], ["constant.numeric.ndl", "L = 10 um"]],
};
for (const file of Object.keys(samples)) {
  const g = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "syntaxes", file), "utf8"));
  const all = regexes(g, []);
  for (const r of all) {
    try {
      new RegExp(r, "m");
    } catch (e) {
      console.error(`${file}: bad regex ${r}: ${e.message}`);
      failed++;
    }
  }
  // Every sample line is matched by some rule whose scope (or capture scope) is the expected one.
  const rules = [];
  (function collect(n) {
    if (Array.isArray(n)) return n.forEach(collect);
    if (!n || typeof n !== "object") return;
    if (typeof n.match === "string" || typeof n.begin === "string") rules.push(n);
    Object.values(n).forEach(collect);
  })(g.repository);
  for (const [scope, line] of samples[file]) {
    const hit = rules.some((r) => {
      const scopes = [r.name, ...Object.values(r.captures || {}).map((c) => c.name)];
      return scopes.includes(scope) && new RegExp(r.match || r.begin, "m").test(line);
    });
    if (!hit) {
      console.error(`${file}: no rule gives ${scope} to ${JSON.stringify(line)}`);
      failed++;
    }
  }
  console.log(`${file}: ${all.length} regexes compile`);
}
process.exit(failed ? 1 : 0);
