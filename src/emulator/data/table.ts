/**
 * @module The read interface every listable resource exposes, and a table of plain objects.
 *
 * List endpoints walk a table by *position* in its stable list order; `start` (the id of the last
 * entity of the previous page, docs/ramp-behaviour.md#pagination) is turned into a position through an
 * id → position map, so a page costs O(page) rather than O(table).
 */

export interface ListableTable {
  readonly length: number;
  idAt(position: number): string;
  positionOf(id: string): number | undefined;
  /** Builds the wire JSON object of the record at `position`. */
  materialise(position: number): Record<string, unknown>;
}

/**
 * Small resources (users, cards, bills, …) kept as objects. `compare` fixes the list order; without
 * it insertion order is the list order.
 */
export class ObjectTable<T extends { id: string }> implements ListableTable {
  #items: T[] = [];
  readonly #positionById = new Map<string, number>();
  readonly #compare: ((a: T, b: T) => number) | undefined;
  readonly #view: ((item: T) => Record<string, unknown>) | undefined;

  /** `view` builds the wire object when it holds more than the stored item (computed balances). */
  constructor(items: T[], compare?: (a: T, b: T) => number, view?: (item: T) => Record<string, unknown>) {
    this.#compare = compare;
    this.#view = view;
    this.#items = items;
    this.#reindex();
  }

  #reindex(): void {
    if (this.#compare) this.#items.sort(this.#compare);
    this.#positionById.clear();
    this.#items.forEach((item, position) => this.#positionById.set(item.id, position));
  }

  get length(): number {
    return this.#items.length;
  }

  idAt(position: number): string {
    return this.#items[position]!.id;
  }

  positionOf(id: string): number | undefined {
    return this.#positionById.get(id);
  }

  at(position: number): T {
    return this.#items[position]!;
  }

  get(id: string): T | undefined {
    const position = this.#positionById.get(id);
    return position === undefined ? undefined : this.#items[position];
  }

  materialise(position: number): Record<string, unknown> {
    const item = this.#items[position]!;
    return this.#view ? this.#view(item) : (item as unknown as Record<string, unknown>);
  }

  all(): readonly T[] {
    return this.#items;
  }

  add(items: readonly T[]): void {
    // A loop rather than push(...items): spreading 100k+ arguments overflows the call stack.
    for (const item of items) this.#items.push(item);
    this.#reindex();
  }

  /** Removes the items with these ids (Ramp deleted them); returns the ids that were there. */
  remove(ids: ReadonlySet<string>): string[] {
    const removed = this.#items.filter((item) => ids.has(item.id)).map((item) => item.id);
    if (removed.length > 0) {
      this.#items = this.#items.filter((item) => !ids.has(item.id));
      this.#reindex();
    }
    return removed;
  }

  /** Re-establishes list order after fields used by `compare` changed. */
  resort(): void {
    this.#reindex();
  }
}

/** Newest first, then id, so pages are stable when timestamps tie. */
export function byTimeDescending<T extends { id: string }>(timeOf: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => {
    const ta = timeOf(a);
    const tb = timeOf(b);
    if (ta !== tb) return ta < tb ? 1 : -1;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  };
}
