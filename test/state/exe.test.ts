// The executable's facts at exec (native ExeStat -> proc.exe_ino*,
// proc.is_exe_writable, proc.is_exe_upper_layer), with real programs on a
// real overlayfs: a mount namespace with an overlay whose lower layer is the
// "image" (written before the agent starts) and whose upper layer takes what
// the run writes, as a container's root does.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { copyFileSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { INSTRUMENT, ROOT, readAlerts, testEnv, tmp } from '../helpers.js';

const RULES = `
- rule: Test exe facts
  desc: the executable's facts of the test's programs
  condition: evt.type in (execve, execveat) and evt.res = SUCCESS and proc.name in (imagebin, plain)
  output: exe (path=%proc.exepath uid=%user.uid writable=%proc.is_exe_writable upper=%proc.is_exe_upper_layer ino=%proc.exe_ino)
  priority: DEBUG
`;

test('on an overlay: a binary the run wrote is in the upper layer (the default rule fires), the image\'s is not; writable as the kernel would allow', async () => {
  const dir = tmp('exe-');
  for (const d of ['l', 'u', 'w', 'm']) mkdirSync(join(dir, d));
  const TRUE = '/usr/bin/true';
  copyFileSync(TRUE, join(dir, 'l', 'imagebin')); // the image: there before the agent starts
  const rules = join(dir, 'exe.yaml');
  writeFileSync(rules, RULES);
  const alerts = join(dir, 'alerts.jsonl');
  const m = join(dir, 'm');
  const script = [
    `mount -t overlay overlay -o lowerdir=${dir}/l,upperdir=${dir}/u,workdir=${dir}/w ${m}`,
    `exec ${INSTRUMENT} sh -c '${m}/imagebin; cp ${TRUE} ${m}/dropped && ${m}/dropped; cp ${TRUE} ${dir}/plain && ${dir}/plain; setpriv --reuid=65534 --regid=65534 --clear-groups ${m}/imagebin'`,
  ].join(' && ');
  const r = await execa('unshare', ['-m', 'sh', '-c', script], {
    reject: false,
    extendEnv: false,
    timeout: 60_000,
    env: testEnv({
      SYSDIG_LOGGING: 'error',
      SYSDIG_EXTRA_ARGS: `--rules-file ${join(ROOT, 'rules', 'default.yaml')} --rules-file ${rules} --alerts-file ${alerts}`,
    }),
  });
  assert.is(r.exitCode, 0, r.stderr);
  const all = readAlerts(alerts);
  const facts = all.filter((a) => a.rule === 'Test exe facts').map((a) => a.output_fields);
  const of = (path: string, uid = 0) => facts.find((f) => f['proc.exepath'] === path && f['user.uid'] === uid);
  const image = of(`${m}/imagebin`);
  const plain = of(`${dir}/plain`);
  const asNobody = of(`${m}/imagebin`, 65534);
  assert.ok(image && plain && asNobody, JSON.stringify(facts));
  assert.equal([image!['proc.is_exe_upper_layer'], plain!['proc.is_exe_upper_layer']], [false, false], 'not upper: the image\'s file on the overlay, a file the run wrote elsewhere');
  assert.equal([image!['proc.is_exe_writable'], asNobody!['proc.is_exe_writable']], [true, false], 'root may write a 0755 root file, nobody may not');
  assert.is(plain!['proc.exe_ino'], statSync(join(dir, 'plain')).ino);

  // What the run wrote on the overlay is in the upper layer: the default rule
  // says so (and, as in Falco, the first rule that matches an event is the one that fires).
  const fired = all.filter((a) => a.rule === 'Fargate new binary executed');
  assert.equal(fired.map((a) => a.output_fields['proc.exepath']), [`${m}/dropped`]);
  assert.is(fired[0]!.priority, 'Critical');
});

test.run();
