// Where received alerts go, and the dedup journal that makes delivery
// exactly-once. Each alert is written as one JSON line: the Falco JSON alert
// plus an `agent` object {id, seq, container?, task?}. The --alerts-file is
// also the journal: at start the writer reads it back to learn, per agent id,
// the highest sequence already written, so an alert resent after an
// orchestrator crash is recognised and skipped. File writes are synchronous
// (one write per batch) and happen before the batch is acknowledged, so an
// acknowledged alert is in the file (kernel page cache) even after kill -9.

import { closeSync, createReadStream, existsSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { FalcoAlert } from '../alerts/alert.js';
import type { LoggerLike } from '../alerts/alert-queue.js';

export interface AlertOrigin {
  agentId: string;
  container?: string;
  task?: string;
}

export interface WriterStats {
  written: number;
  duplicates: number;
  gaps: number;
  writeErrors: number;
  stdoutDropped: number;
  agentsKnown: number;
  /** Agents forgotten by the dedup table's bound (least recently written first). */
  agentsEvicted: number;
}

export interface AlertWriterOptions {
  file?: string;
  stdout: boolean;
  logger: LoggerLike;
  /** Bytes of stdout backlog before stdout lines are dropped (counted). Default 16 MiB. */
  stdoutMaxBuffered?: number;
  /**
   * Agents the dedup table remembers, at most (default 100,000): the least
   * recently written one is forgotten first (counted). Fargate tasks come and
   * go; without a bound the table grows with every agent ever seen. A
   * forgotten agent that resends old alerts gets them written again.
   */
  maxAgents?: number;
}

/** The part of the file read back at start (the newest end). */
const RECOVER_MAX_BYTES = 512 * 1024 * 1024;

export class AlertWriter {
  private fd: number | undefined;
  private readonly lastSeq = new Map<string, number>();
  private readonly s: WriterStats = { written: 0, duplicates: 0, gaps: 0, writeErrors: 0, stdoutDropped: 0, agentsKnown: 0, agentsEvicted: 0 };
  private readonly stdoutMax: number;
  private readonly maxAgents: number;

  constructor(private readonly opts: AlertWriterOptions) {
    this.stdoutMax = opts.stdoutMaxBuffered ?? 16 * 1024 * 1024;
    this.maxAgents = opts.maxAgents ?? 100_000;
  }

  /** Records an agent's highest sequence as its most recent entry (a Map keeps insertion order), evicting the oldest past the bound. */
  private remember(agentId: string, seq: number): void {
    this.lastSeq.delete(agentId);
    this.lastSeq.set(agentId, seq);
    while (this.lastSeq.size > this.maxAgents) {
      this.lastSeq.delete(this.lastSeq.keys().next().value!);
      this.s.agentsEvicted++;
    }
  }

  /** Reads the journal back and opens the file for appending. Throws if the file cannot be opened. */
  async open(): Promise<void> {
    const f = this.opts.file;
    if (!f) return;
    if (existsSync(f)) await this.recover(f);
    this.fd = openSync(f, 'a');
    // A torn last line (crash mid-write) is terminated so the next line stays whole.
    const size = statSync(f).size;
    if (size > 0) {
      const last = Buffer.alloc(1);
      const rfd = openSync(f, 'r');
      try {
        readSync(rfd, last, 0, 1, size - 1);
      } finally {
        closeSync(rfd);
      }
      if (last[0] !== 0x0a) writeSync(this.fd, '\n');
    }
  }

  private async recover(file: string): Promise<void> {
    const size = statSync(file).size;
    const start = Math.max(0, size - RECOVER_MAX_BYTES);
    const rl = createInterface({ input: createReadStream(file, { start, encoding: 'utf8' }), crlfDelay: Infinity });
    let lines = 0;
    for await (const line of rl) {
      const i = line.lastIndexOf('"agent":{');
      if (i < 0) continue;
      try {
        const a = (JSON.parse(line) as { agent?: { id?: unknown; seq?: unknown } }).agent;
        if (a && typeof a.id === 'string' && typeof a.seq === 'number') {
          if ((this.lastSeq.get(a.id) ?? 0) < a.seq) this.remember(a.id, a.seq);
          lines++;
        }
      } catch {
        /* a torn last line after a crash: skipped */
      }
    }
    this.opts.logger.info({ file, lines, agents: this.lastSeq.size, partial: start > 0 }, 'alerts journal recovered');
  }

  /** Highest sequence written for this agent (0 if none). */
  ackedSeq(agentId: string): number {
    return this.lastSeq.get(agentId) ?? 0;
  }

  /**
   * Writes the alerts not seen before, in order, and returns the new cumulative
   * acknowledgement for this agent. Gaps (alerts the agent dropped) are counted.
   */
  write(origin: AlertOrigin, firstSeq: number, alerts: FalcoAlert[], each?: (a: FalcoAlert) => void): number {
    let last = this.lastSeq.get(origin.agentId) ?? 0;
    const lines: string[] = [];
    const fresh: FalcoAlert[] = [];
    for (let i = 0; i < alerts.length; i++) {
      const seq = firstSeq + i;
      if (seq <= last) {
        this.s.duplicates++;
        continue;
      }
      if (seq > last + 1) this.s.gaps += seq - last - 1;
      last = seq;
      const alert = alerts[i]!;
      const agent: Record<string, string | number> = { id: origin.agentId, seq };
      if (origin.container) agent.container = origin.container;
      if (origin.task) agent.task = origin.task;
      lines.push(JSON.stringify({ ...alert, agent }));
      fresh.push(alert);
    }
    if (lines.length === 0) return last;
    const text = lines.join('\n') + '\n';
    if (this.fd !== undefined) {
      try {
        writeSync(this.fd, text);
      } catch (e) {
        this.s.writeErrors++;
        this.opts.logger.error({ file: this.opts.file, err: (e as Error).message }, 'cannot write the alerts file; batch not acknowledged (the agent will resend)');
        return this.lastSeq.get(origin.agentId) ?? 0;
      }
    }
    if (this.opts.stdout) {
      if (process.stdout.writableLength > this.stdoutMax) this.s.stdoutDropped += lines.length;
      else process.stdout.write(text);
    }
    this.remember(origin.agentId, last);
    this.s.written += lines.length;
    if (each) for (const a of fresh) each(a);
    return last;
  }

  stats(): WriterStats {
    return { ...this.s, agentsKnown: this.lastSeq.size };
  }

  close(): void {
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        /* ignore */
      }
      this.fd = undefined;
    }
  }
}
