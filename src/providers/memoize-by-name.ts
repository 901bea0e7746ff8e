/** `create` called once per name; later calls get the same instance (adapters' per-model objects). */
export function memoizeByName<T>(create: (name: string) => T): (name: string) => T {
  const made = new Map<string, T>();
  return (name) => {
    let value = made.get(name);
    if (value === undefined) {
      value = create(name);
      made.set(name, value);
    }
    return value;
  };
}
