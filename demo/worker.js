// A module worker that uses the table: builds a tree, cascades a termination, reports the batch.
import { OffloadTable, Kind, Reason } from '../dist/index.js';

const table = await OffloadTable.create();
const n = table.offloadNeighbor({ ifIndex: 1, address: '10.0.0.1' });
const p = table.offloadPath({ source: '10.0.0.2', destination: '10.9.9.9' }, n);
const cs = table.offloadConnections(
  new Float64Array(1000).fill(p),
  Uint16Array.from({ length: 1000 }, (_, i) => 1000 + i),
  new Uint16Array(1000).fill(443),
);
table.completeOffload([n, p, ...cs]);
const batch = table.terminate([n], Reason.MediaDisconnect);
table.completeTerminate(batch.handles);
table.check();
postMessage(`terminated ${batch.length} objects in post-order; ${table.count(Kind.Connection)} connections left`);
