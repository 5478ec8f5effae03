import { makeCounterProvider, makeGaugeProvider, makeHistogramProvider } from '@willsoto/nestjs-prometheus';

/** Metric names, in one place; inject with @InjectMetric(METRIC.x). */
export const METRIC = {
  requests: 'nullpass_http_requests_total',
  duration: 'nullpass_http_request_duration_seconds',
  logins: 'nullpass_logins_total',
  rateLimited: 'nullpass_rate_limit_rejections_total',
  outboxBacklog: 'nullpass_outbox_backlog',
  outboxFailures: 'nullpass_outbox_delivery_failures_total',
  outboxDead: 'nullpass_outbox_dead_total',
} as const;

export const METRIC_PROVIDERS = [
  makeCounterProvider({ name: METRIC.requests, help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'] }),
  makeHistogramProvider({
    name: METRIC.duration,
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  }),
  makeCounterProvider({ name: METRIC.logins, help: 'Login attempts by outcome', labelNames: ['outcome'] }),
  makeCounterProvider({ name: METRIC.rateLimited, help: 'Requests refused by a rate limit', labelNames: ['limit'] }),
  makeGaugeProvider({ name: METRIC.outboxBacklog, help: 'Pending Polar cancellations in the outbox' }),
  makeCounterProvider({ name: METRIC.outboxFailures, help: 'Failed Polar cancellation deliveries (will be retried)' }),
  makeCounterProvider({ name: METRIC.outboxDead, help: 'Polar cancellations given up on (need an operator)' }),
];

export type LoginOutcome = 'success' | 'pending_2fa' | 'invalid_credentials' | 'invalid_2fa' | 'rate_limited' | 'unavailable';
