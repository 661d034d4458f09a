"""Read INI-style settings files: [sections], key = value, comments."""

_TRUE = {"1", "yes", "true", "on"}
_FALSE = {"0", "no", "false", "off"}


class ConfigError(ValueError):
    pass


class Config:
    def __init__(self, text=""):
        self._data = {}
        self._parse(text)

    def _parse(self, text):
        section = None
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1].strip().lower()
                self._data.setdefault(section, {})
                continue
            if section is None:
                raise ConfigError(f"line {number}: setting outside a section")
            if "=" not in line:
                raise ConfigError(f"line {number}: expected key = value")
            key, value = line.split("=", 1)
            self._data[section][key.strip().lower()] = value.strip()

    def sections(self):
        return sorted(self._data)

    def get(self, section, key, fallback=None):
        return self._data.get(section.lower(), {}).get(key.lower(), fallback)

    def getint(self, section, key, fallback=None):
        value = self.get(section, key)
        return fallback if value is None else int(value)

    def getboolean(self, section, key, fallback=None):
        value = self.get(section, key)
        if value is None:
            return fallback
        word = value.lower()
        if word not in _TRUE | _FALSE:
            raise ConfigError(f"[{section}] {key}: not a boolean: {value!r}")
        return value
