"""IPv4 addresses and CIDR blocks without the ipaddress module (for a tiny firewall)."""


def parse(text):
    """'192.168.1.10' -> 32-bit int; no leading zeros, four octets, each 0-255."""
    parts = text.strip().split(".")
    if len(parts) != 4:
        raise ValueError(f"not an IPv4 address: {text!r}")
    value = 0
    for part in parts:
        if not part.isdigit() or part[0] == "0":
            raise ValueError(f"bad octet {part!r} in {text!r}")
        octet = int(part)
        if octet > 255:
            raise ValueError(f"octet {octet} out of range in {text!r}")
        value = value << 8 | octet
    return value


def format_address(value):
    return ".".join(str(value >> shift & 255) for shift in (24, 16, 8, 0))


def parse_block(text):
    address, _, prefix_text = text.partition("/")
    prefix = int(prefix_text) if prefix_text else 32
    if not 0 <= prefix <= 32:
        raise ValueError(f"bad prefix length in {text!r}")
    mask = (0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF
    return parse(address) & mask, mask


def contains(block, address):
    network, mask = parse_block(block)
    return parse(address) & mask == network


def allowed(address, allow, deny=()):
    if any(contains(b, address) for b in deny):
        return False
    return any(contains(b, address) for b in allow)
