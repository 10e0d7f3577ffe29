/**
 * Drivers run compare-etcd's workload on one started system through one client — Node put functions in
 * this process (ours over `KvTcpClient`, etcd over the `etcd3` npm client) or the Go generator in its
 * own process (etcd over `clientv3`) — and measure, beside puts/s or latency, the CPU time per put of
 * the servers and of the client over the same window.
 */
import { type GoLoadSpec, type GoWindowEvent, runGoLoad } from './go-put-load.js';
import { processCpuUs, selfCpuUs } from './process-cpu.js';
import { type PutFn, type WindowHooks, measureSequential, measureThroughput, valueOf } from './put-workload.js';

/** Measured is one measurement: its rate or latency quantiles and the CPU µs per put it cost. */
export interface Measured {
  puts: number;
  errors: number;
  putsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU µs per put of all server processes together, undefined when it could not be read. */
  serverCpuUsPerPut: number | undefined;
  /** CPU µs per put of the client process, undefined when it could not be read. */
  clientCpuUsPerPut: number | undefined;
}

/** Driver runs the workload on one started system. */
export interface Driver {
  describe: string;
  /** sequential makes `puts` puts one after the other (after `warmup` discarded ones), on one connection. */
  sequential(valueSize: number, puts: number, warmup: number): Promise<Measured>;
  /** throughput keeps `inFlight` puts outstanding over `conns` connections for `seconds` after `warmupSeconds`. */
  throughput(valueSize: number, conns: number, inFlight: number, seconds: number, warmupSeconds: number): Promise<Measured>;
  /** idleCpuPercent waits `seconds` with no load and returns the servers' mean CPU use per process, in % of a core. */
  idleCpuPercent(seconds: number): Promise<number | undefined>;
  stop(): Promise<void>;
}

/** idleCpuPercent samples the CPU time of `serverPids` over `seconds` of nothing and returns their mean use in % of a core. */
async function idleCpuPercent(serverPids: readonly number[], seconds: number): Promise<number | undefined> {
  const w = new CpuWindow(serverPids);
  w.edge('start', 0, 0);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const elapsedUs = (performance.now() - t0) * 1000;
  w.edge('end', 1, 0);
  const server = w.perPut().server;
  return server === undefined || serverPids.length === 0 ? undefined : (100 * server) / elapsedUs / serverPids.length;
}

/** CpuWindow collects the CPU and put counts at a window's two edges. */
class CpuWindow {
  private server0: number | undefined;
  private server1: number | undefined;
  private client0: number | undefined;
  private client1: number | undefined;
  private puts0 = 0;
  private puts1 = 0;

  constructor(private readonly serverPids: readonly number[]) {}

  private servers(): number | undefined {
    let sum: number | undefined = 0;
    for (const pid of this.serverPids) {
      const us = processCpuUs(pid);
      sum = us === undefined || sum === undefined ? undefined : sum + us;
    }
    return sum;
  }

  /** edge records one edge: `clientUs` is the client's CPU time then, `completed` its puts so far. */
  edge(which: 'start' | 'end', completed: number, clientUs: number | undefined): void {
    if (which === 'start') {
      this.server0 = this.servers();
      this.client0 = clientUs;
      this.puts0 = completed;
    } else {
      this.server1 = this.servers();
      this.client1 = clientUs;
      this.puts1 = completed;
    }
  }

  /** perPut returns the CPU µs per put acknowledged between the two edges. */
  perPut(): { server: number | undefined; client: number | undefined } {
    const puts = this.puts1 - this.puts0;
    const per = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined || b === undefined || puts <= 0 ? undefined : (b - a) / puts);
    return { server: per(this.server0, this.server1), client: per(this.client0, this.client1) };
  }
}

/** nodeHooks turns a CpuWindow into WindowHooks for the in-process Node client. */
function nodeHooks(w: CpuWindow): WindowHooks {
  return { open: (n) => w.edge('start', n, selfCpuUs()), close: (n) => w.edge('end', n, selfCpuUs()) };
}

/**
 * nodeDriver drives a system through Node put functions in this process: `put` on its one connection,
 * `openPuts(n)` for runs over more connections.
 */
export function nodeDriver(opts: {
  describe: string;
  serverPids: readonly number[];
  put: PutFn;
  openPuts(n: number): Promise<{ puts: PutFn[]; close(): Promise<void> }>;
  stop(): Promise<void>;
}): Driver {
  return {
    describe: opts.describe,
    stop: opts.stop,
    idleCpuPercent: (seconds) => idleCpuPercent(opts.serverPids, seconds),
    async sequential(valueSize, puts, warmup) {
      const w = new CpuWindow(opts.serverPids);
      const r = await measureSequential(opts.put, valueOf(valueSize), puts, warmup, nodeHooks(w));
      const cpu = w.perPut();
      return { puts: r.puts, errors: 0, putsPerSec: Number.NaN, p50Ms: r.p50Ms, p99Ms: r.p99Ms, serverCpuUsPerPut: cpu.server, clientCpuUsPerPut: cpu.client };
    },
    async throughput(valueSize, conns, inFlight, seconds, warmupSeconds) {
      // The first connection is the system's own; the others are opened for this measurement.
      const extra = conns > 1 ? await opts.openPuts(conns - 1) : undefined;
      try {
        const w = new CpuWindow(opts.serverPids);
        const r = await measureThroughput([opts.put, ...(extra?.puts ?? [])], valueOf(valueSize), inFlight, seconds, warmupSeconds, nodeHooks(w));
        const cpu = w.perPut();
        return { puts: r.puts, errors: r.errors, putsPerSec: r.putsPerSec, p50Ms: Number.NaN, p99Ms: Number.NaN, serverCpuUsPerPut: cpu.server, clientCpuUsPerPut: cpu.client };
      } finally {
        await extra?.close();
      }
    },
  };
}

/** goDriver drives etcd through the Go generator `bin`, one generator process per measurement, aimed at `endpoint`. */
export function goDriver(opts: { describe: string; bin: string; endpoint: string; serverPids: readonly number[]; stop(): Promise<void> }): Driver {
  const run = async (spec: Omit<GoLoadSpec, 'endpoint'>): Promise<Measured> => {
    const w = new CpuWindow(opts.serverPids);
    const r = await runGoLoad(opts.bin, { ...spec, endpoint: opts.endpoint }, (e: GoWindowEvent) => w.edge(e.event, e.completed, e.cpuUs)).result;
    if (r.puts === 0) throw new Error(`the Go generator acknowledged no put (${r.errors} errors${r.firstError !== undefined ? `, first: ${r.firstError}` : ''})`);
    const cpu = w.perPut();
    return { puts: r.puts, errors: r.errors, putsPerSec: r.putsPerSec, p50Ms: r.p50Ms, p99Ms: r.p99Ms, serverCpuUsPerPut: cpu.server, clientCpuUsPerPut: cpu.client };
  };
  return {
    describe: opts.describe,
    stop: opts.stop,
    idleCpuPercent: (seconds) => idleCpuPercent(opts.serverPids, seconds),
    sequential: (valueSize, puts, warmup) => run({ conns: 1, clients: 1, valueSize, keyPrefix: 'seq-', count: puts, warmupCount: warmup }),
    throughput: (valueSize, conns, inFlight, seconds, warmupSeconds) => run({ conns, clients: inFlight, valueSize, keyPrefix: 'tp-', seconds, warmupSeconds }),
  };
}
