/// Spelling suggestions for unknown keys and names.
enum Suggestions {
    /// Levenshtein distance between `a` and `b`, compared case-insensitively.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a.lowercased().unicodeScalars)
        let y = Array(b.lowercased().unicodeScalars)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var previous = Array(0...y.count)
        var current = Array(repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[y.count]
    }

    /// The candidate closest to `word`, if it is close enough to be a plausible typo.
    static func closest(to word: String, in candidates: [String]) -> String? {
        var best: (String, Int)?
        for candidate in candidates {
            let distance = editDistance(word, candidate)
            if distance < (best?.1 ?? Int.max) {
                best = (candidate, distance)
            }
        }
        guard let (candidate, distance) = best else { return nil }
        let allowed = max(2, min(word.count, candidate.count) / 3)
        return distance <= allowed ? candidate : nil
    }

    /// "did you mean 'x'? valid …: a, b, c" — the hint for a value that is not one of `candidates`.
    static func hint(for word: String, candidates: [String], noun: String) -> String {
        let list = candidates.joined(separator: ", ")
        if let suggestion = closest(to: word, in: candidates) {
            return "did you mean '\(suggestion)'? valid \(noun): \(list)"
        }
        return "valid \(noun): \(list)"
    }
}
