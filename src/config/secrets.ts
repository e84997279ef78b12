// Agent secrets and the workload's environment: the workload runs with the
// environment the agent got, minus the agent's secrets.

/** Environment variables removed from the workload's environment. */
export const SECRET_ENV_VARS: readonly string[] = ['SYSDIG_ACCESS_KEY', 'SYSDIG_API_TOKEN', 'SYSDIG_SECURE_API_TOKEN'];

const SECRETS = new Set(SECRET_ENV_VARS);

/** `env` as `K=V` strings for execve, in order, without SECRET_ENV_VARS and unset values. */
export function workloadEnv(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || SECRETS.has(k)) continue;
    out.push(`${k}=${v}`);
  }
  return out;
}
