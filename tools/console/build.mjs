// Bundles the console (Preact, graphql-ws and the pages in src/) into one minified
// script and one stylesheet in graphql_server/static/console/ (committed as
// package data, next to index.html, the page served at /).
// Usage: npm ci && npm run build
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

const out = fileURLToPath(new URL("../../graphql_server/static/console/", import.meta.url));

await build({
  entryPoints: { console: "src/main.jsx" },
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  outdir: out,
  legalComments: "eof",
  jsx: "automatic",
  jsxImportSource: "preact",
  define: { "process.env.NODE_ENV": '"production"' },
  logLevel: "info",
});
