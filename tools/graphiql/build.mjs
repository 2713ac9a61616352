// Bundles GraphiQL, React and graphql-ws into one minified script and one
// stylesheet in graphql_server/static/graphiql/ (committed as package data).
// Usage: npm ci && npm run build
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

const out = fileURLToPath(new URL("../../graphql_server/static/graphiql/", import.meta.url));

await build({
  entryPoints: { graphiql: "src/main.jsx" },
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  outdir: out,
  legalComments: "eof",
  define: { "process.env.NODE_ENV": '"production"' },
  loader: { ".woff": "dataurl", ".woff2": "dataurl", ".svg": "dataurl" },
  logLevel: "info",
});
