// What the supervisor (native/supervisor.cc) hands the analysis process in
// its environment: the numbers of the fds it inherits (ring, doorbell,
// control channel, secrets pipe), whether the workload waits for our plan,
// and which start this is (0, then 1, 2... for restarts).
import type { SupervisorChannel } from '../tracer/index.js';

/** undefined: not started by the supervisor. */
export function supervisorEnv(env: NodeJS.ProcessEnv): SupervisorChannel | undefined {
  const fds = (env.DRAIOS_FDS ?? '').split(',').map(Number);
  if (fds.length !== 4 || fds.some((n) => !Number.isInteger(n) || n < 0)) return undefined;
  const [ringFd, doorbellFd, controlFd, secretsFd] = fds as [number, number, number, number];
  return { ringFd, doorbellFd, controlFd, secretsFd, needPlan: env.DRAIOS_NEED_PLAN === '1', start: Number(env.DRAIOS_ANALYSIS_START ?? 0) || 0 };
}
