// The executable's facts at exec (native ExeStat -> proc.exe_ino*,
// proc.is_exe_writable, proc.is_exe_upper_layer), with real programs on a
// real overlayfs: a mount namespace with an overlay whose lower layer is the
// "image" (written before the agent starts) and whose upper layer takes what
// the run writes, as a container's root does.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { chmodSync, chownSync, copyFileSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { INSTRUMENT, ROOT, readAlerts, testEnv, tmp } from '../helpers.js';

const RULES = `
- rule: Test exe facts
  desc: the executable's facts of the test's programs
  condition: evt.type in (execve, execveat) and evt.res = SUCCESS and proc.name in (imagebin, plain, groupbin)
  output: exe (path=%proc.exepath uid=%user.uid writable=%proc.is_exe_writable upper=%proc.is_exe_upper_layer ino=%proc.exe_ino)
  priority: DEBUG
`;

/** An image file: a copy of `from`, optionally with its own group and mode. */
type ImageFile = { from: string; gid?: number; mode?: number };

/** A fresh overlay (lower: `image`, written before the agent starts) mounted in a new mount namespace, and bin/instrument running `workload` there. */
async function onOverlay(image: Record<string, ImageFile>, rulesFiles: string[], workload: (m: string, dir: string) => string) {
  const dir = tmp('exe-');
  for (const d of ['l', 'u', 'w', 'm']) mkdirSync(join(dir, d));
  for (const [name, f] of Object.entries(image)) {
    const p = join(dir, 'l', name);
    copyFileSync(f.from, p);
    if (f.gid !== undefined) chownSync(p, 0, f.gid);
    if (f.mode !== undefined) chmodSync(p, f.mode);
  }
  const alerts = join(dir, 'alerts.jsonl');
  const m = join(dir, 'm');
  const script = [
    `mount -t overlay overlay -o lowerdir=${dir}/l,upperdir=${dir}/u,workdir=${dir}/w ${m}`,
    `exec ${INSTRUMENT} sh -c '${workload(m, dir)}'`,
  ].join(' && ');
  const r = await execa('unshare', ['-m', 'sh', '-c', script], {
    reject: false,
    extendEnv: false,
    timeout: 60_000,
    env: testEnv({
      SYSDIG_LOGGING: 'error',
      SYSDIG_EXTRA_ARGS: `${rulesFiles.map((f) => `--rules-file ${f}`).join(' ')} --alerts-file ${alerts}`,
    }),
  });
  assert.is(r.exitCode, 0, r.stderr);
  return { dir, m, alerts: readAlerts(alerts) };
}

const TRUE = '/usr/bin/true';
/** Debian's staff group: a gid the test's nobody gets only as a supplementary group. */
const STAFF = 50;

test('on an overlay: a binary the run wrote is in the upper layer (the default rule fires), the image\'s is not; writable as the kernel would allow', async () => {
  const rules = join(tmp('exe-rules-'), 'exe.yaml');
  writeFileSync(rules, RULES);
  // groupbin: the image's group-writable tool (root:staff 0775), for the supplementary-group check
  const files = { imagebin: { from: TRUE }, groupbin: { from: TRUE, gid: STAFF, mode: 0o775 } };
  const { dir, m, alerts: all } = await onOverlay(files, [join(ROOT, 'rules', 'default.yaml'), rules], (m, dir) =>
    `${m}/imagebin; cp ${TRUE} ${m}/dropped && ${m}/dropped; cp ${TRUE} ${dir}/plain && ${dir}/plain; setpriv --reuid=65534 --regid=65534 --clear-groups ${m}/imagebin; ` +
      `setpriv --reuid=65534 --regid=65534 --groups=${STAFF} ${m}/groupbin; setpriv --reuid=65534 --regid=65534 --clear-groups ${m}/groupbin`,
  );
  const facts = all.filter((a) => a.rule === 'Test exe facts').map((a) => a.output_fields);
  const of = (path: string, uid = 0) => facts.find((f) => f['proc.exepath'] === path && f['user.uid'] === uid);
  const image = of(`${m}/imagebin`);
  const plain = of(`${dir}/plain`);
  const asNobody = of(`${m}/imagebin`, 65534);
  assert.ok(image && plain && asNobody, JSON.stringify(facts));
  assert.equal([image!['proc.is_exe_upper_layer'], plain!['proc.is_exe_upper_layer']], [false, false], 'not upper: the image\'s file on the overlay, a file the run wrote elsewhere');
  assert.equal([image!['proc.is_exe_writable'], asNobody!['proc.is_exe_writable']], [true, false], 'root may write a 0755 root file, nobody may not');
  const group = facts.filter((f) => f['proc.exepath'] === `${m}/groupbin`).map((f) => f['proc.is_exe_writable']);
  assert.equal(group, [true, false], 'a root:staff 0775 file: writable by nobody with staff as a supplementary group, not without');
  assert.is(plain!['proc.exe_ino'], statSync(join(dir, 'plain')).ino);

  // What the run wrote on the overlay is in the upper layer: the default rule
  // says so (and, as in Falco, the first rule that matches an event is the one that fires).
  const fired = all.filter((a) => a.rule === 'Fargate new binary executed');
  assert.equal(fired.map((a) => a.output_fields['proc.exepath']), [`${m}/dropped`]);
  assert.is(fired[0]!.priority, 'Critical');
});

test('upstream "Drop and execute new binary in container" fires on a dropped binary, with the exe flags and inode times in its output', async () => {
  const { m, alerts } = await onOverlay({ imagebin: { from: TRUE } }, [join(ROOT, 'rules', 'upstream', 'falco_rules.yaml')], (m) => `${m}/imagebin; cp ${TRUE} ${m}/dropped && ${m}/dropped`);
  const fired = alerts.filter((a) => a.rule === 'Drop and execute new binary in container');
  assert.equal(fired.map((a) => a.output_fields['proc.exepath']), [`${m}/dropped`]);
  const f = fired[0]!.output_fields;
  assert.match(String(f['evt.arg.flags']), /EXE_UPPER_LAYER/);
  assert.ok(Number(f['proc.exe_ino.ctime']) > 0 && Number(f['proc.exe_ino.mtime']) > 0, JSON.stringify(f));
  // written, then run: the process started after the file's last change (its fork's time, not /proc's second-grained one)
  assert.ok(Number(f['proc.exe_ino.ctime_duration_proc_start']) > 0, JSON.stringify(f));
});

test.run();
