"""The domain error services raise; routes turn it into a form error or a flash."""


class DomainError(Exception):
    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        #: Translatable message, shown to the user as it is.
        self.message = message
        #: Name of the form field the message belongs to, if any.
        self.field = field
