// evt.category as libsinsp computes it (sinsp_evt::get_category): the event
// type's EC_* category from the libs event table (event-table.ts); an I/O
// event's is the kind of its fd. A type the table has no event for is a
// generic syscall event to libsinsp: "other".
import { EVENT_ROWS } from './event-table.js';
import type { FdType } from './model.js';

const NAMES: Record<string, string> = {
  EC_UNKNOWN: 'unknown', EC_OTHER: 'other', EC_FILE: 'file', EC_NET: 'net', EC_IPC: 'IPC', EC_MEMORY: 'memory',
  EC_PROCESS: 'process', EC_SLEEP: 'sleep', EC_SYSTEM: 'system', EC_SIGNAL: 'signal', EC_USER: 'user', EC_TIME: 'time',
  EC_PROCESSING: 'processing', EC_WAIT: 'wait', EC_SCHEDULER: 'scheduler',
};
const IO = new Set(['EC_IO_READ', 'EC_IO_WRITE', 'EC_IO_OTHER']);
/** An I/O event's category by its fd's kind (SC_FILE, SC_NET, SC_IPC; SC_OTHER and no fd print "unknown"). */
const IO_BY_FD: Partial<Record<FdType, string>> = {
  file: 'file', directory: 'file', ipv4: 'net', ipv6: 'net',
  pipe: 'ipc', unix: 'ipc', event: 'ipc', signalfd: 'ipc', inotify: 'ipc', userfaultfd: 'ipc',
};

/** Each event name's category, from its exit events (the same in every version of an event). */
const BY_NAME = new Map<string, string>();
for (const [name, dir, , , category] of EVENT_ROWS) if (dir === 'X') BY_NAME.set(name, category);

export function eventCategory(type: string, fdType: FdType | undefined): string {
  const c = BY_NAME.get(type);
  if (c === undefined) return 'other';
  if (IO.has(c)) return (fdType && IO_BY_FD[fdType]) ?? 'unknown';
  return NAMES[c] ?? 'unknown';
}
