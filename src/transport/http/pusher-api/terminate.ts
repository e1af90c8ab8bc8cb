// `POST /apps/{id}/users/{user_id}/terminate_connections`.
import { MawjlyError } from '../../../protocol/errors.js';
import { parseJsonObject } from '../read-body.js';
import { EMPTY_RESULT, type RequestContext } from './endpoint.js';

export function terminateConnections({ engine, app, params, body }: RequestContext): unknown {
  if (body.length > 0) parseJsonObject(body);
  const userId = params[1] ?? '';
  if (userId.length === 0 || userId.length > 128) throw new MawjlyError('invalid_request', 'Invalid user id');
  engine.terminateUserConnections(app, userId);
  return EMPTY_RESULT;
}
