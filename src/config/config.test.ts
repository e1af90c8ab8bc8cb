import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from './config.js';

function configError(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  assert.fail(`expected ${JSON.stringify(env)} to be refused`);
}

describe('loadConfig', () => {
  test('reads the environment and keeps the defaults of what is unset', () => {
    const config = loadConfig({ PORT: '7001', MAWJLY_CHECK_ENCRYPTED_ENVELOPE: 'no', LOG_LEVEL: 'warn' });
    assert.equal(config.port, 7001);
    assert.equal(config.metricsPort, 10601, 'unset, METRICS_PORT follows PORT (+ 3600)');
    assert.equal(config.checkEncryptedEnvelope, false);
    assert.equal(config.logLevel, 'warn');
  });

  test('a non-numeric port names the variable and says what it accepts', () => {
    const message = configError({ PORT: 'abc' });
    assert.match(message, /PORT: expected a port number from 0 to 65535/);
    assert.doesNotMatch(message, /NaN/);
    assert.match(configError({ METRICS_PORT: '70000' }), /METRICS_PORT: expected a port number/);
  });

  test('a bad boolean says which values are accepted', () => {
    assert.match(
      configError({ MAWJLY_CHECK_ENCRYPTED_ENVELOPE: 'maybe' }),
      /MAWJLY_CHECK_ENCRYPTED_ENVELOPE: expected true or false/,
    );
  });

  test('a bad number names the variable', () => {
    assert.match(configError({ MAWJLY_CACHE_TTL_S: 'soon' }), /MAWJLY_CACHE_TTL_S: expected a number/);
  });

  test('TLS_CERT without TLS_KEY (or the reverse) is refused instead of serving plain http', () => {
    assert.match(
      configError({ TLS_CERT: '/etc/cert.pem' }),
      /TLS_KEY: not set: set both TLS_CERT and TLS_KEY/,
    );
    assert.match(configError({ TLS_KEY: '/etc/key.pem' }), /TLS_CERT: not set/);
    const both = loadConfig({ TLS_CERT: '/etc/cert.pem', TLS_KEY: '/etc/key.pem' });
    assert.equal(both.tlsCert, '/etc/cert.pem');
    assert.equal(both.tlsKey, '/etc/key.pem');
  });
});
