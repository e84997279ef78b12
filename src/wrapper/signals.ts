// Which signals the wrapper forwards to the workload, as a PID 1 must: every
// catchable signal except SIGCHLD (ours to reap), and the synchronous ones a
// process raises against itself (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP,
// SIGSYS, SIGABRT). SIGTTIN/SIGTTOU are excluded as tini does: the terminal
// sends them to us when *we* touch it from the background.
export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = [
  'SIGHUP',
  'SIGINT',
  'SIGQUIT',
  'SIGUSR1',
  'SIGUSR2',
  'SIGPIPE',
  'SIGALRM',
  'SIGTERM',
  'SIGCONT',
  'SIGTSTP',
  'SIGWINCH',
  'SIGURG',
  'SIGXCPU',
  'SIGXFSZ',
  'SIGVTALRM',
  'SIGPROF',
  'SIGIO',
  'SIGPWR',
];

export interface SignalForwarder {
  /** The workload's pid is known: deliver what arrived before, forward from now on. */
  setTarget(pid: number): void;
  /** Remove the handlers. */
  stop(): void;
}

/**
 * Installs forwarding before the workload exists, so that a signal arriving
 * during start-up is held and delivered, never left to its default action
 * (which would kill the agent, and with it the workload).
 */
export function forwardSignals(onForward?: (sig: NodeJS.Signals) => void): SignalForwarder {
  const handlers = new Map<NodeJS.Signals, () => void>();
  let pid: number | undefined;
  const early: NodeJS.Signals[] = [];
  const deliver = (sig: NodeJS.Signals): void => {
    try {
      process.kill(pid!, sig);
    } catch {
      // the workload is already gone; its exit is on its way
    }
    onForward?.(sig);
  };
  for (const sig of FORWARDED_SIGNALS) {
    const h = (): void => {
      if (pid === undefined) early.push(sig);
      else deliver(sig);
    };
    try {
      process.on(sig, h);
      handlers.set(sig, h);
    } catch {
      // a signal this platform does not have
    }
  }
  return {
    setTarget(p) {
      pid = p;
      for (const sig of early.splice(0)) deliver(sig);
    },
    stop() {
      for (const [sig, h] of handlers) process.off(sig, h);
    },
  };
}

/** Exit code of a wait status, as a shell or container runtime reports it. */
export function exitCodeOf(status: number): number {
  const termsig = status & 0x7f;
  if (termsig === 0) return (status >> 8) & 0xff; // exited
  return 128 + termsig; // killed by a signal
}
