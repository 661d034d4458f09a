from tags import extract_tags, index, search, tag_note


def test_extract_tags():
    assert extract_tags("Buy #Milk and #eggs, #milk again") == ["milk", "eggs"]


def test_given_tags_kept():
    note = tag_note("call mum #family", ["todo"])
    assert note["tags"] == ["todo", "family"]


def test_index_and_search():
    notes = [tag_note("a #x", ["p"]), tag_note("b #x #y", ["q"])]
    assert index(notes) == {"p": [0], "x": [0, 1], "q": [1], "y": [1]}
    assert search(notes, "X", "y") == ["b #x #y"]


def test_notes_do_not_share_tags():
    first = tag_note("plan trip #travel")
    second = tag_note("fix bike #repair")
    assert first["tags"] == ["travel"]
    assert second["tags"] == ["repair"]
