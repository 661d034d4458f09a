from textutil import slugify


def test_slug_custom_separator():
    assert slugify("Big Data Tool", sep="_") == "big_data_tool"
