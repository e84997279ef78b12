// Wait statuses as a shell or container runtime reports them. Signal
// forwarding itself is the supervisor's (native/supervisor.cc, kForwarded:
// every catchable signal except SIGCHLD, the synchronous faults and
// SIGTTIN/SIGTTOU, with the reason for each exclusion there).

/** Exit code of a wait status: the code, or 128+N when killed by signal N. */
export function exitCodeOf(status: number): number {
  const termsig = status & 0x7f;
  if (termsig === 0) return (status >> 8) & 0xff; // exited
  return 128 + termsig; // killed by a signal
}
