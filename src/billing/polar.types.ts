/**
 * The parts of Polar's API (https://api.polar.sh/v1, snake_case JSON) that NullPass reads.
 * Fields we do not use are left out; what Polar sends is checked before use, never trusted.
 */

export type PolarRecurringInterval = 'day' | 'week' | 'month' | 'year';

/** GET/DELETE /v1/subscriptions/{id}, and `data` of the subscription.* webhooks. */
export interface PolarSubscription {
  id: string;
  status: string;
  /** In the currency's smallest unit (cents), as Polar reports it. */
  amount: number | null;
  currency: string | null;
  recurring_interval: PolarRecurringInterval | string | null;
  current_period_start: string;
  current_period_end: string | null;
  cancel_at_period_end: boolean;
  customer_id: string;
  product_id: string;
  metadata: Record<string, unknown>;
  product?: { id: string; name: string } | null;
}

/** POST /v1/checkouts/ (request). */
export interface PolarCheckoutCreate {
  products: string[];
  metadata: Record<string, string>;
  /** Copied by Polar onto the customer it creates, so customer.created names our user. */
  customer_metadata?: Record<string, string>;
  customer_email?: string;
}

/** POST /v1/checkouts/ (answer). */
export interface PolarCheckout {
  id: string;
  url: string;
}

/** POST /v1/customer-sessions/ (answer). */
export interface PolarCustomerSession {
  id: string;
  customer_portal_url: string;
}

/** Polar's error body, e.g. {"error":"AlreadyCanceledSubscription","detail":"…"}. */
export interface PolarErrorBody {
  error?: string;
  detail?: unknown;
}
