#!/usr/bin/env node
// compare.mjs — compares the features of two NDJSON files, one JSON object per user:
// A from `tamis export --format ndjson`, B from bench/reference/run.mjs.
//
//   node bench/reference/compare.mjs A.ndjson B.ndjson [--skip field,field...]
//
// Every user present in either file is compared (a user missing on one side is a
// mismatch), on every field B has (B is the reference: its fields are the features
// the SQL implements; A's other fields — score, tier, reasons, ... — are ignored),
// including each platform of `platforms`. Integers, booleans, strings and nulls must
// be equal; non-integers within 1e-9 absolute; `last_seen` is compared as an instant
// (ISO-8601 parsed to milliseconds). Prints the first 20 mismatches and a summary;
// exits 1 on any mismatch, 2 on bad usage or unreadable input.
import { readFileSync } from 'node:fs';

const TOLERANCE = 1e-9;
const SHOWN = 20;
const TIME_FIELDS = new Set(['last_seen']);

function usage(msg) {
  if (msg) process.stderr.write(`compare.mjs: ${msg}\n`);
  process.stderr.write('usage: node bench/reference/compare.mjs TAMIS.ndjson REFERENCE.ndjson [--skip f,g]\n');
  process.exit(2);
}

function load(path) {
  const users = new Map();
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    usage(`cannot read ${path}: ${e.message}`);
  }
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let obj;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      usage(`${path}:${i + 1}: ${e.message}`);
    }
    if (typeof obj.user !== 'string') usage(`${path}:${i + 1}: no "user" string`);
    if (users.has(obj.user)) usage(`${path}:${i + 1}: user '${obj.user}' repeats`);
    users.set(obj.user, obj);
  });
  return users;
}

const show = (v) => (v === undefined ? 'missing' : JSON.stringify(v));

// Why two values differ, or null when they agree.
function differ(field, a, b) {
  if (a === undefined) return 'missing in tamis';
  if (a === null || b === null) return a === b ? null : 'null on one side';
  if (TIME_FIELDS.has(field)) {
    const ta = Date.parse(a), tb = Date.parse(b);
    if (Number.isNaN(ta) || Number.isNaN(tb)) return 'not a time';
    return ta === tb ? null : `${ta - tb} ms apart`;
  }
  if (typeof a !== typeof b) return `types ${typeof a} / ${typeof b}`;
  if (typeof a === 'number') {
    if (Number.isInteger(b) && Number.isInteger(a)) return a === b ? null : 'integers differ';
    return Math.abs(a - b) <= TOLERANCE ? null : `differ by ${Math.abs(a - b).toExponential(3)}`;
  }
  if (Array.isArray(b)) {
    if (!Array.isArray(a) || a.length !== b.length) return 'array lengths differ';
    for (let i = 0; i < b.length; i++) {
      const why = differ(field, a[i], b[i]);
      if (why) return `[${i}] ${why}`;
    }
    return null;
  }
  if (typeof b === 'object') return 'objects are compared field by field';
  return a === b ? null : 'values differ';
}

function main() {
  const args = process.argv.slice(2);
  const files = [];
  let skip = new Set();
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--skip') skip = new Set((args[++i] ?? '').split(',').filter(Boolean));
    else if (args[i].startsWith('-')) usage(`unknown option '${args[i]}'`);
    else files.push(args[i]);
  }
  if (files.length !== 2) usage();
  const a = load(files[0]), b = load(files[1]);
  const mismatches = [];
  const byField = new Map();
  let compared = 0;
  const note = (user, field, why, va, vb) => {
    const group = field.replace(/^platforms\.[^.]+\./, 'platforms.*.'); // counted over platforms
    byField.set(group, (byField.get(group) ?? 0) + 1);
    if (mismatches.length < SHOWN)
      mismatches.push(`${user} ${field}: tamis=${show(va)} reference=${show(vb)} (${why})`);
  };
  const users = [...new Set([...a.keys(), ...b.keys()])].sort();
  for (const user of users) {
    const ua = a.get(user), ub = b.get(user);
    if (!ua || !ub) {
      note(user, '(user)', ua ? 'missing in reference' : 'missing in tamis', ua ? 'present' : undefined,
        ub ? 'present' : undefined);
      continue;
    }
    for (const [field, vb] of Object.entries(ub)) {
      if (field === 'user' || skip.has(field)) continue;
      if (field === 'platforms') {
        const pa = ua.platforms ?? {}, pb = vb ?? {};
        for (const p of new Set([...Object.keys(pa), ...Object.keys(pb)])) {
          if (!pa[p] || !pb[p]) {
            note(user, `platforms.${p}`, pa[p] ? 'missing in reference' : 'missing in tamis',
              pa[p] ? 'present' : undefined, pb[p] ? 'present' : undefined);
            continue;
          }
          for (const [pf, pv] of Object.entries(pb[p])) {
            if (skip.has(`platforms.${pf}`)) continue;
            compared++;
            const why = differ(pf, pa[p][pf], pv);
            if (why) note(user, `platforms.${p}.${pf}`, why, pa[p][pf], pv);
          }
        }
        continue;
      }
      compared++;
      const why = differ(field, ua[field], vb);
      if (why) note(user, field, why, ua[field], vb);
    }
  }
  for (const m of mismatches) process.stdout.write(`mismatch: ${m}\n`);
  const total = [...byField.values()].reduce((sum, n) => sum + n, 0);
  const perField = [...byField].sort((x, y) => y[1] - x[1]).map(([f, n]) => `${f}: ${n}`);
  process.stdout.write(`compare: ${users.length} users (${a.size} tamis, ${b.size} reference), ` +
    `${compared} values compared, ${total} mismatches` + (total ? ` (${perField.join(', ')})` : '') + '\n');
  process.exit(total ? 1 : 0);
}

main();
