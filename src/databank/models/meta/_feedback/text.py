"""Text normalisation and keyword matching shared by the sentiment lexicons and the topic rules.

Text and keywords are compared case-folded and without accents (`Enttäuscht` = `enttauscht`).
A keyword is one word or several; a `*` at its end matches every word that starts with it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
_WORD = re.compile(r"[^\W\d_]+")
_CLAUSE = re.compile(r"[.,;:!?\n]+")
_COMBINING = re.compile(r"[\u0300-\u036f]")  # the combining diacritical marks NFKD splits off
_CACHE_LIMIT = 200_000  # distinct words remembered per matcher


def normalise(text: str) -> str:
    """Case-folded, accents removed (`ß` becomes `ss`)."""
    folded = text.casefold()
    return folded if folded.isascii() else _COMBINING.sub("", unicodedata.normalize("NFKD", folded))


def words(text: str) -> list[str]:
    """The words of already normalised text."""
    return _WORD.findall(text)


def clauses(text: str) -> list[list[str]]:
    """The words of already normalised text, split at punctuation (negation stops there)."""
    return [found for part in _CLAUSE.split(text) if (found := _WORD.findall(part))]


@dataclass
class Matcher(Generic[T]):
    """Finds which keywords occur in a list of words; each keyword carries a value of type T.

    Indexed for speed: one-word keywords by word, stems by their length (a word is looked up by
    each of its prefixes of those lengths), phrases by their first word.
    """

    exact: dict[str, list[T]] = field(default_factory=dict)
    stems: dict[int, dict[str, list[T]]] = field(default_factory=dict)
    phrases: dict[str, list[tuple[tuple[str, ...], bool, T]]] = field(default_factory=dict)
    _seen: dict[str, tuple[T, ...]] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, keywords: Iterable[tuple[str, T]]) -> Matcher[T]:
        """A matcher for (keyword, value) pairs."""
        matcher: Matcher[T] = cls()
        for keyword, value in keywords:
            stem = keyword.endswith("*")
            parts = tuple(words(normalise(keyword.rstrip("*"))))
            if not parts:
                continue
            if len(parts) > 1:
                matcher.phrases.setdefault(parts[0], []).append((parts, stem, value))
            elif stem:
                matcher.stems.setdefault(len(parts[0]), {}).setdefault(parts[0], []).append(value)
            else:
                matcher.exact.setdefault(parts[0], []).append(value)
        for listed in matcher.phrases.values():
            listed.sort(key=lambda p: -len(p[0]))  # longest phrase first
        return matcher

    def keywords(self) -> list[tuple[str, T]]:
        """The (keyword, value) pairs the matcher holds (to merge matchers)."""
        pairs = [(word, v) for word, values in self.exact.items() for v in values]
        pairs += [(s + "*", v) for by in self.stems.values() for s, vs in by.items() for v in vs]
        pairs += [
            (" ".join(parts) + ("*" if stem else ""), v)
            for listed in self.phrases.values()
            for parts, stem, v in listed
        ]
        return pairs

    def word_values(self, word: str) -> tuple[T, ...]:
        """Values of the one-word keywords matching `word` (remembered: words repeat a lot)."""
        found = self._seen.get(word)
        if found is None:
            listed = list(self.exact.get(word, ()))
            for size, by_stem in self.stems.items():
                if size <= len(word):
                    listed += by_stem.get(word[:size], ())
            if len(self._seen) >= _CACHE_LIMIT:
                self._seen.clear()
            found = self._seen[word] = tuple(listed)
        return found

    def phrase_at(self, tokens: list[str], i: int) -> tuple[int, T] | None:
        """The longest phrase starting at tokens[i]: (its length, its value), or None."""
        for parts, stem, value in self.phrases.get(tokens[i], ()):
            n = len(parts)
            if i + n > len(tokens) or tokens[i + 1 : i + n - 1] != list(parts[1:-1]):
                continue
            last = tokens[i + n - 1]
            if last.startswith(parts[-1]) if stem else last == parts[-1]:
                return n, value
        return None

    def find(self, tokens: list[str]) -> list[T]:
        """Every value whose keyword occurs in `tokens` (phrases and single words)."""
        found: list[T] = []
        i = 0
        while i < len(tokens):
            phrase = self.phrase_at(tokens, i) if tokens[i] in self.phrases else None
            if phrase is not None:
                found.append(phrase[1])
                i += phrase[0]
                continue
            found += self.word_values(tokens[i])
            i += 1
        return found


def build_matchers(rules: Mapping[str, Mapping[str, Iterable[str]]]) -> dict[str, Matcher[str]]:
    """{language: matcher} from {name: {language: keywords}} (the value found is the name)."""
    by_language: dict[str, list[tuple[str, str]]] = {}
    for name, per_language in rules.items():
        for language, keywords in per_language.items():
            by_language.setdefault(language, []).extend((k, name) for k in keywords)
    return {language: Matcher.build(pairs) for language, pairs in by_language.items()}
