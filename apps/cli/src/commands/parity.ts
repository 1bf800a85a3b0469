/**
 * `kvc parity <case-dir> [--backend B] [--json]`: runs one Python reference case (the kind in
 * its case.json) through the same code the tests use and prints every compared tensor with its
 * max absolute and relative error and its tolerance. Exit 1 if any check fails. Users export
 * cases from their own checkpoints with test/fixtures/make_reference.py and check them here.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { ActionRunner, CommandModule } from '../command.js';
import { CliError } from '../cli-error.js';
import type { ParityReport } from '@kvc/models/parity';
import { PRECISION_KINDS, parityRunners } from '../parity-runners.js';

interface ParityOptions {
  backend?: string;
  precision?: string;
  json?: boolean;
}

export function readCaseKind(caseDir: string): string {
  const file = join(resolve(caseDir), 'case.json');
  if (!existsSync(file))
    throw new CliError(
      'E_CASE_NOT_FOUND',
      'no case.json in the case folder',
      { dir: resolve(caseDir) },
      'a reference case is a folder with case.json and reference files (see test/fixtures/README.md)',
    );
  let kind: unknown;
  try {
    kind = (JSON.parse(readFileSync(file, 'utf8')) as { kind?: unknown }).kind;
  } catch (err) {
    throw new CliError('E_CASE_INVALID', `case.json is not valid JSON: ${(err as Error).message}`, { file });
  }
  if (typeof kind !== 'string') throw new CliError('E_CASE_INVALID', 'case.json has no "kind"', { file });
  return kind;
}

export function formatReport(r: ParityReport): string {
  const e = (x: number) => (Number.isFinite(x) ? x.toExponential(2) : String(x));
  const w = Math.min(64, Math.max(4, ...r.checks.map((c) => c.name.length)));
  const lines = [`${r.kind}  ${r.caseDir}${r.backend ? `  (backend ${r.backend})` : ''}`];
  lines.push(`  ${'    '} ${'tensor'.padEnd(w)}  ${'max_abs'.padStart(9)}  ${'max_rel'.padStart(9)}  tolerance`);
  for (const c of r.checks) {
    const tol =
      c.mode === 'exact' ? 'exact' : `${c.mode} ${e(c.tolerance)}${c.mode !== 'abs' ? ` (err ${e(c.error)})` : ''}`;
    lines.push(
      `  ${c.pass ? 'ok  ' : 'FAIL'} ${c.name.padEnd(w)}  ${e(c.maxAbs).padStart(9)}  ${e(c.maxRel).padStart(9)}  ${tol}${c.detail && !c.pass ? `  ${c.detail}` : ''}`,
    );
  }
  const failed = r.checks.filter((c) => !c.pass);
  lines.push(
    r.pass
      ? `PASS: all ${r.checks.length} checks within tolerance`
      : `FAIL: ${failed.length} of ${r.checks.length} checks out of tolerance: ${failed
          .map((c) => c.name)
          .slice(0, 10)
          .join(', ')}`,
  );
  return lines.join('\n');
}

export const parityCommand: CommandModule = {
  register(program: Command, runner: ActionRunner): void {
    program
      .command('parity')
      .description('compare kvc with a Python reference case (every tensor, max abs/rel error, tolerance)')
      .argument('<case-dir>', 'a reference case folder (with case.json)')
      .option('--backend <name>', 'tensor backend: auto|webgpu|tensorflow|wasm|cpu', 'cpu')
      .option('--precision <p>', 'f32 | f16 (f16 frozen weights on webgpu; model cases and train-trajectory)', 'f32')
      .option('--json', 'print the report as one JSON line')
      .action(
        runner<ParityOptions>('parity', async (out, opts, args) => {
          const caseDir = resolve(args[0]!);
          const kind = readCaseKind(caseDir);
          const load = parityRunners[kind];
          if (!load) {
            throw new CliError('E_PARITY_KIND', `no parity runner for kind "${kind}"`, {
              dir: caseDir,
              known: Object.keys(parityRunners).join(', '),
            });
          }
          const precision = opts.precision ?? 'f32';
          if (precision !== 'f32' && precision !== 'f16') {
            throw new CliError('E_BAD_ARGUMENT', `unknown precision ${precision}`, { precision }, 'use f32 or f16');
          }
          if (precision === 'f16' && !(PRECISION_KINDS as readonly string[]).includes(kind)) {
            const hint = `f16 applies to ${PRECISION_KINDS.join(', ')}`;
            throw new CliError('E_BAD_ARGUMENT', `case kind ${kind} has no f16 mode`, { kind, precision }, hint);
          }
          const run = await load();
          out.info(`running ${kind} parity on ${caseDir}`);
          const report = await run(caseDir, { ...(opts.backend ? { backend: opts.backend } : {}), precision });
          out.result({ type: 'parity', ...report }, formatReport(report));
          return report.pass ? 0 : 1;
        }),
      );
  },
};
