/**
 * Punkt model parameters (nltk `PunktParameters`) and a reader for nltk_data's `punkt_tab/<lang>/`
 * folders. nltk's English model is data we do not ship: without it the tokenizer runs with empty
 * parameters, which changes decisions only around Latin-script abbreviations ("Dr.", "U.S."),
 * initials and ordinals followed by Latin words. Hangul never appears in the English model, so
 * Korean text splits identically either way. Load the real files for exact parity on English.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Orthographic context flags (nltk `_ORTHO_*`). */
export const ORTHO_BEG_UC = 1 << 1;
export const ORTHO_MID_UC = 1 << 2;
export const ORTHO_UNK_UC = 1 << 3;
export const ORTHO_BEG_LC = 1 << 4;
export const ORTHO_MID_LC = 1 << 5;
export const ORTHO_UNK_LC = 1 << 6;
export const ORTHO_UC = ORTHO_BEG_UC | ORTHO_MID_UC | ORTHO_UNK_UC;
export const ORTHO_LC = ORTHO_BEG_LC | ORTHO_MID_LC | ORTHO_UNK_LC;

/** What a trained Punkt model knows: abbreviations, collocations, sentence starters, casing contexts. */
export interface PunktParameters {
  /** Lower-cased abbreviation types without their final period ("dr", "u.s"). */
  readonly abbrevTypes: ReadonlySet<string>;
  /** Collocations `${type1}\t${type2}` where type1 ends in a period in text. */
  readonly collocations: ReadonlySet<string>;
  /** Frequent sentence starters (lower-cased types). */
  readonly sentStarters: ReadonlySet<string>;
  /** Orthographic context bits per type; missing = 0. */
  readonly orthoContext: ReadonlyMap<string, number>;
}

/** Parameters of an untrained Punkt model (what `PunktSentenceTokenizer()` starts with). */
export const EMPTY_PUNKT_PARAMETERS: PunktParameters = {
  abbrevTypes: new Set(),
  collocations: new Set(),
  sentStarters: new Set(),
  orthoContext: new Map(),
};

// nltk's tabdata `rm_nl`: strip one trailing newline from each line.
const lines = (text: string): string[] => {
  const out = text.split('\n');
  if (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
};

/**
 * Read a punkt_tab language folder (`abbrev_types.txt`, `collocations.tab`, `sent_starters.txt`,
 * `ortho_context.tab`), e.g. `~/nltk_data/tokenizers/punkt_tab/english`.
 */
export async function loadPunktParameters(dir: string): Promise<PunktParameters> {
  const read = (name: string) => readFile(join(dir, name), 'utf8');
  const [abbrev, colloc, starters, ortho] = await Promise.all([
    read('abbrev_types.txt'),
    read('collocations.tab'),
    read('sent_starters.txt'),
    read('ortho_context.tab'),
  ]);
  const orthoContext = new Map<string, number>();
  for (const line of lines(ortho)) {
    const [typ, flag] = line.split('\t');
    if (typ !== undefined && flag !== undefined) orthoContext.set(typ, Number.parseInt(flag, 10));
  }
  return {
    abbrevTypes: new Set(lines(abbrev)),
    collocations: new Set(lines(colloc)),
    sentStarters: new Set(lines(starters)),
    orthoContext,
  };
}
