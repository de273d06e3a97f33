"""The anonymous browser's identity: a random token kept in the session.

It survives login (Django keeps session data when it cycles the key), so the cart can be merged
into the user's cart and the orders placed before login stay visible.
"""

import uuid

SESSION_KEY = "shopper"


def shopper_token(request, *, create: bool = False) -> uuid.UUID | None:
    raw = request.session.get(SESSION_KEY)
    if raw:
        try:
            return uuid.UUID(raw)
        except ValueError:
            pass
    if not create:
        return None
    token = uuid.uuid4()
    request.session[SESSION_KEY] = str(token)
    return token
