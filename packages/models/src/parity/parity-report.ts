/**
 * Parity reports: the result of running one reference case (a folder with case.json) against
 * our implementation. Every compared tensor or value is one check with its errors and the
 * tolerance it was held to, the way llm.c's test_gpt2 reports: the failing tensor is named.
 */

/** How a check's tolerance is applied. */
export type ToleranceMode =
  /** max |a - e| <= tol */
  | 'abs'
  /** max |a - e| / max(|e|, tiny) <= tol, elementwise */
  | 'rel'
  /** ||a - e||_2 / ||e||_2 <= tol (gradients: relative to their norm) */
  | 'rel-norm'
  /** every element equal (ids) */
  | 'exact';

export interface ParityCheck {
  readonly name: string;
  readonly mode: ToleranceMode;
  readonly tolerance: number;
  readonly maxAbs: number;
  readonly maxRel: number;
  /** The number the tolerance was compared with (depends on mode). */
  readonly error: number;
  readonly pass: boolean;
  readonly detail?: string;
}

export interface ParityReport {
  readonly kind: string;
  readonly caseDir: string;
  readonly backend?: string;
  readonly checks: readonly ParityCheck[];
  readonly pass: boolean;
}

export function makeReport(
  kind: string,
  caseDir: string,
  checks: readonly ParityCheck[],
  backend?: string,
): ParityReport {
  return {
    kind,
    caseDir,
    ...(backend ? { backend } : {}),
    checks,
    pass: checks.length > 0 && checks.every((c) => c.pass),
  };
}

/** Human-readable table of a report, one line per check, failures marked. */
export function formatParityReport(r: ParityReport): string {
  const lines = [`parity ${r.kind} (${r.caseDir})${r.backend ? ` on ${r.backend}` : ''}`];
  const w = Math.min(60, Math.max(...r.checks.map((c) => c.name.length), 4));
  for (const c of r.checks) {
    const e = (x: number) => (Number.isFinite(x) ? x.toExponential(2) : String(x));
    lines.push(
      `  ${c.pass ? 'ok  ' : 'FAIL'} ${c.name.padEnd(w)}  max_abs ${e(c.maxAbs)}  max_rel ${e(c.maxRel)}  ${c.mode} ${e(c.error)} <= ${e(c.tolerance)}${c.detail ? `  (${c.detail})` : ''}`,
    );
  }
  const failed = r.checks.filter((c) => !c.pass).length;
  lines.push(r.pass ? `all ${r.checks.length} checks passed` : `${failed} of ${r.checks.length} checks FAILED`);
  return lines.join('\n');
}
