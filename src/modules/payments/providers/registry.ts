import CircuitBreaker from 'opossum';
import type { Logger } from 'pino';
import { AppError } from '../../../platform/errors.js';
import { isProviderOutage, providerErrors } from './providers.errors.js';
import {
  supports,
  type InitiateInput,
  type InitiateResult,
  type PaymentMethod,
  type PaymentProvider,
  type RefundInput,
  type RefundResult,
  type StatusResult,
  type WebhookEvent,
  type WebhookInput,
} from './provider.js';

export interface BreakerSettings {
  /** Open when more than this share of calls in the rolling window are outages. */
  errorThresholdPercentage: number;
  /** Calls in the window before the breaker may open at all. */
  volumeThreshold: number;
  /** Milliseconds an open breaker waits before letting one trial call through (half-open). */
  resetTimeout: number;
  /** Length of the rolling window in milliseconds (default 10 s). */
  rollingCountTimeout?: number;
}

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerStatus {
  provider: string;
  methods: readonly PaymentMethod[];
  state: BreakerState;
  stats: { fires: number; successes: number; failures: number; rejects: number; timeouts: number };
}

export interface InitiateWithFailoverResult extends InitiateResult {
  /** Name of the provider that took the payment: store it with the payment. */
  provider: string;
  /** Providers skipped before it, and why (breaker open, outage). */
  skipped: { provider: string; code: string }[];
}

type Call = () => Promise<unknown>;

/**
 * The configured providers, per method in order of preference, each behind its own opossum
 * circuit breaker. Only outages (provider_unavailable / provider_misconfigured: network errors,
 * timeouts, 5xx, bad credentials) count as breaker failures and trigger failover; a business
 * answer (payer not found, card declined) passes straight to the caller and counts as a success
 * for the breaker — the provider is up and answered.
 *
 * New payments fail over (initiateWithFailover); everything about an existing payment goes to the
 * provider that took it (getStatus, refund, getRefundStatus by provider name), still through its
 * breaker so a dead provider answers fast.
 */
export class ProviderRegistry {
  private readonly providers = new Map<string, PaymentProvider>();
  private readonly breakers = new Map<string, CircuitBreaker<[Call], unknown>>();

  constructor(
    providers: PaymentProvider[],
    private readonly order: Readonly<Record<PaymentMethod, readonly string[]>>,
    breaker: BreakerSettings,
    private readonly log?: Logger,
  ) {
    for (const p of providers) {
      if (this.providers.has(p.name)) throw new Error(`Two payment providers are named ${p.name}.`);
      this.providers.set(p.name, p);
      const b = new CircuitBreaker<[Call], unknown>((fn: Call) => fn(), {
        name: p.name,
        // Adapters time out each call themselves (AbortSignal / SDK timeout).
        timeout: false,
        errorThresholdPercentage: breaker.errorThresholdPercentage,
        volumeThreshold: breaker.volumeThreshold,
        resetTimeout: breaker.resetTimeout,
        rollingCountTimeout: breaker.rollingCountTimeout ?? 10_000,
        // Business answers are not outages: they must not open the breaker.
        errorFilter: (err: unknown) => !isProviderOutage(err),
      });
      b.on('open', () => this.log?.warn({ provider: p.name }, 'payment provider circuit opened'));
      b.on('halfOpen', () => this.log?.info({ provider: p.name }, 'payment provider circuit half-open'));
      b.on('close', () => this.log?.info({ provider: p.name }, 'payment provider circuit closed'));
      this.breakers.set(p.name, b);
    }
    for (const [method, names] of Object.entries(order)) {
      for (const n of names) {
        if (!this.providers.has(n)) throw new Error(`Payment provider ${n} is listed for ${method} but not configured.`);
      }
    }
  }

  has(name: string): boolean {
    return this.providers.has(name);
  }

  /** The provider itself (no breaker): for verifyWebhook and inspection. 404 for unknown names. */
  get(name: string): PaymentProvider {
    const p = this.providers.get(name);
    if (!p) throw providerErrors.unknownProvider(name);
    return p;
  }

  all(): PaymentProvider[] {
    return [...this.providers.values()];
  }

  /** Providers that take this method and currency, in configured order. */
  candidates(method: PaymentMethod, currency: string): PaymentProvider[] {
    return (this.order[method] ?? []).map((n) => this.providers.get(n)!).filter((p) => supports(p, method, currency));
  }

  /** Is any provider configured for this method and currency (regardless of breakers)? */
  accepts(method: PaymentMethod, currency: string): boolean {
    return this.candidates(method, currency).length > 0;
  }

  /**
   * Starts a payment with the first provider for the method and currency that is up: skips
   * providers whose breaker is open and those that fail with an outage; a business refusal is
   * thrown at once (no failover). Idempotent per provider by paymentId, so retrying the whole
   * call after a timeout is safe.
   */
  async initiateWithFailover(method: PaymentMethod, currency: string, input: InitiateInput): Promise<InitiateWithFailoverResult> {
    const candidates = this.candidates(method, currency);
    if (candidates.length === 0) throw providerErrors.methodUnavailable(method, currency);
    const skipped: { provider: string; code: string }[] = [];
    for (const p of candidates) {
      const breaker = this.breakers.get(p.name)!;
      if (breaker.opened) {
        skipped.push({ provider: p.name, code: 'circuit_open' });
        continue;
      }
      try {
        const result = await this.call(p.name, (provider) => provider.initiate(input));
        if (skipped.length > 0) this.log?.warn({ provider: p.name, skipped, paymentId: input.paymentId }, 'payment failed over');
        return { ...result, provider: p.name, skipped };
      } catch (e) {
        if (!isProviderOutage(e)) throw e;
        skipped.push({ provider: p.name, code: e instanceof AppError ? e.code : 'provider_unavailable' });
        this.log?.warn({ provider: p.name, err: (e as Error).message, paymentId: input.paymentId }, 'payment provider unavailable; trying the next');
      }
    }
    throw providerErrors.allUnavailable(method, currency, skipped);
  }

  getStatus(provider: string, providerRef: string): Promise<StatusResult> {
    return this.call(provider, (p) => p.getStatus(providerRef));
  }

  refund(provider: string, input: RefundInput): Promise<RefundResult> {
    return this.call(provider, (p) => p.refund(input));
  }

  getRefundStatus(provider: string, refundProviderRef: string): Promise<RefundResult & { raw: unknown }> {
    return this.call(provider, (p) => p.getRefundStatus(refundProviderRef));
  }

  /** Verifies and parses a webhook for /webhooks/{provider}; unknown provider → 404. No breaker: it is local work. */
  verifyWebhook(provider: string, input: WebhookInput): WebhookEvent {
    return this.get(provider).verifyWebhook(input);
  }

  /** Runs one call on a named provider through its breaker; an open breaker answers provider_unavailable at once. */
  async call<T>(provider: string, fn: (p: PaymentProvider) => Promise<T>): Promise<T> {
    const p = this.get(provider);
    const breaker = this.breakers.get(provider)!;
    try {
      return (await breaker.fire(() => fn(p))) as T;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'EOPENBREAKER') throw providerErrors.unavailable(provider, 'circuit open');
      if (code === 'ESHUTDOWN') throw providerErrors.unavailable(provider, 'shut down');
      throw e;
    }
  }

  /** For the admin health endpoint. */
  breakerStates(): BreakerStatus[] {
    return [...this.breakers.entries()].map(([name, b]) => {
      const s = b.stats;
      return {
        provider: name,
        methods: this.providers.get(name)!.methods,
        state: b.opened ? 'open' : b.halfOpen ? 'half_open' : 'closed',
        stats: { fires: s.fires, successes: s.successes, failures: s.failures, rejects: s.rejects, timeouts: s.timeouts },
      };
    });
  }

  /** Stops breaker timers (they are unref'd, so this is tidiness, not a requirement). */
  shutdown() {
    for (const b of this.breakers.values()) b.shutdown();
  }
}
