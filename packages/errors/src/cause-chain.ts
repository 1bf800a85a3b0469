/**
 * causeChain: the `cause` links below an error, each as a code (when it has one) and a message, for
 * printers that show where a failure came from without dumping stacks.
 */

/** One link of a cause chain. */
export interface CauseLink {
  /** The cause's stable code, when it has a string `code` (kvc errors, Node's system errors). */
  readonly code?: string;
  readonly message: string;
}

/** The causes of `err`, nearest first, at most `max` of them; stops at a cycle. */
export function causeChain(err: unknown, max = 5): CauseLink[] {
  const links: CauseLink[] = [];
  const seen = new Set<unknown>([err]);
  let current = (err as { cause?: unknown } | null | undefined)?.cause;
  while (current !== undefined && current !== null && links.length < max && !seen.has(current)) {
    seen.add(current);
    const e = current as { code?: unknown; message?: unknown; cause?: unknown };
    const message = current instanceof Error || typeof e.message === 'string' ? String(e.message) : String(current);
    links.push({ ...(typeof e.code === 'string' ? { code: e.code } : {}), message });
    current = typeof current === 'object' ? e.cause : undefined;
  }
  return links;
}
