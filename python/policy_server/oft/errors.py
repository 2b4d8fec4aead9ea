"""Named errors of the OFT + RFSQ policy: each message starts with the file, flag or field at fault."""


class OftError(Exception):
    """Base of the errors below; the server turns any of them into a one-line message."""


class OftCheckpointError(OftError):
    """A weights file is missing, unreadable, or its keys/shapes do not fit (`<file>: missing key 'x'`)."""


class OftDecoderError(OftError):
    """The RFSQ decoder cannot turn codes alone into the tokenizer's actions (per-sample statistics)."""


class OftConfigError(OftError):
    """A flag or a file it names is wrong (`--draft: ...`, `dataset_statistics.json: no key ...`)."""


class OftInputError(OftError):
    """An observation field is missing or malformed (`observation/image: expected uint8 [H, W, 3] ...`)."""
