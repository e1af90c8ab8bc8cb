import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forbiddenAddress, forbiddenHost, guardedLookup } from './target-guard.js';

test('internal IPv4 and IPv6 addresses are refused, including IPv4 embedded in IPv6', () => {
  for (const address of [
    '127.0.0.1',
    '127.255.0.9',
    '0.0.0.0',
    '10.0.0.1',
    '172.16.5.4',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '100.100.100.200',
    '224.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    'fe80::1',
    'fe80::1%eth0',
    'fc00::1',
    'fd00:ec2::254',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
    '::127.0.0.1',
    '64:ff9b::a9fe:a9fe',
    '2002:7f00:1::1',
  ])
    assert.notEqual(forbiddenAddress(address), undefined, address);
});

test('public addresses pass', () => {
  for (const address of [
    '1.1.1.1',
    '8.8.8.8',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
    '2002:0808:0808::1',
  ])
    assert.equal(forbiddenAddress(address), undefined, address);
});

test('hosts: literal addresses (bracketed IPv6 too) are refused before any lookup; names are not', () => {
  assert.match(forbiddenHost('127.0.0.1') ?? '', /not a public address/);
  assert.match(forbiddenHost('[::1]') ?? '', /not a public address/);
  assert.equal(forbiddenHost('hooks.example.com'), undefined);
});

test('the lookup hook refuses a name that resolves to loopback', async () => {
  const error = await new Promise<Error | null>((resolve) => {
    guardedLookup('localhost', {}, (err) => {
      resolve(err);
    });
  });
  assert.ok(error);
  assert.match(error.message, /refused: localhost → (127\.0\.0\.1|::1) is not a public address/);
});
