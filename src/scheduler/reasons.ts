// Why a node cannot take a task, one reason per filter in Swarm's filter order, and the text
// written to an unplaced task's Status.Err: Swarm's "no suitable node (...)", naming the exact
// shortfall (memory or CPU) instead of Swarm's "insufficient resources".

export const Reason = {
  NotReady: 0,
  Memory: 1,
  CPU: 2,
  Constraints: 3,
  Platform: 4,
  HostPort: 5,
  MaxReplicas: 6,
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

export const REASON_COUNT = 7;

const nodes = (n: number): string => (n === 1 ? '1 node' : `${n} nodes`);
const has = (n: number): string => (n === 1 ? 'has' : 'have');

const PHRASES: readonly ((n: number) => string)[] = [
  (n) => `${nodes(n)} not available for new tasks`,
  (n) => `${nodes(n)} ${has(n)} insufficient memory`,
  (n) => `${nodes(n)} ${has(n)} insufficient CPU`,
  (n) => `scheduling constraints not satisfied on ${nodes(n)}`,
  (n) => `unsupported platform on ${nodes(n)}`,
  (n) => `host-mode port already in use on ${nodes(n)}`,
  (n) => `max replicas per node reached on ${nodes(n)}`,
];

export const NO_NODES = 'no suitable node (no nodes in the cluster)';

/** explain turns per-reason node counts into the message, most common reason first as Swarm does. */
export function explain(counts: ArrayLike<number>): string {
  const order = Array.from({ length: REASON_COUNT }, (_, r) => r)
    .filter((r) => (counts[r] ?? 0) > 0)
    .sort((a, b) => counts[b]! - counts[a]! || a - b);
  if (order.length === 0) return NO_NODES;
  return `no suitable node (${order.map((r) => PHRASES[r]!(counts[r]!)).join('; ')})`;
}
