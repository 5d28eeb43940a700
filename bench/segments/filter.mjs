#!/usr/bin/env node
// filter.mjs — the DuckDB reference of the segment benchmark (bench/segments.sh): loads
// the users' exported results (user,tier,reply_30,last_seen CSV from `tamis export`)
// and the contacts CSV (country, tags) into DuckDB tables, then times the same
// five-clause filter `tamis segment eval` evaluates, over the loaded tables. Prints
// "duckdb: N users match in S s (load L s)".
//
//   node bench/segments/filter.mjs RESULTS.csv CONTACTS.csv AS_OF_ISO
import { DuckDBInstance } from '@duckdb/node-api';

const [results, contacts, asOf] = process.argv.slice(2);
if (!results || !contacts || !asOf) {
  process.stderr.write('usage: node bench/segments/filter.mjs RESULTS.csv CONTACTS.csv AS_OF_ISO\n');
  process.exit(2);
}
const q = (s) => `'${s.replaceAll("'", "''")}'`;

const db = await DuckDBInstance.create(':memory:');
const conn = await db.connect();
let t0 = process.hrtime.bigint();
await conn.run(`CREATE TABLE r AS SELECT * FROM read_csv(${q(results)}, header = true,
  columns = {'user': 'VARCHAR', 'tier': 'VARCHAR', 'reply_30': 'INTEGER', 'last_seen': 'TIMESTAMPTZ'})`);
await conn.run(`CREATE TABLE c AS SELECT "user", country,
  list_transform(string_split(coalesce(tags, ''), ';'), x -> trim(x)) AS tags
  FROM read_csv(${q(contacts)}, header = true, all_varchar = true)`);
await conn.run('CREATE TABLE u AS SELECT r.*, c.country, c.tags FROM r LEFT JOIN c USING ("user")');
const load = Number(process.hrtime.bigint() - t0) / 1e9;
const sql = `SELECT count(*)::INTEGER AS n FROM u
  WHERE tier IN ('daily_active', 'high_interaction') AND country = 'VN' AND reply_30 > 0
    AND epoch_ms(${q(asOf)}::TIMESTAMPTZ) - epoch_ms(last_seen) <= 7 * 86400000
    AND NOT list_contains(tags, 'staff')`;
let best = Infinity, n = 0;
for (let i = 0; i < 3; i++) {
  t0 = process.hrtime.bigint();
  n = (await conn.runAndReadAll(sql)).getRowObjectsJS()[0].n;
  best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
}
process.stdout.write(`duckdb: ${n} users match in ${best.toFixed(3)} s (load ${load.toFixed(2)} s)\n`);
conn.closeSync();
