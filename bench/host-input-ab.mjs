// A/B of the host's input path (traffic() with 10,000 entries per call, a steady() call every 100, on
// 100,000 open connections), against a built dist folder: node bench/host-input-ab.mjs DIST. Prints
// main-thread user CPU ms of 3,000 calls; run it alternately on two builds and compare ratios.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dist = process.argv[2] ?? 'dist';
const { HostStack, SimulatedTarget } = await import(pathToFileURL(resolve(dist, 'index.js')).href);
const host = await HostStack.create({ target: new SimulatedTarget({ capacity: 0 }), policy: { lowActivity: false } });
const N = 100_000;
const o = {
  count: N,
  ifIndex: new Uint32Array(N).fill(1),
  nextHop: new Uint8Array(16 * N),
  source: new Uint8Array(16 * N),
  destination: new Uint8Array(16 * N),
  localPort: new Uint16Array(N),
  remotePort: new Uint16Array(N).fill(443),
};
for (let i = 0; i < N; i++) {
  o.localPort[i] = 1 + (i % 60000);
  o.destination[16 * i + 15] = i & 255;
  o.destination[16 * i + 14] = (i >> 8) & 255;
  o.destination[16 * i + 13] = i >> 16;
}
const ids = host.open(o);
const M = 10_000;
let seed = 1;
const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
const pick = new Float64Array(M),
  sent = new Float64Array(M),
  recv = new Float64Array(M);
for (let i = 0; i < M; i++) {
  pick[i] = ids[Math.floor(rnd() * N)];
  sent[i] = 1000;
  recv[i] = 100;
}
for (let i = 0; i < 200; i++) host.traffic(pick, sent, recv); // warm
const t0 = process.cpuUsage();
for (let i = 0; i < 3000; i++) {
  host.traffic(pick, sent, recv);
  if (i % 100 === 0) host.steady(pick.subarray(0, 1000), sent.subarray(0, 1000), recv.subarray(0, 1000));
}
const u = process.cpuUsage(t0);
console.log((u.user / 1000).toFixed(0));
