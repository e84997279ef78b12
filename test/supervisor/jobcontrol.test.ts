// Job control in a real terminal (tmux running an interactive bash): Ctrl-Z,
// fg and a background start behave as they do for the same command run
// natively. Each step waits for what the screen shows, never for a clock.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execaSync } from 'execa';
import { INSTRUMENT, testEnv, tmp, until } from '../helpers.js';

const SESSION = `agent-jc-${process.pid}`;
const tmuxEnv = { ...testEnv({ SYSDIG_LOGGING: 'silent' }), TMUX: '' };
const tmux = (...args: string[]) => execaSync('tmux', ['-L', SESSION, ...args], { env: tmuxEnv, extendEnv: false, reject: false });
const screen = () => tmux('capture-pane', '-p', '-t', SESSION, '-S', '-200').stdout;
const keys = (...k: string[]) => tmux('send-keys', '-t', SESSION, ...k);

/** Types a line and waits until `expect` (a marker the line prints) is on screen. */
async function type(line: string, expect: RegExp, what: string) {
  keys(line, 'Enter');
  await until(() => expect.test(screen()), 30_000, `${what}; screen:\n${screen()}`);
}

test.before(async () => {
  const home = tmp('jc-');
  tmux('kill-server');
  const r = tmux('new-session', '-d', '-s', SESSION, '-x', '200', '-y', '50', `env -i PATH=${process.env.PATH} HOME=${home} SYSDIG_LOGGING=silent SYSDIG_LOG_PORT=1 TERM=xterm PS1='$ ' bash --norc --noprofile -i`);
  assert.is(r.exitCode, 0, r.stderr);
  await type('echo ready-$((40+2))', /ready-42/, 'the shell');
});

test.after(() => {
  tmux('kill-server');
});

test('Ctrl-Z stops the job and the shell says so; fg resumes it in the foreground; Ctrl-C ends it', async () => {
  keys(`${INSTRUMENT} sh -c 'echo started-$((1+1)); read x; echo got-$x'`, 'Enter');
  await until(() => /started-2/.test(screen()), 30_000, 'the workload to start');
  keys('C-z');
  await until(() => /Stopped\s+\S*instrument/.test(screen()), 30_000, `"Stopped" after Ctrl-Z; screen:\n${screen()}`);
  await type('echo after-stop-$((2+3))', /after-stop-5/, 'the prompt back after Ctrl-Z');
  keys('fg', 'Enter');
  await until(() => /\$ fg\n.*instrument/s.test(screen()), 30_000, `fg; screen:\n${screen()}`);
  // The workload reads the terminal again: it is in the foreground.
  keys('hello', 'Enter');
  await until(() => /got-hello/.test(screen()), 30_000, `the workload reading the terminal after fg; screen:\n${screen()}`);
  await type('echo alive-$((3+4))', /alive-7/, 'the prompt after the job ended');
  keys(`${INSTRUMENT} sleep 1000`, 'Enter');
  await type('', /sleep 1000\n/, 'sleep started');
  keys('C-c');
  await type('echo interrupted-$?', /interrupted-130/, 'Ctrl-C ends the job with 128+SIGINT');
});

test('a background start leaves the terminal to the shell', async () => {
  keys(`${INSTRUMENT} sleep 66 &`, 'Enter');
  await until(() => /\[\d+\] \d+/.test(screen()), 30_000, 'the background job');
  // The shell keeps the terminal: it runs the next command and is not stopped or killed.
  await type('echo still-here-$((5+6))', /still-here-11/, 'the shell after a background start');
  await type('jobs; echo jobs-done', /Running\s+\S*instrument sleep 66 &[\s\S]*jobs-done/, 'the job running in the background');
  await type('kill %1; wait; echo waited-$((6+7))', /waited-13/, 'the job ended');
});

test.run();
