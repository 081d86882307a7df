// The live demo: runs the policy lab in this page (chimney-host/sim) and redraws the charts as it
// goes. Pick a policy and a capacity, press Run, and watch the offload ratio; drop a link, pause
// the target or send a burst, and watch the terminations. Served from the package root (npm run
// demo), so the built package is at ../dist/.
import { Reason, policies } from '../dist/index.js';
import { readScenario, SyntheticWorkload, runLab, parseCdf, renderRunCharts, CHART_CSS } from '../dist/sim/index.js';

const $ = (id) => document.getElementById(id);
const control = [];
let workload;

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
  connections: {
    count: 20000,
    arrivalMs: 100000,
    flowSizes: 'websearch',
    rateBytesPerSecond: { min: 20000, max: 2000000 },
    priorities: { 0: 70, 2: 20, 5: 10 },
    transfers: { min: 1, max: 3 },
    idleGapMs: { distribution: 'pareto', minMs: 200, alpha: 1.5 },
    keepAliveMs: 1000,
  },
  target: { capacity: 1000, latencyMs: { min: 1, max: 30 }, faults: { initiateFailure: 0.002, hardwareFailure: 0.05, uploadRequests: 0.1 } },
  policy: { lowActivity: { thresholdBytesPerSecond: 4096, windowMs: 3000, quietMs: 3000 }, mediaDisconnectGraceMs: 0 },
  events: [],
});

$('chart-css').textContent = CHART_CSS;
for (const name of Object.keys(policies)) $('policy').append(new Option(name, name));
const reasonRows = new Map();
for (const name of Object.keys(Reason).filter((k) => Number.isNaN(Number(k)) && k !== 'Orphaned')) {
  const tr = document.createElement('tr');
  tr.innerHTML = `<th>${name}</th><td id="reason-${name}">0</td>`;
  $('reasons').tBodies[0].append(tr);
  reasonRows.set(name, tr.lastChild);
}

function setRunning(on) {
  for (const id of ['run', 'policy', 'capacity']) $(id).disabled = on;
  for (const id of ['link-down', 'link-up', 'pause', 'restart', 'burst']) $(id).disabled = !on;
}

const pct = (v) => `${(100 * v).toFixed(1)}%`;
const ifIndex = () => Number($('if').value);
$('link-down').onclick = () => control.push({ atMs: 0, type: 'linkDown', ifIndex: ifIndex() });
$('link-up').onclick = () => control.push({ atMs: 0, type: 'linkUp', ifIndex: ifIndex() });
$('pause').onclick = () => control.push({ atMs: 0, type: 'pause' });
$('restart').onclick = () => control.push({ atMs: 0, type: 'restart' });
$('burst').onclick = () => workload.push({ atMs: 0, type: 'burst', count: 2000, priority: 9 });

$('run').onclick = async () => {
  setRunning(true);
  const capacity = Number($('capacity').value);
  const name = $('policy').value;
  try {
    const cdf = parseCdf(await (await fetch('../scenarios/websearch.cdf')).text());
    workload = new SyntheticWorkload(scenario, cdf, { room: 40000 });
    const result = await runLab({
      source: workload,
      setup: scenario,
      capacity,
      policy: policies[name].create(),
      oracle: true,
      control,
      samples: 240,
      // About six times real time: a 100 ms tick every 16 ms.
      yieldEvery: () => new Promise((resolve) => setTimeout(resolve, 16)),
      onSample: (sample, timeline, m) => {
        const all = m.offloadedBytes + m.softwareBytes;
        $('ratio').textContent = all ? pct(m.offloadedBytes / all) : '–';
        $('status').textContent =
          `${(sample.atMs / 1000).toFixed(1)} s simulated · ${m.connectionsOpen.toLocaleString('en-US')} connections alive · ${m.connectionsOffloaded.toLocaleString('en-US')} offloaded of ${capacity.toLocaleString('en-US')} · ${m.terminations.toLocaleString('en-US')} terminations`;
        for (const [reason, cell] of reasonRows) {
          const v = (m.terminationsByReason[reason] ?? 0).toLocaleString('en-US');
          if (cell.textContent !== v) {
            cell.textContent = v;
            cell.classList.add('flash');
            setTimeout(() => cell.classList.remove('flash'), 300);
          }
        }
        $('charts').innerHTML = renderRunCharts(timeline, capacity);
      },
    });
    $('ratio').textContent = pct(result.offloadRatio);
    $('oracle').textContent = `${pct(result.oracle.offloadRatio)} (${name} got ${pct(result.oracleRatio)} of it)`;
    const lost = result.nothingLost
      ? `nothing lost: ok for ${result.nothingLostDetail.checked.toLocaleString('en-US')} connections`
      : `nothing lost FAILED (${result.nothingLostDetail.failures})`;
    $('status').textContent =
      `Done: ${name} at capacity ${capacity.toLocaleString('en-US')} offloaded ${pct(result.offloadRatio)} of all bytes, churn ${Math.round(result.churnPerSecond)}/s; ${lost}; check(): ${result.check}.`;
  } catch (error) {
    $('status').textContent = `The simulation failed: ${error}`;
    console.error(error);
  } finally {
    setRunning(false);
  }
};
