// The workload as the policy lab consumes it: a pull stream of ticks. A synthetic workload
// (scenario flows) and a recorded one (a pcap, pcapng or Zeek conn.log replayed by src/trace/)
// both implement WorkloadSource, so simulate and compare never know which one they run.
//
// A source fills one reusable TickBatch per tick, so memory is bounded by the connections alive
// in a tick, never by the workload's length or the size of the file behind it. Connections are
// named by the source's own ids: small non-negative integers, unique for the run, dense enough
// to index typed arrays (a source may reuse an id only after the tick that closed it).

/** Growable columns of one tick. `count` entries are valid; arrays may be longer. */
export interface TickBatch {
  /** Connections that open in this tick. */
  opened: {
    count: number;
    id: Uint32Array;
    ifIndex: Uint32Array;
    /** 16 bytes per connection (IPv4 stored IPv4-mapped, as the table stores addresses). */
    nextHop: Uint8Array;
    source: Uint8Array;
    destination: Uint8Array;
    localPort: Uint16Array;
    remotePort: Uint16Array;
    /** 0..255, higher wins. */
    priority: Uint8Array;
  };
  /** Bytes moved in this tick, by connection (an id appears at most once per tick). */
  traffic: {
    count: number;
    id: Uint32Array;
    /** Bytes the local side sent. */
    sent: Float64Array;
    /** Bytes the local side received. */
    received: Float64Array;
    /**
     * The number the reader attached to the connection with WorkloadSource.tag(), 0 if none yet.
     * Written only by a source that has tag(), and only into a batch that has this column.
     */
    tag?: Float64Array;
  };
  /**
   * Standing rates: changes in this tick, in the order they apply. From this tick on, connection
   * id[i] moves sent[i] and received[i] bytes in every tick, on top of its `traffic` entries,
   * until a later change; (0, 0) stops it, and so does its close (it moves no standing bytes in
   * the tick it closes, nor in the tick of a stop). A connection that moves the same bytes tick
   * after tick is one change instead of an entry per tick, down the whole chain (runLab passes it
   * to HostStack.steady). A reader that wants each tick's bytes connection by connection reads the
   * batch through TrafficByTick (src/sim/standing.ts). Present in every batch of createTickBatch;
   * a source that writes rates requires it.
   */
  rates?: {
    count: number;
    id: Uint32Array;
    sent: Float64Array;
    received: Float64Array;
  };
  /** Connections that close at the end of this tick (after their traffic of this tick). */
  closed: {
    count: number;
    id: Uint32Array;
  };
}

/** A workload, tick by tick. */
export interface WorkloadSource {
  /** Simulated ms per tick. */
  readonly tickMs: number;
  /** Ticks in the run (an estimate for a stream whose end is not known in advance; used for progress). */
  readonly ticks: number;
  /** What the source is, for reports: a scenario name or a file name. */
  readonly name: string;
  /**
   * Fills `batch` (resetting its counts first) with tick number `tick` (0, 1, 2, ... in order)
   * and says whether there is anything after it. Sources reading files may be asynchronous.
   */
  next(tick: number, batch: TickBatch): boolean | Promise<boolean>;
  /**
   * Optional: attaches tags[i] (a number other than 0, e.g. the host's id for the connection) to
   * connection ids[i], i < count, until it closes; its traffic entries carry it in
   * `batch.traffic.tag` from then on. It saves the reader a lookup by id per traffic entry, which
   * for a million connections is a cache miss each (a source keeps its active connections in
   * order and can carry the tag alongside). Connections opened in the tick just read may be
   * tagged; their entries of that tick already say 0.
   */
  tag?(ids: ArrayLike<number>, tags: ArrayLike<number>, count: number): void;
  /** Releases files and buffers; called once, also when a run stops early. */
  close?(): void | Promise<void>;
}
