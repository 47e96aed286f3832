/**
 * What other modules report to `GET /health/detailed` and to /metrics without this module
 * depending on them. The payments module registers its providers' circuit breakers:
 *
 *   ctx.health.setProviderStates(() => registry.providers().map((p) => ({
 *     name: p.name, state: p.breaker.opened ? 'open' : p.breaker.halfOpen ? 'half_open' : 'closed',
 *   })));
 */
export type BreakerState = 'closed' | 'open' | 'half_open';

export interface ProviderState {
  name: string;
  state: BreakerState;
  /** Anything else worth showing an operator (failure counts, last error…). */
  details?: Record<string, unknown>;
}

export type ProviderStatesFn = () => ProviderState[] | Promise<ProviderState[]>;

export class HealthHooks {
  private providers: ProviderStatesFn = () => [];

  /** Replace the function that reports payment providers' breaker states (default: none). */
  setProviderStates(fn: ProviderStatesFn): void {
    this.providers = fn;
  }

  async providerStates(): Promise<ProviderState[]> {
    try {
      return await this.providers();
    } catch {
      return [];
    }
  }
}
