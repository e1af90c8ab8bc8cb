// Joining and leaving channels: this node's subscribers (LocalDelivery), the cluster's view of them
// (the Adapter's local counts and presence members), and what follows (occupied/vacated and
// cache_miss webhooks, the cached event of a cache channel, debug events).
import type { EngineContext } from './engine-context.js';
import type { LocalDelivery } from './local-delivery.js';
import type { Adapter } from './ports/adapter.js';
import type { Session, Subscription } from './session.js';
import { encodeCacheMiss, encodeChannelEvent } from '../protocol/codec.js';

export class Membership {
  readonly #adapter: Adapter;
  readonly #local: LocalDelivery;
  readonly #host: Pick<EngineContext, 'cache' | 'clock' | 'webhook' | 'debug'>;

  constructor(
    adapter: Adapter,
    local: LocalDelivery,
    host: Pick<EngineContext, 'cache' | 'clock' | 'webhook' | 'debug'>,
  ) {
    this.#adapter = adapter;
    this.#local = local;
    this.#host = host;
  }

  /**
   * Adds a session to a channel. For presence, the cluster learns of the member first, so the
   * other subscribers get member_added and the joiner (not yet in the set) does not.
   */
  join(
    session: Session,
    channel: string,
    userId: string | undefined,
    userInfoJson: string | undefined,
  ): void {
    if (userId !== undefined) {
      const userSockets = this.#local.addMember(session, channel, userId);
      this.#adapter.setLocalMember(session.app.id, channel, userId, userSockets, userInfoJson);
      session.presenceChannels++;
    }
    this.#local.join(session, channel);
    session.addChannel(channel, userId === undefined ? NO_USER : { userId });
  }

  /** Second half of a join, after subscription_succeeded went out: counts, webhooks, cache replay. */
  announceJoin(session: Session, channel: string, cache: boolean): void {
    // The acknowledgement may have found the socket over its buffer bound and closed it.
    if (session.closed) return;
    const app = session.app;
    const subscribers = this.#local.subscribers(app.id, channel);
    if (subscribers === 0) return;
    const before = this.#adapter.subscriptionCount(app.id, channel);
    this.#adapter.setLocalSubscriptions(app.id, channel, subscribers);
    if (before === 0) this.#host.webhook(app, { name: 'channel_occupied', channel });
    if (cache) {
      const cached = this.#host.cache.find(app.id, channel, this.#host.clock.now());
      if (cached) session.send(encodeChannelEvent(cached.event, channel, cached.data));
      else {
        session.send(encodeCacheMiss(channel));
        this.#host.webhook(app, { name: 'cache_miss', channel });
      }
    }
    this.#host.debug(app.id, () => ({ type: 'subscribed', socketId: session.socketId, channel }));
  }

  leave(session: Session, channel: string, subscription: { readonly userId?: string }): void {
    const app = session.app;
    session.removeChannel(channel);
    const left = this.#local.leave(session, channel, subscription.userId);
    if (!left) return;
    if (subscription.userId !== undefined) {
      this.#adapter.setLocalMember(app.id, channel, subscription.userId, left.userSockets, undefined);
      session.presenceChannels--;
    }
    this.#adapter.setLocalSubscriptions(app.id, channel, left.subscribers);
    if (this.#adapter.subscriptionCount(app.id, channel) === 0)
      this.#host.webhook(app, { name: 'channel_vacated', channel });
    this.#host.debug(app.id, () => ({ type: 'unsubscribed', socketId: session.socketId, channel }));
  }
}

/** The subscription record of every non-presence channel: nothing to remember, so one shared object. */
const NO_USER: Subscription = Object.freeze({});
