// The rule set the orchestrator serves: the --rules-file files read together,
// versioned by content hash, re-read when a file changes (polled with
// fs.watchFile, which survives editors that replace files). A new set is
// published only when it passes the checks: regular files, the encoded set
// within MAX_RULESET_BYTES (an agent could not receive more), YAML that parses
// into lists, and (precheck, the default) the rules engine loads it. The
// engine runs in a worker thread bounded in heap and time, so a rule file
// that makes the engine blow up costs the orchestrator nothing. Otherwise the
// error is logged and the last good set stays. Owns the current set; tells
// listeners on change.

import { ruleSetVersion } from '../rules/version.js';
import { readFileSync, statSync, unwatchFile, watchFile } from 'node:fs';
import { basename } from 'node:path';
import { Worker } from 'node:worker_threads';
import { parseAllDocuments } from 'yaml';
import type { LoggerLike } from '../alerts/alert-queue.js';
import { MAX_RULESET_BYTES, encode, type RuleFile } from '../alerts/protocol.js';
// Messages with lines and columns (installs the position-keeping parser).

export interface RuleSet {
  version: string;
  files: RuleFile[];
}

/** What the rules engine made of a set: errors (none: it loads) and how many rules it enables. */
export interface ValidationResult {
  errors: string[];
  rules?: number;
}

/** Deep validation hook: the rules engine, run somewhere bounded. */
export type RuleSetValidator = (files: RuleFile[]) => Promise<ValidationResult>;

export interface RuleStoreOptions {
  paths: string[];
  logger: LoggerLike;
  validate?: RuleSetValidator;
  pollMs?: number;
}

// One version for the agent and the orchestrator (src/rules/version.ts).
export { ruleSetVersion };

/** Structural check every pushed set passes: each file is YAML whose documents are lists (or empty). */
export function checkYaml(files: RuleFile[]): string[] {
  const errors: string[] = [];
  for (const f of files) {
    try {
      for (const doc of parseAllDocuments(f.content)) {
        if (doc.errors.length) {
          errors.push(`${f.name}: ${doc.errors[0]!.message.split('\n')[0]}`);
          break;
        }
        const v = doc.toJS() as unknown;
        if (v !== null && v !== undefined && !Array.isArray(v)) {
          errors.push(`${f.name}: a rules file must be a YAML list of list/macro/rule items`);
          break;
        }
      }
    } catch (e) {
      errors.push(`${f.name}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return errors;
}

/** The argument that makes bin/orchestrator, started as a worker thread, validate the rule files in its workerData. */
export const VALIDATE_FLAG = '--validate-rule-set';

/** The worker's side: loads the files with the rules engine (src/rules) and posts a ValidationResult. */
export async function validateWorkerMain(): Promise<number> {
  const { parentPort, workerData } = await import('node:worker_threads');
  if (!parentPort) {
    process.stderr.write(`orchestrator: ${VALIDATE_FLAG} runs only as the orchestrator's worker\n`);
    return 2;
  }
  let result: ValidationResult;
  try {
    const files = (workerData as { files: RuleFile[] }).files;
    // The one place the orchestrator calls the engine: the same bounded
    // validation the agent applies (src/rules validateRuleSet).
    const { validateRuleSet } = await import('../rules/index.js');
    const { parseWithPositions } = await import('../rules/yaml-positions.js');
    const r = validateRuleSet(files, parseWithPositions);
    result = r.ok ? { errors: [], rules: r.rules } : { errors: r.errors.length ? r.errors : ['rules engine refused the rule set'] };
  } catch (e) {
    result = { errors: [`rules engine failed on the rule set: ${(e as Error).message.split('\n')[0]}`] };
  }
  parentPort.postMessage(result);
  return 0;
}

export interface WorkerValidatorOptions {
  /** The program whose main() handles VALIDATE_FLAG (bin/orchestrator, or the bundle in a dist tree); default process.argv[1]. */
  script?: string;
  /** V8 heap limit of the worker (default 512 MiB). */
  maxHeapMb?: number;
  /** Wall-clock limit (default 30 s). */
  timeoutMs?: number;
}

/**
 * Validator that runs the rules engine in a worker thread with a heap limit
 * and a deadline: a set that makes the engine exhaust its heap or run for
 * ever ends the worker, not the orchestrator (V8 stops the worker's isolate).
 */
export function workerValidator(o: WorkerValidatorOptions = {}): RuleSetValidator {
  const script = o.script ?? process.argv[1]!;
  const maxHeapMb = o.maxHeapMb ?? 512;
  const timeoutMs = o.timeoutMs ?? 30_000;
  return (files) =>
    new Promise<ValidationResult>((resolve) => {
      let settled = false;
      let w: Worker;
      const done = (r: ValidationResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(t);
        void w?.terminate();
        resolve(r);
      };
      const t = setTimeout(() => done({ errors: [`the rules engine did not finish validating the set within ${timeoutMs} ms (a rule-set bomb?)`] }), timeoutMs);
      try {
        // stdout/stderr piped and discarded: the orchestrator's stdout carries alerts.
        w = new Worker(script, { argv: [VALIDATE_FLAG], workerData: { files }, stdout: true, stderr: true, resourceLimits: { maxOldGenerationSizeMb: maxHeapMb } });
      } catch (e) {
        done({ errors: [`cannot run the rules engine: ${(e as Error).message}`] });
        return;
      }
      w.stdout.resume();
      w.stderr.resume();
      w.on('message', (r: ValidationResult) => done(Array.isArray(r?.errors) ? r : { errors: ['the rules engine gave no result'] }));
      w.on('error', (e: NodeJS.ErrnoException) =>
        done({ errors: [e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `the rules engine ran out of memory (${maxHeapMb} MiB heap) validating the set (a rule-set bomb?)` : `the rules engine failed: ${e.message.split('\n')[0]}`] }),
      );
      w.on('exit', (code) => done({ errors: [`the rules engine stopped (exit ${code}) without a result`] }));
    });
}

export class RuleStore {
  private current: RuleSet | undefined;
  private readonly listeners = new Set<(set: RuleSet) => void>();
  private reloading: Promise<void> = Promise.resolve();
  private watching = false;
  rejected = 0;

  constructor(private readonly opts: RuleStoreOptions) {}

  get(): RuleSet | undefined {
    return this.current;
  }

  onChange(fn: (set: RuleSet) => void): void {
    this.listeners.add(fn);
  }

  /** Loads the files now; resolves after the first load (good or not). */
  async start(): Promise<void> {
    await this.reload('start');
    if (this.watching) return;
    this.watching = true;
    for (const p of this.opts.paths) {
      watchFile(p, { interval: this.opts.pollMs ?? 300, persistent: false }, (cur, prev) => {
        if (cur.mtimeMs === prev.mtimeMs && cur.size === prev.size && cur.ino === prev.ino) return;
        void this.reload(`changed: ${p}`);
      });
    }
  }

  stop(): void {
    for (const p of this.opts.paths) unwatchFile(p);
    this.watching = false;
  }

  reload(reason: string): Promise<void> {
    this.reloading = this.reloading.then(() => this.doReload(reason)).catch((e: Error) => {
      this.opts.logger.error({ err: e.message }, 'rule set reload failed');
    });
    return this.reloading;
  }

  private async doReload(reason: string): Promise<void> {
    const log = this.opts.logger;
    if (this.opts.paths.length === 0) return;
    const files: RuleFile[] = [];
    const seen = new Set<string>();
    for (const p of this.opts.paths) {
      let content: string;
      try {
        // A FIFO would block and /dev/zero never ends: regular files only, size first.
        const st = statSync(p);
        if (!st.isFile()) throw new Error('not a regular file');
        if (st.size > MAX_RULESET_BYTES) throw new Error(`${st.size} bytes; a rule set may have ${MAX_RULESET_BYTES}`);
        content = readFileSync(p, 'utf8');
      } catch (e) {
        this.rejected++;
        log.error({ path: p, err: (e as Error).message, reason, serving: this.current?.version ?? null }, 'cannot read a rules file; keeping the last good rule set');
        return;
      }
      let name = basename(p);
      for (let i = 2; seen.has(name); i++) name = `${basename(p)}.${i}`;
      seen.add(name);
      files.push({ name, content });
    }
    const version = ruleSetVersion(files);
    if (this.current?.version === version) return;
    const bytes = Buffer.byteLength(encode({ type: 'ruleset', version, files }));
    let errors = bytes > MAX_RULESET_BYTES ? [`the rule set is ${bytes} bytes as a ruleset message; at most ${MAX_RULESET_BYTES} can be pushed`] : checkYaml(files);
    let rules: number | undefined;
    if (errors.length === 0 && this.opts.validate) ({ errors, rules } = await this.opts.validate(files));
    if (errors.length) {
      this.rejected++;
      log.error({ version, bytes, errors: errors.slice(0, 20), reason, serving: this.current?.version ?? null }, 'rule set invalid; not pushed, the last good rule set stays');
      return;
    }
    this.current = { version, files };
    log.info({ version, files: files.map((f) => f.name), bytes, rules: rules ?? null, reason }, 'rule set loaded');
    if (rules === 0) log.warn({ version }, 'the rule set enables no rules: agents that apply it detect nothing');
    for (const l of this.listeners) l(this.current);
  }
}
