/**
 * Names in code-unit order, kept sorted as they come and go, so that a page after a name is a
 * binary search and a slice instead of a sort of thousands of names per call.
 */
import type { PageRequest } from '../model.js';

export class SortedNames {
  private readonly names: string[] = [];

  add(name: string): void {
    const i = firstNotBefore(this.names, name);
    if (this.names[i] !== name) this.names.splice(i, 0, name);
  }

  delete(name: string): void {
    const i = firstNotBefore(this.names, name);
    if (this.names[i] === name) this.names.splice(i, 1);
  }

  /** Replaces every name at once: one sort instead of thousands of inserts. */
  reset(names: Iterable<string>): void {
    this.names.length = 0;
    for (const name of names) this.names.push(name);
    this.names.sort(compareNames);
  }

  /** The names after `after` (all when undefined), in order. */
  *after(after: string | undefined): Generator<string> {
    for (let i = after === undefined ? 0 : firstAfter(this.names, after); i < this.names.length; i++) yield this.names[i]!;
  }
}

/** The first `page.size + 1` names of `names` (in order already) that `accept` takes. */
export function pageNames(names: Iterable<string>, page: PageRequest, accept?: (name: string) => boolean): string[] {
  const out: string[] = [];
  for (const name of names) {
    if (accept && !accept(name)) continue;
    out.push(name);
    if (out.length > page.size) break;
  }
  return out;
}

/** A page of a small collection (disks, engines, rebuilds): sorting it per call costs little. */
export function pageItems<T>(items: Iterable<T>, nameOf: (item: T) => string, page: PageRequest): T[] {
  const after = page.after;
  const sorted = [...items].filter((item) => after === undefined || nameOf(item) > after).sort((a, b) => compareNames(nameOf(a), nameOf(b)));
  return sorted.slice(0, page.size + 1);
}

export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function firstNotBefore(sorted: readonly string[], name: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < name) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function firstAfter(sorted: readonly string[], name: string): number {
  const i = firstNotBefore(sorted, name);
  return sorted[i] === name ? i + 1 : i;
}
