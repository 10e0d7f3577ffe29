/**
 * The Go side of compare-etcd: builds this package's own load generator (`go/etcd-put-load.go`, etcd's
 * Go client `clientv3`) with Debian's Go in GOPATH mode, installing `golang-go` and
 * `golang-etcd-server-dev` with apt-get when missing and running as root, and runs it. Nothing is
 * downloaded except by apt-get; every step that cannot be done returns a reason instead of numbers.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SOURCE = fileURLToPath(new URL('../../go/etcd-put-load.go', import.meta.url));
const GOCODE = '/usr/share/gocode';
const CLIENTV3 = join(GOCODE, 'src/go.etcd.io/etcd/clientv3');
const GO_CANDIDATES = ['/usr/bin/go', '/usr/lib/go/bin/go'];
const PACKAGES = 'golang-go golang-etcd-server-dev';

/** GoWindowEvent is the generator's mark of its measured window opening or closing. */
export interface GoWindowEvent {
  event: 'start' | 'end';
  completed: number;
  cpuUs: number;
}

/** GoLoadResult is the generator's final line: the measured window's puts, rate and latency quantiles. */
export interface GoLoadResult {
  conns: number;
  clients: number;
  puts: number;
  errors: number;
  seconds: number;
  putsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** The generator's own CPU time inside the window (µs). */
  clientCpuUs: number;
  firstError?: string;
}

/** GoLoadSpec is one run of the generator: either `seconds` after `warmupSeconds`, or `count` puts after `warmupCount`. */
export interface GoLoadSpec {
  endpoint: string;
  conns: number;
  clients: number;
  valueSize: number;
  keyPrefix: string;
  seconds?: number;
  warmupSeconds?: number;
  count?: number;
  warmupCount?: number;
}

const findGo = (): string | undefined => {
  const onPath = (process.env.PATH ?? '').split(':').map((d) => join(d, 'go'));
  return [...GO_CANDIDATES, ...onPath].find((p) => existsSync(p));
};

const tail = (err: unknown): string => {
  const stderr = (err as { stderr?: Buffer | string }).stderr?.toString().trim().split('\n').slice(-3).join(' ') ?? '';
  return stderr || (err instanceof Error ? err.message : String(err));
};

/**
 * ensureGoLoad returns the path of the built generator (cached by its source's hash under the temp
 * folder), installing Debian's Go and etcd client sources first when they are missing and this is
 * root; otherwise a reason why etcd cannot be driven from Go here. `goBinary` (BENCH_GO) names the go
 * command to use instead of looking for one (nothing is installed then).
 */
export function ensureGoLoad(log: (line: string) => void, goBinary?: string): string | { bin: string; goVersion: string } {
  if (goBinary !== undefined && !existsSync(goBinary)) return `BENCH_GO names ${goBinary}, which does not exist`;
  let go = goBinary ?? findGo();
  if (go === undefined || !existsSync(CLIENTV3)) {
    const missing = go === undefined ? 'Go' : `etcd's Go client sources (${CLIENTV3})`;
    if (process.getuid?.() !== 0) return `${missing} not installed and this is not root (install the Debian packages ${PACKAGES})`;
    log(`${missing} not found: installing the Debian packages ${PACKAGES} (apt-get update && apt-get install -y ${PACKAGES}) ...`);
    try {
      execFileSync('sh', ['-c', `apt-get update && apt-get install -y ${PACKAGES}`], {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
        timeout: 600_000,
      });
    } catch (err) {
      return `apt-get install ${PACKAGES} failed (${tail(err)})`;
    }
    go = findGo();
    if (go === undefined) return `${PACKAGES} were installed but no go binary was found`;
    if (!existsSync(CLIENTV3)) return `${PACKAGES} were installed but ${CLIENTV3} is missing`;
  }
  const source = readFileSync(SOURCE);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), `omnipaxos-bench-go-${hash}`);
  const bin = join(dir, 'etcd-put-load');
  // GOPATH mode (no modules, no proxy): imports resolve only from Debian's /usr/share/gocode.
  const env = { ...process.env, GO111MODULE: 'off', GOPATH: `${join(dir, 'gopath')}:${GOCODE}`, GOPROXY: 'off', GOFLAGS: '', CGO_ENABLED: '0', GOCACHE: join(dir, 'cache') };
  let goVersion = 'go';
  try {
    goVersion = execFileSync(go, ['version'], { encoding: 'utf8', env, timeout: 30_000 }).trim().replace(/^go version /, '');
  } catch (err) {
    return `${go} version failed (${tail(err)})`;
  }
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    log(`building the Go load generator (${goVersion}, GOPATH mode against ${GOCODE}) ...`);
    try {
      execFileSync(go, ['build', '-o', bin, SOURCE], { stdio: ['ignore', 'ignore', 'pipe'], env, cwd: dir, timeout: 600_000 });
    } catch (err) {
      return `go build of ${SOURCE} failed (${tail(err)})`;
    }
  }
  return { bin, goVersion };
}

/** GoLoadRun is a started generator: its process id, and its result once it exits. */
export interface GoLoadRun {
  pid: number;
  result: Promise<GoLoadResult>;
}

/**
 * runGoLoad starts the generator with `spec`, calls `onWindow` as its measured window opens and
 * closes (from the event lines it prints), and resolves with its result line; it rejects with the
 * tail of its stderr if it fails, and kills it if it runs far past its expected length.
 */
export function runGoLoad(bin: string, spec: GoLoadSpec, onWindow: (e: GoWindowEvent) => void): GoLoadRun {
  const args = ['-endpoint', spec.endpoint, '-conns', String(spec.conns), '-clients', String(spec.clients), '-value-size', String(spec.valueSize), '-key-prefix', spec.keyPrefix];
  if (spec.seconds !== undefined) args.push('-seconds', String(spec.seconds), '-warmup-seconds', String(spec.warmupSeconds ?? 0));
  else args.push('-count', String(spec.count ?? 0), '-warmup-count', String(spec.warmupCount ?? 0));
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr.on('data', (c: Buffer) => {
    stderr.push(c.toString());
    if (stderr.length > 20) stderr.shift();
  });
  const limitMs = ((spec.seconds ?? 0) + (spec.warmupSeconds ?? 0)) * 1000 + 120_000;
  const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const result = new Promise<GoLoadResult>((resolve, reject) => {
    let last: GoLoadResult | undefined;
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        return;
      }
      if (typeof msg !== 'object' || msg === null) return;
      if ('event' in msg) onWindow(msg as GoWindowEvent);
      else last = msg as GoLoadResult;
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`etcd-put-load: ${err.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0 && last !== undefined) resolve(last);
      else reject(new Error(`etcd-put-load exited (${signal ?? code}): ${stderr.join('').trim().slice(-400)}`));
    });
  });
  return { pid: child.pid ?? -1, result };
}
