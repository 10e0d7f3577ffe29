/**
 * SupervisionPolicy bounds restarts: at most `maxRestarts` within `windowTicks`, each restart waiting
 * `backoffTicks * 2^(restarts in window - 1)` ticks (capped at `maxBackoffTicks`). One restart too many
 * escalates to the supervisor's parent.
 */
export interface SupervisionPolicy {
  maxRestarts: number;
  windowTicks: number;
  backoffTicks: number;
  maxBackoffTicks: number;
}

/** DEFAULT_SUPERVISION is 5 restarts per 1000 ticks, backing off from 2 to 64 ticks. */
export const DEFAULT_SUPERVISION: Readonly<SupervisionPolicy> = Object.freeze({
  maxRestarts: 5,
  windowTicks: 1000,
  backoffTicks: 2,
  maxBackoffTicks: 64,
});

/** RestartDecision is what to do after a child failed: restart after `delayTicks`, or escalate. */
export type RestartDecision = { kind: 'restart'; delayTicks: number; history: number[] } | { kind: 'escalate'; history: number[] };

/**
 * decideRestart records a failure at tick `now` in the restart `history` (ticks of earlier restarts)
 * and decides whether the budget allows one more restart.
 */
export function decideRestart(policy: SupervisionPolicy, history: readonly number[], now: number): RestartDecision {
  const recent = history.filter((t) => now - t < policy.windowTicks);
  if (recent.length >= policy.maxRestarts) return { kind: 'escalate', history: recent };
  recent.push(now);
  const delayTicks = Math.min(policy.maxBackoffTicks, policy.backoffTicks * 2 ** (recent.length - 1));
  return { kind: 'restart', delayTicks, history: recent };
}
