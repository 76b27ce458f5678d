"""Tests for scratchish.notes.parser: wikilinks, tags (and what is not a tag), front matter,
run: and sh: links, source links."""

from scratchish.notes.parser import (
    WikiLink,
    parse_front_matter,
    parse_note,
    split_front_matter,
    title_key,
)


def test_wikilinks_with_aliases_headings_and_embeds():
    note = parse_note(
        "See [[Chain rule]], [[softmax|the softmax]], [[Adam#Update|Adam's]] ![[Loss]]"
    )
    assert note.links == [
        WikiLink("Chain rule"),
        WikiLink("softmax", "the softmax"),
        WikiLink("Adam", "Adam's", "Update"),
        WikiLink("Loss"),
    ]


def test_wikilinks_are_tidied_and_not_repeated():
    note = parse_note("[[  chain   rule ]] and [[chain rule]] and [[]]")
    assert note.links == [WikiLink("chain rule")]


def test_tags_are_found_lower_cased_once():
    note = parse_note("#faith first line\nsome text #Maths/Calculus, and #faith again. #revisit")
    assert note.tags == ["faith", "maths/calculus", "revisit"]
    assert note.status == "revisit"


def test_things_that_are_not_tags():
    text = "\n".join(
        [
            "# A heading",
            "## Another heading",
            "Issue #12 and C&#35; and a#b",
            "A link https://example.com/page#section and www.site.org/#top",
            "Code `x = 1  #notatag` inline",
            "```python",
            "y = 2  # not a tag either #nope",
            "```",
            "~~~",
            "#stillcode",
            "~~~",
            "but #real is",
        ]
    )
    assert parse_note(text).tags == ["real"]


def test_wikilinks_in_code_do_not_count():
    note = parse_note("`[[in span]]`\n```\n[[in block]]\n```\n[[outside]]")
    assert [link.target for link in note.links] == ["outside"]


def test_front_matter_subset():
    text = "\n".join(
        [
            "---",
            "title: 'Chain rule'",
            "tags: [faith, Maths]",
            "aliases:",
            "  - chain-rule",
            '  - "the chain rule"',
            "# a comment",
            "created: 2024-05-01",
            "status: no",
            "---",
            "Body [[x]] #revisit",
        ]
    )
    note = parse_note(text)
    assert note.front_matter == {
        "title": "Chain rule",
        "tags": ["faith", "Maths"],
        "aliases": ["chain-rule", "the chain rule"],
        "created": "2024-05-01",  # stays text: no YAML date conversion
        "status": "no",  # stays text: not False
    }
    assert note.tags == ["faith", "maths", "revisit"]
    assert note.body == "Body [[x]] #revisit"


def test_no_front_matter_and_unclosed_front_matter():
    assert split_front_matter("just text") == ({}, "just text")
    assert split_front_matter("---\nnot closed\n") == ({}, "---\nnot closed\n")
    assert parse_front_matter('title: "say \\"hi\\""') == {"title": 'say "hi"'}


def test_run_and_library_links():
    text = (
        "Loss fell in run:2024-05-01_lr3e-3. and run:abc12, compare `sh:nn.Linear` with "
        "sh:optim.SGD. Not a link: xsh:nn.Foo or https://sh:80\n```\nsh:in.block run:inblock\n```"
    )
    note = parse_note(text)
    assert note.run_links == ["2024-05-01_lr3e-3", "abc12"]
    assert note.library_links == ["nn.Linear", "optim.SGD"]


def test_source_links():
    note = parse_note("`src/scratchish/ops/elementwise.py` `Relu` and `src/scratchish/tensor.py`")
    assert [(s.path, s.name) for s in note.source_links] == [
        ("src/scratchish/ops/elementwise.py", "Relu"),
        ("src/scratchish/tensor.py", None),
    ]


def test_heading_and_unusual_titles():
    for title in ["Über/Größe", "../../x", "a.b.c", "日本語のノート", "x/y\\z"]:
        note = parse_note(f"# {title}\n\n[[{title}]]")
        assert note.heading == title
        assert note.links[0].target == title
    assert title_key("Chain  Rule") == title_key("chain rule")
    assert title_key("Cafe\u0301") == title_key("Café")  # the same letters, typed two ways


def test_windows_line_endings():
    note = parse_note("---\r\ntitle: T\r\n---\r\n[[a]] #faith\r\n")
    assert note.front_matter == {"title": "T"}
    assert note.tags == ["faith"]
