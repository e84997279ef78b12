// The CloudFormation macro (as kilt's): a Lambda handler that instruments
// every task definition of the template it is given, with the same code as
// `agentctl instrument-taskdef`. Installed by deploy/cfn-macro.yaml; its
// bundle is made by `npm run dist` (dist/cfn-macro/index.mjs).
//
// Options, by the names of the command line's flags (src/deploy/options.ts):
// the function's INSTRUMENT_OPTIONS (a JSON object, set by the install
// template), then the Transform's Parameters of the template, which win:
//
//   Transform:
//     Name: SysdigInstrument
//     Parameters: { "orchestrator-host": !GetAtt Orch.Outputs.OrchestratorHost }
//
// CloudFormation hands the macro the template as JSON with intrinsics in
// their long form ({"Ref": ...}), which are carried over untouched.

import { createStderrLogger } from '../logging/logger.js';
import { instrumentValue } from './document.js';
import { InstrumentError, type Value } from './taskdef.js';

/** What CloudFormation sends a macro. */
export interface MacroEvent {
  requestId: string;
  fragment: unknown;
  params?: Record<string, unknown> | null;
  templateParameterValues?: Record<string, unknown> | null;
  region?: string;
  accountId?: string;
  transformId?: string;
}

/** What a macro answers. */
export interface MacroResponse {
  requestId: string;
  status: 'success' | 'failure';
  fragment: unknown;
  errorMessage?: string;
}

let log: ReturnType<typeof createStderrLogger> | undefined;

function configured(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const raw = env['INSTRUMENT_OPTIONS'];
  if (raw === undefined || raw.trim() === '') return {};
  const v = JSON.parse(raw) as unknown;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('INSTRUMENT_OPTIONS is not a JSON object');
  // The install template passes every option, unset ones as "": those are left out.
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== ''));
}

/** The Lambda handler. Never throws: a problem is a `failure` with every reason in errorMessage. */
export async function handler(event: MacroEvent, env: NodeJS.ProcessEnv = process.env): Promise<MacroResponse> {
  log ??= createStderrLogger('cfn-macro', env['LOG_LEVEL'] || 'info');
  const requestId = String(event?.requestId ?? '');
  try {
    const options = { ...configured(env), ...(event.params ?? {}) };
    const r = instrumentValue(event.fragment as Value, options);
    for (const w of r.warnings) log.warn({ requestId }, w);
    log.info({ requestId, transformId: event.transformId, taskDefinitions: r.taskDefinitions }, 'template instrumented');
    return { requestId, status: 'success', fragment: r.data };
  } catch (err) {
    const errorMessage = err instanceof InstrumentError ? err.problems.join('; ') : (err as Error).message;
    log.error({ requestId, err: errorMessage }, 'template not instrumented');
    return { requestId, status: 'failure', fragment: event?.fragment, errorMessage };
  }
}
