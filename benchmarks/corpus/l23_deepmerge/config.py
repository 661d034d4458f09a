"""Layered configuration: deep merge of dicts, dotted lookups, environment overrides."""

import copy


def deep_merge(base, override):
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return override


def lookup(config, dotted, default=None):
    node = config
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


def parse_env(environ, prefix="APP_"):
    result = {}
    for key, raw in sorted(environ.items()):
        if not key.startswith(prefix):
            continue
        path = key[len(prefix):].lower().split("__")
        node = result
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = raw
    return result


def load(layers, environ=None):
    config = {}
    for layer in layers:
        config = deep_merge(config, layer)
    if environ:
        config = deep_merge(config, parse_env(environ))
    return config
