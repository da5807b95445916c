// Runs graphql-http's auditServer against the URL given and prints one JSON line per audit:
// {"id", "name", "status": "ok" | "warn" | "notice" | "error", "reason"}.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
const results = await auditServer({ url });
for (const r of results) {
  console.log(JSON.stringify({ id: r.id, name: r.name, status: r.status, reason: r.reason ?? null }));
}
