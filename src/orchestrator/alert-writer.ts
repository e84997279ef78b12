// Where received alerts go, and the dedup journal that makes delivery
// exactly-once. Each alert is written as one JSON line: the Falco JSON alert
// plus an `agent` object {id, session, seq, container?, task?}, where
// `session` is a hash of the agent's secret session id (the dedup key; the
// id itself is never stored). The --alerts-file is also the journal: at start
// the writer reads it back to learn, per session, which sequences are stored,
// so an alert resent after an orchestrator crash is recognised and skipped.
//
// Durability policy (docs/protocol.md, "Acknowledgement"): one batch = one
// append, every write checked (short writes continued, errors caught); the
// batches of one event-loop turn are then made durable by one fdatasync
// (group commit), and only then acknowledged. A batch that fails (ENOSPC,
// EIO) is rolled back by truncating the file to its last whole line and is
// not acknowledged: the agent sends it again.
//
// Per session the writer keeps `base` (every sequence <= base is stored) and
// a few ranges of stored sequences above it (batches that arrived out of
// order). The acknowledgement is `base`: never past an unstored alert.

import { closeSync, createReadStream, existsSync, fdatasyncSync, fsyncSync, ftruncateSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { FalcoAlert } from '../model/alert.js';
import type { LoggerLike } from '../alerts/alert-queue.js';
import { SEQ_WINDOW } from '../alerts/protocol.js';

export interface AlertOrigin {
  agentId: string;
  /** The dedup key: a hash of the agent's secret session id (sessionKey()). */
  session: string;
  container?: string;
  task?: string;
}

export interface WriterStats {
  written: number;
  duplicates: number;
  /** Sequences the agent gave up on (below its oldestSeq) that were never stored: alerts lost on the agent's side. */
  gaps: number;
  writeErrors: number;
  /** Sessions whose agent resumed far past what this side had stored (state lost here): not counted as gaps. */
  resyncs: number;
  /** fdatasync calls (one per group of batches). */
  syncs: number;
  /** Batches refused because they fall outside the session's sequence window. */
  outOfWindow: number;
  /** Batches stored above a missing sequence (accepted once, acknowledged when the hole fills). */
  outOfOrder: number;
  stdoutDropped: number;
  sessionsKnown: number;
  /** Sessions forgotten by the dedup table's bound (least recently written first). */
  sessionsEvicted: number;
}

/** What write() did with a batch. */
export interface WriteResult {
  /** The session's cumulative acknowledgement after the batch. */
  acked: number;
  /** Alerts of the batch newly stored. */
  written: number;
  /** Set when the batch was not stored: 'window' (outside the sequence window) or the write error. */
  refused?: string;
}

interface SessionState {
  /** Every sequence <= base is stored. */
  base: number;
  /** Stored sequences above base + 1: sorted, disjoint, non-adjacent [first, last] ranges. */
  ranges: [number, number][];
}

interface GroupEntry {
  st: SessionState;
  resolve: (r: WriteResult) => void;
  result: WriteResult;
  /** Lines appended for this batch (absent: nothing new, refused or failed). */
  text?: string;
  fresh?: FalcoAlert[];
  each?: (a: FalcoAlert) => void;
  outOfOrder?: boolean;
}

/** Out-of-order ranges a session may hold; more means the agent is not following the protocol. */
const MAX_RANGES = 64;

export interface AlertWriterOptions {
  file?: string;
  stdout: boolean;
  logger: LoggerLike;
  /** Bytes of stdout backlog before stdout lines are dropped (counted). Default 16 MiB. */
  stdoutMaxBuffered?: number;
  /**
   * Sessions the dedup table remembers, at most (default 100,000): the least
   * recently written one is forgotten first (counted). Fargate tasks come and
   * go; without a bound the table grows with every agent ever seen. A
   * forgotten session that resends old alerts gets them written again.
   */
  maxAgents?: number;
}

/** The dedup key of a session: a hash of its secret id (128 bits, hex); this, not the id, is stored and shown. */
export function sessionKey(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('hex').slice(0, 32);
}

/** The part of the file read back at start (the newest end). */
const RECOVER_MAX_BYTES = 512 * 1024 * 1024;

export class AlertWriter {
  private fd: number | undefined;
  /** Bytes of the file that hold whole lines (where a failed batch is rolled back to). */
  private size = 0;
  /** A rollback failed: the file may end in a torn line; the next batch starts on a new line. */
  private torn = false;
  private syncable = true;
  /** Batches appended since the last fdatasync, acknowledged at the next commit. */
  private group: GroupEntry[] = [];
  private commitScheduled = false;
  /** Session states as they were before the group changed them (restored if the sync fails). */
  private readonly snapshots = new Map<SessionState, SessionState>();
  /** File size at the last commit: where a failed sync cuts back to. */
  private groupStart = 0;
  private readonly sessions = new Map<string, SessionState>();
  private readonly s: WriterStats = { written: 0, duplicates: 0, gaps: 0, writeErrors: 0, resyncs: 0, syncs: 0, outOfWindow: 0, outOfOrder: 0, stdoutDropped: 0, sessionsKnown: 0, sessionsEvicted: 0 };
  private readonly stdoutMax: number;
  private readonly maxAgents: number;

  constructor(private readonly opts: AlertWriterOptions) {
    this.stdoutMax = opts.stdoutMaxBuffered ?? 16 * 1024 * 1024;
    this.maxAgents = opts.maxAgents ?? 100_000;
  }

  /** A session's state, made its most recent entry (a Map keeps insertion order); the oldest are evicted past the bound. */
  private touch(session: string): SessionState {
    let st = this.sessions.get(session);
    if (st) this.sessions.delete(session);
    else st = { base: 0, ranges: [] };
    this.sessions.set(session, st);
    while (this.sessions.size > this.maxAgents) {
      this.sessions.delete(this.sessions.keys().next().value!);
      this.s.sessionsEvicted++;
    }
    return st;
  }

  /** Reads the journal back and opens the file for appending. Throws if the file cannot be opened. */
  async open(): Promise<void> {
    const f = this.opts.file;
    if (!f) return;
    const existed = existsSync(f);
    if (existed) await this.recover(f);
    this.fd = openSync(f, 'a');
    if (!existed) {
      // The new file's directory entry must survive a crash too.
      try {
        const dfd = openSync(dirname(f), 'r');
        try {
          fsyncSync(dfd);
        } finally {
          closeSync(dfd);
        }
      } catch {
        /* not every filesystem lets a directory be fsynced */
      }
    }
    // A torn last line (crash mid-write) is terminated so the next line stays whole.
    this.size = statSync(f).size;
    if (this.size > 0) {
      const last = Buffer.alloc(1);
      const rfd = openSync(f, 'r');
      try {
        readSync(rfd, last, 0, 1, this.size - 1);
      } finally {
        closeSync(rfd);
      }
      if (last[0] !== 0x0a) this.torn = true;
    }
    this.groupStart = this.size;
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
        const a = (JSON.parse(line) as { agent?: { session?: unknown; seq?: unknown } }).agent;
        if (a && typeof a.session === 'string' && typeof a.seq === 'number' && Number.isSafeInteger(a.seq) && a.seq > 0) {
          const st = this.touch(a.session);
          if (a.seq > st.base) addRange(st, a.seq, a.seq);
          lines++;
        }
      } catch {
        /* a torn line after a crash: skipped */
      }
    }
    this.opts.logger.info({ file, lines, sessions: this.sessions.size, partial: start > 0 }, 'alerts journal recovered');
  }

  /** The alerts file, if any (for log lines). */
  get file(): string | undefined {
    return this.opts.file;
  }

  /** The session's cumulative acknowledgement: every sequence <= it is stored (0 if none). */
  ackedSeq(session: string): number {
    return this.sessions.get(session)?.base ?? 0;
  }

  /**
   * Stores the alerts of a batch not stored before; resolves with the
   * session's acknowledgement once they are durable. `oldestSeq` (from the
   * agent) releases the sequences below it: those never stored are counted
   * as gaps. A batch outside the sequence window, or one that cannot be
   * written or synced, is not stored (result.refused).
   *
   * Group commit: the batches that arrive in one turn of the event loop are
   * appended one by one (each write checked) and then made durable by one
   * fdatasync; only then is any of them acknowledged, duplicates included
   * (they may repeat an alert of the same group).
   */
  write(origin: AlertOrigin, firstSeq: number, alerts: FalcoAlert[], oldestSeq?: number, each?: (a: FalcoAlert) => void): Promise<WriteResult> {
    return new Promise((resolve) => {
      const st = this.touch(origin.session);
      const entry: GroupEntry = { st, resolve, result: { acked: 0, written: 0 } };
      this.group.push(entry);
      if (!this.commitScheduled) {
        this.commitScheduled = true;
        setImmediate(() => this.commit());
      }
      this.snapshot(st);
      if (oldestSeq !== undefined && oldestSeq - 1 > st.base) {
        // The agent holds nothing below oldestSeq: stop waiting for it. A
        // short release in a session with stored alerts is alerts the agent
        // lost (gaps); a session with nothing stored, or a long jump, means
        // this side lost the session's state (a new file, an eviction): not
        // counted as loss.
        const known = st.base > 0 || st.ranges.length > 0;
        const jump = oldestSeq - 1 - st.base;
        const missing = release(st, oldestSeq - 1);
        if (known && jump <= SEQ_WINDOW) this.s.gaps += missing;
        else this.s.resyncs++;
      }
      const lastSeq = firstSeq + alerts.length - 1;
      if (lastSeq > st.base + SEQ_WINDOW) {
        this.s.outOfWindow++;
        entry.result.refused = 'window';
        return;
      }
      const lines: string[] = [];
      const fresh: FalcoAlert[] = [];
      for (let i = 0; i < alerts.length; i++) {
        const seq = firstSeq + i;
        if (seq <= st.base || inRanges(st, seq)) {
          this.s.duplicates++;
          continue;
        }
        const alert = alerts[i]!;
        const agent: Record<string, string | number> = { id: origin.agentId, session: origin.session, seq };
        if (origin.container) agent.container = origin.container;
        if (origin.task) agent.task = origin.task;
        lines.push(JSON.stringify({ ...alert, agent }));
        fresh.push(alert);
      }
      if (lines.length === 0) return;
      const next: SessionState = { base: st.base, ranges: st.ranges.map((r) => [r[0], r[1]] as [number, number]) };
      addRange(next, firstSeq, lastSeq);
      if (next.ranges.length > MAX_RANGES) {
        this.s.outOfWindow++;
        entry.result.refused = 'window';
        return;
      }
      const text = lines.join('\n') + '\n';
      if (this.fd !== undefined) {
        try {
          this.append(text);
        } catch (e) {
          this.s.writeErrors++;
          entry.result.refused = (e as Error).message;
          return;
        }
      }
      // Taken as stored for the rest of the group; undone if the sync fails.
      st.base = next.base;
      st.ranges = next.ranges;
      entry.text = text;
      entry.fresh = fresh;
      entry.each = each;
      entry.outOfOrder = next.ranges.length > 0;
    });
  }

  private snapshot(st: SessionState): void {
    if (!this.snapshots.has(st)) this.snapshots.set(st, { base: st.base, ranges: st.ranges });
  }

  /** One fdatasync for the group, then the acknowledgements; on failure the group's lines are cut off and nothing of it is acknowledged. */
  private commit(): void {
    const group = this.group;
    this.group = [];
    this.commitScheduled = false;
    let failed: string | undefined;
    if (this.fd !== undefined && this.syncable && this.size > this.groupStart) {
      try {
        this.s.syncs++;
        fdatasyncSync(this.fd);
      } catch (e) {
        // A file that cannot be synced at all (/dev/null, a pipe) is not an I/O error; anything else is.
        if ((e as NodeJS.ErrnoException).code === 'EINVAL') {
          this.syncable = false;
          this.opts.logger.warn({ file: this.opts.file }, 'the alerts file cannot be fsynced (not a regular file?); acknowledging after the write alone');
        } else failed = (e as Error).message;
      }
    }
    if (failed !== undefined) {
      this.s.writeErrors++;
      this.cutTo(this.groupStart);
      for (const [st, before] of this.snapshots) {
        st.base = before.base;
        st.ranges = before.ranges;
      }
    }
    this.snapshots.clear();
    this.groupStart = this.size;
    for (const e of group) {
      if (e.text !== undefined) {
        if (failed !== undefined) e.result.refused = failed;
        else {
          if (this.opts.stdout) {
            if (process.stdout.writableLength > this.stdoutMax) this.s.stdoutDropped += e.fresh!.length;
            else process.stdout.write(e.text);
          }
          if (e.outOfOrder) this.s.outOfOrder++;
          this.s.written += e.fresh!.length;
          e.result.written = e.fresh!.length;
          if (e.each) for (const a of e.fresh!) e.each(a);
        }
      }
      e.result.acked = e.st.base;
      e.resolve(e.result);
    }
  }

  /** One append of whole lines, every write checked; on error the file is cut back to its last whole line and the error rethrown. */
  private append(text: string): void {
    const fd = this.fd!;
    const buf = Buffer.from(this.torn ? '\n' + text : text);
    let off = 0;
    try {
      while (off < buf.length) {
        const n = writeSync(fd, buf, off, buf.length - off);
        if (n <= 0) throw new Error('write returned 0');
        off += n; // a short write (disk filling up) is continued; the next call reports the error
      }
      this.size += buf.length;
      this.torn = false;
    } catch (e) {
      if (off > 0) this.cutTo(this.size);
      throw e;
    }
  }

  private cutTo(size: number): void {
    try {
      ftruncateSync(this.fd!, size);
      this.size = size;
    } catch {
      this.torn = true; // the next append starts on a new line; recovery skips the torn one
    }
  }

  stats(): WriterStats {
    return { ...this.s, sessionsKnown: this.sessions.size };
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

function inRanges(st: SessionState, seq: number): boolean {
  for (const r of st.ranges) {
    if (seq < r[0]) return false;
    if (seq <= r[1]) return true;
  }
  return false;
}

/** Marks [first, last] stored, merges ranges, and advances base over what became contiguous. */
function addRange(st: SessionState, first: number, last: number): void {
  first = Math.max(first, st.base + 1);
  if (last < first) return;
  const out: [number, number][] = [];
  let cur: [number, number] = [first, last];
  let placed = false;
  for (const r of st.ranges) {
    if (r[1] + 1 < cur[0]) out.push(r);
    else if (cur[1] + 1 < r[0]) {
      if (!placed) out.push(cur), (placed = true);
      out.push(r);
    } else cur = [Math.min(cur[0], r[0]), Math.max(cur[1], r[1])];
  }
  if (!placed) out.push(cur);
  out.sort((a, b) => a[0] - b[0]);
  while (out.length && out[0]![0] === st.base + 1) st.base = out.shift()![1];
  st.ranges = out;
}

/** Moves base up to `to`; returns how many sequences in between were never stored. */
function release(st: SessionState, to: number): number {
  let missing = to - st.base;
  const keep: [number, number][] = [];
  for (const r of st.ranges) {
    if (r[0] > to) keep.push(r);
    else {
      missing -= Math.min(r[1], to) - r[0] + 1;
      if (r[1] > to) keep.push([to + 1, r[1]]);
    }
  }
  st.base = to;
  st.ranges = [];
  for (const r of keep) addRange(st, r[0], r[1]);
  return missing;
}
