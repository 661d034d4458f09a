from casing import to_camel, to_snake


def test_acronym_in_the_middle():
    assert to_snake("getURLForID") == "get_url_for_id"


def test_digits():
    assert to_snake("version2Update") == "version2_update"


def test_camel_from_acronym():
    assert to_camel("JSONParser") == "jsonParser"
