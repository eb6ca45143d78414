"""What auth tells the areas above it, which it may not import (areas import downward only):
they connect their receivers when the app is set up."""

from blinker import Namespace

_events = Namespace()

#: A sign-in (password or the identity provider), successful or not. Sent with the person as
#: sender (None when unknown) and method=, succeeded=, and optionally email=, reason=. The
#: audit trail records it (`audit.tracking.init_app` connects `record_sign_in`).
sign_in = _events.signal("sign-in")
