// What every management service shares.
import type { Clock } from '../core/ports/clock.js';
import type { Logger } from '../core/ports/logger.js';
import type { AuditLog } from './audit.js';
import type { PlanTable } from './plans.js';
import type { Store } from './store.js';
import type { StoreAppDirectory } from './store-app-directory.js';

export interface ManagementContext {
  readonly store: Store;
  readonly plans: PlanTable;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly audit: AuditLog;
  readonly directory: StoreAppDirectory;
}
