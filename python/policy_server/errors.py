"""Named errors of the policy server."""


class UsageError(Exception):
    """A bad flag, file or checkpoint at start-up: the CLI prints it as one line and exits 2."""


class ObservationError(ValueError):
    """A request the policy cannot read (a missing key, a wrong shape, an unknown object or
    instruction). `field` names the observation key; the server sends the error to the client."""

    def __init__(self, field: str, message: str):
        super().__init__(f'{field}: {message}')
        self.field = field
