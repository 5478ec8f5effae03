/**
 * The products an account can hold. Adding a product is this one line (plus its
 * `<NAME>_POLAR_SECRET` webhook secret in config and .env.example).
 */
export const SERVICES = ['DROP', 'MAILS', 'VAULT', 'DB'] as const;
export type ServiceName = (typeof SERVICES)[number];

export function isServiceName(value: unknown): value is ServiceName {
  return typeof value === 'string' && (SERVICES as readonly string[]).includes(value);
}

/** "DROP, MAILS, VAULT, or DB": the original's wording, built from the list. */
export function serviceListText(): string {
  const names = [...SERVICES];
  if (names.length === 1) return names[0];
  return `${names.slice(0, -1).join(', ')}, or ${names[names.length - 1]}`;
}
