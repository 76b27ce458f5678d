"""scratchish.notes: your notes on the ideas you meet, the built-in concept cards, the mind map.

    sh.explain("softmax")           a built-in card, in the terminal or in Jupyter
    scratchish notes new "Chain rule" --text "Slopes multiply along a chain. [[derivative]]"
    scratchish notes map --open     the mind map of your notes and the cards

Notes are plain Markdown files in ./notes ([[wikilinks]], #tags, optional front matter).
Read in this order: parser.py (one note), store.py (the folder), cards.py, explain.py,
mindmap.py, export.py, cli_commands.py.
"""

from .cards import Card, all_cards, card_names, find_card
from .explain import card_for_error, explain
from .export import export
from .mindmap import build_graph, render_mindmap, write_mindmap
from .parser import ParsedNote, parse_note
from .store import Note, NoteExistsError, NoteNotFoundError, NotesStore, safe_filename

__all__ = [
    "Card",
    "Note",
    "NoteExistsError",
    "NoteNotFoundError",
    "NotesStore",
    "ParsedNote",
    "all_cards",
    "build_graph",
    "card_for_error",
    "card_names",
    "explain",
    "export",
    "find_card",
    "parse_note",
    "render_mindmap",
    "safe_filename",
    "write_mindmap",
]
