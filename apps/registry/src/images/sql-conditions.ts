/** A WHERE clause built from fragments with positional `?` parameters (SQLite and MySQL alike). */
export class Conditions {
  private readonly parts: string[] = [];
  readonly params: unknown[] = [];

  and(fragment: string, ...params: unknown[]): this {
    this.parts.push(fragment);
    this.params.push(...params);
    return this;
  }

  get sql(): string {
    return this.parts.length === 0 ? '1 = 1' : this.parts.join(' AND ');
  }
}

export function placeholders(count: number): string {
  return new Array(count).fill('?').join(', ');
}
