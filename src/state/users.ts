// User and group names from the container's own /etc/passwd and /etc/group
// (we run inside the container, so these are the workload's files). Re-read
// when an unknown id shows up (a user added at run time), at most every 5 s.
import { readFileSync } from 'node:fs';
import type { GroupInfo, UserInfo } from '../events/model.js';

export class UserDb {
  private users = new Map<number, UserInfo>();
  private groups = new Map<number, GroupInfo>();
  private loadedAt = 0;

  constructor(
    private readonly passwdPath = '/etc/passwd',
    private readonly groupPath = '/etc/group',
    /** Fixed lists (a replayed capture's user table) instead of the files; never reloaded. */
    private readonly fixed?: { users: UserInfo[]; groups: GroupInfo[] },
  ) {
    this.load();
  }

  /** A database of exactly these users and groups (a capture's user list). */
  static fromLists(users: UserInfo[], groups: GroupInfo[]): UserDb {
    return new UserDb('', '', { users, groups });
  }

  /** The users and groups known now (for a capture's user list). */
  list(): { users: UserInfo[]; groups: GroupInfo[] } {
    return { users: [...this.users.values()].filter((u) => u.name !== undefined), groups: [...this.groups.values()].filter((g) => g.name !== undefined) };
  }

  private load(): void {
    this.loadedAt = Date.now();
    this.users.clear();
    this.groups.clear();
    if (this.fixed) {
      for (const u of this.fixed.users) if (!this.users.has(u.uid)) this.users.set(u.uid, u);
      for (const g of this.fixed.groups) if (!this.groups.has(g.gid)) this.groups.set(g.gid, g);
      return;
    }
    for (const line of readLines(this.passwdPath)) {
      const f = line.split(':');
      if (f.length < 7) continue;
      const uid = Number(f[2]);
      if (!Number.isInteger(uid) || this.users.has(uid)) continue;
      this.users.set(uid, { uid, name: f[0]!, homedir: f[5]!, shell: f[6]! });
    }
    for (const line of readLines(this.groupPath)) {
      const f = line.split(':');
      if (f.length < 3) continue;
      const gid = Number(f[2]);
      if (!Number.isInteger(gid) || this.groups.has(gid)) continue;
      this.groups.set(gid, { gid, name: f[0]! });
    }
  }

  private maybeReload(): void {
    if (!this.fixed && Date.now() - this.loadedAt > 5000) this.load();
  }

  user(uid: number): UserInfo {
    let u = this.users.get(uid);
    if (u === undefined) {
      this.maybeReload();
      u = this.users.get(uid);
      if (u === undefined) {
        u = { uid }; // name unknown: <NA> for the rules, as Falco
        this.users.set(uid, u);
      }
    }
    return u;
  }

  group(gid: number): GroupInfo {
    let g = this.groups.get(gid);
    if (g === undefined) {
      this.maybeReload();
      g = this.groups.get(gid);
      if (g === undefined) {
        g = { gid };
        this.groups.set(gid, g);
      }
    }
    return g;
  }
}

function readLines(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  } catch {
    return [];
  }
}
