import type { EngineContext } from '../engine-context.js';
import type { Session } from '../session.js';
import { frameDataObject, type ClientFrame } from '../../protocol/codec.js';

/** `pusher:unsubscribe`: nothing acknowledges it; unknown channels are ignored. */
export function handleUnsubscribe(engine: EngineContext, session: Session, frame: ClientFrame): void {
  const channel = frameDataObject(frame.data)?.channel;
  if (typeof channel !== 'string') {
    session.sendError('invalid_message', 'pusher:unsubscribe needs data.channel (a string)');
    return;
  }
  const subscription = session.subscription(channel);
  if (subscription) engine.leave(session, channel, subscription);
}
