// One text frame from a client: parsed, then handed to the handler of its event. Never throws: bad
// input and handler failures get an error frame.
import type { EngineContext } from '../engine-context.js';
import type { Session } from '../session.js';
import { handleClientEvent } from './client-event.js';
import { handleDecryptionReport } from './decryption-report.js';
import { handleSignin } from './signin.js';
import { handleSubscribe } from './subscribe.js';
import { handleUnsubscribe } from './unsubscribe.js';
import { parseClientFrame } from '../../protocol/codec.js';
import { CLIENT_EVENT_PREFIX, MawjlyEvent, PusherEvent } from '../../protocol/events.js';

const PONG = JSON.stringify({ event: PusherEvent.pong, data: '{}' });

export function handleMessage(engine: EngineContext, session: Session, text: string): void {
  if (session.closed) return;
  const now = engine.clock.now();
  session.lastActivityMs = now;
  session.pingSentAtMs = 0;
  engine.metrics.messageIn(session.app.id, Buffer.byteLength(text, 'utf8'));
  const frame = parseClientFrame(text);
  if (!frame) {
    session.sendError('invalid_message');
    engine.debug(session.app.id, () => ({
      type: 'error',
      socketId: session.socketId,
      message: 'invalid message',
    }));
    return;
  }
  try {
    switch (frame.event) {
      case PusherEvent.ping:
        session.send(PONG);
        return;
      case PusherEvent.pong:
        return;
      case PusherEvent.subscribe:
        handleSubscribe(engine, session, frame);
        return;
      case PusherEvent.unsubscribe:
        handleUnsubscribe(engine, session, frame);
        return;
      case PusherEvent.signin:
        handleSignin(engine, session, frame);
        return;
      case MawjlyEvent.decryptionFailures:
        handleDecryptionReport(engine, session, frame);
        return;
      default:
        if (frame.event.startsWith(CLIENT_EVENT_PREFIX)) {
          handleClientEvent(engine, session, frame);
          return;
        }
        session.sendError('unknown_event', `Unknown event '${frame.event.slice(0, 100)}'`);
    }
  } catch (error) {
    engine.logger.error({ err: error, socketId: session.socketId }, 'error while handling a client frame');
    session.sendError('internal');
  }
}
