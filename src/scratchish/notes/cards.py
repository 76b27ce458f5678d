"""The built-in concept cards: short Markdown explanations shipped in the package (cards/*.md).

Each card explains one idea in plain words, links to related cards with [[wikilinks]], to the
scratchish code that implements it (`sh:nn.Linear`, `src/scratchish/ops/elementwise.py` `Relu`)
and ends with a small example to try. They are the base layer of the mind map that the
learner's own notes attach to, and what sh.explain() shows. Read next: explain.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .parser import ParsedNote, front_matter_list, normalise_title, parse_note, title_key


@dataclass(frozen=True)
class Card:
    """One built-in card. `name` is its file name without '.md' (e.g. 'chain-rule')."""

    name: str
    title: str
    aliases: tuple
    text: str
    parsed: ParsedNote

    @property
    def body(self) -> str:
        return self.parsed.body.strip("\n")

    def keys(self) -> set:
        """Every way to name this card, as compared: name, title, aliases."""
        spelled = [self.name, self.name.replace("-", " "), self.title, *self.aliases]
        return {title_key(key) for key in spelled}


@lru_cache(maxsize=1)
def all_cards() -> tuple[Card, ...]:
    """Every built-in card, sorted by name (read once from the package, then kept)."""
    folder = resources.files("scratchish.notes") / "cards"
    cards = []
    for entry in folder.iterdir():
        if entry.name.endswith(".md"):
            text = entry.read_text(encoding="utf-8")
            parsed = parse_note(text)
            name = entry.name[: -len(".md")]
            title = normalise_title(str(parsed.front_matter.get("title") or name))
            aliases = tuple(front_matter_list(parsed.front_matter, "aliases"))
            cards.append(Card(name, title, aliases, text, parsed))
    return tuple(sorted(cards, key=lambda card: card.name))


def find_card(name: str) -> Card | None:
    """The card called `name` (its file name, title or an alias; case and -/_ ignored)."""
    key = title_key(name.replace("_", " "))
    for card in all_cards():
        if key in card.keys() or key.replace(" ", "-") == card.name:
            return card
    return None


def card_names() -> list[str]:
    """The names of all cards, e.g. ['adam', 'attention', ...]."""
    return [card.name for card in all_cards()]
