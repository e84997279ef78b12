// Turns the rules engine's load results (falco -V json shape:
// {name, errors:[{code, message, context:{locations:[{item_type, item_name}]}}]})
// into the one-line strings a ruleset_result carries and logs show.
// Structural types only, so it does not depend on src/rules.

interface LoadMessageLike {
  code?: string;
  message?: string;
  context?: { locations?: { item_type?: string; item_name?: string }[] };
}
interface FileResultLike {
  name?: string;
  errors?: unknown[];
}

export function describeLoadErrors(results: FileResultLike[]): string[] {
  const out: string[] = [];
  for (const r of results) {
    for (const e of r.errors ?? []) {
      if (typeof e === 'string') {
        out.push(`${r.name ?? '?'}: ${e}`);
        continue;
      }
      const m = e as LoadMessageLike;
      const loc = m.context?.locations?.find((l) => l.item_name);
      const where = loc ? ` (${loc.item_type ?? 'item'} ${loc.item_name})` : '';
      out.push(`${r.name ?? '?'}: ${m.message ?? JSON.stringify(e)}${where}${m.code ? ` [${m.code}]` : ''}`);
    }
  }
  return out;
}
