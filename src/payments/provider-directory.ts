import type { PaymentProvider } from './port.js';

/**
 * Which payment API collects from which wallet. A payment is routed once, when it is created,
 * by the payer's operator (`PAYMENT_ROUTES=MTN:mtn-momo,MOOV:moov-money`), else to the default
 * (`PAYMENT_PROVIDER`); the payment keeps the provider's name, so later status questions and
 * callbacks go to the API that holds it even if the routes change meanwhile.
 */
export class PaymentProviderDirectory {
  private readonly byNameMap: ReadonlyMap<string, PaymentProvider>;

  constructor(
    providers: readonly PaymentProvider[],
    private readonly routes: Readonly<Record<string, string>> = {},
    private readonly fallback: string = providers[0]?.name ?? '',
  ) {
    this.byNameMap = new Map(providers.map((p) => [p.name, p]));
    for (const name of [fallback, ...Object.values(routes)]) {
      if (!this.byNameMap.has(name)) throw new Error(`invalid configuration: payment provider "${name}" is routed to but not configured`);
    }
  }

  static single(provider: PaymentProvider): PaymentProviderDirectory {
    return new PaymentProviderDirectory([provider]);
  }

  forOperator(operator: string): PaymentProvider {
    return this.byNameMap.get(this.routes[operator] ?? this.fallback)!;
  }

  byName(name: string): PaymentProvider | undefined {
    return this.byNameMap.get(name);
  }

  /** Every configured provider, once each. */
  all(): readonly PaymentProvider[] {
    return [...this.byNameMap.values()];
  }
}
