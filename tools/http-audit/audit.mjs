// Runs graphql-http's GraphQL-over-HTTP server audits against a running server and
// prints one JSON line per audit: {id, name, status, reason}. Exits 1 when an audit
// MUST-level audit fails ("error") or a SHOULD-level one warns ("warn").
//
//   node audit.mjs http://127.0.0.1:8000/graphql
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}
const results = await auditServer({ url });
let failed = 0;
for (const result of results) {
  const line = { id: result.id, name: result.name, status: result.status };
  if (result.status !== 'ok') {
    line.reason = result.reason;
    line.httpStatus = result.response.status;
    line.contentType = result.response.headers.get('content-type');
    line.body = await result.response.text();
  }
  if (result.status === 'error' || result.status === 'warn') failed += 1;
  console.log(JSON.stringify(line));
}
process.exit(failed ? 1 : 0);
