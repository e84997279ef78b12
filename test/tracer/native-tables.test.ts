// Facts the native side and TypeScript both need, defined in each language
// once: they must agree.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadAddon } from '../../src/tracer/native.js';
import { SECRET_ENV_VARS } from '../../src/config/index.js';

test('the secret variables the supervisor keeps from the workload are those the configuration treats as secret', () => {
  assert.equal([...loadAddon().secretEnvVars()].sort(), [...SECRET_ENV_VARS].sort());
});

test.run();
