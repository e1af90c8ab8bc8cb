// The fault proxy itself: each mode does what fault tests rely on, against a plain echo server.
import { strict as assert } from 'node:assert';
import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';

const echo = createServer((socket) => socket.pipe(socket));
let proxy: FaultProxy;

before(async () => {
  await new Promise<void>((resolve) =>
    echo.listen(0, '127.0.0.1', () => {
      resolve();
    }),
  );
  proxy = await startFaultProxy((echo.address() as AddressInfo).port);
});
after(async () => {
  await proxy.close();
  await new Promise<void>((resolve) =>
    echo.close(() => {
      resolve();
    }),
  );
});

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(proxy.port, '127.0.0.1', () => {
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Everything the socket receives within `ms`. */
function received(socket: Socket, ms: number): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (data: Buffer): void => {
      text += data.toString();
    };
    socket.on('data', onData);
    setTimeout(() => {
      socket.off('data', onData);
      resolve(text);
    }, ms);
  });
}

describe('fault proxy', () => {
  test('pass forwards both ways', async () => {
    proxy.setMode('pass');
    const socket = await open();
    const got = received(socket, 200);
    socket.write('hello');
    assert.equal(await got, 'hello');
    socket.destroy();
  });

  test('hold keeps bytes and delivers them in order on pass', async () => {
    proxy.setMode('pass');
    const socket = await open();
    proxy.setMode('hold');
    const during = received(socket, 200);
    socket.write('a');
    socket.write('b');
    assert.equal(await during, '');
    const later = received(socket, 300);
    proxy.setMode('pass');
    assert.equal(await later, 'ab');
    socket.destroy();
  });

  test('drop discards what was sent meanwhile', async () => {
    proxy.setMode('pass');
    const socket = await open();
    proxy.setMode('drop');
    socket.write('lost');
    await received(socket, 100);
    const later = received(socket, 300);
    proxy.setMode('pass');
    socket.write('kept');
    assert.equal(await later, 'kept');
    socket.destroy();
  });

  test('cut closes open connections and refuses new ones until pass', async () => {
    proxy.setMode('pass');
    const socket = await open();
    const closed = new Promise<void>((resolve) =>
      socket.once('close', () => {
        resolve();
      }),
    );
    proxy.setMode('cut');
    await closed;
    const refused = await open().then(
      (s) =>
        new Promise<boolean>((resolve) =>
          s.once('close', () => {
            resolve(true);
          }),
        ),
      () => true,
    );
    assert.equal(refused, true);
    proxy.setMode('pass');
    const again = await open();
    const got = received(again, 200);
    again.write('back');
    assert.equal(await got, 'back');
    again.destroy();
  });

  test('bytes sent before the client closed during hold still arrive on pass (then the upstream ends)', async () => {
    const got: string[] = [];
    let ended!: () => void;
    const upstreamEnded = new Promise<void>((resolve) => {
      ended = resolve;
    });
    const sink = createServer((socket) => {
      socket.on('data', (d: Buffer) => got.push(d.toString()));
      socket.on('end', () => {
        ended();
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    const own = await startFaultProxy((sink.address() as AddressInfo).port);
    try {
      const socket = connect(own.port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      own.holdWhen((chunk) => chunk.toString().includes('COMMIT'));
      socket.write('BEGIN');
      await new Promise((resolve) => setTimeout(resolve, 100));
      socket.write('COMMIT');
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(own.mode, 'hold', 'the trigger switched to hold');
      socket.destroy();
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(got, ['BEGIN'], 'held while black-holed');
      own.setMode('pass');
      await upstreamEnded;
      assert.equal(got.join(''), 'BEGINCOMMIT');
    } finally {
      await own.close();
      await new Promise<void>((resolve) => {
        sink.close(() => {
          resolve();
        });
      });
    }
  });
});
