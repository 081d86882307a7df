// Writes src/table/generated/core-wasm.ts: the compiled core as base64, so that one build loads
// unchanged in Node, browsers, bundlers and workers (no file fetch, no import.meta.url).
// Run by `npm run build:wasm` after asc. Usage: node scripts/inline-wasm.mjs [path/to/core.wasm]
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';

const input = process.argv[2] ?? 'build/core.wasm';
const bytes = readFileSync(input);
const sha = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
mkdirSync('src/table/generated', { recursive: true });
writeFileSync(
  'src/table/generated/core-wasm.ts',
  `// GENERATED FILE, do not edit: rebuilt by \`npm run build:wasm\` (scripts/inline-wasm.mjs)\n` +
    `// from ${input} (${bytes.length} bytes, sha256 ${sha}…).\n` +
    `export const CORE_WASM_BASE64 =\n  '${bytes.toString('base64')}';\n`,
);
// Quiet under `npm run build --silent` (npm start): a new user sees the lab, not the build.
if (process.env.npm_config_loglevel !== 'silent') console.log(`inlined ${input}: ${bytes.length} bytes`);
