// Shared by every reconnecting or retrying part of the agent (the
// orchestrator link, the log channel, the orchestrator's forwarder).
// Capped exponential backoff with full jitter (AWS architecture blog, "Exponential
// Backoff And Jitter"): delay = random in [min, min(max, min * 2^attempt)].

export interface BackoffOptions {
  minMs?: number;
  maxMs?: number;
  random?: () => number;
}

export function backoffDelay(attempt: number, opts: BackoffOptions = {}): number {
  const min = Math.max(1, opts.minMs ?? 250);
  const max = Math.max(min, opts.maxMs ?? 15_000);
  const ceiling = Math.min(max, min * 2 ** Math.min(Math.max(0, attempt), 30));
  const r = (opts.random ?? Math.random)();
  return Math.round(min + r * (ceiling - min));
}
