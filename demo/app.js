// The live demo: runs a scenario with chimney-host/sim in this page and redraws the charts.
// Served from the package root (npm run demo), so the built package is at ../dist/.
import { Reason } from '../dist/index.js';
import { readScenario, simulate, parseCdf, renderCharts, CHART_CSS } from '../dist/sim/index.js';

const $ = (id) => document.getElementById(id);
const control = [];
let running = false;

const scenario = readScenario({
  name: 'live demo',
  seed: 7,
  durationMs: 120000,
  tickMs: 100,
  interfaces: [
    { ifIndex: 1, neighbors: 10, pathsPerNeighbor: 100 },
    { ifIndex: 2, neighbors: 10, pathsPerNeighbor: 100 },
    { ifIndex: 3, neighbors: 5, pathsPerNeighbor: 100 },
  ],
  connections: { count: 20000, arrivalMs: 100000, flowSizes: 'websearch', rateBytesPerSecond: { min: 20000, max: 2000000 }, priorities: { 0: 70, 2: 20, 5: 10 } },
  target: { capacity: 4000, latencyMs: { min: 1, max: 30 }, faults: { initiateFailure: 0.002, hardwareFailure: 0.05, uploadRequests: 0.1 } },
  policy: { lowActivity: { thresholdBytesPerSecond: 4096, windowMs: 3000, quietMs: 3000 }, mediaDisconnectGraceMs: 0 },
  events: [],
});

$('chart-css').textContent = CHART_CSS;
const reasonRows = new Map();
for (const name of Object.keys(Reason).filter((k) => Number.isNaN(Number(k)))) {
  const tr = document.createElement('tr');
  tr.innerHTML = `<th>${name}</th><td id="reason-${name}">0</td>`;
  $('reasons').tBodies[0].append(tr);
  reasonRows.set(name, tr.lastChild);
}

function setRunning(on) {
  running = on;
  $('run').disabled = on;
  for (const id of ['link-down', 'link-up', 'pause', 'restart', 'burst']) $(id).disabled = !on;
}

const ifIndex = () => Number($('if').value);
$('link-down').onclick = () => control.push({ atMs: 0, type: 'linkDown', ifIndex: ifIndex() });
$('link-up').onclick = () => control.push({ atMs: 0, type: 'linkUp', ifIndex: ifIndex() });
$('pause').onclick = () => control.push({ atMs: 0, type: 'pause' });
$('restart').onclick = () => control.push({ atMs: 0, type: 'restart' });
$('burst').onclick = () => control.push({ atMs: 0, type: 'burst', count: 2000, priority: 9 });

$('run').onclick = async () => {
  setRunning(true);
  try {
    const cdf = parseCdf(await (await fetch('../scenarios/websearch.cdf')).text());
    const result = await simulate(scenario, {
      cdf,
      control,
      // About six times real time: a 100 ms tick every 16 ms.
      yieldEvery: () => new Promise((resolve) => setTimeout(resolve, 16)),
      onProgress: (p) => {
        $('status').textContent = `${(p.atMs / 1000).toFixed(1)} s simulated · ${p.connections.toLocaleString('en-US')} connections offloaded · ${p.terminations.toLocaleString('en-US')} terminations`;
      },
      onSample: (timeline, byReason, latencies) => {
        for (const [name, cell] of reasonRows) {
          const v = (byReason[name] ?? 0).toLocaleString('en-US');
          if (cell.textContent !== v) {
            cell.textContent = v;
            cell.classList.add('flash');
            setTimeout(() => cell.classList.remove('flash'), 300);
          }
        }
        $('charts').innerHTML = renderCharts({ timeline, capacity: scenario.target.capacity, latencies: [...latencies].sort((a, b) => a - b), terminations: { byReason } });
      },
    });
    const lost = result.nothingLost.failures.length ? `nothing lost FAILED (${result.nothingLost.failures.length})` : `nothing lost: ok for ${result.nothingLost.checked.toLocaleString('en-US')} connections`;
    $('status').textContent = `Done: ${result.offloaded.connections.toLocaleString('en-US')} connections offloaded, ${result.refused.total.toLocaleString('en-US')} refused; ${lost}; check(): ${result.check}.`;
  } catch (error) {
    $('status').textContent = `The simulation failed: ${error}`;
    console.error(error);
  } finally {
    setRunning(false);
  }
};
