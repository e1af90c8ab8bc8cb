// `pusher:signin` (PROTOCOL.md §5): signature over `socket_id::user::user_data` as received.
import type { EngineContext } from '../engine-context.js';
import type { Session } from '../session.js';
import { encodeSigninSuccess, frameDataObject, type ClientFrame } from '../../protocol/codec.js';
import { MAX_WATCHLIST_SIZE } from '../../protocol/limits.js';
import { userStringToSign, verifyAuth } from '../../protocol/signing.js';
import { parseUserData } from '../../protocol/user-data.js';

export function handleSignin(engine: EngineContext, session: Session, frame: ClientFrame): void {
  const app = session.app;
  if (!app.settings.userAuthentication) {
    session.sendError('signin_disabled');
    return;
  }
  const data = frameDataObject(frame.data);
  const userData = data?.user_data;
  if (data === undefined || typeof userData !== 'string') {
    session.sendError('signin_invalid', 'pusher:signin needs data.auth and data.user_data (a JSON string)');
    return;
  }
  if (!verifyAuth(data.auth, app.key, app.secrets, userStringToSign(session.socketId, userData))) {
    session.sendError('signin_invalid', 'Invalid signature for pusher:signin');
    return;
  }
  const user = parseUserData(userData);
  if (!user) {
    session.sendError('signin_invalid', 'user_data must be a JSON object with a non-empty string "id"');
    return;
  }
  if (session.userId !== undefined && session.userId !== user.id) {
    session.sendError('signin_other_user');
    return;
  }
  const watchlist = user.watchlist.slice(0, MAX_WATCHLIST_SIZE);
  engine.users.signIn(session, user.id, watchlist);
  session.send(encodeSigninSuccess(userData));
  if (user.watchlist.length > MAX_WATCHLIST_SIZE) session.sendError('watchlist_too_long');
  engine.users.sendWatchlistStatus(session);
}
