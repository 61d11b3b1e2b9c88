/**
 * A first-in first-out queue with O(1) `shift`: a statement may have tens of
 * thousands of calls queued (a bulk insert through one prepared statement),
 * where `Array#shift` would copy the rest of the array on every call.
 */

/** A FIFO queue. @internal */
export class Fifo<T> {
  #items: Array<T | undefined> = [];
  #head = 0;

  /** Items queued. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Adds an item at the end. */
  push(item: T): void {
    this.#items.push(item);
  }

  /** The first item, left in place. */
  peek(): T | undefined {
    return this.#items[this.#head];
  }

  /** Takes the first item out. */
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Takes every item out, in order. */
  clear(): T[] {
    const rest = this.#items.slice(this.#head) as T[];
    this.#items = [];
    this.#head = 0;
    return rest;
  }
}
