from escape import escape, tag, unescape


def test_escape_markup():
    assert escape("a < b & c") == "a &lt; b &amp; c"


def test_no_double_unescape():
    assert unescape("&amp;lt;") == "&lt;"


def test_tag_content():
    assert tag("p", "1 < 2") == "<p>1 &lt; 2</p>"


def test_boolean_attributes():
    assert tag("input", type="checkbox", checked=True, disabled=False) == (
        '<input checked type="checkbox"></input>')


def test_class_attribute():
    assert tag("div", "x", class_="big") == '<div class="big">x</div>'


def test_attribute_value_is_safe():
    assert tag("a", "x", title='say "hi"') == '<a title="say &quot;hi&quot;">x</a>'
