// Turns the benchmark's measurements into bench/out/report.md and
// bench/out/chart.png (rendered by headless Chromium from an SVG).
//
//   node bench/report.mjs
//
// Reads bench/out/load.json (bench/load.mjs), bench/out/micro.json and
// micro.md (scripts/bench-micro.sh, optional) and the current build's sizes
// (scripts/check-sizes.mjs).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { markdown as sizesTable, sizes } from '../scripts/check-sizes.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(here, 'out');
const readJson = (name) => {
  const file = path.join(outDir, name);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
};

/** The targets the token endpoint is held to. */
export const TARGETS = {
  floorShare: 0.85,
  p99OverFloorMs: 2,
  wasmEddsaGrantMs: 0.2,
  rs256GrantMs: 2,
};

const fixed = (n, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const pct = (n) => (Number.isFinite(n) ? `${(n * 100).toFixed(0)}%` : 'n/a');

export function find(load, scenario, concurrency) {
  return load.results.find((r) => r.scenario === scenario && r.concurrency === concurrency);
}

/** The floor's two runs of a round, averaged when both succeeded. */
function bothFloors(first, again) {
  if (!first?.ok || !again?.ok) return first;
  return { ...first, rps: (first.rps + again.rps) / 2, p99_ms: (first.p99_ms + again.p99_ms) / 2 };
}

/** Per concurrency: the token endpoint against the floor (mean of its two runs) and the peer. */
export function comparisons(load) {
  return load.concurrency.map((c) => {
    const ours = find(load, 'token-eddsa-post', c);
    const rs256 = find(load, 'token-rs256-post', c);
    const floor = bothFloors(find(load, 'floor', c), find(load, 'floor-repeat', c));
    const peer = find(load, 'peer', c);
    const valid = [ours, floor].every((r) => r?.ok);
    return {
      concurrency: c,
      ours,
      rs256,
      floor,
      peer,
      floorShare: valid ? ours.rps / floor.rps : NaN,
      rs256FloorShare: rs256?.ok && floor?.ok ? rs256.rps / floor.rps : NaN,
      peerRatio: ours?.ok && peer?.ok ? ours.rps / peer.rps : NaN,
      p99OverFloorMs: valid ? ours.p99_ms - floor.p99_ms : NaN,
    };
  });
}

function resultsTable(load) {
  const lines = [
    '| scenario | c | req/s | p50 ms | p90 ms | p99 ms | errors | |',
    '|---|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const s of load.scenarios) {
    for (const c of load.concurrency) {
      const r = find(load, s.name, c);
      if (!r) continue;
      lines.push(
        `| ${s.label} | ${c} | ${r.ok ? r.rps.toFixed(0) : `~~${r.rps.toFixed(0)}~~`} | ${fixed(r.p50_ms)} | ${fixed(r.p90_ms)} | ${fixed(r.p99_ms)} | ${r.errors} | ${r.ok ? 'ok' : '**FAILED**'} |`,
      );
    }
  }
  return lines.join('\n');
}

/** How far apart the floor's two runs of a round are (NaN without both). */
export function floorSpread(load, concurrency) {
  const first = find(load, 'floor', concurrency);
  const again = find(load, 'floor-repeat', concurrency);
  return first?.ok && again?.ok ? Math.abs(again.rps - first.rps) / Math.max(first.rps, again.rps) : NaN;
}

/** Beyond this spread between the floor's two runs, a round decides nothing. */
const MAX_SPREAD = 0.1;

function verdict(load, concurrency, met) {
  const spread = floorSpread(load, concurrency);
  if (spread > MAX_SPREAD) return `inconclusive: the floor's runs are ${pct(spread)} apart`;
  return met ? 'met' : 'missed';
}

function targetsTable(load, micro) {
  const rows = comparisons(load);
  const lines = ['| target | measured | |', '|---|---|---|'];
  for (const row of rows) {
    lines.push(
      `| token endpoint >= ${pct(TARGETS.floorShare)} of the floor's req/s, c=${row.concurrency} | ${pct(row.floorShare)} (${fixed(row.ours?.rps, 0)} vs ${fixed(row.floor?.rps, 0)}) | ${verdict(load, row.concurrency, row.floorShare >= TARGETS.floorShare)} |`,
    );
  }
  for (const c of load.concurrency) {
    const first = find(load, 'floor', c);
    const again = find(load, 'floor-repeat', c);
    if (first?.ok && again?.ok) {
      lines.push(
        `| noise: the floor run twice, c=${c} | ${fixed(first.rps, 0)} vs ${fixed(again.rps, 0)} req/s (${pct(floorSpread(load, c))} apart); p99 ${fixed(first.p99_ms)} vs ${fixed(again.p99_ms)} ms | |`,
      );
    }
  }
  const c8 = rows.find((row) => row.concurrency === 8);
  if (c8) {
    lines.push(
      `| p99 at c=8 <= floor's p99 + ${TARGETS.p99OverFloorMs} ms | ${fixed(c8.ours?.p99_ms)} ms vs ${fixed(c8.floor?.p99_ms)} ms (${c8.p99OverFloorMs >= 0 ? '+' : ''}${fixed(c8.p99OverFloorMs)} ms) | ${verdict(load, 8, c8.p99OverFloorMs <= TARGETS.p99OverFloorMs)} |`,
    );
  }
  const grant = (name) => micro?.wasm?.find((op) => op.name === name);
  const eddsa = grant('grant_eddsa');
  const rs256 = grant('grant_rs256');
  lines.push(
    eddsa
      ? `| wasm CPU per EdDSA grant in V8 <= ${TARGETS.wasmEddsaGrantMs} ms | ${fixed(eddsa.cpu_p50_ms, 3)} ms (median CPU; wall mean ${fixed(eddsa.mean_ms, 3)} ms) | ${eddsa.cpu_p50_ms <= TARGETS.wasmEddsaGrantMs ? 'met' : 'missed'} |`
      : '| wasm CPU per EdDSA grant in V8 | not measured (run scripts/bench-micro.sh) | |',
  );
  lines.push(
    rs256
      ? `| RS256 grant (WebCrypto) <= ${TARGETS.rs256GrantMs} ms | ${fixed(rs256.cpu_p50_ms, 3)} ms (median CPU; wall mean ${fixed(rs256.mean_ms, 3)} ms) | ${rs256.cpu_p50_ms <= TARGETS.rs256GrantMs ? 'met' : 'missed'} |`
      : '| RS256 grant (WebCrypto) | not measured (run scripts/bench-micro.sh) | |',
  );
  return lines.join('\n');
}

function peerTable(load) {
  const lines = [
    '| c | ours (EdDSA) req/s | peer req/s | ours / peer | ours p99 | peer p99 |',
    '|---:|---:|---:|---:|---:|---:|',
  ];
  for (const row of comparisons(load)) {
    lines.push(
      `| ${row.concurrency} | ${fixed(row.ours?.rps, 0)} | ${fixed(row.peer?.rps, 0)} | ${fixed(row.peerRatio)} | ${fixed(row.ours?.p99_ms)} ms | ${fixed(row.peer?.p99_ms)} ms |`,
    );
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------
// The chart

const SERIES = [
  { scenario: 'token-eddsa-post', name: 'ours: token (EdDSA)', color: '#2563eb' },
  { scenario: 'token-rs256-post', name: 'ours: token (RS256)', color: '#7c3aed' },
  { scenario: 'floor', name: 'floor: 2 KV reads', color: '#9ca3af' },
  { scenario: 'peer', name: 'peer: oidc-provider', color: '#f59e0b' },
];

function panel(load, { x, y, width, height, title, metric, unit }) {
  const values = load.results.filter((r) => SERIES.some((s) => s.scenario === r.scenario)).map(metric);
  // Round ticks: a step of 1, 2 or 5 times a power of ten.
  const rough = (Math.max(1, ...values) * 1.1) / 4;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough);
  const max = step * 4;
  const groups = load.concurrency.length;
  const groupWidth = width / groups;
  const barWidth = (groupWidth * 0.8) / SERIES.length;
  const parts = [
    `<text x="${x + width / 2}" y="${y - 14}" text-anchor="middle" font-size="16" font-weight="600">${title}</text>`,
    `<line x1="${x}" y1="${y + height}" x2="${x + width}" y2="${y + height}" stroke="#111"/>`,
  ];
  for (let t = 0; t <= 4; t++) {
    const value = (max * t) / 4;
    const ty = y + height - (height * t) / 4;
    parts.push(`<line x1="${x}" y1="${ty}" x2="${x + width}" y2="${ty}" stroke="#e5e7eb"/>`);
    parts.push(`<text x="${x - 6}" y="${ty + 4}" text-anchor="end" font-size="11">${value.toFixed(step < 1 ? 1 : 0)}</text>`);
  }
  load.concurrency.forEach((c, g) => {
    const gx = x + g * groupWidth + groupWidth * 0.1;
    SERIES.forEach((series, i) => {
      const r = find(load, series.scenario, c);
      if (!r) return;
      const value = metric(r);
      const h = (height * value) / max;
      const bx = gx + i * barWidth;
      parts.push(
        `<rect x="${bx}" y="${y + height - h}" width="${barWidth - 2}" height="${h}" fill="${series.color}"${r.ok ? '' : ' fill-opacity="0.3" stroke="#dc2626"'}/>`,
      );
      parts.push(
        `<text x="${bx + (barWidth - 2) / 2}" y="${y + height - h - 4}" text-anchor="middle" font-size="10">${value.toFixed(value < 10 ? 1 : 0)}</text>`,
      );
    });
    parts.push(`<text x="${x + g * groupWidth + groupWidth / 2}" y="${y + height + 18}" text-anchor="middle" font-size="12">concurrency ${c}</text>`);
  });
  parts.push(`<text x="${x - 40}" y="${y + height / 2}" font-size="12" transform="rotate(-90 ${x - 40} ${y + height / 2})" text-anchor="middle">${unit}</text>`);
  return parts.join('\n');
}

export function chartSvg(load) {
  const width = 1200;
  const height = 520;
  const legend = SERIES.map(
    (s, i) =>
      `<rect x="${80 + i * 260}" y="${height - 34}" width="14" height="14" fill="${s.color}"/><text x="${100 + i * 260}" y="${height - 22}" font-size="13">${s.name}</text>`,
  ).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${width / 2}" y="28" text-anchor="middle" font-size="18" font-weight="700">client_credentials under wrangler dev: ours vs the KV floor vs oidc-provider (${load.machine})</text>
${panel(load, { x: 80, y: 80, width: 480, height: 340, title: 'requests per second (higher is better)', metric: (r) => r.rps, unit: 'req/s' })}
${panel(load, { x: 680, y: 80, width: 480, height: 340, title: 'p99 latency (lower is better)', metric: (r) => r.p99_ms, unit: 'ms' })}
${legend}
</svg>`;
}

async function renderPng(svg, file) {
  const { chromium } = await import('playwright-core');
  const { CHROMIUM_OPTIONS } = await import('../tests/e2e/browser.mjs');
  const browser = await chromium.launch(CHROMIUM_OPTIONS);
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 520 } });
    await page.setContent(`<html><body style="margin:0">${svg}</body></html>`);
    await page.screenshot({ path: file, clip: { x: 0, y: 0, width: 1200, height: 520 } });
  } finally {
    await browser.close();
  }
}

async function main() {
  const load = readJson('load.json');
  if (!load) throw new Error('bench/out/load.json is missing: run scripts/bench.sh');
  const micro = readJson('micro.json');
  const microMd = existsSync(path.join(outDir, 'micro.md')) ? readFileSync(path.join(outDir, 'micro.md'), 'utf8') : null;
  let sizesMd;
  try {
    sizesMd = sizesTable(sizes());
  } catch (err) {
    sizesMd = `not measured: ${err.message}`;
  }
  const failed = load.results.filter((r) => !r.ok);
  const report = `# Benchmark report

${load.date} on ${load.machine}; Node ${load.node}; ${load.wrk}.
Each run: ${load.warmup_s} s warm-up, then ${load.duration_s} s of \`wrk\` at each concurrency, one scenario at a time.
Produced by \`bash scripts/bench.sh\`; ours and the floor are the release Worker under one \`wrangler dev\` (workerd, local KV), the peer is npm \`oidc-provider\` in Node on the same machine.
${failed.length ? `\n**${failed.length} run(s) FAILED** (a non-2xx or socket error): their figures are struck through and not used.\n` : ''}
## Targets

${targetsTable(load, micro)}

## The token endpoint against the peer

${peerTable(load)}

## Every scenario

${resultsTable(load)}

## Sizes

${sizesMd}
${microMd ? `\n## Where the CPU goes (micro-benchmarks)\n\n${microMd.replace(/^#+ .*\n/, '')}` : ''}
![chart](chart.png)
`;
  writeFileSync(path.join(outDir, 'report.md'), report);
  const svg = chartSvg(load);
  writeFileSync(path.join(outDir, 'chart.svg'), svg);
  await renderPng(svg, path.join(outDir, 'chart.png'));
  console.log(report);
  console.log('report: wrote bench/out/report.md, bench/out/chart.png');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(`report: ${err.stack ?? err}`);
    process.exit(1);
  });
}
