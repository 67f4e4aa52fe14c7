/** @module What the webhook and event routes need, assembled once per process by `src/events/feature.ts`. */
import type { AppContext } from '../../../app-context.ts';
import type { WebhookEndpointStore } from '../../../events/webhook-endpoint-store.ts';

export interface WebhookServices {
  readonly ctx: AppContext;
  readonly store: WebhookEndpointStore;
}
