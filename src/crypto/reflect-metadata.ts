// @peculiar/x509 resolves its algorithm providers through tsyringe, which refuses to load without the
// Reflect metadata API (a TypeScript decorator proposal that Node does not implement). The `reflect-metadata`
// package is not installed, so this installs the three functions tsyringe calls, and only where they are
// missing. It must be imported before @peculiar/x509 (crypto/certificate.ts does).
type Target = object;
type Metadata = Map<unknown, unknown>;

const reflect = Reflect as typeof Reflect & {
  defineMetadata?: (key: unknown, value: unknown, target: Target) => void;
  getOwnMetadata?: (key: unknown, target: Target) => unknown;
  getMetadata?: (key: unknown, target: Target) => unknown;
};

if (!reflect.getMetadata) {
  // Written only while decorators run, that is while @peculiar/x509 loads; read-only afterwards.
  const registry = new WeakMap<Target, Metadata>();
  const own = (key: unknown, target: Target) => registry.get(target)?.get(key);
  reflect.defineMetadata = (key, value, target) => {
    const metadata = registry.get(target) ?? new Map();
    metadata.set(key, value);
    registry.set(target, metadata);
  };
  reflect.getOwnMetadata = own;
  reflect.getMetadata = (key, target) => {
    for (let at: Target | null = target; at; at = Object.getPrototypeOf(at)) {
      const value = own(key, at);
      if (value !== undefined) return value;
    }
    return undefined;
  };
}
