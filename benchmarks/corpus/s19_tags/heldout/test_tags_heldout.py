from tags import tag_note


def test_untagged_note_after_tagged_ones():
    tag_note("one #a")
    tag_note("two #b")
    assert tag_note("nothing here")["tags"] == []


def test_given_list_is_used():
    mine = ["keep"]
    note = tag_note("x #y", mine)
    assert note["tags"] == ["keep", "y"]
