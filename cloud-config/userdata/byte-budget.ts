// One shared count of the bytes a decode may still read; gunzip and #include fetches draw on it, so
// user data cannot grow past its limit however it is layered.
export class ByteBudget {
  #left: number;

  constructor(readonly total: number) {
    this.#left = total;
  }

  get left(): number {
    return this.#left;
  }

  /** Draws `n` bytes; false (and nothing drawn) when fewer are left. */
  take(n: number): boolean {
    if (n > this.#left) return false;
    this.#left -= n;
    return true;
  }
}
