// Where the CPU goes: the token endpoint's hot operations compiled to wasm
// and timed in V8 (Node), the engine workerd runs, next to criterion's
// native figures. Run through scripts/bench-micro.sh, which builds
// bench/out/wasm/ and runs criterion first.
//
//   node bench/micro.mjs
//
// Writes bench/out/micro.json and bench/out/micro.md.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '..');
const outDir = path.join(here, 'out');
const require = createRequire(import.meta.url);
const { Bench } = require(path.join(outDir, 'wasm', 'tenant_bench.js'));

const BATCH_MS = 20;
const BATCHES = 50;

const DESCRIPTIONS = {
  grant_eddsa: 'whole client_credentials grant, EdDSA (parse, client + grant lookup, secret check, sign)',
  grant_rs256: 'whole client_credentials grant, RS256',
  mint_eddsa: 'sign an access token, EdDSA',
  mint_rs256: 'sign an access token, RS256',
  verify_eddsa: 'verify an access token, EdDSA (what /api/whoami does)',
  verify_rs256: 'verify an access token, RS256',
  verify_client_secret: 'check a client secret against its stored hash',
  parse_form: 'parse a form token request',
  parse_json: 'parse a JSON token request',
  parse_basic: 'parse HTTP Basic client authentication',
};

const cpuMs = (usage) => (usage.user + usage.system) / 1000;
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function measure(bench, op) {
  // Warm-up: JIT tiers, cached keys (WebCrypto imports each key once).
  let n = 1;
  for (;;) {
    const start = performance.now();
    const ok = await bench.run(op, n);
    if (ok !== n) throw new Error(`${op} failed in wasm`);
    const elapsed = performance.now() - start;
    if (elapsed > BATCH_MS) break;
    n *= 2;
  }
  const wall = [];
  let cpu = 0;
  let count = 0;
  for (let b = 0; b < BATCHES; b++) {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    await bench.run(op, n);
    wall.push((performance.now() - start) / n);
    cpu += cpuMs(process.cpuUsage(cpuStart));
    count += n;
  }
  wall.sort((a, b) => a - b);
  return {
    name: op,
    description: DESCRIPTIONS[op] ?? op,
    iterations: count,
    mean_ms: wall.reduce((a, b) => a + b, 0) / wall.length,
    p50_ms: percentile(wall, 50),
    p99_ms: percentile(wall, 99),
    cpu_ms: cpu / count,
  };
}

/** criterion's mean per operation (ns -> ms), from target/criterion. */
function nativeFigures(ops) {
  const figures = {};
  for (const op of ops) {
    const file = path.join(root, 'target', 'criterion', op, 'new', 'estimates.json');
    if (existsSync(file)) figures[op] = JSON.parse(readFileSync(file, 'utf8')).mean.point_estimate / 1e6;
  }
  return figures;
}

const ms = (value) => {
  if (value === undefined) return 'n/a';
  if (value >= 0.1) return `${value.toFixed(3)} ms`;
  return `${(value * 1000).toFixed(1)} µs`;
};

async function main() {
  const bench = await Bench.create();
  const ops = Bench.operations();
  const wasm = [];
  for (const op of ops) {
    const result = await measure(bench, op);
    wasm.push(result);
    console.log(`micro: ${op.padEnd(22)} wasm ${ms(result.mean_ms)} (cpu ${ms(result.cpu_ms)})`);
  }
  const native = nativeFigures(ops);
  const report = { date: new Date().toISOString(), node: process.version, v8: process.versions.v8, wasm, native };
  writeFileSync(path.join(outDir, 'micro.json'), JSON.stringify(report, null, 2));
  const lines = [
    '# Where the CPU goes',
    '',
    `wasm: release build (LTO, opt-level "s", as the Worker) run in Node ${process.version} (V8 ${process.versions.v8}), RSA through WebCrypto as in workerd; mean per operation over ${BATCHES} batches of ~${BATCH_MS} ms, and process CPU time per operation. Native: criterion on the host, RSA on the pure-Rust \`rsa\` crate (host tests' backend, not used at the edge).`,
    '',
    '| operation | wasm in V8 | wasm p99 (batch) | CPU in V8 | native |',
    '|---|---:|---:|---:|---:|',
    ...wasm.map(
      (r) => `| ${r.description} | ${ms(r.mean_ms)} | ${ms(r.p99_ms)} | ${ms(r.cpu_ms)} | ${ms(native[r.name])} |`,
    ),
  ];
  writeFileSync(path.join(outDir, 'micro.md'), `${lines.join('\n')}\n`);
  console.log(lines.join('\n'));
}

main().catch((err) => {
  console.error(`micro: ${err.stack ?? err}`);
  process.exit(1);
});
