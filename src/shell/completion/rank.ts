import fuzzysort from 'fuzzysort'

/**
 * Candidates for a fragment, best first: exact and prefix matches (case-insensitive, in the order
 * given, which callers sort by relevance); only when there are none, fuzzy matches by score
 * (`srv` → `service`), so a typed prefix is never drowned by far-fetched subsequences.
 */
export function rankCandidates(fragment: string, candidates: readonly string[], limit = 200): string[] {
  const unique = [...new Set(candidates)]
  if (!fragment) return unique.slice(0, limit)
  const lower = fragment.toLowerCase()
  const exact: string[] = []
  const prefix: string[] = []
  const rest: string[] = []
  for (const c of unique) {
    const l = c.toLowerCase()
    if (l === lower) exact.push(c)
    else if (l.startsWith(lower)) prefix.push(c)
    else rest.push(c)
  }
  if (exact.length + prefix.length > 0) return [...exact, ...prefix].slice(0, limit)
  const fuzzy = fuzzysort
    .go(fragment, rest, { threshold: 0, limit: 0 })
    .filter((r) => r.score > 0)
    .sort((a, b) => b.score - a.score)
    .map((r) => r.target)
  return fuzzy.slice(0, limit)
}

/** The single best candidate, or undefined when nothing matches. */
export function bestMatch(fragment: string, candidates: readonly string[]): string | undefined {
  return rankCandidates(fragment, candidates, 1)[0]
}
