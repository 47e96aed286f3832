import type { Logger } from 'pino';
import type { Config } from '../../../config.js';
import { localSandboxUrl, sandboxEnabled } from '../sandbox/sandbox.config.js';
import { MomoProvider } from './momo.js';
import { StripeProvider } from './stripe.js';
import { ProviderRegistry } from './registry.js';
import type { PaymentMethod, PaymentProvider } from './provider.js';

export * from './provider.js';
export * from './providers.errors.js';
export * from './money.js';
export { MomoProvider, mapMomoStatus, type MomoOptions, type MomoCredentials } from './momo.js';
export { StripeProvider, mapEvent as mapStripeEvent, mapIntentStatus, type StripeOptions } from './stripe.js';
export { ProviderRegistry, type BreakerSettings, type BreakerStatus, type BreakerState, type InitiateWithFailoverResult } from './registry.js';

/** Credentials the built-in sandbox accepts (it takes any; these only fill the headers). */
const SANDBOX_CREDENTIALS = { apiUser: 'tikiti-sandbox', apiKey: 'tikiti-sandbox', subscriptionKey: 'tikiti-sandbox' };

const KNOWN = ['momo', 'stripe'] as const;

function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The momo provider from configuration, or undefined when it has nowhere to go. */
export function momoFromConfig(config: Config): MomoProvider | undefined {
  const common = {
    targetEnvironment: config.MOMO_TARGET_ENVIRONMENT,
    callbackUrl: config.MOMO_CALLBACK_URL,
    currencies: list(config.MOMO_CURRENCIES),
    timeoutMs: config.PAYMENT_PROVIDER_TIMEOUT_MS,
  };
  if (!config.MOMO_BASE_URL) {
    if (!sandboxEnabled(config)) return undefined;
    return new MomoProvider({ ...common, baseUrl: localSandboxUrl(config), collection: SANDBOX_CREDENTIALS, localSandbox: true });
  }
  const missing = (['MOMO_API_USER', 'MOMO_API_KEY', 'MOMO_SUBSCRIPTION_KEY'] as const).filter((k) => !config[k]);
  if (missing.length > 0) throw new Error(`MOMO_BASE_URL is set but ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not.`);
  const collection = { apiUser: config.MOMO_API_USER!, apiKey: config.MOMO_API_KEY!, subscriptionKey: config.MOMO_SUBSCRIPTION_KEY! };
  return new MomoProvider({
    ...common,
    baseUrl: config.MOMO_BASE_URL,
    collection,
    disbursement: {
      apiUser: config.MOMO_DISBURSEMENT_API_USER ?? collection.apiUser,
      apiKey: config.MOMO_DISBURSEMENT_API_KEY ?? collection.apiKey,
      subscriptionKey: config.MOMO_DISBURSEMENT_SUBSCRIPTION_KEY ?? collection.subscriptionKey,
    },
  });
}

export function stripeFromConfig(config: Config): StripeProvider | undefined {
  if (!config.STRIPE_SECRET_KEY) return undefined;
  return new StripeProvider({
    secretKey: config.STRIPE_SECRET_KEY,
    publishableKey: config.STRIPE_PUBLISHABLE_KEY,
    webhookSecret: config.STRIPE_WEBHOOK_SECRET,
    apiBase: config.STRIPE_API_BASE,
    timeoutMs: config.PAYMENT_PROVIDER_TIMEOUT_MS,
  });
}

/**
 * The registry of payment providers for this process, from configuration:
 *  - momo: MOMO_BASE_URL + credentials, or (default) the built-in sandbox of this server;
 *  - stripe: when STRIPE_SECRET_KEY is set;
 *  - order per method from PAYMENT_PROVIDERS_MOMO / PAYMENT_PROVIDERS_CARD; a listed provider
 *    that is not configured (stripe without a key) is left out; an unknown name fails boot.
 * `extra` adds providers built elsewhere (tests: a second momo account under another name).
 */
export function createPaymentProviders(config: Config, log?: Logger, extra: PaymentProvider[] = []): ProviderRegistry {
  const built = new Map<string, PaymentProvider>();
  const momo = momoFromConfig(config);
  if (momo) built.set(momo.name, momo);
  const stripe = stripeFromConfig(config);
  if (stripe) built.set(stripe.name, stripe);
  for (const p of extra) built.set(p.name, p);

  const order = {} as Record<PaymentMethod, string[]>;
  const env: Record<PaymentMethod, [string, string]> = {
    momo: ['PAYMENT_PROVIDERS_MOMO', config.PAYMENT_PROVIDERS_MOMO],
    card: ['PAYMENT_PROVIDERS_CARD', config.PAYMENT_PROVIDERS_CARD],
  };
  for (const [method, [variable, value]] of Object.entries(env) as [PaymentMethod, [string, string]][]) {
    const names = list(value);
    const unknown = names.filter((n) => !built.has(n) && !(KNOWN as readonly string[]).includes(n));
    if (unknown.length > 0) throw new Error(`${variable}: unknown payment provider ${unknown.join(', ')} (known: ${[...new Set([...KNOWN, ...built.keys()])].join(', ')}).`);
    order[method] = names.filter((n) => {
      const p = built.get(n);
      if (!p) log?.info({ provider: n, method }, 'payment provider listed but not configured; skipped');
      return p !== undefined && p.methods.includes(method);
    });
  }
  return new ProviderRegistry([...built.values()], order, {
    errorThresholdPercentage: config.PAYMENT_BREAKER_ERROR_PERCENT,
    volumeThreshold: config.PAYMENT_BREAKER_VOLUME,
    resetTimeout: config.PAYMENT_BREAKER_RESET_MS,
  }, log?.child({ module: 'payment-providers' }));
}
