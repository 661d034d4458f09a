"""Resolve and build JSON pointers (RFC 6901) over parsed JSON data."""


class PointerError(LookupError):
    pass


def _unescape(token):
    if "~" in token.replace("~0", "").replace("~1", ""):
        raise PointerError(f"bad escape in {token!r}")
    token = token.replace("~0", "~")
    token = token.replace("~1", "/")
    return token


def _escape(key):
    return key.replace("~", "~0").replace("/", "~1")


def split(pointer):
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PointerError(f"pointer must start with '/': {pointer!r}")
    return [_unescape(t) for t in pointer[1:].split("/")]


def resolve(document, pointer):
    node = document
    for token in split(pointer):
        if isinstance(node, list):
            if not token.isdigit() or (len(token) > 1 and token[0] == "0"):
                raise PointerError(f"bad array index {token!r}")
            index = int(token)
            if index >= len(node):
                raise PointerError(f"index {index} out of range")
            node = node[index]
        elif isinstance(node, dict):
            if token not in node:
                raise PointerError(f"no key {token!r}")
            node = node[token]
        else:
            raise PointerError(f"cannot descend into {type(node).__name__}")
    return node


def build(keys):
    return "".join("/" + _escape(str(k)) for k in keys)
