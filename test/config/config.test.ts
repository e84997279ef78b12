import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  loadConfig,
  redactConfig,
  workloadEnv,
  SECRET_ENV_VARS,
  OPTIONS,
  parseExtraArgs,
  type AgentConfig,
} from '../../src/config/index.js';

const ORCH = { SYSDIG_ORCHESTRATOR: 'orchestrator.internal' };

function load(env: NodeJS.ProcessEnv): { config: AgentConfig; errors: string[]; warnings: string[] } {
  return loadConfig({ ...ORCH, ...env });
}
function clean(env: NodeJS.ProcessEnv): AgentConfig {
  const r = load(env);
  assert.equal(r.errors, [], 'no errors');
  return r.config;
}

test('defaults from an empty environment', () => {
  const { config, errors, warnings } = loadConfig({});
  assert.equal(errors, []);
  assert.ok(warnings.some((w) => w.includes('neither SYSDIG_ORCHESTRATOR nor SYSDIG_COLLECTOR')));
  assert.is(config.orchestratorHost, undefined);
  assert.is(config.orchestratorPort, 6667);
  assert.is(config.collectorPort, 6443);
  assert.is(config.accessKey, undefined);
  assert.is(config.priority, 'availability');
  assert.is(config.sidecar, '');
  assert.equal(config.rulesFiles, []);
  assert.is(config.priorityMin, 'Debug');
  assert.is(config.ruleMatching, 'first');
  assert.is(config.orchestratorTls, true, "TLS to the orchestrator by default");
  assert.is(config.checkCertificate, true);
  assert.is(config.securityWaitMs, 10000);
  assert.is(config.metadataTimeoutMs, 2000);
  assert.is(config.ringBytes, undefined);
  assert.equal(config.syscallsExtra, []);
  assert.equal(config.logging, { raw: undefined, level: 'error', startup: true, known: false });
});

test('orchestrator, collector, access key, priority, sidecar, logging', () => {
  const { config, errors, warnings } = loadConfig({
    SYSDIG_ORCHESTRATOR: ' orch.vpc ',
    SYSDIG_ORCHESTRATOR_PORT: '7000',
    SYSDIG_COLLECTOR: 'collector.sysdig.com',
    SYSDIG_COLLECTOR_PORT: '443',
    SYSDIG_ACCESS_KEY: 'k-123',
    SYSDIG_PRIORITY: 'Security',
    SYSDIG_SIDECAR: 'force',
    SYSDIG_LOGGING: 'warning',
  });
  assert.equal(errors, []);
  assert.equal(warnings, []);
  assert.is(config.orchestratorHost, 'orch.vpc');
  assert.is(config.orchestratorPort, 7000);
  assert.is(config.collectorHost, 'collector.sysdig.com');
  assert.is(config.collectorPort, 443);
  assert.is(config.accessKey, 'k-123');
  assert.is(config.priority, 'security');
  assert.is(config.sidecar, 'force');
  assert.is(config.logging.level, 'warn');
});

test('bad environment values: clear errors naming the variable, safe defaults', () => {
  const { config, errors } = loadConfig({
    SYSDIG_ORCHESTRATOR: 'http://x/',
    SYSDIG_ORCHESTRATOR_PORT: '70000',
    SYSDIG_COLLECTOR: 'c',
    SYSDIG_COLLECTOR_PORT: 'https',
    SYSDIG_ACCESS_KEY: 'k',
    SYSDIG_PRIORITY: 'paranoid',
    SYSDIG_SIDECAR: 'always',
  });
  assert.is(config.orchestratorHost, undefined);
  assert.is(config.orchestratorPort, 6667);
  assert.is(config.collectorPort, 6443);
  assert.is(config.priority, 'availability');
  assert.is(config.sidecar, '');
  for (const v of ['SYSDIG_ORCHESTRATOR:', 'SYSDIG_ORCHESTRATOR_PORT:', 'SYSDIG_COLLECTOR_PORT:', 'SYSDIG_PRIORITY:', 'SYSDIG_SIDECAR:']) {
    assert.ok(errors.some((e) => e.startsWith(v)), v);
  }
  assert.is(errors.length, 5);
});

test('warnings: unknown SYSDIG_LOGGING, collector without key, security without a source, port without host', () => {
  const w1 = loadConfig({ ...ORCH, SYSDIG_LOGGING: 'chatty' }).warnings;
  assert.ok(w1.some((w) => w.startsWith('SYSDIG_LOGGING: unknown value "chatty"')));
  const w2 = loadConfig({ SYSDIG_COLLECTOR: 'c' }).warnings;
  assert.ok(w2.some((w) => w.includes('SYSDIG_ACCESS_KEY is not')));
  const w3 = loadConfig({ SYSDIG_PRIORITY: 'security', SYSDIG_ORCHESTRATOR_PORT: '1' }).warnings;
  assert.ok(w3.some((w) => w.startsWith('SYSDIG_PRIORITY=security')));
  assert.ok(w3.some((w) => w.startsWith('SYSDIG_ORCHESTRATOR_PORT is set')));
});

test('SYSDIG_EXTRA_ARGS: both --flag value and --flag=value, every option', () => {
  const c = clean({
    SYSDIG_EXTRA_ARGS: [
      '--rules-file /etc/a.yaml --rules-file=/etc/b.yaml --rules-file "/etc/my rules/c.yaml"',
      '--alerts-file=/tmp/alerts.json --priority-min WARNING --rule-matching=all',
      '--container-id abc123 --container-name "web app" --container-image=nginx:1.27',
      '--orchestrator-tls --orchestrator-ca /ca.pem --no-check-certificate',
      '--security-wait-ms 5000 --syscalls-extra=openat,PTRACE --syscalls-extra mmap,openat',
      '--ring-bytes 16M --spool-dir /var/spool/agent --metadata-timeout-ms=500',
    ].join(' '),
  });
  assert.equal(c.rulesFiles, ['/etc/a.yaml', '/etc/b.yaml', '/etc/my rules/c.yaml']);
  assert.is(c.alertsFile, '/tmp/alerts.json');
  assert.is(c.priorityMin, 'Warning');
  assert.is(c.ruleMatching, 'all');
  assert.is(c.containerId, 'abc123');
  assert.is(c.containerName, 'web app');
  assert.is(c.containerImage, 'nginx:1.27');
  assert.is(c.orchestratorTls, true);
  assert.is(c.orchestratorCa, '/ca.pem');
  assert.is(c.checkCertificate, false);
  assert.is(c.securityWaitMs, 5000);
  assert.equal(c.syscallsExtra, ['openat', 'ptrace', 'mmap']);
  assert.is(c.ringBytes, 16 * 1024 * 1024);
  assert.is(c.spoolDir, '/var/spool/agent');
  assert.is(c.metadataTimeoutMs, 500);
});

test('priority-min: Falco priorities, case-insensitive, info accepted', () => {
  const cases: [string, string][] = [
    ['emergency', 'Emergency'],
    ['ALERT', 'Alert'],
    ['Critical', 'Critical'],
    ['error', 'Error'],
    ['warning', 'Warning'],
    ['notice', 'Notice'],
    ['info', 'Informational'],
    ['informational', 'Informational'],
    ['debug', 'Debug'],
  ];
  for (const [raw, want] of cases) assert.is(clean({ SYSDIG_EXTRA_ARGS: `--priority-min=${raw}` }).priorityMin, want, raw);
});

test('SYSDIG_EXTRA_ARGS errors name the variable and the flag', () => {
  const { config, errors } = load({
    SYSDIG_EXTRA_ARGS: '--foo --priority-min loud --rule-matching some --ring-bytes 12 --security-wait-ms -1 --syscalls-extra "open at" --orchestrator-tls=maybe stray --alerts-file',
  });
  assert.equal(errors, [
    'SYSDIG_EXTRA_ARGS: unknown flag --foo',
    'SYSDIG_EXTRA_ARGS: --priority-min: expected one of emergency, alert, critical, error, warning, notice, informational (or info), debug, got "loud"',
    'SYSDIG_EXTRA_ARGS: --rule-matching: expected one of first, all, got "some"',
    `SYSDIG_EXTRA_ARGS: --ring-bytes: expected a size in bytes from 65536 to 1073741824 (suffixes k, M, G allowed), got "12"`,
    'SYSDIG_EXTRA_ARGS: --security-wait-ms: expected an integer from 0 to 300000, got "-1"',
    'SYSDIG_EXTRA_ARGS: --syscalls-extra: expected syscall names separated by commas, got "open at"',
    'SYSDIG_EXTRA_ARGS: --orchestrator-tls: expected true or false, got "maybe"',
    'SYSDIG_EXTRA_ARGS: unexpected argument "stray" (options are --name value or --name=value)',
    'SYSDIG_EXTRA_ARGS: --alerts-file: missing value (PATH)',
  ]);
  // Safe defaults in place of the bad values.
  assert.is(config.priorityMin, 'Debug');
  assert.is(config.ruleMatching, 'first');
  assert.is(config.ringBytes, undefined);
  assert.is(config.securityWaitMs, 10000);
  assert.equal(config.syscallsExtra, []);
  assert.is(config.orchestratorTls, true);
});

test('an unknown flag does not make its value a stray argument; a malformed SYSDIG_EXTRA_ARGS is ignored as a whole', () => {
  assert.equal(load({ SYSDIG_EXTRA_ARGS: '--foo bar --rule-matching all' }).errors, ['SYSDIG_EXTRA_ARGS: unknown flag --foo']);
  const r = load({ SYSDIG_EXTRA_ARGS: `--rule-matching all --rules-file 'x` });
  assert.equal(r.errors, ['SYSDIG_EXTRA_ARGS: unterminated single quote at offset 33; ignored']);
  assert.is(r.config.ruleMatching, 'first');
});

test('repeated scalar flags: the last wins, with a warning', () => {
  const r = load({ SYSDIG_EXTRA_ARGS: '--orchestrator-tls --no-orchestrator-tls --rule-matching all --rule-matching first' });
  assert.equal(r.errors, []);
  assert.is(r.config.orchestratorTls, false);
  assert.is(r.config.ruleMatching, 'first');
  assert.is(r.warnings.filter((w) => w.includes('the last one wins')).length, 2);
});

test('SYSDIG_EXTRA_CONF: a YAML or JSON mapping of the same keys', () => {
  const yaml = clean({
    SYSDIG_EXTRA_CONF: [
      'rules-file: [a.yaml, b.yaml]',
      'priority-min: warning',
      'rule-matching: all',
      'orchestrator-tls: true',
      'no-check-certificate: yes',
      'syscalls-extra: [openat, connect]',
      'ring-bytes: 1048576',
      'security-wait-ms: 2500',
      'container-name: 42',
    ].join('\n'),
  });
  assert.equal(yaml.rulesFiles, ['a.yaml', 'b.yaml']);
  assert.is(yaml.priorityMin, 'Warning');
  assert.is(yaml.ruleMatching, 'all');
  assert.is(yaml.orchestratorTls, true);
  assert.is(yaml.checkCertificate, false);
  assert.equal(yaml.syscallsExtra, ['openat', 'connect']);
  assert.is(yaml.ringBytes, 1048576);
  assert.is(yaml.securityWaitMs, 2500);
  assert.is(yaml.containerName, '42');
  const flow = clean({ SYSDIG_EXTRA_CONF: '{rules-file: [a.yaml], priority-min: warning}' });
  assert.equal(flow.rulesFiles, ['a.yaml']);
  assert.is(flow.priorityMin, 'Warning');
  const json = clean({ SYSDIG_EXTRA_CONF: '{"rules-file": "one.yaml", "metadata-timeout-ms": "750", "syscalls-extra": "ptrace,mmap"}' });
  assert.equal(json.rulesFiles, ['one.yaml']);
  assert.is(json.metadataTimeoutMs, 750);
  assert.equal(json.syscallsExtra, ['ptrace', 'mmap']);
  assert.equal(clean({ SYSDIG_EXTRA_CONF: '  ' }).rulesFiles, []);
  const bare = clean({ SYSDIG_EXTRA_CONF: '{orchestrator-tls, no-check-certificate}' });
  assert.is(bare.orchestratorTls, true, 'a flag key without a value is set');
  assert.is(bare.checkCertificate, false);
  assert.is(clean({ SYSDIG_EXTRA_CONF: '{--rule-matching: all}' }).ruleMatching, 'all', 'leading dashes tolerated');
});

test('SYSDIG_EXTRA_CONF errors name the variable and the key', () => {
  const { config, errors } = load({ SYSDIG_EXTRA_CONF: '{priority-min: loud, foo: 1, rules-file: [a.yaml, {x: 1}], alerts-file: /tmp/a}' });
  assert.equal(errors, [
    'SYSDIG_EXTRA_CONF: priority-min: expected one of emergency, alert, critical, error, warning, notice, informational (or info), debug, got "loud"',
    'SYSDIG_EXTRA_CONF: unknown key foo',
    'SYSDIG_EXTRA_CONF: rules-file: expected a path, got {"x":1}',
  ]);
  assert.is(config.priorityMin, 'Debug');
  assert.equal(config.rulesFiles, []);
  assert.is(config.alertsFile, '/tmp/a', 'good keys still apply');
  assert.match(load({ SYSDIG_EXTRA_CONF: '{a: [' }).errors[0] ?? '', /^SYSDIG_EXTRA_CONF: not valid YAML or JSON: /);
  assert.match(load({ SYSDIG_EXTRA_CONF: 'a: 1\na: 2' }).errors[0] ?? '', /^SYSDIG_EXTRA_CONF: not valid YAML or JSON: .*([Uu]nique|duplicated mapping key)/);
  assert.equal(load({ SYSDIG_EXTRA_CONF: '[a, b]' }).errors, [
    'SYSDIG_EXTRA_CONF: expected a mapping of option names to values (e.g. {priority-min: warning}), got a list',
  ]);
  assert.equal(load({ SYSDIG_EXTRA_CONF: 'just text' }).errors, [
    'SYSDIG_EXTRA_CONF: expected a mapping of option names to values (e.g. {priority-min: warning}), got string',
  ]);
});

test('SYSDIG_EXTRA_ARGS overrides SYSDIG_EXTRA_CONF; lists from args replace lists from conf', () => {
  const c = clean({
    SYSDIG_EXTRA_CONF: '{rules-file: [conf1.yaml, conf2.yaml], priority-min: error, rule-matching: all, syscalls-extra: [mmap]}',
    SYSDIG_EXTRA_ARGS: '--rules-file args.yaml --priority-min notice',
  });
  assert.equal(c.rulesFiles, ['args.yaml']);
  assert.is(c.priorityMin, 'Notice');
  assert.is(c.ruleMatching, 'all', 'conf keys the args do not set stay');
  assert.equal(c.syscallsExtra, ['mmap']);
  // A bad arg value falls back to the conf value, not the default.
  const r = load({ SYSDIG_EXTRA_CONF: '{priority-min: error}', SYSDIG_EXTRA_ARGS: '--priority-min nope' });
  assert.is(r.errors.length, 1);
  assert.is(r.config.priorityMin, 'Error');
});

test('bounds: security-wait-ms, metadata-timeout-ms, ring-bytes suffixes, container-image', () => {
  assert.is(clean({ SYSDIG_EXTRA_ARGS: '--security-wait-ms 300000' }).securityWaitMs, 300000);
  assert.is(load({ SYSDIG_EXTRA_ARGS: '--security-wait-ms 300001' }).errors.length, 1);
  assert.is(load({ SYSDIG_EXTRA_ARGS: '--metadata-timeout-ms 1.5' }).errors.length, 1);
  assert.is(clean({ SYSDIG_EXTRA_ARGS: '--ring-bytes 512k' }).ringBytes, 512 * 1024);
  assert.is(clean({ SYSDIG_EXTRA_ARGS: '--ring-bytes=1GiB' }).ringBytes, 1024 ** 3);
  assert.is(load({ SYSDIG_EXTRA_ARGS: '--ring-bytes 2G' }).errors.length, 1);
  assert.is(load({ SYSDIG_EXTRA_ARGS: '--ring-bytes 8X' }).errors.length, 1);
  assert.is(clean({ SYSDIG_EXTRA_ARGS: '--container-image registry:5000/team/app:v1@sha256:' + 'a'.repeat(64) }).containerImage, 'registry:5000/team/app:v1@sha256:' + 'a'.repeat(64));
  assert.is(load({ SYSDIG_EXTRA_ARGS: `--container-image 'bad image'` }).errors.length, 1);
  assert.is(load({ SYSDIG_EXTRA_ARGS: '--container-image=' }).errors.length, 1);
});

test('the access key never appears in messages; redactConfig hides it', () => {
  const secret = 'TOP-SECRET-KEY-9f8e7d';
  const r = loadConfig({
    SYSDIG_ACCESS_KEY: secret,
    SYSDIG_COLLECTOR: 'c',
    SYSDIG_COLLECTOR_PORT: 'x',
    SYSDIG_EXTRA_ARGS: '--bogus --priority-min x',
    SYSDIG_EXTRA_CONF: '{nope: 1}',
    SYSDIG_PRIORITY: 'x',
  });
  assert.ok(r.errors.length >= 4);
  assert.not.ok(JSON.stringify([r.errors, r.warnings]).includes(secret));
  assert.is(r.config.accessKey, secret);
  assert.not.ok(JSON.stringify(redactConfig(r.config)).includes(secret));
  assert.is(redactConfig(r.config).accessKey, '<redacted>');
});

test('loadConfig never throws', () => {
  const hostile = new Proxy({} as NodeJS.ProcessEnv, {
    get() {
      throw new Error('boom');
    },
  });
  const r = loadConfig(hostile);
  assert.is(r.errors.length, 1);
  assert.match(r.errors[0] ?? '', /internal error/);
  assert.is(r.config.priority, 'availability');
  assert.equal(r.config.rulesFiles, []);
});

test('workloadEnv: K=V in order, secrets and unset values removed', () => {
  assert.ok(SECRET_ENV_VARS.includes('SYSDIG_ACCESS_KEY'));
  assert.ok(SECRET_ENV_VARS.includes('SYSDIG_API_TOKEN'));
  const env = workloadEnv({
    PATH: '/usr/bin',
    SYSDIG_ACCESS_KEY: 'k',
    SYSDIG_API_TOKEN: 't',
    EQ: 'a=b',
    EMPTY: '',
    UNSET: undefined,
    SYSDIG_LOGGING: 'info',
  });
  assert.equal(env, ['PATH=/usr/bin', 'EQ=a=b', 'EMPTY=', 'SYSDIG_LOGGING=info']);
});

test('parseExtraArgs works on already-split words', () => {
  const l = parseExtraArgs(['--rules-file', '--weird', '--rules-file=--weird.yaml']);
  assert.equal(l.errors, ['SYSDIG_EXTRA_ARGS: --rules-file: missing value (PATH)', 'SYSDIG_EXTRA_ARGS: unknown flag --weird']);
  assert.equal(l.values.rulesFiles, ['--weird.yaml']);
});

test('docs/configuration.md documents every option and variable', () => {
  const doc = readFileSync(fileURLToPath(new URL('../../../docs/configuration.md', import.meta.url)), 'utf8');
  for (const name of Object.keys(OPTIONS)) assert.ok(doc.includes(`--${name}`), `--${name} documented`);
  for (const v of [
    'SYSDIG_ORCHESTRATOR',
    'SYSDIG_ORCHESTRATOR_PORT',
    'SYSDIG_COLLECTOR',
    'SYSDIG_COLLECTOR_PORT',
    'SYSDIG_ACCESS_KEY',
    'SYSDIG_LOGGING',
    'SYSDIG_EXTRA_ARGS',
    'SYSDIG_EXTRA_CONF',
    'SYSDIG_PRIORITY',
    'SYSDIG_SIDECAR',
    ...SECRET_ENV_VARS,
  ]) {
    assert.ok(doc.includes(v), `${v} documented`);
  }
});

test.run();
