import { AppError, appError, errors } from '../../../platform/errors.js';

/**
 * Errors of the payment provider layer. Codes are stable API. `outage: true` in details marks
 * errors that say "this provider cannot serve right now": they count against its circuit
 * breaker and the registry fails over to the next provider. Everything else is a business
 * answer that another provider would not change.
 */
export const providerErrors = {
  /** Network error, timeout, 5xx, 429, or the provider's breaker is open. */
  unavailable: (provider: string, cause: string) =>
    appError('provider_unavailable', 503, `The payment provider ${provider} is unavailable right now; retry shortly.`, {
      provider,
      cause,
      outage: true,
    }, { headers: { 'retry-after': '5' } }),
  /** The provider refused our credentials or configuration (401/403): an outage for us, fail over. */
  misconfigured: (provider: string, cause: string) =>
    appError('provider_misconfigured', 503, `The payment provider ${provider} refused our credentials or configuration.`, {
      provider,
      cause,
      outage: true,
    }, { headers: { 'retry-after': '30' } }),
  /** A business refusal (payer not found, not enough funds, unsupported currency, card declined...). */
  rejected: (provider: string, reason: string, message?: string) =>
    appError('provider_rejected', 422, message ?? `The payment provider ${provider} refused the request: ${reason}.`, {
      provider,
      reason,
    }),
  /** The provider does not know this payment or refund reference. */
  refNotFound: (provider: string, providerRef: string) =>
    appError('provider_ref_not_found', 404, `The payment provider ${provider} has no transaction ${providerRef}.`, {
      provider,
      providerRef,
    }),
  /** No configured provider takes this method and currency. */
  methodUnavailable: (method: string, currency: string) =>
    appError('payment_method_unavailable', 422, `No payment provider is configured for ${method} payments in ${currency}.`, {
      method,
      currency,
    }),
  /** Every provider configured for the method and currency failed or has its breaker open. */
  allUnavailable: (method: string, currency: string, tried: { provider: string; code: string }[]) =>
    appError('provider_unavailable', 503, `No payment provider for ${method} in ${currency} is available right now; retry shortly.`, {
      method,
      currency,
      tried,
      outage: true,
    }, { headers: { 'retry-after': '5' } }),
  unknownProvider: (name: string) => errors.notFound('payment_provider', name),
  /** Webhook signature missing, malformed, forged or stale. Nothing may be applied. */
  invalidSignature: (provider: string, why: string) =>
    appError('invalid_signature', 401, `The ${provider} webhook signature is invalid: ${why}.`, { provider }),
  /** Webhook body cannot be parsed into an event. */
  invalidWebhook: (provider: string, why: string) =>
    appError('invalid_webhook', 400, `The ${provider} webhook body is not a valid event: ${why}.`, { provider }),
  /** The input cannot be sent to this provider (missing payer phone, bad amount...). */
  invalidInput: (field: string, message: string) => errors.invalidField(field, message),
};

/** True for errors that mean "this provider is down / unusable": breaker failure + failover. */
export function isProviderOutage(e: unknown): boolean {
  return e instanceof AppError && e.details.outage === true;
}
