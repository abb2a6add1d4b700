"""Dependency trees to pregroup trees: pure functions, no spaCy and no lambeq needed.

A *pregroup tree* (lambeq's :class:`~lambeq.text2diagram.PregroupTreeNode`) gives every word
the type of the wire(s) it hands to its parent, and a parent index (``-1`` for the root). A
word's full pregroup type follows from the tree: the types of its left children, right
adjoint, then its own tree type, then the types of its right children, left adjoint. lambeq
turns such a tree into a diagram (``generate_tree`` then ``to_diagram``); this module only
decides the tree.

The mapping is functor–argument:

* **arguments** (``nsubj``, ``obj``, ``iobj``, ``ccomp``, ``xcomp``, bare nominal modifiers,
  ...) hang below their head, so the head's type gets an adjoint for each of them
  (``prepares: n.r·s·n.l``);
* **modifiers** (``amod``, ``det``, ``advmod``, ``aux``, ``compound``, ...) are functors over
  their head: the modifier takes the head's place in the tree and the head hangs below it
  (``tasty: n·n.l``);
* a preposition (``case``), subordinator (``mark``) or coordinator (``cc``) of a modifying
  phrase is the functor: it takes both the modified phrase and its own phrase
  (``in: s.r·s·n.l``, ``and: n.r·n·n.l``);
* a relative pronoun (``that``, ``which``, ``who``, ``whom``; Spanish ``que``, ``quien``, ...)
  is the functor of its relative clause; the clause's verb hands up the gap left by the
  pronoun (``n.r @ s`` for a subject gap, ``s @ n.l`` for an object gap), which gives
  lambeq's types ``n.r·n·s.l·n`` and ``n.r·n·n.l.l·s.l``.

Dependents are applied to their head from the nearest outwards (arguments before modifiers at
equal distance, right before left), and an argument met after a modifier is passed up through
the modifiers as a gap, so a projective dependency tree gives a planar diagram (a pre-verbal
adverb gets lambeq's ``n.r·s·s.l·n``). Non-projective trees are first made projective by
lifting arcs (:func:`projectivize`). Punctuation is dropped (see :func:`drop_punctuation`).

Examples
--------
>>> toks = [Tok("skillful", "ADJ", 1, "amod"), Tok("man", "NOUN", 2, "nsubj"),
...         Tok("prepares", "VERB", -1, "ROOT"), Tok("sauce", "NOUN", 2, "obj")]
>>> tree = pregroup_tree(toks)
>>> tree.types, tree.parents
(['n', 'n', 's', 'n'], [2, 0, -1, 2])
>>> word_types(tree)
['n @ n.l', 'n', 'n.r @ s @ n.l', 'n']
"""

from __future__ import annotations

from dataclasses import dataclass

#: Relations whose dependent is an argument of its head (the head is the functor).
ARGUMENT_RELATIONS = frozenset({
    "nsubj", "csubj", "obj", "iobj", "ccomp", "xcomp", "expl", "vocative", "dislocated",
    "appos", "parataxis", "list", "orphan", "dep", "reparandum", "flat", "fixed", "goeswith",
    "root", "conj", "obl", "nmod", "advcl", "acl", "npadvmod",
})
#: Relations whose phrase modifies its head through a function word (case, mark, cc).
MARKED_RELATIONS = {"obl": "case", "nmod": "case", "advcl": "mark", "acl": "mark",
                    "conj": "cc"}
#: Relative pronouns that act as functors of their relative clause (English and Spanish; only
#: a token attached to a verb as its subject or object counts, so Spanish "que" as a
#: complementiser, ``mark``, does not).
RELATIVE_PRONOUNS = frozenset({"that", "which", "who", "whom",
                               "que", "quien", "quienes", "cual", "cuales"})
#: Universal POS tags whose phrase is a noun phrase (type ``n``).
NOMINAL_UPOS = frozenset({"NOUN", "PROPN", "PRON", "NUM", "SYM", "X", "DET", "PART"})
#: Dependents of these relations are dropped along with punctuation tokens.
PUNCT_RELATIONS = frozenset({"punct"})


@dataclass
class Tok:
    """A parsed token: text, universal POS tag, head index (``-1`` for a root), relation."""

    text: str
    upos: str
    head: int
    dep: str


@dataclass
class PregroupTree:
    """Per-token tree types (``"n.r @ s"``) and parents (``-1`` root), over ``words``."""

    words: list[str]
    types: list[str]
    parents: list[int]


def base(dep: str) -> str:
    """A relation without its subtype, lower case: ``"acl:relcl"`` -> ``"acl"``."""
    return dep.split(":")[0].lower()


def _ty(atoms: list[str]) -> str:
    return " @ ".join(atoms) if atoms else ""


def _adjoint(atoms: list[str], side: str) -> list[str]:
    """Left (``side="l"``) or right adjoint of a type given as atoms (``"n.r"``...)."""
    out = []
    for atom in reversed(atoms):
        name, *zs = atom.split(".")
        z = sum(1 if a == "r" else -1 for a in zs) + (1 if side == "r" else -1)
        out.append(name + (".r" * z if z > 0 else ".l" * (-z)))
    return out


def _atoms(ty: str) -> list[str]:
    return [a.strip() for a in ty.split("@")] if ty else []


def drop_punctuation(tokens: list[Tok]) -> list[int]:
    """Indices of the tokens kept: all but punctuation (UPOS ``PUNCT`` or relation ``punct``).

    Punctuation carries no meaning for a DisCoCat model and lambeq's own datasets end every
    sentence with a detached ``" ."``; dropping it keeps the sentence type ``s`` (or ``n`` for a
    noun phrase). A dropped token's dependents are re-attached to its nearest kept ancestor.
    If every token is punctuation, nothing is dropped.
    """
    keep = [i for i, t in enumerate(tokens)
            if not (t.upos == "PUNCT" or base(t.dep) in PUNCT_RELATIONS)]
    return keep or list(range(len(tokens)))


def restrict(tokens: list[Tok], keep: list[int]) -> list[Tok]:
    """The tokens at ``keep`` with heads re-attached to kept ancestors and re-indexed.

    The result has exactly one root (further roots hang below the first as ``parataxis``).
    """
    pos = {old: new for new, old in enumerate(keep)}
    out = []
    for old in keep:
        t = tokens[old]
        head, seen = t.head, {old}
        while head >= 0 and head not in pos and head not in seen:
            seen.add(head)
            head = tokens[head].head
        if head in seen or head == old:
            head = -1
        out.append(Tok(t.text, t.upos, pos.get(head, -1), t.dep))
    roots = [i for i, t in enumerate(out) if t.head < 0]
    if not roots:  # a cycle: the first token becomes the root
        out[0].head, roots = -1, [0]
    for r in roots[1:]:
        out[r].head, out[r].dep = roots[0], "parataxis"
    _break_cycles(out, roots[0])
    return out


#: Dependents of a nominal or adjectival predicate that stay with it when its copula is promoted.
PREDICATE_KEEPS = frozenset({"det", "amod", "nummod", "compound", "nmod", "case", "acl",
                             "appos", "flat", "fixed", "goeswith", "clf"})


def promote_copulas(tokens: list[Tok]) -> list[Tok]:
    """Make each copula the head of its clause (UD makes the predicate the head).

    In "food is tasty" UD heads the clause with "tasty"; here "is" takes its place (and its
    subject, auxiliaries, clause modifiers) and "tasty" becomes its argument, so the
    predicate's own modifiers ("a", "very") keep noun-phrase types. Returns a copy.
    """
    toks = [Tok(t.text, t.upos, t.head, t.dep) for t in tokens]
    for c, t in enumerate(tokens):
        if base(t.dep) != "cop" or t.head < 0:
            continue
        h = t.head
        toks[c].head, toks[c].dep = toks[h].head, toks[h].dep
        toks[h].head, toks[h].dep = c, "xcomp"
        for d, u in enumerate(toks):
            if d in (c, h) or u.head != h:
                continue
            rel = base(u.dep)
            between = min(c, h) < d < max(c, h)
            clause = any(v.head == d and base(v.dep) in ("nsubj", "cop", "csubj") for v in toks)
            if (rel in PREDICATE_KEEPS or (rel == "advmod" and between)
                    or (rel == "conj" and not clause)):
                continue
            u.head = c
    return toks


def attach_to_markers(tokens: list[Tok]) -> list[Tok]:
    """Hang a marked phrase's dependents that lie beyond its marker on the marker.

    In "inspiring especially for hippies" UD attaches "especially" to "hippies", beyond "for"
    (the functor that takes "hippies"); hung on "for" instead, it modifies the whole
    prepositional phrase and the diagram stays planar. Returns a copy.
    """
    toks = [Tok(t.text, t.upos, t.head, t.dep) for t in tokens]
    for d, t in enumerate(tokens):
        want, h = MARKED_RELATIONS.get(base(t.dep)), t.head
        if want is None or h < 0:
            continue
        markers = [c for c, u in enumerate(tokens) if u.head == d and base(u.dep) == want]
        if not markers:
            continue
        f = min(markers, key=lambda c: abs(c - h))
        for c, u in enumerate(tokens):  # dependents beyond the marker, seen from the phrase
            if u.head == d and c != f and (c - f) * (f - d) > 0:
                toks[c].head = f
    return toks


def _break_cycles(tokens: list[Tok], root: int) -> None:
    """Attach every token that cannot reach ``root`` to ``root`` (in place)."""
    for i in range(len(tokens)):
        seen, j = set(), i
        while j != root and j >= 0 and j not in seen:
            seen.add(j)
            j = tokens[j].head
        if j != root and i != root:
            tokens[i].head = root
        if i == root:
            tokens[i].head = -1


def _is_nonprojective(tokens: list[Tok], d: int) -> bool:
    h = tokens[d].head
    if h < 0:
        return False
    lo, hi = min(h, d), max(h, d)
    for k in range(lo + 1, hi):
        j = k
        while j >= 0 and j != h:
            j = tokens[j].head
        if j != h:
            return True
    return False


def projectivize(tokens: list[Tok]) -> tuple[list[Tok], int]:
    """Lift non-projective arcs to the grandparent until the tree is projective.

    Returns
    -------
    tokens : list of Tok
        A copy with projective heads.
    lifted : int
        How many arcs were lifted.
    """
    toks = [Tok(t.text, t.upos, t.head, t.dep) for t in tokens]
    lifted = 0
    changed = True
    while changed:
        changed = False
        for d in range(len(toks)):
            if _is_nonprojective(toks, d):
                toks[d].head = toks[toks[d].head].head
                lifted += 1
                changed = True
    return toks, lifted


#: Relations whose dependent is a noun phrase in UD (a clause in that role would be ``csubj``
#: or ``ccomp``).
NOMINAL_ARGUMENT_RELATIONS = frozenset({"nsubj", "obj", "iobj"})
#: Dependents that make a phrase a clause.
CLAUSE_RELATIONS = frozenset({"nsubj", "csubj", "obj", "iobj", "ccomp", "xcomp", "aux", "cop",
                              "mark", "expl"})


def phrase_type(tok: Tok, deps: list[tuple[int, Tok]]) -> list[str]:
    """The type of the phrase a token heads: ``s`` for a clause, ``n`` for a noun phrase.

    The relation wins over the tag in one case: a subject or object tagged ``VERB`` that has
    no clause dependents of its own is a noun phrase (UD gives clausal subjects and objects
    ``csubj``/``ccomp``), so a tagger error on a word like "reports" in "clerk that files
    reports" does not turn the object into a clause.
    """
    rels = {base(d.dep) for _, d in deps}
    if (tok.upos in ("VERB", "AUX") and base(tok.dep) in NOMINAL_ARGUMENT_RELATIONS
            and not rels & CLAUSE_RELATIONS):
        return ["n"]
    if tok.upos in ("VERB", "AUX") or rels & {"nsubj", "csubj", "cop", "expl"}:
        return ["s"]
    if tok.upos in NOMINAL_UPOS:
        return ["n"]
    if tok.upos in ("ADJ", "ADV", "ADP", "INTJ", "CCONJ", "SCONJ") and base(tok.dep) == "root":
        return ["s"] if rels & {"aux", "mark", "advmod", "obj", "obl"} else ["n"]
    return ["n"]


def pregroup_tree(tokens: list[Tok]) -> PregroupTree:
    """Map a single-rooted, projective dependency tree to a pregroup tree.

    Parameters
    ----------
    tokens : list of Tok
        Heads are indices into ``tokens`` (``-1`` for the root); exactly one root.

    Returns
    -------
    PregroupTree
        Tree types (atoms joined by ``" @ "``) and parents, one per token.
    """
    n = len(tokens)
    children: list[list[int]] = [[] for _ in range(n)]
    root = -1
    for i, t in enumerate(tokens):
        if t.head < 0:
            root = i
        else:
            children[t.head].append(i)
    if root < 0:
        raise ValueError("the dependency tree has no root")
    types: list[list[str] | None] = [None] * n
    parents = [-1] * n
    span = _spans(children, n)
    _Builder(tokens, children, span, types, parents).realise(root, None, None)
    return PregroupTree([t.text for t in tokens], [_ty(t or ["n"]) for t in types], parents)


def _spans(children: list[list[int]], n: int) -> list[tuple[int, int]]:
    lo, hi = list(range(n)), list(range(n))

    def visit(i: int) -> tuple[int, int]:
        for c in children[i]:
            a, b = visit(c)
            lo[i], hi[i] = min(lo[i], a), max(hi[i], b)
        return lo[i], hi[i]

    for i in range(n):
        visit(i)
    return list(zip(lo, hi))


class _Builder:
    """Recursive construction of the pregroup tree (see the module docstring)."""

    def __init__(self, tokens, children, span, types, parents):
        self.tokens, self.children, self.span = tokens, children, span
        self.types, self.parents = types, parents

    def _relative_pronoun(self, verb: int) -> int | None:
        """The relative pronoun that fills a gap of ``verb``'s clause, if any.

        A pronoun whose relation another dependent of the verb also has ("the way in which
        Hayworth is put", parsed with two passive subjects) fills no gap and is left as a
        plain argument.
        """
        rels = [base(self.tokens[c].dep) for c in self.children[verb]]
        for c in self.children[verb]:
            t = self.tokens[c]
            if (t.text.lower() in RELATIVE_PRONOUNS and c < verb
                    and base(t.dep) in ("nsubj", "obj", "iobj") and rels.count(base(t.dep)) == 1):
                return c
        return None

    def _marker(self, d: int) -> int | None:
        want = MARKED_RELATIONS.get(base(self.tokens[d].dep))
        if want is None:
            return None
        h = self.tokens[d].head
        found = [c for c in self.children[d] if base(self.tokens[c].dep) == want]
        return min(found, key=lambda c: abs(c - h)) if found else None

    def realise(self, h: int, out: list[str] | None = None, exclude: set[int] | None = None,
                extras: list[tuple[int, int, int]] | None = None) -> int:
        """Build the subtree of ``h``; return the index of its top node.

        ``out`` forces the phrase type (used when ``h`` is a functor over another phrase: it
        delivers the type of what it modifies); ``exclude`` lists dependents handled by the
        caller; ``extras`` are already built phrases ``(top, lo, hi)`` that hang directly below
        ``h`` (the phrase a functor modifies, and its own argument phrase).
        """
        exclude = exclude or set()
        deps = [(c, self.tokens[c]) for c in self.children[h] if c not in exclude]
        relcl_gap_side = None
        if base(self.tokens[h].dep) == "acl" and out is None:
            p = self._relative_pronoun(h)
            if p is not None:
                deps = [(c, t) for c, t in deps if c != p]
                relcl_gap_side = "left" if base(self.tokens[p].dep) == "nsubj" else "right"
        x = list(out) if out is not None else phrase_type(self.tokens[h], deps)
        items = []
        for top, lo, hi in extras or ():
            left = hi < h
            items.append(((h - hi if left else lo - h, False, not left), top, "extra", left, lo, hi))
        for c, t in deps:
            lo, hi = self.span[c]
            left = hi < h
            dist = h - hi if left else lo - h
            rel = base(t.dep)
            kind = "arg"
            if rel == "acl" and self._relative_pronoun(c) is not None:
                kind = "relcl"
                dist = abs(self._relative_pronoun(c) - h)
            elif rel in MARKED_RELATIONS and self._marker(c) is not None:
                kind = "marked"
            elif rel not in ARGUMENT_RELATIONS or (rel == "nmod" and ":poss" in t.dep):
                kind = "mod"
            items.append(((dist, kind != "arg", not left), c, kind, left, lo, hi))
        items.sort()
        chain = [h]                   # nodes from the head (inner) to the top (outer)
        links: list[list[str]] = []   # links[j]: tree type of chain[j] as a child of chain[j+1]
        cur_lo = cur_hi = h           # span covered so far
        for _, c, kind, left, lo, hi in items:
            top = chain[-1]
            if kind in ("extra", "arg"):
                a = c if kind == "extra" else self.realise(c)
                self.parents[a] = top
                at = self.types[a] if self.types[a] is not None else x
                for j in range(len(links)):
                    links[j] = (_adjoint(at, "r") + links[j]) if left else (links[j] + _adjoint(at, "l"))
            else:
                inner = (top, cur_lo, cur_hi)
                if kind == "mod":
                    m = self.realise(c, list(x), None, [inner])
                elif kind == "marked":
                    f = self._marker(c)
                    arg = self.realise(c, None, {f})
                    m = self.realise(f, list(x), None, [inner, (arg, *self._span_without(c, f))])
                else:  # relcl: the relative pronoun is the functor
                    f = self._relative_pronoun(c)
                    arg = self.realise(c)
                    m = self.realise(f, list(x), None, [inner, (arg, *self._span_without(c, f))])
                links.append(list(x))
                chain.append(m)
            cur_lo, cur_hi = min(cur_lo, lo), max(cur_hi, hi)
        if relcl_gap_side is not None:  # the clause hands up the relative pronoun's gap
            links = [(["n.r"] + link) if relcl_gap_side == "left" else (link + ["n.l"])
                     for link in links]
            x = ["n.r"] + x if relcl_gap_side == "left" else x + ["n.l"]
        for j, node in enumerate(chain[:-1]):
            self.types[node] = links[j]
        self.types[chain[-1]] = x
        return chain[-1]

    def _span_without(self, d: int, f: int) -> tuple[int, int]:
        """Span of ``d``'s subtree, leaving out the subtree of its functor word ``f``."""
        lo, hi = self.span[d]
        flo, fhi = self.span[f]
        if flo == lo:
            lo = fhi + 1
        if fhi == hi:
            hi = flo - 1
        return lo, hi


def word_types(tree: PregroupTree) -> list[str]:
    """Each word's full pregroup type implied by the tree (as lambeq's ``tree2diagram`` does).

    Left children contribute their type's right adjoint (nearest child innermost), right
    children their left adjoint.
    """
    n = len(tree.words)
    kids: list[list[int]] = [[] for _ in range(n)]
    for i, p in enumerate(tree.parents):
        if p >= 0:
            kids[p].append(i)
    out = []
    for i in range(n):
        atoms: list[str] = []
        for c in sorted(k for k in kids[i] if k < i):
            atoms += _adjoint(_atoms(tree.types[c]), "r")
        atoms += _atoms(tree.types[i])
        for c in sorted((k for k in kids[i] if k > i), reverse=True):
            atoms += _adjoint(_atoms(tree.types[c]), "l")
        out.append(_ty(atoms))
    return out
