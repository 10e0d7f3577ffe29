import net from 'node:net';
import type { ReplicaProcess } from './cluster-process.js';

/** canListen tells whether 127.0.0.1:`port` is free to listen on right now (it probes and closes). */
export async function canListen(port: number): Promise<boolean> {
  const server = net.createServer();
  const free = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (free) await new Promise<void>((r) => server.close(() => r()));
  return free;
}

/** firstBusyPort returns the first of `ports` that cannot be listened on at 127.0.0.1, if any. */
export async function firstBusyPort(ports: number[]): Promise<number | undefined> {
  for (const port of ports) if (!(await canListen(port))) return port;
  return undefined;
}

/** stopReplicas asks every replica to stop (SIGTERM: it closes its storage cleanly), SIGKILLs it after `graceMs`. */
export async function stopReplicas(procs: ReplicaProcess[], graceMs = 10_000): Promise<void> {
  const running = procs.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
  for (const p of running) p.child.kill('SIGTERM');
  const timer = setTimeout(() => {
    for (const p of running) p.child.kill('SIGKILL');
  }, graceMs);
  await Promise.all(running.map((p) => p.exited));
  clearTimeout(timer);
}
