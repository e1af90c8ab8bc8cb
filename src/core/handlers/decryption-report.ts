// `mawjly:decryption_failures` (docs/encrypted-channels.md): the client helper reports how many
// events it could not decrypt. Only the number is used, per app; the frame carries nothing else and
// nothing is relayed. A connection counts as a failing client at most once an hour.
import type { EngineContext } from '../engine-context.js';
import type { Session } from '../session.js';
import { frameDataObject, type ClientFrame } from '../../protocol/codec.js';

/** The most failures one frame may report (the helper sends at most this many per frame). */
export const MAX_REPORTED_FAILURES = 1000;
const HOUR_MS = 3_600_000;

/** When each connection last counted as a failing client (weak: gone with the session). */
const countedAt = new WeakMap<Session, number>();

export function handleDecryptionReport(engine: EngineContext, session: Session, frame: ClientFrame): void {
  const count = frameDataObject(frame.data)?.count;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_REPORTED_FAILURES) {
    session.sendError(
      'invalid_message',
      `mawjly:decryption_failures needs data.count (an integer from 1 to ${MAX_REPORTED_FAILURES})`,
    );
    return;
  }
  const now = engine.clock.now();
  const last = countedAt.get(session);
  const newClient = last === undefined || now - last >= HOUR_MS;
  if (newClient) countedAt.set(session, now);
  engine.metrics.decryptionFailures?.(session.app.id, count, newClient);
}
