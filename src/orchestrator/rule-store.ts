// The rule set the orchestrator serves: the --rules-file files read together,
// versioned by content hash, re-read when a file changes (polled with
// fs.watchFile, which survives editors that replace files). A new set is
// published only when it passes the checks (YAML parses into a list; with
// precheck, the rules engine loads it); otherwise the error is logged and the
// last good set stays. Owns the current set; tells listeners on change.

import { createHash } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { basename } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { LoggerLike } from '../alerts/alert-queue.js';
import type { RuleFile } from '../alerts/protocol.js';
import { describeLoadErrors } from '../alerts/rule-set-errors.js';
// Messages with lines and columns (installs the position-keeping parser).
import '../rules/yaml-positions.js';

export interface RuleSet {
  version: string;
  files: RuleFile[];
}

/** Deep validation hook: the rules engine's loadRuleFiles, wrapped. Returns error strings. */
export type RuleSetValidator = (files: RuleFile[]) => Promise<string[]>;

export interface RuleStoreOptions {
  paths: string[];
  logger: LoggerLike;
  validate?: RuleSetValidator;
  pollMs?: number;
}

export function ruleSetVersion(files: RuleFile[]): string {
  const h = createHash('sha256');
  for (const f of files) {
    h.update(f.name).update('\0').update(f.content).update('\0');
  }
  return `sha256:${h.digest('hex').slice(0, 16)}`;
}

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

/** Validator backed by src/rules (loaded dynamically, so the orchestrator works before the engine exists). */
export async function loadRulesEngineValidator(logger: LoggerLike): Promise<RuleSetValidator | undefined> {
  try {
    const spec = '../rules/index.js';
    const mod = (await import(spec)) as {
      loadRuleFiles?: (files: RuleFile[]) => { ruleset: unknown; results: { name?: string; errors?: unknown[] }[] };
    };
    if (typeof mod.loadRuleFiles !== 'function') throw new Error('src/rules/index.js has no loadRuleFiles');
    const load = mod.loadRuleFiles;
    return async (files) => {
      const r = load(files);
      if (r.ruleset !== undefined) return [];
      const errs = describeLoadErrors(r.results ?? []);
      return errs.length ? errs : ['rules engine refused the rule set'];
    };
  } catch (e) {
    logger.warn({ err: (e as Error).message }, 'rules engine not available; rule sets are checked as YAML only');
    return undefined;
  }
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
        content = readFileSync(p, 'utf8');
      } catch (e) {
        this.rejected++;
        log.error({ path: p, err: (e as Error).message, reason }, 'cannot read a rules file; keeping the last good rule set');
        return;
      }
      let name = basename(p);
      for (let i = 2; seen.has(name); i++) name = `${basename(p)}.${i}`;
      seen.add(name);
      files.push({ name, content });
    }
    const version = ruleSetVersion(files);
    if (this.current?.version === version) return;
    let errors = checkYaml(files);
    if (errors.length === 0 && this.opts.validate) errors = await this.opts.validate(files);
    if (errors.length) {
      this.rejected++;
      log.error({ version, errors, reason, serving: this.current?.version ?? null }, 'rule set invalid; not pushed, the last good rule set stays');
      return;
    }
    this.current = { version, files };
    log.info({ version, files: files.map((f) => f.name), reason }, 'rule set loaded');
    for (const l of this.listeners) l(this.current);
  }
}
