// The webhook subsystem of one process: the engine's sink (buffer → durable queue), the worker
// (leases, batches, sends, retries) and the sender (HTTP with the target guard).
import type { AppDirectory } from '../core/ports/app-directory.js';
import type { Clock } from '../core/ports/clock.js';
import type { Logger } from '../core/ports/logger.js';
import type { WebhookMetrics } from '../core/ports/metrics.js';
import type {
  WebhookEndpointRecord,
  WebhookOperations,
  WebhookStore,
  WebhookTestResult,
} from '../core/ports/webhook-store.js';
import { WebhookSender } from './sender.js';
import { StoreWebhookSink } from './webhook-sink.js';
import { WebhookWorker, type WorkerSettings } from './webhook-worker.js';

export interface WebhookSettings extends WorkerSettings {
  readonly timeoutMs: number;
  readonly holdMs: number;
  readonly allowPrivateTargets: boolean;
}

export interface WebhooksOptions {
  readonly store: WebhookStore;
  readonly directory: AppDirectory;
  readonly owner: string;
  readonly settings: WebhookSettings;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: WebhookMetrics;
}

export class Webhooks implements WebhookOperations {
  readonly sink: StoreWebhookSink;
  readonly worker: WebhookWorker;
  readonly #sender: WebhookSender;

  constructor(options: WebhooksOptions) {
    const { settings } = options;
    this.#sender = new WebhookSender({
      timeoutMs: settings.timeoutMs,
      allowPrivateTargets: settings.allowPrivateTargets,
    });
    this.worker = new WebhookWorker({
      store: options.store,
      directory: options.directory,
      sender: this.#sender,
      owner: options.owner,
      settings,
      clock: options.clock,
      logger: options.logger,
      metrics: options.metrics,
    });
    this.sink = new StoreWebhookSink({
      store: options.store,
      directory: options.directory,
      clock: options.clock,
      logger: options.logger,
      metrics: options.metrics,
      holdMs: settings.holdMs,
      onWritten: () => {
        this.worker.wake();
      },
    });
  }

  get retryWindowMs(): number {
    return this.worker.retryWindowMs;
  }

  refuseTarget(url: URL): string | undefined {
    return this.worker.refuseTarget(url);
  }

  sendTest(
    app: { readonly id: string; readonly key: string; readonly secrets: readonly string[] },
    endpoint: WebhookEndpointRecord,
  ): Promise<WebhookTestResult> {
    return this.worker.sendTest(app, endpoint);
  }

  wake(): void {
    this.worker.wake();
  }

  endpointsChanged(appId: string): Promise<void> {
    return this.sink.reload(appId);
  }

  async start(): Promise<void> {
    await this.sink.start();
    this.worker.start();
  }

  /** Writes buffered events, lets requests on their way finish, hands leases back. */
  async close(): Promise<void> {
    await this.sink.close();
    await this.worker.stop();
    this.#sender.close();
  }
}
