// A small offload tree in the table alone (no host, no target): build it, drop the link under half
// of it, and print the termination batches a host would hand to the target.
import { OffloadTable, Kind, State, Reason } from 'chimney-host';

const table = await OffloadTable.create();
const name = (h) => {
  const { kind, key } = table.describe(h);
  if (kind === Kind.Neighbor) return `neighbor ${key.address} on if${key.ifIndex}`;
  if (kind === Kind.Path) return `path ${key.source} -> ${key.destination}`;
  return `connection ${key.source}:${key.localPort} -> ${key.destination}:${key.remotePort} (priority ${key.priority})`;
};
const print = (title, batch) => {
  console.log(`\n${title}: ${batch.length} object(s), post-order`);
  for (let i = 0; i < batch.length; i++) console.log(`  ${String(i + 1).padStart(2)}. ${Reason[batch.reasons[i]].padEnd(16)} ${name(batch.handles[i])}`);
};

// Two interfaces, two neighbors each, two paths per neighbor, three connections per path.
const all = [];
for (const ifIndex of [1, 2]) {
  for (let n = 1; n <= 2; n++) {
    const neighbor = table.offloadNeighbor({ ifIndex, address: `10.${ifIndex}.0.${n}` });
    all.push(neighbor);
    for (let p = 1; p <= 2; p++) {
      const path = table.offloadPath({ source: `10.${ifIndex}.0.100`, destination: `192.0.${n}.${p}` }, neighbor);
      all.push(path);
      for (let c = 0; c < 3; c++) all.push(table.offloadConnection({ localPort: 40000 + c, remotePort: 443, priority: c }, path));
    }
  }
}
table.completeOffload(all);
console.log(`offloaded: ${table.count(Kind.Neighbor)} neighbors, ${table.count(Kind.Path)} paths, ${table.count(Kind.Connection)} connections`);

// One connection goes quiet: it alone is terminated.
const quiet = table.findConnection({ source: '10.2.0.100', destination: '192.0.1.1', localPort: 40000, remotePort: 443 });
const low = table.terminate([quiet], Reason.LowActivity);
print('low activity', low);
print('completed; orphans pruned', table.completeTerminate(low.handles));

// The link of interface 1 goes down: everything on it is terminated, dependents first.
const down = table.terminateInterface(1, Reason.MediaDisconnect);
print('media disconnect on if1', down);
const orphans = table.completeTerminate(down.handles);
print('completed; orphans pruned', orphans);

table.check();
console.log(
  `\nleft: ${table.count(Kind.Neighbor)} neighbors, ${table.count(Kind.Path)} paths, ${table.count(Kind.Connection)} connections; every invariant holds (check()).`,
);
console.log(`state of a survivor: ${State[table.state(table.handles(Kind.Connection)[0])]}`);
