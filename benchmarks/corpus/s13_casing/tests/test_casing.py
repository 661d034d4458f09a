from casing import to_camel, to_kebab, to_pascal, to_snake


def test_snake_from_camel():
    assert to_snake("userName") == "user_name"


def test_camel_from_snake():
    assert to_camel("user_name_id") == "userNameId"


def test_pascal_from_kebab():
    assert to_pascal("http-status-code") == "HttpStatusCode"


def test_all_caps_word():
    assert to_snake("ID") == "id"
    assert to_snake("userID") == "user_id"


def test_empty():
    assert to_camel("") == "" and to_snake("__") == ""


def test_acronym_then_word():
    assert to_snake("HTTPServer") == "http_server"


def test_to_kebab():
    assert to_kebab("parseXMLDocument") == "parse-xml-document"
