"""Near-duplicate texts at scale: copied task titles and copied report paragraphs.

Similarity is the Jaccard index of the sets of word pairs (bigrams) of the folded text (`text.fold`: lower
case, no accents, no punctuation); a one-word text is the set of that word. Two texts are near duplicates when
that index reaches a threshold (settings: quality.similar_title_threshold, quality.copied_report_threshold).

Identical folded texts are grouped once: one entry per distinct text, holding every (unit, label) that used
it. Near duplicates are searched only among distinct texts, and each entry keeps the list of its near
duplicates, so a wording copied by 400 units costs one search, not 400 × 400 comparisons.

The search is exact (no sampling, no cap that drops candidates). Entries are posted under every word pair,
in one index per size (number of pairs). For a query of n pairs and a size m, an entry must share at least
a(n, m) pairs with it to reach the threshold, so it may miss at most r = n − a(n, m) of the query's pairs.
Pairs are taken rarest first (a pair nobody used yet already counts as missed): by pigeonhole a match holds
one of the first r + 1, and a match first found at the j-th may miss only r − j of the rest, so posting sets
are intersected rather than merged. Common wording ("nâng cao chất lượng", a province's template that every
unit fills in with its own place and numbers) is thus never scanned: texts that differ only in their place
name are ruled out by the place's pairs. Only the few candidates left are compared in full.
MinHash with LSH (datasketch) was measured on the same rounds: it finds pairs only with a probability, and
templated titles (similarity 0.6–0.85 to hundreds of others) make most of its bands collide.
"""

from __future__ import annotations

import functools
import hashlib
import math
import sys
import zlib
from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field

from ..sheets import fit_row, print_setup
from ..text import fold


@functools.lru_cache(maxsize=4096)
def grams(text: str) -> frozenset[str]:
    """The word pairs of the folded text ("a b c" -> {"a b", "b c"}); one word -> {word}; blank -> empty."""
    return _pairs(fold(text))


def _pairs(key: str) -> frozenset[str]:
    """:func:`grams` of a text already folded (a key of TextGroups)."""
    words = key.split()
    if len(words) < 2:
        return frozenset(words)
    return frozenset([f"{a} {b}" for a, b in zip(words, words[1:])])


def clear_caches() -> None:
    """Forget the word pairs and overlap bounds kept for speed (see pipeline.release_memory)."""
    grams.cache_clear()
    pair_overlap.cache_clear()


def jaccard(a: str, b: str) -> float:
    """Similarity of two texts (0..1) as the checks judge it."""
    ga, gb = grams(a), grams(b)
    if not ga or not gb:
        return 0.0
    inter = len(ga & gb)
    return inter / (len(ga) + len(gb) - inter)


def min_overlap(n: int, threshold: float) -> int:
    """The least number of shared pairs a text needs with an n-pair text to reach `threshold`.

    inter/union >= t implies inter/n >= t (union >= n; float division is monotone), so this is the least k
    with k/n >= t, computed in the same floating point as the verdict."""
    k = max(1, min(n, math.ceil(threshold * n)))
    while k > 1 and (k - 1) / n >= threshold:
        k -= 1
    while k < n and k / n < threshold:
        k += 1
    return k


@functools.lru_cache(maxsize=65536)
def pair_overlap(n: int, m: int, threshold: float) -> int:
    """The least number of shared pairs for texts of n and m pairs to reach `threshold` (0: never)."""
    small = min(n, m)
    if small / max(n, m) < threshold:
        return 0
    a = max(1, min(small, math.ceil(threshold * (n + m) / (1 + threshold))))
    while a > 1 and (a - 1) / (n + m - a + 1) >= threshold:
        a -= 1
    while a <= small and a / (n + m - a) < threshold:
        a += 1
    return a if a <= small else 0


SMALL = 24  # candidate sets this small are compared in full rather than narrowed further
BIG = 64  # posting lists longer than this are also kept as sets once an intersection needs them


class Entry:
    """One distinct folded text and everyone who used it."""

    __slots__ = ("id", "text", "grams", "owners", "more", "uses", "near")

    def __init__(self, id_: int, text: str, gram_ids: tuple[int, ...]):
        self.id = id_
        self.text = text  # the first wording seen (for display)
        self.grams = gram_ids  # sorted pair ids (a tuple: a quarter of a frozenset's memory)
        self.owners: dict[str, str] = {}  # owner -> label of its first use, in order of first use
        self.more: dict[str, list[str]] = {}  # owner -> labels of its later uses (an owner using it twice)
        self.uses: list[tuple[str, str]] = []  # (owner, label) of every use, in order
        self.near: list[tuple[int, float]] = []  # (entry id, similarity) of other entries at the threshold

    def use(self, owner: str, label: str) -> None:
        """Record that `owner` used the text under `label`."""
        self.uses.append((owner, label))
        if owner in self.owners:
            self.more.setdefault(owner, []).append(label)
        else:
            self.owners[owner] = label


@dataclass
class Hits:
    """What a text is similar to, other than its own unit's texts."""

    similarity: float  # the best one
    first: list[tuple[str, str, float]]  # a few (owner, label, similarity), distinct owners, best first
    count: int  # distinct owners in all


class TextGroups:
    """Distinct texts with their users and near duplicates at one threshold; grows one text at a time."""

    def __init__(self, threshold: float):
        if not 0 < threshold <= 1:
            raise ValueError(f"similarity threshold must be in (0, 1], got {threshold!r}")
        self.threshold = threshold
        self.entries: list[Entry] = []
        self.by_key: dict[str, Entry] = {}
        self.vocab: dict[str, int] = {}  # pair -> id
        self.df: list[int] = []  # pair id -> number of entries holding it
        self.postings: dict[int, dict[int, list[int]]] = {}  # size -> pair id -> entry ids (ascending)
        self.big: dict[tuple[int, int], set[int]] = {}  # the same as sets, for long ones once needed
        # a text checked and not yet added (a file's texts are checked, then added): its folded key, and
        # key -> (entries then, its matches, ids of its pairs known then, its pairs unknown then)
        self.folded: dict[str, str] = {}
        self.asked: dict[str, tuple[int, list[tuple[int, float]], frozenset[int], list[str]]] = {}
        self.recent: tuple[int, dict[int, list[int]]] = (-1, {})  # (n, pair id -> ids of the entries from n on)
        self.compared = 0  # full comparisons made (for benchmarks)

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, owner: str, label: str, text: str) -> None:
        """Record that `owner` used `text` (under `label`, e.g. a task code)."""
        key = self.folded.pop(text, None)
        if key is None:
            key = fold(text)
        entry = self.by_key.get(key)
        if entry is None:
            then, found, known, unknown = self.asked.pop(key, (-1, None, None, None))
            if found is None:
                g = _pairs(key)
                if not g:
                    return
                ids = frozenset(self._gram_id(x) for x in g)
            else:  # the ids of the pairs met since it was checked are given now, in the same order as then
                ids = known.union([self._gram_id(x) for x in unknown]) if unknown else known
            entry = Entry(len(self.entries), text, tuple(sorted(ids)))
            entry.near = self._near(ids, then, found)
            entries = self.entries
            for other, sim in entry.near:
                entries[other].near.append((entry.id, sim))
            entries.append(entry)
            self.by_key[key] = entry
            size = len(ids)
            by_gram = self.postings.get(size)
            if by_gram is None:
                by_gram = self.postings[size] = {}
            df, big, eid = self.df, self.big, entry.id
            start, recent = self.recent
            kept = recent if start >= 0 else None  # the file's entries by pair, while _near keeps them
            for i in ids:
                df[i] += 1
                posting = by_gram.get(i)
                if posting is None:
                    by_gram[i] = [eid]
                else:
                    posting.append(eid)
                    if len(posting) > BIG and (size, i) in big:
                        big[size, i].add(eid)
                if kept is not None:
                    kept.setdefault(i, []).append(eid)
        entry.use(owner, label)

    def labels(self, entry: Entry, owner: str) -> list[str]:
        """Every label under which `owner` used the entry's text, first use first."""
        first = entry.owners.get(owner)
        return [] if first is None else [first, *entry.more.get(owner, ())]

    def matches(self, text: str) -> list[tuple[Entry, float]]:
        """Entries at the threshold of `text`, best first (ties: the earlier entry first)."""
        key = fold(text)
        entry = self.by_key.get(key)
        if entry is not None:
            found = [(entry.id, 1.0), *entry.near]
        else:
            g = _pairs(key)
            if not g:
                return []
            vocab = self.vocab
            known = frozenset([vocab[x] for x in g if x in vocab])
            found = self._search(known, len(g))
            if len(self.asked) > 4096:
                self.asked.clear()
                self.folded.clear()
            # a file's texts are checked, then added: what add needs again is kept
            self.asked[key] = (len(self.entries), found[:], known,
                               [x for x in g if x not in vocab] if len(known) < len(g) else [])
            self.folded[text] = key
        found.sort(key=lambda x: (-x[1], x[0]))
        return [(self.entries[i], sim) for i, sim in found]

    def similar(self, text: str, exclude_owner: str = "", first: int = 3,
                skip: Callable[[str, str], bool] | None = None, related: set[str] | None = None) -> Hits | None:
        """The best similarity, the first few other owners and how many there are; None if no other owner.
        ``skip(owner, label)`` leaves uses out (a task cascaded from the same parent task is not a copy); when
        ``related`` is given, only those owners can have uses to skip, so the others are counted without asking
        (a wording copied by thousands costs the few related owners, not a walk through every use)."""
        found = self.matches(text)
        if skip is not None and related is None:
            return _similar_skipping(found, exclude_owner, first, skip)
        picked: list[tuple[str, str, float]] = []
        seen = {exclude_owner}
        for entry, sim in found:
            if len(picked) >= first:
                break
            for owner, label in entry.owners.items():
                if owner in seen:
                    continue
                if skip is not None and owner in related:
                    kept = [lb for lb in self.labels(entry, owner) if not skip(owner, lb)]
                    if not kept:
                        continue  # (it may still be picked from another entry)
                    label = kept[0]
                seen.add(owner)
                picked.append((owner, label, sim))
                if len(picked) >= first:
                    break
        if not picked:
            return None
        entries = [e for e, _ in found]
        count = _count_owners(entries, exclude_owner)
        if skip is not None:  # related owners all of whose uses are skipped are not copies
            for owner in related - {exclude_owner}:
                labels = [lb for e in entries for lb in self.labels(e, owner)]
                if labels and all(skip(owner, lb) for lb in labels):
                    count -= 1
        return Hits(similarity=picked[0][2], first=picked, count=count)

    def _near(self, ids: frozenset[int], then: int, found: list[tuple[int, float]] | None
              ) -> list[tuple[int, float]]:
        """Matches of a new text: those found when it was checked (with ``then`` entries), plus those among the few
        entries added since (a file's earlier texts: collect checks a file's texts, then adds them). Those are
        posted by pair in ``recent``; a match lacks at most n - min_overlap(n) of the text's n pairs, so it holds
        one of any n - min_overlap(n) + 1 of them: the rarest are looked up, and only what they find compared."""
        if found is None or len(self.entries) - then > BIG:
            self.recent = (-1, {})
            return self._search(ids, len(ids))
        start, recent = self.recent
        if start != then:  # the entries added since `then`, afresh (at most BIG)
            recent = {}
            for e in self.entries[then:]:
                for i in e.grams:
                    recent.setdefault(i, []).append(e.id)
            self.recent = (then, recent)
        if not recent:
            return found
        t, n, entries = self.threshold, len(ids), self.entries
        get = recent.get
        probes = sorted([(len(get(i, ())), i) for i in ids])[:n - min_overlap(n, t) + 1]
        candidates = {c for _, i in probes for c in get(i, ())}
        for c in sorted(candidates):
            m = len(entries[c].grams)
            if (m / n if m < n else n / m) >= t:
                inter = len(ids.intersection(entries[c].grams))
                if inter / (n + m - inter) >= t:
                    found.append((c, inter / (n + m - inter)))
        return found

    def _gram_id(self, gram: str) -> int:
        i = self.vocab.get(gram)
        if i is None:
            i = self.vocab[gram] = len(self.vocab)
            self.df.append(0)
        return i

    def _search(self, ids: frozenset[int], n: int) -> list[tuple[int, float]]:
        """(entry id, similarity) of every entry at the threshold, for a text of n pairs of which `ids` are
        known (a pair nobody used yet is in no entry)."""
        t, unseen = self.threshold, n - len(ids)
        out = []
        entries = self.entries
        rarest = sorted(ids, key=self.df.__getitem__)  # any order is exact; rarest first is fast
        for m in range(math.floor(n * t), math.ceil(n / t) + 1):  # sizes that can reach the threshold
            by_gram = self.postings.get(m)
            a = pair_overlap(n, m, t) if by_gram else 0
            misses = n - a - unseen  # of the known pairs, how many an entry of size m may lack
            if not a or misses < 0:
                continue
            candidates = self._narrow(m, by_gram, rarest, misses, None, 0)
            self.compared += len(candidates)
            for c in candidates:
                inter = len(ids.intersection(entries[c].grams))
                sim = inter / (n + m - inter)
                if sim >= t:
                    out.append((c, sim))
        return out

    def _narrow(self, m: int, by_gram: dict[int, list[int]], rarest: list[int], misses: int,
                within: list[int] | set[int] | None, depth: int) -> set[int]:
        """Entries (of `within`, or of size m) holding all but at most `misses` of the pairs `rarest`: a
        superset, as narrowing stops once few are left or two levels down; the caller compares in full."""
        found: set[int] = set()
        for j in range(min(misses + 1, len(rarest))):  # a match holds one of the first misses + 1 pairs ...
            g = rarest[j]
            part = by_gram.get(g, ()) if within is None else self._holding(m, by_gram, within, g)
            if not part:
                continue
            left, rest = misses - j, rarest[j + 1:]  # ... and, first found at the j-th, may lack misses - j more
            if len(part) <= SMALL or not rest:
                found.update(part)
            elif left == 0:
                for g in rest:
                    part = self._holding(m, by_gram, part, g)
                    if len(part) <= SMALL:
                        break
                found.update(part)
            elif depth < 2:
                found |= self._narrow(m, by_gram, rest, left, part, depth + 1)
            else:
                found.update(part)
        return found

    def _holding(self, m: int, by_gram: dict[int, list[int]], part, g: int):
        """The entries of `part` that hold pair g."""
        if len(part) <= BIG:
            entries = self.entries
            return [c for c in part if g in entries[c].grams]
        posting = by_gram.get(g, ())
        if len(posting) <= BIG:
            return [c for c in posting if c in part] if isinstance(part, set) else set(posting).intersection(part)
        big = self.big.get((m, g))
        if big is None:
            big = self.big[m, g] = set(posting)
        return big.intersection(part)


def _similar_skipping(found: list[tuple[Entry, float]], exclude: str, first: int,
                      skip: Callable[[str, str], bool]) -> Hits | None:
    picked: list[tuple[str, str, float]] = []
    owners: set[str] = set()
    for entry, sim in found:
        for owner, label in entry.uses:
            if owner == exclude or owner in owners or skip(owner, label):
                continue
            owners.add(owner)
            if len(picked) < first:
                picked.append((owner, label, sim))
    if not picked:
        return None
    return Hits(similarity=picked[0][2], first=picked, count=len(owners))


def _count_owners(entries: list[Entry], exclude: str) -> int:
    """Distinct owners over entries without copying the biggest owner table."""
    if not entries:
        return 0
    base = max(entries, key=lambda e: len(e.owners)).owners
    extra: set[str] = set()
    for e in entries:
        if e.owners is not base:
            extra.update(o for o in e.owners if o not in base)
    return len(base) + len(extra) - (exclude in base or exclude in extra)


# --- groups of copied wording, for the office -----------------------------------------------------

@dataclass
class CopyGroup:
    """Near-duplicate wordings (linked through the threshold) used by at least two units."""

    wording: str  # the most used wording of the group
    uses: list[tuple[str, str, str]] = field(default_factory=list)  # (owner, label, wording)

    @property
    def owners(self) -> list[str]:
        return list(dict.fromkeys(o for o, _, _ in self.uses))

    @property
    def wordings(self) -> int:
        return len({fold(t) for _, _, t in self.uses})


def copy_groups(texts: Iterable[tuple[str, str, str]], threshold: float,
                family: Callable[[str, str], str] | None = None, known: TextLinks | None = None) -> list[CopyGroup]:
    """Group (owner, label, text) triples: texts linked by similarity >= threshold (directly or through
    others) form one group; groups used by fewer than two owners are left out. Most owners first.
    ``family(owner, label)`` counts uses as one owner (a task and the tasks cascaded from it are not copies).
    ``known``: the links collect kept (`TextLinks`); when they hold every text at this threshold, they are taken
    rather than searched again — the same groups."""
    texts = [(owner, label, str(text)) for owner, label, text in texts if text]
    index = _linked(texts, known) if known is not None and known.threshold == threshold else None
    if index is None:
        index = TextGroups(threshold)
        for owner, label, text in texts:
            index.add(owner, label, text)
    parent = list(range(len(index.entries)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for e in index.entries:
        for other, _ in e.near:
            a, b = root(e.id), root(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    members: dict[int, list[Entry]] = {}
    for e in index.entries:
        members.setdefault(root(e.id), []).append(e)
    groups = []
    for entries in members.values():
        owners = {family(o, lb) if family else o for e in entries for o, lb in e.uses}
        if len(owners) < 2:
            continue
        top = max(entries, key=lambda e: (len(e.owners), -e.id))
        groups.append(CopyGroup(wording=top.text, uses=[(o, lb, e.text) for e in entries for o, lb in e.uses]))
    groups.sort(key=lambda g: (-len(g.owners), fold(g.wording)))
    return groups


class TextLinks:
    """Every pair of near-duplicate texts (similarity at the threshold) among a set of distinct folded texts: a
    snapshot of an index (`TextGroups`), which collect keeps in the store so that merge need not search again.

    A text is known by the first 8 bytes of the BLAKE2b digest of its folded form (two of 200,000 texts share one
    with a probability near 10⁻⁹); pairs are the texts' positions, two by two. Every link between two of the
    index's texts is in it (each text added is linked to all earlier ones), so links among any of its texts are
    exact: merge takes them only when every text it groups is held here."""

    METHOD = "fold+word-pairs+jaccard/1"  # what the links were found by: kept links of another are not used

    def __init__(self, threshold: float, digests: bytes, pairs: array):
        self.threshold = threshold
        self.digests = digests  # 8 bytes a text, in the index's order
        self.pairs = pairs  # positions of linked texts, flat: a0, b0, a1, b1, ...
        self._position: dict[bytes, int] | None = None

    def __len__(self) -> int:
        return len(self.digests) // 8

    @staticmethod
    def digest(key: str) -> bytes:
        return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest()

    @classmethod
    def of(cls, index: TextGroups) -> TextLinks:
        keys = [""] * len(index.entries)
        for key, entry in index.by_key.items():
            keys[entry.id] = key
        pairs = array("I")
        for entry in index.entries:
            for other, _ in entry.near:
                if other < entry.id:
                    pairs.extend((other, entry.id))
        return cls(index.threshold, b"".join(cls.digest(k) for k in keys), pairs)

    def position(self, key: str) -> int | None:
        if self._position is None:
            d = self.digests
            self._position = {d[i:i + 8]: i // 8 for i in range(0, len(d), 8)}
        return self._position.get(self.digest(key))

    def save(self, store, form_id: str, period: str, field: str) -> None:
        pairs = array("I", self.pairs)
        if sys.byteorder == "big":  # kept little-endian, whichever machine wrote it
            pairs.byteswap()
        store.save_text_links(form_id, period, field, self.METHOD, self.threshold, len(self),
                              zlib.compress(self.digests, 1), zlib.compress(pairs.tobytes(), 1))

    @classmethod
    def load(cls, store, form_id: str, period: str, field: str) -> TextLinks | None:
        try:
            kept = store.text_links(form_id, period, field)
        except Exception:  # a cache that cannot be read is no cache: merge searches
            return None
        if kept is None or kept[0] != cls.METHOD:
            return None
        _, threshold, digests, packed = kept
        try:
            pairs = array("I")
            pairs.frombytes(zlib.decompress(packed))
            digests = zlib.decompress(digests)
        except (zlib.error, ValueError):  # a damaged cache is no cache
            return None
        if sys.byteorder == "big":
            pairs.byteswap()
        return cls(threshold, digests, pairs)


def _linked(texts: list[tuple[str, str, str]], known: TextLinks) -> TextGroups | None:
    """The entries of the index `TextGroups.add` would build from `texts` that can be in a group (in the same
    order, with the same uses and links), the links read from `known`; None when a text is not held by `known`
    (collected since, say). A text used once and linked to none is its own group of one owner, never listed: it
    gets no entry (nine in ten texts of a round; an entry each took 100 MB at 3,000 units). The result holds no word
    pairs, no similarities and no lookup by text: it is for grouping, not for searching."""
    positions: list[int | None] = []
    for _, _, text in texts:
        key = fold(text)
        pos = known.position(key)
        if pos is None and grams(key):
            return None
        positions.append(pos)  # (None: a text without words, never an entry)
    pairs = known.pairs
    used = Counter(positions)
    linked = set()  # positions linked to another text of these
    for n in range(0, len(pairs), 2):
        if pairs[n] in used and pairs[n + 1] in used:
            linked.update((pairs[n], pairs[n + 1]))
    index = TextGroups(known.threshold)
    at: dict[int, Entry] = {}  # known position -> entry
    for (owner, label, text), pos in zip(texts, positions):
        entry = at.get(pos) if pos is not None else None
        if entry is None:
            if pos is None or (used[pos] < 2 and pos not in linked):
                continue
            entry = at[pos] = Entry(len(index.entries), text, ())
            index.entries.append(entry)
        entry.use(owner, label)
    for n in range(0, len(pairs), 2):
        a, b = at.get(pairs[n]), at.get(pairs[n + 1])
        if a is not None and b is not None:
            a.near.append((b.id, known.threshold))
            b.near.append((a.id, known.threshold))
    return index


# --- the office's list in the consolidated workbook -----------------------------------------------

COPY_SHEETS = {  # rule -> (sheet, detail sheet, heading, threshold setting)
    "similar-across-units": ("Nhiệm vụ giống nhau", "Chi tiết nhiệm vụ giống nhau",
                             "CÁC NHÓM NHIỆM VỤ CÓ NỘI DUNG GIỐNG NHAU GIỮA CÁC ĐƠN VỊ", "similar_title_threshold"),
    "copied-text": ("Báo cáo giống nhau", "Chi tiết báo cáo giống nhau",
                    "CÁC NHÓM NỘI DUNG BÁO CÁO GIỐNG NHAU GIỮA CÁC ĐƠN VỊ", "copied_report_threshold"),
}
CELL_CHARS = 30000  # an Excel cell holds 32,767 characters


def add_copy_sheets(wb, ctx, form, period) -> None:
    """Sheets of the consolidated workbook (an xlsxwriter Workbook) listing the groups of copied wording of
    the round's active submissions: the wording, how many units, which units; then one row per use."""
    q = ctx.ws.settings["quality"]
    names = {u.code: u.name for u in ctx.registry.units.values()}
    with nullcontext(ctx.store) as store:  # the session's handle, not closed here
        for rule_id, (title, detail_title, heading, setting) in COPY_SHEETS.items():
            for sheet, rule in form.rules(rule_id):
                if wb.get_worksheet_by_name(title) is not None:
                    continue  # one list per kind of text
                keep = (lambda t: len(t) >= q["copied_report_min_length"]) if rule_id == "copied-text" else \
                    (lambda t: len(fold(t).split()) >= 4)  # what the check itself looks at
                key_col = rule["key"] if rule.get("key", "task_code") != "task_code" else None
                rows = [(unit, str(key or ""), str(text)) for _, unit, key, text in
                        store.texts_for_copy_check(form.id, rule["column"], period.code, key=key_col)
                        if keep(str(text))]
                groups = copy_groups(rows, q[setting], _cascades(store, period, rule),
                                     known=TextLinks.load(store, form.id, period.code, rule["column"]))
                key = rule.get("key", "task_code")  # what the store keeps as the row's key
                label = next((c.title for c in sheet.columns if c.name == key), "Mã")
                _write_groups(wb, title, f"{heading} — {period.label.upper()}", groups, names, q[setting])
                _write_uses(wb, detail_title, groups, names, label, sheet.column(rule["column"]).title)


def _cascades(store, period, rule) -> Callable[[str, str], str] | None:
    """With a ``parent`` column: a task cascaded from a superior task and that task count as one owner."""
    if not rule.get("parent"):
        return None
    tasks = store.register(period.register_key)
    parents = {(t["unit_code"], fold(t["task_code"] or "")): fold(t.get("parent_code") or "") for t in tasks}
    heads = set(parents.values()) - {""}

    def family(owner: str, label: str) -> str:
        code = fold(label)
        parent = parents.get((owner, code), "")
        return f"^{parent}" if parent else f"^{code}" if code in heads else owner
    return family


def _formats(wb) -> dict:
    base = {"font_name": "Times New Roman", "font_size": 11, "valign": "top"}
    return {"title": wb.add_format({**base, "bold": True, "font_size": 14}),
            "note": wb.add_format({**base, "italic": True}),
            "head": wb.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}),
            "text": wb.add_format({**base, "text_wrap": True}), "num": wb.add_format(base)}


def _units_text(owners: list[str], names: dict[str, str]) -> str:
    out, size = [], 0
    for n, owner in enumerate(owners):
        name = names.get(owner, owner)
        if size + len(name) > CELL_CHARS:
            return ", ".join(out) + f" … và {len(owners) - n} đơn vị khác"
        out.append(name)
        size += len(name) + 2
    return ", ".join(out)


def _write_groups(wb, title: str, heading: str, groups: list[CopyGroup], names: dict, threshold: float) -> None:
    f = _formats(wb)
    ws = wb.add_worksheet(title)
    ws.write_string(0, 0, heading, f["title"])
    ws.write_string(1, 0, f"{len(groups)} nhóm; cùng nhóm khi giống nhau từ {round(threshold * 100)}% trở lên "
                          "(so theo cặp từ, không phân biệt dấu, chữ hoa, dấu câu).", f["note"])
    for c, (h, w) in enumerate([("Nhóm", 7), ("Nội dung", 60), ("Số đơn vị", 9), ("Số cách viết", 9), ("Đơn vị", 80)]):
        ws.set_column(c, c, w)
        ws.write_string(2, c, h, f["head"])
    for r, g in enumerate(groups, start=3):
        owners = g.owners
        ws.write_number(r, 0, r - 2, f["num"])
        ws.write_string(r, 1, g.wording, f["text"])
        ws.write_number(r, 2, len(owners), f["num"])
        ws.write_number(r, 3, g.wordings, f["num"])
        ws.write_string(r, 4, _units_text(owners, names), f["text"])
        fit_row(ws, r, [(g.wording, 60), (_units_text(owners, names), 80)], points=11)
    ws.freeze_panes(3, 0)
    ws.autofilter(2, 0, 2 + max(len(groups), 1), 4)
    print_setup(ws, [7, 60, 9, 9, 80], 2)


def _write_uses(wb, title: str, groups: list[CopyGroup], names: dict, label: str, text_title: str) -> None:
    f = _formats(wb)
    ws = wb.add_worksheet(title)
    heads = [("Nhóm", 7), ("Mã đơn vị", 10), ("Tên đơn vị", 30), (label, 14), (text_title, 70),
             ("Giống nội dung của nhóm (%)", 12)]
    for c, (h, w) in enumerate(heads):
        ws.set_column(c, c, w)
        ws.write_string(0, c, h, f["head"])
    r = 0
    for n, g in enumerate(groups, start=1):
        for owner, key, text in g.uses:
            r += 1
            ws.write_number(r, 0, n, f["num"])
            ws.write_string(r, 1, owner, f["text"])
            ws.write_string(r, 2, names.get(owner, owner), f["text"])
            ws.write_string(r, 3, key, f["text"])
            ws.write_string(r, 4, text, f["text"])
            ws.write_number(r, 5, round(jaccard(text, g.wording) * 100), f["num"])
            fit_row(ws, r, [(names.get(owner, owner), 30), (text, 70)], points=11)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(r, 1), len(heads) - 1)
    print_setup(ws, [w for _, w in heads], 0)
