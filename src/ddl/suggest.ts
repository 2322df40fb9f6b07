/** The candidate closest to `word`, if any is close enough to be a plausible typo. */
export function closestMatch(word: string, candidates: Iterable<string>): string | undefined {
  const squashed = squash(word)
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of candidates) {
    if (squash(candidate) === squashed) return candidate
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase())
    const limit = Math.max(1, Math.floor(Math.max(word.length, candidate.length) / 3))
    const prefix = word.length >= 3 && candidate.startsWith(word)
    if ((distance <= limit || prefix) && distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return best
}

/** `did you mean "x"?` or '' — for appending to a message. */
export function didYouMean(word: string, candidates: Iterable<string>, quote = '"'): string {
  const match = closestMatch(word, candidates)
  return match === undefined ? '' : `; did you mean ${quote}${match}${quote}?`
}

function squash(s: string): string {
  return s.toLowerCase().replace(/[-_]/g, '')
}

/** Optimal string alignment distance: Levenshtein plus adjacent transpositions ("vaule" → "value" is 1). */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i])
  for (let j = 1; j <= b.length; j++) (rows[0] as number[])[j] = j
  const at = (i: number, j: number): number => rows[i]?.[j] ?? Infinity
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] as number[]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1)
      row[j] = best
    }
  }
  return at(a.length, b.length)
}
