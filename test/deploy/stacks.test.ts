// deploy/orchestrator.yaml and deploy/cfn-macro.yaml, checked without AWS.
// No CloudFormation linter is usable here (cfn-lint is on PyPI; the npm
// package of that name carries a 2019 resource specification that rejects
// valid templates), so this is a structural check: every Ref, GetAtt, Sub
// variable, condition and DependsOn resolves, parameter defaults satisfy
// their own constraints, every parameter is used; then the templates are
// evaluated with their defaults and what they hand our programs is fed to
// those programs' own parsers (the orchestrator's configuration, the macro's
// options).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { longForm } from '../../src/deploy/yaml-edit.js';
import { DEPLOY_OPTIONS, resolveOptions } from '../../src/deploy/options.js';
import { parseOrchestratorConfig } from '../../src/orchestrator/config.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
type J = null | boolean | number | string | J[] | { [k: string]: J };
type T = { [k: string]: J };

function load(name: string): T {
  const doc = parseDocument(readFileSync(join(root, 'deploy', name), 'utf8'));
  assert.equal(doc.errors, [], name);
  return longForm(doc.contents, doc) as T;
}

const PSEUDO = new Set(['AWS::Region', 'AWS::AccountId', 'AWS::Partition', 'AWS::StackName', 'AWS::StackId', 'AWS::NoValue', 'AWS::URLSuffix', 'AWS::NotificationARNs']);
const SECTIONS = new Set(['AWSTemplateFormatVersion', 'Description', 'Metadata', 'Parameters', 'Rules', 'Mappings', 'Conditions', 'Transform', 'Resources', 'Outputs']);
const PARAM_TYPES = new Set(['String', 'Number', 'CommaDelimitedList', 'AWS::EC2::VPC::Id', 'AWS::EC2::Subnet::Id', 'List<AWS::EC2::Subnet::Id>', 'AWS::EC2::SecurityGroup::Id']);

const obj = (v: J | undefined): { [k: string]: J } => (v && typeof v === 'object' && !Array.isArray(v) ? v : {});

/** Every problem of a template's structure. Empty: it holds together. */
function check(t: T): string[] {
  const problems: string[] = [];
  const params = obj(t['Parameters']);
  const resources = obj(t['Resources']);
  const conditions = obj(t['Conditions']);
  const used = new Set<string>();
  for (const k of Object.keys(t)) if (!SECTIONS.has(k)) problems.push(`unknown top-level section ${k}`);
  if (t['AWSTemplateFormatVersion'] !== '2010-09-09') problems.push('AWSTemplateFormatVersion is not 2010-09-09');
  if (Object.keys(resources).length === 0) problems.push('no Resources');

  const name = (n: string, where: string, resourcesToo = true) => {
    if (PSEUDO.has(n)) return;
    if (n in params) used.add(n);
    else if (!(resourcesToo && n in resources)) problems.push(`${where}: ${n} is neither a parameter${resourcesToo ? ', a resource' : ''} nor a pseudo parameter`);
  };
  const cond = (c: J, where: string) => {
    if (typeof c !== 'string' || !(c in conditions)) problems.push(`${where}: condition ${JSON.stringify(c)} is not defined`);
  };
  const walk = (v: J, where: string): void => {
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${where}[${i}]`));
    if (!v || typeof v !== 'object') return;
    const keys = Object.keys(v);
    if (keys.length === 1) {
      const [k] = keys as [string];
      const a = v[k]!;
      if (k === 'Ref') name(String(a), where);
      else if (k === 'Fn::GetAtt') {
        if (!Array.isArray(a) || a.length !== 2 || !(String(a[0]) in resources)) problems.push(`${where}: GetAtt ${JSON.stringify(a)} does not name a resource and an attribute`);
      } else if (k === 'Fn::Sub') {
        const [text, vars] = Array.isArray(a) ? [a[0], obj(a[1])] : [a, {}];
        for (const m of String(text).matchAll(/\$\{([^!}][^}]*)\}/g)) if (!(m[1]! in vars)) name(m[1]!.split('.')[0]!, `${where} (Sub)`);
        walk(vars as J, where);
        return;
      } else if (k === 'Fn::If') {
        if (!Array.isArray(a) || a.length !== 3) problems.push(`${where}: Fn::If needs [condition, then, else]`);
        else cond(a[0]!, where);
      } else if (k === 'Condition') cond(a, where);
      else if ((k === 'Fn::Equals' || k === 'Fn::Join' || k === 'Fn::Split' || k === 'Fn::Select') && (!Array.isArray(a) || a.length !== 2)) {
        problems.push(`${where}: ${k} needs two arguments`);
      }
    }
    for (const [k, x] of Object.entries(v)) walk(x, `${where}.${k}`);
  };

  for (const [p, spec] of Object.entries(params)) {
    const s = obj(spec);
    if (!PARAM_TYPES.has(String(s['Type']))) problems.push(`parameter ${p}: type ${String(s['Type'])}`);
    const d = s['Default'];
    if (d === undefined) continue;
    if (Array.isArray(s['AllowedValues']) && !s['AllowedValues'].map(String).includes(String(d))) problems.push(`parameter ${p}: default ${JSON.stringify(d)} not among AllowedValues`);
    if (typeof s['AllowedPattern'] === 'string' && !new RegExp(s['AllowedPattern']).test(String(d))) problems.push(`parameter ${p}: default ${JSON.stringify(d)} does not match AllowedPattern`);
    if (typeof s['MinValue'] === 'number' && Number(d) < s['MinValue']) problems.push(`parameter ${p}: default below MinValue`);
    if (typeof s['MaxValue'] === 'number' && Number(d) > s['MaxValue']) problems.push(`parameter ${p}: default above MaxValue`);
  }
  walk(conditions as J, 'Conditions');
  walk(obj(t['Rules']) as J, 'Rules');
  for (const [r, res] of Object.entries(resources)) {
    const rr = obj(res);
    if (!/^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$/.test(String(rr['Type']))) problems.push(`resource ${r}: type ${String(rr['Type'])}`);
    for (const dep of [rr['DependsOn'] ?? []].flat()) if (!(String(dep) in resources)) problems.push(`resource ${r}: DependsOn ${String(dep)} is not a resource`);
    if (rr['Condition'] !== undefined) cond(rr['Condition'], `resource ${r}`);
    walk(rr['Properties'] ?? null, `Resources.${r}.Properties`);
  }
  for (const [o, out] of Object.entries(obj(t['Outputs']))) {
    if (obj(out)['Value'] === undefined) problems.push(`output ${o}: no Value`);
    walk(out, `Outputs.${o}`);
  }
  // Metadata may list parameters (the console's groups): they must exist.
  for (const g of (obj(obj(obj(t['Metadata'])['AWS::CloudFormation::Interface']))['ParameterGroups'] ?? []) as J[]) {
    for (const p of (obj(g)['Parameters'] ?? []) as J[]) if (!(String(p) in params)) problems.push(`Metadata lists ${String(p)}, not a parameter`);
  }
  for (const p of Object.keys(params)) if (!used.has(p)) problems.push(`parameter ${p} is never used`);
  return problems;
}

/** The template's value with parameter values and conditions applied (resources stay as `<Name>`). */
function evaluate(t: T, values: Record<string, string> = {}): (v: J) => J {
  const params = obj(t['Parameters']);
  const conditions = obj(t['Conditions']);
  const NOVALUE = Symbol('novalue') as unknown as J;
  const param = (n: string): J => {
    if (n === 'AWS::Region') return 'eu-west-1';
    if (n === 'AWS::Partition') return 'aws';
    if (n === 'AWS::StackName') return 'stack';
    if (n === 'AWS::NoValue') return NOVALUE;
    if (n in values) return values[n]!;
    if (n in params) return String(obj(params[n])['Default'] ?? '');
    return `<${n}>`;
  };
  const ev = (v: J): J => {
    if (Array.isArray(v)) return v.map(ev).filter((x) => x !== NOVALUE);
    if (!v || typeof v !== 'object') return v;
    const keys = Object.keys(v);
    if (keys.length === 1) {
      const [k] = keys as [string];
      const a = v[k]!;
      if (k === 'Ref') return param(String(a));
      if (k === 'Condition') return ev(conditions[String(a)]!);
      if (k === 'Fn::Equals') return String(ev((a as J[])[0]!)) === String(ev((a as J[])[1]!));
      if (k === 'Fn::Not') return !ev((a as J[])[0]!);
      if (k === 'Fn::If') return ev(ev(conditions[String((a as J[])[0])]!) ? (a as J[])[1]! : (a as J[])[2]!);
      if (k === 'Fn::GetAtt') return `<${(a as J[]).join('.')}>`;
      if (k === 'Fn::Sub') {
        const [text, vars] = Array.isArray(a) ? [String(a[0]), obj(a[1])] : [String(a), {}];
        return text.replace(/\$\{([^!}][^}]*)\}/g, (_, n: string) => String(n in vars ? ev(vars[n]!) : param(n)));
      }
    }
    const out: { [k: string]: J } = {};
    for (const [k, x] of Object.entries(v)) {
      const e = ev(x);
      if (e !== NOVALUE) out[k] = e;
    }
    return out;
  };
  return ev;
}

test('deploy/orchestrator.yaml holds together', () => {
  assert.equal(check(load('orchestrator.yaml')), []);
});

test('deploy/cfn-macro.yaml holds together', () => {
  assert.equal(check(load('cfn-macro.yaml')), []);
});

test('the structural check can fail: a dangling Ref, an undefined condition, an unused parameter, a bad default', () => {
  const t = load('orchestrator.yaml');
  const bad = structuredClone(t);
  const params = bad['Parameters'] as { [k: string]: { [k: string]: J } };
  params['Renamed'] = params['SubnetB']!;
  delete params['SubnetB'];
  params['TlsTermination']!['Default'] = 'nowhere';
  (bad['Conditions'] as { [k: string]: J })['HasForwardUrl'] = null;
  delete (bad['Conditions'] as { [k: string]: J })['HasForwardUrl'];
  const problems = check(bad);
  assert.ok(problems.some((p) => /SubnetB is neither a parameter/.test(p)), problems.join('\n'));
  assert.ok(problems.some((p) => /condition "HasForwardUrl" is not defined/.test(p)));
  assert.ok(problems.some((p) => /parameter Renamed is never used/.test(p)));
  assert.ok(problems.some((p) => /TlsTermination: default "nowhere" not among AllowedValues/.test(p)));
});

test("the orchestrator stack: the seed's parameters and outputs, Fargate behind an NLB, TLS by default", () => {
  const t = load('orchestrator.yaml');
  const p = obj(t['Parameters']);
  for (const name of ['SysdigAccessKey', 'SysdigCollectorHost', 'SysdigCollectorPort', 'VPC', 'SubnetA', 'SubnetB', 'SysdigAgentTags', 'SysdigOrchestratorAgentImage', 'SysdigCheckCollectorCertificate', 'SysdigOrchestratorAgentPort']) {
    assert.ok(name in p, `parameter ${name}`);
  }
  assert.is(obj(p['VPC'])['Type'], 'AWS::EC2::VPC::Id');
  assert.is(obj(p['SubnetA'])['Type'], 'AWS::EC2::Subnet::Id');
  assert.is(obj(p['SubnetB'])['Type'], 'AWS::EC2::Subnet::Id');
  assert.is(obj(p['SysdigOrchestratorAgentPort'])['Default'], 6667);
  assert.is(obj(p['SysdigAccessKey'])['NoEcho'], true);
  assert.equal(Object.keys(obj(t['Outputs'])).sort(), ['OrchestratorHost', 'OrchestratorPort']);

  const ev = evaluate(t, { SysdigAccessKey: 'KEY', CertificateArn: 'arn:aws:acm:eu-west-1:1:certificate/x' });
  const r = ev(t['Resources']!) as { [k: string]: { Type: string; Properties: { [k: string]: J } } };
  const byType = (type: string) => Object.values(r).filter((x) => x.Type === type);
  const [lb] = byType('AWS::ElasticLoadBalancingV2::LoadBalancer');
  assert.is(lb!.Properties['Type'], 'network');
  assert.is(lb!.Properties['Scheme'], 'internal');
  const [listener] = byType('AWS::ElasticLoadBalancingV2::Listener');
  assert.is(listener!.Properties['Protocol'], 'TLS', 'TLS at the load balancer by default');
  assert.equal(listener!.Properties['Certificates'], [{ CertificateArn: 'arn:aws:acm:eu-west-1:1:certificate/x' }]);
  assert.is(listener!.Properties['Port'], '6667');
  const [tg] = byType('AWS::ElasticLoadBalancingV2::TargetGroup');
  assert.is(tg!.Properties['TargetType'], 'ip', 'awsvpc tasks register by IP');
  const [svc] = byType('AWS::ECS::Service');
  assert.is(svc!.Properties['LaunchType'], 'FARGATE');
  assert.is(svc!.Properties['DesiredCount'], '2', 'several replicas by default');
  const [td] = byType('AWS::ECS::TaskDefinition');
  assert.equal(td!.Properties['RequiresCompatibilities'], ['FARGATE']);
  assert.is(td!.Properties['NetworkMode'], 'awsvpc');
  const [c] = td!.Properties['ContainerDefinitions'] as { [k: string]: J }[];
  assert.is((obj((svc!.Properties['LoadBalancers'] as J[])[0]))['ContainerName'], c!['Name']);
  assert.equal(c!['EntryPoint'], ['/opt/draios/bin/orchestrator']);

  // What the container is given, read by the orchestrator's own configuration parser.
  const env = Object.fromEntries((c!['Environment'] as { Name: string; Value: string }[]).map((e) => [e.Name, e.Value]));
  const cfg = parseOrchestratorConfig([], env);
  assert.type(cfg, 'object', String(cfg));
  if (typeof cfg === 'string') return;
  assert.is(cfg.port, 6667);
  assert.is(cfg.accessKey, 'KEY');
  assert.is(cfg.tlsCert, undefined, 'TLS ends at the load balancer: the orchestrator speaks plain TCP behind it');
  assert.is(env['ORCHESTRATOR_TLS_OFFLOADED'], '1', 'and is told so');
  assert.is(cfg.alertsStdout, true);

  // TLS at the orchestrator: certificate files from EFS, a plain TCP listener.
  const ev2 = evaluate(t, { SysdigAccessKey: 'KEY', TlsTermination: 'orchestrator', TlsFileSystemId: 'fs-1', ForwardUrl: 'http://sidekick.internal:2801/', SysdigOrchestratorAgentPort: '7443' });
  const r2 = ev2(t['Resources']!) as typeof r;
  assert.is(r2['Listener']!.Properties['Protocol'], 'TCP');
  assert.is(r2['Listener']!.Properties['Certificates'], undefined);
  const c2 = (r2['TaskDefinition']!.Properties['ContainerDefinitions'] as { [k: string]: J }[])[0]!;
  const env2 = Object.fromEntries((c2['Environment'] as { Name: string; Value: string }[]).map((e) => [e.Name, e.Value]));
  const cfg2 = parseOrchestratorConfig([], env2);
  assert.type(cfg2, 'object', String(cfg2));
  if (typeof cfg2 === 'string') return;
  assert.is(cfg2.port, 7443, 'the port reaches the orchestrator as SYSDIG_ORCHESTRATOR_PORT');
  assert.is(env2['ORCHESTRATOR_TLS_OFFLOADED'], undefined);
  assert.is(r2['Listener']!.Properties['Port'], '7443');
  assert.is(cfg2.tlsCert, '/etc/draios/tls/orchestrator/cert.pem');
  assert.is(cfg2.tlsKey, '/etc/draios/tls/orchestrator/key.pem');
  assert.is(cfg2.forwardUrl, 'http://sidekick.internal:2801/');
  assert.equal(c2['MountPoints'], [{ SourceVolume: 'tls', ContainerPath: '/etc/draios/tls', ReadOnly: true }]);
  assert.is(obj((r2['TaskDefinition']!.Properties['Volumes'] as J[])[0])['Name'], 'tls');

  // Outputs: the load balancer's name, or the certificate's name when given.
  const outs = ev(t['Outputs']!) as { [k: string]: { Value: J } };
  assert.is(outs['OrchestratorHost']!.Value, '<LoadBalancer.DNSName>');
  assert.is(outs['OrchestratorPort']!.Value, '6667');
  const outs2 = evaluate(t, { OrchestratorDnsName: 'orchestrator.example.internal' })(t['Outputs']!) as typeof outs;
  assert.is(outs2['OrchestratorHost']!.Value, 'orchestrator.example.internal');
});

test('the macro install template: the bundle npm run dist makes, options the macro accepts', () => {
  const t = load('cfn-macro.yaml');
  const ev = evaluate(t, { OrchestratorHost: 'orch.internal', SidecarLogGroup: '/ecs/agents' });
  const r = ev(t['Resources']!) as { [k: string]: { Type: string; Properties: { [k: string]: J } } };
  const fn = r['MacroFunction']!.Properties;
  assert.is(fn['Handler'], 'index.handler');
  assert.match(String(fn['Runtime']), /^nodejs(20|22)\.x$/);
  // `aws cloudformation package` resolves Code from the template's folder: dist's default output.
  assert.is(join(root, 'deploy', String(fn['Code'])), join(root, 'dist', 'cfn-macro'));
  assert.match(readFileSync(join(root, 'scripts', 'dist.mjs'), 'utf8'), /join\(ROOT, 'dist', 'cfn-macro'\)/);
  assert.is(r['Macro']!.Type, 'AWS::CloudFormation::Macro');
  assert.is(r['Macro']!.Properties['FunctionName'], '<MacroFunction.Arn>');

  const opts = JSON.parse(String(obj(obj(fn['Environment'])['Variables'])['INSTRUMENT_OPTIONS'])) as Record<string, unknown>;
  for (const k of Object.keys(opts)) assert.ok(k in DEPLOY_OPTIONS, `INSTRUMENT_OPTIONS key ${k} is an option`);
  const given = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== ''));
  const { problems, opts: resolved } = resolveOptions(given, (s) => s);
  assert.equal(problems, []);
  assert.equal(resolved.logs, { group: '/ecs/agents', streamPrefix: 'draios', region: 'eu-west-1' });
  assert.ok(resolved.env!.some(([n, v]) => n === 'SYSDIG_ORCHESTRATOR_PORT' && v === '6667'));
  // Without an orchestrator or a log group, nothing half-set is passed.
  const bare = JSON.parse(String(obj(obj((evaluate(t)(t['Resources']!) as typeof r)['MacroFunction']!.Properties['Environment'])['Variables'])['INSTRUMENT_OPTIONS'])) as Record<string, unknown>;
  assert.equal(resolveOptions(Object.fromEntries(Object.entries(bare).filter(([, v]) => v !== '')), (s) => s).problems, []);
});

test.run();
