#!/usr/bin/env node
// run.mjs — runs bench/reference/features.sql in DuckDB over a contacts and an events
// CSV file and writes one JSON object per user (the field names of `tamis export
// --format ndjson`), for the differential test tests/e2e/t_reference.sh.
//
//   node bench/reference/run.mjs --contacts C --events E --as-of ISO_OR_MS
//        [--out FILE.ndjson] [--soft-reasons a,b,...] [--threads N] [--print-sql]
//        [--ignore-csv-errors]
//
// --ignore-csv-errors skips CSV lines DuckDB cannot split (a wrong field count, a
// broken quote), as tamis rejects them; without it such a line is an error.
// --print-sql writes the filled SQL to stdout instead of running it (for debugging it
// in the duckdb shell).
//
// The SQL is parameterised by text substitution of ${NAME}: paths and T, and the
// column names found in the two headers (matched case-insensitively after trimming
// spaces and tabs, as tamis matches them). Wall time and the user count go to stderr.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';

const HERE = dirname(fileURLToPath(import.meta.url));
const EVENT_FIELDS = ['ts', 'user', 'platform', 'platform_id', 'kind', 'value', 'group', 'campaign',
  'campaign_type', 'device', 'country', 'field', 'reason', 'id'];
// `tamis config` defaults: [reachability] soft_reasons and [risk].
const DEFAULTS = {
  softReasons: ['rate_limited', 'throttled', 'timeout', 'temporary_failure', 'service_unavailable'],
  burstMinutes: 10, regularMinGaps: 10, regularMaxCv: 0.1, unreachableFailures: 3,
};

function usage(msg) {
  if (msg) process.stderr.write(`run.mjs: ${msg}\n`);
  process.stderr.write('usage: node bench/reference/run.mjs --contacts C --events E --as-of ISO_OR_MS ' +
    '[--out FILE.ndjson] [--soft-reasons a,b] [--threads N] [--print-sql] [--ignore-csv-errors]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { softReasons: DEFAULTS.softReasons };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = argv[i + 1];
    const need = () => { if (v === undefined) usage(`${a} needs a value`); i++; return v; };
    if (a === '--contacts') opts.contacts = need();
    else if (a === '--events') opts.events = need();
    else if (a === '--as-of') opts.asOf = need();
    else if (a === '--out') opts.out = need();
    else if (a === '--soft-reasons') opts.softReasons = need().split(',').filter((s) => s !== '');
    else if (a === '--threads') opts.threads = Number(need());
    else if (a === '--print-sql') opts.printSql = true;
    else if (a === '--ignore-csv-errors') opts.ignoreCsvErrors = true;
    else if (a === '-h' || a === '--help') usage();
    else usage(`unknown argument '${a}'`);
  }
  if (!opts.contacts || !opts.events || opts.asOf === undefined) usage('--contacts, --events and --as-of are required');
  return opts;
}

// T as unix milliseconds: digits are milliseconds, anything else ISO-8601 with a zone.
function asOfMs(text) {
  if (/^[0-9]+$/.test(text)) return BigInt(text);
  if (!/(Z|[+-][0-9]{2}(:?[0-9]{2})?)$/i.test(text)) usage(`--as-of '${text}': want ISO-8601 with a zone, or ms`);
  const ms = Date.parse(text);
  if (Number.isNaN(ms) || ms < 0) usage(`--as-of '${text}': not a time`);
  return BigInt(ms);
}

const sqlString = (s) => `'${String(s).replaceAll("'", "''")}'`;
const headerKey = (name) => name.replace(/^[ \t]+|[ \t]+$/g, '').replace(/[A-Z]/g, (c) => c.toLowerCase());
const HEADER_MAX_BYTES = 1 << 20;

// The column names of a CSV file's header record (RFC 4180 quoting, a UTF-8 BOM
// skipped). DuckDB's dialect sniffer is not used: it gives up on some valid files.
function header(path) {
  const buf = Buffer.alloc(HEADER_MAX_BYTES);
  const fd = openSync(path, 'r');
  const n = readSync(fd, buf, 0, buf.length, 0);
  closeSync(fd);
  let text = buf.subarray(0, n).toString('utf8').replace(/^\uFEFF/, '');
  const names = [];
  let field = '', quoted = false, i = 0;
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { names.push(field); field = ''; }
    else if (c === '\n') break;
    else field += c;
  }
  if (i === text.length && n === buf.length) throw new Error(`${path}: no header line in the first 1 MiB`);
  names.push(field.replace(/\r$/, ''));
  return names;
}

// read_csv's columns: every one VARCHAR, named c1, c2, ... (the header's own names may
// repeat in another case or be SQL keywords; the SQL refers to them through params),
// and c_extra, which only a record with too many fields fills (features.sql, "Field
// counts").
const csvColumns = (names) =>
  `{${names.map((_, i) => `'c${i + 1}': 'VARCHAR'`).join(', ')}, 'c_extra': 'VARCHAR'}`;
const complete = (names) => `(c${names.length} IS NOT NULL AND c_extra IS NULL)`;

// Substitutions that depend on the contacts header: the user column, the profile
// attributes, and the <platform>_id identity columns (IDENTITY.md: user_id,
// platform_id and _id are attributes, not identities).
function contactParams(cols) {
  const byKey = new Map(cols.map((c, i) => [headerKey(c), `c${i + 1}`]));
  if (!byKey.has('user')) throw new Error('contacts: header has no "user" column');
  const attr = (name) => (byKey.has(name) ? byKey.get(name) : 'NULL::VARCHAR');
  const ids = [];
  cols.forEach((c, i) => {
    const k = headerKey(c);
    if (!k.endsWith('_id') || ['user_id', 'platform_id', '_id'].includes(k)) return;
    ids.push(`{'platform': ${sqlString(k.slice(0, -3))}, 'col': ${i + 1}, 'pid': c${i + 1}}`);
  });
  return {
    CONTACTS_COLUMNS: csvColumns(cols), C_COMPLETE: complete(cols),
    C_USER: byKey.get('user'),
    C_AVATAR: attr('avatar'), C_NICKNAME: attr('nickname'), C_STATUS: attr('status'),
    C_IDENTITIES: ids.length ? `[${ids.join(', ')}]`
      : '[]::STRUCT(platform VARCHAR, col INTEGER, pid VARCHAR)[]',
  };
}

function eventParams(cols) {
  const byKey = new Map(cols.map((c, i) => [headerKey(c), `c${i + 1}`]));
  const out = { EVENTS_COLUMNS: csvColumns(cols), E_COMPLETE: complete(cols) };
  for (const f of EVENT_FIELDS)
    out[`E_${f.toUpperCase()}`] = byKey.has(f) ? byKey.get(f) : 'NULL::VARCHAR';
  return out;
}

function fill(template, params) {
  return template.replace(/\$\{([A-Z_]+)\}/g, (m, name) => {
    if (!(name in params)) throw new Error(`features.sql: no value for \${${name}}`);
    return params[name];
  });
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const t0 = process.hrtime.bigint();
  const asOf = asOfMs(opts.asOf);
  const db = await DuckDBInstance.create(':memory:', opts.threads ? { threads: String(opts.threads) } : {});
  const conn = await db.connect();
  const csvOptions = opts.ignoreCsvErrors ? 'ignore_errors = true' : 'strict_mode = true';
  const params = {
    CSV_OPTIONS: csvOptions,
    CONTACTS: sqlString(opts.contacts), EVENTS: sqlString(opts.events), AS_OF_MS: asOf.toString(),
    SOFT_REASONS: `[${opts.softReasons.map(sqlString).join(', ')}]::VARCHAR[]`,
    BURST_MINUTES: String(DEFAULTS.burstMinutes), REGULAR_MIN_GAPS: String(DEFAULTS.regularMinGaps),
    REGULAR_MAX_CV: String(DEFAULTS.regularMaxCv), UNREACHABLE_FAILURES: String(DEFAULTS.unreachableFailures),
    ...contactParams(header(opts.contacts)),
    ...eventParams(header(opts.events)),
  };
  const sql = fill(readFileSync(join(HERE, 'features.sql'), 'utf8'), params);
  if (opts.printSql) {
    process.stdout.write(sql);
    return;
  }
  await conn.run(sql);
  const out = opts.out ?? '/dev/stdout';
  await conn.run(`COPY (SELECT * FROM reference_features ORDER BY "user") TO ${sqlString(out)} (FORMAT json)`);
  const users = (await conn.runAndReadAll('SELECT count(*)::INTEGER AS n FROM user_features'))
    .getRowObjectsJS()[0].n;
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stderr.write(`reference: ${users} users in ${secs.toFixed(2)} s (DuckDB wall time)\n`);
  conn.closeSync();
}

main().catch((e) => {
  process.stderr.write(`run.mjs: ${e.message}\n`);
  process.exit(1);
});
